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

use std::fmt;

/// What a command failed with, mapped to the CLI's exit codes.
#[derive(Debug)]
pub enum CliError {
    /// Bad arguments or unusable input: exit code 2.
    Usage(String),
    /// A check ran and failed: exit code 1.
    Failed(String),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(m) | CliError::Failed(m) => f.write_str(m),
        }
    }
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

/// Parses a count that must be at least 1 (`--seeds`, `--steps`, `--max-horizon`), refusing
/// negative numbers, zero and non-integers with a domain message (clap shows it after the flag).
pub fn positive_count(s: &str) -> Result<u64, String> {
    match s.trim().parse::<i128>() {
        Ok(v) if v >= 1 => u64::try_from(v)
            .map_err(|_| format!("{v} is larger than the largest count {}", u64::MAX)),
        Ok(v) => Err(format!("must be a positive integer (at least 1), got {v}")),
        Err(_) => Err(format!(
            "must be a positive integer (at least 1), got '{s}'"
        )),
    }
}

/// Parses an index that must be at least 0 (`--instance`), refusing negative numbers with a domain
/// message.
pub fn instance_index(s: &str) -> Result<usize, String> {
    match s.trim().parse::<i128>() {
        Ok(v) if v >= 0 => usize::try_from(v).map_err(|_| format!("{v} is too large an index")),
        Ok(v) => Err(format!(
            "instances are numbered from 0; a negative index ({v}) names none"
        )),
        Err(_) => Err(format!(
            "must be an instance index (0, 1, 2, ...), got '{s}'"
        )),
    }
}

/// Parses a tolerance: a finite number ≥ 0 (`--rtol`, `--atol`), refusing negative and non-finite
/// values with a domain message.
pub fn tolerance(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(v) if v.is_nan() || v.is_infinite() => {
            Err(format!("a tolerance must be a finite number ≥ 0, got {v}"))
        }
        Ok(v) => Err(format!(
            "a tolerance must be ≥ 0 (it bounds |candidate − reference|), got {v}"
        )),
        Err(_) => Err(format!("must be a number such as 1e-9, got '{s}'")),
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
