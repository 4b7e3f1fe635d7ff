//! `lro check --case NAME|FILE --candidate THEIRS.(json|npz) [--rtol R] [--atol A]`.
//!
//! Prints the per-tensor report (ending in the verdict and the first diverging step) on stdout. Exit 0 when every supplied tensor matches, 1 on a
//! mismatch, 2 when the input is unusable (missing tensors, wrong shapes, NaN, unknown keys,
//! wrong schema version: each named in the message).
use super::CliError;
use crate::oracle::{self, Tolerance, check};
use std::path::Path;

/// Runs the check; on a mismatch the error carries the report (exit code 1).
pub fn run(
    case: &str,
    candidate: &Path,
    rtol: Option<f64>,
    atol: Option<f64>,
) -> Result<String, CliError> {
    let mut tol = Tolerance::default();
    for (name, v, slot) in [("rtol", rtol, &mut tol.rtol), ("atol", atol, &mut tol.atol)] {
        if let Some(v) = v {
            if !(v.is_finite() && v >= 0.0) {
                return Err(CliError::Usage(format!(
                    "--{name} must be a finite number >= 0, got {v}"
                )));
            }
            *slot = v;
        }
    }
    let reference = oracle::resolve_case(case)?;
    let cand = check::load_candidate(candidate).map_err(|e| CliError::Usage(e.0))?;
    let report = check::check(&reference, &cand, tol).map_err(|e| CliError::Usage(e.0))?;
    let text = report.render();
    if report.passed() {
        Ok(text)
    } else {
        // main prints a failure's text on stdout and "some checks failed" on stderr.
        Err(CliError::Failed(text))
    }
}
