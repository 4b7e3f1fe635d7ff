//! `lro check`: tensor-by-tensor comparison of another implementation's outputs with a fixture
//! (issue 6, item 4).
//!
//! For every tensor the candidate supplies: the largest absolute error, the largest relative
//! error `|c − r|/|r|` over entries with `r ≠ 0`, and — for tensors with a time axis — the first
//! model time step at which some entry fails `|c − r| ≤ atol + rtol·|r|`. The verdict is a match
//! when every supplied tensor passes.
//!
//! Unusable candidates are refused before any comparison, with every problem named: a missing or
//! unsupported `schema_version`, a different case, unknown tensor names, wrong shapes, non-finite
//! values, missing tensors (the whole `forward` group, and all-or-none of each rule's group).
use super::fixture::{Fixture, GROUP_FORWARD, GROUP_GIVEN, SCHEMA_VERSION};
use super::json::{self, RawTensor};
use super::npz::{self, NpyData};
use crate::tolerances::{ORACLE_CHECK_ATOL, ORACLE_CHECK_RTOL};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

/// Why a candidate cannot be compared (exit code 2). The message names every problem.
#[derive(Clone, Debug, PartialEq)]
pub struct Unusable(pub String);

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Entrywise tolerance `|c − r| ≤ atol + rtol·|r|`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// Relative part.
    pub rtol: f64,
    /// Absolute part.
    pub atol: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            rtol: ORACLE_CHECK_RTOL,
            atol: ORACLE_CHECK_ATOL,
        }
    }
}

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
        }
    }
}

/// Reads a candidate from JSON text.
pub fn candidate_from_json(text: &str, label: &str) -> Result<Candidate, Unusable> {
    let c = json::read_candidate(text).map_err(|e| Unusable(format!("{label}: {e}")))?;
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
    })
}

/// Reads a candidate from NPZ bytes: one array per tensor, plus `schema_version` (integer
/// scalar) and optionally `case` (string); a `meta` member (as in lro's own NPZ) is ignored.
pub fn candidate_from_npz(bytes: &[u8], label: &str) -> Result<Candidate, Unusable> {
    let arrays = npz::read_arrays(bytes).map_err(|e| Unusable(format!("{label}: {e}")))?;
    let mut out = Candidate {
        label: label.into(),
        schema_version: Version::Missing,
        case: None,
        tensors: BTreeMap::new(),
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
                _ => return Err(Unusable(format!("{label}: 'case' must be a string scalar"))),
            },
            "meta" => {}
            _ => {
                let data = match arr.data {
                    NpyData::Float(v) => v,
                    NpyData::Int(v) => v.into_iter().map(|x| x as f64).collect(),
                    NpyData::Str(_) => {
                        return Err(Unusable(format!(
                            "{label}: tensor {key} holds strings, not numbers"
                        )));
                    }
                };
                out.tensors.insert(key, (arr.shape, data));
            }
        }
    }
    Ok(out)
}

/// Reads a candidate file, by extension (`.json` or `.npz`).
pub fn load_candidate(path: &Path) -> Result<Candidate, Unusable> {
    let label = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Unusable(format!("cannot read {label}: {e}")))?;
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => {
            let text = String::from_utf8(bytes)
                .map_err(|_| Unusable(format!("{label} is not UTF-8 text")))?;
            candidate_from_json(&text, &label)
        }
        Some("npz") => candidate_from_npz(&bytes, &label),
        _ => Err(Unusable(format!(
            "{label}: unknown candidate format; name it .json or .npz"
        ))),
    }
}

/// The comparison of one tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorResult {
    /// Tensor name.
    pub name: String,
    /// Its group (`given`, `forward` or a rule).
    pub group: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Largest `|c − r|`.
    pub max_abs: f64,
    /// Largest `|c − r|/|r|` over entries with `r ≠ 0` (0 when none differ).
    pub max_rel: f64,
    /// Entries failing the tolerance.
    pub mismatches: usize,
    /// Multi-index of the first failing entry (row-major order).
    pub first_index: Option<Vec<usize>>,
    /// For tensors with a time axis: the first model time step with a failing entry.
    pub first_step: Option<usize>,
}

impl TensorResult {
    /// Whether every entry is within tolerance.
    pub fn passed(&self) -> bool {
        self.mismatches == 0
    }
}

/// The outcome of `lro check`.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckReport {
    /// Reference case.
    pub case: String,
    /// Reference convention.
    pub convention: String,
    /// Candidate label.
    pub candidate: String,
    /// Tolerance used.
    pub tol: Tolerance,
    /// Per-tensor results, in reference order (given, forward, rules).
    pub results: Vec<TensorResult>,
    /// Rule groups the candidate did not supply, with their tensor counts.
    pub not_supplied: Vec<(String, usize)>,
    /// Given tensors the candidate did not echo.
    pub given_not_echoed: usize,
}

fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for k in (0..shape.len()).rev() {
        idx[k] = flat % shape[k].max(1);
        flat /= shape[k].max(1);
    }
    idx
}

fn group_order(g: &str) -> (u8, String) {
    match g {
        GROUP_GIVEN => (0, String::new()),
        GROUP_FORWARD => (1, String::new()),
        other => (2, other.to_string()),
    }
}

/// Checks a candidate against a reference fixture; refuses unusable input with every problem
/// named.
pub fn check(
    reference: &Fixture,
    cand: &Candidate,
    tol: Tolerance,
) -> Result<CheckReport, Unusable> {
    let mut problems: Vec<String> = Vec::new();
    match &cand.schema_version {
        Version::Missing => problems.push(format!(
            "missing schema_version (this lro reads schema_version {SCHEMA_VERSION})"
        )),
        Version::Int(v) if *v == SCHEMA_VERSION as i64 => {}
        Version::Int(v) => problems.push(format!(
            "wrong schema_version {v}: this lro reads schema_version {SCHEMA_VERSION}"
        )),
        Version::Other(s) => problems.push(format!(
            "wrong schema_version {s}: it must be the integer {SCHEMA_VERSION}"
        )),
    }
    if let Some(c) = &cand.case
        && c != &reference.case
    {
        problems.push(format!(
            "wrong case: the candidate says '{c}', the reference is '{}'",
            reference.case
        ));
    }
    let unknown: Vec<&str> = cand
        .tensors
        .keys()
        .filter(|k| !reference.tensors.contains_key(*k))
        .map(|s| s.as_str())
        .collect();
    if !unknown.is_empty() {
        problems.push(format!(
            "unknown keys (no such tensor in case {}): {}",
            reference.case,
            unknown.join(", ")
        ));
    }
    for (name, (shape, data)) in &cand.tensors {
        let Some(r) = reference.tensors.get(name) else {
            continue;
        };
        let need: usize = shape.iter().product();
        if need != data.len() {
            problems.push(format!(
                "wrong shape: tensor {name} declares shape {shape:?} ({need} entries) but holds {}",
                data.len()
            ));
        } else if shape != &r.shape {
            problems.push(format!(
                "wrong shape: tensor {name} has shape {shape:?}, the reference has {:?}",
                r.shape
            ));
        } else if let Some(i) = data.iter().position(|v| !v.is_finite()) {
            problems.push(format!(
                "NaN or infinity: tensor {name} holds the non-finite value {} at index {:?}",
                data[i],
                unravel(i, shape)
            ));
        }
    }
    // Required groups.
    let mut groups: BTreeMap<&str, (Vec<&str>, Vec<&str>)> = BTreeMap::new();
    for (name, t) in &reference.tensors {
        let e = groups.entry(t.group.as_str()).or_default();
        if cand.tensors.contains_key(name) {
            e.0.push(name);
        } else {
            e.1.push(name);
        }
    }
    let mut not_supplied = Vec::new();
    let mut given_not_echoed = 0;
    for (g, (present, missing)) in &groups {
        if missing.is_empty() {
            continue;
        }
        if *g == GROUP_GIVEN {
            given_not_echoed = missing.len();
        } else if *g == GROUP_FORWARD {
            problems.push(format!(
                "missing tensors of the forward pass (always required): {}",
                missing.join(", ")
            ));
        } else if present.is_empty() {
            not_supplied.push((g.to_string(), missing.len()));
        } else {
            problems.push(format!(
                "missing tensors of rule {g} (give all of a rule's tensors or none): {}",
                missing.join(", ")
            ));
        }
    }
    if !problems.is_empty() {
        return Err(Unusable(format!(
            "unusable candidate {} for case {}: {}",
            cand.label,
            reference.case,
            problems.join("; ")
        )));
    }
    let mut results = Vec::new();
    for (name, (shape, data)) in &cand.tensors {
        let r = &reference.tensors[name];
        let row: usize = shape.iter().skip(1).product::<usize>().max(1);
        let mut res = TensorResult {
            name: name.clone(),
            group: r.group.clone(),
            shape: shape.clone(),
            max_abs: 0.0,
            max_rel: 0.0,
            mismatches: 0,
            first_index: None,
            first_step: None,
        };
        for (i, (c, x)) in data.iter().zip(&r.data).enumerate() {
            let err = (c - x).abs();
            res.max_abs = res.max_abs.max(err);
            if *x != 0.0 {
                res.max_rel = res.max_rel.max(err / x.abs());
            }
            if err > tol.atol + tol.rtol * x.abs() {
                res.mismatches += 1;
                if res.first_index.is_none() {
                    res.first_index = Some(unravel(i, shape));
                }
                if let Some(s0) = r.first_step
                    && !shape.is_empty()
                {
                    let step = s0 + i / row;
                    res.first_step = Some(res.first_step.map_or(step, |s: usize| s.min(step)));
                }
            }
        }
        results.push(res);
    }
    results.sort_by(|a, b| (group_order(&a.group), &a.name).cmp(&(group_order(&b.group), &b.name)));
    Ok(CheckReport {
        case: reference.case.clone(),
        convention: reference.conventions.convention.clone(),
        candidate: cand.label.clone(),
        tol,
        results,
        not_supplied,
        given_not_echoed,
    })
}

fn sci(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else {
        format!("{x:.2e}")
    }
}

impl CheckReport {
    /// Whether every compared tensor matches.
    pub fn passed(&self) -> bool {
        self.results.iter().all(TensorResult::passed)
    }

    /// The earliest diverging time step and the tensors diverging there.
    pub fn first_divergence(&self) -> Option<(usize, Vec<&str>)> {
        let step = self.results.iter().filter_map(|r| r.first_step).min()?;
        let names = self
            .results
            .iter()
            .filter(|r| r.first_step == Some(step))
            .map(|r| r.name.as_str())
            .collect();
        Some((step, names))
    }

    /// A result by tensor name.
    pub fn result(&self, name: &str) -> Option<&TensorResult> {
        self.results.iter().find(|r| r.name == name)
    }

    /// The human-readable report (errors rounded to 3 significant digits).
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "lro check: {} against case {} (convention {}, schema_version {SCHEMA_VERSION})",
            self.candidate, self.case, self.convention
        );
        let _ = writeln!(
            s,
            "entrywise |candidate - reference| <= atol + rtol |reference|, rtol = {:e}, atol = {:e}\n",
            self.tol.rtol, self.tol.atol
        );
        let _ = writeln!(
            s,
            "{:<26} {:<10} {:>11} {:>11} {:>10}  status",
            "tensor", "shape", "max abs err", "max rel err", "first step"
        );
        for r in &self.results {
            let shape = if r.shape.is_empty() {
                "scalar".to_string()
            } else {
                r.shape
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join("x")
            };
            let step = r.first_step.map_or("-".to_string(), |t| format!("t = {t}"));
            let status = if r.passed() {
                "ok".to_string()
            } else {
                format!(
                    "MISMATCH ({} of {} entries; first at {:?})",
                    r.mismatches,
                    r.shape.iter().product::<usize>(),
                    r.first_index.clone().unwrap_or_default()
                )
            };
            let _ = writeln!(
                s,
                "{:<26} {:<10} {:>11} {:>11} {:>10}  {status}",
                r.name,
                shape,
                sci(r.max_abs),
                sci(r.max_rel),
                step
            );
        }
        if !self.not_supplied.is_empty() {
            let parts: Vec<String> = self
                .not_supplied
                .iter()
                .map(|(g, n)| format!("{g} ({n})"))
                .collect();
            let _ = writeln!(s, "\nnot supplied, not compared: {}", parts.join(", "));
        }
        if self.given_not_echoed > 0 {
            let _ = writeln!(
                s,
                "given tensors not echoed (optional): {}",
                self.given_not_echoed
            );
        }
        let failed = self.results.iter().filter(|r| !r.passed()).count();
        if failed == 0 {
            let _ = writeln!(
                s,
                "\nverdict: MATCH, all {} compared tensors agree",
                self.results.len()
            );
        } else {
            let _ = write!(
                s,
                "\nverdict: MISMATCH, {failed} of {} compared tensors differ",
                self.results.len()
            );
            match self.first_divergence() {
                Some((t, names)) => {
                    let _ = writeln!(s, "; first diverging step t = {t} ({})", names.join(", "));
                }
                None => {
                    let _ = writeln!(s);
                }
            }
        }
        s
    }
}
