//! BPTT and k-step truncated BPTT (spec §3.3), for any leak α and activation φ:
//! `du_t = α φ'(u_t) ⊙ δh_t`, `ΔW += du_t h_{t-1}ᵀ`, `ΔB += du_t x_{t-1}ᵀ`,
//! `δh_{t-1} = (1 − α) δh_t + Wᵀ du_t`.
use super::online::Sample;
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};

/// One backward step from `δh_t`: accumulates into (ΔW, ΔB) and returns `δh_{t-1}`.
fn step<T: Real>(
    s: &Sample<T>,
    t: usize,
    dh: &DVector<T>,
    dw: &mut DMatrix<T>,
    db: &mut DMatrix<T>,
) -> DVector<T> {
    let alpha = s.net.alpha().clone();
    let du = dh.component_mul(&s.traj.dphi[t - 1]) * alpha.clone();
    *dw += &du * s.traj.h[t - 1].transpose();
    *db += &du * s.xs[t - 1].transpose();
    let back = s.net.w().transpose() * &du;
    if alpha.is_one() {
        back
    } else {
        back + dh * (T::one() - alpha)
    }
}

/// Full BPTT: one adjoint pass from t = T down to 1, injecting `Aᵀ c_t ε_t` at each loss step.
pub(super) fn full<T: Real>(s: &Sample<T>) -> (DMatrix<T>, DMatrix<T>) {
    let (n, d) = (s.net.n(), s.net.d());
    let (mut dw, mut db) = (DMatrix::zeros(n, n), DMatrix::zeros(n, d));
    let mut dh = DVector::zeros(n);
    for t in (1..=s.xs.len()).rev() {
        if let Some(e) = &s.errs[t - 1] {
            dh += s.net.a().transpose() * e;
        }
        dh = step(s, t, &dh, &mut dw, &mut db);
    }
    (dw, db)
}

/// k-step tBPTT: from every loss step t, backpropagate only through steps t, t − 1, …, t − k + 1.
pub(super) fn truncated<T: Real>(s: &Sample<T>, k: usize) -> (DMatrix<T>, DMatrix<T>) {
    let (n, d) = (s.net.n(), s.net.d());
    let (mut dw, mut db) = (DMatrix::zeros(n, n), DMatrix::zeros(n, d));
    for t in 1..=s.xs.len() {
        let Some(e) = &s.errs[t - 1] else { continue };
        let mut dh = s.net.a().transpose() * e;
        for tau in (t.saturating_sub(k) + 1..=t).rev() {
            dh = step(s, tau, &dh, &mut dw, &mut db);
        }
    }
    (dw, db)
}
