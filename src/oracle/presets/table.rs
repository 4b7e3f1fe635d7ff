//! Declarative tensor tables: each preset lists the tensors its fixtures carry (name, role, rule
//! group, first time step, shape expression, meaning) in one `const` table, and its builder fills
//! the data by name. The writer checks every tensor against its row: the data length against the
//! shape the expression gives for the case's sizes, and, at the end, that every row that must be
//! present was written.
use crate::error::{LroError, Result};
use crate::oracle::fixture::{Role, Tensor, TensorSet, row_major};
use nalgebra::{DMatrix, DVector};
use std::collections::BTreeMap;

/// One row of a preset's tensor table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TensorSpec {
    /// Tensor name in the fixture.
    pub name: &'static str,
    /// What it is.
    pub role: Role,
    /// `given`, `forward`, or the learning rule it belongs to.
    pub group: &'static str,
    /// When axis 0 is time: the model time step of row 0.
    pub first_step: Option<usize>,
    /// Shape as comma-separated axis expressions over the case's sizes (`+` and `*` of names and
    /// integers, e.g. `T, n_h, n_h*m`); empty for a scalar.
    pub shape: &'static str,
    /// One line saying what it holds, in the preset's conventions.
    pub doc: &'static str,
    /// Whether the tensor exists only under some settings (e.g. a random feedback matrix).
    pub optional: bool,
}

/// A table row (all rows are required unless marked with [`TensorSpec::optional`]).
pub const fn spec(
    name: &'static str,
    role: Role,
    group: &'static str,
    first_step: Option<usize>,
    shape: &'static str,
    doc: &'static str,
) -> TensorSpec {
    TensorSpec {
        name,
        role,
        group,
        first_step,
        shape,
        doc,
        optional: false,
    }
}

impl TensorSpec {
    /// The same row, present only under some settings.
    pub const fn optional(self) -> Self {
        TensorSpec {
            optional: true,
            ..self
        }
    }
}

fn bad_expr(expr: &str, why: String) -> LroError {
    LroError::InvalidParameter {
        name: format!("tensor-table shape '{expr}'"),
        reason: why,
    }
}

/// Evaluates a shape expression (`+` and `*` of names and integers per axis, axes separated by
/// commas) for the given sizes.
pub fn eval_shape(expr: &str, dims: &[(&str, usize)]) -> Result<Vec<usize>> {
    if expr.trim().is_empty() {
        return Ok(vec![]);
    }
    let term = |t: &str| -> Result<usize> {
        let t = t.trim();
        if let Ok(v) = t.parse::<usize>() {
            return Ok(v);
        }
        dims.iter()
            .find(|(k, _)| *k == t)
            .map(|(_, v)| *v)
            .ok_or_else(|| bad_expr(expr, format!("unknown size '{t}'")))
    };
    expr.split(',')
        .map(|axis| {
            axis.split('+').try_fold(0usize, |sum, prod| {
                let p = prod
                    .split('*')
                    .try_fold(1usize, |acc, t| Ok::<_, LroError>(acc * term(t)?))?;
                Ok(sum + p)
            })
        })
        .collect()
}

/// Fills a preset's tensor table with data.
pub struct TableWriter<'a> {
    table: &'a [TensorSpec],
    dims: Vec<(&'static str, usize)>,
    set: TensorSet,
}

impl<'a> TableWriter<'a> {
    /// A writer for `table` with the case's sizes.
    pub fn new(table: &'a [TensorSpec], dims: &[(&'static str, usize)]) -> Self {
        TableWriter {
            table,
            dims: dims.to_vec(),
            set: TensorSet::default(),
        }
    }

    fn row(&self, name: &str) -> Result<&'a TensorSpec> {
        self.table
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| LroError::InvalidParameter {
                name: format!("fixture tensor {name}"),
                reason: "not in the preset's tensor table".into(),
            })
    }

    /// Writes a tensor's row-major data; its length must fit the table's shape.
    pub fn put(&mut self, name: &str, data: Vec<f64>) -> Result<()> {
        let s = self.row(name)?;
        let shape = eval_shape(s.shape, &self.dims)?;
        self.set
            .add(s.name, s.role, s.group, s.first_step, s.doc, shape, data)
    }

    /// Writes a scalar.
    pub fn scalar(&mut self, name: &str, v: f64) -> Result<()> {
        self.put(name, vec![v])
    }

    /// Writes a vector.
    pub fn vector(&mut self, name: &str, v: &DVector<f64>) -> Result<()> {
        self.put(name, v.iter().copied().collect())
    }

    /// Writes a matrix.
    pub fn matrix(&mut self, name: &str, m: &DMatrix<f64>) -> Result<()> {
        self.put(name, row_major(m))
    }

    /// Writes a time series of vectors (one row per step).
    pub fn vectors(&mut self, name: &str, vs: &[DVector<f64>]) -> Result<()> {
        self.put(name, vs.iter().flat_map(|v| v.iter().copied()).collect())
    }

    /// Writes a time series of matrices.
    pub fn matrices(&mut self, name: &str, ms: &[DMatrix<f64>]) -> Result<()> {
        self.put(name, ms.iter().flat_map(row_major).collect())
    }

    /// The tensors, after checking that every required row was written.
    pub fn finish(self) -> Result<BTreeMap<String, Tensor>> {
        let missing: Vec<&str> = self
            .table
            .iter()
            .filter(|s| !s.optional && !self.set.tensors.contains_key(s.name))
            .map(|s| s.name)
            .collect();
        if !missing.is_empty() {
            return Err(LroError::InvalidParameter {
                name: "fixture".into(),
                reason: format!(
                    "tensors of the preset's table were not computed: {}",
                    missing.join(", ")
                ),
            });
        }
        Ok(self.set.tensors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_expressions_evaluate_sums_of_products() {
        let dims = [("n", 3), ("d", 2), ("T", 5)];
        assert_eq!(eval_shape("", &dims).unwrap(), Vec::<usize>::new());
        assert_eq!(eval_shape("T, n", &dims).unwrap(), vec![5, 3]);
        assert_eq!(eval_shape("T, n, n*n+d+1", &dims).unwrap(), vec![5, 3, 12]);
        assert!(eval_shape("T, q", &dims).is_err());
    }
}
