//! Jacobians, characteristic polynomials, eigenvalues and stability classes (`docs/theory/modes.md`,
//! P-RNN-20 … P-RNN-26, `[derived]` for this project).
//!
//! `M = ∂Δ/∂θ` is the Jacobian of the update with respect to `θ = (a, b, w)`; the learning ODE
//! `dθ/dτ = −Δ` has Jacobian `J = −M`. Both come from forward-mode dual numbers, so they are exact
//! over `Dual<Rational>`.
use super::{Horizon, ModeRule, update, update_dual};
use crate::error::{LroError, Result};
use crate::rnn::Mode;
use crate::scalar::{Dual, Real};
use num_complex::Complex;
use serde::Serialize;

/// A 3×3 matrix as rows.
pub type Mat3<T> = [[T; 3]; 3];

/// P-RNN-20: `M = ∂(Δa, Δb, Δw)/∂(a, b, w)` by dual numbers (exact over `Dual<Rational>`). Row i is
/// component i of Δ, column j the derivative along θ_j.
#[allow(clippy::needless_range_loop)] // (i, j) index rows and seeded directions alike
pub fn m_matrix<T: Real>(
    rule: &ModeRule<T>,
    m: &Mode<T>,
    teacher: &Mode<T>,
    horizon: Horizon,
) -> Result<Mat3<T>> {
    let mut out: Mat3<T> = std::array::from_fn(|_| std::array::from_fn(|_| T::zero()));
    for j in 0..3 {
        let dir: [T; 3] = std::array::from_fn(|i| if i == j { T::one() } else { T::zero() });
        let d = update_dual(rule, m, teacher, horizon, &dir)?;
        out[0][j] = d.a.eps;
        out[1][j] = d.b.eps;
        out[2][j] = d.w.eps;
    }
    Ok(out)
}

/// The Jacobian of the learning ODE `dθ/dτ = −Δ`: `J = −M`.
pub fn ode_jacobian<T: Real>(
    rule: &ModeRule<T>,
    m: &Mode<T>,
    teacher: &Mode<T>,
    horizon: Horizon,
) -> Result<Mat3<T>> {
    let mm = m_matrix(rule, m, teacher, horizon)?;
    // Fault site (JacobianSignFlip): returns M where J = −M belongs.
    if crate::faults::active(crate::faults::Fault::JacobianSignFlip) {
        return Ok(mm);
    }
    Ok(mm.map(|row| row.map(|x| -x)))
}

/// P-RNN-22: the Hessian of the per-mode loss by nested dual numbers (exact over rationals).
#[allow(clippy::needless_range_loop)] // (i, j) index both seeds and the output
pub fn hessian_of_loss<T: Real>(
    m: &Mode<T>,
    teacher: &Mode<T>,
    horizon: Horizon,
) -> Result<Mat3<T>> {
    let th = super::to_array(m);
    let mut out: Mat3<T> = std::array::from_fn(|_| std::array::from_fn(|_| T::zero()));
    let td = super::map_mode(teacher, |x| Dual::constant(Dual::constant(x.clone())));
    for i in 0..3 {
        for j in 0..3 {
            let v: [Dual<Dual<T>>; 3] = std::array::from_fn(|k| {
                let inner = Dual::new(th[k].clone(), if k == j { T::one() } else { T::zero() });
                let outer_eps = Dual::constant(if k == i { T::one() } else { T::zero() });
                Dual::new(inner, outer_eps)
            });
            let l = super::loss(&super::from_array(&v), &td, horizon)?;
            out[i][j] = l.eps.eps;
        }
    }
    Ok(out)
}

/// The coefficients of `det(λI − M) = λ³ − tr λ² + E2 λ − det`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CharPoly<T> {
    /// Trace.
    pub tr: T,
    /// Sum of the principal 2×2 minors.
    pub e2: T,
    /// Determinant.
    pub det: T,
}

/// P-RNN-21: trace, second invariant and determinant of a 3×3 matrix.
pub fn char_poly<T: Real>(m: &Mat3<T>) -> CharPoly<T> {
    let e = |i: usize, j: usize| m[i][j].clone();
    let minor = |i: usize, j: usize| e(i, i) * e(j, j) - e(i, j) * e(j, i);
    let det = e(0, 0) * (e(1, 1) * e(2, 2) - e(1, 2) * e(2, 1))
        - e(0, 1) * (e(1, 0) * e(2, 2) - e(1, 2) * e(2, 0))
        + e(0, 2) * (e(1, 0) * e(2, 1) - e(1, 1) * e(2, 0));
    CharPoly {
        tr: e(0, 0) + e(1, 1) + e(2, 2),
        e2: minor(0, 1) + minor(0, 2) + minor(1, 2),
        det,
    }
}

/// The abbreviations on the optimal manifold (`docs/theory/modes.md#jacobians`): `Q = 1/(1−w*²)`, `m = w* Q²`,
/// `N = (1+w*²)/(1−w*²)³`, `P̂ = 1/(1−ŵw*)` (P̂ = 1 when there is no ŵ).
#[derive(Clone, Debug, PartialEq)]
pub struct ManifoldConstants<T> {
    /// `1/(1−w*²)`.
    pub q: T,
    /// `w*/(1−w*²)²`.
    pub m: T,
    /// `(1+w*²)/(1−w*²)³`.
    pub n: T,
    /// `1/(1−ŵw*)`.
    pub p_hat: T,
}

/// The constants Q, m, N, P̂ of `docs/theory/modes.md#jacobians` for a teacher (and ŵ, for RFLO).
pub fn manifold_constants<T: Real>(teacher: &Mode<T>, w_hat: Option<&T>) -> ManifoldConstants<T> {
    let one = T::one();
    let ws = teacher.w.clone();
    let d = one.clone() - ws.clone() * ws.clone();
    let q = one.clone() / d.clone();
    ManifoldConstants {
        m: ws.clone() * q.clone() * q.clone(),
        n: (one.clone() + ws.clone() * ws.clone()) / (d.clone() * d.clone() * d),
        p_hat: match w_hat {
            Some(h) => one.clone() / (one - h.clone() * ws),
            None => one,
        },
        q,
    }
}

/// P-RNN-20 (`docs/theory/modes.md#jacobians`, `[derived]`): the analytic `M_BPTT`, `M_tBPTT` (k = 1) and `M_RFLO` at the
/// point `(s, c*/s, w*)` of the optimal manifold. Returns `Unsupported` for tBPTT with k > 1 (the
/// theory gives no closed form) and for `s = 0`.
pub fn analytic_m<T: Real>(rule: &ModeRule<T>, s: &T, teacher: &Mode<T>) -> Result<Mat3<T>> {
    let cs = teacher.a.clone() * teacher.b.clone();
    if s.is_zero() {
        return Err(crate::LroError::Unsupported(
            "the optimal manifold is parametrised by s ≠ 0".into(),
        ));
    }
    let (a, b) = (s.clone(), cs.clone() / s.clone());
    let ws = teacher.w.clone();
    let z = T::zero;
    let w_hat = match rule {
        ModeRule::Rflo { w_hat, .. } => Some(w_hat),
        _ => None,
    };
    let k = manifold_constants(teacher, w_hat);
    let (q, mm, n, ph) = (k.q, k.m, k.n, k.p_hat);
    let row0 = [
        b.clone() * b.clone() * q.clone(),
        cs.clone() * q.clone(),
        b.clone() * cs.clone() * mm.clone(),
    ];
    Ok(match rule {
        ModeRule::Bptt => [
            row0,
            [
                cs.clone() * q.clone(),
                a.clone() * a.clone() * q,
                a.clone() * cs.clone() * mm.clone(),
            ],
            [
                b * cs.clone() * mm.clone(),
                a * cs.clone() * mm,
                cs.clone() * cs * n,
            ],
        ],
        ModeRule::Tbptt { k: 1 } => [
            row0,
            [cs.clone(), a.clone() * a.clone(), z()],
            [
                cs.clone() * b * ws.clone() * q.clone(),
                cs.clone() * a * ws * q.clone(),
                cs.clone() * cs * q.clone() * q,
            ],
        ],
        ModeRule::Tbptt { k } => {
            return Err(crate::LroError::Unsupported(format!(
                "the theory gives the analytic Jacobian of one-step tBPTT only (k = {k} requested); \
                 use m_matrix for k > 1"
            )));
        }
        ModeRule::Rflo { a_hat, w_hat } => {
            let one = T::one();
            let ws3 = ws.clone() * ws.clone() * ws.clone();
            [
                row0,
                [
                    a_hat.clone() * b.clone() * ph.clone(),
                    a_hat.clone() * a.clone() * ph.clone(),
                    a_hat.clone() * cs.clone() * w_hat.clone() * ph.clone() * ph.clone(),
                ],
                [
                    a_hat.clone() * b.clone() * b.clone() * ws.clone() * q.clone() * ph.clone(),
                    a_hat.clone() * cs.clone() * ws * q.clone() * ph.clone(),
                    a_hat.clone()
                        * b
                        * cs
                        * q.clone()
                        * q
                        * ph.clone()
                        * ph
                        * (one - w_hat.clone() * ws3),
                ],
            ]
        }
    })
}

/// P-RNN-21 (`docs/theory/modes.md#stability`, `[derived]`): the theory's `tr` and `E2` on the optimal manifold at
/// `(s, c*/s, w*)`, with `X = s² + c*²/s²`:
/// BPTT `(QX + Nc*², Q⁴c*²X)`; tBPTT (k = 1) `(Qb² + a² + Q²c*², Q²c*²X)`;
/// RFLO `(Qb² + âaP̂ + âbc*Q²P̂²(1 − ŵw*³), âab²P̂²Q²(b² + âa))`.
pub fn spec_tr_e2<T: Real>(rule: &ModeRule<T>, s: &T, teacher: &Mode<T>) -> Result<(T, T)> {
    let cs = teacher.a.clone() * teacher.b.clone();
    if s.is_zero() {
        return Err(crate::LroError::Unsupported(
            "the optimal manifold is parametrised by s ≠ 0".into(),
        ));
    }
    let (a, b) = (s.clone(), cs.clone() / s.clone());
    let ws = teacher.w.clone();
    let w_hat = match rule {
        ModeRule::Rflo { w_hat, .. } => Some(w_hat),
        _ => None,
    };
    let k = manifold_constants(teacher, w_hat);
    let (q, n, ph) = (k.q, k.n, k.p_hat);
    let x = a.clone() * a.clone() + b.clone() * b.clone();
    let cs2 = cs.clone() * cs.clone();
    let q2 = q.clone() * q.clone();
    Ok(match rule {
        ModeRule::Bptt => (
            q.clone() * x.clone() + n * cs2.clone(),
            q2.clone() * q2 * cs2 * x,
        ),
        ModeRule::Tbptt { k: 1 } => (
            q * b.clone() * b + a.clone() * a + q2.clone() * cs2.clone(),
            q2 * cs2 * x,
        ),
        ModeRule::Tbptt { k } => {
            return Err(crate::LroError::Unsupported(format!(
                "the theory gives tr and E2 for one-step tBPTT only (k = {k} requested)"
            )));
        }
        ModeRule::Rflo { a_hat, w_hat } => {
            let one = T::one();
            let ws3 = ws.clone() * ws.clone() * ws;
            let ph2 = ph.clone() * ph.clone();
            (
                q * b.clone() * b.clone()
                    + a_hat.clone() * a.clone() * ph
                    + a_hat.clone()
                        * b.clone()
                        * cs
                        * q2.clone()
                        * ph2.clone()
                        * (one - w_hat.clone() * ws3),
                a_hat.clone()
                    * a.clone()
                    * b.clone()
                    * b.clone()
                    * ph2
                    * q2
                    * (b.clone() * b + a_hat.clone() * a),
            )
        }
    })
}

/// Largest entry magnitude [`try_eigenvalues`] accepts: far enough below `f64::MAX` that the
/// Schur iteration's products and norms cannot overflow.
pub const EIGEN_INPUT_MAX: f64 = 1e150;
/// Iteration cap of the Schur decomposition in [`try_eigenvalues`]. A 3×3 real matrix converges
/// in a handful of QR sweeps; the cap is two orders of magnitude above that.
pub const EIGEN_MAX_ITER: usize = 1_000;

/// Eigenvalues of a real 3×3 matrix (f64, by nalgebra's Schur decomposition with an iteration
/// cap), sorted by real part then imaginary part. The entries must be finite and at most
/// [`EIGEN_INPUT_MAX`] in magnitude (checked first: the unchecked routine never returns on a
/// non-finite matrix); more than [`EIGEN_MAX_ITER`] iterations is [`LroError::NoConvergence`].
pub fn try_eigenvalues(m: &Mat3<f64>) -> Result<Vec<Complex<f64>>> {
    if let Some(x) = m.iter().flatten().find(|x| !x.is_finite()) {
        return Err(LroError::NotFinite {
            name: format!("the 3×3 matrix passed to the eigenvalue routine (entry {x})"),
        });
    }
    let big = m.iter().flatten().fold(0.0f64, |s, x| s.max(x.abs()));
    if big > EIGEN_INPUT_MAX {
        return Err(LroError::OutOfDomain {
            name: "largest |entry| of the eigenvalue routine's matrix".into(),
            value: big,
            reason: format!(
                "entries above {EIGEN_INPUT_MAX:e} can overflow the Schur iteration; use smaller \
                 parameters"
            ),
        });
    }
    let mat = nalgebra::Matrix3::from_fn(|i, j| m[i][j]);
    let schur = nalgebra::Schur::try_new(mat, f64::EPSILON, EIGEN_MAX_ITER).ok_or_else(|| {
        LroError::NoConvergence {
            routine: "eigenvalues (Schur decomposition)".into(),
            max_iter: EIGEN_MAX_ITER,
            detail: format!("the matrix {m:?} did not reduce to quasi-triangular form"),
        }
    })?;
    let mut v: Vec<Complex<f64>> = schur.complex_eigenvalues().iter().copied().collect();
    v.sort_by(|x, y| x.re.total_cmp(&y.re).then(x.im.total_cmp(&y.im)));
    Ok(v)
}

/// Eigenvalues of a real 3×3 matrix, as [`try_eigenvalues`], for callers that have validated
/// their matrix; on a matrix [`try_eigenvalues`] refuses it returns three NaNs (never loops).
pub fn eigenvalues(m: &Mat3<f64>) -> Vec<Complex<f64>> {
    try_eigenvalues(m).unwrap_or_else(|_| vec![Complex::new(f64::NAN, f64::NAN); 3])
}

/// The stability class of a point of the learning ODE, from the eigenvalues of `J = −M` that are
/// not (numerically) zero; zero eigenvalues are the neutral directions along a manifold of fixed
/// points (`docs/theory/modes.md#jacobians`: the tangent `(a, −b, 0)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StabilityClass {
    /// Every nonzero eigenvalue real and negative.
    StableNode,
    /// Every nonzero eigenvalue has negative real part, some are complex.
    StableFocus,
    /// Nonzero eigenvalues with real parts of both signs.
    Saddle,
    /// Every nonzero eigenvalue real and positive.
    UnstableNode,
    /// Every nonzero eigenvalue has positive real part, some are complex.
    UnstableFocus,
    /// No nonzero eigenvalue, or one with zero real part (not hyperbolic in the normal directions).
    Degenerate,
}

impl std::fmt::Display for StabilityClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StabilityClass::StableNode => "stable-node",
            StabilityClass::StableFocus => "stable-focus",
            StabilityClass::Saddle => "saddle",
            StabilityClass::UnstableNode => "unstable-node",
            StabilityClass::UnstableFocus => "unstable-focus",
            StabilityClass::Degenerate => "degenerate",
        })
    }
}

/// P-RNN-25: classifies the eigenvalues of the ODE Jacobian `J`. An eigenvalue with
/// `|λ| ≤ zero_tol` counts as zero (a neutral direction); a nonzero one with `|Re λ| ≤ zero_tol` or
/// `|Im λ| ≤ zero_tol` counts as imaginary or real respectively.
pub fn classify(eigs: &[Complex<f64>], zero_tol: f64) -> StabilityClass {
    let nonzero: Vec<&Complex<f64>> = eigs.iter().filter(|z| z.norm() > zero_tol).collect();
    if nonzero.is_empty() || nonzero.iter().any(|z| z.re.abs() <= zero_tol) {
        return StabilityClass::Degenerate;
    }
    let complex = nonzero.iter().any(|z| z.im.abs() > zero_tol);
    let neg = nonzero.iter().filter(|z| z.re < 0.0).count();
    match (neg, complex) {
        (k, false) if k == nonzero.len() => StabilityClass::StableNode,
        (k, true) if k == nonzero.len() => StabilityClass::StableFocus,
        (0, false) => StabilityClass::UnstableNode,
        (0, true) => StabilityClass::UnstableFocus,
        _ => StabilityClass::Saddle,
    }
}

/// P-RNN-25: the class of a point whose `M` has one zero eigenvalue (det M = 0, e.g. on the optimal
/// manifold), decided exactly from the signs of `tr`, `E2` and the discriminant `tr² − 4E2` of the
/// reduced polynomial `λ² − tr λ + E2` of M (J = −M flips the signs of the eigenvalues):
/// `E2 < 0` saddle; `E2 > 0, tr > 0` stable (node if `tr² ≥ 4E2`, else focus); `E2 > 0, tr < 0`
/// unstable (node or focus); `E2 = 0` or `tr = 0` degenerate.
pub fn classify_reduced<T: Real>(tr: &T, e2: &T) -> StabilityClass {
    let sign = |x: &T| {
        if x.is_zero() {
            0
        } else if x.to_f64() > 0.0 {
            1
        } else {
            -1
        }
    };
    let disc = tr.clone() * tr.clone() - T::from_i64(4) * e2.clone();
    let focus = sign(&disc) < 0;
    match (sign(e2), sign(tr)) {
        (-1, _) => StabilityClass::Saddle,
        (0, _) | (_, 0) => StabilityClass::Degenerate,
        (_, 1) if focus => StabilityClass::StableFocus,
        (_, 1) => StabilityClass::StableNode,
        _ if focus => StabilityClass::UnstableFocus,
        _ => StabilityClass::UnstableNode,
    }
}

/// The full per-mode picture at one point: loss, update, ODE Jacobian, eigenvalues and class
/// (what `lro modes` prints). Every number in it is finite: [`report`] refuses a point where any
/// would overflow.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModeReport {
    /// Rule name.
    pub rule: String,
    /// Horizon ("inf" or T).
    pub horizon: String,
    /// Loss at the point.
    pub loss: f64,
    /// The update (Δa, Δb, Δw).
    pub update: UpdateReport,
    /// `J = −∂Δ/∂θ` (= −M), rows.
    pub jacobian: Mat3<f64>,
    /// Eigenvalues of J = −M (the negatives of M's eigenvalues).
    pub eigenvalues: Vec<EigenReport>,
    /// Whether the point is a fixed point of the learning ODE: `max |Δ|` at most
    /// [`crate::tolerances::MODES_FIXED_POINT_REL`] times the scale `max(1, max|M|·max|θ|)`.
    pub fixed_point: bool,
    /// Stability class from J's eigenvalues; it describes the point only when
    /// [`ModeReport::fixed_point`] holds.
    pub class: StabilityClass,
}

/// `(Δa, Δb, Δw)` with JSON keys a, b, w.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UpdateReport {
    /// Δa.
    pub a: f64,
    /// Δb.
    pub b: f64,
    /// Δw.
    pub w: f64,
}

/// One eigenvalue `re + i im`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EigenReport {
    /// Real part.
    pub re: f64,
    /// Imaginary part.
    pub im: f64,
}

fn overflowed(what: &str, value: f64) -> LroError {
    LroError::OutOfDomain {
        name: what.into(),
        value,
        reason: "the value is not finite in f64 at this point (it overflows: |w| > 1 with a long \
                 horizon, or very large a, b); use a shorter horizon or smaller values"
            .into(),
    }
}

/// Computes the [`ModeReport`] at a point in f64 (Jacobian by `Dual<f64>`; the class uses
/// [`crate::tolerances::MODES_ZERO_EIGEN_REL`] relative to the Jacobian's scale). Refuses, with
/// [`LroError::OutOfDomain`], a point where the loss, the update or the Jacobian is not finite, and
/// never calls the eigenvalue routine on such a matrix.
pub fn report(
    rule: &ModeRule<f64>,
    m: &Mode<f64>,
    teacher: &Mode<f64>,
    horizon: Horizon,
) -> Result<ModeReport> {
    let l = super::loss(m, teacher, horizon)?;
    if !l.is_finite() {
        return Err(overflowed("the loss", l));
    }
    let u = update(rule, m, teacher, horizon)?;
    if let Some(x) = [u.a, u.b, u.w].into_iter().find(|x| !x.is_finite()) {
        return Err(overflowed("the update (Δa, Δb, Δw)", x));
    }
    let j = ode_jacobian(rule, m, teacher, horizon)?;
    if let Some(x) = j.iter().flatten().copied().find(|x| !x.is_finite()) {
        return Err(overflowed("the Jacobian J = −M", x));
    }
    let eig = try_eigenvalues(&j)?;
    let scale = j.iter().flatten().fold(0.0f64, |s, x| s.max(x.abs()));
    let class = classify(
        &eig,
        crate::tolerances::MODES_ZERO_EIGEN_REL * scale.max(1.0),
    );
    let theta = m.a.abs().max(m.b.abs()).max(m.w.abs());
    let step = u.a.abs().max(u.b.abs()).max(u.w.abs());
    let fixed_point = step <= crate::tolerances::MODES_FIXED_POINT_REL * (scale * theta).max(1.0);
    Ok(ModeReport {
        rule: rule.name(),
        horizon: horizon.to_string(),
        loss: l,
        update: UpdateReport {
            a: u.a,
            b: u.b,
            w: u.w,
        },
        jacobian: j,
        eigenvalues: eig
            .iter()
            .map(|z| EigenReport { re: z.re, im: z.im })
            .collect(),
        fixed_point,
        class,
    })
}
