//! JSON fixtures with exact round-trip floats.
//!
//! serde_json prints every f64 in its shortest round-trip form (ryu) and, with the
//! `float_roundtrip` feature this crate enables, parses it back to the same bits, so a fixture
//! written and read again is identical. Candidates may give `data` flat (row-major) or nested as
//! `numpy.ndarray.tolist()` writes it; `null`, `"NaN"` and `"Infinity"` entries are read as
//! non-finite values so that `lro check` can name them.
use super::fixture::Fixture;
use crate::error::{LroError, Result};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Serialises a fixture (pretty-printed; floats in shortest round-trip form).
pub fn write_fixture(f: &Fixture) -> Result<String> {
    serde_json::to_string_pretty(f).map_err(|e| LroError::Unsupported(e.to_string()))
}

/// Reads a fixture (strict: every field, no unknown keys).
pub fn read_fixture(text: &str) -> Result<Fixture> {
    let f: Fixture = serde_json::from_str(text).map_err(|e| LroError::InvalidParameter {
        name: "fixture JSON".into(),
        reason: e.to_string(),
    })?;
    f.validate()?;
    Ok(f)
}

/// One candidate tensor as read: shape and flattened values (row-major).
pub type RawTensor = (Vec<usize>, Vec<f64>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CandidateTensor {
    shape: Vec<usize>,
    data: serde_json::Value,
    // Metadata a fixture carries; accepted (a fixture is a valid candidate of itself), ignored.
    #[serde(default)]
    #[allow(dead_code)]
    role: Option<serde_json::Value>,
    #[serde(default)]
    #[allow(dead_code)]
    group: Option<serde_json::Value>,
    #[serde(default)]
    #[allow(dead_code)]
    first_step: Option<serde_json::Value>,
    #[serde(default)]
    #[allow(dead_code)]
    doc: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CandidateFile {
    #[serde(default)]
    schema_version: Option<serde_json::Value>,
    #[serde(default)]
    case: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<serde_json::Value>,
    #[serde(default)]
    #[allow(dead_code)]
    conventions: Option<serde_json::Value>,
    tensors: BTreeMap<String, CandidateTensor>,
}

fn flatten(v: &serde_json::Value, out: &mut Vec<f64>) -> std::result::Result<(), String> {
    match v {
        serde_json::Value::Array(items) => {
            for it in items {
                flatten(it, out)?;
            }
            Ok(())
        }
        serde_json::Value::Number(n) => {
            out.push(n.as_f64().ok_or("a number out of f64 range")?);
            Ok(())
        }
        serde_json::Value::Null => {
            out.push(f64::NAN);
            Ok(())
        }
        serde_json::Value::String(s) => {
            let x = match s.to_ascii_lowercase().as_str() {
                "nan" => f64::NAN,
                "inf" | "infinity" | "+inf" | "+infinity" => f64::INFINITY,
                "-inf" | "-infinity" => f64::NEG_INFINITY,
                _ => return Err(format!("a string entry \"{s}\" where a number belongs")),
            };
            out.push(x);
            Ok(())
        }
        other => Err(format!("an entry {other} where a number belongs")),
    }
}

/// A candidate read from JSON: schema version (if given), case (if given), tensors.
pub struct JsonCandidate {
    /// `schema_version` as written (None when absent).
    pub schema_version: Option<serde_json::Value>,
    /// `case`, when given.
    pub case: Option<String>,
    /// Tensors by name.
    pub tensors: BTreeMap<String, RawTensor>,
}

/// Parses a candidate JSON file; the error names what is wrong (unknown key, bad entry, NaN).
pub fn read_candidate(text: &str) -> std::result::Result<JsonCandidate, String> {
    let file: CandidateFile = serde_json::from_str(text).map_err(|e| {
        if e.is_syntax() && (text.contains("NaN") || text.contains("Infinity")) {
            format!(
                "the candidate contains NaN or Infinity, a non-finite value that JSON cannot \
                 hold ({e}); fix the computation that produced it"
            )
        } else {
            format!("{e}")
        }
    })?;
    let mut tensors = BTreeMap::new();
    for (name, t) in file.tensors {
        let mut data = Vec::new();
        flatten(&t.data, &mut data).map_err(|e| format!("tensor {name}: {e}"))?;
        tensors.insert(name, (t.shape, data));
    }
    Ok(JsonCandidate {
        schema_version: file.schema_version,
        case: file.case,
        tensors,
    })
}
