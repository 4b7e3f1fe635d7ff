//! Derivative checks: exact forward mode (dual numbers), complex step and central differences.
//!
//! The same generic function is differentiated three ways; over `Dual<Rational>` the derivative is
//! exact, so a closed-form gradient can be checked by equality.
use crate::error::Result;
use crate::scalar::{Dual, Real};
use num_complex::Complex;

/// All partial derivatives of `f` at `x` by forward-mode dual numbers: one pass per coordinate,
/// seeding `eps = 1` on that coordinate. Exact over `Rational`.
pub fn dual_gradient<T: Real>(
    x: &[T],
    f: impl Fn(&[Dual<T>]) -> Result<Dual<T>>,
) -> Result<Vec<T>> {
    let mut out = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        let seeded: Vec<Dual<T>> = x
            .iter()
            .enumerate()
            .map(|(j, v)| {
                if i == j {
                    Dual::variable(v.clone())
                } else {
                    Dual::constant(v.clone())
                }
            })
            .collect();
        out.push(f(&seeded)?.eps);
    }
    Ok(out)
}

/// All partial derivatives of `f` at `x` by the complex step `Im f(x + i h e_j) / h`.
pub fn complex_step_gradient(
    x: &[f64],
    h: f64,
    f: impl Fn(&[Complex<f64>]) -> Result<Complex<f64>>,
) -> Result<Vec<f64>> {
    let mut out = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        let z: Vec<Complex<f64>> = x
            .iter()
            .enumerate()
            .map(|(j, &v)| Complex::new(v, if i == j { h } else { 0.0 }))
            .collect();
        out.push(f(&z)?.im / h);
    }
    Ok(out)
}

/// All partial derivatives of `f` at `x` by central differences `(f(x + h e_j) − f(x − h e_j)) / 2h`,
/// generic so that the truncation error can be measured at high precision (MPFR) without rounding.
pub fn central_difference_gradient<T: Real>(
    x: &[T],
    h: T,
    f: impl Fn(&[T]) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::with_capacity(x.len());
    // Fault site (CentralDifferenceHalfStep): divides by h instead of 2h.
    let two_h = if crate::faults::active(crate::faults::Fault::CentralDifferenceHalfStep) {
        h.clone()
    } else {
        h.clone() + h.clone()
    };
    for i in 0..x.len() {
        let mut up = x.to_vec();
        let mut dn = x.to_vec();
        up[i] += h.clone();
        dn[i] -= h.clone();
        out.push((f(&up)? - f(&dn)?) / two_h.clone());
    }
    Ok(out)
}
