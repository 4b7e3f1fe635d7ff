//! Measurements behind the contrastive checks: simulated phase fractions and correlations, κ from
//! Euler simulations with Richardson extrapolation, κ_eff with random lengths, EP and CHL error laws,
//! and the exact mean recursion of the Gaussian toy. The catalogue compares these with the theory
//! (see `docs/theory/contrastive.md`).
use super::Phase;
use super::Weights;
use super::models::chl::ChlTwoLayer;
use super::models::ep_hopfield::Hopfield;
use super::models::ep_quadratic::{EpQuadratic, alternating_phase_means, random_length_cycles};
use super::models::gaussian::GaussianToy;
use super::phases::{PhaseProcess, PhaseSampler};
use super::stats::{BatchMeans, log_log_slope, mean, variance, worse};
use crate::error::Result;
use crate::gradcheck::dual_gradient;
use crate::scalar::{Dual, Rational, Real};
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Simulated time fraction of a phase process over `cycles` renewal cycles, with the process's own
/// renewal-reward standard error. Returns `(π̂⁺, se)`.
pub fn simulated_fraction(process: PhaseProcess, cycles: usize, seed: u64) -> Result<(f64, f64)> {
    let mut s = PhaseSampler::new(process, seed)?;
    let (mut plus, mut total) = (0u64, 0u64);
    let per_cycle = if matches!(process, PhaseProcess::P3 { .. }) {
        1
    } else {
        2
    };
    for _ in 0..cycles * per_cycle {
        let r = s.next_run();
        total += r.len;
        if r.phase == Phase::Plus {
            plus += r.len;
        }
    }
    let se = (process.fraction_variance_per_cycle() / cycles as f64).sqrt();
    Ok((plus as f64 / total as f64, se))
}

/// Batch-means estimate of `E[σ_t σ_{t+lag}]` from a run of phases, with its standard error.
pub fn sigma_product_mean(steps: &[Phase], lag: usize, batches: usize) -> (f64, f64) {
    let mut acc = BatchMeans::with_len(steps.len().saturating_sub(lag) as u64, batches);
    for (a, b) in steps.iter().zip(steps.get(lag..).unwrap_or(&[])) {
        acc.push(a.sigma() * b.sigma());
    }
    acc.finish()
}

/// κ measured from a simulation: the component of `s̄⁺ − s̄⁻` along `D = s^β − s⁰`, and the norm
/// of the orthogonal remainder relative to `‖D‖`.
pub fn kappa_measured(
    toy: &EpQuadratic<f64>,
    beta: f64,
    dt: f64,
    n_plus: u32,
    n_minus: u32,
) -> Result<(f64, f64)> {
    let (sp, sm) = alternating_phase_means(toy, &beta, &dt, n_plus, n_minus)?;
    let d = toy.s_nudged(&beta) - toy.s_free();
    let diff = sp - sm;
    let k = diff.dot(&d) / d.dot(&d);
    let orth = (&diff - &d * k).norm() / d.norm();
    Ok((k, orth))
}

/// κ from Euler simulations of alternating relaxation (phase lengths `t_plus`, `t_minus` in time
/// units) at `dt = 1/(base_steps · 2^l)`, `l = 0..levels`: returns the measured κ per level and
/// the largest orthogonal remainder (see [`kappa_measured`]).
pub fn kappa_euler_levels(
    toy: &EpQuadratic<f64>,
    beta: f64,
    t_plus: f64,
    t_minus: f64,
    base_steps: f64,
    levels: usize,
) -> Result<(Vec<f64>, f64)> {
    let mut ks = Vec::with_capacity(levels);
    let mut worst_orth: f64 = 0.0;
    for l in 0..levels {
        let steps_per_unit = base_steps * 2f64.powi(l as i32);
        let (k, orth) = kappa_measured(
            toy,
            beta,
            1.0 / steps_per_unit,
            (t_plus * steps_per_unit).round() as u32,
            (t_minus * steps_per_unit).round() as u32,
        )?;
        ks.push(k);
        worst_orth = worse(worst_orth, orth);
    }
    Ok((ks, worst_orth))
}

/// Richardson extrapolation of a first-order sequence measured at step sizes halving per level:
/// `R_l = 2 v_{l+1} − v_l` removes the O(dt) term, leaving O(dt²). Returns the observed orders
/// `log₂(|R_l − target| / |R_{l+1} − target|)` (2 when `target` is the true limit; near 0 when
/// `target` is off by more than the remaining O(dt²) gap).
pub fn richardson_orders(values: &[f64], target: f64) -> Vec<f64> {
    let gaps: Vec<f64> = values
        .windows(2)
        .map(|w| (2.0 * w[1] - w[0] - target).abs())
        .collect();
    gaps.windows(2).map(|g| (g[0] / g[1]).log2()).collect()
}

/// `κ_eff` with continuous uniform lengths on `[μ/2, 3μ/2]` over `cycles` cycles, and its
/// batch-means standard error (100 batches of cycles, ratio estimator per batch).
pub fn kappa_eff(mu: f64, k_plus: f64, k_minus: f64, cycles: usize, seed: u64) -> (f64, f64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let lens: Vec<(f64, f64)> = (0..cycles)
        .map(|_| {
            (
                mu * rng.random_range(0.5..1.5),
                mu * rng.random_range(0.5..1.5),
            )
        })
        .collect();
    let cyc = random_length_cycles(k_plus, k_minus, lens.into_iter());
    let batches = 100;
    let per = cyc.len() / batches;
    let ks: Vec<f64> = (0..batches)
        .map(|i| {
            let c = &cyc[i * per..(i + 1) * per];
            let s = |j: usize| c.iter().map(|v| v[j]).sum::<f64>();
            s(0) / s(1) - s(2) / s(3)
        })
        .collect();
    (mean(&ks), (variance(&ks) / batches as f64).sqrt())
}

/// Hopfield EP measurements: `(|d/dβ ∂E/∂θ(u^β) − ∇L|∞ / |∇L|∞, one-sided slope, symmetric
/// slope)`, the slopes being log–log slopes of the estimate errors over β = 0.04 … 0.0025.
pub fn hopfield_ep_measure(net: &Hopfield, theta: &[f64]) -> Result<(f64, f64, f64)> {
    let (dt, steps) = (0.1, 400);
    // LHS: d/dβ at 0 by dual numbers through the Newton-polished equilibrium.
    let th_d: Vec<Dual<f64>> = theta.iter().map(|v| Dual::constant(*v)).collect();
    let u = net.equilibrium(&th_d, &Dual::variable(0.0), dt, steps)?;
    let lhs: Vec<f64> = net.de_dtheta(&u).iter().map(|v| v.eps).collect();
    // RHS: ∇L by dual numbers in θ (an independent implicit differentiation).
    let rhs = dual_gradient(theta, |t| net.loss(t, dt, steps))?;
    let scale = rhs.iter().fold(0.0, |m, v| worse(m, v.abs()));
    let rel = lhs
        .iter()
        .zip(&rhs)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, worse)
        / scale;
    let betas = [0.04, 0.02, 0.01, 0.005, 0.0025];
    let err = |est: Vec<f64>| {
        est.iter()
            .zip(&rhs)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let (mut e1, mut e2) = (Vec::new(), Vec::new());
    for &bt in &betas {
        e1.push(err(net.ep_one_sided(theta, bt, dt, steps)?));
        e2.push(err(net.ep_symmetric(theta, bt, dt, steps)?));
    }
    Ok((rel, log_log_slope(&betas, &e1), log_log_slope(&betas, &e2)))
}

/// Relative Frobenius errors of the two-layer CHL estimates at γ against `−∂L/∂W1`, `−∂L/∂W2`
/// (exact over Q, reported in f64).
pub fn chl_rel_errors(net: &ChlTwoLayer<Rational>, gamma: &Rational) -> Result<(f64, f64)> {
    let e = net.estimates(gamma)?;
    let rel = |a: &DMatrix<Rational>, b: &DMatrix<Rational>| {
        let sq = |m: &DMatrix<Rational>| {
            m.iter()
                .fold(Rational::from_i64(0), |s, v| s + v.clone() * v.clone())
        };
        (sq(&(a - b)).to_f64() / sq(b).to_f64()).sqrt()
    };
    Ok((rel(&e.g1, &e.neg_grad1), rel(&e.g2, &e.neg_grad2)))
}

/// Exact mean recursion of Eq.3-R on the Gaussian toy with the AR(1) negative phase along a
/// deterministic phase sequence (means propagate linearly; the noise has mean zero). Returns
/// `E[θ_t]` for every t.
pub fn gaussian_mean_path(
    toy: &GaussianToy,
    phases: &[Phase],
    w: &Weights,
    eta: f64,
    theta0: f64,
    a0: f64,
) -> Vec<f64> {
    let (mut th, mut a) = (theta0, a0);
    let mut out = Vec::with_capacity(phases.len());
    for (t, z) in phases.iter().enumerate() {
        out.push(th);
        th -= eta * z.sigma() * w.of(*z) * (-a);
        if let Some(zn) = phases.get(t + 1) {
            a = match zn {
                Phase::Plus => toy.m,
                Phase::Minus => th + toy.rho * (a - th),
            };
        }
    }
    out
}
