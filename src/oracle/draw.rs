//! Shared helpers of the case builders: seeded draws, conversions to f64 for storage, dimension
//! checks, and the dispatch of a generic builder over the reference's number kind.
use crate::error::{LroError, Result};
use crate::linalg;
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// A drawn case: setup, inputs, targets.
pub type Drawn<S> = (S, Vec<DVector<f64>>, Vec<DVector<f64>>);

/// A `rows × cols` matrix of independent N(0, scale²) entries.
pub fn normal(rng: &mut ChaCha8Rng, rows: usize, cols: usize, scale: f64) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| {
        scale * rng.sample::<f64, _>(StandardNormal)
    })
}

/// A `rows × cols` matrix of independent uniform entries on `[lo, hi)`.
pub fn uniform(rng: &mut ChaCha8Rng, rows: usize, cols: usize, lo: f64, hi: f64) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| rng.random_range(lo..hi))
}

/// The entries of a matrix as one column vector (column-major order).
pub fn col(m: DMatrix<f64>) -> DVector<f64> {
    DVector::from_column_slice(m.as_slice())
}

/// Vectors rounded to f64 for storage.
pub fn vecs<T: Real>(v: &[DVector<T>]) -> Vec<DVector<f64>> {
    v.iter().map(|x| x.map(|e| e.to_f64())).collect()
}

/// Matrices rounded to f64 for storage.
pub fn mats<T: Real>(v: &[DMatrix<T>]) -> Vec<DMatrix<f64>> {
    v.iter().map(linalg::to_f64).collect()
}

/// Refuses a zero dimension, naming the case and the key.
pub fn check_dims(name: &str, dims: &[(&str, usize)]) -> Result<()> {
    for (k, v) in dims {
        if *v == 0 {
            return Err(LroError::InvalidParameter {
                name: format!("{name}: {k}"),
                reason: "must be at least 1".into(),
            });
        }
    }
    Ok(())
}

/// Runs `f` over the number kind of `arithmetic`: exact rationals, 256-bit MPFR or f64 (the
/// first two need the `rug` feature; without it everything runs in f64).
macro_rules! in_kind {
    ($arith:expr, $f:ident, $($arg:expr),*) => {{
        match $arith {
            #[cfg(feature = "rug")]
            $crate::oracle::limits::Arithmetic::ExactRational => {
                $f::<$crate::scalar::Rational>($($arg),*)
            }
            #[cfg(feature = "rug")]
            $crate::oracle::limits::Arithmetic::Mpfr256 => {
                $crate::scalar::with_precision(256, || $f::<$crate::scalar::Mpfr>($($arg),*))?
            }
            _ => $f::<f64>($($arg),*),
        }
    }};
}
pub(crate) use in_kind;
