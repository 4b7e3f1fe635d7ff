//! Judging runs: the convergence criterion ([`Criterion`]), why a run did not converge in the terms
//! of the per-mode theory ([`classify`]), and the failure predicted from the initial condition
//! alone ([`predict_failure`]).
use super::{CHECKPOINTS, ModeState, RunRecord, W_STAR};
use crate::tolerances;
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
/// landing point s (`landing`), take the eigenvalues λ of the Jacobian M there (the analytic
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
