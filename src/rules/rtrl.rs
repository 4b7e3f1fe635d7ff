//! RTRL (Williams & Zipser 1989; `docs/theory/linear-rnn.md#online` `[standard]`): forward-mode influence matrices.
//!
//! `M_t = J_t M_{t-1} + I_t` with `J_t = (1 − α)I + α diag(φ'(u_t)) W` and the immediate influence
//! `I_t[k, (i, j)] = α φ'(u_t)_k δ_ki h_{t-1, j}` (the same with `x_{t-1}` for B). The gradient of a
//! loss at step t is `M_tᵀ Aᵀ c_t ε_t`. Storage is n × n² (and n × nd), cost O(n⁴) per step.
//!
//! The influence matrices of W and B are stored side by side and advanced by one matrix product per
//! step into a preallocated buffer (`gemm`, multi-threaded for f64 at large n; skipped at the first
//! step, where `M_0 = 0`), and the gradient by one `gemv` per loss step.
use super::online::Sample;
use crate::faults::{self, Fault};
use crate::linalg;
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};

/// `m ← jac · m + I_t` with `I_t[i, (i, j)] = gain_i pre_j` in the column blocks `off + i·cols`
/// (for W: `pre = h_{t-1}`, for B: `pre = x_{t-1}`); `tmp` is scratch of m's shape. The propagated
/// term is skipped while m is still exactly zero (`fresh`), and dropped under
/// [`Fault::RtrlDropsPropagation`] (`m ← I_t`).
fn advance<T: Real>(
    m: &mut DMatrix<T>,
    tmp: &mut DMatrix<T>,
    jac: &DMatrix<T>,
    gain: &DVector<T>,
    pres: [(&DVector<T>, usize); 2],
    fresh: bool,
    drop_propagation: bool,
) {
    if drop_propagation {
        m.fill(T::zero());
    } else if !fresh {
        linalg::gemm(tmp, T::one(), jac, m, T::zero());
        std::mem::swap(m, tmp);
    }
    for (pre, off) in pres {
        let cols = pre.len();
        for (i, g) in gain.iter().enumerate() {
            for (j, p) in pre.iter().enumerate() {
                m[(i, off + i * cols + j)] += g.clone() * p.clone();
            }
        }
    }
}

fn reshape<T: Real>(g: &[T], rows: usize, cols: usize) -> DMatrix<T> {
    DMatrix::from_fn(rows, cols, |i, j| g[i * cols + j].clone())
}

/// The influence matrices of W and B side by side, `M_t = [M^W_t | M^B_t]` (n × (n² + n d)), so
/// each step is one product `J_t M_{t-1}`.
pub(super) fn forward_mode<T: Real>(s: &Sample<T>) -> (DMatrix<T>, DMatrix<T>) {
    let (n, d) = (s.net.n(), s.net.d());
    let alpha = s.net.alpha().clone();
    let drop = faults::active(Fault::RtrlDropsPropagation);
    let width = n * n + n * d;
    let (mut m, mut tmp) = (DMatrix::<T>::zeros(n, width), DMatrix::<T>::zeros(n, width));
    let mut g = DVector::<T>::zeros(width);
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
        let pres = [(&s.traj.h[t - 1], 0), (&s.xs[t - 1], n * n)];
        advance(&mut m, &mut tmp, &jac, &gain, pres, t == 1, drop);
        if let Some(e) = &s.errs[t - 1] {
            sig.gemv_tr(T::one(), s.net.a(), e, T::zero());
            g.gemv_tr(T::one(), &m, &sig, T::one());
        }
    }
    let g = g.as_slice();
    (reshape(&g[..n * n], n, n), reshape(&g[n * n..], n, d))
}
