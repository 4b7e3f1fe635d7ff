//! One setting of everything the paper leaves open ([`Point`]), its canonical key and its axes.
use super::{Result, StudyError, W_STAR};
use serde::{Deserialize, Serialize};
use std::fmt;

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
