//! Expected loss and updates over white input, in closed form (`docs/theory/linear-rnn.md#losses` and `docs/theory/linear-rnn.md#expected-updates`, `[derived]`).
//!
//! With lag-k errors `G_k = A W^k B − A* W*^k B*` every rule's expected final-step update is
//!
//! ```text
//! ΔA = Σ_{k<T} G_k (W^k B)ᵀ
//! ΔB = Σ_{m<M} F_mᵀ G_m
//! ΔW = Σ_{m<M} F_mᵀ S_m,      S_m = Σ_{k=m+1}^{T-1} G_k (W^{k-1-m} B)ᵀ
//! ```
//!
//! and the rules differ only in the backward operator `F_m` and the truncation M:
//! BPTT/RTRL `A W^m` (M = T), k-step tBPTT `A W^m` (M = min(k, T)), RFLO `ŵ^m R` (M = T),
//! e-prop `R diag(W)^m` or `A diag(W)^m` (M = T, `[derived, unchecked]` in docs/theory).
//! `S_m` is computed by the recursion `S_{T-1} = 0`, `S_m = G_{m+1} Bᵀ + S_{m+1} Wᵀ`, so an update
//! costs O(T) matrix products. The sequence-loss update is `(1/T) Σ_{t=1}^T` of the final-step update
//! at horizon t (`docs/theory/linear-rnn.md#online`, Appendix H reading). Only the linear RNN (α = 1, identity) has these closed
//! forms; other networks give [`LroError::Unsupported`].
//!
//! The lags are stored side by side, `[W⁰B, W¹B, …]` (n × T d) and `[G_0, G_1, …]` (o × T d), and the
//! sums over lags are single matrix products over the stacked blocks (`ΔA = [G_k] [W^k B]ᵀ`,
//! `ΔW = [F_m]ᵀ [S_m]`, `ΔB = [F_m]ᵀ [G_m]` with the F, S and G blocks stacked vertically), so for
//! f64 the work runs in nalgebra's optimised (multi-threaded) matrix product.
use super::{Feedback, Loss, Rule, Update};
use crate::error::{LroError, Result};
use crate::faults::{self, Fault};
use crate::linalg;
use crate::rnn::StudentTeacher;
use crate::scalar::Real;
use nalgebra::{DMatrix, DMatrixView};

/// How the backward operator advances with the lag m.
enum Back<T: Real> {
    /// `F_{m+1} = F_m M`; holds `Mᵀ` (the recursion runs on `F_mᵀ`).
    Right(DMatrix<T>),
    /// `F_{m+1} = F_m diag(v)` (row i of `F_mᵀ` scaled by `v_i`).
    Diag(Vec<T>),
    /// `F_{m+1} = c F_m`.
    Scale(T),
}

/// Precomputed `W^k B` and `G_k` for k < T, stored side by side.
struct Lags<T: Real> {
    /// `[W⁰B, …, W^{T-1}B]` (n × T d).
    wb: DMatrix<T>,
    /// `[G_0, …, G_{T-1}]` (o × T d).
    g: DMatrix<T>,
    /// `[G_0; …; G_{T-1}]` stacked vertically (T o × d).
    g_rows: DMatrix<T>,
    /// `[G_0ᵀ; …; G_{T-1}ᵀ]` stacked vertically (T d × o).
    g_t: DMatrix<T>,
    d: usize,
}

impl<T: Real> Lags<T> {
    fn horizon(&self) -> usize {
        self.g.ncols() / self.d
    }

    fn g_block(&self, k: usize) -> DMatrixView<'_, T> {
        self.g.columns(k * self.d, self.d)
    }

    fn blocks(&self) -> Vec<DMatrix<T>> {
        (0..self.horizon())
            .map(|k| self.g_block(k).into_owned())
            .collect()
    }
}

/// `[M⁰X, M¹X, …, M^{h-1}X]` side by side, each block by one product from the previous.
fn powers_times<T: Real>(m: &DMatrix<T>, x: &DMatrix<T>, h: usize) -> DMatrix<T> {
    let (n, d) = x.shape();
    let mut out = DMatrix::zeros(n, h * d);
    out.columns_mut(0, d).copy_from(x);
    for k in 1..h {
        let (prev, mut next) = out.columns_range_pair_mut((k - 1) * d..k * d, k * d..(k + 1) * d);
        next.gemm(T::one(), m, &prev, T::zero());
    }
    out
}

fn check<T: Real>(st: &StudentTeacher<T>, horizon: usize) -> Result<()> {
    if horizon == 0 {
        return Err(LroError::ZeroHorizon);
    }
    if !st.student.is_linear() || !st.teacher.is_linear() {
        return Err(LroError::Unsupported(
            "closed-form expectations exist only for the linear RNN (leak alpha = 1, identity activation); \
             use Monte-Carlo means of the online updates for leaky or tanh networks"
                .into(),
        ));
    }
    Ok(())
}

fn lags<T: Real>(st: &StudentTeacher<T>, horizon: usize) -> Lags<T> {
    let (s, t) = (&st.student, &st.teacher);
    let (o, d) = (s.o(), s.d());
    let wb = powers_times(s.w(), s.b(), horizon);
    let wb_teacher = powers_times(t.w(), t.b(), horizon);
    let mut g = DMatrix::zeros(o, horizon * d);
    g.gemm(T::one(), s.a(), &wb, T::zero());
    g.gemm(-T::one(), t.a(), &wb_teacher, T::one());
    let mut g_rows = DMatrix::zeros(horizon * o, d);
    for k in 0..horizon {
        g_rows.rows_mut(k * o, o).copy_from(&g.columns(k * d, d));
    }
    let g_t = g.transpose();
    Lags {
        wb,
        g,
        g_rows,
        g_t,
        d,
    }
}

/// The lag-k impulse-response errors `G_k = A W^k B − A* W*^k B*` for k < T (`docs/theory/linear-rnn.md#losses`).
pub fn lag_errors<T: Real>(st: &StudentTeacher<T>, horizon: usize) -> Result<Vec<DMatrix<T>>> {
    check(st, horizon)?;
    Ok(lags(st, horizon).blocks())
}

/// The error–state covariances `S_m = E[ε_T h_{T-1-m}ᵀ] = Σ_{k=m+1}^{T-1} G_k (W^{k-1-m} B)ᵀ` for
/// m < T (`docs/theory/linear-rnn.md#expected-updates`, P-RNN-3), by the recursion `S_{T-1} = 0`, `S_m = G_{m+1} Bᵀ + S_{m+1} Wᵀ`.
pub fn error_state_covariances<T: Real>(
    st: &StudentTeacher<T>,
    horizon: usize,
) -> Result<Vec<DMatrix<T>>> {
    check(st, horizon)?;
    let lags = lags(st, horizon);
    let o = st.student.o();
    let sv = state_covariances(st, &lags, horizon);
    Ok((0..horizon)
        .map(|m| sv.rows(m * o, o).into_owned())
        .collect())
}

/// `[S_0; …; S_{h-1}]` stacked vertically (h o × n) for horizon h.
fn state_covariances<T: Real>(st: &StudentTeacher<T>, lags: &Lags<T>, h: usize) -> DMatrix<T> {
    let s = &st.student;
    let o = s.o();
    let mut sv = DMatrix::<T>::zeros(h * o, s.n());
    let bt = s.b().transpose();
    let wt = if faults::active(Fault::ExpectedLagTranspose) {
        s.w().clone()
    } else {
        s.w().transpose()
    };
    for m in (0..h.saturating_sub(1)).rev() {
        let (mut cur, next) = sv.rows_range_pair_mut(m * o..(m + 1) * o, (m + 1) * o..(m + 2) * o);
        cur.gemm(T::one(), &lags.g_block(m + 1), &bt, T::zero());
        cur.gemm(T::one(), &next, &wt, T::one());
    }
    sv
}

/// P-RNN-1 / P-RNN-4: `E[L_T] = ½ Σ_{k<T} ‖G_k‖_F²`, and
/// `E[L_seq] = 1/(2T) Σ_{t=1}^{T} Σ_{k<t} ‖G_k‖_F²` (`[derived]`).
pub fn loss<T: Real>(st: &StudentTeacher<T>, horizon: usize, loss: Loss) -> Result<T> {
    check(st, horizon)?;
    let g = lags(st, horizon).blocks();
    let half = T::ratio(1, 2);
    let mut partial = T::zero();
    let mut seq = T::zero();
    for gk in &g {
        partial += linalg::frob_sq(gk);
        seq += partial.clone();
    }
    Ok(match loss {
        Loss::Final => partial * half,
        Loss::Sequence => seq * half / T::from_i64(horizon as i64),
    })
}

/// The expected final-step update at horizon `h ≤ lags.horizon()`.
fn final_step<T: Real>(
    rule: &Rule<T>,
    st: &StudentTeacher<T>,
    lags: &Lags<T>,
    h: usize,
) -> Update<T> {
    let s = &st.student;
    let (o, n, d) = (s.o(), s.n(), s.d());
    // ΔAᵀ = Σ_{k<h} W^k B G_kᵀ, one product over the stacked blocks. (Every product here keeps its
    // left factor in plain column-major layout: nalgebra's small-matrix fallback misreads a left
    // factor whose columns are strided, so no transposed views.)
    let mut a_t = DMatrix::zeros(n, o);
    a_t.gemm(
        T::one(),
        &lags.wb.columns(0, h * d),
        &lags.g_t.rows(0, h * d),
        T::zero(),
    );
    let a = a_t.transpose();
    let sv = state_covariances(st, lags, h);
    let off_by_one = faults::active(Fault::ExpectedTruncationOffByOne);
    // F_0ᵀ and the step F_{m+1}ᵀ = Mᵀ F_mᵀ (or ŵ F_mᵀ).
    let (f0, back, depth) = match rule {
        Rule::Bptt | Rule::Rtrl => (s.a(), Back::Right(s.w().transpose()), h),
        Rule::Tbptt { k } => {
            let k = if off_by_one { *k + 1 } else { *k };
            (s.a(), Back::Right(s.w().transpose()), k.min(h))
        }
        Rule::Rflo { feedback, w_hat } => (feedback, Back::Scale(w_hat.clone()), h),
        Rule::Eprop { feedback } => {
            let f0 = match feedback {
                Feedback::Random(r) => r,
                Feedback::Symmetric => s.a(),
            };
            let diag = (0..n).map(|i| s.w()[(i, i)].clone()).collect();
            (f0, Back::Diag(diag), h)
        }
    };
    // [F_0ᵀ, …, F_{depth-1}ᵀ] side by side (n × depth o).
    let mut ft = DMatrix::<T>::zeros(n, depth * o);
    ft.columns_mut(0, o).copy_from(&f0.transpose());
    for m in 1..depth {
        let (prev, mut next) = ft.columns_range_pair_mut((m - 1) * o..m * o, m * o..(m + 1) * o);
        match &back {
            Back::Right(mt) => next.gemm(T::one(), mt, &prev, T::zero()),
            Back::Diag(v) => {
                for j in 0..o {
                    for (i, vi) in v.iter().enumerate() {
                        next[(i, j)] = vi.clone() * prev[(i, j)].clone();
                    }
                }
            }
            Back::Scale(c) => {
                next.copy_from(&prev);
                next *= c.clone();
            }
        }
    }
    // ΔW = Σ_m F_mᵀ S_m and ΔB = Σ_m F_mᵀ G_m, one product each.
    let (mut w, mut b) = (DMatrix::zeros(n, n), DMatrix::zeros(n, d));
    w.gemm(T::one(), &ft, &sv.rows(0, depth * o), T::zero());
    b.gemm(T::one(), &ft, &lags.g_rows.rows(0, depth * o), T::zero());
    Update { a, w, b }
}

/// A rule's exact expected update over white input (`docs/theory/linear-rnn.md#expected-updates`), final-step or sequence loss.
///
/// A scalar example worked by hand: student `(a, w, b) = (1, ½, 1)`, teacher `(1, 0, 2)`, T = 2.
/// The lag errors are `G_0 = ab − a*b* = −1` and `G_1 = awb − a*w*b* = ½`, so
/// `E[L_T] = ½(G_0² + G_1²) = 5/8` and its gradient is `∂/∂a = G_0 b + G_1 wb = −¾`,
/// `∂/∂w = G_1 ab = ½`, `∂/∂b = G_0 a + G_1 aw = −¾`. One-step tBPTT keeps only the lag-0 term
/// of the input update: `ΔB = G_0 a = −1`.
///
/// ```
/// use lro::rnn::{Rnn, StudentTeacher};
/// use lro::rules::{expected, Loss, Rule};
/// use lro::scalar::{Rational, Real};
/// use nalgebra::dmatrix;
///
/// let q = |n: i64, d: i64| Rational::ratio(n, d);
/// let rnn = |a, w, b| Rnn::new(dmatrix![a], dmatrix![w], dmatrix![b]);
/// let st = StudentTeacher::new(rnn(q(1, 1), q(1, 2), q(1, 1))?, rnn(q(1, 1), q(0, 1), q(2, 1))?)?;
///
/// assert_eq!(expected::loss(&st, 2, Loss::Final)?, q(5, 8));
/// let bptt = expected::update(&Rule::Bptt, &st, 2, Loss::Final)?;
/// assert_eq!((&bptt.a[0], &bptt.w[0], &bptt.b[0]), (&q(-3, 4), &q(1, 2), &q(-3, 4)));
/// let tbptt1 = expected::update(&Rule::Tbptt { k: 1 }, &st, 2, Loss::Final)?;
/// assert_eq!((&tbptt1.w[0], &tbptt1.b[0]), (&q(1, 2), &q(-1, 1)));
/// # Ok::<(), lro::LroError>(())
/// ```
pub fn update<T: Real>(
    rule: &Rule<T>,
    st: &StudentTeacher<T>,
    horizon: usize,
    loss: Loss,
) -> Result<Update<T>> {
    check(st, horizon)?;
    rule.validate(&st.student)?;
    let lags = lags(st, horizon);
    Ok(match loss {
        Loss::Final => final_step(rule, st, &lags, horizon),
        Loss::Sequence => {
            let s = &st.student;
            let mut acc = Update::zeros(s.o(), s.n(), s.d());
            let c = T::one() / T::from_i64(horizon as i64);
            for h in 1..=horizon {
                acc.add_scaled(&final_step(rule, st, &lags, h), c.clone());
            }
            acc
        }
    })
}
