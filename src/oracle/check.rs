//! `lro check`: tensor-by-tensor comparison of another implementation's outputs with a fixture.
//!
//! For every tensor the candidate supplies: the largest absolute error, the largest relative
//! error `|c − r|/|r|` over entries with `r ≠ 0`, and — for tensors with a time axis — the first
//! model time step at which some entry fails `|c − r| ≤ atol + rtol·|r|`. The verdict is a match
//! when every supplied tensor passes.
//!
//! Unusable candidates are refused before any comparison, with every problem named: a missing or
//! unsupported `schema_version`, a different case, unknown tensor names, wrong shapes, non-finite
//! values, missing tensors (the whole `forward` group, and all-or-none of each rule's group).
use super::error::{OracleError, OracleResult};
use super::fixture::{Fixture, GROUP_FORWARD, GROUP_GIVEN, Role, SCHEMA_VERSION};
use super::json::{self, RawTensor};
use super::limits::Limits;
use super::npz::{self, NpyData};
use crate::tolerances::{ORACLE_CHECK_ATOL, ORACLE_CHECK_RTOL, ORACLE_F32_SAFETY};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::Path;

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

/// The floating-point precision a candidate's numbers were computed in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Per tensor, from its stored dtype: `<f4` arrays are judged as float32, all else as f64.
    #[default]
    Auto,
    /// Every tensor was computed in f64.
    F64,
    /// Every tensor was computed in float32 (whatever dtype it is stored in).
    F32,
}

impl std::str::FromStr for Precision {
    type Err = OracleError;
    fn from_str(s: &str) -> OracleResult<Self> {
        match s {
            "auto" => Ok(Precision::Auto),
            "f64" | "float64" => Ok(Precision::F64),
            "f32" | "float32" => Ok(Precision::F32),
            other => Err(OracleError::Option {
                name: "precision".into(),
                reason: format!("'{other}': use auto, f64 or f32"),
            }),
        }
    }
}

/// What `check` compares and how strictly.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckOptions {
    /// Relative tolerance for f64 tensors (default [`ORACLE_CHECK_RTOL`]).
    pub rtol: Option<f64>,
    /// Absolute tolerance for f64 tensors (default [`ORACLE_CHECK_ATOL`]).
    pub atol: Option<f64>,
    /// Rules that must be supplied (group names such as `bptt`, `rflo`).
    pub require: Vec<String>,
    /// Accept a candidate that holds no learning rule (only the forward pass).
    pub forward_only: bool,
    /// The candidate's arithmetic.
    pub precision: Precision,
}

impl CheckOptions {
    /// The f64 tolerance these options give, checked for validity.
    pub fn tolerance(&self) -> OracleResult<Tolerance> {
        let mut tol = Tolerance::default();
        for (name, v, slot) in [
            ("rtol", self.rtol, &mut tol.rtol),
            ("atol", self.atol, &mut tol.atol),
        ] {
            if let Some(v) = v {
                if !(v.is_finite() && v >= 0.0) {
                    return Err(OracleError::Option {
                        name: name.into(),
                        reason: format!("must be a finite number >= 0, got {v}"),
                    });
                }
                *slot = v;
            }
        }
        Ok(tol)
    }
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
    /// For tensors with a batch axis: the batch sample of the first failing entry (the
    /// earliest failing step, lowest sample there).
    pub first_batch: Option<usize>,
    /// Reference and candidate values at the first failing entry.
    pub first_values: Option<(f64, f64)>,
    /// The tolerance this tensor was judged with.
    pub tol: Tolerance,
    /// Whether it was judged as a float32 computation.
    pub float32: bool,
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
    /// f64 tolerance used.
    pub tol: Tolerance,
    /// Per-tensor results, in reference order (given, forward, rules).
    pub results: Vec<TensorResult>,
    /// Rule groups compared (the candidate supplied their updates).
    pub rules_compared: Vec<String>,
    /// Rule groups the candidate did not supply, with their tensor counts.
    pub not_supplied: Vec<(String, usize)>,
    /// Optional tensors (traces of supplied rules) the candidate left out.
    pub optional_not_supplied: Vec<String>,
    /// Given tensors the candidate did not echo.
    pub given_not_echoed: usize,
    /// Whether a candidate without rules was accepted (`--forward-only`).
    pub forward_only: bool,
    /// Rules named in `require` that the candidate did not supply.
    pub required_missing: Vec<String>,
    /// How float32 tensors were judged, when any were (stated in the report).
    pub float32_note: Option<String>,
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

/// The model time step of flat entry `i` of a tensor, when it has a time axis (axis 0, or axis 1
/// behind a batch axis).
fn step_of(t: &super::fixture::Tensor, i: usize) -> Option<usize> {
    let s0 = t.first_step?;
    let skip = usize::from(t.batch_axis);
    if t.shape.len() <= skip {
        return None;
    }
    let row: usize = t.shape.iter().skip(skip + 1).product::<usize>().max(1);
    let sample: usize = t.shape.iter().skip(skip).product::<usize>().max(1);
    Some(s0 + (i % sample) / row)
}

/// The batch sample of flat entry `i`, when the tensor has a batch axis.
fn batch_of(t: &super::fixture::Tensor, i: usize) -> Option<usize> {
    if !t.batch_axis || t.shape.is_empty() {
        return None;
    }
    Some(i / t.shape.iter().skip(1).product::<usize>().max(1))
}

/// Refuses a reference holding NaN or infinity, naming the tensor, the earliest time step at
/// which a value is not finite, and the index.
pub fn check_reference_finite(reference: &Fixture) -> OracleResult<()> {
    let mut first: Option<(usize, &str, usize)> = None;
    for (name, t) in &reference.tensors {
        if let Some(i) = t.data.iter().position(|v| !v.is_finite()) {
            let key = step_of(t, i).unwrap_or(usize::MAX);
            if first.is_none_or(|(k, _, _)| key < k) {
                first = Some((key, name, i));
            }
        }
    }
    match first {
        None => Ok(()),
        Some((_, name, i)) => {
            let t = &reference.tensors[name];
            Err(OracleError::NonFiniteReference {
                case: reference.case.clone(),
                tensor: name.to_string(),
                step: step_of(t, i),
                index: unravel(i, &t.shape),
                value: t.data[i],
            })
        }
    }
}

/// The float32 tolerance of one reference tensor: normwise, `|c − r| ≤ rtol·|r| + atol` with
/// `rtol = SAFETY · g · ε₃₂` and `atol = rtol · max|r|`, where `g ≥ 1` is the tensor's measured
/// error growth (the f64 computation's normwise error in units of ε₆₄, from the fixture), or, when
/// the fixture does not carry it, `T · (width of a row)` — the worst-case growth of a sum of that
/// many rounded terms over T steps.
pub fn float32_tolerance(t: &super::fixture::Tensor, horizon: usize) -> Tolerance {
    let growth = match t.f64_error {
        Some(e) if e.is_finite() => (e / f64::EPSILON).max(1.0),
        _ => {
            let row = t.shape.iter().skip(1 + usize::from(t.batch_axis));
            (horizon.max(1) * row.product::<usize>().max(1)) as f64
        }
    };
    let rtol = ORACLE_F32_SAFETY * growth * f32::EPSILON as f64;
    let scale = t.data.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    Tolerance {
        rtol,
        atol: rtol * scale,
    }
}

/// Checks a candidate against a reference fixture with the default options, except the f64
/// tolerance. Refuses unusable input with every problem named.
pub fn check(reference: &Fixture, cand: &Candidate, tol: Tolerance) -> OracleResult<CheckReport> {
    let opts = CheckOptions {
        rtol: Some(tol.rtol),
        atol: Some(tol.atol),
        ..CheckOptions::default()
    };
    check_with(reference, cand, &opts)
}

/// Checks a candidate against a reference fixture; refuses unusable input with every problem
/// named.
pub fn check_with(
    reference: &Fixture,
    cand: &Candidate,
    opts: &CheckOptions,
) -> OracleResult<CheckReport> {
    let tol = opts.tolerance()?;
    check_reference_finite(reference)?;
    let rules = reference.rule_groups();
    for r in &opts.require {
        if !rules.contains(r) {
            return Err(OracleError::UnknownRule {
                rule: r.clone(),
                case: reference.case.clone(),
                known: rules.clone(),
            });
        }
    }
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
        let need = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if need != Some(data.len()) {
            problems.push(format!(
                "wrong shape: tensor {name} declares shape {shape:?} ({} entries) but holds {}",
                need.map_or("too many".to_string(), |n| n.to_string()),
                data.len()
            ));
        } else if shape != &r.shape {
            problems.push(format!(
                "wrong shape: tensor {name} has shape {shape:?}, the reference has {:?}",
                r.shape
            ));
        } else if let Some(i) = data.iter().position(|v| !v.is_finite()) {
            let at = step_of(r, i).map_or(String::new(), |s| format!(" (time step t = {s})"));
            problems.push(format!(
                "NaN or infinity: tensor {name} holds the non-finite value {} at index {:?}{at}",
                data[i],
                unravel(i, shape)
            ));
        }
    }
    // Groups: the forward pass is required; a rule is supplied when any of its tensors is; a
    // supplied rule needs all its updates (its traces are optional).
    // Per group: (supplied, missing and required, missing and optional) tensor names.
    type Split<'a> = (Vec<&'a str>, Vec<&'a str>, Vec<&'a str>);
    let mut groups: BTreeMap<&str, Split> = BTreeMap::new();
    for (name, t) in &reference.tensors {
        let e = groups.entry(t.group.as_str()).or_default();
        if cand.tensors.contains_key(name) {
            e.0.push(name);
        } else if t.role == Role::Trace {
            e.2.push(name);
        } else {
            e.1.push(name);
        }
    }
    let mut not_supplied = Vec::new();
    let mut optional_not_supplied = Vec::new();
    let mut rules_compared = Vec::new();
    let mut given_not_echoed = 0;
    for (g, (present, missing, optional)) in &groups {
        if *g == GROUP_GIVEN {
            given_not_echoed = missing.len() + optional.len();
        } else if *g == GROUP_FORWARD {
            if !missing.is_empty() {
                problems.push(format!(
                    "missing tensors of the forward pass (always required): {}",
                    missing.join(", ")
                ));
            }
        } else if present.is_empty() {
            not_supplied.push((g.to_string(), missing.len() + optional.len()));
        } else if !missing.is_empty() {
            problems.push(format!(
                "missing updates of rule {g} (give all of a rule's updates, or none; its \
                 traces are optional): {}",
                missing.join(", ")
            ));
        } else {
            rules_compared.push(g.to_string());
            optional_not_supplied.extend(optional.iter().map(|s| s.to_string()));
        }
    }
    if !problems.is_empty() {
        return Err(OracleError::Unusable {
            candidate: cand.label.clone(),
            case: reference.case.clone(),
            problems,
        });
    }
    let horizon = reference
        .tensors
        .values()
        .filter(|t| t.first_step.is_some() && t.shape.len() > usize::from(t.batch_axis))
        .map(|t| t.shape[usize::from(t.batch_axis)])
        .max()
        .unwrap_or(1);
    let mut results = Vec::new();
    let mut any_f32 = false;
    for (name, (shape, data)) in &cand.tensors {
        let r = &reference.tensors[name];
        let f32_tensor = match opts.precision {
            Precision::F32 => true,
            Precision::F64 => false,
            Precision::Auto => cand.float32.contains(name),
        };
        any_f32 |= f32_tensor;
        let ttol = if f32_tensor {
            float32_tolerance(r, horizon)
        } else {
            tol
        };
        let mut res = TensorResult {
            name: name.clone(),
            group: r.group.clone(),
            shape: shape.clone(),
            max_abs: 0.0,
            max_rel: 0.0,
            mismatches: 0,
            first_index: None,
            first_step: None,
            first_batch: None,
            first_values: None,
            tol: ttol,
            float32: f32_tensor,
        };
        for (i, (c, x)) in data.iter().zip(&r.data).enumerate() {
            let err = (c - x).abs();
            res.max_abs = res.max_abs.max(err);
            if *x != 0.0 {
                res.max_rel = res.max_rel.max(err / x.abs());
            }
            // Written so that a NaN anywhere counts as a mismatch.
            let within = err <= ttol.atol + ttol.rtol * x.abs();
            if !within {
                res.mismatches += 1;
                let step = step_of(r, i);
                // The first failing entry in row-major order, except that behind a batch axis
                // an entry at an earlier step (in a later sample) takes its place.
                let earlier = match (step, res.first_step) {
                    (Some(s), Some(f)) => s < f,
                    _ => false,
                };
                if res.first_index.is_none() || earlier {
                    res.first_index = Some(unravel(i, shape));
                    res.first_values = Some((*x, *c));
                    res.first_batch = batch_of(r, i);
                }
                if let Some(step) = step {
                    res.first_step = Some(res.first_step.map_or(step, |s: usize| s.min(step)));
                }
            }
        }
        results.push(res);
    }
    results.sort_by(|a, b| (group_order(&a.group), &a.name).cmp(&(group_order(&b.group), &b.name)));
    let required_missing = opts
        .require
        .iter()
        .filter(|r| !rules_compared.contains(r))
        .cloned()
        .collect();
    let float32_note = any_f32.then(|| {
        format!(
            "float32 tensors are judged normwise: |c - r| <= rtol (|r| + max|r|) with rtol = \
             {ORACLE_F32_SAFETY} x g x eps32 (eps32 = {:.2e}), g the tensor's error growth over \
             the T = {horizon} steps (its f64 computation's error in units of eps64, stated in \
             the fixture; else T x row width)",
            f32::EPSILON
        )
    });
    Ok(CheckReport {
        case: reference.case.clone(),
        convention: reference.conventions.convention.clone(),
        candidate: cand.label.clone(),
        tol,
        results,
        rules_compared,
        not_supplied,
        optional_not_supplied,
        given_not_echoed,
        forward_only: opts.forward_only,
        required_missing,
        float32_note,
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
    /// Whether every compared tensor matches, some learning rule was compared (unless
    /// forward-only was asked for) and every required rule was supplied.
    pub fn passed(&self) -> bool {
        self.tensors_agree() && self.problems().is_empty()
    }

    /// Whether every compared tensor is within tolerance.
    pub fn tensors_agree(&self) -> bool {
        self.results.iter().all(TensorResult::passed)
    }

    /// Why the verdict fails although no tensor differs (no rule compared, required rules
    /// missing); empty when there is no such reason.
    pub fn problems(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.rules_compared.is_empty() && !self.forward_only {
            v.push(
                "no learning rule was checked: the candidate holds no rule's updates (give at                  least one rule, or pass --forward-only to check only the forward pass)"
                    .to_string(),
            );
        }
        if !self.required_missing.is_empty() {
            v.push(format!(
                "required rules not supplied: {}",
                self.required_missing.join(", ")
            ));
        }
        v
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
            let status = if r.passed() && r.float32 {
                format!("ok (float32, rtol {:.1e})", r.tol.rtol)
            } else if r.passed() {
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
        let _ = writeln!(
            s,
            "\nrules compared: {}",
            if self.rules_compared.is_empty() {
                "none".to_string()
            } else {
                self.rules_compared.join(", ")
            }
        );
        if !self.not_supplied.is_empty() {
            let parts: Vec<String> = self
                .not_supplied
                .iter()
                .map(|(g, n)| format!("{g} ({n})"))
                .collect();
            let _ = writeln!(s, "rules not supplied, not compared: {}", parts.join(", "));
        }
        if !self.optional_not_supplied.is_empty() {
            let _ = writeln!(
                s,
                "traces not supplied (optional), not compared: {}",
                self.optional_not_supplied.join(", ")
            );
        }
        if self.given_not_echoed > 0 {
            let _ = writeln!(
                s,
                "given tensors not echoed (optional): {}",
                self.given_not_echoed
            );
        }
        if let Some(note) = &self.float32_note {
            let _ = writeln!(s, "{note}");
        }
        let failed = self.results.iter().filter(|r| !r.passed()).count();
        let problems = self.problems();
        if failed == 0 && problems.is_empty() {
            let what = if self.rules_compared.is_empty() {
                " (forward pass only, as asked)"
            } else {
                ""
            };
            let _ = writeln!(
                s,
                "\nverdict: MATCH, all {} compared tensors agree{what}",
                self.results.len()
            );
        } else if failed == 0 {
            let _ = writeln!(s, "\nverdict: NOT CHECKED, {}", problems.join("; "));
        } else {
            let _ = write!(
                s,
                "\nverdict: MISMATCH, {failed} of {} compared tensors differ",
                self.results.len()
            );
            match self.first_divergence() {
                Some((t, names)) => {
                    let sample = self
                        .results
                        .iter()
                        .find(|r| r.first_step == Some(t) && r.first_batch.is_some())
                        .and_then(|r| r.first_batch)
                        .map_or(String::new(), |b| format!(" in batch sample b = {b}"));
                    let _ = writeln!(
                        s,
                        "; first diverging step t = {t}{sample} ({})",
                        names.join(", ")
                    );
                }
                None => {
                    let _ = writeln!(s);
                }
            }
            for p in problems {
                let _ = writeln!(s, "also: {p}");
            }
        }
        s
    }
}
