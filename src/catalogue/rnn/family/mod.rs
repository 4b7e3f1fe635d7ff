//! P-RNN-38 (and 40, 42): UORO (KF-RTRL, reverse KF-RTRL) is unbiased (`docs/theory/linear-rnn.md#uoro`). The exact expectation over all
//! `2^{nT}` sign draws is RTRL's update: over Q for ρ₀ = ρ₁ = 1, and to MPFR-256 rounding for the
//! variance-minimising ρ₀, ρ₁ (square roots) in a leaky-tanh network.
mod kernl;
mod windowed;

pub(super) use kernl::kernl_is_rflo;
pub(super) use windowed::windowed_bptt;

use super::parts::repro;
use crate::catalogue::{Budget, Evidence, Measure, Reproducer};
use crate::error::Result;
use crate::rnn::{Activation, InstanceSpec};
use crate::rules::uoro::{self, Scaling};
use crate::rules::{Loss, Rule, online};
use crate::rules::{kf_rtrl, reverse_kf_rtrl};
use crate::scalar::{Mpfr, Rational, Real, with_precision};
use crate::tolerances::{MPFR_REFERENCE_BITS, MPFR256_REL};
use crate::tolerances::{ZERO_GUARD_F64, ZERO_GUARD_MPFR};

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

/// The leak of instance k.
fn leak<T: Real>(k: usize) -> T {
    if k % 2 == 1 { T::ratio(1, 2) } else { T::one() }
}

/// An unbiased estimator of RTRL with explicit sign draws.
#[derive(Clone, Copy)]
enum Estimator {
    /// UORO (P-RNN-38).
    Uoro,
    /// KF-RTRL (P-RNN-40).
    KfRtrl,
    /// Reverse KF-RTRL (P-RNN-42).
    ReverseKf,
}

impl Estimator {
    fn name(self) -> &'static str {
        match self {
            Estimator::Uoro => "UORO",
            Estimator::KfRtrl => "KF-RTRL",
            Estimator::ReverseKf => "reverse KF-RTRL",
        }
    }
    /// Signs drawn per step.
    fn signs(self, n: usize) -> usize {
        match self {
            Estimator::Uoro | Estimator::ReverseKf => n,
            Estimator::KfRtrl => 2,
        }
    }
    fn unit<T: Real>(
        self,
        net: &crate::rnn::Rnn<T>,
        i: &crate::rnn::Instance<T>,
        loss: Loss,
        d: &[nalgebra::DVector<T>],
    ) -> Result<crate::rules::Update<T>> {
        match self {
            Estimator::Uoro => uoro::update_unit(net, &i.xs, &i.targets, loss, d),
            Estimator::KfRtrl => kf_rtrl::update_unit(net, &i.xs, &i.targets, loss, d),
            Estimator::ReverseKf => reverse_kf_rtrl::update_unit(net, &i.xs, &i.targets, loss, d),
        }
    }
    fn variance_min<T: crate::scalar::RealFn>(
        self,
        net: &crate::rnn::Rnn<T>,
        i: &crate::rnn::Instance<T>,
        d: &[nalgebra::DVector<T>],
    ) -> Result<crate::rules::Update<T>> {
        let v = Scaling::VarianceMin;
        match self {
            Estimator::Uoro => uoro::update(net, &i.xs, &i.targets, Loss::Final, d, v),
            Estimator::KfRtrl => kf_rtrl::update(net, &i.xs, &i.targets, Loss::Final, d, v),
            Estimator::ReverseKf => {
                reverse_kf_rtrl::update(net, &i.xs, &i.targets, Loss::Final, d, v)
            }
        }
    }
    fn scalars(self) -> &'static str {
        match self {
            Estimator::Uoro => {
                "ρ₀ = √(‖ṽ‖/‖Jũ‖), ρ₁ = √(‖Iᵀν‖/‖ν‖); the cross terms cancel between ν and −ν"
            }
            Estimator::KfRtrl => {
                "ρ₁ = √(‖JK‖/‖v‖), ρ₂ = √(‖D‖/‖pre‖); the cross terms carry c₁c₂, whose mean is 0"
            }
            Estimator::ReverseKf => {
                "ρ₀ = √(‖JB‖/‖a‖), ρ₁ = √(‖(ν⊙g)preᵀ‖/‖ν‖); the cross terms are odd in ν and cancel"
            }
        }
    }
}

/// P-RNN-38 (Tallec & Ollivier 2017, `[standard]`): E over all draws of UORO's update = RTRL's.
pub(super) fn uoro_unbiased(budget: Budget) -> Result<Evidence> {
    unbiased(budget, Estimator::Uoro, 3800)
}

/// P-RNN-40 (Mujika, Meier & Steger 2018, `[standard]`): E over all sign pairs of KF-RTRL's update
/// = RTRL's.
pub(super) fn kf_rtrl_unbiased(budget: Budget) -> Result<Evidence> {
    unbiased(budget, Estimator::KfRtrl, 4100)
}

/// P-RNN-42 (Marschall, Cho & Savin 2020, `[standard]`): E over all sign vectors of reverse
/// KF-RTRL's update = RTRL's.
pub(super) fn reverse_kf_unbiased(budget: Budget) -> Result<Evidence> {
    unbiased(budget, Estimator::ReverseKf, 4400)
}

/// The exact expectation of `est` over every draw against RTRL: over Q with unit scalars, in
/// 256-bit MPFR with the variance-minimising ones (leaky tanh).
fn unbiased(budget: Budget, est: Estimator, seed0: u64) -> Result<Evidence> {
    // Exact over Q, ρ = 1, linear network (leaky or not), both losses.
    let (mut n_exact, mut mismatches, mut first_bad) = (0usize, 0usize, None);
    for k in budget.cases(4) {
        let s = spec(k, seed0);
        let inst = s.draw()?.cast::<Rational>();
        let net = inst.st.student.clone().with_leak(leak(k))?;
        for loss in [Loss::Final, Loss::Sequence] {
            n_exact += 1;
            let rtrl = online::update(&Rule::Rtrl, &net, &inst.xs, &inst.targets, loss)?;
            let mean = uoro::expectation(est.signs(s.n), s.horizon, MAX_BITS, |d| {
                est.unit(&net, &inst, loss, d)
            })?;
            if mean != rtrl {
                mismatches += 1;
                first_bad
                    .get_or_insert_with(|| repro(k, &s, "rational").param("loss", loss_name(loss)));
            }
        }
    }
    let name = est.name();
    let exact = Evidence::exact(
        n_exact,
        format!(
            "instances where the mean over all draws of {name} (ρ = 1) differs from RTRL's update"
        ),
        mismatches,
        format!(
            "rationals, linear networks with leak 1 or ½, final and sequence losses, at most \
             {MAX_BITS} sign bits: the average of {name}'s (ΔA, ΔW, ΔB) over every sign sequence"
        ),
    )
    .maybe_reproducer(first_bad);
    // Expected update: over all Rademacher inputs and all draws, exactly BPTT's closed form
    // (linear network, white input; over Q).
    let (mut n_exp, mut bad_exp, mut first_exp) = (0usize, 0usize, None);
    for k in budget.cases(1) {
        let s = InstanceSpec {
            seed: seed0 + 200 + k as u64,
            o: 1 + k % 2,
            n: 2,
            n_teacher: 2,
            d: 1,
            horizon: 3,
        };
        let inst = s.draw()?.cast::<Rational>();
        for loss in [Loss::Final, Loss::Sequence] {
            n_exp += 1;
            let closed = crate::rules::expected::update(&Rule::Bptt, &inst.st, s.horizon, loss)?;
            let mean = crate::certify::rnn::mean_update_over_inputs(&inst, |xs, ys| {
                uoro::expectation(est.signs(s.n), s.horizon, MAX_BITS, |d| {
                    let i = crate::rnn::Instance {
                        xs: xs.to_vec(),
                        targets: ys.to_vec(),
                        ..inst.clone()
                    };
                    est.unit(&inst.st.student, &i, loss, d)
                })
            })?;
            if mean != closed {
                bad_exp += 1;
                first_exp
                    .get_or_insert_with(|| repro(k, &s, "rational").param("loss", loss_name(loss)));
            }
        }
    }
    let expected = Evidence::exact(
        n_exp,
        format!("losses where {name}'s mean over all inputs and draws differs from expected BPTT"),
        bad_exp,
        "rationals, linear network (n = 2, d = 1, T = 3), teacher targets: the mean over all \
         Rademacher inputs and all sign draws against BPTT's closed-form expected update",
    )
    .maybe_reproducer(first_exp);
    // MPFR-256, variance-minimising ρ₀, ρ₁, leaky tanh.
    let (mut n_mp, mut worst, mut worst_at) = (0usize, 0.0f64, None);
    for k in budget.cases(1) {
        let s = spec(k, seed0 + 100);
        let err = with_precision(MPFR_REFERENCE_BITS, || -> Result<f64> {
            let inst = s.draw()?.cast::<Mpfr>();
            let net = inst
                .st
                .student
                .clone()
                .with_leak(Mpfr::ratio(1, 2))?
                .with_activation(Activation::Tanh);
            let rtrl = online::update(&Rule::Rtrl, &net, &inst.xs, &inst.targets, Loss::Final)?;
            let mean = uoro::expectation(est.signs(s.n), s.horizon, MAX_BITS, |d| {
                est.variance_min(&net, &inst, d)
            })?;
            // Floor 1e-30: only guards a zero RTRL update, far below its size and above 2^-256.
            Ok(uoro::rel_error_in(&mean, &rtrl, ZERO_GUARD_MPFR))
        })??;
        n_mp += 1;
        if worst_at.is_none() || err.is_nan() || err > worst {
            worst = err;
            worst_at = Some(repro(k, &s, "mpfr256"));
        }
    }
    let mpfr = Evidence::error_at_most(
        n_mp,
        format!("variance-minimising {name}: mean over all draws against RTRL"),
        Measure::RelError,
        worst,
        MPFR256_REL,
        format!(
            "256-bit MPFR, leaky tanh (α = ½), final-step loss: {}, so only rounding remains",
            est.scalars()
        ),
    )
    .maybe_reproducer(worst_at);
    Ok(exact.and(expected).and(mpfr))
}

fn loss_name(loss: Loss) -> &'static str {
    match loss {
        Loss::Final => "final",
        Loss::Sequence => "sequence",
    }
}

/// A copy of `w` with every zero entry replaced by 1/8, so that its connectivity is complete.
fn dense<T: Real>(w: &nalgebra::DMatrix<T>) -> nalgebra::DMatrix<T> {
    w.map(|x| if x.is_zero() { T::ratio(1, 8) } else { x })
}

/// P-RNN-39 (Menick et al. 2021, `[standard]` for the definitions; the identities derived for this
/// project): SnAp-1 is e-prop with symmetric feedback; SnAp-2 on a dense W is RTRL; on a sparse W
/// it is not (exact counterexample), while SnAp-n on n units is RTRL again.
pub(super) fn snap_identities(budget: Budget) -> Result<Evidence> {
    use crate::rules::{Feedback, snap};
    use crate::tolerances::F64_IDENTITY_REL;
    use nalgebra::DMatrix;
    fn eprop<T: Real>() -> Rule<T> {
        Rule::Eprop {
            feedback: Feedback::Symmetric,
        }
    }
    // Exact over Q (linear, leak 1 or ½) and f64 (leaky tanh): SnAp-1 = e-prop, SnAp-2(dense) = RTRL.
    let (mut n_q, mut bad_q, mut first_q) = (0usize, 0usize, None);
    let (mut n_f, mut worst_f, mut worst_at) = (0usize, 0.0f64, None);
    for k in budget.cases(4) {
        let s = spec(k, 4000);
        let inst = s.draw()?;
        let q = inst.cast::<Rational>();
        let net = q.st.student.clone().with_leak(leak(k))?;
        let net = net.with_params(net.a().clone(), dense(net.w()), net.b().clone())?;
        for loss in [Loss::Final, Loss::Sequence] {
            n_q += 2;
            let one = snap::update(&net, &q.xs, &q.targets, loss, 1)?;
            let two = snap::update(&net, &q.xs, &q.targets, loss, 2)?;
            let e = online::update(&eprop(), &net, &q.xs, &q.targets, loss)?;
            let r = online::update(&Rule::Rtrl, &net, &q.xs, &q.targets, loss)?;
            let bad = usize::from(one != e) + usize::from(two != r);
            if bad > 0 {
                bad_q += bad;
                first_q
                    .get_or_insert_with(|| repro(k, &s, "rational").param("loss", loss_name(loss)));
            }
        }
        let f = inst.cast::<f64>();
        let net =
            f.st.student
                .clone()
                .with_leak(0.5)?
                .with_activation(Activation::Tanh);
        let net = net.with_params(net.a().clone(), dense(net.w()), net.b().clone())?;
        n_f += 1;
        let one = snap::update(&net, &f.xs, &f.targets, Loss::Final, 1)?;
        let two = snap::update(&net, &f.xs, &f.targets, Loss::Final, 2)?;
        let e = online::update(&eprop(), &net, &f.xs, &f.targets, Loss::Final)?;
        let r = online::update(&Rule::Rtrl, &net, &f.xs, &f.targets, Loss::Final)?;
        // Floor 1e-300: only guards a zero update; the updates are O(1e-3 … 1).
        let err = one
            .rel_diff(&e, ZERO_GUARD_F64)
            .max(two.rel_diff(&r, ZERO_GUARD_F64));
        if worst_at.is_none() || err.is_nan() || err > worst_f {
            worst_f = err;
            worst_at = Some(repro(k, &s, "f64").param("activation", "tanh"));
        }
    }
    let mut exact = Evidence::exact(
        n_q,
        "comparisons where SnAp-1 ≠ e-prop (symmetric) or SnAp-2 ≠ RTRL, dense W",
        bad_q,
        "rationals, linear networks with leak 1 or ½ and a dense W (zeros replaced by 1/8), final \
         and sequence losses; SnAp from its own masked influence recursion, e-prop and RTRL from \
         `online::update`",
    );
    if let Some(r) = first_q {
        exact = exact.with_reproducer(r);
    }
    let float = Evidence::error_at_most(
        n_f,
        "leaky tanh: SnAp-1 vs e-prop and SnAp-2 vs RTRL, dense W",
        Measure::RelError,
        worst_f,
        F64_IDENTITY_REL,
        "f64, the same networks with α = ½ and tanh, final-step loss",
    )
    .maybe_reproducer(worst_at);
    // Counterexample: a ring 0 → 1 → 2 → 0 (n = 3): SnAp-2 drops the two-step paths and differs
    // from RTRL; SnAp-3 reaches every unit and equals it.
    let qr = Rational::ratio;
    let ring = DMatrix::from_row_slice(
        3,
        3,
        &[
            qr(1, 4),
            qr(0, 1),
            qr(1, 2),
            qr(-1, 2),
            qr(1, 8),
            qr(0, 1),
            qr(0, 1),
            qr(3, 4),
            qr(-1, 4),
        ],
    );
    let a = DMatrix::from_row_slice(1, 3, &[qr(1, 1), qr(-1, 2), qr(1, 4)]);
    let b = DMatrix::from_row_slice(3, 1, &[qr(1, 1), qr(0, 1), qr(0, 1)]);
    let net = crate::rnn::Rnn::new(a, ring, b)?;
    let xs: Vec<_> = [1, -1, 1, 1]
        .iter()
        .map(|&x| nalgebra::DVector::from_element(1, qr(x, 1)))
        .collect();
    let ys = vec![nalgebra::DVector::from_element(1, qr(1, 2)); 4];
    let r = online::update(&Rule::Rtrl, &net, &xs, &ys, Loss::Final)?;
    let two = snap::update(&net, &xs, &ys, Loss::Final, 2)?;
    let three = snap::update(&net, &xs, &ys, Loss::Final, 3)?;
    let counter = Evidence::violations(
        2,
        "ring network: SnAp-2 equal to RTRL, or SnAp-3 different from it",
        usize::from(two == r) + usize::from(three != r),
        format!(
            "rationals, n = 3 ring 0 → 1 → 2 → 0 with self loops, T = 4, final-step loss, input \
             only into unit 0: SnAp-2's ΔW differs from RTRL's by {:.3e} (largest entry), SnAp-3 \
             equals it",
            crate::linalg::max_abs(&(&two.w - &r.w))
        ),
    );
    Ok(exact.and(float).and(counter))
}

/// Least-squares slope of `ln y` against `ln x` and its standard error by the delta method
/// (`Var ln ȳ ≈ (se/ȳ)²`, the points independent).
fn log_slope(pts: &[crate::rules::estimator_variance::VariancePoint]) -> (f64, f64) {
    let xs: Vec<f64> = pts.iter().map(|p| (p.n as f64).ln()).collect();
    let mx = xs.iter().sum::<f64>() / xs.len() as f64;
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    let (mut slope, mut var) = (0.0, 0.0);
    for (x, p) in xs.iter().zip(pts) {
        let w = (x - mx) / sxx;
        slope += w * p.rel_var.ln();
        var += w * w * (p.se / p.rel_var).powi(2);
    }
    (slope, var.sqrt())
}

/// P-RNN-41 (the ordering claimed by Mujika, Meier & Steger 2018, `[standard]`; the setting and
/// exponents measured here, `[derived, unchecked]`): KF-RTRL's relative variance is below UORO's at
/// every n measured, and grows more slowly with n.
pub(super) fn kf_variance_below_uoro(budget: Budget) -> Result<Evidence> {
    use crate::rules::estimator_variance::{Estimator as E, measure};
    use crate::tolerances::mc_sigmas_for;
    let sizes = [4, 8, 16, 32];
    let draws = budget.instances(200);
    let seed = 4200;
    let u = measure(E::Uoro, &sizes, draws, seed)?;
    let k = measure(E::KfRtrl, &sizes, draws, seed)?;
    let crit = mc_sigmas_for(sizes.len() + 1);
    // Smallest z-score of var_UORO − var_KF over the sizes.
    let (mut zmin, mut at) = (f64::INFINITY, sizes[0]);
    for (a, b) in u.iter().zip(&k) {
        let z = (a.rel_var - b.rel_var) / (a.se.powi(2) + b.se.powi(2)).sqrt();
        if z.is_nan() || z < zmin {
            zmin = z;
            at = a.n;
        }
    }
    let table = |pts: &[crate::rules::estimator_variance::VariancePoint]| {
        pts.iter()
            .map(|p| format!("n = {}: {:.3} ± {:.3}", p.n, p.rel_var, p.se))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let repro = Reproducer::new(0, "f64")
        .seed(seed)
        .size("draws", draws)
        .size("T", 10)
        .param("n", at);
    let below = Evidence::measured(
        sizes.len() * draws * 2,
        "smallest z-score of var(UORO) − var(KF-RTRL) over n",
        Measure::ZScore,
        zmin,
        crate::catalogue::Bound::AtLeast { value: crit },
        format!(
            "f64, relative variance E‖ΔŴ − ΔW_RTRL‖²/‖ΔW_RTRL‖² over {draws} seeded draws per n, \
             variance-minimising scalars, linear network (leak ½, W ~ N(0, 0.8²/n), d = o = 2, \
             T = 10), one seeded network per n (the z-scores are over the draws for these networks; \
             network-to-network variation is not in them); UORO {}; KF-RTRL {}; smallest at n = {at}",
            table(&u),
            table(&k)
        ),
    )
    .with_reproducer(repro.clone());
    let (su, seu) = log_slope(&u);
    let (sk, sek) = log_slope(&k);
    let zs = (su - sk) / (seu * seu + sek * sek).sqrt();
    let slower = Evidence::measured(
        1,
        "z-score of slope(UORO) − slope(KF-RTRL), log–log in n",
        Measure::ZScore,
        zs,
        crate::catalogue::Bound::AtLeast { value: crit },
        format!(
            "fitted exponents (least squares on log means, standard errors by the delta method): \
             UORO {su:.2} ± {seu:.2}, KF-RTRL {sk:.2} ± {sek:.2}"
        ),
    )
    .with_reproducer(repro);
    Ok(below.and(slower))
}
