//! `Rational`: exact rationals (GMP via `rug`), for zero-rounding runs of linear models.
use super::Real;
use num_traits::{One, Zero};
use std::fmt;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// An exact rational number. Arithmetic never rounds; equality is exact.
///
/// Division by an exact zero has no value; lro's algorithms check their denominators (e.g.
/// `1 − w²`) before dividing, and a zero divisor here gives zero rather than aborting.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Rational(pub rug::Rational);

impl Rational {
    /// `num / den`; `None` when `den == 0`.
    pub fn new(num: i64, den: i64) -> Option<Self> {
        (den != 0).then(|| Rational(rug::Rational::from((num, den))))
    }
    /// The exact value of a finite `f64`; `None` for NaN or infinities.
    pub fn from_f64_exact(x: f64) -> Option<Self> {
        rug::Rational::from_f64(x).map(Rational)
    }
}

impl fmt::Debug for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Zero for Rational {
    fn zero() -> Self {
        Rational(rug::Rational::new())
    }
    fn is_zero(&self) -> bool {
        self.0.cmp0() == std::cmp::Ordering::Equal
    }
}

impl One for Rational {
    fn one() -> Self {
        Rational(rug::Rational::from(1))
    }
}

impl Add for Rational {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Rational(self.0 + o.0)
    }
}
impl Sub for Rational {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Rational(self.0 - o.0)
    }
}
impl Mul for Rational {
    type Output = Self;
    fn mul(self, o: Self) -> Self {
        Rational(self.0 * o.0)
    }
}
impl Div for Rational {
    type Output = Self;
    fn div(self, o: Self) -> Self {
        if o.is_zero() {
            return Rational::zero();
        }
        Rational(self.0 / o.0)
    }
}
impl Neg for Rational {
    type Output = Self;
    fn neg(self) -> Self {
        Rational(-self.0)
    }
}
impl AddAssign for Rational {
    fn add_assign(&mut self, o: Self) {
        self.0 += o.0;
    }
}
impl SubAssign for Rational {
    fn sub_assign(&mut self, o: Self) {
        self.0 -= o.0;
    }
}
impl MulAssign for Rational {
    fn mul_assign(&mut self, o: Self) {
        self.0 *= o.0;
    }
}
impl DivAssign for Rational {
    fn div_assign(&mut self, o: Self) {
        *self = std::mem::take(self) / o;
    }
}

impl Real for Rational {
    fn kind() -> String {
        "rational".into()
    }
    fn from_f64(x: f64) -> Self {
        Rational::from_f64_exact(x).unwrap_or_default()
    }
    fn from_i64(n: i64) -> Self {
        Rational(rug::Rational::from(n))
    }
    fn to_f64(&self) -> f64 {
        self.0.to_f64()
    }
    fn is_finite(&self) -> bool {
        true
    }
    fn try_tanh(&self) -> Option<Self> {
        None
    }
    fn is_exact() -> bool {
        true
    }
}
