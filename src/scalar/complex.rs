//! `Complex<f64>`: complex-step differentiation.
//!
//! For a real-analytic `f`, `Im f(x + i h) / h = f'(x) + O(h²)` with no subtractive cancellation, so
//! `h = 1e-200` gives derivatives accurate to machine precision.
use super::{Real, RealFn};
use num_complex::Complex;

impl Real for Complex<f64> {
    fn kind() -> String {
        "complex".into()
    }
    fn from_f64(x: f64) -> Self {
        Complex::new(x, 0.0)
    }
    fn from_i64(n: i64) -> Self {
        Complex::new(n as f64, 0.0)
    }
    fn to_f64(&self) -> f64 {
        self.re
    }
    fn is_finite(&self) -> bool {
        self.re.is_finite() && self.im.is_finite()
    }
    fn try_tanh(&self) -> Option<Self> {
        Some(Complex::tanh(*self))
    }
    fn try_sqrt(&self) -> Option<Self> {
        Some(Complex::sqrt(*self))
    }
}

impl RealFn for Complex<f64> {
    fn exp(&self) -> Self {
        Complex::exp(*self)
    }
    fn ln(&self) -> Self {
        Complex::ln(*self)
    }
    fn sqrt(&self) -> Self {
        Complex::sqrt(*self)
    }
    fn tanh(&self) -> Self {
        Complex::tanh(*self)
    }
}
