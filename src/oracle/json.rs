//! JSON fixtures with exact round-trip floats.
//!
//! serde_json prints every f64 in its shortest round-trip form (ryu) and, with the
//! `float_roundtrip` feature this crate enables, parses it back to the same bits, so a fixture
//! written and read again is identical. Candidates may give `data` flat (row-major) or nested as
//! `numpy.ndarray.tolist()` writes it; `null`, `"NaN"` and `"Infinity"` entries are read as
//! non-finite values so that `lro check` can name them.
use super::error::Malformed;
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
    #[serde(default)]
    #[allow(dead_code)]
    f64_error: Option<serde_json::Value>,
    #[serde(default)]
    #[allow(dead_code)]
    batch_axis: Option<serde_json::Value>,
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
    #[serde(default)]
    #[allow(dead_code)]
    provenance: Option<serde_json::Value>,
    tensors: BTreeMap<String, CandidateTensor>,
}

/// What kind of JSON value `v` is, in words (for messages).
pub fn kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The shape of a nested array as `numpy.ndarray.tolist()` writes it: every level rectangular.
/// `None` for a scalar entry; an error for ragged nesting.
fn nested_shape(v: &serde_json::Value, depth: usize) -> std::result::Result<Vec<usize>, Malformed> {
    if depth > 32 {
        return Err("arrays nested more than 32 deep".into());
    }
    match v {
        serde_json::Value::Array(items) => {
            let mut shape = vec![items.len()];
            let mut inner: Option<Vec<usize>> = None;
            for it in items {
                let s = nested_shape(it, depth + 1)?;
                match &inner {
                    None => inner = Some(s),
                    Some(prev) if *prev != s => {
                        return Err(Malformed(format!(
                            "ragged nested data: sub-arrays of shapes {prev:?} and {s:?} at one \
                             level"
                        )));
                    }
                    _ => {}
                }
            }
            shape.extend(inner.unwrap_or_default());
            Ok(shape)
        }
        _ => Ok(vec![]),
    }
}

fn flatten(v: &serde_json::Value, out: &mut Vec<f64>) -> std::result::Result<(), Malformed> {
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
                _ => return Err(format!("a string entry \"{s}\" where a number belongs").into()),
            };
            out.push(x);
            Ok(())
        }
        other => Err(format!("an entry {other} where a number belongs").into()),
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

/// A serde error in words; a syntax error in a text holding NaN or Infinity names those.
fn json_error(text: &str, e: serde_json::Error) -> Malformed {
    if e.is_syntax() && (text.contains("NaN") || text.contains("Infinity")) {
        Malformed(format!(
            "the candidate contains NaN or Infinity, a non-finite value that JSON cannot hold \
             ({e}); fix the computation that produced it"
        ))
    } else {
        Malformed(e.to_string())
    }
}

/// Parses a candidate JSON file; the error names what is wrong (unknown key, bad entry, NaN).
pub fn read_candidate(text: &str) -> std::result::Result<JsonCandidate, Malformed> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| json_error(text, e))?;
    if !value.is_object() {
        return Err(format!(
            "the top level is {}, not an object; a candidate is an object \
             {{\"schema_version\": ..., \"tensors\": {{name: {{\"shape\": [...], \"data\": \
             [...]}}}}}}",
            kind(&value)
        )
        .into());
    }
    let file: CandidateFile = serde_json::from_value(value).map_err(|e| json_error(text, e))?;
    let mut tensors = BTreeMap::new();
    for (name, t) in file.tensors {
        let mut data = Vec::new();
        let nested = nested_shape(&t.data, 0).map_err(|e| format!("tensor {name}: {e}"))?;
        // Flat data is one level; nested data must be laid out as its declared shape.
        if nested.len() > 1 && nested != t.shape {
            return Err(format!(
                "tensor {name}: nested data laid out as {nested:?} but the declared shape is \
                 {:?}; write data as `array.tolist()` of an array of the declared shape (or \
                 flat, row-major)",
                t.shape
            )
            .into());
        }
        flatten(&t.data, &mut data).map_err(|e| format!("tensor {name}: {e}"))?;
        tensors.insert(name, (t.shape, data));
    }
    Ok(JsonCandidate {
        schema_version: file.schema_version,
        case: file.case,
        tensors,
    })
}
