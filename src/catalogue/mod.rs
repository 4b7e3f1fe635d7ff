//! The catalogue: every theorem, identity or claim of the specs as one entry (DESIGN.md, core
//! idea 2). `cargo test` runs each entry at [`Budget::Test`]; `lro report` at `Quick` or `Full`.
//! Every id has a `proofs/ID.md` file explaining it (a test keeps the two in step).

pub mod compare;
pub mod contrastive;
pub mod experiments;
pub mod lowrank;
pub mod modes;
pub mod rnn;

use crate::error::Result;
use serde::Serialize;
use std::fmt;

/// Where a statement comes from (spec "How to read this").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tag {
    /// Stated in the paper's abstract or opening (paraphrased).
    Paper,
    /// From a public summary of the paper (paraphrased).
    Notes,
    /// Derived for this project and checked numerically.
    Derived,
    /// Derived for this project; checked here for the first time.
    DerivedUnchecked,
    /// A well-known result of another paper.
    Standard,
    /// A convention this project chooses.
    Assumed,
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Tag::Paper => "paper",
            Tag::Notes => "notes",
            Tag::Derived => "derived",
            Tag::DerivedUnchecked => "derived, unchecked",
            Tag::Standard => "standard",
            Tag::Assumed => "assumed",
        })
    }
}

/// A provenance: one or more tags, shown as `[notes; derived]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Provenance(pub &'static [Tag]);

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|t| t.to_string()).collect();
        write!(f, "[{}]", parts.join("; "))
    }
}

/// How much work a check may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Budget {
    /// `cargo test`: seconds per entry.
    Test,
    /// `lro report --budget quick`: the whole catalogue in under a minute.
    Quick,
    /// `lro report --budget full`: the heavy suites.
    Full,
}

impl Budget {
    /// Scales a base instance count: ×1 (test), ×2 (quick), ×10 (full).
    pub fn instances(self, base: usize) -> usize {
        base * match self {
            Budget::Test => 1,
            Budget::Quick => 2,
            Budget::Full => 10,
        }
    }
}

/// What a check found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    /// Number of instances (random draws, grid points, seeds) checked.
    pub instances: usize,
    /// Worst error measure over the instances (0 for exact checks that held).
    pub worst_error: f64,
    /// The tolerance the error was held to; `None` for exact equality over rationals.
    pub tolerance: Option<f64>,
    /// Whether every instance passed.
    pub passed: bool,
    /// One line on how it was checked (number kinds, sizes, what the error measures).
    pub detail: String,
}

impl Evidence {
    /// Evidence from a worst error and its tolerance (`None`: exact, must be 0).
    pub fn from_worst(
        instances: usize,
        worst_error: f64,
        tolerance: Option<f64>,
        detail: impl Into<String>,
    ) -> Self {
        let passed = match tolerance {
            None => worst_error == 0.0,
            Some(tol) => worst_error <= tol,
        };
        Evidence {
            instances,
            worst_error,
            tolerance,
            passed,
            detail: detail.into(),
        }
    }

    /// Combines the evidence of two sub-checks of one entry: instances add, errors are kept relative
    /// to their own tolerances (the worse ratio wins), and the entry passes only if both pass.
    pub fn and(self, other: Evidence) -> Evidence {
        let ratio = |e: &Evidence| match e.tolerance {
            Some(t) if t > 0.0 => e.worst_error / t,
            _ => {
                if e.worst_error == 0.0 {
                    0.0
                } else {
                    f64::INFINITY
                }
            }
        };
        let worse = if ratio(&other) > ratio(&self) {
            &other
        } else {
            &self
        };
        Evidence {
            instances: self.instances + other.instances,
            worst_error: worse.worst_error,
            tolerance: worse.tolerance,
            passed: self.passed && other.passed,
            detail: format!("{}; {}", self.detail, other.detail),
        }
    }
}

/// The theory area an entry belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    /// Linear RNN: losses, gradients, rule identities, alignment (spec §§2–3).
    RnnRules,
    /// Per-mode theory: fixed points, Jacobians, stability, rates (spec §4).
    RnnModes,
    /// RFLO's low-rank theorem and representation structure (spec §5).
    RnnLowRank,
    /// Contrastive learning with flexible phase dynamics.
    Contrastive,
}

/// One catalogue entry.
#[derive(Clone, Copy)]
pub struct Entry {
    /// The spec's id, e.g. `P-RNN-7` (or a sub-id `P-RNN-35.a`).
    pub id: &'static str,
    /// The theory area.
    pub area: Area,
    /// One-line statement.
    pub statement: &'static str,
    /// Provenance tags as in the spec.
    pub provenance: Provenance,
    /// Runs the check at a budget.
    pub check: fn(Budget) -> Result<Evidence>,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.id, self.provenance, self.statement)
    }
}

/// Every entry, in catalogue order.
pub fn all() -> Vec<Entry> {
    let mut v = Vec::new();
    v.extend(rnn::entries());
    v.extend(modes::entries());
    v.extend(lowrank::entries());
    v.extend(experiments::entries());
    v.extend(contrastive::entries());
    v
}

/// The entry with this id.
pub fn find(id: &str) -> Option<Entry> {
    all().into_iter().find(|e| e.id == id)
}
