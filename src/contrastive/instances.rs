//! Random instances for the contrastive checks: small rationals and rational matrices, random
//! Boltzmann machines, Hopfield networks and EP toys. Each check derives an instance's generator
//! from its index with [`instance_rng`], so that any instance can be rerun alone.
use crate::contrastive::models::boltzmann::Boltzmann;
use crate::contrastive::models::ep_hopfield::{Hopfield, n_params as hop_params};
use crate::contrastive::models::ep_quadratic::{EpCoupled, EpQuadratic};
use crate::error::Result;
use crate::scalar::{Rational, Real};
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

type Q = Rational;

/// The seed of instance `k` of a check whose seeds start at `base`.
pub fn instance_seed(base: u64, k: usize) -> u64 {
    base.wrapping_mul(1_000_003).wrapping_add(k as u64)
}

/// The generator of instance `k` of a check whose seeds start at `base` (seeded with
/// [`instance_seed`]).
pub fn instance_rng(base: u64, k: usize) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(instance_seed(base, k))
}

/// The rational `n/d`.
pub fn q(n: i64, d: i64) -> Q {
    Q::ratio(n, d)
}

/// A random small rational `n/d`, `|n| ≤ 9`, `1 ≤ d ≤ 5`.
pub fn rand_q(rng: &mut ChaCha8Rng) -> Q {
    q(rng.random_range(-9..=9), rng.random_range(1..=5))
}

/// A random rational matrix with small entries (see [`rand_q`]).
pub fn rand_qmat(rng: &mut ChaCha8Rng, r: usize, c: usize) -> DMatrix<Q> {
    DMatrix::from_fn(r, c, |_, _| rand_q(rng))
}

/// A random rational vector with small entries (see [`rand_q`]).
pub fn rand_qvec(rng: &mut ChaCha8Rng, n: usize) -> Vec<Q> {
    (0..n).map(|_| rand_q(rng)).collect()
}

/// `‖v‖²`, generic (exact over rationals).
pub fn norm_sq<T: Real>(v: &[T]) -> T {
    v.iter().fold(T::zero(), |s, x| s + x.clone() * x.clone())
}

/// `a − b` elementwise.
pub fn sub<T: Real>(a: &[T], b: &[T]) -> Vec<T> {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.clone() - y.clone())
        .collect()
}

/// A random Boltzmann machine (`n` units, `n_v` visible) with `|θ| ≤ 1` and a random data
/// distribution with full support.
pub fn rand_bm(rng: &mut ChaCha8Rng, n: usize, n_v: usize) -> Result<(Boltzmann, Vec<f64>)> {
    let raw: Vec<f64> = (0..1 << n_v).map(|_| rng.random_range(0.1..1.0)).collect();
    let tot: f64 = raw.iter().sum();
    let bm = Boltzmann::new(n, n_v, raw.iter().map(|v| v / tot).collect())?;
    let theta = (0..bm.n_params())
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    Ok((bm, theta))
}

/// A random weakly coupled 4-unit Hopfield network with 2 outputs and parameters
/// (`|W| ≤ 0.4`, `|b| ≤ 0.5`, `|y| ≤ 0.8`).
pub fn rand_hopfield(rng: &mut ChaCha8Rng) -> (Hopfield, Vec<f64>) {
    let n = 4;
    let net = Hopfield {
        n,
        n_out: 2,
        y: vec![rng.random_range(-0.8..0.8), rng.random_range(-0.8..0.8)],
    };
    let nb = n * (n - 1) / 2;
    let theta = (0..hop_params(n))
        .map(|i| {
            if i < nb {
                rng.random_range(-0.4..0.4)
            } else {
                rng.random_range(-0.5..0.5)
            }
        })
        .collect();
    (net, theta)
}

/// A random quadratic EP toy over Q with `m, n ≤ 3`.
pub fn rand_ep_toy(rng: &mut ChaCha8Rng) -> Result<EpQuadratic<Q>> {
    let (m, n) = (rng.random_range(1..=3), rng.random_range(1..=3));
    EpQuadratic::new(
        rand_qmat(rng, m, n),
        rand_qmat(rng, n, 1),
        rand_qmat(rng, m, 1),
    )
}

/// A random coupled EP model over Q with `H = AᵀA + I` (symmetric positive definite), `m ≤ 3`.
pub fn rand_coupled(rng: &mut ChaCha8Rng) -> EpCoupled<Q> {
    let (m, n) = (rng.random_range(2..=3), rng.random_range(1..=3));
    let a = rand_qmat(rng, m, m);
    let h = a.transpose() * &a + DMatrix::<Q>::identity(m, m);
    EpCoupled {
        h,
        v: rand_qmat(rng, m, n),
        x: rand_qmat(rng, n, 1),
        y: rand_qmat(rng, m, 1),
    }
}
