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
//! costs O(T) matrix products. An untruncated rule (M = T) skips both `F_m` and `S_m`: swapping the
//! double sum gives `ΔW = Σ_j Λ_j (W^j B)ᵀ` with the adjoint recursion `Λ_j = F_0ᵀ G_{j+1} + Mᵀ Λ_{j+1}`
//! (see `untruncated`), the flops of reverse-mode differentiation of the expected loss. The sequence-loss update is `(1/T) Σ_{t=1}^T` of the final-step update
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

mod adjoint;
#[cfg(test)]
use adjoint::CHUNK_MIN_COLS;
use adjoint::untruncated;

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
    /// `[G_0ᵀ, …, G_{T-1}ᵀ]` side by side (d × T o).
    g_tt: DMatrix<T>,
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

impl<T: Real> Lags<T> {
    /// The lags with `G_k` weighted by `(T − k)/T`. For an untruncated rule the sequence-loss
    /// update `(1/T) Σ_{h=1}^{T}` (final-step update at horizon h) equals the final-step update of
    /// these weighted lags `[derived]`: in `ΔA = Σ_k G_k (W^k B)ᵀ` and in the adjoint sums each
    /// term holds exactly one `G_k`, which enters the horizons h = k + 1 … T, that is T − k of them.
    /// One pass instead of T (tested against the average over horizons, over Q).
    fn weighted_for_sequence(&self) -> Lags<T> {
        let (h, d) = (self.horizon(), self.d);
        let o = self.g.nrows();
        let mut g = self.g.clone();
        let extra = usize::from(faults::active(Fault::SequenceWeightOffByOne));
        for k in 0..h {
            let c = T::from_i64((h - k + extra) as i64) / T::from_i64(h as i64);
            for x in g.columns_mut(k * d, d).iter_mut() {
                x.mul_by(&c);
            }
        }
        let mut g_rows = DMatrix::zeros(h * o, d);
        for k in 0..h {
            g_rows.rows_mut(k * o, o).copy_from(&g.columns(k * d, d));
        }
        Lags {
            wb: self.wb.clone(),
            g_t: g.transpose(),
            g_tt: g_rows.transpose(),
            g,
            g_rows,
            d,
        }
    }
}

/// Whether a rule's expected update at horizon h sums every lag (M = h): all but tBPTT(k), k < h.
fn untruncated_at<T: Real>(rule: &Rule<T>, h: usize) -> bool {
    match rule {
        Rule::Tbptt { k } => truncation(*k) >= h,
        _ => true,
    }
}

/// tBPTT's truncation as the expected update applies it (the fault keeps one lag too many).
fn truncation(k: usize) -> usize {
    if faults::active(Fault::ExpectedTruncationOffByOne) {
        k + 1
    } else {
        k
    }
}

/// Fewest states at which the lag recursions advance in wide blocks: below it the products are
/// small enough that the squarings cost more than the thin products they replace.
const BLOCKED_MIN_STATES: usize = 16;

/// The stride (in lag blocks) at which a lag recursion with `cols`-column blocks on n states
/// advances: the smallest power of two J with `J · cols ≥ n` (at most `h`), so that each product is
/// at least n×n×n and runs at the blocked kernel's rate; J = 1 (the plain recursion) below
/// [`BLOCKED_MIN_STATES`]. The choice depends on the sizes only, never on the number kind, so every
/// kind runs the same sequence of operations (exact rationals stay exact at any stride).
fn stride_for(n: usize, cols: usize, h: usize) -> usize {
    if n < BLOCKED_MIN_STATES {
        return 1;
    }
    let mut j = 1;
    while j * cols.max(1) < n && 2 * j <= h {
        j *= 2;
    }
    j
}

/// `[M⁰X, M¹X, …, M^{h-1}X]` side by side, by block doubling: with the first j blocks filled, the
/// next j are `M^j [M⁰X, …, M^{j-1}X]`, one wide product, and `M^j` is squared, until j reaches
/// `stride`; then each product `M^J [blocks k−J … k−1]` fills the next J blocks. `stride = 1` is the
/// plain recursion `M^k X = M (M^{k-1} X)`; every stride gives the same matrix in exact arithmetic.
fn powers_times<T: Real>(m: &DMatrix<T>, x: &DMatrix<T>, h: usize, stride: usize) -> DMatrix<T> {
    let (n, d) = x.shape();
    let mut out = DMatrix::zeros(n, h * d);
    if h == 0 {
        return out;
    }
    out.columns_mut(0, d).copy_from(x);
    let mut p = m.clone(); // M^j
    let (mut j, mut filled) = (1, 1);
    while filled < h {
        let step = j.min(h - filled);
        if linalg::is_f64::<T>() {
            let (src, mut dst) = out.columns_range_pair_mut(
                (filled - j) * d..(filled - j + step) * d,
                filled * d..(filled + step) * d,
            );
            linalg::gemm(&mut dst, T::one(), &p, &src, T::zero());
        } else {
            // Other number kinds: in-place column loops (nalgebra's generic product clones
            // every term).
            let (head, tail) = out.as_mut_slice().split_at_mut(filled * d * n);
            let src = &head[(filled - j) * d * n..(filled - j + step) * d * n];
            linalg::cols_into(&mut tail[..step * d * n], &p, src, n, false);
        }
        filled += step;
        if j < stride && filled == 2 * j && filled < h {
            p = &p * &p;
            j *= 2;
        }
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
    let stride = stride_for(s.n(), d, horizon);
    // The student's and the teacher's powers are independent: side by side when that pays.
    let parallel = linalg::parallel_pays::<T>(s.n() * s.n() * horizon * d);
    let (wb, wb_teacher) = linalg::join(
        parallel,
        || powers_times(s.w(), s.b(), horizon, stride),
        || powers_times(t.w(), t.b(), horizon, stride),
    );
    let mut g = DMatrix::zeros(o, horizon * d);
    linalg::gemm(&mut g, T::one(), s.a(), &wb, T::zero());
    linalg::gemm(&mut g, -T::one(), t.a(), &wb_teacher, T::one());
    let mut g_rows = DMatrix::zeros(horizon * o, d);
    for k in 0..horizon {
        g_rows.rows_mut(k * o, o).copy_from(&g.columns(k * d, d));
    }
    let g_t = g.transpose();
    let g_tt = g_rows.transpose();
    Lags {
        wb,
        g,
        g_rows,
        g_t,
        g_tt,
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
    let svt = state_covariances_t(st, &lags, horizon);
    Ok((0..horizon)
        .map(|m| svt.columns(m * o, o).transpose())
        .collect())
}

/// Fewest columns (outputs o) at which the f64 covariance recursion uses the blocked kernel.
const S_BLOCKED_MIN_COLS: usize = 5;

/// `[S_0ᵀ, …, S_{h-1}ᵀ]` side by side (n × h o) for horizon h, by the transposed recursion
/// `S_mᵀ = B G_{m+1}ᵀ + W S_{m+1}ᵀ`: the inputs `B G_{m+1}ᵀ` for every m in one product, then one
/// n×n by n×o product per lag.
fn state_covariances_t<T: Real>(st: &StudentTeacher<T>, lags: &Lags<T>, h: usize) -> DMatrix<T> {
    let s = &st.student;
    let o = s.o();
    let mut svt = DMatrix::<T>::zeros(s.n(), h * o);
    if h < 2 {
        return svt;
    }
    linalg::gemm(
        &mut svt.columns_mut(0, (h - 1) * o),
        T::one(),
        s.b(),
        &lags.g_tt.columns(o, (h - 1) * o),
        T::zero(),
    );
    let w = if faults::active(Fault::ExpectedLagTranspose) {
        s.w().transpose()
    } else {
        s.w().clone()
    };
    let n = s.n();
    // The same W multiplies every lag: f64 products with many columns go to the blocked kernel;
    // narrow ones (and every other number kind) run the column loops, which do not repack W.
    let blocked = linalg::is_f64::<T>() && o >= S_BLOCKED_MIN_COLS;
    for m in (0..h - 1).rev() {
        if blocked {
            let (mut cur, next) =
                svt.columns_range_pair_mut(m * o..(m + 1) * o, (m + 1) * o..(m + 2) * o);
            linalg::gemm(&mut cur, T::one(), &w, &next, T::one());
        } else {
            let (head, tail) = svt.as_mut_slice().split_at_mut((m + 1) * o * n);
            linalg::cols_into(&mut head[m * o * n..], &w, &tail[..o * n], n, true);
        }
    }
    svt
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
    linalg::gemm(
        &mut a_t,
        T::one(),
        &lags.wb.columns(0, h * d),
        &lags.g_t.rows(0, h * d),
        T::zero(),
    );
    let a = a_t.transpose();
    // F_0ᵀ and the step F_{m+1}ᵀ = Mᵀ F_mᵀ (or ŵ F_mᵀ).
    let (f0, back, depth) = match rule {
        Rule::Bptt | Rule::Rtrl => (s.a(), Back::Right(s.w().transpose()), h),
        Rule::Tbptt { k } => (s.a(), Back::Right(s.w().transpose()), truncation(*k).min(h)),
        Rule::Rflo { feedback, w_hat } => (feedback, Back::Scale(w_hat.clone()), h),
        Rule::Eprop { feedback } => {
            let f0 = match feedback {
                Feedback::Random(r) => r,
                Feedback::Symmetric => s.a(),
            };
            let diag = (0..n).map(|i| s.w()[(i, i)].clone()).collect();
            (f0, Back::Diag(diag), h)
        }
        Rule::Uoro { .. }
        | Rule::KfRtrl { .. }
        | Rule::ReverseKfRtrl { .. }
        | Rule::Snap { .. } => {
            unreachable!("mapped by closed_form_rule before final_step")
        }
    };
    let f0t = f0.transpose();
    if depth == h {
        let (w, b) = untruncated(st, lags, h, &f0t, &back);
        return Update { a, w, b };
    }
    let svt = state_covariances_t(st, lags, h);
    // [F_0ᵀ, …, F_{depth-1}ᵀ] side by side (n × depth o).
    let mut ft = match &back {
        Back::Right(mt) => powers_times(mt, &f0t, depth, stride_for(n, o, depth)),
        _ => DMatrix::<T>::zeros(n, depth * o),
    };
    if !matches!(back, Back::Right(_)) && depth > 0 {
        ft.columns_mut(0, o).copy_from(&f0t);
    }
    for m in 1..depth {
        let (prev, mut next) = ft.columns_range_pair_mut((m - 1) * o..m * o, m * o..(m + 1) * o);
        match &back {
            Back::Right(_) => break,
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
    linalg::gemm_nt(
        &mut w.as_view_mut(),
        T::one(),
        &ft.as_view(),
        &svt,
        0..depth * o,
        T::zero(),
    );
    linalg::gemm(
        &mut b,
        T::one(),
        &ft,
        &lags.g_rows.rows(0, depth * o),
        T::zero(),
    );
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
    let rule = &closed_form_rule(rule, &st.student)?;
    let lags = lags(st, horizon);
    Ok(match loss {
        Loss::Final => final_step(rule, st, &lags, horizon),
        Loss::Sequence if untruncated_at(rule, horizon) => {
            final_step(rule, st, &lags.weighted_for_sequence(), horizon)
        }
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

/// The rule whose closed form gives `rule`'s expected update. SnAp-1 keeps each unit's own
/// influence, whose recursion `M[i,(i,j)] ← J_ii M[i,(i,j)] + α φ′_i pre_j` is e-prop's trace with
/// the readout as feedback (for any W); SnAp-k with k ≥ 2 on a W whose reach covers every pair
/// keeps the whole influence matrix and is RTRL (`[derived]`, checked against the online rules in
/// the tests). The stochastic rules have no closed form for a fixed draw sequence.
fn closed_form_rule<T: Real>(rule: &Rule<T>, net: &crate::rnn::Rnn<T>) -> Result<Rule<T>> {
    match rule {
        Rule::Uoro { .. } | Rule::KfRtrl { .. } | Rule::ReverseKfRtrl { .. } => {
            Err(LroError::Unsupported(format!(
                "{}: a fixed sequence of draws has no closed-form expectation over inputs; use \
             online::update per sample (the expectation over draws is RTRL's update)",
                rule.name()
            )))
        }
        Rule::Snap { order: 1 } => Ok(Rule::Eprop {
            feedback: Feedback::Symmetric,
        }),
        Rule::Snap { order } => {
            let reach = super::snap::reach(&super::snap::connectivity(net.w()), *order)?;
            if reach.iter().all(|&r| r) {
                Ok(Rule::Bptt)
            } else {
                Err(LroError::Unsupported(format!(
                    "snap:{order} on a W whose {order}-step reach leaves out some unit pairs has \
                     no closed form here; use online::update, or an order at which W reaches \
                     every unit"
                )))
            }
        }
        other => Ok(other.clone()),
    }
}

#[cfg(test)]
mod tests;
