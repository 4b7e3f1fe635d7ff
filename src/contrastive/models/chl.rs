//! Contrastive Hebbian learning, linear toys (`docs/theory/contrastive.md#chl-toys`), generic over [`Real`].
//!
//! - Single layer (P-CL-19): clamped state `s⁺ = y`, free state `s⁻ = Wx`, CL statistic
//!   `f(s, W) = −s xᵀ`; the CHL descent direction `−(f(s⁺) − f(s⁻)) = (y − Wx)xᵀ = −∇L` is the
//!   delta rule.
//! - Two layers with feedback strength γ (P-CL-20, after Xie & Seung 2003, linear instance):
//!   `h = W1x + γW2ᵀo`, `o = W2h`; free `h⁻ = (I − γW2ᵀW2)⁻¹W1x`, clamped `h⁺ = W1x + γW2ᵀy`.
use crate::contrastive::solve::solve;
use crate::error::Result;
use crate::faults::{self, Fault};
use crate::scalar::Real;
use nalgebra::DMatrix;

/// Single-layer CHL update direction `(s⁺ − s⁻)xᵀ` with `s⁺ = y`, `s⁻ = Wx` (descent applies it
/// with a positive rate: `W ← W + η(s⁺ − s⁻)xᵀ`).
pub fn chl_single_update<T: Real>(w: &DMatrix<T>, x: &DMatrix<T>, y: &DMatrix<T>) -> DMatrix<T> {
    let s_minus = w * x;
    // −(f(s⁺) − f(s⁻)) with f(s) = −s xᵀ.
    let f = |s: &DMatrix<T>| -(s * x.transpose());
    if faults::active(Fault::ChlPhaseSwap) {
        return -(f(&s_minus) - f(y));
    }
    -(f(y) - f(&s_minus))
}

/// `∇L = (Wx − y)xᵀ` of `L = ½‖Wx − y‖²`.
pub fn single_layer_grad<T: Real>(w: &DMatrix<T>, x: &DMatrix<T>, y: &DMatrix<T>) -> DMatrix<T> {
    (w * x - y) * x.transpose()
}

/// The two-layer linear CHL network with feedback strength γ.
#[derive(Clone, Debug, PartialEq)]
pub struct ChlTwoLayer<T: Real> {
    /// First-layer weights W1 (k×n).
    pub w1: DMatrix<T>,
    /// Second-layer weights W2 (m×k).
    pub w2: DMatrix<T>,
    /// Input x (n×1).
    pub x: DMatrix<T>,
    /// Target y (m×1).
    pub y: DMatrix<T>,
}

/// The CHL estimates and the exact negative gradients of the two-layer toy.
#[derive(Clone, Debug, PartialEq)]
pub struct ChlEstimates<T: Real> {
    /// `(1/γ)(h⁺ − h⁻)xᵀ`.
    pub g1: DMatrix<T>,
    /// `y h⁺ᵀ − o⁻ h⁻ᵀ`.
    pub g2: DMatrix<T>,
    /// `−∂L/∂W1 = −W2ᵀ(W2W1x − y)xᵀ`.
    pub neg_grad1: DMatrix<T>,
    /// `−∂L/∂W2 = −(W2W1x − y)(W1x)ᵀ`.
    pub neg_grad2: DMatrix<T>,
}

impl<T: Real> ChlTwoLayer<T> {
    /// Free equilibrium `h⁻` by solving `(I − γW2ᵀW2)h = W1x`.
    pub fn h_free(&self, gamma: &T) -> Result<DMatrix<T>> {
        let k = self.w1.nrows();
        let a = DMatrix::<T>::identity(k, k) - (self.w2.transpose() * &self.w2) * gamma.clone();
        solve(&a, &(&self.w1 * &self.x))
    }
    /// Clamped equilibrium `h⁺ = W1x + γW2ᵀy`.
    pub fn h_clamped(&self, gamma: &T) -> DMatrix<T> {
        &self.w1 * &self.x + self.w2.transpose() * &self.y * gamma.clone()
    }
    /// The CHL estimates at feedback strength γ and the exact negative gradients.
    pub fn estimates(&self, gamma: &T) -> Result<ChlEstimates<T>> {
        let (mut hm, mut hp) = (self.h_free(gamma)?, self.h_clamped(gamma));
        if faults::active(Fault::ChlPhaseSwap) {
            std::mem::swap(&mut hm, &mut hp);
        }
        let om = &self.w2 * &hm;
        let g1 = (&hp - &hm) * self.x.transpose() / gamma.clone();
        let g2 = &self.y * hp.transpose() - om * hm.transpose();
        let r = &self.w2 * &self.w1 * &self.x - &self.y;
        let neg_grad1 = -(self.w2.transpose() * &r * self.x.transpose());
        let neg_grad2 = -(r * (&self.w1 * &self.x).transpose());
        Ok(ChlEstimates {
            g1,
            g2,
            neg_grad1,
            neg_grad2,
        })
    }
}
