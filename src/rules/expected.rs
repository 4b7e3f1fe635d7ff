//! Expected loss and updates over white input, in closed form (spec §2.3 and §3.2, `[derived]`).
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
//! e-prop `R diag(W)^m` or `A diag(W)^m` (M = T, `[derived, unchecked]` in the spec).
//! `S_m` is computed by the recursion `S_{T-1} = 0`, `S_m = G_{m+1} Bᵀ + S_{m+1} Wᵀ`, so an update
//! costs O(T) matrix products. The sequence-loss update is `(1/T) Σ_{t=1}^T` of the final-step update
//! at horizon t (spec §3.3, Appendix H reading). Only the linear RNN (α = 1, identity) has these closed
//! forms; other networks give [`LroError::Unsupported`].
use super::{Feedback, Loss, Rule, Update};
use crate::error::{LroError, Result};
use crate::linalg;
use crate::rnn::StudentTeacher;
use crate::scalar::Real;
use nalgebra::DMatrix;

/// How the backward operator advances with the lag m.
enum Back<T: Real> {
    /// `F_{m+1} = F_m M`.
    Right(DMatrix<T>),
    /// `F_{m+1} = c F_m`.
    Scale(T),
}

/// Precomputed `W^k B` and `G_k` for k < T.
struct Lags<T: Real> {
    wb: Vec<DMatrix<T>>,
    g: Vec<DMatrix<T>>,
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
    let mut wb = Vec::with_capacity(horizon);
    let mut g = Vec::with_capacity(horizon);
    let (mut cur, mut cur_t) = (s.b().clone(), t.b().clone());
    for _ in 0..horizon {
        g.push(s.a() * &cur - t.a() * &cur_t);
        let next = s.w() * &cur;
        cur_t = t.w() * &cur_t;
        wb.push(std::mem::replace(&mut cur, next));
    }
    Lags { wb, g }
}

/// The lag-k impulse-response errors `G_k = A W^k B − A* W*^k B*` for k < T (spec §2.3).
pub fn lag_errors<T: Real>(st: &StudentTeacher<T>, horizon: usize) -> Result<Vec<DMatrix<T>>> {
    check(st, horizon)?;
    Ok(lags(st, horizon).g)
}

/// The error–state covariances `S_m = E[ε_T h_{T-1-m}ᵀ] = Σ_{k=m+1}^{T-1} G_k (W^{k-1-m} B)ᵀ` for
/// m < T (spec §3.2, P-RNN-3), by the recursion `S_{T-1} = 0`, `S_m = G_{m+1} Bᵀ + S_{m+1} Wᵀ`.
pub fn error_state_covariances<T: Real>(
    st: &StudentTeacher<T>,
    horizon: usize,
) -> Result<Vec<DMatrix<T>>> {
    check(st, horizon)?;
    let lags = lags(st, horizon);
    Ok(state_covariances(st, &lags.g))
}

fn state_covariances<T: Real>(st: &StudentTeacher<T>, g: &[DMatrix<T>]) -> Vec<DMatrix<T>> {
    let s = &st.student;
    let h = g.len();
    let mut sm = vec![DMatrix::<T>::zeros(s.o(), s.n()); h];
    let bt = s.b().transpose();
    let wt = s.w().transpose();
    for m in (0..h.saturating_sub(1)).rev() {
        sm[m] = &g[m + 1] * &bt + &sm[m + 1] * &wt;
    }
    sm
}

/// P-RNN-1 / P-RNN-4: `E[L_T] = ½ Σ_{k<T} ‖G_k‖_F²`, and
/// `E[L_seq] = 1/(2T) Σ_{t=1}^{T} Σ_{k<t} ‖G_k‖_F²` (`[derived]`).
pub fn loss<T: Real>(st: &StudentTeacher<T>, horizon: usize, loss: Loss) -> Result<T> {
    check(st, horizon)?;
    let g = lags(st, horizon).g;
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

/// The expected final-step update at horizon `h ≤ lags.len()`.
fn final_step<T: Real>(
    rule: &Rule<T>,
    st: &StudentTeacher<T>,
    lags: &Lags<T>,
    h: usize,
) -> Update<T> {
    let s = &st.student;
    let (o, n, d) = (s.o(), s.n(), s.d());
    let g = &lags.g[..h];
    let mut a = DMatrix::zeros(o, n);
    for (gk, wbk) in g.iter().zip(&lags.wb) {
        a += gk * wbk.transpose();
    }
    let sm = state_covariances(st, g);
    let diag_w = DMatrix::from_fn(n, n, |i, j| {
        if i == j {
            s.w()[(i, i)].clone()
        } else {
            T::zero()
        }
    });
    // F_0 and the step F_{m+1} = F_m · M (or F_m · ŵ).
    let (mut f, back, depth) = match rule {
        Rule::Bptt | Rule::Rtrl => (s.a().clone(), Back::Right(s.w().clone()), h),
        Rule::Tbptt { k } => (s.a().clone(), Back::Right(s.w().clone()), (*k).min(h)),
        Rule::Rflo { feedback, w_hat } => (feedback.clone(), Back::Scale(w_hat.clone()), h),
        Rule::Eprop { feedback } => {
            let f0 = match feedback {
                Feedback::Random(r) => r.clone(),
                Feedback::Symmetric => s.a().clone(),
            };
            (f0, Back::Right(diag_w), h)
        }
    };
    let (mut w, mut b) = (DMatrix::zeros(n, n), DMatrix::zeros(n, d));
    for m in 0..depth {
        let ft = f.transpose();
        b += &ft * &g[m];
        w += &ft * &sm[m];
        f = match &back {
            Back::Right(m) => &f * m,
            Back::Scale(c) => &f * c.clone(),
        };
    }
    Update { a, w, b }
}

/// A rule's exact expected update over white input (spec §3.2), final-step or sequence loss.
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
