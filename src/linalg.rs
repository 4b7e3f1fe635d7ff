//! Small generic matrix helpers over any [`Real`] (nalgebra supplies the arithmetic).
use crate::scalar::Real;
use nalgebra::DMatrix;
use rand::Rng;

/// `max(a, b)` that propagates NaN: a NaN error must fail a check, never be skipped the way
/// `f64::max` skips it.
pub fn worse(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// Converts an `f64` matrix entrywise (exactly, for rationals).
pub fn from_f64<T: Real>(m: &DMatrix<f64>) -> DMatrix<T> {
    m.map(T::from_f64)
}

/// Converts entrywise to `f64`.
pub fn to_f64<T: Real>(m: &DMatrix<T>) -> DMatrix<f64> {
    m.map(|x| x.to_f64())
}

/// The n×n identity.
pub fn identity<T: Real>(n: usize) -> DMatrix<T> {
    DMatrix::identity(n, n)
}

/// `m^k` by repeated multiplication (k small in lro's uses).
pub fn pow<T: Real>(m: &DMatrix<T>, k: usize) -> DMatrix<T> {
    let mut acc = identity::<T>(m.nrows());
    for _ in 0..k {
        acc = &acc * m;
    }
    acc
}

/// Squared Frobenius norm.
pub fn frob_sq<T: Real>(m: &DMatrix<T>) -> T {
    m.iter().fold(T::zero(), |s, x| s + x.clone() * x.clone())
}

/// Largest absolute entry, in f64.
pub fn max_abs<T: Real>(m: &DMatrix<T>) -> f64 {
    m.iter().map(|x| x.to_f64().abs()).fold(0.0, worse)
}

/// Whether every entry is finite.
pub fn all_finite<T: Real>(m: &DMatrix<T>) -> bool {
    m.iter().all(|x| x.is_finite())
}

/// `max |a − b| / (max(|a|∞, |b|∞) + floor)`: a scale-aware relative difference in f64. Returns
/// infinity when the shapes differ.
pub fn rel_diff<T: Real>(a: &DMatrix<T>, b: &DMatrix<T>, floor: f64) -> f64 {
    if a.shape() != b.shape() {
        return f64::INFINITY;
    }
    let diff = a
        .iter()
        .zip(b.iter())
        .map(|(x, y)| (x.to_f64() - y.to_f64()).abs())
        .fold(0.0, worse);
    diff / (max_abs(a).max(max_abs(b)) + floor)
}

/// Largest absolute off-diagonal entry, in f64 (rectangular matrices: entries with i ≠ j).
pub fn max_off_diagonal<T: Real>(m: &DMatrix<T>) -> f64 {
    let mut worst: f64 = 0.0;
    for i in 0..m.nrows() {
        for j in 0..m.ncols() {
            if i != j {
                worst = worse(worst, m[(i, j)].to_f64().abs());
            }
        }
    }
    worst
}

/// Whether every off-diagonal entry is exactly zero.
pub fn is_exactly_diagonal<T: Real>(m: &DMatrix<T>) -> bool {
    (0..m.nrows()).all(|i| (0..m.ncols()).all(|j| i == j || m[(i, j)].is_zero()))
}

/// A random orthogonal n×n matrix, built as a product of n Householder reflections
/// `I − 2vvᵀ/(vᵀv)` with small-integer vectors v. Every entry is rational, so over `Rational` the
/// result is *exactly* orthogonal (QᵀQ = I with no rounding); over f64 it is orthogonal to rounding.
pub fn random_orthogonal<T: Real, R: Rng + ?Sized>(n: usize, rng: &mut R) -> DMatrix<T> {
    let mut q = identity::<T>(n);
    for _ in 0..n {
        let v: Vec<i64> = loop {
            let v: Vec<i64> = (0..n).map(|_| rng.random_range(-3..=3)).collect();
            if v.iter().any(|&x| x != 0) {
                break v;
            }
        };
        let vv: i64 = v.iter().map(|x| x * x).sum();
        let vt = DMatrix::from_fn(n, 1, |i, _| T::from_i64(v[i]));
        let outer = &vt * vt.transpose();
        let h = identity::<T>(n) - outer * T::ratio(2, vv);
        q = &q * h;
    }
    q
}

/// Exact rank by Gaussian elimination with exact zero tests; meaningful over `Rational` (and
/// `Dual<Rational>` value parts). Over floats use singular values instead.
pub fn exact_rank<T: Real>(m: &DMatrix<T>) -> usize {
    let mut a = m.clone();
    let (rows, cols) = a.shape();
    let mut rank = 0;
    for c in 0..cols {
        let Some(p) = (rank..rows).find(|&r| !a[(r, c)].is_zero()) else {
            continue;
        };
        a.swap_rows(rank, p);
        let piv = a[(rank, c)].clone();
        for r in (rank + 1)..rows {
            if a[(r, c)].is_zero() {
                continue;
            }
            let f = a[(r, c)].clone() / piv.clone();
            for cc in c..cols {
                let v = a[(rank, cc)].clone() * f.clone();
                a[(r, cc)] -= v;
            }
        }
        rank += 1;
        if rank == rows {
            break;
        }
    }
    rank
}

/// Singular values of an f64 matrix, descending.
pub fn singular_values(m: &DMatrix<f64>) -> Vec<f64> {
    if m.nrows() == 0 || m.ncols() == 0 {
        return Vec::new();
    }
    let mut s: Vec<f64> = m
        .clone()
        .svd(false, false)
        .singular_values
        .iter()
        .copied()
        .collect();
    s.sort_by(|a, b| b.total_cmp(a));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_errors_are_never_skipped() {
        assert!(worse(0.5, f64::NAN).is_nan() && worse(f64::NAN, 0.5).is_nan());
        assert_eq!(worse(0.5, 2.0), 2.0);
        let a = DMatrix::from_row_slice(1, 2, &[1.0, f64::NAN]);
        let b = DMatrix::from_row_slice(1, 2, &[1.0, 2.0]);
        assert!(
            rel_diff(&a, &b, 0.0).is_nan(),
            "a NaN entry must make the difference NaN"
        );
        assert!(max_abs(&a).is_nan());
    }
}
