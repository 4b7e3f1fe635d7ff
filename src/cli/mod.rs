//! The `lro` command line, as library code so that it can be tested. `src/main.rs` only parses
//! arguments and dispatches here.

pub mod check;
pub mod default_job;
pub mod experiment;
pub mod export;
pub mod list;
pub mod lowrank;
pub mod modes;
pub mod report;
pub mod reproduce;

use thiserror::Error;

/// What a command failed with, mapped to the CLI's exit codes.
#[derive(Debug, Error)]
pub enum CliError {
    /// Bad arguments or unusable input: exit code 2.
    #[error("{0}")]
    Usage(String),
    /// A check ran and failed: exit code 1.
    #[error("{0}")]
    Failed(String),
}

impl From<crate::LroError> for CliError {
    fn from(e: crate::LroError) -> Self {
        CliError::Usage(e.to_string())
    }
}

impl From<crate::oracle::OracleError> for CliError {
    fn from(e: crate::oracle::OracleError) -> Self {
        CliError::Usage(e.to_string())
    }
}

/// A flag value the parsers below refuse (clap prints the message after the flag's name).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ArgError {
    /// A count below 1.
    #[error("must be a positive integer (at least 1), got {0}")]
    NotPositive(i128),
    /// Not an integer where a count belongs.
    #[error("must be a positive integer (at least 1), got '{0}'")]
    NotACount(String),
    /// A count beyond `u64`.
    #[error("{0} is larger than the largest count {max}", max = u64::MAX)]
    CountTooLarge(i128),
    /// A negative instance index.
    #[error("instances are numbered from 0; a negative index ({0}) names none")]
    NegativeIndex(i128),
    /// An instance index beyond `usize`.
    #[error("{0} is too large an index")]
    IndexTooLarge(i128),
    /// Not an integer where an instance index belongs.
    #[error("must be an instance index (0, 1, 2, ...), got '{0}'")]
    NotAnIndex(String),
    /// A tolerance that is NaN or infinite.
    #[error("a tolerance must be a finite number ≥ 0, got {0}")]
    NonFiniteTolerance(f64),
    /// A negative tolerance.
    #[error("a tolerance must be ≥ 0 (it bounds |candidate − reference|), got {0}")]
    NegativeTolerance(f64),
    /// Not a number where a tolerance belongs.
    #[error("must be a number such as 1e-9, got '{0}'")]
    NotANumber(String),
}

/// Parses a count that must be at least 1 (`--seeds`, `--steps`, `--max-horizon`), refusing
/// negative numbers, zero and non-integers with a domain message (clap shows it after the flag).
pub fn positive_count(s: &str) -> Result<u64, ArgError> {
    match s.trim().parse::<i128>() {
        Ok(v) if v >= 1 => u64::try_from(v).map_err(|_| ArgError::CountTooLarge(v)),
        Ok(v) => Err(ArgError::NotPositive(v)),
        Err(_) => Err(ArgError::NotACount(s.to_string())),
    }
}

/// Parses an index that must be at least 0 (`--instance`), refusing negative numbers with a domain
/// message.
pub fn instance_index(s: &str) -> Result<usize, ArgError> {
    match s.trim().parse::<i128>() {
        Ok(v) if v >= 0 => usize::try_from(v).map_err(|_| ArgError::IndexTooLarge(v)),
        Ok(v) => Err(ArgError::NegativeIndex(v)),
        Err(_) => Err(ArgError::NotAnIndex(s.to_string())),
    }
}

/// Parses a tolerance: a finite number ≥ 0 (`--rtol`, `--atol`), refusing negative and non-finite
/// values with a domain message.
pub fn tolerance(s: &str) -> Result<f64, ArgError> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(v) if v.is_nan() || v.is_infinite() => Err(ArgError::NonFiniteTolerance(v)),
        Ok(v) => Err(ArgError::NegativeTolerance(v)),
        Err(_) => Err(ArgError::NotANumber(s.to_string())),
    }
}

impl CliError {
    /// The process exit code: 2 for usage errors, 1 for failed checks.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Failed(_) => 1,
        }
    }
}
