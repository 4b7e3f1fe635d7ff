//! The variance of the unbiased RTRL estimators (UORO, KF-RTRL) against the network size, measured
//! (`docs/theory/linear-rnn.md#estimator-variance`, `[derived, unchecked]` for the setting).
//!
//! For a network of n units, its one input sequence and targets, the relative variance of an
//! estimator's recurrent update is `E‖ΔŴ − ΔW_RTRL‖²_F / ‖ΔW_RTRL‖²_F`, estimated by the mean over
//! seeded draws, with its standard error. Networks: linear (leak ½), `W` with i.i.d. entries
//! `N(0, 0.8²/n)` (spectral radius near 0.8), `B`, `A` with entries `N(0, 1/n)` and `N(0, 1/n)`,
//! d = o = 2, T = 10, inputs and targets `N(0, 1)`, final-step loss.
use super::uoro::Scaling;
use super::{Loss, Rule, kf_rtrl, online, uoro};
use crate::error::Result;
use crate::rnn::Rnn;
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// An estimator whose variance is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Estimator {
    /// UORO with the variance-minimising scalars.
    Uoro,
    /// KF-RTRL with the variance-minimising scalars.
    KfRtrl,
}

/// One measured point.
#[derive(Clone, Debug, PartialEq)]
pub struct VariancePoint {
    /// Hidden size n.
    pub n: usize,
    /// Mean relative squared error of ΔW over the draws.
    pub rel_var: f64,
    /// Its standard error.
    pub se: f64,
}

const HORIZON: usize = 10;

/// A network with one input sequence and its targets.
type Case = (Rnn<f64>, Vec<DVector<f64>>, Vec<DVector<f64>>);

/// The network, inputs and targets of size n (seeded).
fn setup(n: usize, seed: u64) -> Result<Case> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut g = |rows: usize, cols: usize, sd: f64| {
        DMatrix::from_fn(rows, cols, |_, _| {
            sd * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng)
        })
    };
    let (o, d) = (2, 2);
    let scale = 1.0 / (n as f64).sqrt();
    let w = g(n, n, 0.8 * scale);
    let b = g(n, d, 1.0);
    let a = g(o, n, scale);
    let xs: Vec<DVector<f64>> = (0..HORIZON)
        .map(|_| g(d, 1, 1.0).column(0).into())
        .collect();
    let ys: Vec<DVector<f64>> = (0..HORIZON)
        .map(|_| g(o, 1, 1.0).column(0).into())
        .collect();
    Ok((Rnn::new(a, w, b)?.with_leak(0.5)?, xs, ys))
}

/// Relative variance of `est` at each size in `sizes`, from `draws` seeded draws per size.
pub fn measure(
    est: Estimator,
    sizes: &[usize],
    draws: usize,
    seed: u64,
) -> Result<Vec<VariancePoint>> {
    sizes
        .iter()
        .map(|&n| {
            let (net, xs, ys) = setup(n, seed + n as u64)?;
            let exact = online::update(&Rule::Rtrl, &net, &xs, &ys, Loss::Final)?;
            let norm = exact.w.norm_squared();
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xD1CE ^ n as u64);
            let signs = match est {
                Estimator::Uoro => n,
                Estimator::KfRtrl => 2,
            };
            let mut errs = Vec::with_capacity(draws);
            for _ in 0..draws {
                let nu: Vec<DVector<f64>> = (0..HORIZON)
                    .map(|_| {
                        DVector::from_fn(
                            signs,
                            |_, _| if rng.random::<bool>() { 1.0 } else { -1.0 },
                        )
                    })
                    .collect();
                let up = match est {
                    Estimator::Uoro => {
                        uoro::update(&net, &xs, &ys, Loss::Final, &nu, Scaling::VarianceMin)?
                    }
                    Estimator::KfRtrl => {
                        kf_rtrl::update(&net, &xs, &ys, Loss::Final, &nu, Scaling::VarianceMin)?
                    }
                };
                errs.push((&up.w - &exact.w).norm_squared() / norm);
            }
            let m = errs.len() as f64;
            let mean = errs.iter().sum::<f64>() / m;
            let var = errs.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (m - 1.0).max(1.0);
            Ok(VariancePoint {
                n,
                rel_var: mean,
                se: (var / m).sqrt(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[ignore = "measurement; prints the variance table"]
    fn print_variance_table() {
        for est in [Estimator::Uoro, Estimator::KfRtrl] {
            let pts = measure(est, &[4, 8, 16, 32, 64], 400, 11).unwrap();
            for p in pts {
                println!("{est:?} n = {}: {:.4e} ± {:.2e}", p.n, p.rel_var, p.se);
            }
        }
    }
}
