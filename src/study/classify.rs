//! Judging runs: the convergence criterion ([`Criterion`]), why a run did not converge in the terms
//! of the per-mode theory ([`classify`]), and the failure predicted from the initial condition
//! alone ([`forecast`], [`predict_failure`]).
use super::{CHECKPOINTS, ModeState, RunRecord, W_STAR};
use crate::modes::{Horizon, ModeRule};
use crate::rnn::Mode;
use crate::tolerances;
use crate::train::Schedule;
use serde::Serialize;
use std::fmt;

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

/// The rate schedule written in a point key: `sched=const` or `sched=decay{k0}` with `eta=η`
/// (`None` if the key does not name one).
fn schedule(key: &str) -> Option<Schedule<f64>> {
    let eta = key_value(key, "eta");
    let sched = key.split(' ').find_map(|kv| kv.strip_prefix("sched="))?;
    match sched.strip_prefix("decay") {
        None => (sched == "const").then_some(Schedule::Constant(eta)),
        Some(k0) => k0
            .parse()
            .ok()
            .map(|k0| Schedule::Decaying { eta0: eta, k0 }),
    }
}

/// The per-mode rule that stands for a study rule on one teacher mode. RFLO is exact
/// (`â` is the mode's feedback gain); e-prop is approximated as RFLO with `ŵ = w*` (its trace
/// decays with the student's own recurrence, which tends to w*).
fn mode_rule(rule: &str, m: &ModeState, w_hat: f64, w_star: f64) -> ModeRule<f64> {
    match rule {
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
    }
}

/// What the per-mode theory forecasts for one run from its initial condition alone: the summed
/// per-mode loss ratio `Σ_i L_i(k) / Σ_i L_i(0)` at each of the [`CHECKPOINTS`] (`None` once the
/// forecast diverged).
#[derive(Clone, Debug, PartialEq)]
pub struct Forecast {
    /// Forecast `L_k / L_0` at the [`CHECKPOINTS`].
    pub ratios: Vec<Option<f64>>,
}

impl Forecast {
    /// Whether the forecast fails `crit` (above its fit at its checkpoint, or diverged).
    pub fn fails(&self, crit: &Criterion) -> bool {
        !self
            .ratios
            .get(crit.at)
            .copied()
            .flatten()
            .is_some_and(|x| x <= crit.fit)
    }
}

/// Forecasts a run from its initial condition alone (derived for this project from the per-mode
/// theory, `docs/theory/modes.md#forecast`): every teacher mode's effective parameters at the
/// start (`RunRecord::start`) are iterated through the discrete per-mode map
/// `θ ← θ − η_k Δθ` with the finite-horizon update of the run's rule, horizon T, rate schedule and
/// step count K, and the per-mode losses `L_T = ½ Σ_{k<T} g_k²` are summed at the checkpoints. The
/// per-mode picture is exact only for the data-aligned case (o ≥ m, aligned student); here the
/// student starts random, so this is a forecast whose accuracy the study measures. It keeps the
/// nonlinearity the linearisation at the landing point loses: a step size past the landing point's
/// stability edge `2/λ_max(M)` can still settle on a small period-2 orbit whose loss passes the
/// criterion.
pub fn forecast(r: &RunRecord) -> Forecast {
    let (steps, horizon, w_hat) = (
        key_value(&r.point, "K"),
        key_value(&r.point, "T"),
        key_value(&r.point, "what"),
    );
    let none = Forecast {
        ratios: vec![None; CHECKPOINTS.len()],
    };
    let Some(sched) = schedule(&r.point) else {
        return none;
    };
    if !(steps.is_finite() && horizon.is_finite() && horizon >= 1.0 && steps >= 0.0) {
        return none;
    }
    let (steps, horizon) = (steps as usize, horizon as usize);
    let teachers: Vec<Mode<f64>> = W_STAR.iter().map(|&ws| Mode::new(1.0, 1.0, ws)).collect();
    let total = |modes: &[Mode<f64>]| -> Option<f64> {
        modes.iter().zip(&teachers).try_fold(0.0, |s, (m, t)| {
            let l = crate::modes::loss(m, t, Horizon::Finite(horizon)).ok()?;
            l.is_finite().then_some(s + l)
        })
    };
    let rules: Vec<ModeRule<f64>> = r
        .start
        .iter()
        .zip(W_STAR)
        .map(|(m, ws)| mode_rule(&r.rule, m, w_hat, ws))
        .collect();
    let mut modes: Vec<Mode<f64>> = r.start.iter().map(|m| Mode::new(m.a, m.b, m.w)).collect();
    let Some(l0) = total(&modes).filter(|l| *l > 0.0) else {
        return none;
    };
    let at: Vec<usize> = CHECKPOINTS
        .iter()
        .map(|&(num, den)| steps * num / den)
        .collect();
    let mut ratios = vec![None; CHECKPOINTS.len()];
    // Fills the checkpoints at steps `from..=to` with the current state's ratio.
    let fill = |ratios: &mut Vec<Option<f64>>, modes: &[Mode<f64>], from: usize, to: usize| {
        let ratio = total(modes).map(|l| l / l0);
        for (slot, s) in ratios.iter_mut().zip(&at) {
            if (from..=to).contains(s) {
                *slot = ratio;
            }
        }
    };
    fill(&mut ratios, &modes, 0, 0);
    for k in 0..steps {
        let eta = sched.rate(k);
        let mut moved = false;
        for ((m, rule), teacher) in modes.iter_mut().zip(&rules).zip(&teachers) {
            let Ok(d) = crate::modes::update_finite_sum(rule, m, teacher, horizon) else {
                return Forecast { ratios };
            };
            let next = Mode::new(m.a - eta * d.a, m.b - eta * d.b, m.w - eta * d.w);
            let bad = [next.a, next.b, next.w]
                .iter()
                .any(|x| !x.is_finite() || x.abs() > tolerances::STUDY_DIVERGENCE_BOUND);
            if bad {
                return Forecast { ratios };
            }
            moved |= next != *m;
            *m = next;
        }
        if !moved {
            // A fixed point in f64: every later checkpoint sees this state.
            fill(&mut ratios, &modes, k + 1, steps);
            return Forecast { ratios };
        }
        fill(&mut ratios, &modes, k + 1, k + 1);
    }
    Forecast { ratios }
}

/// Predicts from the initial condition alone whether a run fails under `crit`: the per-mode
/// [`forecast`] fails it. For many criteria, compute the [`Forecast`] once and ask
/// [`Forecast::fails`].
pub fn predict_failure(r: &RunRecord, crit: &Criterion) -> bool {
    forecast(r).fails(crit)
}
