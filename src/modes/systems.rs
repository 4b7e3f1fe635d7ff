//! The learning flows `dθ/dτ = −Δθ` as [`crate::ode::System`]s: n independent per-mode systems, and the
//! full-matrix expected-update flow of an RNN (`docs/theory/linear-rnn.md#update-ode`, `docs/theory/modes.md`; P-RNN-29 … P-RNN-34).
use super::{Horizon, ModeRule, update};
use crate::error::{LroError, Result};
use crate::ode::System;
use crate::rnn::{Mode, Rnn, StudentTeacher};
use crate::rules::{Loss, Rule, expected};
use crate::scalar::Real;
use nalgebra::DMatrix;

/// n uncoupled per-mode flows: state `[a_1, b_1, w_1, a_2, …]`, mode i driven by `teachers[i]`
/// under `rules[i]` (RFLO modes differ in their feedback gain â_i).
#[derive(Clone, Debug)]
pub struct ModeFlow<T: Real> {
    /// Per-mode rule.
    pub rules: Vec<ModeRule<T>>,
    /// Per-mode teacher.
    pub teachers: Vec<Mode<T>>,
    /// Horizon of the per-mode formulas.
    pub horizon: Horizon,
}

impl<T: Real> ModeFlow<T> {
    /// One mode.
    pub fn single(rule: ModeRule<T>, teacher: Mode<T>, horizon: Horizon) -> Self {
        ModeFlow {
            rules: vec![rule],
            teachers: vec![teacher],
            horizon,
        }
    }
}

/// Flattens modes into `[a_1, b_1, w_1, …]`.
pub fn pack_modes<T: Real>(modes: &[Mode<T>]) -> Vec<T> {
    modes
        .iter()
        .flat_map(|m| [m.a.clone(), m.b.clone(), m.w.clone()])
        .collect()
}

/// Inverse of [`pack_modes`].
pub fn unpack_modes<T: Real>(y: &[T]) -> Vec<Mode<T>> {
    y.chunks(3)
        .map(|c| Mode::new(c[0].clone(), c[1].clone(), c[2].clone()))
        .collect()
}

impl<T: Real> System<T> for ModeFlow<T> {
    fn rhs(&self, y: &[T]) -> Result<Vec<T>> {
        if y.len() != 3 * self.teachers.len() || self.rules.len() != self.teachers.len() {
            return Err(LroError::ShapeMismatch {
                context: "ModeFlow".into(),
                detail: format!(
                    "state of length {} for {} modes and {} rules",
                    y.len(),
                    self.teachers.len(),
                    self.rules.len()
                ),
            });
        }
        let mut out = Vec::with_capacity(y.len());
        for ((m, r), t) in unpack_modes(y).iter().zip(&self.rules).zip(&self.teachers) {
            let u = update(r, m, t, self.horizon)?;
            out.extend([-u.a, -u.b, -u.w]);
        }
        Ok(out)
    }
    fn in_domain(&self, y: &[T]) -> bool {
        match self.horizon {
            Horizon::Finite(_) => true,
            Horizon::Infinite => y.chunks(3).all(|c| c[2].to_f64().abs() < 1.0),
        }
    }
    fn domain(&self) -> &str {
        match self.horizon {
            Horizon::Finite(_) => "everywhere",
            Horizon::Infinite => "the domain of the T → ∞ formulas, |w| < 1",
        }
    }
}

/// The full-matrix expected-update flow `d(A, W, B)/dτ = −Δ(A, W, B)` of a rule at horizon T
/// (final-step loss), with state `[vec A, vec W, vec B]` (column-major).
#[derive(Clone, Debug)]
pub struct MatrixFlow<T: Real> {
    /// The rule.
    pub rule: Rule<T>,
    /// The teacher network.
    pub teacher: Rnn<T>,
    /// Horizon T of the expected updates.
    pub horizon: usize,
    /// Student shape (o, n, d).
    pub shape: (usize, usize, usize),
    /// If true, the domain is `ρ(W) < 1` (spectral radius in f64), so that a finite-T run can be
    /// compared with T → ∞ per-mode formulas.
    pub require_stable_w: bool,
}

impl<T: Real> MatrixFlow<T> {
    /// The flow of `rule` for a student of `student`'s shape learning `teacher`.
    pub fn new(rule: Rule<T>, student: &Rnn<T>, teacher: Rnn<T>, horizon: usize) -> Self {
        MatrixFlow {
            rule,
            teacher,
            horizon,
            shape: (student.o(), student.n(), student.d()),
            require_stable_w: false,
        }
    }

    /// The network with parameters packed in `y`.
    pub fn unpack(&self, y: &[T]) -> Result<Rnn<T>> {
        let (o, n, d) = self.shape;
        if y.len() != o * n + n * n + n * d {
            return Err(LroError::ShapeMismatch {
                context: "MatrixFlow::unpack".into(),
                detail: format!(
                    "state of length {} for (o, n, d) = ({o}, {n}, {d})",
                    y.len()
                ),
            });
        }
        let a = DMatrix::from_column_slice(o, n, &y[..o * n]);
        let w = DMatrix::from_column_slice(n, n, &y[o * n..o * n + n * n]);
        let b = DMatrix::from_column_slice(n, d, &y[o * n + n * n..]);
        Rnn::new(a, w, b)
    }
}

/// Packs a network's `(A, W, B)` column-major, as [`MatrixFlow`] expects.
pub fn pack_net<T: Real>(net: &Rnn<T>) -> Vec<T> {
    net.a()
        .iter()
        .chain(net.w().iter())
        .chain(net.b().iter())
        .cloned()
        .collect()
}

/// Iteration cap of the Schur decomposition in [`spectral_radius`] (a small dense matrix converges
/// in a few sweeps per eigenvalue).
pub const SPECTRAL_RADIUS_MAX_ITER: usize = 10_000;

/// Spectral radius of an f64 square matrix. A matrix with a non-finite entry, or one whose Schur
/// iteration does not converge within [`SPECTRAL_RADIUS_MAX_ITER`], has radius `+∞` (outside every
/// stability domain), so the routine always returns and never loops.
pub fn spectral_radius(w: &DMatrix<f64>) -> f64 {
    if !w.iter().all(|x| x.is_finite()) || !w.is_square() {
        return f64::INFINITY;
    }
    match nalgebra::Schur::try_new(w.clone(), f64::EPSILON, SPECTRAL_RADIUS_MAX_ITER) {
        Some(schur) => schur
            .complex_eigenvalues()
            .iter()
            .map(|z| z.norm())
            .fold(0.0, crate::linalg::worse),
        None => f64::INFINITY,
    }
}

impl<T: Real> System<T> for MatrixFlow<T> {
    fn rhs(&self, y: &[T]) -> Result<Vec<T>> {
        let st = StudentTeacher::new(self.unpack(y)?, self.teacher.clone())?;
        let u = expected::update(&self.rule, &st, self.horizon, Loss::Final)?;
        Ok(u.a
            .iter()
            .chain(u.w.iter())
            .chain(u.b.iter())
            .map(|x| -x.clone())
            .collect())
    }
    fn in_domain(&self, y: &[T]) -> bool {
        if !self.require_stable_w {
            return true;
        }
        match self.unpack(y) {
            Ok(net) => spectral_radius(&crate::linalg::to_f64(net.w())) < 1.0,
            Err(_) => false,
        }
    }
    fn domain(&self) -> &str {
        if self.require_stable_w {
            "spectral radius of W below 1"
        } else {
            "everywhere"
        }
    }
}
