//! The fixture schema (version [`SCHEMA_VERSION`]): a seeded reference case as named tensors.
//!
//! A fixture holds the conventions manifest ([`Conventions`]), and a flat map of named `f64`
//! tensors (row-major, C order), each with its role, its group and, when axis 0 is time, the model
//! time step of its first row. Groups decide what a candidate must supply to `lro check`:
//! - `given`: parameters, inputs and teacher outputs. A candidate may echo them (they are then
//!   compared, which catches a reader bug) or leave them out.
//! - `forward`: the forward pass (states, outputs, errors, losses). A candidate must supply all.
//! - any other group is a learning rule (`bptt`, `rflo`, …): a candidate supplies all of a rule's
//!   tensors or none of them.
use super::conventions::Conventions;
use crate::error::{LroError, Result};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The schema version this lro writes and reads. A change of any tensor's meaning, name or layout
/// bumps it.
pub const SCHEMA_VERSION: u32 = 2;

/// The group of tensors every candidate may leave out.
pub const GROUP_GIVEN: &str = "given";
/// The group of tensors every candidate must supply.
pub const GROUP_FORWARD: &str = "forward";

/// What a tensor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A model or rule parameter (weights, feedback, leak, surrogate).
    Parameter,
    /// An input sequence.
    Input,
    /// Teacher outputs (targets).
    Target,
    /// A state of the forward pass (pre-activations, hidden states, outputs, errors, losses).
    State,
    /// An eligibility trace or influence matrix.
    Trace,
    /// A learning-rule update (per step or total).
    Update,
}

/// One named tensor with its metadata.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tensor {
    /// What it is.
    pub role: Role,
    /// `given`, `forward`, or the name of the learning rule it belongs to.
    pub group: String,
    /// When the time axis (axis 0, or axis 1 under [`Tensor::batch_axis`]) is present: the model
    /// time step of its first row (so row k is step `first_step + k`).
    pub first_step: Option<usize>,
    /// One line saying what the tensor holds, in the fixture's conventions.
    pub doc: String,
    /// Dimensions (empty for a scalar).
    pub shape: Vec<usize>,
    /// Entries in row-major (C) order; `shape.iter().product()` of them.
    pub data: Vec<f64>,
    /// The normwise error of computing this tensor in plain f64 arithmetic, relative to the
    /// reference: `max|f64 − ref| / max|ref|` (absent when not measured). Float32 candidates are
    /// judged with a tolerance grown by it (`lro check`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f64_error: Option<f64>,
    /// Whether axis 0 is the batch axis (entry b belongs to input sequence b; fixtures of a
    /// case with `batch` > 1). Absent (false) otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub batch_axis: bool,
}

impl Tensor {
    /// Number of entries the shape calls for.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
    /// Whether the tensor has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Everything of a fixture except its tensors' data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The case name (built-in name, or the name given in a config file).
    pub case: String,
    /// One line describing the case.
    pub description: String,
    /// The conventions manifest.
    pub conventions: Conventions,
    /// Which lro made it, how, and how exact its numbers are.
    #[serde(default)]
    pub provenance: Provenance,
    /// The tensors by name.
    pub tensors: BTreeMap<String, Tensor>,
}

/// Where a fixture comes from: the lro version and git commit that computed it, the schema, the
/// arithmetic of its reference and that reference's bound against f64.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The lro version (Cargo package version).
    pub lro_version: String,
    /// The git commit lro was built from (`unknown` outside a git checkout; uncommitted changes
    /// are not flagged).
    pub git_commit: String,
    /// The schema version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The arithmetic of the reference computation, when known.
    #[serde(default)]
    pub arithmetic: Option<crate::oracle::limits::Arithmetic>,
    /// What bounds the stored numbers' distance from the exact values, in words.
    #[serde(default)]
    pub bound: String,
}

impl Provenance {
    /// The provenance of a fixture computed now by this build.
    pub fn current() -> Self {
        Provenance {
            lro_version: env!("CARGO_PKG_VERSION").into(),
            git_commit: option_env!("LRO_GIT_COMMIT").unwrap_or("unknown").into(),
            schema_version: SCHEMA_VERSION,
            arithmetic: None,
            bound: String::new(),
        }
    }
}

/// Builds a fixture's tensor map with shape checks.
#[derive(Default)]
pub struct TensorSet {
    /// The tensors so far.
    pub tensors: BTreeMap<String, Tensor>,
}

impl TensorSet {
    /// Adds a tensor; fails if the name is taken or the data length does not fit the shape.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        name: &str,
        role: Role,
        group: &str,
        first_step: Option<usize>,
        doc: &str,
        shape: Vec<usize>,
        data: Vec<f64>,
    ) -> Result<()> {
        let want: usize = shape.iter().product();
        if want != data.len() {
            return Err(LroError::ShapeMismatch {
                context: format!("fixture tensor {name}"),
                detail: format!("shape {shape:?} needs {want} entries, got {}", data.len()),
            });
        }
        if self.tensors.contains_key(name) {
            return Err(LroError::InvalidParameter {
                name: format!("fixture tensor {name}"),
                reason: "the name is used twice".into(),
            });
        }
        self.tensors.insert(
            name.to_string(),
            Tensor {
                role,
                group: group.to_string(),
                first_step,
                doc: doc.to_string(),
                shape,
                data,
                f64_error: None,
                batch_axis: false,
            },
        );
        Ok(())
    }

    /// Adds a scalar.
    pub fn scalar(&mut self, name: &str, role: Role, group: &str, doc: &str, v: f64) -> Result<()> {
        self.add(name, role, group, None, doc, vec![], vec![v])
    }

    /// Adds a matrix (row-major).
    pub fn matrix(
        &mut self,
        name: &str,
        role: Role,
        group: &str,
        doc: &str,
        m: &DMatrix<f64>,
    ) -> Result<()> {
        self.add(
            name,
            role,
            group,
            None,
            doc,
            vec![m.nrows(), m.ncols()],
            row_major(m),
        )
    }

    /// Adds a vector.
    pub fn vector(
        &mut self,
        name: &str,
        role: Role,
        group: &str,
        doc: &str,
        v: &DVector<f64>,
    ) -> Result<()> {
        self.add(
            name,
            role,
            group,
            None,
            doc,
            vec![v.len()],
            v.iter().copied().collect(),
        )
    }

    /// Adds a time series of vectors (shape `[len, dim]`); row k is model step `first_step + k`.
    #[allow(clippy::too_many_arguments)]
    pub fn vector_series(
        &mut self,
        name: &str,
        role: Role,
        group: &str,
        first_step: usize,
        doc: &str,
        dim: usize,
        vs: &[DVector<f64>],
    ) -> Result<()> {
        let data: Vec<f64> = vs.iter().flat_map(|v| v.iter().copied()).collect();
        self.add(
            name,
            role,
            group,
            Some(first_step),
            doc,
            vec![vs.len(), dim],
            data,
        )
    }

    /// Adds a time series of matrices (shape `[len, rows, cols]`).
    #[allow(clippy::too_many_arguments)]
    pub fn matrix_series(
        &mut self,
        name: &str,
        role: Role,
        group: &str,
        first_step: usize,
        doc: &str,
        (rows, cols): (usize, usize),
        ms: &[DMatrix<f64>],
    ) -> Result<()> {
        let data: Vec<f64> = ms.iter().flat_map(row_major).collect();
        self.add(
            name,
            role,
            group,
            Some(first_step),
            doc,
            vec![ms.len(), rows, cols],
            data,
        )
    }
}

/// A matrix's entries in row-major order.
pub fn row_major(m: &DMatrix<f64>) -> Vec<f64> {
    let mut v = Vec::with_capacity(m.len());
    for i in 0..m.nrows() {
        for j in 0..m.ncols() {
            v.push(m[(i, j)]);
        }
    }
    v
}

impl Fixture {
    /// A tensor by name.
    pub fn tensor(&self, name: &str) -> Result<&Tensor> {
        self.tensors
            .get(name)
            .ok_or_else(|| LroError::InvalidParameter {
                name: format!("tensor {name}"),
                reason: format!("case {} has no tensor of that name", self.case),
            })
    }

    /// A 2-D tensor as a matrix.
    pub fn matrix(&self, name: &str) -> Result<DMatrix<f64>> {
        let t = self.tensor(name)?;
        if t.shape.len() != 2 {
            return Err(LroError::ShapeMismatch {
                context: format!("tensor {name}"),
                detail: format!("expected a matrix, shape is {:?}", t.shape),
            });
        }
        Ok(DMatrix::from_row_slice(t.shape[0], t.shape[1], &t.data))
    }

    /// The rows of a 2-D tensor as vectors (a time series).
    pub fn rows(&self, name: &str) -> Result<Vec<DVector<f64>>> {
        let m = self.matrix(name)?;
        Ok((0..m.nrows()).map(|i| m.row(i).transpose()).collect())
    }

    /// The group names of learning rules, in order.
    pub fn rule_groups(&self) -> Vec<String> {
        let mut g: Vec<String> = self
            .tensors
            .values()
            .map(|t| t.group.clone())
            .filter(|g| g != GROUP_GIVEN && g != GROUP_FORWARD)
            .collect();
        g.sort();
        g.dedup();
        g
    }

    /// Checks internal consistency: schema version, data lengths, finiteness.
    pub fn validate(&self) -> Result<()> {
        if self.schema_version != SCHEMA_VERSION {
            return Err(LroError::Unsupported(format!(
                "fixture schema_version {} (this lro reads schema_version {SCHEMA_VERSION})",
                self.schema_version
            )));
        }
        for (name, t) in &self.tensors {
            if t.len() != t.data.len() {
                return Err(LroError::ShapeMismatch {
                    context: format!("fixture tensor {name}"),
                    detail: format!(
                        "shape {:?} needs {} entries, found {}",
                        t.shape,
                        t.len(),
                        t.data.len()
                    ),
                });
            }
            if let Some(i) = t.data.iter().position(|v| !v.is_finite()) {
                return Err(LroError::NotFinite {
                    name: format!("fixture tensor {name} (flat index {i})"),
                });
            }
        }
        Ok(())
    }
}
