//! `lro._lro`: the compiled core of the `lro` Python package.
//!
//! Thin bindings over the `lro` crate's oracle (`lro::oracle`) and per-mode reports
//! (`lro::cli::modes`). The Python layer (`lro/__init__.py`) turns what these functions return into
//! `Fixture` and `Verdict` objects; everything here is private API.
//!
//! No call may panic into Python: each entry point runs under [`guard`], which turns a Rust panic
//! into `lro.InternalError` (a `RuntimeError`), and every user error into the matching `lro`
//! exception class (defined in Python, in `lro/_errors.py`).
use lro::LroError as CoreError;
use lro::oracle::cases as builtin;
use lro::oracle::check::{self, Candidate, CheckReport, Version};
use lro::oracle::fixture::{Fixture, GROUP_FORWARD, GROUP_GIVEN, SCHEMA_VERSION};
use lro::oracle::json::RawTensor;
use lro::oracle::{self as core, Tolerance};
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

/// Builds an instance of one of the exception classes of `lro._errors`.
fn lro_err(py: Python<'_>, class: &str, msg: impl Into<String>) -> PyErr {
    let msg = msg.into();
    match py
        .import("lro._errors")
        .and_then(|m| m.getattr(class))
        .and_then(|c| c.call1((msg.clone(),)))
    {
        Ok(e) => PyErr::from_value(e),
        // The Python layer is missing (the extension imported on its own): still an exception.
        Err(_) => pyo3::exceptions::PyRuntimeError::new_err(format!("{class}: {msg}")),
    }
}

/// Runs `f`, turning a Rust panic into `lro.InternalError`.
fn guard<'py, T>(py: Python<'py>, what: &str, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let detail = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(lro_err(
                py,
                "InternalError",
                format!("internal error in lro ({what}): {detail}; please report this as a bug"),
            ))
        }
    }
}

fn case_err(py: Python<'_>, e: CoreError) -> PyErr {
    lro_err(py, "CaseError", e.to_string())
}

/// A fixture computed (or read) by the Rust core. Opaque to users: `lro.Fixture` wraps it.
#[pyclass(name = "RawFixture", module = "lro._lro", frozen)]
struct RawFixture {
    inner: Fixture,
}

#[pymethods]
impl RawFixture {
    /// The fixture without tensor data, as a JSON string: schema_version, case, description,
    /// conventions, and per tensor role, group, first_step, doc and shape.
    fn meta_json(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, "meta_json", || {
            let f = &self.inner;
            let tensors: serde_json::Map<String, serde_json::Value> = f
                .tensors
                .iter()
                .map(|(k, t)| {
                    (
                        k.clone(),
                        serde_json::json!({
                            "role": t.role,
                            "group": t.group,
                            "first_step": t.first_step,
                            "doc": t.doc,
                            "shape": t.shape,
                        }),
                    )
                })
                .collect();
            let v = serde_json::json!({
                "schema_version": f.schema_version,
                "case": f.case,
                "description": f.description,
                "conventions": f.conventions,
                "tensors": tensors,
            });
            serde_json::to_string(&v)
                .map_err(|e| lro_err(py, "InternalError", format!("serialising metadata: {e}")))
        })
    }

    /// The tensors as a dict of name → float64 ndarray (one copy, owned by NumPy).
    fn arrays<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(py, "arrays", || {
            let d = PyDict::new(py);
            for (k, t) in &self.inner.tensors {
                let a = PyArray1::from_vec(py, t.data.clone());
                let a = a.reshape(t.shape.clone())?;
                d.set_item(k, a)?;
            }
            Ok(d)
        })
    }

    /// Writes the fixture to a `.json` or `.npz` file.
    fn write(&self, py: Python<'_>, path: &str) -> PyResult<()> {
        guard(py, "write", || {
            core::write_fixture(&self.inner, Path::new(path)).map_err(|e| case_err(py, e))
        })
    }
}

/// The built-in cases as (name, description) pairs.
#[pyfunction]
fn cases(py: Python<'_>) -> PyResult<Vec<(String, String)>> {
    guard(py, "cases", || {
        Ok(builtin::builtin_names()
            .into_iter()
            .map(|n| {
                (
                    n.to_string(),
                    builtin::description(n).unwrap_or_default().to_string(),
                )
            })
            .collect())
    })
}

/// A fixture from a built-in case name or a file (config `.json`, fixture `.json` or `.npz`).
#[pyfunction]
fn fixture_from_spec(py: Python<'_>, spec: &str) -> PyResult<RawFixture> {
    guard(py, "fixture", || {
        let f = py
            .detach(|| core::resolve_case(spec))
            .map_err(|e| case_err(py, e))?;
        Ok(RawFixture { inner: f })
    })
}

/// A fixture from a case config given as JSON text.
#[pyfunction]
fn fixture_from_config(py: Python<'_>, config_json: &str) -> PyResult<RawFixture> {
    guard(py, "fixture", || {
        let cfg = core::config::CaseConfig::from_json(config_json).map_err(|e| case_err(py, e))?;
        let f = py.detach(|| cfg.build()).map_err(|e| case_err(py, e))?;
        Ok(RawFixture { inner: f })
    })
}

/// Reads a candidate's arrays (float64 ndarrays, any layout) into the core's form.
fn candidate_tensors(
    py: Python<'_>,
    arrays: &Bound<'_, PyDict>,
) -> PyResult<BTreeMap<String, RawTensor>> {
    let mut out = BTreeMap::new();
    for (k, v) in arrays.iter() {
        let name: String = k.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "candidate keys must be tensor names (str), got {}",
                k.get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ))
        })?;
        let arr: PyReadonlyArrayDyn<'_, f64> = v.extract().map_err(|_| {
            lro_err(
                py,
                "CandidateDtypeError",
                format!("tensor {name}: expected a float64 numpy array"),
            )
        })?;
        let shape = arr.shape().to_vec();
        let data: Vec<f64> = arr.as_array().iter().copied().collect();
        out.insert(name, (shape, data));
    }
    Ok(out)
}

fn tensor_result_dict<'py>(
    py: Python<'py>,
    r: &check::TensorResult,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("name", &r.name)?;
    d.set_item("group", &r.group)?;
    d.set_item("shape", PyTuple::new(py, &r.shape)?)?;
    d.set_item("max_abs", r.max_abs)?;
    d.set_item("max_rel", r.max_rel)?;
    d.set_item("mismatches", r.mismatches)?;
    d.set_item(
        "first_index",
        r.first_index
            .as_ref()
            .map(|i| PyTuple::new(py, i))
            .transpose()?,
    )?;
    d.set_item("first_step", r.first_step)?;
    Ok(d)
}

/// The first diverging entry: the tensor diverging at the earliest step (ties: report order,
/// i.e. given, forward, then rules by name), and within it the first failing entry at that step.
/// When no failing tensor has a time axis, the first failing tensor in report order.
fn first_divergence<'py>(
    py: Python<'py>,
    report: &CheckReport,
    reference: &Fixture,
    cand: &Candidate,
) -> PyResult<Option<Bound<'py, PyDict>>> {
    let failing: Vec<&check::TensorResult> =
        report.results.iter().filter(|r| !r.passed()).collect();
    let chosen = failing
        .iter()
        .filter(|r| r.first_step.is_some())
        .min_by_key(|r| r.first_step)
        .or_else(|| failing.first());
    let Some(res) = chosen else {
        return Ok(None);
    };
    let r = &reference.tensors[&res.name];
    let (shape, data) = &cand.tensors[&res.name];
    let row: usize = shape.iter().skip(1).product::<usize>().max(1);
    let tol = report.tol;
    let found = data.iter().zip(&r.data).enumerate().find(|(i, (c, x))| {
        let fails = (*c - *x).abs() > tol.atol + tol.rtol * x.abs();
        let at_step = match (res.first_step, r.first_step) {
            (Some(step), Some(s0)) => s0 + i / row == step,
            _ => true,
        };
        fails && at_step
    });
    let Some((flat, (got, want))) = found else {
        return Ok(None);
    };
    let mut idx = vec![0usize; shape.len()];
    let mut rest = flat;
    for k in (0..shape.len()).rev() {
        idx[k] = rest % shape[k].max(1);
        rest /= shape[k].max(1);
    }
    let d = PyDict::new(py);
    d.set_item("tensor", &res.name)?;
    d.set_item("group", &res.group)?;
    d.set_item("step", res.first_step)?;
    d.set_item("index", PyTuple::new(py, &idx)?)?;
    d.set_item("reference", *want)?;
    d.set_item("got", *got)?;
    d.set_item("abs_err", (got - want).abs())?;
    d.set_item("allowed", tol.atol + tol.rtol * want.abs())?;
    Ok(Some(d))
}

/// Checks a candidate against a fixture. The candidate is either `arrays` (a dict of float64
/// ndarrays, with optional declared `schema_version` and `case`) or `path` (a `.json`/`.npz`
/// file). Returns the report as a dict; raises `lro.UnusableCandidate` when the candidate cannot
/// be compared.
#[pyfunction]
#[pyo3(signature = (reference, *, arrays=None, path=None, schema_version=None, case=None, label=None, rtol=None, atol=None))]
#[allow(clippy::too_many_arguments)]
fn check_candidate<'py>(
    py: Python<'py>,
    reference: &RawFixture,
    arrays: Option<&Bound<'py, PyDict>>,
    path: Option<&str>,
    schema_version: Option<Bound<'py, PyAny>>,
    case: Option<String>,
    label: Option<String>,
    rtol: Option<f64>,
    atol: Option<f64>,
) -> PyResult<Bound<'py, PyDict>> {
    guard(py, "check", || {
        let mut tol = Tolerance::default();
        for (name, v, slot) in [("rtol", rtol, &mut tol.rtol), ("atol", atol, &mut tol.atol)] {
            if let Some(v) = v {
                if !(v.is_finite() && v >= 0.0) {
                    return Err(pyo3::exceptions::PyValueError::new_err(format!(
                        "{name} must be a finite number >= 0, got {v}"
                    )));
                }
                *slot = v;
            }
        }
        let cand = match (arrays, path) {
            (Some(a), None) => {
                let version = match schema_version {
                    None => Version::Int(SCHEMA_VERSION as i64),
                    Some(v) => match v.extract::<i64>() {
                        Ok(i) if !v.is_instance_of::<pyo3::types::PyBool>() => Version::Int(i),
                        _ => Version::Other(v.repr().map(|r| r.to_string()).unwrap_or_default()),
                    },
                };
                Candidate {
                    label: label.unwrap_or_else(|| "candidate".into()),
                    schema_version: version,
                    case,
                    tensors: candidate_tensors(py, a)?,
                }
            }
            (None, Some(p)) => check::load_candidate(Path::new(p))
                .map_err(|e| lro_err(py, "UnusableCandidate", e.0))?,
            _ => {
                return Err(PyTypeError::new_err(
                    "give the candidate as arrays or as a path, not both",
                ));
            }
        };
        let report = check::check(&reference.inner, &cand, tol)
            .map_err(|e| lro_err(py, "UnusableCandidate", e.0))?;
        let d = PyDict::new(py);
        d.set_item("case", &report.case)?;
        d.set_item("convention", &report.convention)?;
        d.set_item("candidate", &report.candidate)?;
        d.set_item("rtol", report.tol.rtol)?;
        d.set_item("atol", report.tol.atol)?;
        d.set_item("passed", report.passed())?;
        let results = PyList::empty(py);
        for r in &report.results {
            results.append(tensor_result_dict(py, r)?)?;
        }
        d.set_item("results", results)?;
        d.set_item("not_supplied", report.not_supplied.clone())?;
        d.set_item("given_not_echoed", report.given_not_echoed)?;
        d.set_item("rendered", report.render())?;
        d.set_item(
            "first_divergence",
            first_divergence(py, &report, &reference.inner, &cand)?,
        )?;
        let groups: Vec<String> = reference.inner.rule_groups();
        d.set_item("rule_groups", groups)?;
        d.set_item("group_given", GROUP_GIVEN)?;
        d.set_item("group_forward", GROUP_FORWARD)?;
        Ok(d)
    })
}

/// `lro modes --json` for the given arguments (strings, as on the command line).
#[pyfunction]
#[pyo3(signature = (rule, mode, teacher, feedback=None, horizon="inf".to_string()))]
fn modes_json(
    py: Python<'_>,
    rule: String,
    mode: String,
    teacher: String,
    feedback: Option<String>,
    horizon: String,
) -> PyResult<String> {
    guard(py, "modes", || {
        let args = lro::cli::modes::ModesArgs {
            rule,
            mode,
            teacher,
            feedback,
            horizon,
            json: true,
        };
        lro::cli::modes::run(&args).map_err(|e| lro_err(py, "ModesError", e.to_string()))
    })
}

/// Raises a panic inside the guard (for the test that a panic becomes `lro.InternalError`).
#[pyfunction]
fn _panic_for_test(py: Python<'_>) -> PyResult<()> {
    guard(py, "self-test", || -> PyResult<()> {
        panic!("deliberate panic (self-test)")
    })
}

/// The compiled core of `lro`.
#[pymodule]
fn _lro(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<RawFixture>()?;
    m.add_function(wrap_pyfunction!(cases, m)?)?;
    m.add_function(wrap_pyfunction!(fixture_from_spec, m)?)?;
    m.add_function(wrap_pyfunction!(fixture_from_config, m)?)?;
    m.add_function(wrap_pyfunction!(check_candidate, m)?)?;
    m.add_function(wrap_pyfunction!(modes_json, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_test, m)?)?;
    m.add("SCHEMA_VERSION", SCHEMA_VERSION)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
