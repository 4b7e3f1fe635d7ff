//! `Dual<T>`: forward-mode automatic differentiation over any [`Real`].
//!
//! `Dual { re, eps }` represents `re + eps·ε` with `ε² = 0`. Seeding `eps = 1` on one input and
//! running any generic algorithm gives its exact directional derivative in `eps`; over
//! `Dual<Rational>` that derivative is exact, so tests can assert equality.
use super::{Real, RealFn};
use num_traits::{One, Zero};
use std::fmt;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A dual number `re + eps·ε`, `ε² = 0`.
#[derive(Clone, PartialEq)]
pub struct Dual<T> {
    /// Value part.
    pub re: T,
    /// Derivative (infinitesimal) part.
    pub eps: T,
}

impl<T: Real> Dual<T> {
    /// A dual number with the given value and derivative parts.
    pub fn new(re: T, eps: T) -> Self {
        Dual { re, eps }
    }
    /// A constant (zero derivative part).
    pub fn constant(re: T) -> Self {
        Dual { re, eps: T::zero() }
    }
    /// An independent variable (derivative part one).
    pub fn variable(re: T) -> Self {
        Dual { re, eps: T::one() }
    }
}

impl<T: fmt::Debug> fmt::Debug for Dual<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({:?} + {:?}ε)", self.re, self.eps)
    }
}

impl<T: Real> Zero for Dual<T> {
    fn zero() -> Self {
        Dual::constant(T::zero())
    }
    fn is_zero(&self) -> bool {
        self.re.is_zero() && self.eps.is_zero()
    }
}

impl<T: Real> One for Dual<T> {
    fn one() -> Self {
        Dual::constant(T::one())
    }
}

impl<T: Real> Add for Dual<T> {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Dual::new(self.re + o.re, self.eps + o.eps)
    }
}

impl<T: Real> Sub for Dual<T> {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Dual::new(self.re - o.re, self.eps - o.eps)
    }
}

impl<T: Real> Mul for Dual<T> {
    type Output = Self;
    fn mul(self, o: Self) -> Self {
        let eps = self.eps * o.re.clone() + self.re.clone() * o.eps;
        Dual::new(self.re * o.re, eps)
    }
}

impl<T: Real> Div for Dual<T> {
    type Output = Self;
    fn div(self, o: Self) -> Self {
        // (a + a'ε)/(b + b'ε) = a/b + (a'b − ab')/b² ε
        let re = self.re.clone() / o.re.clone();
        let eps = (self.eps - re.clone() * o.eps) / o.re;
        Dual::new(re, eps)
    }
}

impl<T: Real> Neg for Dual<T> {
    type Output = Self;
    fn neg(self) -> Self {
        Dual::new(-self.re, -self.eps)
    }
}

macro_rules! assign_via_binop {
    ($tr:ident, $m:ident, $op:tt) => {
        impl<T: Real> $tr for Dual<T> {
            fn $m(&mut self, o: Self) {
                *self = self.clone() $op o;
            }
        }
    };
}
assign_via_binop!(AddAssign, add_assign, +);
assign_via_binop!(SubAssign, sub_assign, -);
assign_via_binop!(MulAssign, mul_assign, *);
assign_via_binop!(DivAssign, div_assign, /);

impl<T: Real> Real for Dual<T> {
    fn kind() -> String {
        format!("dual<{}>", T::kind())
    }
    fn from_f64(x: f64) -> Self {
        Dual::constant(T::from_f64(x))
    }
    fn from_i64(n: i64) -> Self {
        Dual::constant(T::from_i64(n))
    }
    fn to_f64(&self) -> f64 {
        self.re.to_f64()
    }
    fn is_finite(&self) -> bool {
        self.re.is_finite() && self.eps.is_finite()
    }
    fn try_tanh(&self) -> Option<Self> {
        // d tanh = (1 − tanh²) dx
        let t = self.re.try_tanh()?;
        let eps = (T::one() - t.clone() * t.clone()) * self.eps.clone();
        Some(Dual::new(t, eps))
    }
    fn try_sqrt(&self) -> Option<Self> {
        // d √x = dx / (2 √x)
        let r = self.re.try_sqrt()?;
        let eps = self.eps.clone() / (T::from_i64(2) * r.clone());
        Some(Dual::new(r, eps))
    }
    fn is_exact() -> bool {
        T::is_exact()
    }
}

impl<T: RealFn> RealFn for Dual<T> {
    fn exp(&self) -> Self {
        let e = self.re.exp();
        Dual::new(e.clone(), e * self.eps.clone())
    }
    fn ln(&self) -> Self {
        Dual::new(self.re.ln(), self.eps.clone() / self.re.clone())
    }
    fn sqrt(&self) -> Self {
        let r = self.re.sqrt();
        let eps = self.eps.clone() / (T::from_i64(2) * r.clone());
        Dual::new(r, eps)
    }
    fn tanh(&self) -> Self {
        let t = self.re.tanh();
        let eps = (T::one() - t.clone() * t.clone()) * self.eps.clone();
        Dual::new(t, eps)
    }
}
