//! A generic training driver over any [`Real`]: K steps of `θ ← θ − η_k Δθ_k` with one rule.
//!
//! - Updates: online (one fresh sample per step), mini-batch (the mean of per-sample updates,
//!   `docs/theory/notation.md#conventions`) or expected (the closed form of [`rules::expected::update`], white input).
//! - Losses: final-step or sequence ([`Loss`]).
//! - Learning-rate schedules: constant, or decaying `η_k = η_0 / (1 + k/k_0)` ([`Schedule`]).
//! - Any block of `(A, W, B)` can be frozen ([`Freeze`]), e.g. A for the one-step tBPTT contrast of
//!   `docs/theory/lowrank.md#other-rules`.
//! - Records what the caller asks for at checkpoints ([`Recording`]): the loss, the alignment
//!   metrics of `docs/theory/linear-rnn.md#alignment-metrics` ([`crate::rnn::metrics`]) and the parameters.
//! - Divergence (a non-finite update or parameter, or a parameter beyond a bound) ends the run and
//!   is reported as data ([`Divergence`]), never as a panic or an error.
//!
//! Every input sequence is drawn from a seeded ChaCha8 generator, so a run is reproducible bit for
//! bit. Rademacher inputs are rational, so an online run over [`crate::scalar::Rational`] is exact.
use crate::error::{LroError, Result};
use crate::linalg;
use crate::rnn::metrics::{self, Alignment};
use crate::rnn::{Rnn, Sequence, StudentTeacher, inputs};
use crate::rules::{self, Loss, Rule, Update, online::SamplePair};
use crate::scalar::Real;
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// How each step's update is formed.
#[derive(Clone, Debug, PartialEq)]
pub enum Updates {
    /// One sample per step (online learning).
    Online,
    /// The mean of the per-sample updates of `batch` samples per step.
    MiniBatch {
        /// Samples per step (≥ 1).
        batch: usize,
    },
    /// The exact expectation over white input ([`rules::expected::update`]); linear RNN only.
    Expected,
}

/// Where the samples of online and mini-batch runs come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    /// Fresh Gaussian white noise `x_t ~ N(0, I)` each sample; targets from the teacher.
    Gaussian,
    /// Fresh Rademacher (±1) white noise each sample (rational-valued); targets from the teacher.
    Rademacher,
    /// A fixed list of (inputs, targets) pairs, used in turn (any data, any targets; the teacher is
    /// ignored). Each pair must have the run's horizon.
    Fixed(Vec<SamplePair<f64>>),
}

/// A learning-rate schedule.
#[derive(Clone, Debug, PartialEq)]
pub enum Schedule<T: Real> {
    /// `η_k = η`.
    Constant(T),
    /// `η_k = η_0 / (1 + k/k_0) = η_0 k_0 / (k_0 + k)` (rational whenever η_0 is).
    Decaying {
        /// Initial rate η_0.
        eta0: T,
        /// Decay scale k_0 ≥ 1 (in steps).
        k0: u64,
    },
}

impl<T: Real> Schedule<T> {
    /// The rate of step k (k = 0 is the first step).
    pub fn rate(&self, k: usize) -> T {
        match self {
            Schedule::Constant(eta) => eta.clone(),
            Schedule::Decaying { eta0, k0 } => {
                eta0.clone() * T::from_i64(*k0 as i64) / T::from_i64(*k0 as i64 + k as i64)
            }
        }
    }

    fn validate(&self) -> Result<()> {
        match self {
            Schedule::Constant(eta) | Schedule::Decaying { eta0: eta, .. } if !eta.is_finite() => {
                Err(LroError::NotFinite {
                    name: "learning rate".into(),
                })
            }
            Schedule::Decaying { k0: 0, .. } => Err(LroError::InvalidParameter {
                name: "k0".into(),
                reason: "the decay scale k0 must be at least 1 step".into(),
            }),
            _ => Ok(()),
        }
    }
}

/// Which parameter blocks are held fixed (their updates are discarded).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Freeze {
    /// Hold the readout A fixed.
    pub a: bool,
    /// Hold the recurrence W fixed.
    pub w: bool,
    /// Hold the input weights B fixed.
    pub b: bool,
}

/// The reference bases for the alignment metrics of `docs/theory/linear-rnn.md#alignment-metrics` (all f64).
#[derive(Clone, Debug, PartialEq)]
pub struct AlignmentRef {
    /// Output basis U (o×o).
    pub u: DMatrix<f64>,
    /// Input basis V (d×d).
    pub v: DMatrix<f64>,
    /// The teacher's hidden basis P* (n×n, n the student's hidden dimension).
    pub p_star: DMatrix<f64>,
    /// Feedback R (o×n) for the feedback alignment, if the rule has one.
    pub feedback: Option<DMatrix<f64>>,
}

/// What to record, and how often.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Recording {
    /// Record at steps 0, every, 2·every, … and at the last step (0: only at 0 and at the end).
    pub every: usize,
    /// Record the loss: the exact expected loss for linear networks, otherwise the mean loss of the
    /// step's samples.
    pub loss: bool,
    /// Record the alignment metrics against these bases (f64 networks converted entrywise).
    pub alignment: Option<AlignmentRef>,
    /// Record the parameters.
    pub params: bool,
}

/// A training run's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig<T: Real> {
    /// The learning rule.
    pub rule: Rule<T>,
    /// Online, mini-batch or expected updates.
    pub updates: Updates,
    /// Final-step or sequence loss.
    pub loss: Loss,
    /// Horizon T of every sample.
    pub horizon: usize,
    /// Number of steps K.
    pub steps: usize,
    /// Learning-rate schedule.
    pub schedule: Schedule<T>,
    /// Frozen blocks.
    pub freeze: Freeze,
    /// Data of online and mini-batch runs.
    pub data: Data,
    /// Seed of the input generator.
    pub seed: u64,
    /// A run whose largest absolute parameter exceeds this bound is declared divergent.
    pub divergence_bound: f64,
    /// What to record.
    pub record: Recording,
}

impl<T: Real> TrainConfig<T> {
    /// A configuration with defaults: no freezing, Rademacher data, seed 0, divergence bound 1e6,
    /// loss recorded at the start and end only.
    pub fn new(
        rule: Rule<T>,
        updates: Updates,
        loss: Loss,
        horizon: usize,
        steps: usize,
        schedule: Schedule<T>,
    ) -> Self {
        TrainConfig {
            rule,
            updates,
            loss,
            horizon,
            steps,
            schedule,
            freeze: Freeze::default(),
            data: Data::Rademacher,
            seed: 0,
            divergence_bound: 1e6,
            record: Recording {
                every: 0,
                loss: true,
                alignment: None,
                params: false,
            },
        }
    }
}

/// Why a run stopped early.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum DivergenceKind {
    /// An update or a parameter became NaN or infinite.
    NonFinite,
    /// A parameter exceeded the divergence bound in absolute value.
    Exploded {
        /// The largest absolute parameter at that step.
        max_abs: f64,
    },
}

/// A divergence, reported as data.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Divergence {
    /// The step (1-based: the k-th update) at which it was detected.
    pub step: usize,
    /// What happened.
    pub kind: DivergenceKind,
}

/// What was recorded at one checkpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint<T: Real> {
    /// Number of updates applied so far.
    pub step: usize,
    /// The loss (see [`Recording::loss`]).
    pub loss: Option<f64>,
    /// The alignment metrics.
    pub alignment: Option<Alignment>,
    /// The parameters.
    pub params: Option<Rnn<T>>,
}

/// The outcome of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainResult<T: Real> {
    /// The last finite network: after all K steps, or the last state before a non-finite step, or
    /// the (finite) exploded state.
    pub net: Rnn<T>,
    /// Number of updates applied to `net`.
    pub steps_done: usize,
    /// Set when the run diverged.
    pub divergence: Option<Divergence>,
    /// Checkpoints in step order.
    pub checkpoints: Vec<Checkpoint<T>>,
    /// The largest absolute parameter over every state the run visited (θ_0 … the returned net):
    /// the scale of the rounding accumulated in `θ_K − θ_0` in floating point.
    pub peak: f64,
}

impl<T: Real> TrainResult<T> {
    /// The recorded losses as (step, loss).
    pub fn losses(&self) -> Vec<(usize, f64)> {
        self.checkpoints
            .iter()
            .filter_map(|c| c.loss.map(|l| (c.step, l)))
            .collect()
    }
}

fn validate<T: Real>(st: &StudentTeacher<T>, cfg: &TrainConfig<T>) -> Result<()> {
    if cfg.horizon == 0 {
        return Err(LroError::ZeroHorizon);
    }
    cfg.rule.validate(&st.student)?;
    cfg.schedule.validate()?;
    if cfg.divergence_bound.is_nan() || cfg.divergence_bound <= 0.0 {
        return Err(LroError::InvalidParameter {
            name: "divergence_bound".into(),
            reason: format!(
                "it must be a positive number (or infinity), got {}",
                cfg.divergence_bound
            ),
        });
    }
    if let Updates::MiniBatch { batch: 0 } = cfg.updates {
        return Err(LroError::InvalidParameter {
            name: "batch".into(),
            reason: "a mini-batch needs at least one sample".into(),
        });
    }
    if let Data::Fixed(pairs) = &cfg.data {
        if pairs.is_empty() {
            return Err(LroError::InvalidParameter {
                name: "data".into(),
                reason: "a fixed data set needs at least one (inputs, targets) pair".into(),
            });
        }
        if let Some(i) = pairs
            .iter()
            .position(|(x, y)| x.len() != cfg.horizon || y.len() != cfg.horizon)
        {
            return Err(LroError::ShapeMismatch {
                context: "fixed data".into(),
                detail: format!(
                    "pair {i} has {} inputs and {} targets; both must equal the horizon T = {}",
                    pairs[i].0.len(),
                    pairs[i].1.len(),
                    cfg.horizon
                ),
            });
        }
    }
    Ok(())
}

/// Draws the next sample pair.
fn next_sample<T: Real>(
    st: &StudentTeacher<T>,
    cfg: &TrainConfig<T>,
    rng: &mut ChaCha8Rng,
    counter: &mut usize,
) -> Result<SamplePair<T>> {
    let d = st.student.d();
    let xs: Sequence<f64> = match &cfg.data {
        Data::Gaussian => inputs::white_noise(d, cfg.horizon, rng),
        Data::Rademacher => inputs::rademacher(d, cfg.horizon, rng),
        Data::Fixed(pairs) => {
            let (x, y) = &pairs[*counter % pairs.len()];
            *counter += 1;
            return Ok((inputs::cast(x), inputs::cast(y)));
        }
    };
    let xs = inputs::cast(&xs);
    let ys = st.targets(&xs)?;
    Ok((xs, ys))
}

fn record<T: Real>(
    st: &StudentTeacher<T>,
    net: &Rnn<T>,
    cfg: &TrainConfig<T>,
    step: usize,
    last_batch: &[SamplePair<T>],
) -> Result<Checkpoint<T>> {
    let rec = &cfg.record;
    let loss = if !rec.loss {
        None
    } else if net.is_linear() && st.teacher.is_linear() && !matches!(cfg.data, Data::Fixed(_)) {
        let cur = StudentTeacher::new(net.clone(), st.teacher.clone())?;
        Some(rules::expected::loss(&cur, cfg.horizon, cfg.loss)?.to_f64())
    } else if last_batch.is_empty() {
        None
    } else {
        let mut total = 0.0;
        for (xs, ys) in last_batch {
            total += rules::online::loss(net, xs, ys, cfg.loss)?.to_f64();
        }
        Some(total / last_batch.len() as f64)
    };
    let alignment = match &rec.alignment {
        None => None,
        Some(r) => {
            let f = net.map(|x| x.to_f64());
            Some(metrics::alignment(
                &f,
                &r.u,
                &r.v,
                &r.p_star,
                r.feedback.as_ref(),
            )?)
        }
    };
    Ok(Checkpoint {
        step,
        loss,
        alignment,
        params: rec.params.then(|| net.clone()),
    })
}

/// One step's update `Δθ_k` at the current network.
fn step_update<T: Real>(
    st: &StudentTeacher<T>,
    net: &Rnn<T>,
    cfg: &TrainConfig<T>,
    rng: &mut ChaCha8Rng,
    counter: &mut usize,
    batch_out: &mut Vec<SamplePair<T>>,
) -> Result<Update<T>> {
    batch_out.clear();
    match cfg.updates {
        Updates::Expected => {
            let cur = StudentTeacher::new(net.clone(), st.teacher.clone())?;
            rules::expected::update(&cfg.rule, &cur, cfg.horizon, cfg.loss)
        }
        Updates::Online | Updates::MiniBatch { .. } => {
            let size = match cfg.updates {
                Updates::MiniBatch { batch } => batch,
                _ => 1,
            };
            for _ in 0..size {
                batch_out.push(next_sample(st, cfg, rng, counter)?);
            }
            rules::online::batch_update(&cfg.rule, net, batch_out, cfg.loss)
        }
    }
}

/// Trains `st.student` against `st.teacher` (or the fixed data) with `cfg`. Returns an error only
/// for invalid settings; a divergent run is a normal result with [`TrainResult::divergence`] set.
pub fn train<T: Real>(st: &StudentTeacher<T>, cfg: &TrainConfig<T>) -> Result<TrainResult<T>> {
    validate(st, cfg)?;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut counter = 0usize;
    let mut net = st.student.clone();
    let mut batch: Vec<SamplePair<T>> = Vec::new();
    let mut checkpoints = vec![record(st, &net, cfg, 0, &batch)?];
    let mut divergence = None;
    let mut steps_done = 0;
    let mut peak = params_max_abs(&net);
    for k in 0..cfg.steps {
        let mut upd = match step_update(st, &net, cfg, &mut rng, &mut counter, &mut batch) {
            Ok(u) => u,
            Err(LroError::NotFinite { .. }) => {
                divergence = Some(Divergence {
                    step: k + 1,
                    kind: DivergenceKind::NonFinite,
                });
                break;
            }
            Err(e) => return Err(e),
        };
        if cfg.freeze.a {
            upd.a.fill(T::zero());
        }
        if cfg.freeze.w {
            upd.w.fill(T::zero());
        }
        if cfg.freeze.b {
            upd.b.fill(T::zero());
        }
        let next = match upd.apply(&net, cfg.schedule.rate(k)) {
            Ok(n) => n,
            Err(LroError::NotFinite { .. }) => {
                divergence = Some(Divergence {
                    step: k + 1,
                    kind: DivergenceKind::NonFinite,
                });
                break;
            }
            Err(e) => return Err(e),
        };
        net = next;
        steps_done = k + 1;
        let max_abs = params_max_abs(&net);
        peak = crate::linalg::worse(peak, max_abs);
        if max_abs > cfg.divergence_bound {
            divergence = Some(Divergence {
                step: k + 1,
                kind: DivergenceKind::Exploded { max_abs },
            });
            break;
        }
        let every = cfg.record.every;
        if every > 0 && steps_done % every == 0 && steps_done != cfg.steps {
            checkpoints.push(record(st, &net, cfg, steps_done, &batch)?);
        }
    }
    if checkpoints.last().map(|c| c.step) != Some(steps_done) {
        // The final state (after an explosion the loss may overflow; record it anyway).
        match record(st, &net, cfg, steps_done, &batch) {
            Ok(c) => checkpoints.push(c),
            Err(LroError::NotFinite { .. }) if divergence.is_some() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(TrainResult {
        net,
        steps_done,
        divergence,
        checkpoints,
        peak,
    })
}

fn params_max_abs<T: Real>(net: &Rnn<T>) -> f64 {
    linalg::max_abs(net.a())
        .max(linalg::max_abs(net.w()))
        .max(linalg::max_abs(net.b()))
}
