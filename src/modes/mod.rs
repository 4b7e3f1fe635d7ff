//! Per-mode theory of data-aligned linear RNNs (`docs/theory/modes.md`, P-RNN-13 …
//! P-RNN-34). Every formula here is *derived for this project* unless its doc says otherwise; the
//! paper's own equations were not available.
//!
//! Under data alignment (`docs/theory/linear-rnn.md#data-alignment`) an n-mode network splits into n independent 3-D systems in
//! `θ = (a, b, w)`, each driven by its teacher mode `(a*, b*, w*)`. Only `c* = a*b*` and `w*` of the
//! teacher enter any formula. For one mode this module gives
//!
//! - the loss and the update `Δθ = (Δa, Δb, Δw)` (sign of the gradient; the learning ODE is
//!   `dθ/dτ = −Δθ`) for BPTT, k-step tBPTT and RFLO, at finite horizon T ([`Horizon::Finite`], the
//!   `docs/theory/modes.md#finite-t-sums` sums) and as T → ∞ ([`Horizon::Infinite`], `docs/theory/modes.md#ode-fields`);
//! - the finite-T closed forms with their geometric factors ([`update_finite_closed`]);
//! - fixed points, Jacobians, characteristic-polynomial coefficients, eigenvalues, stability
//!   classes and rates ([`jacobian`], [`manifold`]).
//!
//! Everything is generic over [`Real`]: exact over `Rational`, exact derivatives over
//! `Dual<Rational>`.

#[cfg(feature = "rug")]
pub mod compare;
pub mod experiment;
pub mod jacobian;
pub mod manifold;
pub mod roots;
#[cfg(feature = "rug")]
pub mod runs;
pub mod sample;
pub mod systems;

pub use jacobian::{CharPoly, StabilityClass, analytic_m, classify, classify_reduced, eigenvalues};
pub use jacobian::{char_poly, hessian_of_loss, m_matrix, ode_jacobian, spec_tr_e2};
pub use manifold::{
    bptt_invariant, bptt_limit_s2, nonoptimal_point, optimal_point, rate_on_manifold,
    tbptt1_invariant,
};

use crate::error::{LroError, Result};
use crate::rnn::Mode;
use crate::scalar::{Dual, Real};

/// A per-mode learning rule (`docs/theory/modes.md#ode-fields`). RFLO carries this mode's feedback gain â and the scalar
/// surrogate Jacobian ŵ explicitly (no defaults, `docs/theory/linear-rnn.md#gaps`).
#[derive(Clone, Debug, PartialEq)]
pub enum ModeRule<T> {
    /// Backpropagation through time (the exact gradient).
    Bptt,
    /// k-step truncated BPTT (k ≥ 1; k = 1 is one-step tBPTT).
    Tbptt {
        /// Truncation length.
        k: usize,
    },
    /// RFLO with feedback gain â and surrogate ŵ.
    Rflo {
        /// This mode's feedback gain â (the mode's diagonal entry of `Uᵀ R P`).
        a_hat: T,
        /// Scalar surrogate Jacobian ŵ.
        w_hat: T,
    },
}

impl<T: Real> ModeRule<T> {
    /// Short name: `bptt`, `tbptt:k`, `rflo`.
    pub fn name(&self) -> String {
        match self {
            ModeRule::Bptt => "bptt".into(),
            ModeRule::Tbptt { k } => format!("tbptt:{k}"),
            ModeRule::Rflo { .. } => "rflo".into(),
        }
    }

    /// The same rule over another number kind.
    pub fn map<U: Real>(&self, f: impl Fn(&T) -> U) -> ModeRule<U> {
        match self {
            ModeRule::Bptt => ModeRule::Bptt,
            ModeRule::Tbptt { k } => ModeRule::Tbptt { k: *k },
            ModeRule::Rflo { a_hat, w_hat } => ModeRule::Rflo {
                a_hat: f(a_hat),
                w_hat: f(w_hat),
            },
        }
    }

    /// Checks k ≥ 1 and finite RFLO parameters.
    pub fn validate(&self) -> Result<()> {
        match self {
            ModeRule::Tbptt { k: 0 } => Err(LroError::ZeroTruncation),
            ModeRule::Rflo { a_hat, w_hat } if !(a_hat.is_finite() && w_hat.is_finite()) => {
                Err(LroError::NotFinite {
                    name: "RFLO feedback (a_hat, w_hat)".into(),
                })
            }
            _ => Ok(()),
        }
    }
}

/// The horizon: a finite number of steps T (the `docs/theory/modes.md#finite-t-sums` sums) or the T → ∞ limit (`docs/theory/modes.md#ode-fields`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Horizon {
    /// Finite horizon T ≥ 1.
    Finite(usize),
    /// The T → ∞ limit; needs `|w|, |w*|, |ŵ| < 1`.
    Infinite,
}

impl std::fmt::Display for Horizon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Horizon::Finite(t) => write!(f, "{t}"),
            Horizon::Infinite => f.write_str("inf"),
        }
    }
}

/// Maps a mode over another number kind.
pub fn map_mode<T: Real, U: Real>(m: &Mode<T>, f: impl Fn(&T) -> U) -> Mode<U> {
    Mode::new(f(&m.a), f(&m.b), f(&m.w))
}

/// A mode as a 3-vector `[a, b, w]`.
pub fn to_array<T: Real>(m: &Mode<T>) -> [T; 3] {
    [m.a.clone(), m.b.clone(), m.w.clone()]
}

/// A mode from a 3-vector `[a, b, w]`.
pub fn from_array<T: Real>(v: &[T; 3]) -> Mode<T> {
    Mode::new(v[0].clone(), v[1].clone(), v[2].clone())
}

fn check_finite<T: Real>(name: &str, m: &Mode<T>) -> Result<()> {
    if m.a.is_finite() && m.b.is_finite() && m.w.is_finite() {
        Ok(())
    } else {
        Err(LroError::NotFinite { name: name.into() })
    }
}

fn check_unit<T: Real>(name: &str, x: &T) -> Result<()> {
    let v = x.to_f64();
    if v.abs() < 1.0 {
        Ok(())
    } else {
        Err(LroError::OutOfDomain {
            name: name.into(),
            value: v,
            reason: "the T → ∞ formulas need |w|, |w*|, |ŵ| < 1; use a finite horizon T or a \
                     value inside (−1, 1)"
                .into(),
        })
    }
}

/// Validates a mode, its teacher and the rule for a horizon: finite values; for
/// [`Horizon::Infinite`] (and the closed finite forms) `|w|, |w*| < 1` and, for RFLO, `|ŵ| < 1`.
pub fn validate<T: Real>(
    rule: &ModeRule<T>,
    m: &Mode<T>,
    teacher: &Mode<T>,
    horizon: Horizon,
) -> Result<()> {
    rule.validate()?;
    check_finite("mode (a, b, w)", m)?;
    check_finite("teacher mode (a*, b*, w*)", teacher)?;
    match horizon {
        Horizon::Finite(0) => Err(LroError::ZeroHorizon),
        Horizon::Finite(_) => Ok(()),
        Horizon::Infinite => check_infinite_domain(rule, m, teacher),
    }
}

fn check_infinite_domain<T: Real>(
    rule: &ModeRule<T>,
    m: &Mode<T>,
    teacher: &Mode<T>,
) -> Result<()> {
    check_unit("w", &m.w)?;
    check_unit("w*", &teacher.w)?;
    if let ModeRule::Rflo { w_hat, .. } = rule {
        check_unit("w_hat", w_hat)?;
    }
    Ok(())
}

fn two<T: Real>() -> T {
    T::from_i64(2)
}

/// Finite geometric sum `Σ_{j<n} x^j`, summed term by term (no division).
fn geom_sum<T: Real>(x: &T, n: usize) -> T {
    let mut acc = T::zero();
    let mut p = T::one();
    for _ in 0..n {
        acc += p.clone();
        p *= x.clone();
    }
    acc
}

/// P-RNN-13/14 (`docs/theory/modes.md#per-mode-loss`): the per-mode loss. Finite T: `L_T = ½ Σ_{k<T} g_k²` with
/// `g_k = c w^k − c* w*^k`; T → ∞: `L_∞ = ½[c²/(1−w²) − 2cc*/(1−ww*) + c*²/(1−w*²)]`.
pub fn loss<T: Real>(m: &Mode<T>, teacher: &Mode<T>, horizon: Horizon) -> Result<T> {
    validate(&ModeRule::Bptt, m, teacher, horizon)?;
    let c = m.a.clone() * m.b.clone();
    let cs = teacher.a.clone() * teacher.b.clone();
    let (w, ws) = (m.w.clone(), teacher.w.clone());
    let half = T::ratio(1, 2);
    Ok(match horizon {
        Horizon::Finite(t) => {
            let mut acc = T::zero();
            let (mut wk, mut wsk) = (T::one(), T::one());
            for _ in 0..t {
                let g = c.clone() * wk.clone() - cs.clone() * wsk.clone();
                acc += g.clone() * g;
                wk *= w.clone();
                wsk *= ws.clone();
            }
            acc * half
        }
        Horizon::Infinite => {
            let one = T::one();
            let t1 = c.clone() * c.clone() / (one.clone() - w.clone() * w.clone());
            let t2 = two::<T>() * c * cs.clone() / (one.clone() - w * ws.clone());
            let t3 = cs.clone() * cs / (one - ws.clone() * ws);
            (t1 - t2 + t3) * half
        }
    })
}

/// The per-mode update `(Δa, Δb, Δw)` (sign of the gradient), at a finite horizon (the `docs/theory/modes.md#finite-t-sums` sums,
/// [`update_finite_sum`]) or as T → ∞ (the `docs/theory/modes.md#ode-fields` forms, [`update_infinite`]).
///
/// Worked by hand for the student mode `(a, b, w) = (1, 1, ½)` and the teacher `(1, 2, 0)`
/// (`c = ab = 1`, `c* = 2`) as T → ∞: `L_∞ = ½[c²/(1−w²) − 2cc*/(1−ww*) + c*²/(1−w*²)] = ⅔`;
/// BPTT's `Δa = b[c/(1−w²) − c*/(1−ww*)] = 4/3 − 2 = −⅔`, `Δb = −⅔` likewise and
/// `Δw = c[cw/(1−w²)² − c*w*/(1−ww*)²] = ½/(9/16) = 8/9` (the gradient of `L_∞`); RFLO with
/// `â = 2`, `ŵ = 0` has the same `Δa` and `Δb = â[c/(1−ŵw) − c*/(1−ŵw*)] = −2`,
/// `Δw = âb·cw/((1−w²)(1−ŵw)) = 4/3`.
///
/// ```
/// use lro::modes::{self, Horizon, ModeRule};
/// use lro::rnn::Mode;
/// use lro::scalar::{Rational, Real};
///
/// let q = |n: i64, d: i64| Rational::ratio(n, d);
/// let student = Mode::new(q(1, 1), q(1, 1), q(1, 2));
/// let teacher = Mode::new(q(1, 1), q(2, 1), q(0, 1));
/// assert_eq!(modes::loss(&student, &teacher, Horizon::Infinite)?, q(2, 3));
///
/// let bptt = modes::update(&ModeRule::Bptt, &student, &teacher, Horizon::Infinite)?;
/// assert_eq!(bptt, Mode::new(q(-2, 3), q(-2, 3), q(8, 9)));
/// let rflo = ModeRule::Rflo { a_hat: q(2, 1), w_hat: q(0, 1) };
/// let rflo = modes::update(&rflo, &student, &teacher, Horizon::Infinite)?;
/// assert_eq!(rflo, Mode::new(q(-2, 3), q(-2, 1), q(4, 3)));
/// # Ok::<(), lro::LroError>(())
/// ```
pub fn update<T: Real>(
    rule: &ModeRule<T>,
    m: &Mode<T>,
    teacher: &Mode<T>,
    horizon: Horizon,
) -> Result<Mode<T>> {
    validate(rule, m, teacher, horizon)?;
    Ok(match horizon {
        Horizon::Finite(t) => finite_sum_unchecked(rule, m, teacher, t),
        Horizon::Infinite => infinite_unchecked(rule, m, teacher),
    })
}

/// P-RNN-13 (`docs/theory/modes.md#finite-t-sums`, `[derived]`): the finite-T per-mode sums
///
/// ```text
/// Δa = Σ_{k<T} g_k b w^k,   Δb = Σ_{m<M} φ_m g_m,   Δw = Σ_{m<M} φ_m Σ_{k=m+1}^{T-1} g_k b w^{k-1-m}
/// ```
///
/// with `φ_m = a w^m`, M = T (BPTT); `φ_m = a w^m`, M = min(k, T) (tBPTT); `φ_m = â ŵ^m`, M = T
/// (RFLO). Any finite values are allowed (the sums are polynomials).
pub fn update_finite_sum<T: Real>(
    rule: &ModeRule<T>,
    m: &Mode<T>,
    teacher: &Mode<T>,
    horizon: usize,
) -> Result<Mode<T>> {
    validate(rule, m, teacher, Horizon::Finite(horizon))?;
    Ok(finite_sum_unchecked(rule, m, teacher, horizon))
}

fn finite_sum_unchecked<T: Real>(
    rule: &ModeRule<T>,
    m: &Mode<T>,
    teacher: &Mode<T>,
    horizon: usize,
) -> Mode<T> {
    let (a, b, w) = (m.a.clone(), m.b.clone(), m.w.clone());
    let c = a.clone() * b.clone();
    let cs = teacher.a.clone() * teacher.b.clone();
    let ws = teacher.w.clone();
    // g_k and b w^k for k < T.
    let mut g = Vec::with_capacity(horizon);
    let mut bw = Vec::with_capacity(horizon);
    let (mut wk, mut wsk) = (T::one(), T::one());
    for _ in 0..horizon {
        g.push(c.clone() * wk.clone() - cs.clone() * wsk.clone());
        bw.push(b.clone() * wk.clone());
        wk *= w.clone();
        wsk *= ws.clone();
    }
    // Fault site (ModeSumLagShort): Δa's sum stops one lag early.
    let lags = if crate::faults::active(crate::faults::Fault::ModeSumLagShort) {
        horizon.saturating_sub(1)
    } else {
        horizon
    };
    let da = g
        .iter()
        .zip(&bw)
        .take(lags)
        .fold(T::zero(), |s, (gk, bk)| s + gk.clone() * bk.clone());
    // tail[m] = Σ_{k=m+1}^{T-1} g_k b w^{k-1-m}, by tail[m] = g_{m+1} b + w tail[m+1].
    let mut tail = vec![T::zero(); horizon];
    for mm in (0..horizon.saturating_sub(1)).rev() {
        tail[mm] = g[mm + 1].clone() * b.clone() + w.clone() * tail[mm + 1].clone();
    }
    let (mut phi, step, depth) = match rule {
        ModeRule::Bptt => (a.clone(), w.clone(), horizon),
        ModeRule::Tbptt { k } => (a.clone(), w.clone(), (*k).min(horizon)),
        ModeRule::Rflo { a_hat, w_hat } => {
            // Fault site (ModeRfloUsesA): the student's a where the feedback â belongs.
            let phi0 = if crate::faults::active(crate::faults::Fault::ModeRfloUsesA) {
                a.clone()
            } else {
                a_hat.clone()
            };
            (phi0, w_hat.clone(), horizon)
        }
    };
    let (mut db, mut dw) = (T::zero(), T::zero());
    for mm in 0..depth {
        db += phi.clone() * g[mm].clone();
        dw += phi.clone() * tail[mm].clone();
        phi *= step.clone();
    }
    Mode::new(da, db, dw)
}

/// P-RNN-14/16 (`docs/theory/modes.md#ode-fields`, `[derived]`; Δa and RFLO's Δb `[notes]`): the T → ∞ per-mode updates.
/// With `c = ab` and `G_k(x) = (1 − x^k)/(1 − x)`:
///
/// ```text
/// Δa = b [ c/(1−w²) − c*/(1−ww*) ]                                         (every rule)
/// BPTT   Δb = a [ c/(1−w²) − c*/(1−ww*) ],  Δw = c [ cw/(1−w²)² − c*w*/(1−ww*)² ]
/// tBPTT  Δb = a [ c G_k(w²) − c* G_k(ww*) ],
///        Δw = c [ cw G_k(w²)/(1−w²) − c*w* G_k(ww*)/(1−ww*) ]
/// RFLO   Δb = â [ c/(1−ŵw) − c*/(1−ŵw*) ],
///        Δw = â b [ cw/((1−w²)(1−ŵw)) − c*w*/((1−ww*)(1−ŵw*)) ]
/// ```
///
/// Needs `|w|, |w*| < 1` and, for RFLO, `|ŵ| < 1`.
pub fn update_infinite<T: Real>(
    rule: &ModeRule<T>,
    m: &Mode<T>,
    teacher: &Mode<T>,
) -> Result<Mode<T>> {
    validate(rule, m, teacher, Horizon::Infinite)?;
    Ok(infinite_unchecked(rule, m, teacher))
}

fn infinite_unchecked<T: Real>(rule: &ModeRule<T>, m: &Mode<T>, teacher: &Mode<T>) -> Mode<T> {
    let one = T::one();
    let (a, b, w) = (m.a.clone(), m.b.clone(), m.w.clone());
    let c = a.clone() * b.clone();
    let cs = teacher.a.clone() * teacher.b.clone();
    let ws = teacher.w.clone();
    let ow = one.clone() - w.clone() * w.clone(); // 1 − w²
    let oc = one.clone() - w.clone() * ws.clone(); // 1 − w w*
    let bracket = c.clone() / ow.clone() - cs.clone() / oc.clone();
    let da = b.clone() * bracket.clone();
    let (db, dw) = match rule {
        ModeRule::Bptt => (
            a * bracket,
            c.clone() * (c * w / (ow.clone() * ow) - cs * ws / (oc.clone() * oc)),
        ),
        ModeRule::Tbptt { k } => {
            let gw = geom_sum(&(w.clone() * w.clone()), *k);
            let gc = geom_sum(&(w.clone() * ws.clone()), *k);
            (
                a * (c.clone() * gw.clone() - cs.clone() * gc.clone()),
                c.clone() * (c * w * gw / ow - cs * ws * gc / oc),
            )
        }
        ModeRule::Rflo { a_hat, w_hat } => {
            // Fault site (ModeRfloUsesA): the student's a where the feedback â belongs.
            let a_hat = &if crate::faults::active(crate::faults::Fault::ModeRfloUsesA) {
                a.clone()
            } else {
                a_hat.clone()
            };
            let pw = one.clone() - w_hat.clone() * w.clone(); // 1 − ŵ w
            let ps = one - w_hat.clone() * ws.clone(); // 1 − ŵ w*
            (
                a_hat.clone() * (c.clone() / pw.clone() - cs.clone() / ps.clone()),
                a_hat.clone() * b * (c * w / (ow * pw) - cs * ws / (oc * ps)),
            )
        }
    };
    Mode::new(da, db, dw)
}

/// P-RNN-14 (`[derived]`): the finite-T updates in closed form, written as the T → ∞ forms with
/// their geometric factors (`G_n(x) = (1 − xⁿ)/(1 − x)`, `κ = min(k, T)` for tBPTT, κ = T for BPTT):
///
/// ```text
/// Δa = b [ c G_T(w²) − c* G_T(ww*) ]                                         (every rule)
/// BPTT/tBPTT  Δb = a [ c G_κ(w²) − c* G_κ(ww*) ],
///             Δw = c [ cw S(w²) − c*w* S(ww*) ],   S(x) = (G_κ(x) − κ x^{T−1})/(1 − x)
/// RFLO        Δb = â [ c G_T(ŵw) − c* G_T(ŵw*) ],
///             Δw = â b [ c R(w) − c* R(w*) ],
///             R(z) = z/((1−zw)(1−ŵz)) − [ z^T h_{T−1}(ŵ, w) + z (ŵz)^T/(1−ŵz) ] / (1−zw)
/// ```
///
/// where `h_{T−1}(ŵ, w) = Σ_{m<T} ŵ^m w^{T−1−m}`. As T → ∞ every power `x^T` → 0 and these reduce to
/// `docs/theory/modes.md#ode-fields`; the difference to `docs/theory/modes.md#ode-fields` is the geometric tail (the "exact relation"). Needs the
/// same domain as the T → ∞ forms (the geometric factors have poles at 1).
pub fn update_finite_closed<T: Real>(
    rule: &ModeRule<T>,
    m: &Mode<T>,
    teacher: &Mode<T>,
    horizon: usize,
) -> Result<Mode<T>> {
    validate(rule, m, teacher, Horizon::Finite(horizon))?;
    check_infinite_domain(rule, m, teacher)?;
    let one = T::one();
    let t = horizon;
    let (a, b, w) = (m.a.clone(), m.b.clone(), m.w.clone());
    let c = a.clone() * b.clone();
    let cs = teacher.a.clone() * teacher.b.clone();
    let ws = teacher.w.clone();
    let g = |x: &T, n: usize| (one.clone() - x.powi(n as u32)) / (one.clone() - x.clone());
    let w2 = w.clone() * w.clone();
    let wws = w.clone() * ws.clone();
    // Fault site (ModeWrongPower): G_T(w²) with w^(2T−1) where w^(2T) = (w²)^T belongs.
    let g_w2_t = if crate::faults::active(crate::faults::Fault::ModeWrongPower) {
        (one.clone() - w.powi((2 * t - 1) as u32)) / (one.clone() - w2.clone())
    } else {
        g(&w2, t)
    };
    let da = b.clone() * (c.clone() * g_w2_t - cs.clone() * g(&wws, t));
    let (db, dw) = match rule {
        ModeRule::Bptt | ModeRule::Tbptt { .. } => {
            let kappa = match rule {
                ModeRule::Tbptt { k } => (*k).min(t),
                _ => t,
            };
            let s = |x: &T| {
                (g(x, kappa) - T::from_i64(kappa as i64) * x.powi((t - 1) as u32))
                    / (one.clone() - x.clone())
            };
            (
                a * (c.clone() * g(&w2, kappa) - cs.clone() * g(&wws, kappa)),
                c.clone() * (c * w * s(&w2) - cs * ws * s(&wws)),
            )
        }
        ModeRule::Rflo { a_hat, w_hat } => {
            // h_{T−1}(ŵ, w) = Σ_{m<T} ŵ^m w^{T−1−m}
            let h = (0..t).fold(T::zero(), |acc, mm| {
                acc + w_hat.powi(mm as u32) * w.powi((t - 1 - mm) as u32)
            });
            let r = |z: &T| {
                let zw = one.clone() - z.clone() * w.clone();
                let zh = one.clone() - w_hat.clone() * z.clone();
                z.clone() / (zw.clone() * zh.clone())
                    - (z.powi(t as u32) * h.clone()
                        + z.clone() * (w_hat.clone() * z.clone()).powi(t as u32) / zh)
                        / zw
            };
            let hw = w_hat.clone() * w.clone();
            let hs = w_hat.clone() * ws.clone();
            (
                a_hat.clone() * (c.clone() * g(&hw, t) - cs.clone() * g(&hs, t)),
                a_hat.clone() * b * (c * r(&w) - cs * r(&ws)),
            )
        }
    };
    Ok(Mode::new(da, db, dw))
}

/// The update over dual numbers: every input constant except the seeded direction `dir` of θ.
pub(crate) fn update_dual<T: Real>(
    rule: &ModeRule<T>,
    m: &Mode<T>,
    teacher: &Mode<T>,
    horizon: Horizon,
    dir: &[T; 3],
) -> Result<Mode<Dual<T>>> {
    let th = to_array(m);
    let md = Mode::new(
        Dual::new(th[0].clone(), dir[0].clone()),
        Dual::new(th[1].clone(), dir[1].clone()),
        Dual::new(th[2].clone(), dir[2].clone()),
    );
    let rd = rule.map(|x| Dual::constant(x.clone()));
    let td = map_mode(teacher, |x| Dual::constant(x.clone()));
    update(&rd, &md, &td, horizon)
}
