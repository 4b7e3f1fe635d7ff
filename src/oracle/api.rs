//! The oracle as a library: list the cases, build a fixture, check a candidate, get a verdict.
//! This is the surface the Python package wraps; it is kept stable.
//!
//! ```
//! use lro::oracle::api::{self, CaseRef, CheckOptions};
//! let f = api::fixture(CaseRef::from("linear"), None).unwrap();
//! // The oracle's own numbers, with the forward pass and every rule, match themselves.
//! let cand = api::Candidate::in_memory(
//!     "self",
//!     f.tensors.iter().map(|(k, t)| (k.clone(), (t.shape.clone(), t.data.clone()))).collect(),
//! );
//! let v = api::check(&f, &cand, &CheckOptions::default()).unwrap();
//! assert!(v.ok, "{}", v.table);
//! assert!(v.compared.contains(&"bptt".to_string()));
//! ```
use super::cases;
use super::check::{self, CheckReport, Version};
use super::config::{self, CaseConfig};
use super::error::{OracleError, OracleResult};
use super::fixture::{Role, SCHEMA_VERSION};
use super::limits::Limits;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub use super::check::{Candidate, CheckOptions, Precision, Tolerance};
pub use super::fixture::{Fixture, Tensor};

/// A built-in case, as `cases()` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseInfo {
    /// The name to pass to [`fixture`].
    pub name: String,
    /// One line describing it.
    pub description: String,
    /// Its convention: `lro`, `murray2019` or `marschall2020`.
    pub convention: String,
}

/// The built-in cases (the quick ones, then those at working size).
pub fn cases() -> Vec<CaseInfo> {
    cases::all_names()
        .into_iter()
        .filter_map(|name| {
            let c = cases::builtin(name).ok()?;
            Some(CaseInfo {
                name: name.to_string(),
                description: cases::description(name).unwrap_or_default().to_string(),
                convention: config::convention_name(&c).to_string(),
            })
        })
        .collect()
}

/// What to build a fixture from.
#[derive(Clone, Debug, PartialEq)]
pub enum CaseRef {
    /// A built-in case name, or the path of a config `.json` or a fixture (`.json` / `.npz`).
    Name(String),
    /// A case configuration.
    Config(Box<CaseConfig>),
    /// A case configuration as JSON text (e.g. a Python dict dumped with `json.dumps`).
    ConfigJson(String),
}

impl From<&str> for CaseRef {
    fn from(s: &str) -> Self {
        CaseRef::Name(s.to_string())
    }
}

impl From<CaseConfig> for CaseRef {
    fn from(c: CaseConfig) -> Self {
        CaseRef::Config(Box::new(c))
    }
}

/// Builds (or reads) a case's fixture with the default [`Limits`]. `batch`: the number of
/// sequences B (sets the `batch` key of an lro case config; `None` keeps the case's own).
pub fn fixture(case: CaseRef, batch: Option<usize>) -> OracleResult<Fixture> {
    fixture_with(case, batch, &Limits::default())
}

/// [`fixture`] with explicit limits.
pub fn fixture_with(case: CaseRef, batch: Option<usize>, limits: &Limits) -> OracleResult<Fixture> {
    let Some(b) = batch else {
        return match case {
            CaseRef::Name(s) => super::resolve_case_with(&s, limits),
            CaseRef::Config(c) => c.build_with(limits),
            CaseRef::ConfigJson(text) => CaseConfig::from_json(&text)?.build_with(limits),
        };
    };
    if b == 0 {
        return Err(OracleError::Option {
            name: "batch".into(),
            reason: "batch = 0: give the number of input sequences, at least 1".into(),
        });
    }
    let config = match case {
        CaseRef::Name(s) => match super::load_case(&s, limits)? {
            super::CaseSource::Config(c) => c,
            super::CaseSource::Fixture(f) => {
                let has = f.tensors.values().any(|t| t.batch_axis);
                if b == 1 && !has {
                    return Ok(*f);
                }
                let held = if has { "a batch" } else { "one sequence" };
                return Err(OracleError::Option {
                    name: "batch".into(),
                    reason: format!(
                        "{s} is a fixture file (it holds {held}); batch applies to a case or a \
                         config: pass batch = None to read the file as it is"
                    ),
                });
            }
        },
        CaseRef::Config(c) => *c,
        CaseRef::ConfigJson(text) => CaseConfig::from_json(&text)?,
    };
    let config = match config {
        CaseConfig::Lro(mut c) => {
            c.batch = b;
            CaseConfig::Lro(c)
        }
        other if b == 1 => other,
        other => {
            return Err(OracleError::Option {
                name: "batch".into(),
                reason: format!(
                    "batch = {b}: case {} follows the {} convention, whose fixtures hold one \
                     sequence; batches exist for lro cases (e.g. linear, leaky-tanh, \
                     working-size)",
                    other.name(),
                    config::convention_name(&other)
                ),
            });
        }
    };
    config.build_with(limits)
}

impl Fixture {
    /// The conventions manifest as a structured value (a JSON object: every field enumerable).
    pub fn conventions_value(&self) -> serde_json::Value {
        serde_json::to_value(&self.conventions).unwrap_or(serde_json::Value::Null)
    }

    /// Names of the tensors with the given role, in name order.
    pub fn names_with_role(&self, role: Role) -> Vec<String> {
        self.tensors
            .iter()
            .filter(|(_, t)| t.role == role)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Input tensors (the sequences fed to the network).
    pub fn inputs(&self) -> Vec<String> {
        self.names_with_role(Role::Input)
    }

    /// Parameter tensors (weights, feedback, leak, surrogate).
    pub fn params(&self) -> Vec<String> {
        self.names_with_role(Role::Parameter)
    }

    /// The learning rules of the case (tensor groups), in order.
    pub fn rules(&self) -> Vec<String> {
        self.rule_groups()
    }
}

impl Candidate {
    /// A candidate built in memory (e.g. from NumPy arrays): tensors by name as (shape,
    /// row-major values), in the current schema, case not declared. Mark float32 tensors with
    /// [`Candidate::with_float32`].
    pub fn in_memory(label: &str, tensors: BTreeMap<String, (Vec<usize>, Vec<f64>)>) -> Self {
        Candidate {
            label: label.into(),
            schema_version: Version::Int(SCHEMA_VERSION as i64),
            case: None,
            tensors,
            float32: BTreeSet::new(),
        }
    }

    /// Marks the named tensors as computed in float32 (judged with float32 tolerances under
    /// [`Precision::Auto`]).
    pub fn with_float32(mut self, names: impl IntoIterator<Item = String>) -> Self {
        self.float32.extend(names);
        self
    }
}

/// Where a candidate first disagrees with the reference.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Divergence {
    /// The tensor.
    pub tensor: String,
    /// The model time step of the entry, when the tensor has a time axis.
    pub step: Option<usize>,
    /// The entry's multi-index (batch sample first, for tensors with a batch axis).
    pub index: Vec<usize>,
    /// The batch sample of the entry, for tensors with a batch axis.
    #[serde(default)]
    pub batch: Option<usize>,
    /// The reference value there.
    pub reference: f64,
    /// The candidate's value there.
    pub got: f64,
}

/// The outcome of a check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Whether the candidate passes: every compared tensor within tolerance, some learning rule
    /// compared (unless forward-only was asked for), every required rule supplied.
    pub ok: bool,
    /// Rules whose updates were compared.
    pub compared: Vec<String>,
    /// Rules of the case that were not supplied, hence not compared.
    pub not_compared: Vec<String>,
    /// Tensors compared (every name the candidate supplied).
    pub tensors_compared: Vec<String>,
    /// The earliest disagreement (earliest time step; else the first failing tensor).
    pub first_divergence: Option<Divergence>,
    /// Why the verdict fails although no tensor differs (no rule checked, required rules
    /// missing).
    pub reasons: Vec<String>,
    /// The human-readable table (what `lro check` prints).
    pub table: String,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.table)
    }
}

impl Verdict {
    /// The verdict of a check report.
    pub fn from_report(r: &CheckReport) -> Self {
        let failing = r.results.iter().filter(|t| !t.passed());
        let earliest = r.first_divergence().map(|(s, _)| s);
        let pick = failing
            .clone()
            .find(|t| earliest.is_some() && t.first_step == earliest)
            .or_else(|| r.results.iter().find(|t| !t.passed()));
        let first_divergence = pick.map(|t| {
            let (reference, got) = t.first_values.unwrap_or((f64::NAN, f64::NAN));
            Divergence {
                tensor: t.name.clone(),
                step: t.first_step,
                index: t.first_index.clone().unwrap_or_default(),
                batch: t.first_batch,
                reference,
                got,
            }
        });
        Verdict {
            ok: r.passed(),
            compared: r.rules_compared.clone(),
            not_compared: r.not_supplied.iter().map(|(g, _)| g.clone()).collect(),
            tensors_compared: r.results.iter().map(|t| t.name.clone()).collect(),
            first_divergence,
            reasons: r.problems(),
            table: r.render(),
        }
    }
}

/// Checks a candidate against a fixture. Unusable input (wrong shapes, NaN, unknown names,
/// missing forward tensors, an incomplete rule) is an error; a disagreement is a verdict with
/// `ok == false`.
pub fn check(
    reference: &Fixture,
    candidate: &Candidate,
    opts: &CheckOptions,
) -> OracleResult<Verdict> {
    let report = check::check_with(reference, candidate, opts)?;
    Ok(Verdict::from_report(&report))
}
