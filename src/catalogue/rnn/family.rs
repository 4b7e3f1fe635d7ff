//! P-RNN-38: UORO is unbiased (`docs/theory/linear-rnn.md#uoro`). The exact expectation over all
//! `2^{nT}` sign draws is RTRL's update: over Q for ρ₀ = ρ₁ = 1, and to MPFR-256 rounding for the
//! variance-minimising ρ₀, ρ₁ (square roots) in a leaky-tanh network.
use crate::catalogue::{Budget, Evidence, Measure, Reproducer};
use crate::error::Result;
use crate::rnn::{Activation, InstanceSpec};
use crate::rules::uoro::{self, Scaling};
use crate::rules::{Loss, Rule, online};
use crate::scalar::{Mpfr, Rational, Real, with_precision};
use crate::tolerances::{MPFR_REFERENCE_BITS, MPFR256_REL};

/// The most sign bits n·T enumerated (2⁹ = 512 draw sequences).
const MAX_BITS: u32 = 9;

/// Instance k: o, d ∈ {1, 2}; n = 2 with T = 4 or n = 3 with T = 3; leak ½ on odd k.
fn spec(k: usize, seed0: u64) -> InstanceSpec {
    let n = 2 + k % 2;
    InstanceSpec {
        seed: seed0 + k as u64,
        o: 1 + (k / 2) % 2,
        n,
        n_teacher: 2,
        d: 1 + (k / 4) % 2,
        horizon: if n == 2 { 4 } else { 3 },
    }
}

fn repro(k: usize, s: &InstanceSpec, kind: &str) -> Reproducer {
    Reproducer::new(k, kind)
        .seed(s.seed)
        .size("o", s.o)
        .size("n", s.n)
        .size("d", s.d)
        .size("T", s.horizon)
}

/// The leak of instance k.
fn leak<T: Real>(k: usize) -> T {
    if k % 2 == 1 { T::ratio(1, 2) } else { T::one() }
}

/// P-RNN-38 (Tallec & Ollivier 2017, `[standard]`): E over all draws of UORO's update = RTRL's.
pub(super) fn uoro_unbiased(budget: Budget) -> Result<Evidence> {
    // Exact over Q, ρ = 1, linear network (leaky or not), both losses.
    let (mut n_exact, mut mismatches, mut first_bad) = (0usize, 0usize, None);
    for k in budget.cases(4) {
        let s = spec(k, 3800);
        let inst = s.draw()?.cast::<Rational>();
        let net = inst.st.student.clone().with_leak(leak(k))?;
        for loss in [Loss::Final, Loss::Sequence] {
            n_exact += 1;
            let rtrl = online::update(&Rule::Rtrl, &net, &inst.xs, &inst.targets, loss)?;
            let mean = uoro::expectation(s.n, s.horizon, MAX_BITS, |d| {
                uoro::update_unit(&net, &inst.xs, &inst.targets, loss, d)
            })?;
            if mean != rtrl {
                mismatches += 1;
                first_bad
                    .get_or_insert_with(|| repro(k, &s, "rational").param("loss", loss_name(loss)));
            }
        }
    }
    let mut exact = Evidence::exact(
        n_exact,
        "instances where the mean over all draws of UORO (ρ = 1) differs from RTRL's update",
        mismatches,
        format!(
            "rationals, linear networks with leak 1 or ½, final and sequence losses, n·T ≤ \
             {MAX_BITS}: the average of UORO's (ΔA, ΔW, ΔB) over every sign sequence ν_1 … ν_T"
        ),
    );
    if let Some(r) = first_bad {
        exact = exact.with_reproducer(r);
    }
    // MPFR-256, variance-minimising ρ₀, ρ₁, leaky tanh.
    let (mut n_mp, mut worst, mut worst_at) = (0usize, 0.0f64, None);
    for k in budget.cases(2) {
        let s = spec(k, 3900);
        let err = with_precision(MPFR_REFERENCE_BITS, || -> Result<f64> {
            let inst = s.draw()?.cast::<Mpfr>();
            let net = inst
                .st
                .student
                .clone()
                .with_leak(Mpfr::ratio(1, 2))?
                .with_activation(Activation::Tanh);
            let rtrl = online::update(&Rule::Rtrl, &net, &inst.xs, &inst.targets, Loss::Final)?;
            let mean = uoro::expectation(s.n, s.horizon, MAX_BITS, |d| {
                uoro::update(
                    &net,
                    &inst.xs,
                    &inst.targets,
                    Loss::Final,
                    d,
                    Scaling::VarianceMin,
                )
            })?;
            Ok(uoro::rel_error_in(&mean, &rtrl, 1e-30))
        })??;
        n_mp += 1;
        if worst_at.is_none() || err.is_nan() || err > worst {
            worst = err;
            worst_at = Some(repro(k, &s, "mpfr256"));
        }
    }
    let mut mpfr = Evidence::error_at_most(
        n_mp,
        "variance-minimising ρ₀, ρ₁: mean over all draws against RTRL",
        Measure::RelError,
        worst,
        MPFR256_REL,
        "256-bit MPFR, leaky tanh (α = ½), final-step loss: ρ₀ = √(‖ṽ‖/‖Jũ‖), ρ₁ = √(‖Iᵀν‖/‖ν‖); \
         the cross terms cancel between ν and −ν, so only rounding remains",
    );
    if let Some(r) = worst_at {
        mpfr = mpfr.with_reproducer(r);
    }
    Ok(exact.and(mpfr))
}

fn loss_name(loss: Loss) -> &'static str {
    match loss {
        Loss::Final => "final",
        Loss::Sequence => "sequence",
    }
}
