//! The `lro` command line, as library code so that it can be tested. `src/main.rs` only parses
//! arguments and dispatches here.

pub mod check;
pub mod default_job;
pub mod export;
pub mod list;
pub mod lowrank;
pub mod modes;
pub mod report;

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

impl CliError {
    /// The process exit code: 2 for usage errors, 1 for failed checks.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Failed(_) => 1,
        }
    }
}
