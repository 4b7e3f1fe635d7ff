//! Efficient BPTT and future BPTT (the truncated-BPTT variants of Marschall, Cho & Savin 2020,
//! `[standard]` for the algorithms; `docs/theory/linear-rnn.md#windowed-bptt`), per sample in lro's
//! conventions.
//!
//! With the credit recursion of BPTT (`docs/theory/linear-rnn.md#online`): the learning signal of a
//! loss at step s is `q_s = Aᵀ c_s ε_s`; going back one step, `du_s = α φ′(u_s) ⊙ δh_s`,
//! `δh_{s−1} = (1 − α) δh_s + Wᵀ du_s`; the contribution of step s is `du_s pre_sᵀ` with
//! `pre_s = h_{s−1}` (ΔW) or `x_{s−1}` (ΔB).
//! - **Efficient BPTT** with window k: the steps form consecutive windows `[1, k], [k + 1, 2k], …`;
//!   in each window the losses of the window are backpropagated to the window's first step only
//!   (the state before the window held fixed), and the window's contributions are summed. The
//!   framework (`Efficient_BPTT.py`) returns a window's gradient at its last step and drops a
//!   trailing partial window; per sample, the sample's end closes the last window, so here a
//!   trailing partial window counts (`[derived]` reading for one sample). The per-sample update is
//!   the sum over windows.
//! - **Future BPTT** with horizon k: through every step t0 it backpropagates the losses
//!   `t0 … t0 + k − 1` (those that exist) and takes step t0's contribution; the framework
//!   (`Future_BPTT.py`) delivers that gradient k − 1 steps late, at step t0 + k − 1, and per sample
//!   the sample's end delivers the pending ones with the losses that exist. The per-sample update
//!   is the sum over t0. Every loss s then reaches back through the steps `s − k + 1 … s`: the same
//!   terms as k-step truncated BPTT, in another order (`[derived]`, checked in P-RNN-44).
//!
//! With k ≥ T both equal BPTT (hence RTRL) per sample; for k < T they differ from it and from each
//! other (P-RNN-44). Both are reference implementations, O(T·k·n²) per sample for future BPTT.
use super::uoro::forward_and_weight;
use super::{Loss, Update};
use crate::error::{LroError, Result};
use crate::faults::{self, Fault};
use crate::rnn::{Rnn, Trajectory};
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};

/// What both variants read: the forward pass, the learning signals `q_s` (None off the loss
/// steps), the readout update, and the accumulators.
struct Pass<'a, T: Real> {
    net: &'a Rnn<T>,
    xs: &'a [DVector<T>],
    traj: Trajectory<T>,
    q: Vec<Option<DVector<T>>>,
    dw: DMatrix<T>,
    db: DMatrix<T>,
    da: DMatrix<T>,
}

impl<'a, T: Real> Pass<'a, T> {
    fn new(
        who: &str,
        net: &'a Rnn<T>,
        xs: &'a [DVector<T>],
        targets: &[DVector<T>],
        loss: Loss,
        k: usize,
    ) -> Result<Self> {
        if k == 0 {
            return Err(LroError::ZeroTruncation);
        }
        let (traj, c) = forward_and_weight(who, net, xs, targets, loss)?;
        let horizon = xs.len();
        let mut da = DMatrix::zeros(net.o(), net.n());
        let q = (1..=horizon)
            .map(|t| {
                (loss == Loss::Sequence || t == horizon).then(|| {
                    let eps = (&traj.y[t - 1] - &targets[t - 1]) * c.clone();
                    da += &eps * traj.h[t].transpose();
                    net.a().transpose() * eps
                })
            })
            .collect();
        Ok(Pass {
            net,
            xs,
            traj,
            q,
            dw: DMatrix::zeros(net.n(), net.n()),
            db: DMatrix::zeros(net.n(), net.d()),
            da,
        })
    }

    /// `du_s = α φ′(u_s) ⊙ δh_s`.
    fn du(&self, s: usize, dh: &DVector<T>) -> DVector<T> {
        dh.component_mul(&self.traj.dphi[s - 1]) * self.net.alpha().clone()
    }

    /// `δh_{s−1} = (1 − α) δh_s + Wᵀ du_s`.
    fn back(&self, dh: &DVector<T>, du: &DVector<T>) -> DVector<T> {
        dh * (T::one() - self.net.alpha().clone()) + self.net.w().tr_mul(du)
    }

    /// Adds step s's contribution `du_s pre_sᵀ`.
    fn add(&mut self, s: usize, du: &DVector<T>) {
        self.dw += du * self.traj.h[s - 1].transpose();
        self.db += du * self.xs[s - 1].transpose();
    }

    fn finish(self) -> Update<T> {
        Update {
            a: self.da,
            w: self.dw,
            b: self.db,
        }
    }
}

/// Efficient BPTT with window `k` for one sample: the sum over the windows `[1, k], [k + 1, 2k],
/// …` (the last one possibly shorter) of the gradient of the window's losses with the state
/// before the window held fixed.
pub fn efficient_update<T: Real>(
    net: &Rnn<T>,
    xs: &[DVector<T>],
    targets: &[DVector<T>],
    loss: Loss,
    k: usize,
) -> Result<Update<T>> {
    let mut p = Pass::new("efficient BPTT", net, xs, targets, loss, k)?;
    let leak = faults::active(Fault::EfficientBpttWindowLeak);
    let horizon = xs.len();
    let mut dh = DVector::<T>::zeros(net.n());
    // Windows from the last to the first, each backpropagated to its first step.
    let mut hi = horizon;
    while hi >= 1 {
        let lo = (hi - 1) / k * k + 1;
        // Fault site (EfficientBpttWindowLeak): the credit crosses into the previous window.
        if !leak {
            dh.fill(T::zero());
        }
        for s in (lo..=hi).rev() {
            if let Some(q) = &p.q[s - 1] {
                dh += q;
            }
            let du = p.du(s, &dh);
            p.add(s, &du);
            dh = p.back(&dh, &du);
        }
        hi = lo - 1;
    }
    Ok(p.finish())
}

/// Future BPTT with horizon `k` for one sample: the sum over t0 = 1 … T of step t0's contribution
/// to the gradient of the losses `t0 … min(t0 + k − 1, T)`.
pub fn future_update<T: Real>(
    net: &Rnn<T>,
    xs: &[DVector<T>],
    targets: &[DVector<T>],
    loss: Loss,
    k: usize,
) -> Result<Update<T>> {
    let mut p = Pass::new("future BPTT", net, xs, targets, loss, k)?;
    // Fault site (FutureBpttDelayOffByOne): the window of losses starts one step late.
    let shift = usize::from(faults::active(Fault::FutureBpttDelayOffByOne));
    let horizon = xs.len();
    for t0 in 1..=horizon {
        let (first, last) = (t0 + shift, (t0 + k - 1 + shift).min(horizon));
        let mut dh = DVector::<T>::zeros(net.n());
        for s in (t0..=last).rev() {
            if s >= first
                && let Some(q) = &p.q[s - 1]
            {
                dh += q;
            }
            if s > t0 {
                let du = p.du(s, &dh);
                dh = p.back(&dh, &du);
            }
        }
        let du = p.du(t0, &dh);
        p.add(t0, &du);
    }
    Ok(p.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Rule, online};
    use crate::scalar::Rational;

    fn net() -> (
        Rnn<Rational>,
        Vec<DVector<Rational>>,
        Vec<DVector<Rational>>,
    ) {
        let q = Rational::ratio;
        let a = DMatrix::from_row_slice(1, 2, &[q(1, 2), q(-1, 1)]);
        let w = DMatrix::from_row_slice(2, 2, &[q(1, 4), q(-1, 2), q(1, 3), q(1, 8)]);
        let b = DMatrix::from_row_slice(2, 1, &[q(1, 1), q(-1, 2)]);
        let net = Rnn::new(a, w, b).unwrap().with_leak(q(1, 2)).unwrap();
        let xs: Vec<_> = [1, -1, 2, 1, -2]
            .iter()
            .map(|&x| DVector::from_element(1, q(x, 2)))
            .collect();
        let ys: Vec<_> = (0..5)
            .map(|t| DVector::from_element(1, q(t - 2, 3)))
            .collect();
        (net, xs, ys)
    }

    /// k ≥ T: both are BPTT; future BPTT is k-step tBPTT for every k; k < T: both differ from
    /// BPTT; k = 0 is refused.
    #[test]
    fn windowed_bptt_over_q() {
        let (net, xs, ys) = net();
        for loss in [Loss::Final, Loss::Sequence] {
            let bptt = online::update(&Rule::Bptt, &net, &xs, &ys, loss).unwrap();
            for k in [5, 6, 9] {
                assert_eq!(efficient_update(&net, &xs, &ys, loss, k).unwrap(), bptt);
                assert_eq!(future_update(&net, &xs, &ys, loss, k).unwrap(), bptt);
            }
            for k in 1..=5 {
                let tb = online::update(&Rule::Tbptt { k }, &net, &xs, &ys, loss).unwrap();
                assert_eq!(
                    future_update(&net, &xs, &ys, loss, k).unwrap(),
                    tb,
                    "k = {k}"
                );
            }
            for k in 1..5 {
                assert_ne!(efficient_update(&net, &xs, &ys, loss, k).unwrap(), bptt);
                assert_ne!(future_update(&net, &xs, &ys, loss, k).unwrap(), bptt);
            }
        }
        assert!(efficient_update(&net, &xs, &ys, Loss::Final, 0).is_err());
        assert!(future_update(&net, &xs, &ys, Loss::Final, 0).is_err());
    }

    /// Efficient BPTT's windows by hand: with k = 2 on T = 5 (windows [1,2], [3,4], [5]) it is
    /// the sum of the windows' own BPTT gradients, each computed on the window's sub-sequence
    /// started from the true state (here: a network whose first window starts at h_0 = 0).
    #[test]
    fn efficient_bptt_first_window_is_a_short_sequence() {
        let (net, xs, ys) = net();
        // Losses only in the first window: the update equals BPTT on the 2-step prefix with the
        // sequence loss weights 1/5 (prefix BPTT uses 1/2, so rescale by 2/5).
        let mut ys_far = ys.clone();
        let p = net.forward(&xs).unwrap();
        ys_far[2..5].clone_from_slice(&p.y[2..5]);
        let got = efficient_update(&net, &xs, &ys_far, Loss::Sequence, 2).unwrap();
        let mut want =
            online::update(&Rule::Bptt, &net, &xs[..2], &ys[..2], Loss::Sequence).unwrap();
        let s = Rational::ratio(2, 5);
        want.a *= s.clone();
        want.w *= s.clone();
        want.b *= s;
        assert_eq!(got, want);
    }
}
