//! `f64`: the fast path.
use super::{Real, RealFn};

impl Real for f64 {
    fn kind() -> String {
        "f64".into()
    }
    fn from_f64(x: f64) -> Self {
        x
    }
    fn from_i64(n: i64) -> Self {
        n as f64
    }
    fn to_f64(&self) -> f64 {
        *self
    }
    fn is_finite(&self) -> bool {
        f64::is_finite(*self)
    }
    fn try_tanh(&self) -> Option<Self> {
        Some(f64::tanh(*self))
    }
    fn try_sqrt(&self) -> Option<Self> {
        Some(f64::sqrt(*self))
    }
}

impl RealFn for f64 {
    fn exp(&self) -> Self {
        f64::exp(*self)
    }
    fn ln(&self) -> Self {
        f64::ln(*self)
    }
    fn sqrt(&self) -> Self {
        f64::sqrt(*self)
    }
    fn tanh(&self) -> Self {
        f64::tanh(*self)
    }
}
