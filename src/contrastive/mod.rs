//! Contrastive learning with flexible phase dynamics (`docs/theory/contrastive.md`, after Williams,
//! Bredenberg & Lajoie, ICML 2023).
//!
//! The paper's body was not available. The estimators [`estimators::eq2r_update`] (Eq.2-R),
//! [`estimators::eq3r_step`] (Eq.3-R) and [`estimators::isr_update`] (IS-R) are **after Williams et
//! al. 2023, reconstructed for this project**; they are never the paper's Equation N. The theorem
//! names CL-T1 … CL-T4 are the project's.
//!
//! Layout, following the spec:
//!
//! | module | theory |
//! |---|---|
//! | [`phases`] | `docs/theory/contrastive.md#phase-processes`: phase processes P1–P4, time fractions, sojourns |
//! | [`estimators`] | `docs/theory/contrastive.md#framework`: Eq.2-R, Eq.3-R with phase weights, IS-R per phase and per step; IS variance, `p*`, Neyman |
//! | [`driver`] | `docs/theory/contrastive.md#theorems`: stochastic-approximation drivers (constant and Robbins–Monro rates) |
//! | [`models`] | `docs/theory/contrastive.md#models`: EP (quadratic, Hopfield), CHL, Boltzmann machine, Gaussian toy, wake-sleep |
//! | [`stats`] | batch means and least-squares slopes used by the statistical checks |
//! | [`solve`] | a small generic linear solver (exact over `Rational`, differentiable over `Dual`) |

use crate::faults::{self, Fault};

pub mod driver;
pub mod edges;
pub mod estimators;
pub mod experiments;
#[cfg(feature = "rug")]
pub mod instances;
#[cfg(feature = "rug")]
pub mod measure;
pub mod models;
pub mod phases;
pub mod solve;
pub mod stats;

/// The phase of contrastive learning (`docs/theory/notation.md#conventions`): `Plus` is clamped / nudged / wake /
/// data-driven, `Minus` is free / sleep / model-driven.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Positive phase, phase sign σ = +1.
    Plus,
    /// Negative phase, phase sign σ = −1.
    Minus,
}

impl Phase {
    /// The phase sign σ: +1 for `Plus`, −1 for `Minus`.
    pub fn sigma(self) -> f64 {
        match self {
            Phase::Plus => 1.0,
            Phase::Minus => -1.0,
        }
    }
    /// The other phase.
    pub fn other(self) -> Phase {
        match self {
            Phase::Plus => Phase::Minus,
            Phase::Minus => Phase::Plus,
        }
    }
}

/// Phase weights `(ω_+, ω_−)` of Eq.3-R (`docs/theory/contrastive.md#eq3r`, `docs/theory/contrastive.md#mean-field`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Weights {
    /// Weight of positive-phase steps, ω_+.
    pub plus: f64,
    /// Weight of negative-phase steps, ω_−.
    pub minus: f64,
}

impl Weights {
    /// The plain estimator, `ω_+ = ω_− = 1`.
    pub fn unit() -> Self {
        Weights {
            plus: 1.0,
            minus: 1.0,
        }
    }
    /// Importance weights `ω_z = c/π^z` (`docs/theory/contrastive.md#mean-field`); with `c = ½` the mean field is exactly `Δ/2`
    /// (P-CL-7), with `c = 1` it is `Δ`.
    pub fn inverse_fraction(pi_plus: f64, c: f64) -> Self {
        let mut minus = c / (1.0 - pi_plus);
        if faults::active(Fault::PhaseWeightImbalance) {
            minus *= 0.97;
        }
        Weights {
            plus: c / pi_plus,
            minus,
        }
    }
    /// The weight of a phase.
    pub fn of(&self, z: Phase) -> f64 {
        match z {
            Phase::Plus => self.plus,
            Phase::Minus => self.minus,
        }
    }
    /// Whether `π⁺ω_+ = π⁻ω_−` up to a relative `tol` (the balance condition of `docs/theory/contrastive.md#mean-field`).
    pub fn is_balanced(&self, pi_plus: f64, tol: f64) -> bool {
        let a = pi_plus * self.plus;
        let b = (1.0 - pi_plus) * self.minus;
        (a - b).abs() <= tol * a.abs().max(b.abs())
    }
}
