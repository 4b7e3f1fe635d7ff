//! Exact polynomial-identity certificates over Q (ARCHITECTURE.md).
//!
//! **Principle** `[standard]` (the grid form of the Schwartz–Zippel / combinatorial Nullstellensatz
//! argument): a polynomial `P(x_1, …, x_k)` of degree at most `d_i` in each `x_i` that vanishes on a
//! grid `S_1 × … × S_k` of distinct rationals with `|S_i| = d_i + 1` is the zero polynomial. Proof by
//! induction on k: write `P = Σ_j p_j(x_1..x_{k−1}) x_k^j`; for each fixed grid point of the first
//! k − 1 coordinates the univariate polynomial in `x_k` has `d_k + 1` roots, so all its coefficients
//! vanish there; by induction each `p_j` is zero.
//!
//! **Use for rational functions.** An identity `lhs = rhs` between rational functions is cleared by
//! a polynomial `D` (stated per identity) such that `D·lhs` and `D·rhs` are polynomials of degree at
//! most `d_i` in `x_i` (bounds derived per identity in its `proofs/` file). At a grid point with
//! `D ≠ 0`, `D·(lhs − rhs) = 0` iff `lhs − rhs = 0`, so [`certify`] evaluates the residual
//! `lhs − rhs` exactly and checks that `D` is nonzero at every grid point. If every residual
//! vanishes, `D·(lhs − rhs)` is the zero polynomial and the identity holds wherever `D ≠ 0`.
//! Grid points are chosen inside each variable's [`VarDomain`], so that the residual is defined.
use crate::error::{LroError, Result};
use crate::evidence::Evidence;
use crate::scalar::{Rational, Real};

pub mod compare;
pub mod modes;
pub mod nonlinear;
pub mod rnn;

/// Where a variable's grid points lie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarDomain {
    /// Any rational: 0, 1, −1, 2, −2, …
    Any,
    /// Nonzero: 1, −1, 2, −2, …
    NonZero,
    /// Inside (−1, 1): 0, ±1/(m+1), ±2/(m+1), … for m points.
    OpenUnit,
}

/// One variable of an identity with its degree bound.
#[derive(Clone, Debug, PartialEq)]
pub struct Var {
    /// Name (for counterexamples).
    pub name: &'static str,
    /// Domain of its grid points.
    pub domain: VarDomain,
    /// Degree bound `d_i` of `D·lhs` and `D·rhs` in this variable (derived in the proof file).
    pub degree: u32,
}

impl Var {
    /// A variable.
    pub fn new(name: &'static str, domain: VarDomain, degree: u32) -> Self {
        Var {
            name,
            domain,
            degree,
        }
    }
}

/// The residual function: every component must be zero.
pub type Residual<'a> = Box<dyn Fn(&[Rational]) -> Result<Vec<Rational>> + 'a>;
/// The clearing denominator `D`.
pub type Denominator<'a> = Box<dyn Fn(&[Rational]) -> Rational + 'a>;

/// An identity to certify: residuals `lhs − rhs` (several components share one D and one set of
/// bounds), the clearing denominator D and the variables with their bounds.
pub struct Identity<'a> {
    /// Short name.
    pub name: String,
    /// Variables and degree bounds.
    pub vars: Vec<Var>,
    /// `D(x)`; must be nonzero at every grid point.
    pub denominator: Denominator<'a>,
    /// `lhs(x) − rhs(x)`, one entry per component.
    pub residual: Residual<'a>,
}

/// A point where the identity failed.
#[derive(Clone, Debug, PartialEq)]
pub struct Counterexample {
    /// Variable names and values.
    pub point: Vec<(&'static str, Rational)>,
    /// Index of the failing residual component.
    pub component: usize,
    /// Its (nonzero) value.
    pub value: Rational,
}

impl std::fmt::Display for Counterexample {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pts: Vec<String> = self
            .point
            .iter()
            .map(|(n, v)| format!("{n} = {v}"))
            .collect();
        write!(
            f,
            "component {} = {} ≠ 0 at {}",
            self.component,
            self.value,
            pts.join(", ")
        )
    }
}

/// The result of [`certify`].
#[derive(Clone, Debug, PartialEq)]
pub struct Certificate {
    /// The identity's name.
    pub name: String,
    /// Number of grid points evaluated.
    pub points: usize,
    /// Degree bounds used.
    pub degrees: Vec<u32>,
    /// The first failing point, if any (then the identity is false).
    pub counterexample: Option<Counterexample>,
}

impl Certificate {
    /// Whether the identity is certified (no counterexample on the full grid).
    pub fn holds(&self) -> bool {
        self.counterexample.is_none()
    }

    /// As catalogue evidence: an exact check over Q, with 0 mismatching grid points when certified
    /// and 1 (the first counterexample, stated in the detail) otherwise.
    pub fn evidence(&self) -> Evidence {
        let mismatches = usize::from(self.counterexample.is_some());
        let detail = match &self.counterexample {
            None => format!(
                "{}: certified on a {} grid ({} points, degree bounds {:?})",
                self.name,
                self.degrees
                    .iter()
                    .map(|d| (d + 1).to_string())
                    .collect::<Vec<_>>()
                    .join("×"),
                self.points,
                self.degrees
            ),
            Some(c) => format!("{}: FALSE, counterexample {c}", self.name),
        };
        Evidence::exact(
            self.points,
            "grid points where the identity fails",
            mismatches,
            detail,
        )
    }
}

/// `count` distinct grid values in a domain.
pub fn grid_values(domain: VarDomain, count: usize) -> Vec<Rational> {
    let signed = |j: usize| -> i64 {
        // 1, −1, 2, −2, …
        let m = (j / 2 + 1) as i64;
        if j.is_multiple_of(2) { m } else { -m }
    };
    match domain {
        VarDomain::NonZero => (0..count).map(|j| Rational::from_i64(signed(j))).collect(),
        VarDomain::Any => (0..count)
            .map(|j| {
                if j == 0 {
                    Rational::from_i64(0)
                } else {
                    Rational::from_i64(signed(j - 1))
                }
            })
            .collect(),
        VarDomain::OpenUnit => {
            let den = count as i64 + 1;
            (0..count)
                .map(|j| {
                    if j == 0 {
                        Rational::from_i64(0)
                    } else {
                        Rational::ratio(signed(j - 1), den)
                    }
                })
                .collect()
        }
    }
}

/// Certifies an identity on its full `Π (d_i + 1)` grid (see the module docs). Fails with an error
/// (not a counterexample) if D vanishes at a grid point or the residual cannot be evaluated there,
/// or if the grid would exceed `max_points`.
///
/// For example, the geometric sum behind every lag sum of a scalar mode,
/// `a(1 + w + w²) = a(1 − w³)/(1 − w)` for `|w| < 1`: cleared by `D = 1 − w`, both sides have
/// degree ≤ 1 in `a` and ≤ 3 in `w`, so a 2 × 4 grid decides it. A wrong right-hand side
/// (`1 + w³` in the numerator) is refuted with an exact counterexample.
///
/// ```
/// use lro::certify::{certify, Identity, Var, VarDomain};
/// use lro::scalar::{Rational, Real};
///
/// let one = || Rational::from_i64(1);
/// let sum = |a: &Rational, w: &Rational| a.clone() * (one() + w.clone() + w.clone() * w.clone());
/// let identity = |name: &str, sign: i64| Identity {
///     name: name.into(),
///     vars: vec![Var::new("a", VarDomain::Any, 1), Var::new("w", VarDomain::OpenUnit, 3)],
///     denominator: Box::new(|x: &[Rational]| one() - x[1].clone()),
///     residual: Box::new(move |x: &[Rational]| {
///         let (a, w) = (&x[0], &x[1]);
///         let cube = w.clone() * w.clone() * w.clone();
///         let rhs = a.clone() * (one() - Rational::from_i64(sign) * cube) / (one() - w.clone());
///         Ok(vec![sum(a, w) - rhs])
///     }),
/// };
///
/// let good = certify(&identity("geometric sum", 1), 1_000)?;
/// assert!(good.holds());
/// assert_eq!(good.points, 8);
///
/// let bad = certify(&identity("wrong sign", -1), 1_000)?;
/// let c = bad.counterexample.expect("a counterexample");
/// // The grid runs a over {0, 1} and w over {0, 1/5, −1/5, 2/5}; the residual vanishes where
/// // a = 0 or w = 0, so the first failure is a = 1, w = 1/5: 31/25 − (126/125)/(4/5) = −1/50.
/// assert_eq!(c.point, vec![("a", Rational::from_i64(1)), ("w", Rational::ratio(1, 5))]);
/// assert_eq!(c.value, Rational::ratio(-1, 50));
/// assert_eq!(bad.points, 4);
/// # Ok::<(), lro::LroError>(())
/// ```
pub fn certify(id: &Identity, max_points: usize) -> Result<Certificate> {
    let axes: Vec<Vec<Rational>> = id
        .vars
        .iter()
        .map(|v| grid_values(v.domain, v.degree as usize + 1))
        .collect();
    let total = axes
        .iter()
        .try_fold(1usize, |acc, a| acc.checked_mul(a.len()))
        .unwrap_or(usize::MAX);
    if total > max_points {
        return Err(LroError::InvalidParameter {
            name: format!("certificate {}", id.name),
            reason: format!("its grid has {total} points, more than the allowed {max_points}"),
        });
    }
    let mut idx = vec![0usize; axes.len()];
    let mut points = 0;
    loop {
        let x: Vec<Rational> = idx.iter().zip(&axes).map(|(&i, a)| a[i].clone()).collect();
        if num_traits::Zero::is_zero(&(id.denominator)(&x)) {
            return Err(LroError::InvalidParameter {
                name: format!("certificate {}", id.name),
                reason: format!("the clearing denominator vanishes at grid point {x:?}"),
            });
        }
        let r = (id.residual)(&x)?;
        points += 1;
        if let Some((component, value)) = r
            .into_iter()
            .enumerate()
            .find(|(_, v)| !num_traits::Zero::is_zero(v))
        {
            return Ok(Certificate {
                name: id.name.clone(),
                points,
                degrees: id.vars.iter().map(|v| v.degree).collect(),
                counterexample: Some(Counterexample {
                    point: id.vars.iter().map(|v| v.name).zip(x).collect(),
                    component,
                    value,
                }),
            });
        }
        // advance the mixed-radix counter
        let mut k = 0;
        loop {
            if k == idx.len() {
                return Ok(Certificate {
                    name: id.name.clone(),
                    points,
                    degrees: id.vars.iter().map(|v| v.degree).collect(),
                    counterexample: None,
                });
            }
            idx[k] += 1;
            if idx[k] < axes[k].len() {
                break;
            }
            idx[k] = 0;
            k += 1;
        }
    }
}
