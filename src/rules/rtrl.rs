//! RTRL (Williams & Zipser 1989; spec §3.3 `[standard]`): forward-mode influence matrices.
//!
//! `M_t = J_t M_{t-1} + I_t` with `J_t = (1 − α)I + α diag(φ'(u_t)) W` and the immediate influence
//! `I_t[k, (i, j)] = α φ'(u_t)_k δ_ki h_{t-1, j}` (the same with `x_{t-1}` for B). The gradient of a
//! loss at step t is `M_tᵀ Aᵀ c_t ε_t`. Storage is n × n² (and n × nd), cost O(n⁴) per step.
use super::online::Sample;
use crate::linalg;
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};

fn advance<T: Real>(m: &mut DMatrix<T>, jac: &DMatrix<T>, gain: &DVector<T>, pre: &DVector<T>) {
    let cols = pre.len();
    *m = jac * &*m;
    for i in 0..gain.len() {
        for j in 0..cols {
            m[(i, i * cols + j)] += gain[i].clone() * pre[j].clone();
        }
    }
}

fn reshape<T: Real>(g: &DVector<T>, rows: usize, cols: usize) -> DMatrix<T> {
    DMatrix::from_fn(rows, cols, |i, j| g[i * cols + j].clone())
}

pub(super) fn forward_mode<T: Real>(s: &Sample<T>) -> (DMatrix<T>, DMatrix<T>) {
    let (n, d) = (s.net.n(), s.net.d());
    let alpha = s.net.alpha().clone();
    let mut mw = DMatrix::<T>::zeros(n, n * n);
    let mut mb = DMatrix::<T>::zeros(n, n * d);
    let (mut gw, mut gb) = (DVector::<T>::zeros(n * n), DVector::<T>::zeros(n * d));
    for t in 1..=s.xs.len() {
        let dphi = &s.traj.dphi[t - 1];
        let gain = dphi * alpha.clone();
        let mut jac = DMatrix::from_fn(n, n, |i, j| gain[i].clone() * s.net.w()[(i, j)].clone());
        jac += linalg::identity::<T>(n) * (T::one() - alpha.clone());
        advance(&mut mw, &jac, &gain, &s.traj.h[t - 1]);
        advance(&mut mb, &jac, &gain, &s.xs[t - 1]);
        if let Some(e) = &s.errs[t - 1] {
            let sig = s.net.a().transpose() * e;
            gw += mw.transpose() * &sig;
            gb += mb.transpose() * &sig;
        }
    }
    (reshape(&gw, n, n), reshape(&gb, n, d))
}
