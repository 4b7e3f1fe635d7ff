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
mod candidate;
mod render;
mod tolerance;

pub use candidate::{
    Candidate, Version, candidate_from_json, candidate_from_npz, load_candidate,
    load_candidate_with,
};
pub use tolerance::{CheckOptions, Precision, Tolerance, float32_tolerance};

use super::error::{OracleError, OracleResult};
use super::fixture::{Fixture, GROUP_FORWARD, GROUP_GIVEN, Role, SCHEMA_VERSION};
use crate::tolerances::ORACLE_F32_SAFETY;
use std::collections::BTreeMap;

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
