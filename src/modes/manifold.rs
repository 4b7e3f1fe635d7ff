//! Fixed-point manifolds, rates along the optimal manifold and conserved quantities (`docs/theory/modes.md#fixed-points`,
//! `docs/theory/modes.md#rates`, `docs/theory/modes.md#conservation`; P-RNN-17 … P-RNN-19, P-RNN-27 … P-RNN-30; `[derived]` for this project unless
//! marked).
use super::jacobian::{char_poly, m_matrix};
use super::{Horizon, ModeRule};
use crate::error::{LroError, Result};
use crate::rnn::Mode;
use crate::scalar::Real;

/// P-RNN-17 (`[notes]`): the point `(s, c*/s, w*)` of the optimal manifold `{ab = a*b*, w = w*}`.
/// `s ≠ 0` is required.
pub fn optimal_point<T: Real>(s: &T, teacher: &Mode<T>) -> Result<Mode<T>> {
    if s.is_zero() {
        return Err(LroError::InvalidParameter {
            name: "s".into(),
            reason: "the optimal manifold (s, c*/s, w*) needs s ≠ 0".into(),
        });
    }
    let cs = teacher.a.clone() * teacher.b.clone();
    Ok(Mode::new(s.clone(), cs / s.clone(), teacher.w.clone()))
}

/// P-RNN-17 (`[notes]`): the point `(0, 0, w)` of the non-optimal line (a fixed point of BPTT and
/// tBPTT, not of RFLO: P-RNN-18).
pub fn nonoptimal_point<T: Real>(w: &T) -> Mode<T> {
    Mode::new(T::zero(), T::zero(), w.clone())
}

/// P-RNN-29: BPTT's conserved quantity `a² − b²` (because `aΔa = bΔb`).
pub fn bptt_invariant<T: Real>(m: &Mode<T>) -> T {
    m.a.clone() * m.a.clone() - m.b.clone() * m.b.clone()
}

/// P-RNN-30: one-step tBPTT's conserved quantity `a² − b² − w²` (T → ∞ forms, because
/// `aΔa − bΔb = wΔw`).
pub fn tbptt1_invariant<T: Real>(m: &Mode<T>) -> T {
    bptt_invariant(m) - m.w.clone() * m.w.clone()
}

/// P-RNN-29/30: the point of the optimal manifold with `a² − b² = D`:
/// `s² = (D + √(D² + 4c*²))/2` (D = D_0 for BPTT, D_1 = a_0² − b_0² − w_0² + w*² for tBPTT).
pub fn bptt_limit_s2(d: f64, c_star: f64) -> f64 {
    (d + (d * d + 4.0 * c_star * c_star).sqrt()) / 2.0
}

/// The two roots (re, im) of `λ² − tr λ + E2`, smaller real part first.
pub fn quadratic_roots(tr: f64, e2: f64) -> [(f64, f64); 2] {
    let disc = tr * tr - 4.0 * e2;
    if disc >= 0.0 {
        let r = disc.sqrt();
        // numerically stable pair: q = (tr ± r)/2 on the side of tr, the other from E2/q
        let big = (tr + tr.signum() * r) / 2.0;
        let small = if big != 0.0 { e2 / big } else { 0.0 };
        let (lo, hi) = if small <= big {
            (small, big)
        } else {
            (big, small)
        };
        [(lo, 0.0), (hi, 0.0)]
    } else {
        let im = (-disc).sqrt() / 2.0;
        [(tr / 2.0, -im), (tr / 2.0, im)]
    }
}

/// P-RNN-27/28: the convergence rate along the optimal manifold, `λ_min = min Re λ` over the two
/// nonzero eigenvalues of M at `(s, c*/s, w*)` (the summary's leading Jacobian eigenvalue is
/// `λ_+ = −λ_min`). M is computed exactly over `T` (use `Rational` for exactness), then tr and E2
/// are rounded to f64 for the roots. T → ∞ forms.
pub fn rate_on_manifold<T: Real>(rule: &ModeRule<T>, s: &T, teacher: &Mode<T>) -> Result<f64> {
    let p = optimal_point(s, teacher)?;
    let m = m_matrix(rule, &p, teacher, Horizon::Infinite)?;
    let cp = char_poly(&m);
    Ok(quadratic_roots(cp.tr.to_f64(), cp.e2.to_f64())[0].0)
}

/// P-RNN-27 (`docs/theory/modes.md#rates`): BPTT's rate in closed form, `[tr − √(tr² − 4E2)]/2` with
/// `tr = QX + Nc*²`, `E2 = Q⁴c*²X`, `X = s² + c*²/s²` (f64).
///
/// **Correction to an earlier statement of the theory** (found by this project's check): the rate is non-decreasing in X and
/// *strictly* increasing iff `w* ≠ 0` (the condition is `N > Q³`, not `QN > m²`). At `w* = 0` the
/// roots are X and c*², so the rate is `min(X, c*²)`, constant wherever `X ≥ c*²`; e.g. `w* = 0`,
/// `c* = 1` gives rate 1 for every s. The minimum at `s = ±√|c*|` is unique only for `w* ≠ 0`.
pub fn bptt_rate_closed_form(s: f64, c_star: f64, w_star: f64) -> f64 {
    let q = 1.0 / (1.0 - w_star * w_star);
    let n = (1.0 + w_star * w_star) * q * q * q;
    let x = s * s + c_star * c_star / (s * s);
    let tr = q * x + n * c_star * c_star;
    let e2 = q.powi(4) * c_star * c_star * x;
    quadratic_roots(tr, e2)[0].0
}
