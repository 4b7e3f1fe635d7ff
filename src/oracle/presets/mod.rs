//! Convention presets for peer implementations (`docs/theory/peer-conventions.md`).
//!
//! Each preset is a faithful reimplementation of one peer's conventions: it computes the numbers
//! that peer's code would output for the same parameters and inputs, in that code's own layout,
//! names, signs and normalisations, so that its outputs can be checked as they are. Every quirk is
//! reproduced by default and can be switched off (the "ablations"); with all quirks off each preset
//! equals the foundation's rules ([`crate::rules::online`]) up to a documented sign and scale, which
//! the tests check.
//!
//! - [`murray2019`]: Murray 2019's RFLO reference notebook (leaky tanh RNN, lagged input trace,
//!   clipped derivative, `err = target − y`, n×o feedback `b`, learning rates folded in with
//!   `1/t_max`, and its BPTT backward pass).
//! - [`marschall2020`]: Marschall, Cho & Savin 2020's online-learning framework (α-leak on the
//!   post-activation state, no input lag, packed `[W_rec | W_in | b_rec]`, RFLO with its own trace
//!   rate α_R, RTRL with a column-major (Fortran-order) influence matrix).
//!
//! The timing, indexing and quirks below were read from the public code of both projects (the
//! RFLO notebook of murray-lab/rflo-learning; core/RNN.py and learning_algorithms/{RFLO,RTRL,
//! Learning_Algorithm}.py of omarschall/vanilla-rtrl) and from peer-conventions.md; nothing of that
//! code is copied here. Everything the sources leave open is the project's choice and listed in
//! the fixture's `unknown` field.
pub mod marschall2020;
pub mod murray2019;
pub mod table;

use crate::error::{LroError, Result};
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};

pub(crate) fn tanh<T: Real>(x: &T) -> Result<T> {
    x.try_tanh().ok_or_else(|| {
        LroError::Unsupported(format!(
            "tanh over {} numbers; the presets need f64, dual or mpfr numbers",
            T::kind()
        ))
    })
}

pub(crate) fn map_vec<T: Real>(v: &DVector<T>, f: impl Fn(&T) -> Result<T>) -> Result<DVector<T>> {
    let mut out = DVector::zeros(v.len());
    for i in 0..v.len() {
        out[i] = f(&v[i])?;
    }
    Ok(out)
}

pub(crate) fn scale_rows<T: Real>(rows: &DVector<T>, m: &DMatrix<T>) -> DMatrix<T> {
    DMatrix::from_fn(m.nrows(), m.ncols(), |i, j| {
        rows[i].clone() * m[(i, j)].clone()
    })
}

pub(crate) fn shape_err(context: &str, detail: String) -> LroError {
    LroError::ShapeMismatch {
        context: context.into(),
        detail,
    }
}
