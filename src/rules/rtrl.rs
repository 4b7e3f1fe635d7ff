//! RTRL (Williams & Zipser 1989; `docs/theory/linear-rnn.md#online` `[standard]`): forward-mode influence matrices.
//!
//! `M_t = J_t M_{t-1} + I_t` with `J_t = (1 − α)I + α diag(φ'(u_t)) W` and the immediate influence
//! `I_t[k, (i, j)] = α φ'(u_t)_k δ_ki h_{t-1, j}` (the same with `x_{t-1}` for B). The gradient of a
//! loss at step t is `M_tᵀ Aᵀ c_t ε_t`. Storage is n × n² (and n × nd), cost O(n⁴) per step.
//!
//! The influence matrices are advanced by one in-place matrix product per step into a preallocated
//! buffer (`gemm`, multi-threaded for f64 at large n), and the gradient by one `gemv` per loss step.
use super::online::Sample;
use crate::faults::{self, Fault};
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};

/// `m ← jac · m + I_t` with `I_t[i, (i, j)] = gain_i pre_j`; `tmp` is scratch of m's shape.
/// Under [`Fault::RtrlDropsPropagation`] the propagated term is dropped (`m ← I_t`).
fn advance<T: Real>(
    m: &mut DMatrix<T>,
    tmp: &mut DMatrix<T>,
    jac: &DMatrix<T>,
    gain: &DVector<T>,
    pre: &DVector<T>,
    drop_propagation: bool,
) {
    let cols = pre.len();
    if drop_propagation {
        m.fill(T::zero());
    } else {
        tmp.gemm(T::one(), jac, m, T::zero());
        std::mem::swap(m, tmp);
    }
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
    let drop = faults::active(Fault::RtrlDropsPropagation);
    let (mut mw, mut tw) = (DMatrix::<T>::zeros(n, n * n), DMatrix::<T>::zeros(n, n * n));
    let (mut mb, mut tb) = (DMatrix::<T>::zeros(n, n * d), DMatrix::<T>::zeros(n, n * d));
    let (mut gw, mut gb) = (DVector::<T>::zeros(n * n), DVector::<T>::zeros(n * d));
    let mut sig = DVector::<T>::zeros(n);
    for t in 1..=s.xs.len() {
        let dphi = &s.traj.dphi[t - 1];
        let gain = dphi * alpha.clone();
        // J_t = (1 − α) I + diag(gain) W
        let mut jac = DMatrix::from_fn(n, n, |i, j| gain[i].clone() * s.net.w()[(i, j)].clone());
        if !alpha.is_one() {
            for i in 0..n {
                jac[(i, i)] += T::one() - alpha.clone();
            }
        }
        advance(&mut mw, &mut tw, &jac, &gain, &s.traj.h[t - 1], drop);
        advance(&mut mb, &mut tb, &jac, &gain, &s.xs[t - 1], drop);
        if let Some(e) = &s.errs[t - 1] {
            sig.gemv_tr(T::one(), s.net.a(), e, T::zero());
            gw.gemv_tr(T::one(), &mw, &sig, T::one());
            gb.gemv_tr(T::one(), &mb, &sig, T::one());
        }
    }
    (reshape(&gw, n, n), reshape(&gb, n, d))
}
