//! The convergence study: which settings, if any, give the paper's convergence pattern (BPTT 20/20,
//! one-step tBPTT 20/20, RFLO 13/20, e-prop 12/20 of a student–teacher experiment; the settings
//! behind those counts are not known, so they are swept here).
//!
//! - [`Point`]: one setting of everything the paper leaves open (initial-weight scale, η and its
//!   schedule, T, K, the student's n against the teacher's modes, o, d, ŵ, the feedback's
//!   distribution, online / mini-batch / expected updates). The convergence criterion and the
//!   number of steps at which it is judged are applied afterwards to the recorded losses
//!   ([`Criterion`]), so they cost no extra runs.
//! - [`run_one`]: one rule on one seed at one point, as a [`RunRecord`] (losses at checkpoints,
//!   divergence, spectral radius, the effective per-mode parameters of every teacher mode at the
//!   start and the end, and the singular values of `W_K − W_0`).
//! - [`classify`]: why a run did not converge, in the terms of the per-mode theory
//!   (`docs/theory/modes.md`): diverged, left |w| < 1, stuck near the saddle line a = b = 0, slow on
//!   RFLO's detour, plateau, or still descending.
//! - [`predict_failure`]: a prediction from the initial condition alone.
//! - [`sweep`]: the parallel driver with its resumable cache, shards and merge; [`analysis`]:
//!   counts, exact binomial intervals, the pattern test, axis influence, heat maps and the
//!   prediction's accuracy; [`detour`]: the per-mode detour timing (after Fig. 4).
//!
//! The teacher is built as in the project's low-rank experiment and generalised to o outputs: `m`
//! active modes with recurrent eigenvalues [`W_STAR`], `a*_i = b*_i = 1`, mode i read out by output
//! `i mod o` (so o ≥ m is the fully data-aligned teacher, o = 1 the one-output teacher after
//! Fig. 6). The student is not aligned: entries of A, W, B are `N(0, init_std²/fan_in)`. Everything
//! here is a setting chosen by the project, swept because the paper's are not known.
pub mod analysis;
pub mod detour;
pub mod sweep;

use crate::error::LroError;
use crate::linalg;
use crate::modes::systems::spectral_radius;
use crate::rnn::{Rnn, StudentTeacher};
use crate::rules::{Feedback, Loss, Rule};
use crate::tolerances;
use crate::train::{self, Data, Recording, Schedule, TrainConfig, Updates};
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What the study can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StudyError {
    /// A setting is out of range.
    #[error("invalid setting {name}: {reason}")]
    Invalid {
        /// The setting.
        name: String,
        /// Why, and what to use instead.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A cache or results file could not be parsed.
    #[error(
        "cannot parse {path} line {line}: {reason} (delete the file or rerun without --resume)"
    )]
    Parse {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        reason: String,
    },
    /// The simulation rejected its inputs.
    #[error(transparent)]
    Lro(#[from] LroError),
}

/// The study's result type.
pub type Result<T> = std::result::Result<T, StudyError>;

/// The teacher's recurrent eigenvalues, mode by mode (the first `m` are used).
pub const W_STAR: [f64; 8] = [0.8, 0.5, -0.5, 0.2, 0.65, -0.3, 0.35, -0.7];

/// The four rules of the paper's comparison, in report order.
pub const RULES: [&str; 4] = ["bptt", "tbptt:1", "rflo", "eprop-random"];

/// The paper's convergence counts out of 20 runs, in [`RULES`] order (`[notes]`).
pub const PAPER_COUNTS: [u64; 4] = [20, 20, 13, 12];

/// The number of runs behind [`PAPER_COUNTS`].
pub const PAPER_RUNS: u64 = 20;

/// The distribution of the random feedback R (o×n), shared by RFLO and e-prop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeedbackDist {
    /// Entries `N(0, 1/n)`.
    Gaussian,
    /// Entries `±1/√n` with equal probability.
    Rademacher,
}

/// How each step's update is formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateKind {
    /// The exact expectation over white input (full batch).
    Expected,
    /// One Gaussian sample per step.
    Online,
    /// The mean of this many Gaussian samples per step.
    MiniBatch(usize),
}

/// One setting of everything the paper leaves open.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Student init: entries `N(0, init_std²/fan_in)`.
    pub init_std: f64,
    /// Initial learning rate η.
    pub eta: f64,
    /// `None`: constant η; `Some(k0)`: `η_k = η/(1 + k/k0)`.
    pub decay_k0: Option<u64>,
    /// Horizon T of the final-step loss.
    pub horizon: usize,
    /// Steps K (a multiple of 20: losses are recorded every K/20 steps).
    pub steps: usize,
    /// Student hidden dimension n.
    pub n: usize,
    /// Active teacher modes m (≤ min(n, d, 8)).
    pub modes: usize,
    /// Output dimension o.
    pub o: usize,
    /// Input dimension d.
    pub d: usize,
    /// RFLO's scalar surrogate ŵ.
    pub w_hat: f64,
    /// Distribution of the feedback R.
    pub feedback: FeedbackDist,
    /// Expected, online or mini-batch updates.
    pub updates: UpdateKind,
}

impl Point {
    /// The project's base setting (the low-rank experiment's: o = 1, d = 4, n = 8, 4 modes, T = 20,
    /// η = 0.05, init 0.1, ŵ = 0.5, Gaussian feedback, expected updates) with `steps` steps.
    pub fn base(steps: usize) -> Self {
        Point {
            init_std: 0.1,
            eta: 0.05,
            decay_k0: None,
            horizon: 20,
            steps,
            n: 8,
            modes: 4,
            o: 1,
            d: 4,
            w_hat: 0.5,
            feedback: FeedbackDist::Gaussian,
            updates: UpdateKind::Expected,
        }
    }

    /// Checks the ranges, with messages that say what to change.
    pub fn validate(&self) -> Result<()> {
        let bad = |name: &str, reason: String| {
            Err(StudyError::Invalid {
                name: name.into(),
                reason,
            })
        };
        if !(self.init_std.is_finite() && self.init_std > 0.0) {
            return bad(
                "init_std",
                format!("must be positive, got {}", self.init_std),
            );
        }
        if !(self.eta.is_finite() && self.eta > 0.0) {
            return bad("eta", format!("must be positive, got {}", self.eta));
        }
        if self.steps == 0 || !self.steps.is_multiple_of(20) {
            return bad(
                "steps",
                format!("must be a positive multiple of 20, got {}", self.steps),
            );
        }
        if self.horizon == 0 || self.n == 0 || self.o == 0 || self.d == 0 {
            return bad("T, n, o, d", "all must be at least 1".into());
        }
        if self.modes == 0 || self.modes > self.n.min(self.d).min(W_STAR.len()) {
            return bad(
                "modes",
                format!(
                    "need 1 ≤ m ≤ min(n, d, {}), got m = {} with n = {}, d = {}",
                    W_STAR.len(),
                    self.modes,
                    self.n,
                    self.d
                ),
            );
        }
        if !(self.w_hat.is_finite() && self.w_hat.abs() < 1.0) {
            return bad("w_hat", format!("must lie in (−1, 1), got {}", self.w_hat));
        }
        if self.updates == UpdateKind::MiniBatch(0) {
            return bad("batch", "a mini-batch needs at least one sample".into());
        }
        Ok(())
    }

    /// The canonical key of this point (stable text; the cache and the merge match on it).
    pub fn key(&self) -> String {
        let sched = match self.decay_k0 {
            None => "const".to_string(),
            Some(k0) => format!("decay{k0}"),
        };
        let upd = match self.updates {
            UpdateKind::Expected => "expected".to_string(),
            UpdateKind::Online => "online".to_string(),
            UpdateKind::MiniBatch(b) => format!("batch{b}"),
        };
        let fb = match self.feedback {
            FeedbackDist::Gaussian => "gauss",
            FeedbackDist::Rademacher => "rademacher",
        };
        format!(
            "init={} eta={} sched={} T={} K={} n={} m={} o={} d={} what={} fb={} upd={}",
            self.init_std,
            self.eta,
            sched,
            self.horizon,
            self.steps,
            self.n,
            self.modes,
            self.o,
            self.d,
            self.w_hat,
            fb,
            upd
        )
    }

    /// The value of a named axis as text (for tables and heat maps); see [`AXES`].
    pub fn axis(&self, name: &str) -> String {
        let key = self.key();
        key.split(' ')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_string))
            .unwrap_or_default()
    }
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// The axes of a point's key, in key order.
pub const AXES: [&str; 12] = [
    "init", "eta", "sched", "T", "K", "n", "m", "o", "d", "what", "fb", "upd",
];

/// One seed's draw at a point: the student–teacher pair, the feedback R, and the teacher's output
/// and input bases U (o×o) and V (d×d).
#[derive(Clone, Debug)]
pub struct Draw {
    /// Student and teacher.
    pub st: StudentTeacher<f64>,
    /// Feedback R (o×n).
    pub feedback: DMatrix<f64>,
    /// Output basis U.
    pub u: DMatrix<f64>,
    /// Input basis V.
    pub v: DMatrix<f64>,
}

fn gaussian(rng: &mut ChaCha8Rng, rows: usize, cols: usize, std: f64) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| {
        std * rng.sample::<f64, _>(StandardNormal)
    })
}

/// Draws seed `seed`'s teacher bases, student init and feedback at point `p`.
pub fn draw(p: &Point, seed: u64) -> Result<Draw> {
    p.validate()?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (n, d, o, m) = (p.n, p.d, p.o, p.modes);
    let u: DMatrix<f64> = linalg::random_orthogonal(o, &mut rng);
    let v: DMatrix<f64> = linalg::random_orthogonal(d, &mut rng);
    let pp: DMatrix<f64> = linalg::random_orthogonal(n, &mut rng);
    let abar = DMatrix::from_fn(o, n, |i, j| if j < m && j % o == i { 1.0 } else { 0.0 });
    let wbar = DMatrix::from_fn(n, n, |i, j| if i == j && i < m { W_STAR[i] } else { 0.0 });
    let bbar = DMatrix::from_fn(n, d, |i, j| if i == j && i < m { 1.0 } else { 0.0 });
    let teacher = Rnn::new(
        &u * abar * pp.transpose(),
        &pp * wbar * pp.transpose(),
        &pp * bbar * v.transpose(),
    )?;
    let student = Rnn::new(
        gaussian(&mut rng, o, n, p.init_std / (n as f64).sqrt()),
        gaussian(&mut rng, n, n, p.init_std / (n as f64).sqrt()),
        gaussian(&mut rng, n, d, p.init_std / (d as f64).sqrt()),
    )?;
    let scale = 1.0 / (n as f64).sqrt();
    let feedback = match p.feedback {
        FeedbackDist::Gaussian => gaussian(&mut rng, o, n, scale),
        FeedbackDist::Rademacher => {
            DMatrix::from_fn(
                o,
                n,
                |_, _| {
                    if rng.random::<bool>() { scale } else { -scale }
                },
            )
        }
    };
    Ok(Draw {
        st: StudentTeacher::new(student, teacher)?,
        feedback,
        u,
        v,
    })
}

/// The rule named `name` (one of [`RULES`]) with this draw's feedback and the point's ŵ.
pub fn rule(name: &str, p: &Point, dr: &Draw) -> Result<Rule<f64>> {
    Ok(match name {
        "bptt" => Rule::Bptt,
        "tbptt:1" => Rule::Tbptt { k: 1 },
        "rflo" => Rule::Rflo {
            feedback: dr.feedback.clone(),
            w_hat: p.w_hat,
        },
        "eprop-random" => Rule::Eprop {
            feedback: Feedback::Random(dr.feedback.clone()),
        },
        other => {
            return Err(StudyError::Invalid {
                name: "rule".into(),
                reason: format!("unknown rule {other:?}; use one of {RULES:?}"),
            });
        }
    })
}

/// A student's effective parameters along one teacher mode i (the alignment-free reading of
/// `docs/theory/modes.md`): with `v_i` the mode's input direction and `u` its output direction,
/// `b = ‖B v_i‖`, `c = uᵀ A B v_i`, `w = uᵀ A W B v_i / c`, `a = c / b`, and the feedback gain
/// along the same hidden direction `â = uᵀ R B v_i / b`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModeState {
    /// Effective readout gain a.
    pub a: f64,
    /// Effective input gain b.
    pub b: f64,
    /// Effective product c = ab.
    pub c: f64,
    /// Effective recurrent eigenvalue w (0 when c = 0).
    pub w: f64,
    /// Feedback gain â along the mode's hidden direction.
    pub a_hat: f64,
}

/// The effective per-mode parameters of `net` along each of the `m` teacher modes.
pub fn mode_states(p: &Point, dr: &Draw, net: &Rnn<f64>) -> Vec<ModeState> {
    (0..p.modes)
        .map(|i| {
            let vi = dr.v.column(i).into_owned();
            let ui = dr.u.column(i % p.o).into_owned();
            let h = net.b() * &vi;
            let b = h.norm();
            let c = (ui.transpose() * net.a() * &h)[(0, 0)];
            let cw = (ui.transpose() * net.a() * net.w() * &h)[(0, 0)];
            let fb = (ui.transpose() * &dr.feedback * &h)[(0, 0)];
            let finite = |x: f64| if x.is_finite() { x } else { 0.0 };
            ModeState {
                a: finite(if b > 0.0 { c / b } else { 0.0 }),
                b: finite(b),
                c: finite(c),
                w: finite(if c != 0.0 { cw / c } else { 0.0 }),
                a_hat: finite(if b > 0.0 { fb / b } else { 0.0 }),
            }
        })
        .collect()
}

/// The fractions of K at which losses are recorded: ¼, ½, 9/10 and 1.
pub const CHECKPOINTS: [(usize, usize); 4] = [(1, 4), (1, 2), (9, 10), (1, 1)];

/// One run's outcome: what the analysis needs, nothing it can recompute.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The point's key ([`Point::key`]).
    pub point: String,
    /// Rule name.
    pub rule: String,
    /// Seed.
    pub seed: u64,
    /// Expected loss at step 0.
    pub loss0: f64,
    /// `L_k / L_0` at the [`CHECKPOINTS`] (`None` after a divergence).
    pub ratios: Vec<Option<f64>>,
    /// Step at which the run diverged, if it did.
    pub diverged_at: Option<usize>,
    /// Spectral radius of `W_K`.
    pub radius_end: f64,
    /// Effective per-mode parameters at the start.
    pub start: Vec<ModeState>,
    /// Effective per-mode parameters at the end.
    pub end: Vec<ModeState>,
    /// Singular values of `W_K − W_0`, descending.
    pub spectrum: Vec<f64>,
}

/// Runs rule `name` on seed `seed` at point `p`.
pub fn run_one(p: &Point, name: &str, seed: u64) -> Result<RunRecord> {
    let dr = draw(p, seed)?;
    let updates = match p.updates {
        UpdateKind::Expected => Updates::Expected,
        UpdateKind::Online => Updates::Online,
        UpdateKind::MiniBatch(batch) => Updates::MiniBatch { batch },
    };
    let schedule = match p.decay_k0 {
        None => Schedule::Constant(p.eta),
        Some(k0) => Schedule::Decaying { eta0: p.eta, k0 },
    };
    let mut cfg = TrainConfig::new(
        rule(name, p, &dr)?,
        updates,
        Loss::Final,
        p.horizon,
        p.steps,
        schedule,
    );
    cfg.data = Data::Gaussian;
    // The data stream differs from the draw's stream (the draw used `seed` itself).
    cfg.seed = seed ^ 0x5eed_da7a;
    cfg.divergence_bound = tolerances::STUDY_DIVERGENCE_BOUND;
    cfg.record = Recording {
        every: p.steps / 20,
        loss: true,
        alignment: None,
        params: false,
    };
    let res = train::train(&dr.st, &cfg)?;
    let loss0 = res.checkpoints[0].loss.unwrap_or(f64::NAN);
    let ratios = CHECKPOINTS
        .iter()
        .map(|&(num, den)| {
            let step = p.steps * num / den;
            res.checkpoints
                .iter()
                .find(|c| c.step == step)
                .and_then(|c| c.loss)
                .filter(|l| l.is_finite())
                .map(|l| l / loss0)
        })
        .collect();
    let change = &res.net.w().clone() - dr.st.student.w();
    let radius = spectral_radius(res.net.w());
    Ok(RunRecord {
        point: p.key(),
        rule: name.into(),
        seed,
        loss0,
        ratios,
        diverged_at: res.divergence.map(|d| d.step),
        radius_end: if radius.is_finite() { radius } else { 1e300 },
        start: mode_states(p, &dr, &dr.st.student),
        end: mode_states(p, &dr, &res.net),
        spectrum: linalg::singular_values(&change)
            .into_iter()
            .map(|s| if s.is_finite() { s } else { 1e300 })
            .collect(),
    })
}

/// A convergence criterion: `L_k ≤ fit · L_0` at the checkpoint `at` (an index into
/// [`CHECKPOINTS`]), with no divergence before it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Criterion {
    /// The fraction of the initial loss that counts as converged.
    pub fit: f64,
    /// Index into [`CHECKPOINTS`] of the step at which it is judged.
    pub at: usize,
}

impl Criterion {
    /// The project's default: `L_K ≤ 0.01 L_0` at the last step.
    pub const DEFAULT: Criterion = Criterion { fit: 0.01, at: 3 };

    /// Whether a run converged under this criterion.
    pub fn converged(&self, r: &RunRecord) -> bool {
        r.ratios
            .get(self.at)
            .copied()
            .flatten()
            .is_some_and(|x| x <= self.fit)
    }

    /// Short text, e.g. `L(K) <= 0.01 L0`.
    pub fn describe(&self) -> String {
        let (num, den) = CHECKPOINTS[self.at];
        let at = if num == den {
            "K".to_string()
        } else {
            format!("{num}K/{den}")
        };
        format!("L({at}) <= {} L0", self.fit)
    }
}

impl fmt::Display for Criterion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Why a run did not converge, read off with the per-mode theory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// It converged under the criterion.
    Converged,
    /// A parameter exploded or became non-finite.
    Diverged,
    /// It ended with spectral radius of W at least 1: outside the domain `|w| < 1` of the theory.
    LeftUnitDisk,
    /// Some teacher mode's effective gain c stayed near 0 (the saddle line a = b = 0 of BPTT and
    /// tBPTT, or its neighbourhood).
    StuckNearSaddle,
    /// RFLO or e-prop with some mode still on the branch `sgn(a) ≠ sgn(â)` and the loss still
    /// moving: on the way to the stable branch (the detour of Fig. 4).
    SlowOnDetour,
    /// The loss settled above the criterion (moved by at most the settle fraction over the last
    /// tenth of training): a non-optimal stationary state of the rule.
    Plateau,
    /// Still descending at K: too few steps.
    Slow,
}

impl Class {
    /// Every class, in table order.
    pub const ALL: [Class; 7] = [
        Class::Converged,
        Class::Diverged,
        Class::LeftUnitDisk,
        Class::StuckNearSaddle,
        Class::SlowOnDetour,
        Class::Plateau,
        Class::Slow,
    ];

    /// Kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Class::Converged => "converged",
            Class::Diverged => "diverged",
            Class::LeftUnitDisk => "left-unit-disk",
            Class::StuckNearSaddle => "stuck-near-saddle",
            Class::SlowOnDetour => "slow-on-detour",
            Class::Plateau => "plateau",
            Class::Slow => "slow",
        }
    }
}

/// Whether a rule's per-mode dynamics has RFLO's branch structure (random feedback â).
fn has_feedback(rule: &str) -> bool {
    rule == "rflo" || rule.starts_with("eprop")
}

/// Classifies a run under `crit` (first matching class in [`Class::ALL`] order).
pub fn classify(r: &RunRecord, crit: &Criterion) -> Class {
    if crit.converged(r) {
        return Class::Converged;
    }
    if r.diverged_at.is_some() {
        return Class::Diverged;
    }
    if r.radius_end >= 1.0 {
        return Class::LeftUnitDisk;
    }
    if r.end
        .iter()
        .any(|m| m.c.abs() < tolerances::STUDY_SADDLE_GAIN)
    {
        return Class::StuckNearSaddle;
    }
    let late = r.ratios.get(2).copied().flatten();
    let last = r.ratios.get(crit.at).copied().flatten();
    let settled = matches!((late, last), (Some(x), Some(y)) if (x - y).abs() <= tolerances::STUDY_SETTLE_FRACTION);
    if has_feedback(&r.rule) && !settled && r.end.iter().any(|m| m.a * m.a_hat < 0.0) {
        return Class::SlowOnDetour;
    }
    if settled { Class::Plateau } else { Class::Slow }
}

/// The value of axis `name` in a point key, parsed as f64 (NaN if absent).
fn key_value(key: &str, name: &str) -> f64 {
    key.split(' ')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

/// The landing point s on the optimal manifold predicted for one mode from its start (derived for
/// this project, `docs/theory/modes.md`): BPTT conserves `a² − b²`, one-step tBPTT conserves
/// `a² − b² − w²`, so `s² = (D + √(D² + 4c*²))/2` with `D = a_0² − b_0²` (BPTT) or
/// `D = a_0² − b_0² − w_0² + w*²` (tBPTT). RFLO and e-prop conserve neither; the BPTT value is used
/// as an approximation, on the branch `sgn(s) = sgn(â)` where RFLO settles.
fn landing(rule: &str, m: &ModeState, w_star: f64) -> f64 {
    let c_star: f64 = 1.0;
    let d = if rule.starts_with("tbptt") {
        m.a * m.a - m.b * m.b - m.w * m.w + w_star * w_star
    } else {
        m.a * m.a - m.b * m.b
    };
    let s = ((d + (d * d + 4.0 * c_star * c_star).sqrt()) / 2.0).sqrt();
    if has_feedback(rule) && m.a_hat < 0.0 {
        -s
    } else {
        s
    }
}

/// Predicts from the initial condition alone whether a run fails under `crit` (derived for this
/// project from the per-mode theory, `docs/theory/modes.md`; the per-mode picture is exact only for
/// the data-aligned case o ≥ m, and approximate otherwise). For every teacher mode: predict its
/// landing point s ([`landing`]), take the eigenvalues λ of the Jacobian M there (the analytic
/// `M_BPTT`, `M_tBPTT`, `M_RFLO`; e-prop as RFLO with ŵ = w*, an approximation), and predict a
/// failure when the discrete step `δ ← (1 − ηλ) δ` is unstable for some nonzero λ
/// (`|1 − ηλ| ≥ 1`: divergence, or the unstable branch) or too slow
/// (`|1 − ηλ|^{2k} > fit` at the criterion's step k).
pub fn predict_failure(r: &RunRecord, crit: &Criterion) -> bool {
    use crate::modes::ModeRule;
    use crate::modes::jacobian::{analytic_m, eigenvalues};
    let eta = key_value(&r.point, "eta");
    let steps = key_value(&r.point, "K");
    let w_hat = key_value(&r.point, "what");
    let (num, den) = CHECKPOINTS[crit.at.min(CHECKPOINTS.len() - 1)];
    let k = steps * num as f64 / den as f64;
    r.start.iter().enumerate().any(|(i, m)| {
        let w_star = W_STAR[i];
        let teacher = crate::rnn::Mode::new(1.0, 1.0, w_star);
        let rule = match r.rule.as_str() {
            "bptt" => ModeRule::Bptt,
            "tbptt:1" => ModeRule::Tbptt { k: 1 },
            "rflo" => ModeRule::Rflo {
                a_hat: m.a_hat,
                w_hat,
            },
            _ => ModeRule::Rflo {
                a_hat: m.a_hat,
                w_hat: w_star,
            },
        };
        let s = landing(&r.rule, m, w_star);
        let Ok(mm) = analytic_m(&rule, &s, &teacher) else {
            return true;
        };
        let eigs = eigenvalues(&mm);
        let scale = eigs.iter().map(|z| z.norm()).fold(0.0, f64::max);
        eigs.iter()
            .filter(|z| z.norm() > tolerances::STUDY_ZERO_EIGEN_REL * scale)
            .any(|z| {
                let factor = num_complex::Complex::new(1.0 - eta * z.re, -eta * z.im).norm();
                factor >= 1.0 || factor.powf(2.0 * k) > crit.fit
            })
    })
}

/// The point the study selects for EXP-RNN-6 and the rank-spectra figure: the point of the
/// focus grid closest to the paper's pattern (see `proofs/EXP-RNN-6.md`).
pub fn selected() -> Point {
    let mut p = Point::base(2000);
    p.horizon = 10;
    p.o = 4;
    p.init_std = 0.6;
    p.eta = 0.075;
    p.w_hat = 0.2;
    p
}

/// The criterion the study selects with [`selected`]: `L ≤ 0.05 L_0` at K/2 (the counts at the
/// selected point are the same under `L ≤ 0.05 L_0` or `0.1 L_0` at K/4 or K/2).
pub const SELECTED_CRITERION: Criterion = Criterion { fit: 0.05, at: 1 };
