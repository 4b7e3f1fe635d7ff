//! `lro check --case NAME|FILE --candidate THEIRS.(json|npz) [--rtol R] [--atol A]
//! [--require RULE,...] [--forward-only] [--precision auto|f64|f32] [--max-candidate-mb M]`.
//!
//! Prints the per-tensor report (ending in the verdict and the first diverging step) on stdout.
//! Exit 0 when every supplied tensor matches and some learning rule was compared (or
//! `--forward-only`); 1 on a mismatch, when no rule was checked, or when a `--require`d rule is
//! missing; 2 when the input is unusable (missing tensors, wrong shapes, NaN or infinity in the
//! candidate or the reference, unknown keys, wrong dtypes, wrong schema version, sizes over the
//! limits: each named in the message).
use super::CliError;
use crate::oracle::{self, CheckOptions, Limits, check};
use std::path::Path;

/// The arguments of `lro check`.
#[derive(Clone, Debug, clap::Args)]
pub struct CheckArgs {
    /// Built-in case name, case config .json, or fixture file (.json / .npz).
    #[arg(long)]
    pub case: String,
    /// The candidate's outputs: .json or .npz in the fixture schema.
    #[arg(long)]
    pub candidate: std::path::PathBuf,
    /// Relative tolerance for f64 tensors, a finite number ≥ 0 [default: 1e-9].
    #[arg(long, value_parser = super::tolerance, allow_hyphen_values = true)]
    pub rtol: Option<f64>,
    /// Absolute tolerance for f64 tensors, a finite number ≥ 0 [default: 1e-12].
    #[arg(long, value_parser = super::tolerance, allow_hyphen_values = true)]
    pub atol: Option<f64>,
    /// Rules that must be supplied, comma-separated (e.g. bptt,rflo); a missing one fails the
    /// check (exit 1).
    #[arg(long, value_delimiter = ',')]
    pub require: Vec<String>,
    /// Accept a candidate holding only the forward pass (otherwise "no learning rule was
    /// checked" fails the check, exit 1).
    #[arg(long)]
    pub forward_only: bool,
    /// The candidate's arithmetic: auto (float32 arrays are judged as float32), f64 or f32.
    #[arg(long, default_value = "auto")]
    pub precision: String,
    /// Largest candidate file in MiB [default: 2048].
    #[arg(long)]
    pub max_candidate_mb: Option<u64>,
}

/// Runs `lro check`; on a mismatch the error carries the report (exit code 1).
pub fn run_args(a: &CheckArgs) -> Result<String, CliError> {
    let args = Args {
        options: CheckOptions {
            rtol: a.rtol,
            atol: a.atol,
            require: a.require.clone(),
            forward_only: a.forward_only,
            precision: a.precision.parse()?,
        },
        max_candidate_mb: a.max_candidate_mb,
    };
    run(&a.case, &a.candidate, &args)
}

/// The options of `lro check` besides the case and the candidate.
#[derive(Clone, Debug, Default)]
pub struct Args {
    /// What to compare and how strictly.
    pub options: CheckOptions,
    /// Largest candidate file in MiB (default: [`Limits::default`]).
    pub max_candidate_mb: Option<u64>,
}

/// Runs the check; on a mismatch the error carries the report (exit code 1).
pub fn run(case: &str, candidate: &Path, args: &Args) -> Result<String, CliError> {
    args.options.tolerance()?;
    let mut limits = Limits::default();
    if let Some(mb) = args.max_candidate_mb {
        limits.candidate_bytes = mb.saturating_mul(1 << 20);
    }
    let reference = oracle::resolve_case_with(case, &limits)?;
    let cand = check::load_candidate_with(candidate, &limits)?;
    let report = check::check_with(&reference, &cand, &args.options)?;
    let text = report.render();
    if report.passed() {
        Ok(text)
    } else {
        // main prints a failure's text on stdout and "some checks failed" on stderr.
        Err(CliError::Failed(text))
    }
}
