//! EDGE-RNN-1 and EDGE-RNN-2: where Proposition 3.1 (RFLO's change has rank ≤ o) stops holding
//! (`docs/theory/lowrank.md#where-it-stops`).
use crate::catalogue::{Bound, Budget, Evidence, Measure, Reproducer};
use crate::error::Result;
use crate::lowrank::edges::{EdgeCase, edge_case, online_change, outside_fraction, outside_split};
use crate::lowrank::excess_rank_exact;
use crate::rnn::Activation;
use crate::rules::{Feedback, Rule};
use crate::scalar::{Mpfr, Rational, Real, with_precision};
use crate::tolerances::{EDGE_OUTSIDE_MIN, MPFR_REFERENCE_BITS};
use nalgebra::DMatrix;
use num_traits::Zero;

/// The setup of instance k: sizes, leak, ŵ and seed.
struct Setup {
    seed: u64,
    o: usize,
    n: usize,
    d: usize,
    horizon: usize,
    alpha: f64,
    w_hat: f64,
}

const STEPS: usize = 2;
const ETA: f64 = 0.125;
/// Inputs are doubled so that tanh works away from its linear range (|u| up to ~3).
const INPUT_SCALE: f64 = 2.0;

fn setup(k: usize, seed0: u64) -> Setup {
    Setup {
        seed: seed0 + k as u64,
        o: 1 + k % 2,
        n: 4,
        d: 2,
        horizon: 3,
        alpha: if (k / 2).is_multiple_of(2) { 1.0 } else { 0.5 },
        w_hat: [0.5, 0.0, -0.5, 1.0][k % 4],
    }
}

impl Setup {
    fn case(&self) -> Result<EdgeCase> {
        edge_case(self.seed, self.o, self.n, self.d, self.horizon)
    }
    fn repro(&self, k: usize, kind: &str) -> Reproducer {
        Reproducer::new(k, kind)
            .seed(self.seed)
            .size("o", self.o)
            .size("n", self.n)
            .size("d", self.d)
            .size("T", self.horizon)
            .size("K", STEPS)
            .param("alpha", self.alpha)
            .param("w_hat", self.w_hat)
    }
}

/// RFLO's stacked change and Rᵀ, over `T`, for the setup with `activation`.
fn rflo_run<T: Real>(s: &Setup, activation: Activation) -> Result<(DMatrix<T>, DMatrix<T>)> {
    let (net, r, data) = s.case()?.cast::<T>(s.alpha, activation, INPUT_SCALE)?;
    let rule = Rule::Rflo {
        feedback: r.clone(),
        w_hat: T::from_f64(s.w_hat),
    };
    let ch = online_change(&net, &rule, &data, &T::from_f64(ETA), STEPS)?;
    Ok((ch.stacked(), r.transpose()))
}

pub(super) fn rflo_tanh_leaves(budget: Budget) -> Result<Evidence> {
    let (mut n, mut smallest, mut smallest_at) = (0usize, f64::INFINITY, None);
    let (mut bad_linear, mut first_bad) = (0usize, None);
    for k in budget.cases(4) {
        let s = setup(k, 6100);
        n += 1;
        let frac = with_precision(MPFR_REFERENCE_BITS, || -> Result<f64> {
            let (x, rt) = rflo_run::<Mpfr>(&s, Activation::Tanh)?;
            Ok(outside_fraction(&rt, &x))
        })??;
        if frac.is_nan() || frac < smallest {
            smallest = frac;
            smallest_at = Some(s.repro(k, "mpfr"));
        }
        let (x, rt) = rflo_run::<Rational>(&s, Activation::Identity)?;
        let (out, total) = outside_split(&rt, &x);
        if !out.is_zero() || total.is_zero() || excess_rank_exact(&rt, &x) != 0 {
            bad_linear += 1;
            first_bad.get_or_insert_with(|| s.repro(k, "rational"));
        }
    }
    let mut escape = Evidence::measured(
        n,
        "smallest ‖(I − P)X‖_F/‖X‖_F of the tanh runs",
        Measure::Ratio,
        smallest,
        Bound::AtLeast {
            value: EDGE_OUTSIDE_MIN,
        },
        format!(
            "MPFR ({MPFR_REFERENCE_BITS} bits), {n} dyadic setups (o ∈ {{1, 2}}, n = 4, d = 2, T = 3, \
             α ∈ {{1, 1/2}}, ŵ ∈ {{1/2, 0, −1/2, 1}}, inputs in [−2, 2]), tanh network, RFLO, {STEPS} \
             online steps at η = 1/8: X = [W_K − W_0 | B_K − B_0], P the projector onto col(Rᵀ); \
             rounding alone gives ~1e-75"
        ),
    );
    if let Some(r) = smallest_at {
        escape = escape.with_reproducer(r);
    }
    let inside = Evidence::exact(
        n,
        "identity-activation runs whose change leaves col(Rᵀ) (or is zero)",
        bad_linear,
        "the same setups over rationals with φ = identity (linear, or leaky linear for α = 1/2): \
         ‖(I − P)X‖²_F = 0 exactly and rank([Rᵀ | X]) = rank(Rᵀ)",
    )
    .maybe_reproducer(first_bad);
    Ok(escape.and(inside))
}

/// A network, feedback R and samples over Q.
type QSetup = crate::lowrank::edges::CastSetup<Rational>;

/// The setup's linear network over Q with W's diagonal replaced: `Some(c)` sets every W_ii = c;
/// `None` forces a non-scalar diagonal (W_00 = 1/2, W_11 = −1/4, others as drawn).
fn with_diagonal(s: &Setup, diag: Option<f64>) -> Result<QSetup> {
    let mut case = s.case()?;
    let mut w = case.net.w().clone();
    match diag {
        Some(c) => (0..s.n).for_each(|i| w[(i, i)] = c),
        None => {
            w[(0, 0)] = 0.5;
            w[(1, 1)] = -0.25;
        }
    }
    case.net = case
        .net
        .with_params(case.net.a().clone(), w, case.net.b().clone())?;
    case.cast::<Rational>(1.0, Activation::Identity, 1.0)
}

pub(super) fn diagonal_surrogate_leaves(budget: Budget) -> Result<Evidence> {
    let (mut n, mut stayed, mut first_stayed) = (0usize, 0usize, None);
    let (mut smallest, mut smallest_at) = (f64::INFINITY, None);
    let (mut bad_scalar, mut first_bad) = (0usize, None);
    let eta = Rational::from_f64(ETA);
    for k in budget.cases(4) {
        let s = setup(k, 6200);
        n += 1;
        // Non-scalar diagonal: e-prop's trace with random R is RFLO with Ŵ = diag(W).
        let (net, r, data) = with_diagonal(&s, None)?;
        let eprop = Rule::Eprop {
            feedback: Feedback::Random(r.clone()),
        };
        let x = online_change(&net, &eprop, &data, &eta, STEPS)?.stacked();
        if excess_rank_exact(&r.transpose(), &x) == 0 {
            stayed += 1;
            first_stayed.get_or_insert_with(|| s.repro(k, "rational"));
        }
        let frac = outside_fraction(&r.transpose(), &x);
        if frac.is_nan() || frac < smallest {
            smallest = frac;
            smallest_at = Some(s.repro(k, "rational"));
        }
        // Scalar diagonal c·I: one step equals RFLO with ŵ = c and stays inside col(Rᵀ).
        let c = s.w_hat;
        let (net, r, data) = with_diagonal(&s, Some(c))?;
        let eprop = Rule::Eprop {
            feedback: Feedback::Random(r.clone()),
        };
        let rflo = Rule::Rflo {
            feedback: r.clone(),
            w_hat: Rational::from_f64(c),
        };
        let xe = online_change(&net, &eprop, &data, &eta, 1)?.stacked();
        let xr = online_change(&net, &rflo, &data, &eta, 1)?.stacked();
        if xe != xr || xe.iter().all(|v| v.is_zero()) || excess_rank_exact(&r.transpose(), &xe) != 0
        {
            bad_scalar += 1;
            first_bad.get_or_insert_with(|| s.repro(k, "rational"));
        }
    }
    let leaves = Evidence::violations(
        n,
        "non-scalar diag(W) runs whose change stayed in col(Rᵀ)",
        stayed,
        format!(
            "rationals, {n} dyadic linear setups (o ∈ {{1, 2}}, n = 4, d = 2, T = 3, W_00 = 1/2, \
             W_11 = −1/4), e-prop with random feedback R (trace decay diag(W)), {STEPS} online steps \
             at η = 1/8: exact rank of [W_K − W_0 | B_K − B_0] outside col(Rᵀ) must be > 0"
        ),
    )
    .maybe_reproducer(first_stayed);
    let size = Evidence::measured(
        n,
        "smallest ‖(I − P)X‖_F/‖X‖_F of the non-scalar runs",
        Measure::Ratio,
        smallest,
        Bound::AtLeast {
            value: EDGE_OUTSIDE_MIN,
        },
        "the same runs: the part of the change outside col(Rᵀ), exact over Q, shown in f64",
    )
    .maybe_reproducer(smallest_at);
    let scalar = Evidence::exact(
        n,
        "diag(W) = c·I runs that differ from RFLO(ŵ = c), are zero, or leave col(Rᵀ)",
        bad_scalar,
        "the same setups with every W_ii = c ∈ {1/2, 0, −1/2, 1}: one e-prop step equals one RFLO \
         step with ŵ = c exactly and stays in col(Rᵀ)",
    )
    .maybe_reproducer(first_bad);
    Ok(leaves.and(size).and(scalar))
}
