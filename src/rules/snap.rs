//! SnAp-k (Menick et al. 2021, `[standard]`; `docs/theory/linear-rnn.md#snap`): RTRL's influence
//! matrix kept only on a sparsity pattern.
//!
//! RTRL advances `M_t = J_t M_{t−1} + I_t` (n × p, column (i, j) for the parameter W_ij or B_ij),
//! `J_t = (1 − α)I + diag(α φ′(u_t)) W`. SnAp-k keeps entry `(k, (i, j))` only if unit k can be
//! reached from unit i in at most k − 1 steps of the network's connectivity (the pattern of W, self
//! loops included): `M_t = P ⊙ (J_t M_{t−1} + I_t)`. SnAp-1 keeps `k = i` only; with a dense W,
//! SnAp-2 keeps everything and is RTRL. The gradient is RTRL's readout `M_tᵀ Aᵀ c_t ε_t`.
//!
//! This is a reference implementation (dense n × p storage, O(n²p) per step), for checks, not
//! speed.
use super::{Loss, Update};
use crate::error::{LroError, Result};
use crate::faults::{self, Fault};
use crate::rnn::Rnn;
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};

/// Which units reach which: `reach[(k, i)]` is true if unit k is reachable from unit i in at most
/// `order − 1` steps along the connectivity `connected[(k, i)]` (an edge i → k), self loops
/// included. `order ≥ 1`.
pub fn reach(connected: &DMatrix<bool>, order: usize) -> Result<DMatrix<bool>> {
    let n = connected.nrows();
    if order == 0 || connected.ncols() != n {
        return Err(LroError::InvalidParameter {
            name: "SnAp order".into(),
            reason: "need an order k ≥ 1 and a square n×n connectivity".into(),
        });
    }
    let mut r = DMatrix::from_fn(n, n, |k, i| k == i);
    for _ in 1..order {
        let prev = r.clone();
        for k in 0..n {
            for i in 0..n {
                if !prev[(k, i)] {
                    r[(k, i)] = (0..n).any(|l| connected[(k, l)] && prev[(l, i)]);
                }
            }
        }
    }
    Ok(r)
}

/// The connectivity of a weight matrix: an edge i → k where `W_ki ≠ 0`, decided on the value as
/// f64 (for a dual number its value part: a zero weight carrying a derivative direction is still
/// absent), so every number kind masks the same entries. A nonzero weight below f64's smallest
/// subnormal counts as absent.
pub fn connectivity<T: Real>(w: &DMatrix<T>) -> DMatrix<bool> {
    w.map(|x| x.to_f64() != 0.0)
}

/// SnAp-`order`'s update for one sample, the connectivity read from the network's W.
pub fn update<T: Real>(
    net: &Rnn<T>,
    xs: &[DVector<T>],
    targets: &[DVector<T>],
    loss: Loss,
    order: usize,
) -> Result<Update<T>> {
    let (o, n, d) = (net.o(), net.n(), net.d());
    let horizon = xs.len();
    let keep = reach(&connectivity(net.w()), order)?;
    let (traj, c) = super::uoro::forward_and_weight("SnAp", net, xs, targets, loss)?;
    let mask_first = faults::active(Fault::SnapMaskBeforePropagation);
    let alpha = net.alpha().clone();
    let p = n * n + n * d;
    // Column (i, j) of a parameter W_ij is i·n + j, of B_ij is n² + i·d + j; both belong to unit i.
    let unit = |col: usize| {
        if col < n * n {
            col / n
        } else {
            (col - n * n) / d
        }
    };
    let mask = |m: &mut DMatrix<T>| {
        for col in 0..p {
            let i = unit(col);
            for k in 0..n {
                if !keep[(k, i)] {
                    m[(k, col)] = T::zero();
                }
            }
        }
    };
    let mut m = DMatrix::<T>::zeros(n, p);
    let mut grad = DVector::<T>::zeros(p);
    let mut da = DMatrix::<T>::zeros(o, n);
    for t in 1..=horizon {
        let gain = &traj.dphi[t - 1] * alpha.clone();
        let mut jac = DMatrix::from_fn(n, n, |k, l| gain[k].clone() * net.w()[(k, l)].clone());
        for k in 0..n {
            jac[(k, k)] += T::one() - alpha.clone();
        }
        if mask_first {
            mask(&mut m);
        }
        m = &jac * &m;
        let (h, x) = (&traj.h[t - 1], &xs[t - 1]);
        for i in 0..n {
            for j in 0..n {
                m[(i, i * n + j)] += gain[i].clone() * h[j].clone();
            }
            for j in 0..d {
                m[(i, n * n + i * d + j)] += gain[i].clone() * x[j].clone();
            }
        }
        if !mask_first {
            mask(&mut m);
        }
        if loss == Loss::Sequence || t == horizon {
            let eps = (&traj.y[t - 1] - &targets[t - 1]) * c.clone();
            da += &eps * traj.h[t].transpose();
            let sig = net.a().transpose() * &eps;
            grad += m.transpose() * sig;
        }
    }
    let g = grad.as_slice();
    Ok(Update {
        a: da,
        w: DMatrix::from_fn(n, n, |i, j| g[i * n + j].clone()),
        b: DMatrix::from_fn(n, d, |i, j| g[n * n + i * d + j].clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dual weight whose value is 0 is absent even with a derivative part, as in f64.
    #[test]
    fn connectivity_reads_the_value_part() {
        use crate::scalar::Dual;
        let w = DMatrix::from_fn(2, 2, |k, i| Dual::new(if k == i { 0.5 } else { 0.0 }, 1.0));
        assert_eq!(connectivity(&w), DMatrix::from_fn(2, 2, |k, i| k == i));
    }

    #[test]
    fn reach_of_a_chain() {
        // 0 → 1 → 2 (edge i → k where connected[(k, i)])
        let c = DMatrix::from_fn(3, 3, |k, i| k == i + 1);
        let r1 = reach(&c, 1).unwrap();
        assert_eq!(r1, DMatrix::from_fn(3, 3, |k, i| k == i));
        let r2 = reach(&c, 2).unwrap();
        assert!(r2[(1, 0)] && r2[(2, 1)] && !r2[(2, 0)] && !r2[(0, 1)]);
        let r3 = reach(&c, 3).unwrap();
        assert!(r3[(2, 0)] && !r3[(0, 2)]);
        assert!(reach(&c, 0).is_err());
    }
}
