//! `Mpfr`: arbitrary-precision binary floats (MPFR via `rug`), for high-precision reference runs.
//!
//! Precision is per value; new values (constants, conversions) take the calling thread's current
//! precision, set with [`set_precision`] or scoped with [`with_precision`] (default 256 bits). A
//! binary operation rounds to the larger of its operands' precisions.
use super::{Real, RealFn};
use crate::error::LroError;
use num_traits::{One, Zero};
use rug::Assign;
use rug::Float;
use rug::ops::Pow;
use std::cell::Cell;
use std::fmt;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// Smallest precision accepted, in bits (that of `f64`).
pub const MIN_PRECISION: u32 = 53;
/// Largest precision accepted, in bits.
pub const MAX_PRECISION: u32 = 1024;
const DEFAULT_PRECISION: u32 = 256;

thread_local! {
    static PRECISION: Cell<u32> = const { Cell::new(DEFAULT_PRECISION) };
    static SCRATCH: std::cell::RefCell<Float> = std::cell::RefCell::new(Float::new(DEFAULT_PRECISION));
}

/// The calling thread's precision for new `Mpfr` values, in bits.
pub fn precision() -> u32 {
    PRECISION.with(|p| p.get())
}

/// Sets the calling thread's precision for new `Mpfr` values.
pub fn set_precision(bits: u32) -> Result<(), LroError> {
    if !(MIN_PRECISION..=MAX_PRECISION).contains(&bits) {
        return Err(LroError::InvalidParameter {
            name: "precision".into(),
            reason: format!(
                "{bits} bits is outside the supported range {MIN_PRECISION}..={MAX_PRECISION}"
            ),
        });
    }
    PRECISION.with(|p| p.set(bits));
    Ok(())
}

/// Runs `f` with the thread's precision set to `bits`, restoring the previous precision after,
/// also when `f` panics (the restore runs on unwind).
pub fn with_precision<R>(bits: u32, f: impl FnOnce() -> R) -> Result<R, LroError> {
    struct Restore(u32);
    impl Drop for Restore {
        fn drop(&mut self) {
            PRECISION.with(|p| p.set(self.0));
        }
    }
    let old = precision();
    set_precision(bits)?;
    let _restore = Restore(old);
    Ok(f())
}

/// An arbitrary-precision binary float.
#[derive(Clone, PartialEq, PartialOrd)]
pub struct Mpfr(pub Float);

impl Mpfr {
    /// The value at the thread's current precision.
    pub fn new(x: f64) -> Self {
        Mpfr(Float::with_val(precision(), x))
    }
    /// This value's precision in bits.
    pub fn prec(&self) -> u32 {
        self.0.prec()
    }
    fn join(&self, o: &Self) -> u32 {
        self.0.prec().max(o.0.prec())
    }
}

impl fmt::Debug for Mpfr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Zero for Mpfr {
    fn zero() -> Self {
        Mpfr(Float::new(precision()))
    }
    fn is_zero(&self) -> bool {
        self.0.is_zero()
    }
}
impl One for Mpfr {
    fn one() -> Self {
        Mpfr(Float::with_val(precision(), 1))
    }
}

macro_rules! mpfr_binop {
    ($tr:ident, $m:ident, $atr:ident, $am:ident, $op:tt) => {
        impl $tr for Mpfr {
            type Output = Self;
            fn $m(self, o: Self) -> Self {
                let p = self.join(&o);
                Mpfr(Float::with_val(p, &self.0 $op &o.0))
            }
        }
        impl $atr for Mpfr {
            fn $am(&mut self, o: Self) {
                let p = self.join(&o);
                self.0 = Float::with_val(p, &self.0 $op &o.0);
            }
        }
    };
}
mpfr_binop!(Add, add, AddAssign, add_assign, +);
mpfr_binop!(Sub, sub, SubAssign, sub_assign, -);
mpfr_binop!(Mul, mul, MulAssign, mul_assign, *);
mpfr_binop!(Div, div, DivAssign, div_assign, /);

impl Neg for Mpfr {
    type Output = Self;
    fn neg(self) -> Self {
        Mpfr(-self.0)
    }
}

impl Real for Mpfr {
    fn kind() -> String {
        format!("mpfr{}", precision())
    }
    fn from_f64(x: f64) -> Self {
        Mpfr::new(x)
    }
    fn from_i64(n: i64) -> Self {
        Mpfr(Float::with_val(precision(), n))
    }
    fn to_f64(&self) -> f64 {
        self.0.to_f64()
    }
    fn is_finite(&self) -> bool {
        self.0.is_finite()
    }
    fn try_tanh(&self) -> Option<Self> {
        Some(RealFn::tanh(self))
    }
    fn try_sqrt(&self) -> Option<Self> {
        Some(RealFn::sqrt(self))
    }
    fn powi(&self, k: u32) -> Self {
        Mpfr(Float::with_val(self.prec(), (&self.0).pow(k)))
    }
    fn add_mul(&mut self, a: &Self, b: &Self) {
        // In place: the product is rounded into a per-thread scratch value and added, so no
        // value is allocated and both operations take MPFR's same-precision fast paths (a fused
        // multiply-add would add an exact double-width product through the slow general path).
        let p = a.join(b).max(self.0.prec());
        if p > self.0.prec() {
            self.0.set_prec(p);
        }
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            if s.prec() != p {
                s.set_prec(p);
            }
            s.assign(&a.0 * &b.0);
            self.0 += &*s;
        });
    }
    fn mul_by(&mut self, a: &Self) {
        let p = self.join(a);
        if p > self.0.prec() {
            self.0.set_prec(p);
        }
        self.0 *= &a.0;
    }
}

impl RealFn for Mpfr {
    fn exp(&self) -> Self {
        Mpfr(self.0.clone().exp())
    }
    fn ln(&self) -> Self {
        Mpfr(self.0.clone().ln())
    }
    fn sqrt(&self) -> Self {
        Mpfr(self.0.clone().sqrt())
    }
    fn tanh(&self) -> Self {
        Mpfr(self.0.clone().tanh())
    }
}
