//! KeRNL (Roth, Kanitscheider & Fiete 2019) in the conventions of the Marschall et al. 2020 code
//! (`learning_algorithms/KeRNL.py` with the plain SGD optimiser `Stochastic_Gradient_Descent.py`
//! of omarschall/vanilla-rtrl, read for this project; no code copied).
//!
//! KeRNL approximates the influence as `M[k, (i, j)] ≈ A[k, i] B[i, j]` with a learned n_h × n_h
//! matrix A and learned per-unit rates `γ` (the code's `alpha`). A noisy copy of the network,
//! perturbed by Gaussian `ζ` each step, supplies the targets that train A and γ. Per step t (after
//! the network's forward step; `â_t = [a_{t−1}, x_t, 1]`, `q_t = W_outᵀ e_t`):
//!
//! 1. the noisy state: `ã ← ã + ζ_{t−1}`, then one network step from `ã` on `x_t`;
//! 2. `κ = max(0, 1 − γ)`; a new draw `ζ_t`; `Γ ← κ Γ − Ω`; `Ω ← κ Ω + ζ_t`;
//! 3. `B ← diag(κ) B + α φ'(h_t) â_tᵀ` (the code includes the network's α here);
//! 4. `err = A Ω − (ã − a_t)`; SGD with rate `lr`: `A ← A − lr · err Ωᵀ`,
//!    `γ ← γ − lr · (Aᵀ err) ⊙ Γ` (Aᵀ err with the A before this step's update);
//! 5. gradient `[i, j] = (Aᵀ q_t)_i B[i, j]` with the updated A.
//!
//! Initial values are the code's defaults: A = I, γ = 0.8, B = Ω = Γ = 0, the noisy state a copy
//! of `a_0`. Every draw (`ζ_0 … ζ_T`, N(0, σ²), the code's `sigma_noise`) is an input, stored in
//! the fixture. With `lr = 0`, A = I and γ equal to RFLO's rate, KeRNL's gradient is the preset's
//! RFLO gradient with symmetric feedback (the tests check it exactly over Q).
use super::Setup;
use crate::error::{LroError, Result};
use crate::faults::{self, Fault};
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};

/// KeRNL's inputs for one sequence: its draws, initial A and rates, and the SGD rate.
#[derive(Clone, Debug, PartialEq)]
pub struct KernlInputs<T: Real> {
    /// `ζ_0 … ζ_T` (T + 1 perturbations of length n_h): ζ_0 drawn when the algorithm is created,
    /// ζ_t at step t.
    pub zeta: Vec<DVector<T>>,
    /// Initial A (n_h × n_h; the code's default is the identity).
    pub a0: DMatrix<T>,
    /// Initial rates γ (n_h; the code's default 0.8).
    pub rates0: DVector<T>,
    /// SGD learning rate of A and γ (0: frozen).
    pub lr: T,
}

/// KeRNL's run: A, rates, eligibility trace B and gradient after each step.
#[derive(Clone, Debug, PartialEq)]
pub struct KernlRun<T: Real> {
    /// `A_t` (n_h × n_h).
    pub a: Vec<DMatrix<T>>,
    /// Rates `γ_t`.
    pub rates: Vec<DVector<T>>,
    /// Eligibility traces `B_t` (n_h × m).
    pub b: Vec<DMatrix<T>>,
    /// Recurrent gradients (n_h × m, packed as `W`).
    pub grads: Vec<DMatrix<T>>,
}

impl<T: Real> Setup<T> {
    /// Runs KeRNL on the sequence with the given inputs (weights frozen, as the rest of the preset).
    pub fn run_kernl(
        &self,
        xs: &[DVector<T>],
        ys: &[DVector<T>],
        k: &KernlInputs<T>,
    ) -> Result<KernlRun<T>> {
        let fwd = self.run(xs, ys)?;
        let (n, d) = (self.w_rec.nrows(), self.w_in.ncols());
        let (m, horizon) = (n + d + 1, xs.len());
        if k.zeta.len() != horizon + 1
            || k.zeta.iter().any(|z| z.len() != n)
            || k.a0.shape() != (n, n)
            || k.rates0.len() != n
        {
            return Err(LroError::ShapeMismatch {
                context: "marschall2020 KeRNL inputs".into(),
                detail: format!(
                    "need T + 1 = {} perturbations zeta of length n_h = {n}, A_0 {n}×{n} and \
                     {n} initial rates",
                    horizon + 1
                ),
            });
        }
        let one = T::one();
        let alpha = self.alpha.clone();
        let stale_omega = faults::active(Fault::MarschallKernlAlphaGradStaleOmega);
        let (mut a_mat, mut rates) = (k.a0.clone(), k.rates0.clone());
        let mut b = DMatrix::<T>::zeros(n, m);
        let (mut omega, mut gamma) = (DVector::<T>::zeros(n), DVector::<T>::zeros(n));
        let mut noisy = fwd.a[0].clone();
        let mut out = KernlRun {
            a: vec![],
            rates: vec![],
            b: vec![],
            grads: vec![],
        };
        for (t, x) in xs.iter().enumerate() {
            // 1. The noisy network: perturbed by the previous draw, then one step on x_t.
            noisy += &k.zeta[t];
            let h = &self.w_rec * &noisy + &self.w_in * x + &self.b_rec;
            let mut f = DVector::<T>::zeros(n);
            for i in 0..n {
                f[i] = self.activation.apply(&h[i])?.0;
            }
            noisy = &noisy * (one.clone() - alpha.clone()) + f * alpha.clone();
            // 2. Kernel and filtered perturbations.
            let kernel = rates.map(|g| {
                let v = one.clone() - g;
                if v.to_f64() > 0.0 { v } else { T::zero() }
            });
            let omega_prev = omega.clone();
            gamma = gamma.component_mul(&kernel) - &omega;
            omega = omega.component_mul(&kernel) + &k.zeta[t + 1];
            // 3. Eligibility trace.
            let a_prev = &fwd.a[t];
            let a_hat = super::stacked_input(a_prev, x);
            let mut gain = DVector::<T>::zeros(n);
            for i in 0..n {
                gain[i] = self.activation.apply(&fwd.h[t][i])?.1 * alpha.clone();
            }
            b = super::scale_rows(&kernel, &b) + &gain * a_hat.transpose();
            // 4. Train A and the rates on the perturbation's observed effect.
            let err = &a_mat * &omega - (&noisy - &fwd.a[t + 1]);
            let a_grads = &err * omega.transpose();
            // Fault site: the rates' gradient reads the filtered perturbation of the step
            // before (Ω_{t−1} in place of Γ_t).
            let filt = if stale_omega { &omega_prev } else { &gamma };
            let rate_grads = a_mat.tr_mul(&err).component_mul(filt);
            a_mat -= a_grads * k.lr.clone();
            rates -= rate_grads * k.lr.clone();
            // 5. Gradient with the updated A.
            let q = self.w_out.transpose() * &fwd.error[t];
            let s = a_mat.tr_mul(&q);
            out.grads.push(super::scale_rows(&s, &b));
            out.a.push(a_mat.clone());
            out.rates.push(rates.clone());
            out.b.push(b.clone());
        }
        Ok(out)
    }
}
