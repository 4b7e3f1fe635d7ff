//! Catalogue entries EDGE-RNN-1, EDGE-RNN-2 (where Proposition 3.1 stops holding), EDGE-RNN-3 (where
//! the per-mode reduction stops) and EDGE-CL-1, shown by
//! counterexample (`docs/theory/lowrank.md#where-it-stops`). Each pairs the counterexample with the
//! same setup inside the theorem's assumptions, which must stay exactly inside `col(Rᵀ)`, so the entry
//! notices if the boundary moved either way.
use super::{Bound, Budget, Entry, Evidence, Measure, Reproducer};
use crate::error::Result;
use crate::lowrank::edges::{EdgeCase, edge_case, online_change, outside_fraction, outside_split};
use crate::lowrank::excess_rank_exact;
use crate::rnn::Activation;
use crate::rules::{Feedback, Rule};
use crate::scalar::{Mpfr, Rational, Real, with_precision};
use crate::tolerances::{EDGE_OUTSIDE_MIN, MPFR_REFERENCE_BITS};
use nalgebra::DMatrix;
use num_traits::{One, Zero};

/// The entries of this area.
pub fn entries() -> Vec<Entry> {
    vec![
        entry!(
            "EDGE-RNN-1",
            RnnLowRank,
            [Derived],
            "Proposition 3.1 needs a linear network: with tanh (leaky or not) RFLO's change \
             [W_K − W_0 | B_K − B_0] leaves col(Rᵀ); the same runs with the identity activation \
             stay exactly inside",
            rflo_tanh_leaves,
        ),
        entry!(
            "EDGE-RNN-2",
            RnnLowRank,
            [Derived],
            "Proposition 3.1 needs a scalar surrogate ŵ: with a diagonal, non-scalar Ŵ = diag(W) \
             (e-prop's trace with random feedback R) the change leaves col(Rᵀ); with diag(W) = c·I \
             it equals RFLO with ŵ = c and stays inside",
            diagonal_surrogate_leaves,
        ),
        entry!(
            "EDGE-RNN-3",
            RnnModes,
            [Derived],
            "The per-mode reduction needs aligned weights: from an aligned student the per-mode map \
             is the network's expected-update run exactly; a misalignment ε (off-diagonal in the \
             teacher's basis) makes the network's loss ratios drift from the map's, at order ε²",
            misaligned_drifts,
        ),
        entry!(
            "EDGE-CL-1",
            Contrastive,
            [Derived],
            "Eq.3-R's stationary point needs a step below η* = 2/ω₋ (Gaussian toy, fresh samples): \
             just below, θ settles at E[θ | −] = m; just above, it diverges",
            step_beyond_stable_range,
        ),
    ]
}

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

fn rflo_tanh_leaves(budget: Budget) -> Result<Evidence> {
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
    let mut inside = Evidence::exact(
        n,
        "identity-activation runs whose change leaves col(Rᵀ) (or is zero)",
        bad_linear,
        "the same setups over rationals with φ = identity (linear, or leaky linear for α = 1/2): \
         ‖(I − P)X‖²_F = 0 exactly and rank([Rᵀ | X]) = rank(Rᵀ)",
    );
    if let Some(r) = first_bad {
        inside = inside.with_reproducer(r);
    }
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

fn diagonal_surrogate_leaves(budget: Budget) -> Result<Evidence> {
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
    let mut leaves = Evidence::violations(
        n,
        "non-scalar diag(W) runs whose change stayed in col(Rᵀ)",
        stayed,
        format!(
            "rationals, {n} dyadic linear setups (o ∈ {{1, 2}}, n = 4, d = 2, T = 3, W_00 = 1/2, \
             W_11 = −1/4), e-prop with random feedback R (trace decay diag(W)), {STEPS} online steps \
             at η = 1/8: exact rank of [W_K − W_0 | B_K − B_0] outside col(Rᵀ) must be > 0"
        ),
    );
    if let Some(r) = first_stayed {
        leaves = leaves.with_reproducer(r);
    }
    let mut size = Evidence::measured(
        n,
        "smallest ‖(I − P)X‖_F/‖X‖_F of the non-scalar runs",
        Measure::Ratio,
        smallest,
        Bound::AtLeast {
            value: EDGE_OUTSIDE_MIN,
        },
        "the same runs: the part of the change outside col(Rᵀ), exact over Q, shown in f64",
    );
    if let Some(r) = smallest_at {
        size = size.with_reproducer(r);
    }
    let mut scalar = Evidence::exact(
        n,
        "diag(W) = c·I runs that differ from RFLO(ŵ = c), are zero, or leave col(Rᵀ)",
        bad_scalar,
        "the same setups with every W_ii = c ∈ {1/2, 0, −1/2, 1}: one e-prop step equals one RFLO \
         step with ŵ = c exactly and stays in col(Rᵀ)",
    );
    if let Some(r) = first_bad {
        scalar = scalar.with_reproducer(r);
    }
    Ok(leaves.and(size).and(scalar))
}

/// EDGE-CL-1: Gaussian toy (m = 2, v = 1, fresh samples), strict alternation of one-step phases
/// (P1, T⁺ = T⁻ = 1, π⁺ = ½), weights `ω_z = ½/π^z` (= 1). The threshold η* = 2/ω₋ comes from the
/// statement (ω₋ = 1), not from the weights the run uses, so a wrong weight moves the run's
/// boundary but not the entry's.
fn step_beyond_stable_range(budget: Budget) -> Result<Evidence> {
    use crate::contrastive::Weights;
    use crate::contrastive::edges::{eq3r_step_threshold, negative_step_factor, step_size_run};
    use crate::contrastive::models::gaussian::GaussianToy;
    use crate::contrastive::phases::PhaseProcess;
    use crate::tolerances::{EDGE_CL_DIVERGENCE_BOUND, EDGE_CL_GROWTH_ABS, batch_sigmas_for};
    let toy = GaussianToy::new(2.0, 1.0, 0.0)?;
    let process = PhaseProcess::P1 {
        t_plus: 1,
        t_minus: 1,
    };
    let weights = Weights::inverse_fraction(0.5, 0.5);
    // Exact: the statement's threshold and the factors just below and above it.
    let star = eq3r_step_threshold(&Rational::one());
    let (below, above) = (
        star.clone() - Rational::ratio(1, 16),
        star.clone() + Rational::ratio(1, 16),
    );
    let f_below = negative_step_factor(&below, &Rational::one());
    let f_above = negative_step_factor(&above, &Rational::one());
    let one = Rational::one();
    let wrong = usize::from(f_below.clone() * f_below.clone() >= one)
        + usize::from(f_above.clone() * f_above.clone() <= one);
    let exact = Evidence::exact(
        2,
        "threshold factors on the wrong side of 1",
        wrong,
        format!(
            "rationals: η* = 2/ω₋ = {star}; negative-step factor 1 − ηω₋ = {f_below} at η = {below} \
             and {f_above} at η = {above}"
        ),
    );
    // Just below: the stationary mean over negative steps is m.
    let steps = budget.instances(400_000) as u64;
    let batches = 100;
    let z = batch_sigmas_for(1, batches);
    let eta_below = below.to_f64();
    let run = step_size_run(
        &toy,
        process,
        &weights,
        eta_below,
        steps,
        10_000,
        batches,
        EDGE_CL_DIVERGENCE_BOUND,
        6300,
    )?;
    let zscore = if run.se > 0.0 && run.mean_minus.is_finite() {
        (run.mean_minus - toy.m).abs() / run.se
    } else {
        f64::INFINITY
    };
    let settles = Evidence::error_at_most(
        steps as usize,
        format!("η = {eta_below}: E[θ | −] − m"),
        Measure::ZScore,
        zscore,
        z,
        format!(
            "f64, {steps} steps at η = {eta_below} (factor {:.4}), {batches} batch means after 10⁴ \
             burn-in steps: estimate {:.4} ± {:.4} against m = 2; peak |θ| {:.1}",
            f_below.to_f64(),
            run.mean_minus,
            run.se,
            run.peak
        ),
    )
    .with_reproducer(
        Reproducer::new(0, "f64")
            .seed(6300)
            .size("steps", steps as usize)
            .param("eta", eta_below),
    );
    // Just above: |θ| passes the divergence bound within a few thousand steps.
    let short = 4000;
    let eta_above = above.to_f64();
    let run = step_size_run(
        &toy,
        process,
        &weights,
        eta_above,
        short,
        1000,
        10,
        EDGE_CL_DIVERGENCE_BOUND,
        6301,
    )?;
    let diverged = Evidence::violations(
        1,
        format!("η = {eta_above}: runs that stayed below |θ| = {EDGE_CL_DIVERGENCE_BOUND:e}"),
        usize::from(run.exceeded_at.is_none()),
        format!(
            "f64, {short} steps at η = {eta_above} (factor {:.4}): |θ| passed {EDGE_CL_DIVERGENCE_BOUND:e} at step {}",
            f_above.to_f64(),
            run.exceeded_at
                .map_or_else(|| "never".to_string(), |t| t.to_string())
        ),
    )
    .with_reproducer(
        Reproducer::new(1, "f64")
            .seed(6301)
            .size("steps", short as usize)
            .param("eta", eta_above),
    );
    let predicted = f_above.to_f64().abs();
    let growth = Evidence::measured(
        1,
        format!("η = {eta_above}: measured growth of |θ| per negative step"),
        Measure::Ratio,
        run.growth,
        Bound::Between {
            lo: predicted - EDGE_CL_GROWTH_ABS,
            hi: predicted + EDGE_CL_GROWTH_ABS,
        },
        format!(
            "growth of |θ| per negative step over steps 1000–{short}: measured {:.6}, predicted \
             |1 − ηω₋| = {predicted:.6} from the mean recursion",
            run.growth
        ),
    );
    Ok(exact.and(settles).and(diverged).and(growth))
}

/// EDGE-RNN-3 (`docs/theory/modes.md#forecast`): the per-mode map against the network, aligned and
/// misaligned (`crate::study::drift`).
fn misaligned_drifts(budget: Budget) -> Result<Evidence> {
    use crate::contrastive::stats::slope;
    use crate::study::drift::{self, CURVE};
    use crate::tolerances::{EDGE_DRIFT_SLOPE_ABS, F64_IDENTITY_REL};
    // Exact over Q: T = 3, K = 2 steps at η = 1/8, aligned (ε = 0) and misaligned (ε = 1/8, 1/4).
    let (eta, horizon, steps) = (Rational::ratio(1, 8), 3, 2);
    let pm = drift::per_mode_ratios(&eta, horizon, steps)?;
    let q_repro = |k: usize, eps: &str| {
        Reproducer::new(k, "rational")
            .size("m", drift::TEACHER_W.len())
            .size("T", horizon)
            .size("K", steps)
            .param("eta", "1/8")
            .param("eps", eps)
    };
    let net0 = drift::network_ratios(&Rational::zero(), &eta, horizon, steps)?;
    let mismatches = drift::differences(&net0, &pm)
        .iter()
        .filter(|d| !d.is_zero())
        .count();
    let mut aligned = Evidence::exact(
        steps + 1,
        "steps where the aligned network's L(k)/L(0) differs from the per-mode map's",
        mismatches,
        "over rationals: teacher A* = B* = I, W* = diag(4/5, 1/2, −1/2); aligned student with \
         diagonal (a, b, w) = (1/2, 3/5, 1/5), (2/5, 1/2, −1/10), (3/10, 2/5, 0); expected BPTT \
         updates on the final-step loss, T = 3, η = 1/8, steps 0–2",
    );
    if mismatches > 0 {
        aligned = aligned.with_reproducer(q_repro(0, "0"));
    }
    let (mut exact_misaligned, mut first_exact) = (0usize, None);
    let mut n_mis = 0usize;
    for k in budget.cases(2) {
        let (p, q) = [(1, 8), (1, 4), (1, 2), (3, 8)][k % 4];
        n_mis += 1;
        let net = drift::network_ratios(&Rational::ratio(p, q), &eta, horizon, steps)?;
        if drift::differences(&net, &pm).iter().all(|d| d.is_zero()) {
            exact_misaligned += 1;
            first_exact.get_or_insert_with(|| q_repro(k, &format!("{p}/{q}")));
        }
    }
    let mut counter = Evidence::violations(
        n_mis,
        "misaligned students (ε ∈ {1/8, 1/4, …}, off-diagonal in A, W, B) whose run the per-mode \
         map still reproduces exactly",
        exact_misaligned,
        "the same setup with A, W, B each plus ε E, E the fixed off-diagonal pattern with entries in \
         {−1/2, 0, 1/2}; the per-mode map starts from the same diagonal, so any exact agreement \
         would mean the boundary is not where the theory puts it",
    );
    if let Some(r) = first_exact {
        counter = counter.with_reproducer(r);
    }
    // f64: the drift at ε = 0 is rounding, and grows as ε² (slope fitted over ε ≤ 0.031).
    let curve = drift::drift_curve()?;
    let (eta_f, horizon_f, steps_f) = CURVE;
    let f_repro = |eps: f64| {
        Reproducer::new(0, "f64")
            .size("m", drift::TEACHER_W.len())
            .size("T", horizon_f)
            .size("K", steps_f)
            .param("eta", eta_f)
            .param("eps", eps)
    };
    let at_zero = curve.first().map_or(f64::NAN, |p| p.1);
    let zero = Evidence::error_at_most(
        1,
        "f64 drift max_k |r_net(k) − r_modes(k)| of the aligned run",
        Measure::AbsError,
        at_zero,
        F64_IDENTITY_REL,
        format!(
            "f64, the same teacher and aligned student, T = {horizon_f}, η = {eta_f}, K = {steps_f} \
             steps; r(k) = L(k)/L(0)"
        ),
    )
    .with_reproducer(f_repro(0.0));
    let fit: Vec<(f64, f64)> = curve
        .iter()
        .filter(|(e, d)| *e > 0.0 && *e < 0.05 && *d > 0.0)
        .map(|(e, d)| (e.ln(), d.ln()))
        .collect();
    let (xs, ys): (Vec<f64>, Vec<f64>) = fit.iter().copied().unzip();
    let s = if xs.len() >= 2 {
        slope(&xs, &ys)
    } else {
        f64::NAN
    };
    let largest = curve.last().copied().unwrap_or((f64::NAN, f64::NAN));
    let order = Evidence::measured(
        xs.len(),
        "log–log slope of the f64 drift against ε (derived: 2)",
        Measure::Slope,
        s,
        Bound::Between {
            lo: 2.0 - EDGE_DRIFT_SLOPE_ABS,
            hi: 2.0 + EDGE_DRIFT_SLOPE_ABS,
        },
        format!(
            "least squares over ε ∈ [1e-3, 0.031] ({} points); the drift at the largest ε = {:.2} is \
             {:.2e} (of L(0), as a loss ratio)",
            xs.len(),
            largest.0,
            largest.1
        ),
    )
    .with_reproducer(f_repro(largest.0));
    Ok(aligned.and(counter).and(zero).and(order))
}
