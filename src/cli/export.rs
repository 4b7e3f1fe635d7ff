//! `lro export --case NAME|config.json --out FILE.json|.npz`: writes a seeded reference fixture.
//!
//! Sizes are checked against limits before anything is computed (`--max-n`, `--max-horizon`,
//! `--max-batch`, `--max-fixture-mb` raise them), and an export estimated to take more than a few
//! seconds says so on stderr before it starts.
use super::CliError;
use crate::oracle::{self, Limits};
use std::path::{Path, PathBuf};

/// An export estimated to take longer than this many seconds is announced on stderr.
pub const ANNOUNCE_SECONDS: f64 = 3.0;

/// The arguments of `lro export`.
#[derive(Clone, Debug, clap::Args)]
pub struct ExportArgs {
    /// Built-in case name (see `lro export --list`) or a case config .json file.
    #[arg(long, required_unless_present_any = ["list", "describe_config"])]
    pub case: Option<String>,
    /// Output file: .json (exact round-trip floats) or .npz (numpy.load).
    #[arg(long, required_unless_present_any = ["list", "describe_config"])]
    pub out: Option<PathBuf>,
    /// List the built-in cases and exit.
    #[arg(long)]
    pub list: bool,
    /// List every case-config key (type, default, meaning) of each convention and exit.
    #[arg(long)]
    pub describe_config: bool,
    /// Largest dimension (hidden, input or output units) [default: 1024].
    #[arg(long)]
    pub max_n: Option<u64>,
    /// Largest horizon T [default: 100000].
    #[arg(long)]
    pub max_horizon: Option<u64>,
    /// Largest batch B [default: 4096].
    #[arg(long)]
    pub max_batch: Option<u64>,
    /// Largest fixture in MiB of f64 data [default: 2048].
    #[arg(long)]
    pub max_fixture_mb: Option<u64>,
}

impl ExportArgs {
    /// The limits these arguments set.
    pub fn limits(&self) -> Limits {
        let mut l = Limits::default();
        if let Some(v) = self.max_n {
            l.n = v;
        }
        if let Some(v) = self.max_horizon {
            l.horizon = v;
        }
        if let Some(v) = self.max_batch {
            l.batch = v;
        }
        if let Some(v) = self.max_fixture_mb {
            l.fixture_bytes = v.saturating_mul(1 << 20);
        }
        l
    }
}

/// Runs `lro export`.
pub fn run_args(a: &ExportArgs) -> Result<String, CliError> {
    if a.list {
        return Ok(list_cases());
    }
    if a.describe_config {
        return Ok(oracle::config::describe());
    }
    match (&a.case, &a.out) {
        (Some(c), Some(o)) => run_with(c, o, &a.limits()),
        _ => Err(CliError::Usage(
            "give --case and --out (or --list, or --describe-config)".into(),
        )),
    }
}

/// Builds the case and writes it with the default limits; returns a one-paragraph summary.
pub fn run(case: &str, out: &Path) -> Result<String, CliError> {
    run_with(case, out, &Limits::default())
}

/// Builds the case and writes it; returns a one-paragraph summary.
pub fn run_with(case: &str, out: &Path, limits: &Limits) -> Result<String, CliError> {
    if let Some(est) = oracle::estimate_case(case, limits)?
        && est.seconds() > ANNOUNCE_SECONDS
    {
        eprintln!(
            "lro export: this case is large: about {:.0} s of computation estimated ({:.1e} \
             operations in {:?} arithmetic, {:.0} MiB of fixture data)",
            est.seconds(),
            est.ops,
            est.arithmetic,
            est.entries as f64 * 8.0 / (1 << 20) as f64
        );
    }
    let f = oracle::resolve_case_with(case, limits)?;
    oracle::write_fixture(&f, out)?;
    let groups = f.rule_groups().join(", ");
    Ok(format!(
        "lro export: case {} (convention {}, schema_version {}) -> {}\n{} tensors; rules: {}\n",
        f.case,
        f.conventions.convention,
        f.schema_version,
        out.display(),
        f.tensors.len(),
        groups
    ))
}

/// The `lro list` lines for the built-in cases: name and description.
pub fn list_cases() -> String {
    let mut s = String::from("built-in cases (lro export --case NAME):\n");
    for name in oracle::cases::all_names() {
        let d = oracle::cases::description(name).unwrap_or_default();
        s.push_str(&format!("  {name:<16} {d}\n"));
    }
    s
}
