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
//! A step costs O(n) bookkeeping; the O(n²) trace work happens where a learning signal arrives, as
//! one matrix product over the steps since the last signal (see `Trace`), so the final-step loss
//! costs one n×T by T×n product and never stores an n×n trace.
use super::online::Sample;
use crate::faults::{self, Fault};
use crate::linalg;
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};

/// An eligibility trace `e` (n × cols) brought up to date only where it is read.
///
/// Each step only records its decay `λ_t`, gain and presynaptic vector (O(n) work); where a learning
/// signal arrives the pending steps are applied at once,
/// `e_t = diag(Π_s λ_s) e + C Pᵀ` with `C[:, s] = (Π_{r>s} λ_r) ⊙ gain_s` and `P = [pre_s]`, which is
/// the step-by-step recursion `e_t = λ_t ⊙ e_{t-1} + gain_t pre_{t-1}ᵀ` regrouped: the same sums,
/// with the k pending rank-one updates as one n×k by k×cols matrix product. At the last step the
/// trace is not stored at all: `diag(σ) e_T` goes straight into the update.
struct Trace<T: Real> {
    /// The trace as of the last read (`None`: still zero).
    e: Option<DMatrix<T>>,
    /// Pending decays, gains (n × T) and presynaptic vectors (cols × T); `pending` columns in use.
    lams: DMatrix<T>,
    gains: DMatrix<T>,
    pres: DMatrix<T>,
    pending: usize,
}

impl<T: Real> Trace<T> {
    fn new(n: usize, cols: usize, horizon: usize) -> Self {
        Trace {
            e: None,
            lams: DMatrix::zeros(n, horizon),
            gains: DMatrix::zeros(n, horizon),
            pres: DMatrix::zeros(cols, horizon),
            pending: 0,
        }
    }

    /// Records one step `e ← λ ⊙ e + gain preᵀ`.
    fn push(&mut self, lam: &DVector<T>, gain: &DVector<T>, pre: &DVector<T>) {
        let k = self.pending;
        self.lams.set_column(k, lam);
        self.gains.set_column(k, gain);
        self.pres.set_column(k, pre);
        self.pending += 1;
    }

    /// Turns the pending gains into the coefficients `C` (in place) and returns `Π_s λ_s`. Under
    /// [`Fault::TraceOneStepLate`] each step is decayed by its own λ too (`e ← λ ⊙ (e + gain preᵀ)`).
    fn coefficients(&mut self, late: bool) -> DVector<T> {
        let n = self.gains.nrows();
        let mut cum = DVector::from_element(n, T::one());
        for s in (0..self.pending).rev() {
            let (lam, mut gain) = (self.lams.column(s), self.gains.column_mut(s));
            if late {
                cum.component_mul_assign(&lam);
            }
            gain.component_mul_assign(&cum);
            if !late {
                cum.component_mul_assign(&lam);
            }
        }
        cum
    }

    /// `acc ← acc + diag(sig) e_t` for the current step t. Unless `last`, the trace is brought up
    /// to date and kept for later steps.
    fn read_into(&mut self, acc: &mut DMatrix<T>, sig: &DVector<T>, last: bool, late: bool) {
        let k = self.pending;
        let cum = self.coefficients(late);
        self.pending = 0;
        if last {
            // diag(σ)(diag(Πλ) e + C Pᵀ) = diag(σ ⊙ Πλ) e + (diag(σ) C) Pᵀ.
            if let Some(e) = &self.e {
                add_rows_scaled(acc, &sig.component_mul(&cum), e);
            }
            let mut c = self.gains.columns_mut(0, k);
            for mut col in c.column_iter_mut() {
                col.component_mul_assign(sig);
            }
            let c = self.gains.columns(0, k);
            linalg::gemm_nt(
                &mut acc.as_view_mut(),
                T::one(),
                &c,
                &self.pres,
                0..k,
                T::one(),
            );
            return;
        }
        let (n, cols) = (self.gains.nrows(), self.pres.nrows());
        let e = self.e.get_or_insert_with(|| DMatrix::zeros(n, cols));
        scale_rows(e, &cum);
        let c = self.gains.columns(0, k);
        linalg::gemm_nt(
            &mut e.as_view_mut(),
            T::one(),
            &c,
            &self.pres,
            0..k,
            T::one(),
        );
        add_rows_scaled(acc, sig, e);
    }
}

/// `e ← diag(v) e`, in place, column by column.
fn scale_rows<T: Real>(e: &mut DMatrix<T>, v: &DVector<T>) {
    let n = e.nrows();
    if n == 0 {
        return;
    }
    for col in e.as_mut_slice().chunks_exact_mut(n) {
        for (c, s) in col.iter_mut().zip(v.iter()) {
            c.mul_by(s);
        }
    }
}

/// `acc ← acc + diag(sig) e`, in place, column by column.
fn add_rows_scaled<T: Real>(acc: &mut DMatrix<T>, sig: &DVector<T>, e: &DMatrix<T>) {
    let n = e.nrows();
    if n == 0 {
        return;
    }
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
    let (n, d, horizon) = (s.net.n(), s.net.d(), s.xs.len());
    let alpha = s.net.alpha().clone();
    let late = faults::active(Fault::TraceOneStepLate);
    let (mut eh, mut ex) = (Trace::new(n, n, horizon), Trace::new(n, d, horizon));
    let (mut dw, mut db) = (DMatrix::<T>::zeros(n, n), DMatrix::<T>::zeros(n, d));
    let (mut lam, mut gain, mut sig) = (DVector::zeros(n), DVector::zeros(n), DVector::zeros(n));
    for t in 1..=horizon {
        decay(t, &mut lam);
        if linear_derivative {
            gain.fill(T::one());
        } else {
            gain.copy_from(&s.traj.dphi[t - 1]);
        }
        if !alpha.is_one() {
            gain *= alpha.clone();
        }
        eh.push(&lam, &gain, &s.traj.h[t - 1]);
        ex.push(&lam, &gain, &s.xs[t - 1]);
        if let Some(e) = &s.errs[t - 1] {
            sig.gemv_tr(T::one(), feedback, e, T::zero());
            let last = t == horizon;
            eh.read_into(&mut dw, &sig, last, late);
            ex.read_into(&mut db, &sig, last, late);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::Rational;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The lazily applied trace against the step-by-step recursion, exactly, with per-row decays,
    /// reads at irregular steps (some stored, the last one not) and both fault settings.
    #[test]
    fn lazy_trace_equals_the_step_by_step_recursion_over_rationals() {
        let (n, cols, horizon) = (4, 3, 9);
        let reads = [false, true, false, false, true, true, false, false, true];
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut v =
            |len: usize| DVector::from_fn(len, |_, _| Rational::ratio(rng.random_range(-5..=5), 4));
        let steps: Vec<_> = (0..horizon).map(|_| (v(n), v(n), v(cols), v(n))).collect();
        for late in [false, true] {
            let mut lazy = Trace::new(n, cols, horizon);
            let (mut e, mut want, mut got) = (
                DMatrix::<Rational>::zeros(n, cols),
                DMatrix::<Rational>::zeros(n, cols),
                DMatrix::<Rational>::zeros(n, cols),
            );
            for (t, (lam, gain, pre, sig)) in steps.iter().enumerate() {
                let fresh = gain * pre.transpose();
                for i in 0..n {
                    for j in 0..cols {
                        e[(i, j)] = if late {
                            lam[i].clone() * (e[(i, j)].clone() + fresh[(i, j)].clone())
                        } else {
                            lam[i].clone() * e[(i, j)].clone() + fresh[(i, j)].clone()
                        };
                    }
                }
                lazy.push(lam, gain, pre);
                if reads[t] {
                    want += DMatrix::from_diagonal(sig) * &e;
                    lazy.read_into(&mut got, sig, t + 1 == horizon, late);
                    assert_eq!(got, want, "step {} (late: {late})", t + 1);
                }
            }
        }
    }
}
