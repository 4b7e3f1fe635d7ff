//! Marschall, Cho & Savin 2020's framework (omarschall/vanilla-rtrl), reimplemented for a
//! vanilla RNN with weights frozen during the sequence (the per-step gradients its learning
//! algorithms return, before any optimiser step).
//!
//! Conventions (time t = 1 … T; `a_0 = φ(h_0)` from a given initial pre-activation `h_0`, as
//! the code's `reset_network`):
//! - `h_t = W_rec a_{t−1} + W_in x_t + b_rec`, `a_t = (1 − α) a_{t−1} + α φ(h_t)`,
//!   `z_t = W_out a_t + b_out`; error `e_t = z_t − y*_t` (the derivative of
//!   `L_t = ½‖z_t − y*_t‖²`); logged loss `½ mean((z_t − y*_t)²)` (divided by n_out).
//!   Gradients have the sign of the gradient (the optimiser subtracts).
//! - Packing: `W = [W_rec | W_in | b_rec]` (n_h × m, m = n_h + n_in + 1) against
//!   `â_t = [a_{t−1}, x_t, 1]`; output gradients `e_t [a_t, 1]ᵀ` (n_out × (n_h + 1)), the
//!   same for every algorithm.
//! - Feedback `q_t = W_FBᵀ e_t` with fixed `W_FB` (n_out × n_h) when given, else `W_outᵀ e_t`.
//! - RFLO: `B_t = (1 − α_R) B_{t−1} + α_R φ'(h_t) â_tᵀ` (its own rate α_R), gradient
//!   `g_t[i, j] = q_t[i] B_t[i, j]`.
//! - RTRL: `M_t = J_t M_{t−1} + α diag(φ'(h_t)) ⊗ â_t` with `J_t = α diag(φ'(h_t)) W_rec + (1 − α) I`;
//!   columns of M index the flattened W in column-major (Fortran) order, `k = i + n_h j`;
//!   gradient `q_t M_t` with symmetric feedback, reshaped in Fortran order: exactly `∂L_t/∂W`.
//! - BPTT variants with truncation horizon `k` (the code's `T_truncation`), both with symmetric
//!   feedback `q_t = W_outᵀ e_t` and the credit recursion `c_{s−1} = q_{s−1} + J_sᵀ c_s`:
//!   - Efficient BPTT (`Efficient_BPTT.py`): the steps form non-overlapping windows of k steps; at
//!     a window's last step t it returns `Σ_{s=t−k+1..t} (c_s ⊙ α φ'(h_s)) â_sᵀ` with `c_t = q_t`,
//!     the gradient of the window's summed loss with the state before the window held fixed;
//!     every other step (and a trailing partial window) returns zeros.
//!   - Future BPTT (`Future_BPTT.py`): at step t ≥ k it returns `(c ⊙ α φ'(h_{t0})) â_{t0}ᵀ` for
//!     `t0 = t − k + 1`, where `c = Σ_{s=t0..t} J_{t0+1}ᵀ ⋯ J_sᵀ q_s`: the gradient through step t0
//!     of the next k losses `L_{t0} … L_{t0+k−1}`, delivered k − 1 steps late; zeros before.
//!
//!   The code's own immediate influence (in these two files and in `RTRL.py`, read at commit
//!   f06c62c) omits the factor α of `∂a_t/∂h_t`, which scales its recurrent gradients by 1/α for
//!   α < 1; the preset keeps the exact factor, as its RTRL does (listed in the manifest's
//!   `unknown`).
//! - UORO, KF-RTRL and reverse KF-RTRL ([`stochastic`]): the code's rank-one and Kronecker
//!   factorisations with its p0, p1 scalars, their random draws (sign vectors and initial factors)
//!   given as inputs and stored in the fixture (`<rule>.nu`, `<rule>.A0`, `<rule>.B0`).
//! - KeRNL ([`kernl`]): the kernel A and rates trained by SGD on a perturbed copy of the network,
//!   its perturbations ζ given as inputs and stored in the fixture (`kernl.zeta`).
pub mod conventions;
pub mod kernl;
pub mod settings;
pub mod stochastic;
pub mod tensors;

pub use settings::{MarschallConfig, draw};
pub use tensors::{TENSORS, build};

use super::*;
use crate::faults::{self, Fault};
use crate::rnn::Activation;

/// The network, its feedback and its rates.
#[derive(Clone, Debug)]
pub struct Setup<T: Real> {
    /// `W_rec` (n_h × n_h).
    pub w_rec: DMatrix<T>,
    /// `W_in` (n_h × n_in).
    pub w_in: DMatrix<T>,
    /// `b_rec` (n_h).
    pub b_rec: DVector<T>,
    /// `W_out` (n_out × n_h).
    pub w_out: DMatrix<T>,
    /// `b_out` (n_out).
    pub b_out: DVector<T>,
    /// RFLO's fixed feedback `W_FB` (n_out × n_h); `None`: symmetric (`W_out`).
    pub w_fb: Option<DMatrix<T>>,
    /// Network leak α ∈ (0, 1].
    pub alpha: T,
    /// RFLO trace rate α_R ∈ (0, 1].
    pub alpha_rflo: T,
    /// φ: identity or tanh (exact derivative).
    pub activation: Activation,
    /// Initial pre-activation `h_0` (`a_0 = φ(h_0)`).
    pub h0: DVector<T>,
    /// Truncation horizon k ≥ 1 of the BPTT variants (the code's `T_truncation`).
    pub bptt_k: usize,
}

/// Everything one sequence computes (index t − 1 holds step t unless said otherwise).
#[derive(Clone, Debug)]
pub struct Run<T: Real> {
    /// Pre-activations `h_t`.
    pub h: Vec<DVector<T>>,
    /// States `a_0 … a_T` (index t holds `a_t`).
    pub a: Vec<DVector<T>>,
    /// Outputs `z_t`.
    pub z: Vec<DVector<T>>,
    /// Errors `e_t = z_t − y*_t`.
    pub error: Vec<DVector<T>>,
    /// Logged losses `½ mean((z_t − y*_t)²)`.
    pub loss: Vec<T>,
    /// Output gradients `e_t [a_t, 1]ᵀ`.
    pub outer_grads: Vec<DMatrix<T>>,
    /// RFLO feedback `q_t`.
    pub rflo_q: Vec<DVector<T>>,
    /// RFLO traces `B_t` (n_h × m).
    pub rflo_b: Vec<DMatrix<T>>,
    /// RFLO gradients `g_t` (n_h × m).
    pub rflo_grads: Vec<DMatrix<T>>,
    /// RTRL feedback `q_t = W_outᵀ e_t`.
    pub rtrl_q: Vec<DVector<T>>,
    /// RTRL influence matrices `M_t` (n_h × n_h·m, Fortran-order columns).
    pub rtrl_m: Vec<DMatrix<T>>,
    /// RTRL gradients (n_h × m).
    pub rtrl_grads: Vec<DMatrix<T>>,
    /// Efficient BPTT gradients (n_h × m): nonzero at the last step of each window of k steps.
    pub ebptt_grads: Vec<DMatrix<T>>,
    /// Future BPTT gradients (n_h × m): at step t ≥ k, the gradient through step t − k + 1 of
    /// the next k losses.
    pub fbptt_grads: Vec<DMatrix<T>>,
}

impl<T: Real> Setup<T> {
    /// The packed `[W_rec | W_in | b_rec]` (n_h × (n_h + n_in + 1)).
    pub fn packed(&self) -> DMatrix<T> {
        let (n, d) = (self.w_rec.nrows(), self.w_in.ncols());
        DMatrix::from_fn(n, n + d + 1, |i, j| {
            if j < n {
                self.w_rec[(i, j)].clone()
            } else if j < n + d {
                self.w_in[(i, j - n)].clone()
            } else {
                self.b_rec[i].clone()
            }
        })
    }

    fn validate(&self, xs: &[DVector<T>], ys: &[DVector<T>]) -> Result<(usize, usize, usize)> {
        let (n, d, o) = (self.w_rec.nrows(), self.w_in.ncols(), self.w_out.nrows());
        let ctx = "marschall2020 preset";
        if self.w_rec.ncols() != n || self.w_in.nrows() != n || self.w_out.ncols() != n {
            return Err(shape_err(
                ctx,
                "W_rec must be n×n, W_in n×d, W_out o×n".into(),
            ));
        }
        if self.b_rec.len() != n || self.b_out.len() != o || self.h0.len() != n {
            return Err(shape_err(
                ctx,
                "b_rec and h0 need length n_h, b_out n_out".into(),
            ));
        }
        if let Some(f) = &self.w_fb
            && f.shape() != (o, n)
        {
            return Err(shape_err(ctx, format!("W_FB must be {o}×{n}")));
        }
        if xs.is_empty() || xs.len() != ys.len() {
            return Err(shape_err(
                ctx,
                "one target per input, at least one step".into(),
            ));
        }
        if xs.iter().any(|v| v.len() != d) || ys.iter().any(|v| v.len() != o) {
            return Err(shape_err(
                ctx,
                format!("inputs need length {d}, targets {o}"),
            ));
        }
        if self.bptt_k == 0 {
            return Err(LroError::ZeroTruncation);
        }
        for (name, v) in [("alpha", &self.alpha), ("alpha_rflo", &self.alpha_rflo)] {
            let f = v.to_f64();
            if !(f > 0.0 && f <= 1.0) {
                return Err(LroError::OutOfDomain {
                    name: name.into(),
                    value: f,
                    reason: "rates must lie in (0, 1]".into(),
                });
            }
        }
        Ok((n, d, o))
    }

    /// Runs the sequence `x_1 … x_T` with targets `y*_1 … y*_T`.
    pub fn run(&self, xs: &[DVector<T>], ys: &[DVector<T>]) -> Result<Run<T>> {
        let (n, d, o) = self.validate(xs, ys)?;
        let m = n + d + 1;
        let phi = |v: &DVector<T>| -> Result<(DVector<T>, DVector<T>)> {
            let (mut f, mut g) = (DVector::zeros(v.len()), DVector::zeros(v.len()));
            for i in 0..v.len() {
                let (a, b) = self.activation.apply(&v[i])?;
                f[i] = a;
                g[i] = b;
            }
            Ok((f, g))
        };
        let one = T::one();
        let (al, ar) = (self.alpha.clone(), self.alpha_rflo.clone());
        let fb = self.w_fb.clone().unwrap_or_else(|| self.w_out.clone());
        let mut run = Run {
            h: vec![],
            a: vec![phi(&self.h0)?.0],
            z: vec![],
            error: vec![],
            loss: vec![],
            outer_grads: vec![],
            rflo_q: vec![],
            rflo_b: vec![],
            rflo_grads: vec![],
            rtrl_q: vec![],
            rtrl_m: vec![],
            rtrl_grads: vec![],
            ebptt_grads: vec![],
            fbptt_grads: vec![],
        };
        // Per step, for the BPTT variants: α φ'(h_t) and â_t.
        let (mut gains, mut a_hats) = (vec![], vec![]);
        let mut b = DMatrix::<T>::zeros(n, m);
        let mut mm = DMatrix::<T>::zeros(n, n * m);
        for (x, y) in xs.iter().zip(ys) {
            let a_prev = run.a.last().expect("a_0 exists").clone();
            let h = &self.w_rec * &a_prev + &self.w_in * x + &self.b_rec;
            let (f, dphi) = phi(&h)?;
            let a = &a_prev * (one.clone() - al.clone()) + f * al.clone();
            let z = &self.w_out * &a + &self.b_out;
            let e = &z - y;
            let loss = e.dot(&e) * T::ratio(1, 2) / T::from_i64(o as i64);
            let a1 = DVector::from_fn(n + 1, |i, _| if i < n { a[i].clone() } else { T::one() });
            let a_hat = stacked_input(&a_prev, x);
            // RFLO.
            b = &b * (one.clone() - ar.clone()) + (&dphi * ar.clone()) * a_hat.transpose();
            let q = fb.transpose() * &e;
            run.rflo_grads.push(scale_rows(&q, &b));
            run.rflo_q.push(q);
            run.rflo_b.push(b.clone());
            // RTRL.
            let gain = &dphi * al.clone();
            let mut jac = scale_rows(&gain, &self.w_rec);
            for i in 0..n {
                jac[(i, i)] += one.clone() - al.clone();
            }
            mm = &jac * &mm;
            for j in 0..m {
                for i in 0..n {
                    mm[(i, i + n * j)] += a_hat[j].clone() * gain[i].clone();
                }
            }
            let qr = self.w_out.transpose() * &e;
            let flat = mm.transpose() * &qr;
            run.rtrl_grads
                .push(DMatrix::from_fn(n, m, |i, j| flat[i + n * j].clone()));
            gains.push(gain.clone());
            a_hats.push(a_hat.clone());
            run.rtrl_q.push(qr);
            run.rtrl_m.push(mm.clone());
            run.outer_grads.push(&e * a1.transpose());
            run.h.push(h);
            run.a.push(a);
            run.z.push(z);
            run.error.push(e);
            run.loss.push(loss);
        }
        self.bptt_variants(&mut run, &gains, &a_hats);
        Ok(run)
    }

    /// `J_tᵀ c` with `J_t = α diag(φ'(h_t)) W_rec + (1 − α) I`, from `gain_t = α φ'(h_t)`.
    fn jt_c(&self, gain: &DVector<T>, c: &DVector<T>) -> DVector<T> {
        self.w_rec.tr_mul(&c.component_mul(gain)) + c * (T::one() - self.alpha.clone())
    }

    /// The BPTT variants' gradients, from the forward pass (index t − 1 holds step t).
    fn bptt_variants(&self, run: &mut Run<T>, gains: &[DVector<T>], a_hats: &[DVector<T>]) {
        let (n, m, k) = (self.w_rec.nrows(), a_hats[0].len(), self.bptt_k);
        let q = &run.rtrl_q;
        let zero = DMatrix::<T>::zeros(n, m);
        // Backpropagates the losses of steps lo..=hi (1-based) down to step lo: the
        // credits c_s for s = hi, hi − 1, …, lo (in that order).
        let credits = |lo: usize, hi: usize| -> Vec<DVector<T>> {
            let mut out = vec![q[hi - 1].clone()];
            for s in (lo..hi).rev() {
                let c = &q[s - 1] + self.jt_c(&gains[s], &out[out.len() - 1]);
                out.push(c);
            }
            out
        };
        let outer =
            |c: &DVector<T>, s: usize| c.component_mul(&gains[s - 1]) * a_hats[s - 1].transpose();
        let short = faults::active(Fault::FutureBpttWindowOffByOne);
        let (mut ebptt, mut fbptt) = (vec![], vec![]);
        for t in 1..=gains.len() {
            // Efficient BPTT: the window (t − k, t] when t closes it.
            ebptt.push(if t % k == 0 {
                let cs = credits(t + 1 - k, t);
                cs.iter()
                    .zip((t + 1 - k..=t).rev())
                    .fold(zero.clone(), |acc, (c, s)| acc + outer(c, s))
            } else {
                zero.clone()
            });
            // Future BPTT: through step t0 = t − k + 1, the losses t0..=t.
            fbptt.push(if t >= k {
                let t0 = t + 1 - k;
                // The fault drops the window's last loss (for k = 1: its only loss).
                if short && t == t0 {
                    zero.clone()
                } else {
                    let cs = credits(t0, if short { t - 1 } else { t });
                    outer(&cs[cs.len() - 1], t0)
                }
            } else {
                zero.clone()
            });
        }
        run.ebptt_grads = ebptt;
        run.fbptt_grads = fbptt;
    }
}

/// `â_t = [a_{t−1}; x_t; 1]`: the presynaptic vector that the reference code's stacked weights
/// `[W_rec, W_in, b_rec]` multiply.
fn stacked_input<T: Real>(a_prev: &DVector<T>, x: &DVector<T>) -> DVector<T> {
    let (n, d) = (a_prev.len(), x.len());
    DVector::from_fn(n + d + 1, |j, _| {
        if j < n {
            a_prev[j].clone()
        } else if j < n + d {
            x[j - n].clone()
        } else {
            T::one()
        }
    })
}
