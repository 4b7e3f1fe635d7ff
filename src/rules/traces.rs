//! Eligibility-trace rules: RFLO and e-prop (spec §3.3). One implementation; the rules differ only
//! in the trace decay and the learning signal.
//!
//! Per synapse (i, j): `e_t[i, j] = λ_t[i] e_{t-1}[i, j] + α φ'(u_t)_i pre_{t-1, j}`, with
//! `pre = h` for W and `x` for B; at each loss step `ΔW[i, j] += (Fᵀ c_t ε_t)_i e_t[i, j]`.
//! - RFLO: `λ_t[i] = ŵ` (scalar surrogate Jacobian), `F = R`.
//! - e-prop: `λ_t[i] = 1 − α + α φ'(u_t)_i W_ii` (diagonal of the true Jacobian), `F = R` or `A`.
//!
//! In the linear RNN every row of the RFLO trace equals `e^h_t = ŵ e^h_{t-1} + h_{t-1}`, so each update
//! is an outer product whose left factor lies in `col(Rᵀ)` (the mechanism of Proposition 3.1).
use super::online::Sample;
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};

fn run<T: Real>(
    s: &Sample<T>,
    feedback: &DMatrix<T>,
    decay: impl Fn(usize) -> DVector<T>,
) -> (DMatrix<T>, DMatrix<T>) {
    let (n, d) = (s.net.n(), s.net.d());
    let alpha = s.net.alpha().clone();
    let (mut eh, mut ex) = (DMatrix::<T>::zeros(n, n), DMatrix::<T>::zeros(n, d));
    let (mut dw, mut db) = (DMatrix::<T>::zeros(n, n), DMatrix::<T>::zeros(n, d));
    for t in 1..=s.xs.len() {
        let lam = decay(t);
        let gain = &s.traj.dphi[t - 1] * alpha.clone();
        let (h, x) = (&s.traj.h[t - 1], &s.xs[t - 1]);
        for i in 0..n {
            for j in 0..n {
                eh[(i, j)] = lam[i].clone() * eh[(i, j)].clone() + gain[i].clone() * h[j].clone();
            }
            for j in 0..d {
                ex[(i, j)] = lam[i].clone() * ex[(i, j)].clone() + gain[i].clone() * x[j].clone();
            }
        }
        if let Some(e) = &s.errs[t - 1] {
            let sig = feedback.transpose() * e;
            for i in 0..n {
                for j in 0..n {
                    dw[(i, j)] += sig[i].clone() * eh[(i, j)].clone();
                }
                for j in 0..d {
                    db[(i, j)] += sig[i].clone() * ex[(i, j)].clone();
                }
            }
        }
    }
    (dw, db)
}

/// RFLO with feedback R and scalar surrogate ŵ.
pub(super) fn rflo<T: Real>(s: &Sample<T>, r: &DMatrix<T>, w_hat: &T) -> (DMatrix<T>, DMatrix<T>) {
    let n = s.net.n();
    run(s, r, |_| DVector::from_element(n, w_hat.clone()))
}

/// e-prop (linear-rate form) with learning-signal feedback F (R or A).
pub(super) fn eprop<T: Real>(s: &Sample<T>, f: &DMatrix<T>) -> (DMatrix<T>, DMatrix<T>) {
    let n = s.net.n();
    let alpha = s.net.alpha().clone();
    run(s, f, |t| {
        DVector::from_fn(n, |i, _| {
            T::one() - alpha.clone()
                + alpha.clone() * s.traj.dphi[t - 1][i].clone() * s.net.w()[(i, i)].clone()
        })
    })
}
