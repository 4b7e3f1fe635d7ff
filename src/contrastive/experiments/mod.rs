//! The phase-flexible convergence experiments (CL-T2, P-CL-13, P-CL-18), shared
//! by the catalogue, the tests and the summary snapshot. Settings are chosen by the project.
use super::driver::{ClModel, PhaseStatistic, Rate, run_eq2r, run_eq3r, run_isr};
use super::models::boltzmann::{Boltzmann, newton_zero, transient_phase_stats};
use super::models::gaussian::GaussianToy;
use super::phases::{LengthDist, PhaseProcess, PhaseSampler};
use super::stats::{BatchMeans, batch_estimate};
use super::{Phase, Weights};
use crate::error::{LroError, Result};
use crate::tolerances::{CL_NEWTON_FD_STEP, CL_NEWTON_RESIDUAL};
use nalgebra::{DMatrix, DVector};

mod summary;
pub use summary::{SummaryRow, summary_rows, summary_table};

/// The outcome of one convergence run against its prediction.
///
/// The prediction is supplied by the caller and derived independently of the weights the run
/// uses (from the statement's weights, or the balance condition), so that a bug in the weights
/// moves the run but not the point it is held to.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The estimate of where the iterates settle (a tail average; see the producing function).
    pub estimate: Vec<f64>,
    /// The reference point: the standard estimator's solution (`m`, or the ML point).
    pub reference: Vec<f64>,
    /// The predicted point the iterates should settle at.
    pub prediction: Vec<f64>,
    /// `‖estimate − reference‖∞`: how far the run ends from the standard solution.
    pub error: f64,
    /// The predicted bias `‖prediction − reference‖∞` (0 when the prediction is the reference).
    pub predicted_bias: f64,
    /// How far the estimate is from the prediction, as a fraction of the allowance, worst
    /// coordinate: `max_i |estimate_i − prediction_i| / allowance_i` (≤ 1 passes).
    pub deviation: f64,
    /// The largest per-coordinate allowance (statistical and step-size), for display.
    pub allowance: f64,
}

impl Outcome {
    /// Whether the estimate lies within its allowance of the prediction in every coordinate.
    pub fn passed(&self) -> bool {
        self.deviation <= 1.0
    }

    fn new(
        estimate: Vec<f64>,
        reference: Vec<f64>,
        prediction: Vec<f64>,
        allowance: &[f64],
    ) -> Self {
        let deviation = estimate
            .iter()
            .zip(&prediction)
            .zip(allowance)
            .map(|((e, p), a)| (e - p).abs() / a)
            .fold(0.0, super::stats::worse);
        Outcome {
            error: max_abs_diff(&estimate, &reference),
            predicted_bias: max_abs_diff(&prediction, &reference),
            allowance: allowance.iter().cloned().fold(0.0, super::stats::worse),
            deviation,
            estimate,
            reference,
            prediction,
        }
    }
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, super::stats::worse)
}

/// Gaussian toy with fresh negative-phase samples under Eq.3-R with weights `w` and constant η.
///
/// Estimate: the batch-means average of `θ_t` over the negative-phase steps after `burn` steps.
/// Prediction `target`, from the caller: for fresh samples `E[θ | z = −] = π⁺ω_+ m/(π⁻ω_−)` exactly
/// at any constant η ([`eq3r_fixed_point`](super::models::gaussian::eq3r_fixed_point)), which is `m` for balanced weights. Allowance: `z`
/// batch-means standard errors (`batches` batches).
#[allow(clippy::too_many_arguments)]
pub fn gaussian_flex(
    toy: &GaussianToy,
    process: PhaseProcess,
    w: &Weights,
    target: f64,
    eta: f64,
    steps: u64,
    burn: u64,
    batches: usize,
    z: f64,
    seed: u64,
) -> Result<Outcome> {
    if toy.rho != 0.0 {
        return Err(LroError::Unsupported(
            "gaussian_flex's exact prediction needs fresh negative samples (ρ = 0)".into(),
        ));
    }
    let mut sampler = PhaseSampler::new(process, seed)?;
    let mut minus = BatchMeans::doubling(batches);
    run_eq3r(
        toy,
        &mut sampler,
        w,
        Rate::Constant(eta),
        &[0.0],
        &toy.m,
        steps,
        seed ^ 0xA5A5,
        |v| {
            if v.t >= burn && v.z == Phase::Minus {
                minus.push(v.theta[0]);
            }
        },
    )?;
    let (est, se) = minus.finish();
    Ok(Outcome::new(
        vec![est],
        vec![toy.m],
        vec![target],
        &[z * se],
    ))
}

/// The predicted stationary mean of θ over negative steps for the Gaussian toy with fresh samples
/// and Eq.3-R field coefficients `(a₊, a₋) = (π⁺ω₊, π⁻ω₋)`: `a₊m/a₋` (the fixed point of
/// [`eq3r_fixed_point`](super::models::gaussian::eq3r_fixed_point) written in the field coefficients).
pub fn gaussian_prediction(toy: &GaussianToy, a_plus: f64, a_minus: f64) -> f64 {
    a_plus * toy.m / a_minus
}

/// The exact targets of a Boltzmann experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct BmTargets {
    /// The maximum-likelihood point (zero of Δ), the standard estimator's solution as T → ∞.
    pub ml: Vec<f64>,
    /// The zero of the exact Eq.3-R mean field with transients, `a₊ḡ⁺_T − a₋ḡ⁻_T`, where
    /// `(a₊, a₋) = (π⁺ω₊, π⁻ω₋)` are the field coefficients of the weights the statement names
    /// (`(1, 1)` up to scale for any balanced weighting, `(π⁺, π⁻)` for unit weights).
    pub transient: Vec<f64>,
}

/// Computes [`BmTargets`] by Newton's method on the exact (enumerated) fields, for the Eq.3-R
/// field coefficients `(a₊, a₋)` (derived by the caller from the statement, not from a `Weights`
/// value under test).
pub fn bm_targets(
    bm: &Boltzmann,
    process: &PhaseProcess,
    a_plus: f64,
    a_minus: f64,
) -> Result<BmTargets> {
    let d = bm.n_params();
    let (ml, r1) = newton_zero(|t| bm.delta(t), &vec![0.0; d], CL_NEWTON_FD_STEP, 100)?;
    let field = |t: &[f64]| {
        let (gp, gm) = transient_phase_stats(bm, t, process);
        gp.iter()
            .zip(&gm)
            .map(|(a, b)| a_plus * a - a_minus * b)
            .collect::<Vec<f64>>()
    };
    let (transient, r2) = newton_zero(field, &ml, CL_NEWTON_FD_STEP, 100)?;
    if r1 > CL_NEWTON_RESIDUAL || r2 > CL_NEWTON_RESIDUAL {
        return Err(LroError::Unsupported(format!(
            "Newton did not converge on the Boltzmann mean field (residuals {r1:.1e}, {r2:.1e}); \
             use data with full support and moderate correlations"
        )));
    }
    Ok(BmTargets { ml, transient })
}

/// Tail average and batch-means standard errors of `Mθ` (a fixed linear map `M`, e.g. the
/// identity or the Fisher matrix) under Eq.3-R on a Boltzmann machine.
#[allow(clippy::too_many_arguments)]
pub fn bm_tail_average(
    bm: &Boltzmann,
    process: PhaseProcess,
    w: &Weights,
    eta: f64,
    theta0: &[f64],
    metric: &DMatrix<f64>,
    steps: u64,
    batches: usize,
    seed: u64,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let d = bm.n_params();
    let mut tail = Tail::new(steps, batches, d);
    // Slowest relaxation time of the linearised mean ODE, τ = 1/(η·π⁻ω_−·λ_min(F)), F the Fisher
    // matrix Cov(φ) at θ0. Adjacent batch means of an AR(1)-like series with correlation time τ
    // are correlated (lag-one correlation ≈ τ/B for batch length B ≫ τ), which makes the
    // batch-means variance too small by about the factor 1 + 2τ/B; the standard errors are
    // inflated by its square root.
    let tau = 1.0 / (eta * (1.0 - process.pi_plus()) * w.minus * fisher_min_eig(bm, theta0));
    let batch_len = (steps - tail.burn) as f64 / batches as f64;
    let inflate = (1.0 + 2.0 * tau / batch_len).sqrt();
    let mut sampler = PhaseSampler::new(process, seed)?;
    run_eq3r(
        bm,
        &mut sampler,
        w,
        Rate::Constant(eta),
        theta0,
        &0usize,
        steps,
        seed ^ 0x5A5A,
        |v| tail.see(v.t, v.theta),
    )?;
    // The metric is applied to each batch's mean of θ (a linear map commutes with batch
    // averaging), not to θ at every step.
    let values: Option<Vec<Vec<f64>>> = tail.series.iter().map(BatchMeans::batch_values).collect();
    Ok(match values {
        Some(v) => {
            let means = metric * DMatrix::from_fn(d, v[0].len(), |j, b| v[j][b]);
            means
                .row_iter()
                .map(|row| {
                    let (m, se) = batch_estimate(&row.iter().copied().collect::<Vec<f64>>());
                    (m, se * inflate)
                })
                .unzip()
        }
        None => {
            let plain = DVector::from_iterator(d, tail.series.iter().map(BatchMeans::plain_mean));
            (
                (metric * plain).iter().copied().collect(),
                vec![f64::INFINITY; d],
            )
        }
    })
}

/// θ from step `total / 5` on, coordinate by coordinate, as streaming batch means: the series of
/// the tail averages (memory O(d · batches) however long the run).
struct Tail {
    burn: u64,
    series: Vec<BatchMeans>,
}

impl Tail {
    fn new(total: u64, batches: usize, dim: usize) -> Self {
        let burn = total / 5;
        Tail {
            burn,
            series: vec![BatchMeans::with_len(total - burn, batches); dim],
        }
    }

    /// θ at `step`, kept from the burn-in on.
    fn see(&mut self, step: u64, theta: &[f64]) {
        if step >= self.burn {
            for (s, v) in self.series.iter_mut().zip(theta) {
                s.push(*v);
            }
        }
    }

    /// Each coordinate's batch-means estimate and standard error.
    fn finish(&self) -> (Vec<f64>, Vec<f64>) {
        self.series.iter().map(BatchMeans::finish).unzip()
    }
}

/// Boltzmann machine under Eq.3-R with weights `w`, constant η, Gibbs sampling, held to the
/// predicted point `targets.transient` (computed by the caller with [`bm_targets`]).
///
/// Distances are measured in the Fisher metric at the ML point, `‖F(θ − θ_ML)‖∞`, which to first
/// order is `‖Δ(θ)‖∞ = ‖E_θ[φ] − E_data[φ]‖∞`: the size of the CL direction, i.e. how far the
/// model's moments are from the data's (the zero of Δ is the standard estimator's solution). In
/// this metric the weakly identified parameter directions do not dominate the noise.
///
/// Two runs, at η (`steps`) and η/2 (`2·steps`), each averaged over its last 80 % with batch means.
/// Estimate: the Richardson extrapolation `2θ̄(η/2) − θ̄(η)`, which removes the O(η) step-size bias
/// of constant-η stochastic approximation (CL-T1's constant-η statement), leaving O(η²).
/// Prediction: the exact transient zero `θ_T` (the `O(τ_mix / mean phase length)` bias, computed
/// exactly by enumeration instead of with an unknown constant). Allowance, per coordinate of
/// `F(·)`: `z·√(4·SE(η/2)² + SE(η)²)`, the batch-means standard error of the extrapolation (the
/// two runs are independent). Nothing in the allowance comes from the distance between the runs, so
/// a bug that moves the runs cannot widen it. `passed()` holds iff every coordinate is within its
/// own allowance of the prediction.
#[allow(clippy::too_many_arguments)]
pub fn bm_flex(
    bm: &Boltzmann,
    process: PhaseProcess,
    w: &Weights,
    targets: &BmTargets,
    eta: f64,
    steps: u64,
    batches: usize,
    z: f64,
    seed: u64,
) -> Result<Outcome> {
    let f = fisher(bm, &targets.ml);
    let fm = |v: &[f64]| {
        (0..v.len())
            .map(|i| (0..v.len()).map(|j| f[(i, j)] * v[j]).sum())
            .collect::<Vec<f64>>()
    };
    let start = targets.transient.clone();
    let (m1, s1) = bm_tail_average(bm, process, w, eta, &start, &f, steps, batches, seed)?;
    let (m2, s2) = bm_tail_average(
        bm,
        process,
        w,
        eta / 2.0,
        &start,
        &f,
        2 * steps,
        batches,
        seed ^ 0x77,
    )?;
    let (ft, fml) = (fm(&targets.transient), fm(&targets.ml));
    let extrapolated: Vec<f64> = m1.iter().zip(&m2).map(|(a, b)| 2.0 * b - a).collect();
    let allowance: Vec<f64> = s1
        .iter()
        .zip(&s2)
        .map(|(a, b)| z * (4.0 * b * b + a * a).sqrt())
        .collect();
    Ok(Outcome::new(extrapolated, fml, ft, &allowance))
}

/// A small fully visible Boltzmann machine (4 units) whose data distribution has strong third- and
/// fourth-order interactions (`p ∝ exp(2 s₀s₁s₂ − 1.5 s₀s₁s₂s₃ + 0.8 s₁s₃ − 0.5 s₂s₃ + 0.3 s₀)`), so
/// that it lies outside the pairwise model family and the Gibbs transient biases Eq.3-R (settings
/// chosen by the project).
pub fn demo_boltzmann() -> Boltzmann {
    let raw: Vec<f64> = (0..16usize)
        .map(|s| {
            let b = |i: usize| ((s >> i) & 1) as f64;
            (2.0 * b(0) * b(1) * b(2) - 1.5 * b(0) * b(1) * b(2) * b(3) + 0.8 * b(1) * b(3)
                - 0.5 * b(2) * b(3)
                + 0.3 * b(0))
            .exp()
        })
        .collect();
    let tot: f64 = raw.iter().sum();
    Boltzmann {
        n: 4,
        n_v: 4,
        data: raw.iter().map(|v| v / tot).collect(),
    }
}

/// The Eq.2-R reference run on the Gaussian toy (fresh samples; fixed point m) or any model: the
/// average of θ over the last 80 % of `pairs` learning steps, with batch means.
#[allow(clippy::too_many_arguments)]
pub fn eq2r_tail_average<M: ClModel>(
    model: &M,
    t: u64,
    eta: f64,
    theta0: &[f64],
    a0: &M::State,
    pairs: u64,
    batches: usize,
    seed: u64,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let mut tail = Tail::new(pairs, batches, model.dim());
    run_eq2r(
        model,
        t,
        t,
        Rate::Constant(eta),
        theta0,
        a0,
        pairs,
        seed,
        |k, th| tail.see(k, th),
    )?;
    Ok(tail.finish())
}

/// The IS-R reference run: θ averaged over the last 80 % of `phases` per-phase updates.
#[allow(clippy::too_many_arguments)]
pub fn isr_tail_average<M: ClModel>(
    model: &M,
    p: f64,
    plus: LengthDist,
    minus: LengthDist,
    eta: f64,
    theta0: &[f64],
    a0: &M::State,
    phases: u64,
    batches: usize,
    seed: u64,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let mut tail = Tail::new(phases, batches, model.dim());
    run_isr(
        model,
        p,
        plus,
        minus,
        PhaseStatistic::Average,
        Rate::Constant(eta),
        theta0,
        a0,
        phases,
        seed,
        |k, _, th| tail.see(k, th),
    )?;
    Ok(tail.finish())
}

/// The Eq.3-R mean field at a frozen θ, by simulation: the batch-means average of
/// `σ_t ω_{z_t} f(a_t, θ)` over `steps` steps of the phase process and the model's kernels (the
/// state is never reset, so phase transients are included), and its standard errors, per
/// coordinate. At a zero of the exact field `π⁺ω₊ḡ⁺_T − π⁻ω₋ḡ⁻_T` the average is 0 within noise.
#[allow(clippy::too_many_arguments)]
pub fn frozen_field<M: ClModel>(
    model: &M,
    process: PhaseProcess,
    w: &Weights,
    theta: &[f64],
    a0: &M::State,
    steps: u64,
    batches: usize,
    seed: u64,
) -> Result<(Vec<f64>, Vec<f64>)> {
    use rand::SeedableRng;
    let mut sampler = PhaseSampler::new(process, seed)?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x3C3C);
    let mut series = vec![BatchMeans::with_len(steps, batches); model.dim()];
    let mut a = a0.clone();
    for _ in 0..steps {
        let z = sampler.next_step();
        a = model.step(&a, theta, z, &mut rng);
        let scale = z.sigma() * w.of(z);
        for (s, f) in series.iter_mut().zip(model.stat(&a, theta)) {
            s.push(scale * f);
        }
    }
    Ok(series.iter().map(BatchMeans::finish).unzip())
}

/// Smallest eigenvalue of the Fisher matrix `Cov_θ(φ)` of a Boltzmann machine (by enumeration).
pub fn fisher_min_eig(bm: &Boltzmann, theta: &[f64]) -> f64 {
    fisher(bm, theta).symmetric_eigenvalues().min()
}

/// The Fisher matrix `Cov_θ(φ)` of a Boltzmann machine (by enumeration).
pub fn fisher(bm: &Boltzmann, theta: &[f64]) -> DMatrix<f64> {
    let d = bm.n_params();
    let p = bm.distribution(theta);
    let mean: Vec<f64> = bm.expected_stat(&p).iter().map(|v| -v).collect();
    let mut f = DMatrix::<f64>::zeros(d, d);
    for (s, ps) in p.iter().enumerate() {
        let ph = bm.phi(s);
        for i in 0..d {
            for j in 0..d {
                f[(i, j)] += ps * (ph[i] - mean[i]) * (ph[j] - mean[j]);
            }
        }
    }
    f
}

/// The exact zero of the Eq.2-R mean field on a fully visible Boltzmann machine with phase
/// length `t`: `g⁺ − E_{μ₊K₋^t}[f]`, with `μ₊` the clamped law (CD-t-like).
pub fn bm_eq2r_zero(bm: &Boltzmann, t: u32, start: &[f64]) -> Result<Vec<f64>> {
    let ns = 1usize << bm.n;
    let field = |th: &[f64]| {
        let clamped = bm.clamped_distribution(th);
        let mut mu = DMatrix::from_row_slice(1, ns, &clamped);
        let k = bm.kernel_matrix(th, Phase::Minus);
        for _ in 0..t {
            mu = &mu * &k;
        }
        let gm = bm.expected_stat(&mu.iter().cloned().collect::<Vec<f64>>());
        let gp = bm.expected_stat(&clamped);
        gp.iter().zip(&gm).map(|(a, b)| a - b).collect::<Vec<f64>>()
    };
    let (z, r) = newton_zero(field, start, CL_NEWTON_FD_STEP, 100)?;
    if r > CL_NEWTON_RESIDUAL {
        return Err(LroError::Unsupported(format!(
            "Eq.2-R zero: Newton residual {r:.1e}"
        )));
    }
    Ok(z)
}

/// One process of each kind P1–P4 with mixed phase-length laws (settings chosen by the project),
/// shared by the summary table and the CL-T2 check.
pub fn demo_processes() -> [PhaseProcess; 4] {
    [
        PhaseProcess::P1 {
            t_plus: 3,
            t_minus: 5,
        },
        PhaseProcess::P2 {
            plus: LengthDist::Geometric { mean: 4.0 },
            minus: LengthDist::Uniform { lo: 1, hi: 9 },
        },
        PhaseProcess::P3 {
            p: 0.3,
            plus: LengthDist::Uniform { lo: 1, hi: 9 },
            minus: LengthDist::Fixed(3),
        },
        PhaseProcess::P4 {
            alpha_plus: 0.3,
            alpha_minus: 0.2,
        },
    ]
}
