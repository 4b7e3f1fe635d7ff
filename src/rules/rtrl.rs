//! RTRL (Williams & Zipser 1989; `docs/theory/linear-rnn.md#online` `[standard]`): forward-mode influence matrices.
//!
//! `M_t = J_t M_{t-1} + I_t` with `J_t = (1 − α)I + α diag(φ'(u_t)) W` and the immediate influence
//! `I_t[k, (i, j)] = α φ'(u_t)_k δ_ki h_{t-1, j}` (the same with `x_{t-1}` for B). The gradient of a
//! loss at step t is `M_tᵀ Aᵀ c_t ε_t`. Storage is n × n² (and n × nd), cost O(n⁴) per step.
//!
//! Early in a sequence M is kept factored (`docs/theory/linear-rnn.md#rtrl-factored`, `[derived]`):
//! `M_t[:, (i, j)] = Σ_{s ≤ t} P_{t,s}[:, i] pre_s[j]` with `P_{t,t} = diag(α φ'(u_t))`,
//! `P_{t,s} = J_t P_{t−1,s}` and `pre_s = (h_{s−1}; x_{s−1})`. It is the same recursion with the
//! products associated differently: exact over Q, and per step n³(t − 1) multiply-adds instead of
//! n³(n + d). It is used while it holds no more numbers than the dense M ([`factored_limit`]);
//! then M is written out once and advanced densely, one matrix product per step into a
//! preallocated buffer (`gemm`, multi-threaded for f64 at large n). P-RNN-10 checks RTRL against
//! BPTT with instances in both regimes.
use super::online::Sample;
use crate::faults::{self, Fault};
use crate::linalg;
use crate::scalar::Real;
use nalgebra::{DMatrix, DMatrixView, DVector};

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

/// The most Kronecker terms the factored influence keeps: with t terms it holds `t (n² + n + d)`
/// numbers (t blocks `P_{t,s}` and t presynaptic vectors), at most the dense M's `n² (n + d)`
/// while t is at most this; each step's product then costs `n³ (t − 1) < n³ (n + d)`.
fn factored_limit(n: usize, d: usize) -> usize {
    (n * n * (n + d)).checked_div(n * n + n + d).unwrap_or(0)
}

/// The influence as `len` Kronecker terms: `p` holds `P_{t,1} … P_{t,len}` side by side
/// (n × n each), row s of `pre` holds `pre_s = (h_{s−1}; x_{s−1})`; `tmp` and `v` are scratch.
struct Factored<T: Real> {
    p: DMatrix<T>,
    tmp: DMatrix<T>,
    pre: DMatrix<T>,
    v: DVector<T>,
    len: usize,
}

impl<T: Real> Factored<T> {
    fn new(n: usize, d: usize, cap: usize) -> Self {
        Factored {
            p: DMatrix::zeros(n, n * cap),
            tmp: DMatrix::zeros(n, n * cap),
            pre: DMatrix::zeros(cap, n + d),
            v: DVector::zeros(n * cap),
            len: 0,
        }
    }

    /// `P_{t,s} = J_t P_{t−1,s}` for the kept terms (none under [`Fault::RtrlDropsPropagation`]),
    /// then the new term `P_{t,t} = diag(gain)` with `pre_t`.
    fn advance(&mut self, jac: &DMatrix<T>, gain: &DVector<T>, pre: [&DVector<T>; 2], drop: bool) {
        let n = jac.nrows();
        if drop {
            self.len = 0;
        } else if self.len > 0 {
            let width = n * self.len;
            linalg::gemm(
                &mut self.tmp.columns_mut(0, width),
                T::one(),
                jac,
                &self.p.columns(0, width),
                T::zero(),
            );
            std::mem::swap(&mut self.p, &mut self.tmp);
        }
        let mut block = self.p.columns_mut(n * self.len, n);
        block.fill(T::zero());
        for (i, g) in gain.iter().enumerate() {
            block[(i, i)] = g.clone();
        }
        let mut row = self.pre.row_mut(self.len);
        for (j, x) in pre[0].iter().chain(pre[1].iter()).enumerate() {
            row[j] = x.clone();
        }
        self.len += 1;
    }

    /// `grad += Mᵀ sig` in the n × (n + d) layout `[ΔW | ΔB]`: `v_s = P_{t,s}ᵀ sig` (column s of
    /// V, n × len), then `grad += V · pre`.
    fn add_gradient(&mut self, grad: &mut DMatrix<T>, sig: &DVector<T>) {
        let width = self.p.nrows() * self.len;
        self.v
            .rows_mut(0, width)
            .gemv_tr(T::one(), &self.p.columns(0, width), sig, T::zero());
        let vm = DMatrixView::from_slice(&self.v.as_slice()[..width], self.p.nrows(), self.len);
        linalg::gemm(grad, T::one(), &vm, &self.pre.rows(0, self.len), T::one());
    }

    /// The dense `M = [M^W | M^B]` (n × (n² + n d)): the column block of unit i is
    /// `Q_i · pre` with `Q_i = (P_{t,1}[:, i] … P_{t,len}[:, i])`.
    fn dense(&self, d: usize) -> DMatrix<T> {
        let n = self.p.nrows();
        let mut m = DMatrix::zeros(n, n * n + n * d);
        if self.len == 0 {
            return m;
        }
        let pre = self.pre.rows(0, self.len);
        for i in 0..n {
            let q = self.p.columns_with_step(i, self.len, n - 1);
            let blocks = [
                (i * n, pre.columns(0, n)),
                (n * n + i * d, pre.columns(n, d)),
            ];
            for (off, pre) in blocks {
                let cols = pre.ncols();
                linalg::gemm(&mut m.columns_mut(off, cols), T::one(), &q, &pre, T::zero());
            }
        }
        m
    }
}

/// `(ΔW, ΔB)` by RTRL: factored for the first [`factored_limit`] steps, dense after.
pub(super) fn forward_mode<T: Real>(s: &Sample<T>) -> (DMatrix<T>, DMatrix<T>) {
    forward_mode_with(s, factored_limit(s.net.n(), s.net.d()))
}

/// [`forward_mode`] keeping at most `limit` factored terms (0: dense from the first step).
fn forward_mode_with<T: Real>(s: &Sample<T>, limit: usize) -> (DMatrix<T>, DMatrix<T>) {
    let (n, d) = (s.net.n(), s.net.d());
    let alpha = s.net.alpha().clone();
    let drop = faults::active(Fault::RtrlDropsPropagation);
    let cap = limit.min(s.xs.len());
    let mut fac = Factored::new(n, d, cap);
    // The dense M, its scratch and its gradient `Mᵀ σ` summed over the loss steps.
    let mut dense: Option<(DMatrix<T>, DMatrix<T>, DVector<T>)> = None;
    let mut grad = DMatrix::<T>::zeros(n, n + d);
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
        let (h, x) = (&s.traj.h[t - 1], &s.xs[t - 1]);
        if dense.is_none() && fac.len == cap {
            // Freed in turn, so that at most the terms and M (each no larger than M) are alive.
            fac.tmp = DMatrix::zeros(0, 0);
            let m = fac.dense(d);
            fac = Factored::new(n, d, 0);
            let (tmp, g) = (
                DMatrix::zeros(m.nrows(), m.ncols()),
                DVector::zeros(m.ncols()),
            );
            dense = Some((m, tmp, g));
        }
        match &mut dense {
            Some((m, tmp, _)) => {
                let pres = [(h, 0), (x, n * n)];
                advance(m, tmp, &jac, &gain, pres, t == 1, drop);
            }
            None => fac.advance(&jac, &gain, [h, x], drop),
        }
        if let Some(e) = &s.errs[t - 1] {
            sig.gemv_tr(T::one(), s.net.a(), e, T::zero());
            match &mut dense {
                Some((m, _, g)) => g.gemv_tr(T::one(), m, &sig, T::one()),
                None => fac.add_gradient(&mut grad, &sig),
            }
        }
    }
    let (mut dw, mut db) = (
        grad.columns(0, n).into_owned(),
        grad.columns(n, d).into_owned(),
    );
    if let Some((_, _, g)) = &dense {
        let g = g.as_slice();
        dw += DMatrix::from_fn(n, n, |i, j| g[i * n + j].clone());
        db += DMatrix::from_fn(n, d, |i, j| g[n * n + i * d + j].clone());
    }
    (dw, db)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rnn::{Activation, Rnn};
    use crate::scalar::Rational;
    use crate::tolerances::{F64_IDENTITY_REL, ZERO_GUARD_F64};

    /// A leaky network (o = 2, n = 3, d = 2, α = ½) over any kind, T = 6 steps.
    fn problem<T: Real>(activation: Activation) -> (Rnn<T>, Vec<DVector<T>>, Vec<DVector<T>>) {
        let q = |a: i64, b: i64| T::ratio(a, b);
        let a = DMatrix::from_row_slice(
            2,
            3,
            &[q(1, 2), q(-1, 1), q(1, 3), q(0, 1), q(2, 3), q(-1, 4)],
        );
        let w = DMatrix::from_row_slice(
            3,
            3,
            &[
                q(1, 4),
                q(-1, 2),
                q(1, 5),
                q(1, 3),
                q(1, 8),
                q(-2, 7),
                q(-1, 6),
                q(3, 8),
                q(1, 9),
            ],
        );
        let b = DMatrix::from_row_slice(
            3,
            2,
            &[q(1, 1), q(-1, 2), q(0, 1), q(2, 3), q(1, 4), q(-1, 3)],
        );
        let net = Rnn::new(a, w, b)
            .unwrap()
            .with_leak(q(1, 2))
            .unwrap()
            .with_activation(activation);
        let xs = (0..6)
            .map(|t| DVector::from_fn(2, |i, _| q(t as i64 - 2 * i as i64, 3)))
            .collect();
        let ys = (0..6)
            .map(|t| DVector::from_fn(2, |i, _| q(i as i64 + 1, t as i64 + 2)))
            .collect();
        (net, xs, ys)
    }

    /// `(ΔW, ΔB)` with `limit` factored terms, final-step loss or every step's error.
    fn run<T: Real>(
        net: &Rnn<T>,
        xs: &[DVector<T>],
        ys: &[DVector<T>],
        every_step: bool,
        limit: usize,
    ) -> (DMatrix<T>, DMatrix<T>) {
        let traj = net.forward(xs).unwrap();
        let errs: Vec<_> = (0..xs.len())
            .map(|t| (every_step || t + 1 == xs.len()).then(|| &traj.y[t] - &ys[t]))
            .collect();
        let s = Sample {
            net,
            xs,
            traj: &traj,
            errs: &errs,
        };
        forward_mode_with(&s, limit)
    }

    /// Over Q the factored influence gives RTRL's dense update exactly whether it is
    /// written out before the first step (limit 0), after 1 or 3 terms, or never (limit 6 = T);
    /// a wrong index or transpose in either form breaks the equality.
    #[test]
    fn factored_and_dense_influence_agree_exactly_over_q() {
        let (net, xs, ys) = problem::<Rational>(Activation::Identity);
        for every_step in [false, true] {
            let dense = run(&net, &xs, &ys, every_step, 0);
            assert!(dense.0.iter().any(|x| x.to_f64() != 0.0));
            for limit in [1, 3, 6] {
                assert_eq!(
                    run(&net, &xs, &ys, every_step, limit),
                    dense,
                    "limit {limit}"
                );
            }
        }
    }

    /// The same in a tanh network over f64, to rounding.
    #[test]
    fn factored_and_dense_influence_agree_in_a_tanh_network() {
        let (net, xs, ys) = problem::<f64>(Activation::Tanh);
        let (dw, db) = run(&net, &xs, &ys, true, 0);
        let (fw, fb) = run(&net, &xs, &ys, true, 6);
        for (dense, factored) in [(&dw, &fw), (&db, &fb)] {
            let err = linalg::rel_diff(dense, factored, ZERO_GUARD_F64);
            assert!(err <= F64_IDENTITY_REL, "{err}");
        }
    }

    /// Never more numbers than the dense M, and at least one term from n = 2 on.
    #[test]
    fn factored_limit_bounds_the_storage() {
        for n in 1..40 {
            for d in 0..6 {
                let t = factored_limit(n, d);
                assert!(t * (n * n + n + d) <= n * n * (n + d), "n {n} d {d}");
                assert!((t + 1) * (n * n + n + d) > n * n * (n + d), "n {n} d {d}");
            }
        }
        assert_eq!(factored_limit(0, 3), 0);
        assert_eq!(factored_limit(64, 4), 66);
    }
}
