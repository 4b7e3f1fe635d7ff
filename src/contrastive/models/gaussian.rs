//! The Gaussian exponential-family toy (`docs/theory/contrastive.md#toys`, `[derived]`): model `N(θ, 1)`, data
//! `N(m, v)`, energy `E(a, θ) = a²/2 − θa`, statistic `f = ∂E/∂θ = −a`, so `g⁺ = −m`, `g⁻ = −θ`,
//! `Δ = θ − m`, stationary point `θ* = m`.
//!
//! The negative phase is either fresh samples `N(θ, 1)` (ρ = 0) or the exact AR(1)/OU chain
//! `a' = θ + ρ(a − θ) + √(1 − ρ²) ξ` started from the inherited state.
use crate::contrastive::Phase;
use crate::contrastive::driver::ClModel;
use crate::error::{LroError, Result};
use crate::scalar::Real;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// The Gaussian toy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GaussianToy {
    /// Data mean m.
    pub m: f64,
    /// Data variance v > 0.
    pub v: f64,
    /// AR(1) coefficient ρ ∈ [0, 1) of the negative phase (0: fresh samples).
    pub rho: f64,
}

impl GaussianToy {
    /// A toy; fails unless `v > 0` and `0 ≤ ρ < 1`.
    pub fn new(m: f64, v: f64, rho: f64) -> Result<Self> {
        if !(v > 0.0 && v.is_finite() && m.is_finite()) {
            return Err(LroError::OutOfDomain {
                name: "data variance v".into(),
                value: v,
                reason: "need a finite m and a finite v > 0".into(),
            });
        }
        if !(0.0..1.0).contains(&rho) {
            return Err(LroError::OutOfDomain {
                name: "rho".into(),
                value: rho,
                reason: "the AR(1) coefficient must lie in [0, 1)".into(),
            });
        }
        Ok(GaussianToy { m, v, rho })
    }
}

impl ClModel for GaussianToy {
    type State = f64;
    fn dim(&self) -> usize {
        1
    }
    fn stat(&self, a: &f64, _theta: &[f64]) -> Vec<f64> {
        vec![-a]
    }
    fn stat_into(&self, a: &f64, _theta: &[f64], out: &mut [f64]) {
        out[0] = -a;
    }
    fn step(&self, a: &f64, theta: &[f64], z: Phase, rng: &mut ChaCha8Rng) -> f64 {
        let xi: f64 = StandardNormal.sample(rng);
        match z {
            Phase::Plus => self.m + self.v.sqrt() * xi,
            Phase::Minus => {
                theta[0] + self.rho * (a - theta[0]) + (1.0 - self.rho * self.rho).sqrt() * xi
            }
        }
    }
}

/// Fixed point of the Eq.3-R mean field, `θ* = π⁺ω_+ m/(π⁻ω_−)` (`docs/theory/contrastive.md#gaussian-toy`); also the exact
/// stationary conditional mean `E[θ_t | z_t = −]` at any constant η for fresh negative samples.
pub fn eq3r_fixed_point<T: Real>(m: &T, pi_plus: &T, w_plus: &T, w_minus: &T) -> T {
    pi_plus.clone() * w_plus.clone() * m.clone() / ((T::one() - pi_plus.clone()) * w_minus.clone())
}

/// Per-step IS noise second moment at `θ = m`: `V(p) = (m² + v)/p + (m² + 1)/(1 − p)`.
pub fn is_noise_second_moment<T: Real>(m: &T, v: &T, p: &T) -> T {
    let m2 = m.clone() * m.clone();
    (m2.clone() + v.clone()) / p.clone() + (m2 + T::one()) / (T::one() - p.clone())
}

/// The exact stationary variance of θ under per-step IS with constant η and fresh samples,
/// `ηV(p)/(2 − η/(1 − p))` (derived for this project; the theory's `ηV/(2 − η)` is its
/// approximation, see P-CL-14), valid for `η < 2(1 − p)`.
pub fn is_stationary_variance_exact<T: Real>(m: &T, v: &T, p: &T, eta: &T) -> T {
    let two = T::from_i64(2);
    eta.clone() * is_noise_second_moment(m, v, p) / (two - eta.clone() / (T::one() - p.clone()))
}

/// One step of the exact second-moment recursion of `u = θ − m` under per-step IS with fresh
/// samples: `(E u, E u²) ↦ ((1 − η) E u, (1 − 2η + η²/(1 − p)) E u² + η²(V + 2m E u/(1−p)))`.
/// (Derived from `E[G | θ] = u` and `E[G² | θ] = (m² + v)/p + (θ² + 1)/(1 − p)`.)
pub fn is_moment_step(m: f64, v: f64, p: f64, eta: f64, mean_u: f64, msq_u: f64) -> (f64, f64) {
    let vv = is_noise_second_moment(&m, &v, &p);
    let q = 1.0 - p;
    let new_mean = (1.0 - eta) * mean_u;
    let new_msq =
        (1.0 - 2.0 * eta + eta * eta / q) * msq_u + eta * eta * (vv + 2.0 * m * mean_u / q);
    (new_mean, new_msq)
}

/// `c_T = (1 − ρ^T)/((1 − ρ) T)`: the transient weight of the mean of `a_0 … a_{T−1}` of the
/// AR(1) chain started at `a_0` (`docs/theory/contrastive.md#ar1`). For ρ = 0 it is `1/T`.
pub fn c_t<T: Real>(rho: &T, t: u32) -> T {
    (T::one() - rho.powi(t)) / ((T::one() - rho.clone()) * T::from_i64(t as i64))
}

/// The exact mean of `a_0 … a_{T−1}` of the AR(1) chain, by summing the mean recursion
/// `E a_{k+1} = θ + ρ(E a_k − θ)`: an independent computation to check [`c_t`] against.
pub fn ar1_phase_mean_by_recursion<T: Real>(theta: &T, rho: &T, a0: &T, t: u32) -> T {
    let mut e = a0.clone();
    let mut sum = T::zero();
    for _ in 0..t {
        sum += e.clone();
        e = theta.clone() + rho.clone() * (e - theta.clone());
    }
    sum / T::from_i64(t as i64)
}
