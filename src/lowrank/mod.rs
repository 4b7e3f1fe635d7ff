//! Rank and column-space tools for Proposition 3.1 (`docs/theory/lowrank.md`) and its contrasts (`docs/theory/lowrank.md#other-rules`).
//!
//! - Exact (over [`crate::scalar::Rational`]): `col(X) ⊆ col(M)` iff `rank([M | X]) = rank(M)`,
//!   with ranks by exact elimination ([`linalg::exact_rank`]). No tolerance.
//! - f64: singular-value gaps `σ_{k+1}/σ_1` and projector residuals `‖(I − Q Qᵀ) X‖_max` with Q an
//!   orthonormal basis of `col(M)` (for M = Rᵀ this is `(I − Rᵀ(Rᵀ)⁺) X`), both held to the named
//!   tolerances of [`crate::tolerances`].
//! - e-prop's Krylov space `span{Rᵀ, D Rᵀ, …, D^{T−1} Rᵀ}`, `D = diag(W)` (`docs/theory/lowrank.md#other-rules`,
//!   `[derived, unchecked]`): with horizon T every e-prop update of one step lies in the order-T
//!   space at that step's D (derived for this project: for the final-step loss the per-synapse trace
//!   gives `ΔW = Σ_{t=1}^{T} D^{T−t} Rᵀ ε_T h_{t−1}ᵀ` and the same with `x_{t−1}` for ΔB; since
//!   `h_0 = 0`, ΔW needs only order T − 1). Over K steps D moves, so the change lies in the sum of
//!   the K spaces at the visited D (`docs/theory/lowrank.md#other-rules` states one fixed D and no order; this is the refined
//!   form checked here).
//!
//! The student–teacher experiment of `docs/theory/linear-rnn.md#experiments` is in [`experiment`].
pub mod cases;
pub mod edges;
pub mod experiment;
pub mod rank_performance;

use crate::error::{LroError, Result};
use crate::linalg;
use crate::rnn::Rnn;
use crate::scalar::Real;
use crate::tolerances;
use nalgebra::DMatrix;

/// The change `θ_K − θ_0` of every block between two networks of equal shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Change<T: Real> {
    /// `A_K − A_0` (o×n).
    pub a: DMatrix<T>,
    /// `W_K − W_0` (n×n).
    pub w: DMatrix<T>,
    /// `B_K − B_0` (n×d).
    pub b: DMatrix<T>,
}

impl<T: Real> Change<T> {
    /// `after − before`, block by block.
    pub fn between(before: &Rnn<T>, after: &Rnn<T>) -> Result<Self> {
        if (before.o(), before.n(), before.d()) != (after.o(), after.n(), after.d()) {
            return Err(LroError::ShapeMismatch {
                context: "Change::between".into(),
                detail: "the two networks must have the same (o, n, d)".into(),
            });
        }
        Ok(Change {
            a: after.a() - before.a(),
            w: after.w() - before.w(),
            b: after.b() - before.b(),
        })
    }

    /// The stacked n×(n + d) change `[W_K − W_0 | B_K − B_0]` (`docs/theory/lowrank.md#scope`).
    pub fn stacked(&self) -> DMatrix<T> {
        hcat(&self.w, &self.b)
    }

    /// Entrywise conversion to f64.
    pub fn to_f64(&self) -> Change<f64> {
        Change {
            a: linalg::to_f64(&self.a),
            w: linalg::to_f64(&self.w),
            b: linalg::to_f64(&self.b),
        }
    }
}

/// `[x | y]`: horizontal concatenation (the row counts must agree; an empty side is allowed).
pub fn hcat<T: Real>(x: &DMatrix<T>, y: &DMatrix<T>) -> DMatrix<T> {
    let rows = if x.ncols() == 0 { y.nrows() } else { x.nrows() };
    DMatrix::from_fn(rows, x.ncols() + y.ncols(), |i, j| {
        if j < x.ncols() {
            x[(i, j)].clone()
        } else {
            y[(i, j - x.ncols())].clone()
        }
    })
}

/// Exact: `rank([basis | x]) − rank(basis)`, the number of independent directions of `col(x)`
/// outside `col(basis)`. Zero iff `col(x) ⊆ col(basis)`. Meaningful over `Rational`.
pub fn excess_rank_exact<T: Real>(basis: &DMatrix<T>, x: &DMatrix<T>) -> usize {
    linalg::exact_rank(&hcat(basis, x)) - linalg::exact_rank(basis)
}

/// Exact: whether `col(x) ⊆ col(basis)`.
pub fn col_space_contains_exact<T: Real>(basis: &DMatrix<T>, x: &DMatrix<T>) -> bool {
    excess_rank_exact(basis, x) == 0
}

/// The number of singular values above `rel_gap · σ_1` (f64). Zero for the zero matrix.
pub fn numerical_rank(m: &DMatrix<f64>, rel_gap: f64) -> usize {
    let s = linalg::singular_values(m);
    match s.first() {
        None => 0,
        Some(&0.0) => 0,
        Some(&s1) => s.iter().filter(|&&v| v > rel_gap * s1).count(),
    }
}

/// `σ_{k+1} / max(σ_1, scale)`: how far the (k+1)-th singular value is from zero, relative to the
/// larger of the top singular value and a parameter scale. Rounding in `θ_K − θ_0` is relative to
/// the parameters, not to their change, so a change much smaller than the parameters is judged
/// against the parameters' scale (pass `scale = 0` for the plain ratio `σ_{k+1}/σ_1`).
/// Zero when there are at most k singular values or the matrix is zero.
pub fn sv_gap(m: &DMatrix<f64>, k: usize, scale: f64) -> f64 {
    let s = linalg::singular_values(m);
    let denom = s.first().copied().unwrap_or(0.0).max(scale);
    match s.get(k) {
        Some(&v) if denom > 0.0 => v / denom,
        _ => 0.0,
    }
}

/// An orthonormal basis (n×r) of `col(m)`, keeping left singular vectors with
/// `σ > RANK_REL_GAP · σ_1`.
pub fn orthonormal_basis(m: &DMatrix<f64>) -> DMatrix<f64> {
    let n = m.nrows();
    if m.ncols() == 0 || n == 0 {
        return DMatrix::zeros(n, 0);
    }
    let svd = m.clone().svd(true, false);
    let u = svd.u.expect("requested U");
    let s1 = svd
        .singular_values
        .iter()
        .copied()
        .fold(0.0, crate::linalg::worse);
    let keep: Vec<usize> = (0..svd.singular_values.len())
        .filter(|&i| s1 > 0.0 && svd.singular_values[i] > tolerances::RANK_REL_GAP * s1)
        .collect();
    DMatrix::from_fn(n, keep.len(), |i, j| u[(i, keep[j])])
}

/// `‖(I − Q Qᵀ) x‖_max` with Q an orthonormal basis of `col(basis)` (for `basis = Rᵀ`, the
/// projector `Rᵀ(Rᵀ)⁺` of P-RNN-35). Zero (to rounding) iff `col(x) ⊆ col(basis)`.
pub fn projector_residual(basis: &DMatrix<f64>, x: &DMatrix<f64>) -> f64 {
    let q = orthonormal_basis(basis);
    let proj = &q * (q.transpose() * x);
    linalg::max_abs(&(x - proj))
}

/// `diag(W)` as an n×n matrix: e-prop's surrogate Jacobian D (`docs/theory/linear-rnn.md#online`, `docs/theory/lowrank.md#other-rules`).
pub fn diag_part<T: Real>(w: &DMatrix<T>) -> DMatrix<T> {
    DMatrix::from_fn(w.nrows(), w.ncols(), |i, j| {
        if i == j { w[(i, i)].clone() } else { T::zero() }
    })
}

/// The order-`order` block Krylov matrix `[Rᵀ, D Rᵀ, …, D^{order−1} Rᵀ]` (n × o·order), with
/// `D = diag(w)` (`docs/theory/lowrank.md#other-rules`).
pub fn krylov<T: Real>(w: &DMatrix<T>, r: &DMatrix<T>, order: usize) -> DMatrix<T> {
    let d = diag_part(w);
    let mut block = r.transpose();
    let mut out = DMatrix::zeros(w.nrows(), 0);
    for _ in 0..order {
        out = hcat(&out, &block);
        block = &d * block;
    }
    out
}

/// The sum of e-prop's order-T Krylov spaces over the networks at which its K updates were
/// computed (`path[0..K]`, i.e. every state but the last): the space that contains
/// `col(W_K − W_0)` and `col(B_K − B_0)` (derived for this project, P-RNN-37).
pub fn krylov_union<T: Real>(path: &[Rnn<T>], r: &DMatrix<T>, horizon: usize) -> DMatrix<T> {
    let n = r.ncols();
    let mut out = DMatrix::zeros(n, 0);
    for net in path {
        out = hcat(&out, &krylov(net.w(), r, horizon));
    }
    out
}

/// The largest absolute parameter of two networks: the scale against which f64 rounding in
/// `θ_K − θ_0` is judged.
pub fn param_scale<T: Real>(before: &Rnn<T>, after: &Rnn<T>) -> f64 {
    [before, after]
        .iter()
        .map(|n| {
            linalg::max_abs(n.a())
                .max(linalg::max_abs(n.w()))
                .max(linalg::max_abs(n.b()))
        })
        .fold(0.0, crate::linalg::worse)
}
