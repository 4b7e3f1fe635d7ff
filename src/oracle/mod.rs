//! The regression oracle: fixtures for other implementations and the check
//! of their outputs.
//!
//! - [`cases`]: built-in cases ([`cases::builtin_names`]) and [`config`]: JSON case configs.
//! - [`fixture`]: the schema (version [`fixture::SCHEMA_VERSION`]) and [`conventions`]: the
//!   conventions manifest every fixture carries.
//! - [`reference`]: cases in the project's own convention, from the foundation's rules;
//!   [`presets`]: faithful reimplementations of peer conventions (Murray 2019, Marschall et al.
//!   2020).
//! - [`json`], [`npz`]: writers and readers (exact round-trip floats; NPZ readable by
//!   `numpy.load`).
//! - [`batch`]: fixtures with a batch axis, and the one-pass reference for working sizes.
//! - [`check`]: tensor-by-tensor comparison, first diverging time step, verdict.
//!
//! Per-step updates have one meaning per convention, stated in the manifest's `per_step_updates`:
//! in the project's convention, the part of the sequence-loss update due to the loss term at
//! step t, so that "the first diverging step" of a candidate is well defined.

pub mod api;
pub mod batch;
pub mod cases;
pub mod check;
pub mod config;
pub mod conventions;
pub mod draw;
pub mod error;
pub mod fixture;
pub mod fuzzing;
pub mod json;
pub mod keys;
pub mod limits;
pub mod npz;
pub mod presets;
pub mod reference;

pub use check::{Candidate, CheckOptions, CheckReport, Precision, Tolerance};
pub use error::{Malformed, OracleError, OracleResult};
pub use fixture::{Fixture, SCHEMA_VERSION};
pub use limits::Limits;

use crate::error::LroError;
use std::path::Path;

/// Resolves `--case` with the default [`Limits`].
pub fn resolve_case(spec: &str) -> OracleResult<Fixture> {
    resolve_case_with(spec, &Limits::default())
}

/// Resolves `--case`: a built-in name, a case config (`.json` with a `convention` key), or a
/// fixture file (`.json` with `tensors`, or `.npz`). Sizes are checked against `limits` before
/// anything is computed or read.
pub fn resolve_case_with(spec: &str, limits: &Limits) -> OracleResult<Fixture> {
    match load_case(spec, limits)? {
        CaseSource::Config(c) => c.build_with(limits),
        CaseSource::Fixture(f) => Ok(*f),
    }
}

/// The estimated cost of building `spec` (None when it is a fixture file: nothing to compute);
/// fails when the case exceeds `limits`.
pub fn estimate_case(spec: &str, limits: &Limits) -> OracleResult<Option<limits::Estimate>> {
    match load_case(spec, limits)? {
        CaseSource::Config(c) => Ok(Some(limits.check_case(&c)?)),
        CaseSource::Fixture(_) => Ok(None),
    }
}

/// What `--case` names: a configuration to compute, or a fixture already computed.
#[derive(Clone, Debug)]
pub enum CaseSource {
    /// A built-in case or a config file.
    Config(config::CaseConfig),
    /// A fixture file.
    Fixture(Box<Fixture>),
}

/// Reads `--case` without computing anything: a built-in name, a config file or a fixture file.
pub fn load_case(spec: &str, limits: &Limits) -> OracleResult<CaseSource> {
    let path = Path::new(spec);
    if cases::all_names().contains(&spec) || !path.exists() {
        return Ok(CaseSource::Config(cases::builtin(spec)?));
    }
    let label = format!("case file {spec}");
    let meta = std::fs::metadata(path).map_err(|e| OracleError::read(&label, e.to_string()))?;
    if !meta.is_file() {
        return Err(OracleError::read(&label, "not a regular file"));
    }
    if meta.len() > limits.fixture_bytes.saturating_mul(4) {
        return Err(OracleError::Limit {
            what: "case file size in MiB".into(),
            requested: meta.len().div_ceil(1 << 20),
            limit: limits.fixture_bytes.saturating_mul(4) >> 20,
            flag: "--max-fixture-mb (a quarter of it)".into(),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| OracleError::read(&label, e.to_string()))?;
    if spec.ends_with(".npz") {
        return Ok(CaseSource::Fixture(Box::new(npz::read_fixture(&bytes)?)));
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        OracleError::read(
            &label,
            "not UTF-8 text; give a .json config or fixture, or an .npz fixture",
        )
    })?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| OracleError::read(&label, e.to_string()))?;
    let Some(obj) = value.as_object() else {
        return Err(OracleError::read(
            &label,
            format!(
                "the top level is {}, not an object; a case config is an object with a \
                 \"convention\" key, a fixture an object with \"tensors\"",
                json::kind(&value)
            ),
        ));
    };
    if obj.contains_key("tensors") {
        Ok(CaseSource::Fixture(Box::new(json::read_fixture(&text)?)))
    } else {
        Ok(CaseSource::Config(config::CaseConfig::from_json(&text)?))
    }
}

/// Writes a fixture to `path`, as JSON or NPZ by extension.
pub fn write_fixture(f: &Fixture, path: &Path) -> crate::Result<()> {
    let bytes = match path.extension().and_then(|e| e.to_str()) {
        Some("json") => json::write_fixture(f)?.into_bytes(),
        Some("npz") => npz::write_fixture(f)?,
        _ => {
            return Err(LroError::InvalidParameter {
                name: format!("output {}", path.display()),
                reason: "name it .json or .npz".into(),
            });
        }
    };
    std::fs::write(path, bytes).map_err(|e| LroError::InvalidParameter {
        name: format!("output {}", path.display()),
        reason: e.to_string(),
    })
}
