//! Where the contrastive convergence results stop (`docs/theory/contrastive.md#where-it-stops`):
//! Eq.3-R on the Gaussian toy with a constant step beyond the stable range.
//!
//! With fresh negative samples `a ~ N(θ, 1)` and `f = −a`, a negative step is
//! `θ ← θ − η ω₋ a = (1 − η ω₋) θ − η ω₋ ξ` and a positive step adds `η ω₊ a⁺` (no θ in it), so the
//! mean of θ is multiplied by `1 − η ω₋` at every negative step and by 1 at every positive one
//! (`[derived]`). The mean recursion is stable iff `|1 − η ω₋| < 1`, i.e. `0 < η < η* = 2/ω₋`, for
//! any phase process with recurring negative steps; beyond η* the iteration diverges, and the
//! stationary point `E[θ | z = −] = π⁺ω₊m/(π⁻ω₋)` (η-independent below η*) no longer exists.
//!
//! [`LockedStream`]: the same toy fed by a periodic data stream (positive samples from cluster
//! `c_{t mod P}`) under a phase process locked to it (`P(z_t = +) = p_{t mod P}`, independent across
//! steps). Summing the expected increments over one period of the periodic steady state gives
//! `E[θ | −] = ω₊ Σ_t p_t c_t / (ω₋ Σ_t (1 − p_t))` (`[derived]`): the stationary point of the
//! clusters the positive phase happens to see, not of the data's mean m. A phase process
//! independent of the stream (`p_t` constant) sees every cluster equally and lands on the
//! statement's point; strict alternation locked to a period-2 stream lands on one cluster.
use super::Phase;
use super::Weights;
use super::driver::{Rate, run_eq3r};
use super::estimators::eq3r_step;
use super::models::gaussian::GaussianToy;
use super::phases::{PhaseProcess, PhaseSampler};
use super::stats::BatchMeans;
use crate::error::{LroError, Result};
use crate::faults::{self, Fault};
use crate::scalar::Real;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

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

/// A periodic data stream and a phase process locked to it (see the module docs; EDGE-CL-2,
/// `docs/theory/contrastive.md#where-it-stops`).
#[derive(Clone, Debug, PartialEq)]
pub struct LockedStream {
    /// Cluster means `c_0 … c_{P−1}`: the positive sample at step t is `N(c_{t mod P}, v)`.
    pub clusters: Vec<f64>,
    /// Variance `v > 0` of a positive sample around its cluster.
    pub v: f64,
    /// `p_0 … p_{P−1}`: the phase at step t is `+` with probability `p_{t mod P}`, independently.
    pub p_plus: Vec<f64>,
}

impl LockedStream {
    /// A stream; fails unless both lists have the same length P ≥ 1, the values are finite,
    /// `v > 0`, every `p_t ∈ [0, 1]` and both phases occur (`Σ p_t > 0`, `Σ (1 − p_t) > 0`).
    pub fn new(clusters: Vec<f64>, v: f64, p_plus: Vec<f64>) -> Result<Self> {
        if clusters.is_empty() || clusters.len() != p_plus.len() {
            return Err(LroError::InvalidParameter {
                name: "locked stream".into(),
                reason: format!(
                    "need one phase probability per cluster and at least one cluster (got {} \
                     clusters, {} probabilities)",
                    clusters.len(),
                    p_plus.len()
                ),
            });
        }
        if !(v > 0.0 && v.is_finite()) || clusters.iter().any(|c| !c.is_finite()) {
            return Err(LroError::InvalidParameter {
                name: "locked stream".into(),
                reason: "need finite cluster means and a finite variance v > 0".into(),
            });
        }
        if p_plus.iter().any(|p| !(0.0..=1.0).contains(p)) {
            return Err(LroError::InvalidParameter {
                name: "locked stream".into(),
                reason: "every P(z = +) must lie in [0, 1]".into(),
            });
        }
        let plus: f64 = p_plus.iter().sum();
        if plus <= 0.0 || plus >= p_plus.len() as f64 {
            return Err(LroError::InvalidParameter {
                name: "locked stream".into(),
                reason: "both phases must occur: need Σ p_t > 0 and Σ (1 − p_t) > 0".into(),
            });
        }
        Ok(LockedStream {
            clusters,
            v,
            p_plus,
        })
    }

    /// The stream's period P.
    pub fn period(&self) -> usize {
        self.clusters.len()
    }

    /// The fraction of steps in the positive phase, `π⁺ = Σ_t p_t / P`.
    pub fn pi_plus(&self) -> f64 {
        self.p_plus.iter().sum::<f64>() / self.period() as f64
    }

    /// The data's mean m (the clusters' average: every step of the stream counts once).
    pub fn data_mean(&self) -> f64 {
        self.clusters.iter().sum::<f64>() / self.period() as f64
    }
}

/// The clusters `(m + δ, m − δ)` of [`two_cluster_stream`], as fractions: m = 2, δ = 1.
pub const LOCK_CLUSTERS: [(i64, i64); 2] = [(3, 1), (1, 1)];

/// EDGE-CL-2's stream at lock λ: clusters [`LOCK_CLUSTERS`], v = 1, `P(z_t = +) = (λ, 1 − λ)` by
/// parity (π⁺ = ½ for every λ, so the weights ω = 1 are balanced). λ = ½ is independent of the
/// stream; λ = 1 is strict alternation locked to it.
pub fn two_cluster_stream(lambda: f64) -> Result<LockedStream> {
    let clusters = LOCK_CLUSTERS
        .iter()
        .map(|&(p, q)| p as f64 / q as f64)
        .collect();
    LockedStream::new(clusters, 1.0, vec![lambda, 1.0 - lambda])
}

/// EDGE-CL-2's step size η = 1/4 (as a fraction; η* = 2 for ω₋ = 1).
pub const LOCK_ETA: (i64, i64) = (1, 4);
/// Burn-in steps and batch count of [`two_cluster_run`].
pub const LOCK_BURN_BATCHES: (u64, usize) = (1000, 100);

/// One run of EDGE-CL-2's setup at lock λ: [`two_cluster_stream`], balanced weights ω = 1 (π⁺ = ½),
/// η = [`LOCK_ETA`], burn-in and batches [`LOCK_BURN_BATCHES`], `steps` steps from `seed`.
pub fn two_cluster_run(lambda: f64, steps: u64, seed: u64) -> Result<LockedRun> {
    let (burn, batches) = LOCK_BURN_BATCHES;
    locked_run(
        &two_cluster_stream(lambda)?,
        &Weights::inverse_fraction(0.5, 0.5),
        LOCK_ETA.0 as f64 / LOCK_ETA.1 as f64,
        steps,
        burn,
        batches,
        seed,
    )
}

/// The index of the cluster that feeds a positive step at step `t` (fault site
/// `StreamClockLag`: the next step's cluster, a clock one step ahead of the phases).
fn cluster_index(t: usize, period: usize) -> usize {
    if faults::active(Fault::StreamClockLag) {
        (t + 1) % period
    } else {
        t % period
    }
}

/// The derived stationary point of Eq.3-R under a locked stream,
/// `E[θ | −] = ω₊ Σ_t p_t c_t / (ω₋ Σ_t (1 − p_t))` (module docs; `[derived]`), exact over Q.
/// With `p_t = π⁺` for every t it is the statement's `π⁺ω₊m/(π⁻ω₋)`.
pub fn locked_stationary_point<T: Real>(
    clusters: &[T],
    p_plus: &[T],
    w_plus: &T,
    w_minus: &T,
) -> T {
    let seen = clusters
        .iter()
        .zip(p_plus)
        .fold(T::zero(), |s, (c, p)| s + p.clone() * c.clone());
    let minus = p_plus
        .iter()
        .fold(T::zero(), |s, p| s + (T::one() - p.clone()));
    w_plus.clone() * seen / (w_minus.clone() * minus)
}

/// The stationary `E[θ | −]` computed a second way, from the exact mean recursion of the run itself:
/// at step t the mean of θ moves by `p_t` times Eq.3-R's positive step with `f = −c_t` plus
/// `1 − p_t` times its negative step with `f = −θ` (fresh samples `a ~ N(θ, 1)`), each through
/// [`eq3r_step`]. One period is an affine map `θ ↦ αθ + β`; its fixed point `β/(1 − α)`
/// propagated through the period gives `E[θ_t]`, and `E[θ | −] = Σ_t (1 − p_t) E[θ_t] / Σ_t (1 − p_t)`
/// (the phase at t is independent of `θ_t`). Exact over Q; fails unless `|α| < 1`.
pub fn locked_mean_recursion_point<T: Real>(
    clusters: &[T],
    p_plus: &[T],
    weights: &Weights,
    eta: &T,
) -> Result<T> {
    let period = clusters.len();
    if period == 0 || p_plus.len() != period {
        return Err(LroError::InvalidParameter {
            name: "locked stream".into(),
            reason: "need one phase probability per cluster and at least one cluster".into(),
        });
    }
    let step = |t: usize, theta: &T| -> T {
        let mut plus = [theta.clone()];
        eq3r_step(
            &mut plus,
            eta.clone(),
            Phase::Plus,
            weights,
            &[-clusters[cluster_index(t, period)].clone()],
        );
        let mut minus = [theta.clone()];
        eq3r_step(
            &mut minus,
            eta.clone(),
            Phase::Minus,
            weights,
            &[-theta.clone()],
        );
        let [p, m] = [plus, minus].map(|[x]| x);
        p_plus[t].clone() * p + (T::one() - p_plus[t].clone()) * m
    };
    let period_map = |theta: T| (0..period).fold(theta, |th, t| step(t, &th));
    let beta = period_map(T::zero());
    let alpha = period_map(T::one()) - beta.clone();
    if alpha.to_f64().abs() >= 1.0 {
        return Err(LroError::Unsupported(format!(
            "the period map multiplies the mean of θ by {:.4}: no stationary point (step too large)",
            alpha.to_f64()
        )));
    }
    let mut theta = beta / (T::one() - alpha);
    let (mut num, mut den) = (T::zero(), T::zero());
    for (t, p) in p_plus.iter().enumerate() {
        let q = T::one() - p.clone();
        num += q.clone() * theta.clone();
        den += q;
        theta = step(t, &theta);
    }
    Ok(num / den)
}

/// One Eq.3-R run of the Gaussian toy fed by a [`LockedStream`] (fresh negative samples).
#[derive(Clone, Debug, PartialEq)]
pub struct LockedRun {
    /// Batch-means average of θ over negative steps after the burn-in.
    pub mean_minus: f64,
    /// Its standard error (batch means).
    pub se: f64,
}

/// Runs Eq.3-R on the locked `stream` with `weights` at constant `eta` for `steps` steps from
/// θ₀ = 0: at step t the phase is `+` with probability `p_{t mod P}`; a positive sample is
/// `N(c_{t mod P}, v)`, a negative one `N(θ, 1)`; θ is recorded at negative steps after `burn`.
#[allow(clippy::too_many_arguments)]
pub fn locked_run(
    stream: &LockedStream,
    weights: &Weights,
    eta: f64,
    steps: u64,
    burn: u64,
    batches: usize,
    seed: u64,
) -> Result<LockedRun> {
    if !(eta > 0.0 && eta.is_finite()) {
        return Err(LroError::InvalidParameter {
            name: "learning rate".into(),
            reason: "need a finite η > 0".into(),
        });
    }
    let period = stream.period();
    let sd = stream.v.sqrt();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut minus = BatchMeans::doubling(batches);
    let mut theta = [0.0f64];
    for t in 0..steps {
        let k = (t % period as u64) as usize;
        let p = stream.p_plus[k];
        let z = if p >= 1.0 || (p > 0.0 && rng.random::<f64>() < p) {
            Phase::Plus
        } else {
            Phase::Minus
        };
        let xi: f64 = StandardNormal.sample(&mut rng);
        let a = match z {
            Phase::Plus => stream.clusters[cluster_index(k, period)] + sd * xi,
            Phase::Minus => {
                if t >= burn {
                    minus.push(theta[0]);
                }
                theta[0] + xi
            }
        };
        eq3r_step(&mut theta, eta, z, weights, &[-a]);
    }
    let (mean_minus, se) = minus.finish();
    Ok(LockedRun { mean_minus, se })
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

    /// With phases independent of the stream (p_t = π⁺ for every t) the derived point is the
    /// statement's `π⁺ω₊m/(π⁻ω₋)` (computed by the toy's own formula), and so is the mean recursion's.
    #[test]
    fn independent_phases_give_the_statements_point() {
        use crate::contrastive::models::gaussian::eq3r_fixed_point;
        let q = Rational::ratio;
        let clusters = [q(5, 2), q(-1, 3), q(7, 4)];
        let m = (clusters[0].clone() + clusters[1].clone() + clusters[2].clone()) / q(3, 1);
        let pi = q(1, 3);
        let p = [pi.clone(), pi.clone(), pi.clone()];
        let (wp, wm) = (q(3, 2), q(3, 4));
        let derived = locked_stationary_point(&clusters, &p, &wp, &wm);
        assert_eq!(derived, eq3r_fixed_point(&m, &pi, &wp, &wm));
        let w = Weights {
            plus: 1.5,
            minus: 0.75,
        };
        let by_recursion = locked_mean_recursion_point(&clusters, &p, &w, &q(1, 2)).unwrap();
        assert_eq!(by_recursion, derived);
    }

    #[test]
    fn locked_inputs_are_checked() {
        assert!(LockedStream::new(vec![1.0], 1.0, vec![0.5, 0.5]).is_err());
        assert!(LockedStream::new(vec![1.0, 2.0], 0.0, vec![0.5, 0.5]).is_err());
        assert!(LockedStream::new(vec![1.0, 2.0], 1.0, vec![1.0, 1.0]).is_err());
        assert!(LockedStream::new(vec![1.0, 2.0], 1.0, vec![1.5, 0.0]).is_err());
        assert!(LockedStream::new(vec![], 1.0, vec![]).is_err());
        let s = LockedStream::new(vec![3.0, 1.0], 1.0, vec![1.0, 0.0]).unwrap();
        assert_eq!((s.period(), s.pi_plus(), s.data_mean()), (2, 0.5, 2.0));
        // Each step multiplies the mean by 1 − ηω₋/2 here: at η = 5 by −3/2, no stationary point.
        let q = Rational::ratio;
        let err = locked_mean_recursion_point(
            &[q(3, 1), q(1, 1)],
            &[q(1, 2), q(1, 2)],
            &Weights::unit(),
            &q(5, 1),
        );
        assert!(err.is_err());
        assert!(locked_run(&s, &Weights::unit(), f64::NAN, 10, 0, 2, 1).is_err());
    }
}
