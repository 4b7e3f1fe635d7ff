//! The regression oracle (issue 6, items 3–6): fixtures for other implementations and the check
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
//! - [`check`]: tensor-by-tensor comparison, first diverging time step, verdict.
//!
//! Per-step updates have one meaning per convention, stated in the manifest's `per_step_updates`:
//! in the project's convention, the part of the sequence-loss update due to the loss term at
//! step t, so that "the first diverging step" of a candidate is well defined.

pub mod cases;
pub mod check;
pub mod config;
pub mod conventions;
pub mod fixture;
pub mod json;
pub mod npz;
pub mod presets;
pub mod reference;

pub use check::{Candidate, CheckReport, Tolerance, Unusable};
pub use fixture::{Fixture, SCHEMA_VERSION};

use crate::error::{LroError, Result};
use std::path::Path;

/// Resolves `--case`: a built-in name, a case config (`.json` with a `convention` key), or a
/// fixture file (`.json` with `tensors`, or `.npz`).
pub fn resolve_case(spec: &str) -> Result<Fixture> {
    if cases::builtin_names().contains(&spec) {
        return cases::builtin(spec)?.build();
    }
    let path = Path::new(spec);
    if !path.exists() {
        return cases::builtin(spec).and_then(|c| c.build());
    }
    let bytes = std::fs::read(path).map_err(|e| LroError::InvalidParameter {
        name: format!("case file {spec}"),
        reason: e.to_string(),
    })?;
    if spec.ends_with(".npz") {
        return npz::read_fixture(&bytes);
    }
    let text = String::from_utf8(bytes).map_err(|_| LroError::InvalidParameter {
        name: format!("case file {spec}"),
        reason: "not UTF-8 text; give a .json config or fixture, or an .npz fixture".into(),
    })?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| LroError::InvalidParameter {
            name: format!("case file {spec}"),
            reason: e.to_string(),
        })?;
    if value.get("tensors").is_some() {
        json::read_fixture(&text)
    } else {
        config::CaseConfig::from_json(&text)?.build()
    }
}

/// Writes a fixture to `path`, as JSON or NPZ by extension.
pub fn write_fixture(f: &Fixture, path: &Path) -> Result<()> {
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
