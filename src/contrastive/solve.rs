//! A small generic linear solver: Gaussian elimination with partial pivoting (pivot chosen by the
//! `f64` magnitude). Over `Rational` it is exact; over `Dual<T>` it differentiates through the solve.
use crate::error::{LroError, Result};
use crate::scalar::Real;
use nalgebra::DMatrix;

/// Solves `A X = B` for square `A`; fails if `A` is (numerically, or exactly) singular.
pub fn solve<T: Real>(a: &DMatrix<T>, b: &DMatrix<T>) -> Result<DMatrix<T>> {
    let n = a.nrows();
    if a.ncols() != n || b.nrows() != n {
        return Err(LroError::ShapeMismatch {
            context: "contrastive::solve".into(),
            detail: format!(
                "A is {}×{}, B is {}×{}; need square A with as many rows as B",
                a.nrows(),
                a.ncols(),
                b.nrows(),
                b.ncols()
            ),
        });
    }
    let mut a = a.clone();
    let mut x = b.clone();
    for col in 0..n {
        let piv = (col..n)
            .max_by(|&i, &j| {
                a[(i, col)]
                    .to_f64()
                    .abs()
                    .total_cmp(&a[(j, col)].to_f64().abs())
            })
            .unwrap_or(col);
        if a[(piv, col)].is_zero() {
            return Err(LroError::InvalidParameter {
                name: "matrix".into(),
                reason: "singular system; choose a positive-definite H or a nonzero denominator"
                    .into(),
            });
        }
        a.swap_rows(col, piv);
        x.swap_rows(col, piv);
        let p = a[(col, col)].clone();
        for r in 0..n {
            if r == col {
                continue;
            }
            let factor = a[(r, col)].clone() / p.clone();
            if factor.is_zero() {
                continue;
            }
            for c in col..n {
                let v = a[(col, c)].clone() * factor.clone();
                a[(r, c)] -= v;
            }
            for c in 0..x.ncols() {
                let v = x[(col, c)].clone() * factor.clone();
                x[(r, c)] -= v;
            }
        }
    }
    for r in 0..n {
        let p = a[(r, r)].clone();
        for c in 0..x.ncols() {
            x[(r, c)] = x[(r, c)].clone() / p.clone();
        }
    }
    Ok(x)
}
