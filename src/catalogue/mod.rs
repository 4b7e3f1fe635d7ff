//! The catalogue: every theorem, identity or claim of the theory pages as one entry (ARCHITECTURE.md).
//! `cargo test` runs each entry at [`Budget::Test`]; `lro report` at `Quick` or `Full`.
//! Every id has a `proofs/ID.md` file explaining it (a test keeps the two in step).

/// Declares one catalogue entry: the one way every entry in the catalogue is written.
///
/// ```ignore
/// entry!("P-RNN-7", RnnRules, [Derived], "RFLO with R = A and ŵ = 0 equals one-step tBPTT", p7)
/// ```
///
/// The arguments are the id, the [`Area`] variant, the provenance [`Tag`] variants (one or more, in
/// the order shown), the one-line statement, and the check: a `fn(Budget) -> Result<Evidence>` or a
/// non-capturing closure such as `|b| block(b, 0)`.
macro_rules! entry {
    ($id:expr, $area:ident, [$($tag:ident),+ $(,)?], $statement:expr, $check:expr $(,)?) => {
        $crate::catalogue::Entry {
            id: $id,
            area: $crate::catalogue::Area::$area,
            statement: $statement,
            provenance: $crate::catalogue::Provenance(&[$($crate::catalogue::Tag::$tag),+]),
            check: $check,
        }
    };
}
// Submodules declared below see the macro textually; the path form `catalogue::entry!` is for code
// elsewhere in the crate.
#[allow(unused_imports)]
pub(crate) use entry;

pub mod contrastive;
pub mod edges;
pub mod experiments;
pub mod lowrank;
pub mod modes;
pub mod rnn;
pub mod study;

use crate::error::Result;
use serde::Serialize;
use std::fmt;

/// Where a statement comes from (`docs/theory/notation.md#conventions`).
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

pub use crate::evidence::{Bound, Budget, Evidence, Finding, Measure, Reproducer};

/// The theory area an entry belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    /// Linear RNN: losses, gradients, rule identities, alignment (`docs/theory/linear-rnn.md`).
    RnnRules,
    /// Per-mode theory: fixed points, Jacobians, stability, rates (`docs/theory/modes.md`).
    RnnModes,
    /// RFLO's low-rank theorem and representation structure (`docs/theory/lowrank.md`).
    RnnLowRank,
    /// Contrastive learning with flexible phase dynamics.
    Contrastive,
}

/// One catalogue entry.
#[derive(Clone, Copy)]
pub struct Entry {
    /// The catalogue id, e.g. `P-RNN-7` (or a sub-id `P-RNN-35.a`).
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
    v.extend(edges::entries());
    v.extend(study::entries());
    v.extend(experiments::entries());
    v.extend(contrastive::entries());
    v
}

/// The instances of a check over a fixed list of `n` settings: `0..n` at every budget (the list
/// does not grow with the budget), or only the instance selected by
/// [`crate::evidence::with_instance`] when it is below `n`.
pub(crate) fn fixed_cases(b: Budget, n: usize) -> Vec<usize> {
    b.cases(n).into_iter().filter(|&k| k < n).collect()
}

/// The entry with this id.
pub fn find(id: &str) -> Option<Entry> {
    all().into_iter().find(|e| e.id == id)
}
