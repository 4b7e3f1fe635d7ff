//! EDGE-CL-1: where Eq.3-R's stationary point stops existing
//! (`docs/theory/contrastive.md#where-it-stops`).
use crate::catalogue::{Bound, Budget, Evidence, Measure, Reproducer};
use crate::error::Result;
use crate::scalar::{Rational, Real};
use num_traits::One;

/// EDGE-CL-1: Gaussian toy (m = 2, v = 1, fresh samples), strict alternation of one-step phases
/// (P1, T⁺ = T⁻ = 1, π⁺ = ½), weights `ω_z = ½/π^z` (= 1). The threshold η* = 2/ω₋ comes from the
/// statement (ω₋ = 1), not from the weights the run uses, so a wrong weight moves the run's
/// boundary but not the entry's.
pub(super) fn step_beyond_stable_range(budget: Budget) -> Result<Evidence> {
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
