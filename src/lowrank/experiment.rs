//! The student–teacher experiment of `docs/theory/linear-rnn.md#experiments` (after the paper's main experiment and Fig. 6; **settings
//! chosen by the project**, since the paper's sizes, rates, horizon, initialisation, teacher values
//! and convergence criterion are not known, `docs/theory/linear-rnn.md#gaps`).
//!
//! A non-aligned student with small Gaussian initialisation learns a 4-mode teacher with one output
//! (o = 1) under BPTT, one-step tBPTT, RFLO and e-prop (random feedback, the same R as RFLO), with
//! expected (full-batch) updates. The teacher has `n` hidden units of which 4 are active:
//! `A* = a*ᵀ P*ᵀ`, `W* = P* diag(w*) P*ᵀ`, `B* = P* B̄* Vᵀ` with `B̄*` (rectangular) diagonal, so input
//! direction `v_i` drives exactly the recurrent mode i and all four modes feed the one output. (With
//! o = 1 the fully aligned construction of `docs/theory/linear-rnn.md#data-alignment` admits one mode only, `docs/theory/linear-rnn.md#gaps`; this teacher is
//! aligned on the input and recurrent sides.)
//!
//! Reported per rule: convergence counts under a criterion fixed before the runs (see
//! [`Settings::fit_fraction`]), the singular values of `W_K − W_0`, their numerical and effective
//! ranks, and the alignment metrics of `docs/theory/linear-rnn.md#alignment-metrics` at the start and the end of training.
use super::{Change, numerical_rank, param_scale, sv_gap};
use crate::error::Result;
#[cfg(feature = "rug")]
use crate::evidence::Budget;
use crate::linalg;
use crate::rnn::metrics::Alignment;
use crate::rnn::{Rnn, StudentTeacher};
use crate::rules::{Feedback, Loss, Rule};
use crate::tolerances;
use crate::train::{self, AlignmentRef, Recording, Schedule, TrainConfig, Updates};
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::fmt::Write;

/// The experiment's settings (all chosen by the project; see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Student (and embedding teacher) hidden dimension n.
    pub n: usize,
    /// Input dimension d (≥ number of teacher modes).
    pub d: usize,
    /// The teacher's active modes: recurrent eigenvalues `w*_i`.
    pub w_star: Vec<f64>,
    /// The teacher's readout gains `a*_i` (input gains `b*_i = 1`).
    pub a_star: Vec<f64>,
    /// Horizon T of the final-step loss.
    pub horizon: usize,
    /// Constant learning rate η.
    pub eta: f64,
    /// Number of expected-update steps K.
    pub steps: usize,
    /// Student init: entries of A, W, B are N(0, (init_std)² / fan_in).
    pub init_std: f64,
    /// RFLO's scalar surrogate ŵ.
    pub w_hat: f64,
    /// Seeds 0 … seeds−1 (one student init, feedback R and pair of bases each).
    pub seeds: u64,
    /// Converged: no divergence and `L_K ≤ fit_fraction · L_0`.
    pub fit_fraction: f64,
    /// Settled: no divergence and `|L_K − L_{⌊0.9K⌋}| ≤ settle_fraction · L_0`.
    pub settle_fraction: f64,
    /// Divergence bound on the largest absolute parameter.
    pub divergence_bound: f64,
    /// Number of alignment checkpoints over training.
    pub checkpoints: usize,
}

impl Settings {
    /// The settings at a catalogue budget: the full 20 seeds at `Budget::Full`, 4 at `Quick`, 2 at
    /// `Test` (with fewer steps at `Test` so that it runs in a few seconds).
    #[cfg(feature = "rug")]
    pub fn at(budget: Budget) -> Self {
        match budget {
            Budget::Test => Self::with(2, 3000),
            Budget::Quick => Self::with(4, 12_000),
            Budget::Full => Self::with(20, 12_000),
        }
    }

    /// The project's settings with `seeds` seeds and `steps` steps.
    pub fn with(seeds: u64, steps: usize) -> Self {
        Settings {
            n: 8,
            d: 4,
            w_star: vec![0.8, 0.5, -0.5, 0.2],
            a_star: vec![1.0, 1.0, 1.0, 1.0],
            horizon: 20,
            eta: 0.05,
            steps,
            init_std: 0.1,
            w_hat: 0.5,
            seeds,
            fit_fraction: 0.01,
            settle_fraction: 1e-3,
            divergence_bound: 1e4,
            checkpoints: 10,
        }
    }

    /// One line describing the settings.
    pub fn describe(&self) -> String {
        format!(
            "o=1 d={} n={} teacher modes={} w*={:?} a*={:?} b*=1 T={} loss=final updates=expected \
             eta={} K={} init_std={}/sqrt(fan_in) w_hat={} R~N(0,1/n) e-prop=random feedback (same R) \
             seeds=0..{}",
            self.d,
            self.n,
            self.w_star.len(),
            self.w_star,
            self.a_star,
            self.horizon,
            self.eta,
            self.steps,
            self.init_std,
            self.w_hat,
            self.seeds
        )
    }
}

/// The four rules compared.
pub const RULES: [&str; 4] = ["bptt", "tbptt:1", "rflo", "eprop-random"];

/// One seed's draw: student, teacher, feedback and the teacher's bases.
#[derive(Clone, Debug)]
pub struct Draw {
    /// Student and teacher.
    pub st: StudentTeacher<f64>,
    /// Feedback R (1×n).
    pub feedback: DMatrix<f64>,
    /// Reference bases (`U = [1]`, V, P*) for the alignment metrics.
    pub reference: AlignmentRef,
}

fn gaussian(rng: &mut ChaCha8Rng, rows: usize, cols: usize, std: f64) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| {
        std * rng.sample::<f64, _>(StandardNormal)
    })
}

/// Draws seed `seed`'s teacher bases, student init and feedback.
pub fn draw(s: &Settings, seed: u64) -> Result<Draw> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (n, d, m) = (s.n, s.d, s.w_star.len());
    let v: DMatrix<f64> = linalg::random_orthogonal(d, &mut rng);
    let p: DMatrix<f64> = linalg::random_orthogonal(n, &mut rng);
    let abar = DMatrix::from_fn(1, n, |_, j| if j < m { s.a_star[j] } else { 0.0 });
    let wbar = DMatrix::from_fn(n, n, |i, j| if i == j && i < m { s.w_star[i] } else { 0.0 });
    let bbar = DMatrix::from_fn(n, d, |i, j| if i == j && i < m { 1.0 } else { 0.0 });
    let teacher = Rnn::new(
        &abar * p.transpose(),
        &p * wbar * p.transpose(),
        &p * bbar * v.transpose(),
    )?;
    let student = Rnn::new(
        gaussian(&mut rng, 1, n, s.init_std / (n as f64).sqrt()),
        gaussian(&mut rng, n, n, s.init_std / (n as f64).sqrt()),
        gaussian(&mut rng, n, d, s.init_std / (d as f64).sqrt()),
    )?;
    let feedback = gaussian(&mut rng, 1, n, 1.0 / (n as f64).sqrt());
    Ok(Draw {
        st: StudentTeacher::new(student, teacher)?,
        feedback: feedback.clone(),
        reference: AlignmentRef {
            u: DMatrix::identity(1, 1),
            v,
            p_star: p,
            feedback: Some(feedback),
        },
    })
}

/// The rule named `name` (one of [`RULES`]) with this draw's feedback.
pub fn rule(name: &str, s: &Settings, dr: &Draw) -> Rule<f64> {
    match name {
        "bptt" => Rule::Bptt,
        "tbptt:1" => Rule::Tbptt { k: 1 },
        "rflo" => Rule::Rflo {
            feedback: dr.feedback.clone(),
            w_hat: s.w_hat,
        },
        _ => Rule::Eprop {
            feedback: Feedback::Random(dr.feedback.clone()),
        },
    }
}

/// One checkpoint of a run: (step, alignment metrics, expected loss).
pub type CoursePoint = (usize, Alignment, f64);

/// One run's outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct RunOutcome {
    /// Rule name.
    pub rule: String,
    /// Seed.
    pub seed: u64,
    /// Expected loss at step 0.
    pub loss0: f64,
    /// Expected loss at the end.
    pub loss_end: f64,
    /// Expected loss at step ⌊0.9 K⌋ (or the last checkpoint before it).
    pub loss_late: f64,
    /// Step at which the run diverged, if it did.
    pub diverged_at: Option<usize>,
    /// Singular values of `W_K − W_0`, descending.
    pub spectrum: Vec<f64>,
    /// `σ_2 / max(σ_1, scale)` of `W_K − W_0` (the Proposition 3.1 gap for o = 1).
    pub gap: f64,
    /// Number of singular values above `RANK_REL_GAP · σ_1`.
    pub rank: usize,
    /// Number of singular values above `EFFECTIVE_RANK_REL · σ_1`.
    pub effective_rank: usize,
    /// Alignment metrics at step 0 and at the end.
    pub alignment: (Alignment, Alignment),
    /// Alignment metrics and loss at every checkpoint (step, metrics, loss): the course of training.
    pub course: Vec<CoursePoint>,
}

impl RunOutcome {
    /// The stated convergence criterion: no divergence and `L_K ≤ fit_fraction · L_0`.
    pub fn converged(&self, s: &Settings) -> bool {
        self.diverged_at.is_none() && self.loss_end <= s.fit_fraction * self.loss0
    }
    /// Settled: no divergence and the loss moved by at most `settle_fraction · L_0` over the last
    /// tenth of training.
    pub fn settled(&self, s: &Settings) -> bool {
        self.diverged_at.is_none()
            && (self.loss_end - self.loss_late).abs() <= s.settle_fraction * self.loss0
    }
}

/// Runs one rule on one seed.
pub fn run_one(s: &Settings, name: &str, seed: u64) -> Result<RunOutcome> {
    let dr = draw(s, seed)?;
    let mut cfg = TrainConfig::new(
        rule(name, s, &dr),
        Updates::Expected,
        Loss::Final,
        s.horizon,
        s.steps,
        Schedule::Constant(s.eta),
    );
    cfg.divergence_bound = s.divergence_bound;
    let late = s.steps * 9 / 10;
    // Record at every tenth of training, so that step ⌊0.9 K⌋ is a checkpoint when 10 | K.
    cfg.record = Recording {
        every: (s.steps / s.checkpoints.max(1)).max(1),
        loss: true,
        alignment: Some(dr.reference.clone()),
        params: false,
    };
    let res = train::train(&dr.st, &cfg)?;
    let first = &res.checkpoints[0];
    let last = res
        .checkpoints
        .last()
        .expect("at least the initial checkpoint");
    let loss_late = res
        .checkpoints
        .iter()
        .rfind(|c| c.step <= late)
        .and_then(|c| c.loss)
        .unwrap_or(f64::NAN);
    let change = Change::between(&dr.st.student, &res.net)?;
    let spectrum = linalg::singular_values(&change.w);
    let scale = res.peak.max(param_scale(&dr.st.student, &res.net));
    Ok(RunOutcome {
        rule: name.into(),
        seed,
        loss0: first.loss.unwrap_or(f64::NAN),
        loss_end: last.loss.unwrap_or(f64::NAN),
        loss_late,
        diverged_at: res.divergence.map(|d| d.step),
        gap: sv_gap(&change.w, 1, scale),
        rank: numerical_rank(&change.w, tolerances::RANK_REL_GAP),
        effective_rank: numerical_rank(&change.w, tolerances::EFFECTIVE_RANK_REL),
        spectrum,
        alignment: (
            first.alignment.expect("alignment recorded"),
            last.alignment.expect("alignment recorded"),
        ),
        course: res
            .checkpoints
            .iter()
            .filter_map(|c| Some((c.step, c.alignment?, c.loss?)))
            .collect(),
    })
}

/// All runs of the experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The settings used.
    pub settings: Settings,
    /// Every (rule, seed) outcome, rules in [`RULES`] order.
    pub runs: Vec<RunOutcome>,
}

/// Runs every rule on every seed.
pub fn run(s: &Settings) -> Result<Summary> {
    let mut runs = Vec::new();
    for name in RULES {
        for seed in 0..s.seeds {
            runs.push(run_one(s, name, seed)?);
        }
    }
    Ok(Summary {
        settings: s.clone(),
        runs,
    })
}

/// `x` to two significant digits, in a fixed textual form.
pub fn sig2(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    format!("{x:.1e}")
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

impl Summary {
    /// The runs of one rule.
    pub fn of(&self, rule: &str) -> Vec<&RunOutcome> {
        self.runs.iter().filter(|r| r.rule == rule).collect()
    }

    /// (converged, settled, diverged) counts of one rule.
    pub fn counts(&self, rule: &str) -> (usize, usize, usize) {
        let runs = self.of(rule);
        (
            runs.iter().filter(|r| r.converged(&self.settings)).count(),
            runs.iter().filter(|r| r.settled(&self.settings)).count(),
            runs.iter().filter(|r| r.diverged_at.is_some()).count(),
        )
    }

    /// A rounded, human-readable summary (counts, ranks, median spectra to 2 significant digits,
    /// mean alignment at start and end).
    pub fn render(&self) -> String {
        let s = &self.settings;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "student-teacher experiment (after the paper's main experiment and Fig. 6; settings chosen by the project)"
        );
        let _ = writeln!(out, "settings: {}", s.describe());
        let _ = writeln!(
            out,
            "criterion: converged = no divergence and L_K <= {} L_0; settled = no divergence and |L_K - L_(0.9K)| <= {} L_0; diverged = max|param| > {} or non-finite",
            s.fit_fraction, s.settle_fraction, s.divergence_bound
        );
        let _ = writeln!(
            out,
            "rank = #sigma > {:e} sigma_1; eff.rank = #sigma > {} sigma_1 (of W_K - W_0)",
            tolerances::RANK_REL_GAP,
            tolerances::EFFECTIVE_RANK_REL
        );
        let a2: f64 = s.a_star.iter().map(|a| a * a).sum();
        let _ = writeln!(
            out,
            "teacher's own alignment (reference): recurrent 1, input 1, output {} (o = 1: a*_1^2 / sum a*_i^2)",
            sig2(s.a_star.first().map_or(0.0, |a| a * a) / a2)
        );
        for name in RULES {
            let runs = self.of(name);
            let k = runs.len();
            let (conv, settled, div) = self.counts(name);
            let ranks: Vec<usize> = runs.iter().map(|r| r.rank).collect();
            let eff: Vec<usize> = runs.iter().map(|r| r.effective_rank).collect();
            let range = |v: &[usize]| {
                format!(
                    "{}-{}",
                    v.iter().min().copied().unwrap_or(0),
                    v.iter().max().copied().unwrap_or(0)
                )
            };
            let _ = writeln!(out, "\n[{name}]");
            let _ = writeln!(
                out,
                "converged {conv}/{k}  settled {settled}/{k}  diverged {div}/{k}"
            );
            let _ = writeln!(
                out,
                "rank {}  eff.rank {}  median L_K/L_0 {}",
                range(&ranks),
                range(&eff),
                sig2(median(runs.iter().map(|r| r.loss_end / r.loss0).collect()))
            );
            // Values at rounding level (≤ RANK_REL_GAP σ_1) print as "~0": their digits are noise.
            let top: Vec<String> = (0..s.n.min(6))
                .map(|i| {
                    let v: Vec<f64> = runs
                        .iter()
                        .map(|r| {
                            let x = r.spectrum.get(i).copied().unwrap_or(0.0);
                            let s1 = r.spectrum.first().copied().unwrap_or(0.0);
                            if x <= tolerances::RANK_REL_GAP * s1 {
                                0.0
                            } else {
                                x
                            }
                        })
                        .collect();
                    match median(v) {
                        0.0 => "~0".to_string(),
                        m => sig2(m),
                    }
                })
                .collect();
            let _ = writeln!(out, "median sigma_1..6 of W_K-W_0: {}", top.join(" "));
            let mean = |f: &dyn Fn(&RunOutcome) -> f64| {
                runs.iter().map(|r| f(r)).sum::<f64>() / k.max(1) as f64
            };
            let _ = writeln!(
                out,
                "mean alignment start -> end: recurrent {} -> {}  input {} -> {}  output {} -> {}  feedback {} -> {}",
                sig2(mean(&|r| r.alignment.0.recurrent)),
                sig2(mean(&|r| r.alignment.1.recurrent)),
                sig2(mean(&|r| r.alignment.0.input)),
                sig2(mean(&|r| r.alignment.1.input)),
                sig2(mean(&|r| r.alignment.0.output)),
                sig2(mean(&|r| r.alignment.1.output)),
                sig2(mean(&|r| r.alignment.0.feedback.unwrap_or(f64::NAN))),
                sig2(mean(&|r| r.alignment.1.feedback.unwrap_or(f64::NAN))),
            );
            // The course of training: mean over seeds at each checkpoint (runs that stopped early
            // contribute their last state).
            let cps = runs.iter().map(|r| r.course.len()).max().unwrap_or(0);
            let at = |r: &RunOutcome, i: usize| r.course[i.min(r.course.len() - 1)];
            let series = |f: &dyn Fn(&RunOutcome, &CoursePoint) -> f64| -> String {
                (0..cps)
                    .map(|i| sig2(runs.iter().map(|r| f(r, &at(r, i))).sum::<f64>() / k as f64))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            if cps > 0 && runs.iter().all(|r| !r.course.is_empty()) {
                let _ = writeln!(
                    out,
                    "course over checkpoints (every K/{}): mean L/L_0 {}",
                    s.checkpoints,
                    series(&|r, c| c.2 / r.loss0)
                );
                let _ = writeln!(out, "  recurrent {}", series(&|_, c| c.1.recurrent));
                let _ = writeln!(out, "  input     {}", series(&|_, c| c.1.input));
                let _ = writeln!(
                    out,
                    "  feedback  {}",
                    series(&|_, c| c.1.feedback.unwrap_or(f64::NAN))
                );
            }
        }
        out
    }
}
