//! `lro._lro`: the compiled core of the `lro` Python package.
//!
//! Thin bindings over the `lro` crate's oracle (`lro::oracle`) and per-mode reports
//! (`lro::cli::modes`). The Python layer (`lro/__init__.py`) turns what these functions return into
//! `Fixture` and `Verdict` objects; everything here is private API.
//!
//! No call may panic into Python: each entry point runs under [`guard`], which turns a Rust panic
//! into `lro.InternalError` (a `RuntimeError`), and every user error into the matching `lro`
//! exception class (defined in Python, in `lro/_errors.py`).
use lro::oracle::api::{self, CaseRef, Verdict};
use lro::oracle::check::{self, Candidate, CheckOptions, Precision, Version};
use lro::oracle::fixture::{Fixture, SCHEMA_VERSION};
use lro::oracle::json::RawTensor;
use lro::oracle::{self as core, OracleError};
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

/// The Python exception for an oracle error; `reading_candidate` decides whether an unreadable
/// file is the candidate's fault (`UnusableCandidate`) or the case's (`CaseError`).
fn oracle_err(py: Python<'_>, e: OracleError, reading_candidate: bool) -> PyErr {
    let class = match &e {
        OracleError::Case(_) | OracleError::NonFiniteReference { .. } => "CaseError",
        OracleError::Read { .. } if reading_candidate => "UnusableCandidate",
        OracleError::Read { .. } => "CaseError",
        OracleError::Unusable { .. } => "UnusableCandidate",
        OracleError::Limit { .. } => "LimitError",
        OracleError::UnknownRule { .. } | OracleError::Option { .. } => "OptionError",
    };
    lro_err(py, class, e.to_string())
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
                            "f64_error": t.f64_error,
                            "batch_axis": t.batch_axis,
                        }),
                    )
                })
                .collect();
            let v = serde_json::json!({
                "schema_version": f.schema_version,
                "case": f.case,
                "description": f.description,
                "conventions": f.conventions,
                "provenance": f.provenance,
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
            core::write_fixture(&self.inner, Path::new(path))
                .map_err(|e| oracle_err(py, OracleError::Case(e), false))
        })
    }
}

/// The built-in cases as (name, description, convention) triples.
#[pyfunction]
fn cases(py: Python<'_>) -> PyResult<Vec<(String, String, String)>> {
    guard(py, "cases", || {
        Ok(api::cases()
            .into_iter()
            .map(|c| (c.name, c.description, c.convention))
            .collect())
    })
}

/// A fixture from a built-in case name or a file (config `.json`, fixture `.json` or `.npz`).
#[pyfunction]
#[pyo3(signature = (spec, batch=None))]
fn fixture_from_spec(py: Python<'_>, spec: &str, batch: Option<usize>) -> PyResult<RawFixture> {
    guard(py, "fixture", || {
        let f = py
            .detach(|| api::fixture(CaseRef::Name(spec.to_string()), batch))
            .map_err(|e| oracle_err(py, e, false))?;
        Ok(RawFixture { inner: f })
    })
}

/// A fixture from a case config given as JSON text.
#[pyfunction]
#[pyo3(signature = (config_json, batch=None))]
fn fixture_from_config(
    py: Python<'_>,
    config_json: &str,
    batch: Option<usize>,
) -> PyResult<RawFixture> {
    guard(py, "fixture", || {
        let f = py
            .detach(|| api::fixture(CaseRef::ConfigJson(config_json.to_string()), batch))
            .map_err(|e| oracle_err(py, e, false))?;
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
    d.set_item("rtol", r.tol.rtol)?;
    d.set_item("atol", r.tol.atol)?;
    d.set_item("float32", r.float32)?;
    Ok(d)
}

/// The verdict's first divergence, with the group and the tolerance of its tensor.
fn divergence_dict<'py>(
    py: Python<'py>,
    verdict: &Verdict,
    report: &check::CheckReport,
) -> PyResult<Option<Bound<'py, PyDict>>> {
    let Some(fd) = &verdict.first_divergence else {
        return Ok(None);
    };
    let Some(res) = report.results.iter().find(|r| r.name == fd.tensor) else {
        return Ok(None);
    };
    let d = PyDict::new(py);
    d.set_item("tensor", &fd.tensor)?;
    d.set_item("group", &res.group)?;
    d.set_item("step", fd.step)?;
    d.set_item("index", PyTuple::new(py, &fd.index)?)?;
    d.set_item("reference", fd.reference)?;
    d.set_item("got", fd.got)?;
    d.set_item("abs_err", (fd.got - fd.reference).abs())?;
    d.set_item("rtol", res.tol.rtol)?;
    d.set_item("atol", res.tol.atol)?;
    d.set_item("float32", res.float32)?;
    d.set_item("batch", fd.batch)?;
    Ok(Some(d))
}

/// Checks a candidate against a fixture. The candidate is either `arrays` (a dict of float64
/// ndarrays, with optional declared `schema_version` and `case`; `float32` names the tensors
/// computed in float32) or `path` (a `.json`/`.npz` file). Returns the verdict as a dict; raises
/// `lro.UnusableCandidate` when the candidate cannot be compared.
#[pyfunction]
#[pyo3(signature = (
    reference, *, arrays=None, path=None, schema_version=None, case=None, label=None,
    float32=Vec::new(), rtol=None, atol=None, require=Vec::new(), forward_only=false,
    precision="auto".to_string()
))]
#[allow(clippy::too_many_arguments)]
fn check_candidate<'py>(
    py: Python<'py>,
    reference: &RawFixture,
    arrays: Option<&Bound<'py, PyDict>>,
    path: Option<&str>,
    schema_version: Option<Bound<'py, PyAny>>,
    case: Option<String>,
    label: Option<String>,
    float32: Vec<String>,
    rtol: Option<f64>,
    atol: Option<f64>,
    require: Vec<String>,
    forward_only: bool,
    precision: String,
) -> PyResult<Bound<'py, PyDict>> {
    guard(py, "check", || {
        let precision: Precision = precision.parse().map_err(|e| oracle_err(py, e, true))?;
        let opts = CheckOptions {
            rtol,
            atol,
            require,
            forward_only,
            precision,
        };
        let cand = match (arrays, path) {
            (Some(a), None) => {
                let mut c = Candidate::in_memory(
                    &label.unwrap_or_else(|| "candidate".into()),
                    candidate_tensors(py, a)?,
                )
                .with_float32(float32);
                if let Some(v) = schema_version {
                    c.schema_version = match v.extract::<i64>() {
                        Ok(i) if !v.is_instance_of::<pyo3::types::PyBool>() => Version::Int(i),
                        _ => Version::Other(v.repr().map(|r| r.to_string()).unwrap_or_default()),
                    };
                }
                c.case = case;
                c
            }
            (None, Some(p)) => {
                check::load_candidate(Path::new(p)).map_err(|e| oracle_err(py, e, true))?
            }
            _ => {
                return Err(PyTypeError::new_err(
                    "give the candidate as arrays or as a path, not both",
                ));
            }
        };
        let report = py
            .detach(|| check::check_with(&reference.inner, &cand, &opts))
            .map_err(|e| oracle_err(py, e, true))?;
        let verdict = Verdict::from_report(&report);
        let d = PyDict::new(py);
        d.set_item("ok", verdict.ok)?;
        d.set_item("case", &report.case)?;
        d.set_item("convention", &report.convention)?;
        d.set_item("candidate", &report.candidate)?;
        d.set_item("rtol", report.tol.rtol)?;
        d.set_item("atol", report.tol.atol)?;
        let results = PyList::empty(py);
        for r in &report.results {
            results.append(tensor_result_dict(py, r)?)?;
        }
        d.set_item("results", results)?;
        d.set_item("compared", verdict.compared.clone())?;
        d.set_item("not_compared", verdict.not_compared.clone())?;
        d.set_item("reasons", verdict.reasons.clone())?;
        d.set_item("float32_note", report.float32_note.clone())?;
        d.set_item("table", &verdict.table)?;
        d.set_item("first_divergence", divergence_dict(py, &verdict, &report)?)?;
        Ok(d)
    })
}

/// `lro modes --json` for the given arguments (strings, as on the command line).
/// `max_horizon` is the same resource limit as `lro modes --max-horizon` (and has its default).
#[pyfunction]
#[pyo3(signature = (rule, mode, teacher, feedback=None, horizon="inf".to_string(), max_horizon=1_000_000))]
fn modes_json(
    py: Python<'_>,
    rule: String,
    mode: String,
    teacher: String,
    feedback: Option<String>,
    horizon: String,
    max_horizon: u64,
) -> PyResult<String> {
    guard(py, "modes", || {
        let args = lro::cli::modes::ModesArgs {
            rule,
            mode,
            teacher,
            feedback,
            horizon,
            max_horizon,
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
