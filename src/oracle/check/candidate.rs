//! Reading a candidate (another implementation's outputs) from JSON or NPZ.
use super::super::error::{OracleError, OracleResult};
use super::super::fixture::Fixture;
use super::super::json::{self, RawTensor};
use super::super::limits::Limits;
use super::super::npz::{self, NpyData};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A candidate's declared schema version, as read.
#[derive(Clone, Debug, PartialEq)]
pub enum Version {
    /// Not given.
    Missing,
    /// An integer.
    Int(i64),
    /// Something else (text of what was found).
    Other(String),
}

/// Another implementation's outputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// Where it came from (for the report).
    pub label: String,
    /// Declared schema version.
    pub schema_version: Version,
    /// Declared case, when given.
    pub case: Option<String>,
    /// Tensors by name: shape and row-major values.
    pub tensors: BTreeMap<String, RawTensor>,
    /// Tensors stored as float32 (`<f4` / `>f4` in an NPZ).
    pub float32: BTreeSet<String>,
}

impl Candidate {
    /// A candidate holding exactly a fixture's tensors (the oracle's own export).
    pub fn from_fixture(f: &Fixture, label: &str) -> Self {
        Candidate {
            label: label.into(),
            schema_version: Version::Int(f.schema_version as i64),
            case: Some(f.case.clone()),
            tensors: f
                .tensors
                .iter()
                .map(|(k, t)| (k.clone(), (t.shape.clone(), t.data.clone())))
                .collect(),
            float32: BTreeSet::new(),
        }
    }
}

/// Reads a candidate from JSON text.
pub fn candidate_from_json(text: &str, label: &str) -> OracleResult<Candidate> {
    let c = json::read_candidate(text).map_err(|e| OracleError::read(label, e))?;
    let schema_version = match c.schema_version {
        None => Version::Missing,
        Some(v) => v
            .as_i64()
            .map(Version::Int)
            .unwrap_or(Version::Other(v.to_string())),
    };
    Ok(Candidate {
        label: label.into(),
        schema_version,
        case: c.case,
        tensors: c.tensors,
        float32: BTreeSet::new(),
    })
}

/// Reads a candidate from NPZ bytes: one float array per tensor (`f8` or `f4`), plus
/// `schema_version` (integer scalar) and optionally `case` (string); a `meta` member (as in lro's
/// own NPZ) is ignored. Integer, boolean and string tensors are refused.
pub fn candidate_from_npz(bytes: &[u8], label: &str) -> OracleResult<Candidate> {
    let arrays = npz::read_arrays(bytes).map_err(|e| OracleError::read(label, e))?;
    let mut out = Candidate {
        label: label.into(),
        schema_version: Version::Missing,
        case: None,
        tensors: BTreeMap::new(),
        float32: BTreeSet::new(),
    };
    for (key, arr) in arrays {
        match key.as_str() {
            "schema_version" => {
                out.schema_version = match &arr.data {
                    NpyData::Int(v) if v.len() == 1 => Version::Int(v[0]),
                    NpyData::Float(v) if v.len() == 1 && v[0].fract() == 0.0 => {
                        Version::Int(v[0] as i64)
                    }
                    other => Version::Other(format!("{other:?}")),
                }
            }
            "case" => match &arr.data {
                NpyData::Str(v) if v.len() == 1 => out.case = Some(v[0].clone()),
                _ => {
                    return Err(OracleError::read(label, "'case' must be a string scalar"));
                }
            },
            "meta" => {}
            _ => {
                let data = match arr.data {
                    NpyData::Float(v) => v,
                    NpyData::Int(_) => {
                        return Err(OracleError::read(
                            label,
                            format!(
                                "tensor {key} has the integer or boolean dtype {}; store \
                                 tensors as float64 (or float32) arrays",
                                arr.dtype
                            ),
                        ));
                    }
                    NpyData::Str(_) => {
                        return Err(OracleError::read(
                            label,
                            format!("tensor {key} holds strings, not numbers"),
                        ));
                    }
                };
                if arr.dtype.ends_with("f4") {
                    out.float32.insert(key.clone());
                }
                out.tensors.insert(key, (arr.shape, data));
            }
        }
    }
    Ok(out)
}

/// Reads a candidate file, by extension (`.json` or `.npz`), refusing files larger than
/// `limits.candidate_bytes` before reading them.
pub fn load_candidate_with(path: &Path, limits: &Limits) -> OracleResult<Candidate> {
    let label = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| OracleError::read(&label, e.to_string()))?;
    if !meta.is_file() {
        return Err(OracleError::read(
            &label,
            "not a regular file; give a .json or .npz file",
        ));
    }
    limits.check_candidate_bytes(meta.len())?;
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(limits.candidate_bytes + 1).read_to_end(&mut bytes))
        .map_err(|e| OracleError::read(&label, e.to_string()))?;
    limits.check_candidate_bytes(bytes.len() as u64)?;
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => {
            let text = String::from_utf8(bytes)
                .map_err(|_| OracleError::read(&label, "not UTF-8 text"))?;
            candidate_from_json(&text, &label)
        }
        Some("npz") => candidate_from_npz(&bytes, &label),
        _ => Err(OracleError::read(
            &label,
            "unknown candidate format; name it .json or .npz",
        )),
    }
}

/// Reads a candidate file with the default [`Limits`].
pub fn load_candidate(path: &Path) -> OracleResult<Candidate> {
    load_candidate_with(path, &Limits::default())
}
