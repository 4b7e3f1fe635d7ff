//! Where the contrastive convergence results stop (`docs/theory/contrastive.md#where-it-stops`):
//! Eq.3-R on the Gaussian toy with a constant step beyond the stable range.
//!
//! With fresh negative samples `a ~ N(θ, 1)` and `f = −a`, a negative step is
//! `θ ← θ − η ω₋ a = (1 − η ω₋) θ − η ω₋ ξ` and a positive step adds `η ω₊ a⁺` (no θ in it), so the
//! mean of θ is multiplied by `1 − η ω₋` at every negative step and by 1 at every positive one
//! (`[derived]`). The mean recursion is stable iff `|1 − η ω₋| < 1`, i.e. `0 < η < η* = 2/ω₋`, for
//! any phase process with recurring negative steps; beyond η* the iteration diverges, and the
//! stationary point `E[θ | z = −] = π⁺ω₊m/(π⁻ω₋)` (η-independent below η*) no longer exists.
use super::Weights;
use super::driver::{Rate, run_eq3r};
use super::models::gaussian::GaussianToy;
use super::phases::{PhaseProcess, PhaseSampler};
use super::stats::BatchMeans;
use crate::error::{LroError, Result};
use crate::scalar::Real;

/// The exact step-size threshold `η* = 2/ω₋` of the mean recursion (see the module docs).
pub fn eq3r_step_threshold<T: Real>(w_minus: &T) -> T {
    T::from_i64(2) / w_minus.clone()
}

/// The factor `1 − η ω₋` by which one negative step multiplies the mean of θ.
pub fn negative_step_factor<T: Real>(eta: &T, w_minus: &T) -> T {
    T::one() - eta.clone() * w_minus.clone()
}

/// One constant-step Eq.3-R run of the Gaussian toy (fresh samples), θ₀ = 0, state a₀ = m.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRun {
    /// Batch-means average of θ over negative steps after the burn-in.
    pub mean_minus: f64,
    /// Its standard error (batch means).
    pub se: f64,
    /// Largest |θ| seen (infinite or NaN once the run overflowed).
    pub peak: f64,
    /// The first step at which |θ| exceeded `bound` (or was not finite), if any.
    pub exceeded_at: Option<u64>,
    /// The measured factor of |θ| per negative step after the burn-in,
    /// `(|θ_last| / |θ_first|)^(1/N)` over the N negative steps between the first and the last finite
    /// θ seen after the burn-in (1 when fewer than two were seen). The mean recursion predicts
    /// `|1 − η ω₋|` once θ is large against the noise.
    pub growth: f64,
}

/// Runs Eq.3-R on `toy` under `process` with `weights` at constant `eta` for `steps` steps (see
/// [`StepRun`]); `bound` is the |θ| counted as divergence.
#[allow(clippy::too_many_arguments)]
pub fn step_size_run(
    toy: &GaussianToy,
    process: PhaseProcess,
    weights: &Weights,
    eta: f64,
    steps: u64,
    burn: u64,
    batches: usize,
    bound: f64,
    seed: u64,
) -> Result<StepRun> {
    if toy.rho != 0.0 {
        return Err(LroError::Unsupported(
            "step_size_run's threshold needs fresh negative samples (ρ = 0)".into(),
        ));
    }
    let mut sampler = PhaseSampler::new(process, seed)?;
    let mut minus = BatchMeans::doubling(batches);
    let (mut peak, mut exceeded_at) = (0.0f64, None);
    // (negative steps so far, ln|θ|) at the first and the last finite θ after the burn-in
    let mut negs = 0u64;
    let mut first: Option<(u64, f64)> = None;
    let mut last: Option<(u64, f64)> = None;
    run_eq3r(
        toy,
        &mut sampler,
        weights,
        Rate::Constant(eta),
        &[0.0],
        &toy.m,
        steps,
        seed ^ 0x5A5A,
        |v| {
            let th = v.theta[0];
            if !th.is_finite() || th.abs() > bound {
                exceeded_at.get_or_insert(v.t);
            }
            peak = if th.is_finite() {
                peak.max(th.abs())
            } else {
                f64::INFINITY
            };
            if v.t >= burn && v.z == super::Phase::Minus {
                minus.push(th);
            }
            if v.t >= burn && th.is_finite() && th != 0.0 {
                let point = (negs, th.abs().ln());
                first.get_or_insert(point);
                last = Some(point);
            }
            if v.z == super::Phase::Minus {
                negs += 1;
            }
        },
    )?;
    let (mean_minus, se) = minus.finish();
    let growth = match (first, last) {
        (Some((n0, l0)), Some((n1, l1))) if n1 > n0 => ((l1 - l0) / (n1 - n0) as f64).exp(),
        _ => 1.0,
    };
    Ok(StepRun {
        growth,
        mean_minus,
        se,
        peak,
        exceeded_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::Rational;
    use num_traits::{One, Zero};

    #[test]
    fn threshold_is_where_the_negative_factor_reaches_minus_one() {
        let w = Rational::ratio(4, 3);
        let star = eq3r_step_threshold(&w);
        assert_eq!(star, Rational::ratio(3, 2));
        assert_eq!(negative_step_factor(&star, &w), -Rational::one());
        assert_eq!(
            negative_step_factor(&Rational::ratio(3, 4), &w),
            Rational::zero()
        );
    }
}
