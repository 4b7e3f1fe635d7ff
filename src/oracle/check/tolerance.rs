//! How strictly a candidate is judged: the f64 tolerance and its options, the candidate's
//! precision, and the float32 tolerance derived from f32 rounding and the tensor's error growth.
use super::super::error::{OracleError, OracleResult};
use super::super::fixture::Tensor;
use crate::tolerances::{ORACLE_CHECK_ATOL, ORACLE_CHECK_RTOL, ORACLE_F32_SAFETY};

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

/// The float32 tolerance of one reference tensor: normwise, `|c − r| ≤ rtol·|r| + atol` with
/// `rtol = SAFETY · g · ε₃₂` and `atol = rtol · max|r|`, where `g ≥ 1` is the tensor's measured
/// error growth (the f64 computation's normwise error in units of ε₆₄, from the fixture), or, when
/// the fixture does not carry it, `T · (width of a row)` — the worst-case growth of a sum of that
/// many rounded terms over T steps.
pub fn float32_tolerance(t: &Tensor, horizon: usize) -> Tolerance {
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
