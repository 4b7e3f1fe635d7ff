//! `Rational`: exact rationals (GMP via `rug`), for zero-rounding runs of linear models.
use super::Real;
use num_traits::{One, Zero};
use std::fmt;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// An exact rational number. Arithmetic never rounds; equality is exact.
///
/// Division by an exact zero has no value: `/` panics with a clear message (a bug in the caller,
/// never a silent wrong value), and [`Rational::checked_div`] is the fallible form. lro's
/// algorithms validate their denominators (e.g. `1 − w²`, through the domain checks on user
/// input) before dividing, so user input cannot reach the panic. Likewise
/// [`Real::from_f64`] panics on NaN or an infinity (a rational has no such value);
/// [`Rational::from_f64_exact`] is the fallible form.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Rational(pub rug::Rational);

impl Rational {
    /// `num / den`; `None` when `den == 0`.
    pub fn new(num: i64, den: i64) -> Option<Self> {
        (den != 0).then(|| Rational(rug::Rational::from((num, den))))
    }
    /// `self / o`; `None` when `o == 0`.
    pub fn checked_div(self, o: Self) -> Option<Self> {
        (!o.is_zero()).then(|| Rational(self.0 / o.0))
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
        match self.checked_div(o) {
            Some(q) => q,
            None => panic!(
                "Rational division by zero: a denominator was not validated before dividing \
                 (use Rational::checked_div where a zero divisor is possible)"
            ),
        }
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

thread_local! {
    /// Scratch product for [`Real::add_mul`] on rationals.
    static RATIONAL_SCRATCH: std::cell::RefCell<rug::Rational> =
        std::cell::RefCell::new(rug::Rational::new());
}

impl Real for Rational {
    fn kind() -> String {
        "rational".into()
    }
    fn from_f64(x: f64) -> Self {
        match Rational::from_f64_exact(x) {
            Some(r) => r,
            None => panic!(
                "Rational::from_f64({x}): a rational has no NaN or infinity; validate inputs with \
                 f64::is_finite before converting (or use Rational::from_f64_exact)"
            ),
        }
    }
    fn from_i64(n: i64) -> Self {
        Rational(rug::Rational::from(n))
    }
    fn add_mul(&mut self, a: &Self, b: &Self) {
        // Exact, so a zero factor adds nothing and is skipped (the 0/±1 inputs of the enumerated
        // checks make many); otherwise the product goes into a per-thread scratch value whose
        // allocation is reused, instead of two clones and a fresh product per term.
        if a.is_zero() || b.is_zero() {
            return;
        }
        RATIONAL_SCRATCH.with(|t| {
            let mut t = t.borrow_mut();
            rug::Assign::assign(&mut *t, &a.0 * &b.0);
            self.0 += &*t;
        });
    }
    fn mul_by(&mut self, a: &Self) {
        self.0 *= &a.0;
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
    fn try_sqrt(&self) -> Option<Self> {
        None
    }
    fn is_exact() -> bool {
        true
    }
}
