//! Eligibility-trace rules: RFLO and e-prop (`docs/theory/linear-rnn.md#online`). One implementation; the rules differ only
//! in the trace decay and the learning signal.
//!
//! Per synapse (i, j): `e_t[i, j] = λ_t[i] e_{t-1}[i, j] + α φ'(u_t)_i pre_{t-1, j}`, with
//! `pre = h` for W and `x` for B; at each loss step `ΔW[i, j] += (Fᵀ c_t ε_t)_i e_t[i, j]`.
//! - RFLO: `λ_t[i] = ŵ` (scalar surrogate Jacobian), `F = R`.
//! - e-prop: `λ_t[i] = 1 − α + α φ'(u_t)_i W_ii` (diagonal of the true Jacobian), `F = R` or `A`.
//!
//! In the linear RNN every row of the RFLO trace equals `e^h_t = ŵ e^h_{t-1} + h_{t-1}`, so each update
//! is an outer product whose left factor lies in `col(Rᵀ)` (the mechanism of Proposition 3.1).
//!
//! The traces are updated in place, column by column over nalgebra's column-major storage (each
//! column `j` is `λ ⊙ e[:, j] + gain · pre_j`, a contiguous loop the compiler vectorises for f64).
use super::online::Sample;
use crate::faults::{self, Fault};
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};

/// `e ← λ ⊙ e + gain preᵀ` (or, under [`Fault::TraceOneStepLate`], `e ← λ ⊙ (e + gain preᵀ)`), in
/// place, column by column.
fn decay_and_add<T: Real>(
    e: &mut DMatrix<T>,
    lam: &DVector<T>,
    gain: &DVector<T>,
    pre: &DVector<T>,
    late: bool,
) {
    let n = e.nrows();
    let (lam, gain) = (lam.as_slice(), gain.as_slice());
    for (col, p) in e.as_mut_slice().chunks_exact_mut(n).zip(pre.iter()) {
        for ((c, l), g) in col.iter_mut().zip(lam).zip(gain) {
            if late {
                *c = l.clone() * (c.clone() + g.clone() * p.clone());
            } else {
                c.mul_by(l);
                c.add_mul(g, p);
            }
        }
    }
}

/// `acc ← acc + diag(sig) e`, in place, column by column.
fn add_rows_scaled<T: Real>(acc: &mut DMatrix<T>, sig: &DVector<T>, e: &DMatrix<T>) {
    let n = e.nrows();
    let sig = sig.as_slice();
    for (a, c) in acc
        .as_mut_slice()
        .chunks_exact_mut(n)
        .zip(e.as_slice().chunks_exact(n))
    {
        for ((a, c), s) in a.iter_mut().zip(c).zip(sig) {
            a.add_mul(s, c);
        }
    }
}

fn run<T: Real>(
    s: &Sample<T>,
    feedback: &DMatrix<T>,
    linear_derivative: bool,
    mut decay: impl FnMut(usize, &mut DVector<T>),
) -> (DMatrix<T>, DMatrix<T>) {
    let (n, d) = (s.net.n(), s.net.d());
    let alpha = s.net.alpha().clone();
    let late = faults::active(Fault::TraceOneStepLate);
    let (mut eh, mut ex) = (DMatrix::<T>::zeros(n, n), DMatrix::<T>::zeros(n, d));
    let (mut dw, mut db) = (DMatrix::<T>::zeros(n, n), DMatrix::<T>::zeros(n, d));
    let (mut lam, mut gain, mut sig) = (DVector::zeros(n), DVector::zeros(n), DVector::zeros(n));
    for t in 1..=s.xs.len() {
        decay(t, &mut lam);
        if linear_derivative {
            gain.fill(T::one());
        } else {
            gain.copy_from(&s.traj.dphi[t - 1]);
        }
        if !alpha.is_one() {
            gain *= alpha.clone();
        }
        decay_and_add(&mut eh, &lam, &gain, &s.traj.h[t - 1], late);
        decay_and_add(&mut ex, &lam, &gain, &s.xs[t - 1], late);
        if let Some(e) = &s.errs[t - 1] {
            sig.gemv_tr(T::one(), feedback, e, T::zero());
            add_rows_scaled(&mut dw, &sig, &eh);
            add_rows_scaled(&mut db, &sig, &ex);
        }
    }
    (dw, db)
}

/// RFLO with feedback R and scalar surrogate ŵ.
pub(super) fn rflo<T: Real>(s: &Sample<T>, r: &DMatrix<T>, w_hat: &T) -> (DMatrix<T>, DMatrix<T>) {
    let feedback = if faults::active(Fault::RfloWrongFeedback) {
        s.net.a()
    } else {
        r
    };
    let linear_derivative = faults::active(Fault::RfloLinearDerivative);
    run(s, feedback, linear_derivative, |_, lam| {
        lam.fill(w_hat.clone())
    })
}

/// e-prop (linear-rate form) with learning-signal feedback F (R or A).
pub(super) fn eprop<T: Real>(s: &Sample<T>, f: &DMatrix<T>) -> (DMatrix<T>, DMatrix<T>) {
    let alpha = s.net.alpha().clone();
    let one_minus_alpha = T::one() - alpha.clone();
    let no_derivative = faults::active(Fault::EpropMissingDerivative);
    let shared = faults::active(Fault::EpropSharedDecay);
    let w = s.net.w();
    run(s, f, false, |t, lam| {
        let dphi = &s.traj.dphi[t - 1];
        for (i, l) in lam.iter_mut().enumerate() {
            let slope = if no_derivative {
                w[(i, i)].clone()
            } else {
                dphi[i].clone() * w[(i, i)].clone()
            };
            *l = one_minus_alpha.clone() + alpha.clone() * slope;
        }
        if shared {
            let mean =
                lam.iter().fold(T::zero(), |a, l| a + l.clone()) / T::from_i64(lam.len() as i64);
            lam.fill(mean);
        }
    })
}
