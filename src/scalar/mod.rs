//! One numeric trait, five kinds of number (ARCHITECTURE.md).
//!
//! Every model, rule and per-mode formula in lro is generic over [`Real`]. The same code then runs on
//!
//! | type | what it buys |
//! |---|---|
//! | `f64` | the fast path |
//! | [`Complex<f64>`](num_complex::Complex) | complex-step derivatives, accurate to machine precision |
//! | [`Dual<T>`] | exact forward-mode directional derivatives over any `T: Real` |
//! | [`Mpfr`] (feature `rug`) | 53–1024-bit reference runs of the same code |
//! | [`Rational`] (feature `rug`) | exact results for linear models: equality instead of tolerance |
//!
//! Transcendental functions live in the extension trait [`RealFn`], implemented where the number
//! type has them (not for exact rationals).

mod complex;
mod dual;
mod float;
#[cfg(feature = "rug")]
mod mpfr;
#[cfg(feature = "rug")]
mod rational;

pub use dual::Dual;
#[cfg(feature = "rug")]
pub use mpfr::{MAX_PRECISION, MIN_PRECISION, Mpfr, precision, set_precision, with_precision};
#[cfg(feature = "rug")]
pub use rational::Rational;

use num_traits::{One, Zero};
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A field-like number type every lro algorithm is generic over.
///
/// It provides field operations (through the std operator traits, which also make
/// `nalgebra::DMatrix<Self>` multiply), conversions from `f64` and integers, and a conversion back to
/// `f64` for reporting and for the few decisions (pivoting, domain checks) that need an order.
pub trait Real:
    nalgebra::Scalar
    + Zero
    + One
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Send
    + Sync
{
    /// Short name of the number kind, for reports ("f64", "complex", "`dual<f64>`", "mpfr", "rational").
    fn kind() -> String;
    /// Converts an `f64`. Exact for `Rational` (every finite `f64` is a dyadic rational), rounded to
    /// the current precision for `Mpfr`. A non-finite input gives a non-finite value where the type
    /// has one and **panics** for `Rational` (which has none); validate inputs before converting
    /// (see [`crate::error`]).
    fn from_f64(x: f64) -> Self;
    /// Converts an integer (exact for every kind except `f64` beyond 2^53).
    fn from_i64(n: i64) -> Self;
    /// The value as `f64` (the real part for complex numbers, the value part for duals).
    fn to_f64(&self) -> f64;
    /// Whether the value (and every derivative part) is finite. Always true for rationals.
    fn is_finite(&self) -> bool;
    /// `tanh`, where the number type has it; `None` for exact rationals.
    fn try_tanh(&self) -> Option<Self>;
    /// The square root, where the number type has it; `None` for exact rationals (like
    /// [`Real::try_tanh`]). Lets a generic algorithm that needs a root at one place (the
    /// variance-minimising scalars of UORO and KF-RTRL) run over every kind and fail with a typed
    /// error over rationals instead of needing a [`RealFn`] bound.
    fn try_sqrt(&self) -> Option<Self>;
    /// Whether the value is exactly representable without rounding (true only for rationals).
    fn is_exact() -> bool {
        false
    }
    /// `num / den` as this type. Callers pass constants of the formulas (`ratio(1, 2)`), never
    /// user input.
    ///
    /// # Panics
    /// When `den == 0`, for every number kind (a bug in the caller, never a silent inf or 0).
    fn ratio(num: i64, den: i64) -> Self {
        assert!(
            den != 0,
            "Real::ratio({num}, 0): zero denominator in a formula constant"
        );
        Self::from_i64(num) / Self::from_i64(den)
    }
    /// `self ← self + a·b`. The default is the plain expression; a number kind whose temporaries
    /// are costly (MPFR, which allocates every intermediate) overrides it with an in-place kernel
    /// (one fused multiply-add, rounded once). The inner loops of products and traces use it.
    fn add_mul(&mut self, a: &Self, b: &Self) {
        *self += a.clone() * b.clone();
    }
    /// `self ← self · a`, in place (see [`Real::add_mul`]).
    fn mul_by(&mut self, a: &Self) {
        *self *= a.clone();
    }
    /// Raises to a non-negative integer power by repeated squaring.
    fn powi(&self, mut k: u32) -> Self {
        let mut base = self.clone();
        let mut acc = Self::one();
        while k > 0 {
            if k & 1 == 1 {
                acc *= base.clone();
            }
            base = base.clone() * base;
            k >>= 1;
        }
        acc
    }
}

/// Transcendental functions, for the number kinds that have them (all but exact rationals).
pub trait RealFn: Real {
    /// Exponential.
    fn exp(&self) -> Self;
    /// Natural logarithm.
    fn ln(&self) -> Self;
    /// Square root.
    fn sqrt(&self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(&self) -> Self;
}

#[cfg(test)]
mod try_sqrt_tests {
    use super::*;

    /// `try_sqrt` is the root where a kind has one (with the derivative 1/(2√x) on duals) and
    /// `None` over exact rationals.
    #[test]
    fn try_sqrt_per_kind() {
        assert_eq!(2.25f64.try_sqrt(), Some(1.5));
        let d = Dual::new(4.0f64, 1.0).try_sqrt().unwrap();
        assert_eq!((d.re, d.eps), (2.0, 0.25));
        #[cfg(feature = "rug")]
        {
            assert!(Rational::ratio(9, 4).try_sqrt().is_none());
            assert!(
                Dual::new(Rational::ratio(9, 4), Rational::one())
                    .try_sqrt()
                    .is_none()
            );
            let m = with_precision(128, || Mpfr::ratio(9, 4).try_sqrt().unwrap()).unwrap();
            assert_eq!(m.to_f64(), 1.5);
        }
    }
}
