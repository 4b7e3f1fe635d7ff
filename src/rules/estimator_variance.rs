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

/// A rule whose gradient alignment is measured against BPTT's ([`family_study`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Member {
    /// UORO, variance-minimising scalars (stochastic).
    Uoro,
    /// KF-RTRL, variance-minimising scalars (stochastic).
    KfRtrl,
    /// Reverse KF-RTRL, variance-minimising scalars (stochastic).
    ReverseKf,
    /// SnAp-1 (deterministic), run as e-prop with symmetric feedback, which it equals per sample
    /// (P-RNN-39).
    Snap1,
    /// RFLO with a random fixed feedback R (entries `N(0, 1/n)`) and ŵ = 1 − α (deterministic).
    Rflo,
    /// e-prop with the same random feedback R (deterministic).
    EpropRandom,
}

impl Member {
    /// Every member, in report order.
    pub const ALL: [Member; 6] = [
        Member::Uoro,
        Member::KfRtrl,
        Member::ReverseKf,
        Member::Snap1,
        Member::Rflo,
        Member::EpropRandom,
    ];
    /// The name used in the report.
    pub fn label(self) -> &'static str {
        match self {
            Member::Uoro => "UORO",
            Member::KfRtrl => "KF-RTRL",
            Member::ReverseKf => "reverse KF-RTRL",
            Member::Snap1 => "SnAp-1",
            Member::Rflo => "RFLO",
            Member::EpropRandom => "e-prop (random R)",
        }
    }
    /// Whether the update depends on random draws (else one update per network).
    pub fn stochastic(self) -> bool {
        matches!(self, Member::Uoro | Member::KfRtrl | Member::ReverseKf)
    }
}

/// One member on one network of one size.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkPoint {
    /// Hidden size n.
    pub n: usize,
    /// Which network of that size (0, 1, …).
    pub network: usize,
    /// Mean over the draws of `‖ΔŴ − ΔW_BPTT‖²/‖ΔW_BPTT‖²` (a deterministic rule: its one value).
    pub rel_sq_error: f64,
    /// Standard error of that mean over the draws (0 for a deterministic rule).
    pub rel_sq_error_se: f64,
    /// Mean over the draws of the cosine between ΔŴ and BPTT's ΔW.
    pub cosine: f64,
}

/// Cosine between two matrices as vectors (0 when either is zero).
fn cosine(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    let den = a.norm() * b.norm();
    if den == 0.0 { 0.0 } else { a.dot(b) / den }
}

/// Every member of [`Member::ALL`] on `networks` seeded networks of each size in `sizes` (the
/// setting of the module docs, network k of size n seeded from `seed + 1000·k + n`): the relative
/// squared error of ΔW against BPTT's (the exact gradient; per sample equal to RTRL's) and the
/// cosine with it, each averaged over `draws` seeded draws for the stochastic members.
pub fn family_study(
    sizes: &[usize],
    networks: usize,
    draws: usize,
    seed: u64,
) -> Result<Vec<(Member, Vec<NetworkPoint>)>> {
    let mut out: Vec<(Member, Vec<NetworkPoint>)> =
        Member::ALL.iter().map(|&m| (m, Vec::new())).collect();
    for &n in sizes {
        for k in 0..networks {
            let net_seed = seed + 1000 * k as u64 + n as u64;
            let (net, xs, ys) = setup(n, net_seed)?;
            let exact = online::update(&Rule::Bptt, &net, &xs, &ys, Loss::Final)?;
            let norm = exact.w.norm_squared();
            let mut rng = ChaCha8Rng::seed_from_u64(net_seed ^ 0xFA_417);
            let r = DMatrix::from_fn(2, n, |_, _| {
                <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng)
                    / (n as f64).sqrt()
            });
            for (member, pts) in out.iter_mut() {
                let one = |dw: &DMatrix<f64>| {
                    ((dw - &exact.w).norm_squared() / norm, cosine(dw, &exact.w))
                };
                let (errs, coss): (Vec<f64>, Vec<f64>) = if member.stochastic() {
                    let signs = if *member == Member::KfRtrl { 2 } else { n };
                    let mut v = Vec::with_capacity(draws);
                    for _ in 0..draws {
                        let nu: Vec<DVector<f64>> = (0..HORIZON)
                            .map(|_| {
                                DVector::from_fn(signs, |_, _| {
                                    if rng.random::<bool>() { 1.0 } else { -1.0 }
                                })
                            })
                            .collect();
                        let update = match member {
                            Member::Uoro => uoro::update,
                            Member::KfRtrl => kf_rtrl::update,
                            _ => super::reverse_kf_rtrl::update,
                        };
                        let up = update(&net, &xs, &ys, Loss::Final, &nu, Scaling::VarianceMin)?;
                        v.push(one(&up.w));
                    }
                    v.into_iter().unzip()
                } else {
                    let rule = match member {
                        // SnAp-1 is e-prop with symmetric feedback, per sample (P-RNN-39); the
                        // trace form costs n² per step where lro's masked SnAp costs n⁴.
                        Member::Snap1 => Rule::Eprop {
                            feedback: super::Feedback::Symmetric,
                        },
                        Member::Rflo => Rule::Rflo {
                            feedback: r.clone(),
                            w_hat: 1.0 - *net.alpha(),
                        },
                        _ => Rule::Eprop {
                            feedback: super::Feedback::Random(r.clone()),
                        },
                    };
                    let up = online::update(&rule, &net, &xs, &ys, Loss::Final)?;
                    let (e, c) = one(&up.w);
                    (vec![e], vec![c])
                };
                let m = errs.len() as f64;
                let mean = errs.iter().sum::<f64>() / m;
                let se = if errs.len() > 1 {
                    (errs.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (m - 1.0) / m).sqrt()
                } else {
                    0.0
                };
                pts.push(NetworkPoint {
                    n,
                    network: k,
                    rel_sq_error: mean,
                    rel_sq_error_se: se,
                    cosine: coss.iter().sum::<f64>() / m,
                });
            }
        }
    }
    Ok(out)
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
