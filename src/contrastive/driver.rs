//! Stochastic-approximation drivers (`docs/theory/contrastive.md#theorems`): run a [`ClModel`] under Eq.2-R, Eq.3-R or IS-R
//! (after Williams et al. 2023, reconstructed for this project) with a constant or Robbins–Monro
//! learning rate, seeded and reproducible bit for bit.
use super::estimators::{eq2r_update, eq3r_step, isr_update};
use super::phases::{LengthDist, PhaseSampler};
use super::{Phase, Weights};
use crate::error::{LroError, Result};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A contrastive model with Markov phase dynamics (`docs/theory/contrastive.md#cl-direction`): a state `a`, a per-phase kernel
/// `a_{t+1} ~ K^z_θ(a_t, ·)` and a local statistic `f(a, θ)`.
pub trait ClModel {
    /// The network state `a`.
    type State: Clone;
    /// Number of parameters `D`.
    fn dim(&self) -> usize;
    /// The contrastive statistic `f(a, θ) ∈ R^D`.
    fn stat(&self, a: &Self::State, theta: &[f64]) -> Vec<f64>;
    /// [`ClModel::stat`] written into `out` (length D), for drivers that reuse one buffer; the
    /// same values.
    fn stat_into(&self, a: &Self::State, theta: &[f64], out: &mut [f64]) {
        out.copy_from_slice(&self.stat(a, theta));
    }
    /// One step of the phase-`z` dynamics from `a` at parameters `θ`.
    fn step(&self, a: &Self::State, theta: &[f64], z: Phase, rng: &mut ChaCha8Rng) -> Self::State;
}

/// A learning-rate schedule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rate {
    /// Constant rate `η`.
    Constant(f64),
    /// Robbins–Monro rate `η_k = c/(k + k₀)` (`Σ η = ∞`, `Σ η² < ∞`).
    RobbinsMonro {
        /// Numerator `c`.
        c: f64,
        /// Offset `k₀ ≥ 1`.
        k0: f64,
    },
}

impl Rate {
    /// The rate at update `k` (k = 0, 1, …).
    pub fn at(&self, k: u64) -> f64 {
        match *self {
            Rate::Constant(eta) => eta,
            Rate::RobbinsMonro { c, k0 } => c / (k as f64 + k0),
        }
    }
    /// Checks the parameters.
    pub fn validate(&self) -> Result<()> {
        let ok = match *self {
            Rate::Constant(eta) => eta > 0.0 && eta.is_finite(),
            Rate::RobbinsMonro { c, k0 } => c > 0.0 && k0 >= 1.0 && c.is_finite() && k0.is_finite(),
        };
        if ok {
            Ok(())
        } else {
            Err(LroError::InvalidParameter {
                name: "learning rate".into(),
                reason: "need η > 0, or c > 0 and k₀ ≥ 1 for Robbins–Monro".into(),
            })
        }
    }
}

/// What a driver sees at each step: step index, phase, parameters and state *before* the update.
pub struct StepView<'a, S> {
    /// Step index t.
    pub t: u64,
    /// Phase `z_t`.
    pub z: Phase,
    /// Parameters `θ_t`.
    pub theta: &'a [f64],
    /// State `a_t`.
    pub state: &'a S,
}

/// Eq.3-R (after Williams et al. 2023, reconstructed for this project) for `steps` steps:
/// `θ_{t+1} = θ_t − η_t σ_t ω_{z_t} f(a_t, θ_t)`, then `z_{t+1}` from the phase process and
/// `a_{t+1} ~ K^{z_{t+1}}_{θ_{t+1}}(a_t, ·)`. The state is never reset between phases. `a0` is
/// the state at t = 0 (it is *not* first moved by the kernel). Returns the final `θ` and state.
#[allow(clippy::too_many_arguments)]
pub fn run_eq3r<M: ClModel>(
    model: &M,
    sampler: &mut PhaseSampler,
    weights: &Weights,
    rate: Rate,
    theta0: &[f64],
    a0: &M::State,
    steps: u64,
    seed: u64,
    mut record: impl FnMut(StepView<'_, M::State>),
) -> Result<(Vec<f64>, M::State)> {
    rate.validate()?;
    check_dim(model, theta0)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut theta = theta0.to_vec();
    let mut a = a0.clone();
    let mut z = sampler.next_step();
    let mut f = vec![0.0; theta.len()];
    for t in 0..steps {
        record(StepView {
            t,
            z,
            theta: &theta,
            state: &a,
        });
        model.stat_into(&a, &theta, &mut f);
        eq3r_step(&mut theta, rate.at(t), z, weights, &f);
        z = sampler.next_step();
        a = model.step(&a, &theta, z, &mut rng);
    }
    Ok((theta, a))
}

/// Eq.2-R (after Williams et al. 2023, reconstructed for this project) for `pairs` learning steps:
/// run `T⁺` positive steps, store `f(a⁺, ·)`'s state `a⁺`, run `T⁻` negative steps, then
/// `θ ← θ − η_k (f(a⁺, θ) − f(a⁻, θ))`. Calls `record(k, θ_k)` before each update.
#[allow(clippy::too_many_arguments)]
pub fn run_eq2r<M: ClModel>(
    model: &M,
    t_plus: u64,
    t_minus: u64,
    rate: Rate,
    theta0: &[f64],
    a0: &M::State,
    pairs: u64,
    seed: u64,
    mut record: impl FnMut(u64, &[f64]),
) -> Result<(Vec<f64>, M::State)> {
    rate.validate()?;
    check_dim(model, theta0)?;
    if t_plus == 0 || t_minus == 0 {
        return Err(LroError::InvalidParameter {
            name: "phase length".into(),
            reason: "Eq.2-R needs T⁺ ≥ 1 and T⁻ ≥ 1".into(),
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut theta = theta0.to_vec();
    let mut a = a0.clone();
    for k in 0..pairs {
        record(k, &theta);
        for _ in 0..t_plus {
            a = model.step(&a, &theta, Phase::Plus, &mut rng);
        }
        let a_plus = a.clone();
        for _ in 0..t_minus {
            a = model.step(&a, &theta, Phase::Minus, &mut rng);
        }
        let fp = model.stat(&a_plus, &theta);
        let fm = model.stat(&a, &theta);
        eq2r_update(&mut theta, rate.at(k), &fp, &fm);
    }
    Ok((theta, a))
}

/// Which statistic IS-R uses per phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhaseStatistic {
    /// The average of `f` over the phase's steps.
    Average,
    /// `f` at the phase's last state.
    End,
}

/// IS-R (after Williams et al. 2023, reconstructed for this project) for `phases` phases: draw
/// `z_k = +` with probability `p`, run a phase of length `~ D^z` (state inherited), form `f̂_k`,
/// and update `θ ← θ − η_k G_k` (see [`super::estimators::isr_estimate`]). Calls
/// `record(k, z_k, θ_k)` before each update.
#[allow(clippy::too_many_arguments)]
pub fn run_isr<M: ClModel>(
    model: &M,
    p: f64,
    plus: LengthDist,
    minus: LengthDist,
    statistic: PhaseStatistic,
    rate: Rate,
    theta0: &[f64],
    a0: &M::State,
    phases: u64,
    seed: u64,
    mut record: impl FnMut(u64, Phase, &[f64]),
) -> Result<(Vec<f64>, M::State)> {
    rate.validate()?;
    check_dim(model, theta0)?;
    let process = super::phases::PhaseProcess::P3 { p, plus, minus };
    let mut sampler = PhaseSampler::new(process, seed ^ 0x5EED_1500)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut theta = theta0.to_vec();
    let mut a = a0.clone();
    for k in 0..phases {
        let run = sampler.next_run();
        record(k, run.phase, &theta);
        let mut acc = vec![0.0; model.dim()];
        for _ in 0..run.len {
            a = model.step(&a, &theta, run.phase, &mut rng);
            if statistic == PhaseStatistic::Average {
                for (s, f) in acc.iter_mut().zip(model.stat(&a, &theta)) {
                    *s += f;
                }
            }
        }
        let f_hat: Vec<f64> = match statistic {
            PhaseStatistic::Average => acc.iter().map(|s| s / run.len as f64).collect(),
            PhaseStatistic::End => model.stat(&a, &theta),
        };
        isr_update(&mut theta, rate.at(k), run.phase, &p, &f_hat);
    }
    Ok((theta, a))
}

fn check_dim<M: ClModel>(model: &M, theta: &[f64]) -> Result<()> {
    if theta.len() != model.dim() {
        return Err(LroError::ShapeMismatch {
            context: "contrastive driver".into(),
            detail: format!(
                "θ has {} entries, the model has {} parameters",
                theta.len(),
                model.dim()
            ),
        });
    }
    Ok(())
}
