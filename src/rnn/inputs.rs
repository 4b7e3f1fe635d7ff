//! Seeded input sequences `x_0 … x_{T-1}`.
//!
//! Every expectation in the theory depends on the input only through `E[x_t x_sᵀ] = δ_ts I`, so any
//! i.i.d. zero-mean, unit-variance input gives the same expected losses and updates. Gaussian white
//! noise matches the theory; Rademacher (±1) inputs are rational-valued for exact runs.
use crate::scalar::Real;
use nalgebra::DVector;
use rand::Rng;
use rand_distr::StandardNormal;

/// An input (or target) sequence; element t is the vector at step t.
pub type Sequence<T> = Vec<DVector<T>>;

/// Gaussian white noise `x_t ~ N(0, I_d)`, i.i.d. over t, as f64.
pub fn white_noise<R: Rng + ?Sized>(d: usize, horizon: usize, rng: &mut R) -> Sequence<f64> {
    (0..horizon)
        .map(|_| DVector::from_fn(d, |_, _| rng.sample::<f64, _>(StandardNormal)))
        .collect()
}

/// Rademacher white noise: each entry ±1 with probability ½ (zero mean, unit variance, rational).
pub fn rademacher<R: Rng + ?Sized>(d: usize, horizon: usize, rng: &mut R) -> Sequence<f64> {
    (0..horizon)
        .map(|_| DVector::from_fn(d, |_, _| if rng.random::<bool>() { 1.0 } else { -1.0 }))
        .collect()
}

/// Converts a sequence entrywise (exactly, for rationals).
pub fn cast<T: Real>(xs: &[DVector<f64>]) -> Sequence<T> {
    xs.iter().map(|x| x.map(T::from_f64)).collect()
}
