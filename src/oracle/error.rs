//! Typed errors of the oracle: every way a case, a fixture or a candidate can be refused, each with
//! a message that says what to change.
use crate::error::LroError;
use thiserror::Error;

/// Why an export or a check could not run.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum OracleError {
    /// The case (built-in name, config or fixture file) is invalid.
    #[error(transparent)]
    Case(#[from] LroError),
    /// A file could not be read or parsed (NPZ, NPY, JSON); the reason names the member or key.
    #[error("cannot read {source_name}: {reason}")]
    Read {
        /// The file (or in-memory source) read.
        source_name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The candidate cannot be compared: every problem is named.
    #[error("unusable candidate {candidate} for case {case}: {}", problems.join("; "))]
    Unusable {
        /// The candidate's label (its file name).
        candidate: String,
        /// The reference case.
        case: String,
        /// Each problem, in words.
        problems: Vec<String>,
    },
    /// A reference value is NaN or infinite: no verdict can be drawn from it.
    #[error(
        "the reference of case {case} holds the non-finite value {value} in tensor {tensor}{} \
         at index {index:?}; the case's parameters overflow (lower the scales or the horizon)",
        step.map(|s| format!(" (time step t = {s})")).unwrap_or_default()
    )]
    NonFiniteReference {
        /// The case.
        case: String,
        /// The tensor holding it.
        tensor: String,
        /// The model time step of its row, when the tensor has a time axis.
        step: Option<usize>,
        /// Its multi-index.
        index: Vec<usize>,
        /// The value (NaN or ±inf).
        value: f64,
    },
    /// A requested size exceeds a stated limit (checked before any allocation).
    #[error(
        "{what} = {requested} exceeds the limit {limit}; to raise it, pass {flag} {requested} \
         (or larger)"
    )]
    Limit {
        /// The quantity limited (e.g. "hidden size n").
        what: String,
        /// The requested value.
        requested: u64,
        /// The limit in force.
        limit: u64,
        /// The flag (or `Limits` field) that raises it.
        flag: String,
    },
    /// A rule named in `require` is not a rule of the case.
    #[error("unknown rule '{rule}' in require: case {case} has the rules {}", known.join(", "))]
    UnknownRule {
        /// The name given.
        rule: String,
        /// The case.
        case: String,
        /// The case's rules.
        known: Vec<String>,
    },
    /// A bad option value (tolerance, precision).
    #[error("invalid option {name}: {reason}")]
    Option {
        /// The option.
        name: String,
        /// What is wrong and what to change.
        reason: String,
    },
}

/// Result alias for the oracle.
pub type OracleResult<T> = std::result::Result<T, OracleError>;

impl OracleError {
    pub(crate) fn read(source: &str, reason: impl std::fmt::Display) -> Self {
        OracleError::Read {
            source_name: source.to_string(),
            reason: reason.to_string(),
        }
    }
}

/// What is wrong with a candidate or fixture file's contents (NPY header, JSON layout, an entry),
/// in words a user can act on; [`OracleError::Read`] adds the file's name.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{0}")]
pub struct Malformed(pub String);

impl From<String> for Malformed {
    fn from(s: String) -> Self {
        Malformed(s)
    }
}

impl From<&str> for Malformed {
    fn from(s: &str) -> Self {
        Malformed(s.to_string())
    }
}
