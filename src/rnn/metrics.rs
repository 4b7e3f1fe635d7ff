//! Alignment metrics and effective per-mode parameters (`docs/theory/linear-rnn.md#alignment-metrics`, `[assumed]`: the paper's
//! definitions are not known; these are the project's).
use super::model::Rnn;
use crate::error::{LroError, Result};
use nalgebra::DMatrix;

/// `‖diag(M)‖² / ‖M‖_F²` for a (rectangular) matrix; 1 when M is diagonal, 0 for the zero matrix.
pub fn diagonal_fraction(m: &DMatrix<f64>) -> f64 {
    let total = m.norm_squared();
    if total == 0.0 {
        return 0.0;
    }
    let diag: f64 = (0..m.nrows().min(m.ncols()))
        .map(|i| m[(i, i)] * m[(i, i)])
        .sum();
    diag / total
}

/// The four alignment measures of `docs/theory/linear-rnn.md#alignment-metrics`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Alignment {
    /// `‖diag(P*ᵀ W P*)‖² / ‖W‖_F²`.
    pub recurrent: f64,
    /// The same ratio for `P*ᵀ B V`.
    pub input: f64,
    /// The same ratio for `Uᵀ A P*`.
    pub output: f64,
    /// `⟨vec R, vec A⟩ / (‖R‖_F ‖A‖_F)` (Murray 2019's feedback alignment); `None` without R.
    pub feedback: Option<f64>,
}

/// Alignment of a student to the teacher's bases `U` (o×o), `V` (d×d), `P*` (n×n; the student's
/// hidden dimension must equal the teacher's), and of the feedback R to the readout A.
pub fn alignment(
    net: &Rnn<f64>,
    u: &DMatrix<f64>,
    v: &DMatrix<f64>,
    p_star: &DMatrix<f64>,
    feedback: Option<&DMatrix<f64>>,
) -> Result<Alignment> {
    let (o, n, d) = (net.o(), net.n(), net.d());
    if u.shape() != (o, o) || v.shape() != (d, d) || p_star.shape() != (n, n) {
        return Err(LroError::ShapeMismatch {
            context: "alignment".into(),
            detail: format!(
                "need U {o}×{o}, V {d}×{d}, P* {n}×{n}; got U {:?}, V {:?}, P* {:?}",
                u.shape(),
                v.shape(),
                p_star.shape()
            ),
        });
    }
    let pt = p_star.transpose();
    let feedback = match feedback {
        None => None,
        Some(r) if r.shape() != net.a().shape() => {
            return Err(LroError::ShapeMismatch {
                context: "alignment".into(),
                detail: format!("feedback R is {:?}, A is {:?}", r.shape(), net.a().shape()),
            });
        }
        Some(r) => {
            let denom = r.norm() * net.a().norm();
            Some(if denom == 0.0 {
                0.0
            } else {
                r.dot(net.a()) / denom
            })
        }
    };
    Ok(Alignment {
        recurrent: diagonal_fraction(&(&pt * net.w() * p_star)),
        input: diagonal_fraction(&(&pt * net.b() * v)),
        output: diagonal_fraction(&(u.transpose() * net.a() * p_star)),
        feedback,
    })
}

/// Effective per-mode parameters of any network against `U`, `V` (`docs/theory/linear-rnn.md#alignment-metrics`):
/// `c_i = u_iᵀ A B v_i`, `w_i = u_iᵀ A W B v_i / c_i`, `b_i = ‖B v_i‖`, `a_i = c_i / b_i`, for
/// `i < min(o, d)`. Entries with `c_i = 0` or `b_i = 0` are reported as NaN for the undefined ratio.
pub fn effective_modes(net: &Rnn<f64>, u: &DMatrix<f64>, v: &DMatrix<f64>) -> Vec<(f64, f64, f64)> {
    let k = net.o().min(net.d()).min(u.ncols()).min(v.ncols());
    (0..k)
        .map(|i| {
            let ui = u.column(i);
            let vi = v.column(i);
            let bv = net.b() * vi;
            let c = (ui.transpose() * net.a() * &bv)[(0, 0)];
            let w = (ui.transpose() * net.a() * net.w() * &bv)[(0, 0)] / c;
            let b = bv.norm();
            (c / b, b, w)
        })
        .collect()
}
