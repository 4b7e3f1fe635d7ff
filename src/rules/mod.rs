//! The learning rules of `docs/theory/linear-rnn.md#rules`: BPTT, k-step truncated BPTT, RTRL, RFLO and e-prop.
//!
//! Each rule exists twice, generic over [`Real`]:
//! - [`online`]: the per-sample algorithm of `docs/theory/linear-rnn.md#online` on one input sequence (any leak and activation);
//! - [`expected`]: the exact expectation over white input in closed form (`docs/theory/linear-rnn.md#expected-updates`, linear RNN only).
//!
//! Sign convention `[assumed]`: every update is applied as `θ ← θ − η Δθ`, so `Δθ` has the sign of
//! the gradient.

mod bptt;
pub mod estimator_variance;
pub mod expected;
pub mod kernl;
pub mod kf_rtrl;
pub mod online;
pub mod reverse_kf_rtrl;
mod rtrl;
pub mod snap;
mod traces;
pub mod uoro;
pub mod windowed_bptt;

use crate::error::{LroError, Result};
use crate::linalg;
use crate::rnn::Rnn;
use crate::scalar::Real;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// Which loss the update descends (`docs/theory/linear-rnn.md#losses`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Loss {
    /// `L_T = ½‖y_T − y*_T‖²`.
    #[default]
    Final,
    /// `L_seq = 1/(2T) Σ_t ‖y_t − y*_t‖²` (Appendix H reading, `[derived, unchecked]` in docs/theory).
    Sequence,
}

/// e-prop's learning-signal feedback.
#[derive(Clone, Debug, PartialEq)]
pub enum Feedback<T: Real> {
    /// A fixed random o×n matrix R (learning signal `Rᵀε`).
    Random(DMatrix<T>),
    /// The readout itself (learning signal `Aᵀε`).
    Symmetric,
}

/// A learning rule with its parameters. Feedback and ŵ are explicit: lro sets no defaults
/// (`docs/theory/linear-rnn.md#gaps`).
#[derive(Clone, Debug, PartialEq)]
pub enum Rule<T: Real> {
    /// Backpropagation through time: the exact gradient.
    Bptt,
    /// k-step truncated BPTT (k = 1: one-step tBPTT).
    Tbptt {
        /// Truncation length k ≥ 1.
        k: usize,
    },
    /// Real-time recurrent learning (forward-mode exact gradient; equals BPTT per sample).
    Rtrl,
    /// Random feedback local online learning (Murray 2019) in lro's form: scalar surrogate
    /// Jacobian ŵ and fixed feedback R (o×n).
    Rflo {
        /// Feedback R (o×n); `Rᵀ` replaces `Aᵀ`.
        feedback: DMatrix<T>,
        /// Scalar surrogate Jacobian ŵ (trace decay).
        w_hat: T,
    },
    /// e-prop, linear-rate version: the diagonal of the true Jacobian as surrogate.
    Eprop {
        /// Random or symmetric feedback.
        feedback: Feedback<T>,
    },
}

impl<T: Real> Rule<T> {
    /// Short name ("bptt", "tbptt:3", "rtrl", "rflo", "eprop-random", "eprop-symmetric").
    pub fn name(&self) -> String {
        match self {
            Rule::Bptt => "bptt".into(),
            Rule::Tbptt { k } => format!("tbptt:{k}"),
            Rule::Rtrl => "rtrl".into(),
            Rule::Rflo { .. } => "rflo".into(),
            Rule::Eprop {
                feedback: Feedback::Random(_),
            } => "eprop-random".into(),
            Rule::Eprop {
                feedback: Feedback::Symmetric,
            } => "eprop-symmetric".into(),
        }
    }

    /// Checks the rule's parameters against a network.
    pub fn validate(&self, net: &Rnn<T>) -> Result<()> {
        let check_r = |r: &DMatrix<T>| -> Result<()> {
            if r.shape() != (net.o(), net.n()) {
                return Err(LroError::ShapeMismatch {
                    context: format!("{} feedback R", self.name()),
                    detail: format!(
                        "R must be o×n = {}×{}, got {}×{}",
                        net.o(),
                        net.n(),
                        r.nrows(),
                        r.ncols()
                    ),
                });
            }
            if !linalg::all_finite(r) {
                return Err(LroError::NotFinite {
                    name: "feedback R".into(),
                });
            }
            Ok(())
        };
        match self {
            Rule::Tbptt { k: 0 } => Err(LroError::ZeroTruncation),
            Rule::Rflo { feedback, w_hat } => {
                check_r(feedback)?;
                if !w_hat.is_finite() {
                    return Err(LroError::NotFinite {
                        name: "RFLO surrogate w_hat".into(),
                    });
                }
                Ok(())
            }
            Rule::Eprop {
                feedback: Feedback::Random(r),
            } => check_r(r),
            _ => Ok(()),
        }
    }
}

/// An update `(ΔA, ΔW, ΔB)`, with the sign of the gradient.
#[derive(Clone, Debug, PartialEq)]
pub struct Update<T: Real> {
    /// ΔA (o×n).
    pub a: DMatrix<T>,
    /// ΔW (n×n).
    pub w: DMatrix<T>,
    /// ΔB (n×d).
    pub b: DMatrix<T>,
}

impl<T: Real> Update<T> {
    /// The zero update for a network of these dimensions.
    pub fn zeros(o: usize, n: usize, d: usize) -> Self {
        Update {
            a: DMatrix::zeros(o, n),
            w: DMatrix::zeros(n, n),
            b: DMatrix::zeros(n, d),
        }
    }

    /// `self + s · other`.
    pub fn add_scaled(&mut self, other: &Update<T>, s: T) {
        self.a += &other.a * s.clone();
        self.w += &other.w * s.clone();
        self.b += &other.b * s;
    }

    /// Largest scale-aware relative difference over the three blocks (see [`linalg::rel_diff`]).
    pub fn rel_diff(&self, other: &Update<T>, floor: f64) -> f64 {
        linalg::rel_diff(&self.a, &other.a, floor)
            .max(linalg::rel_diff(&self.w, &other.w, floor))
            .max(linalg::rel_diff(&self.b, &other.b, floor))
    }

    /// Entrywise conversion to f64.
    pub fn to_f64(&self) -> Update<f64> {
        Update {
            a: linalg::to_f64(&self.a),
            w: linalg::to_f64(&self.w),
            b: linalg::to_f64(&self.b),
        }
    }

    /// Applies `θ ← θ − η Δθ` to a network.
    pub fn apply(&self, net: &Rnn<T>, eta: T) -> Result<Rnn<T>> {
        net.with_params(
            net.a() - &self.a * eta.clone(),
            net.w() - &self.w * eta.clone(),
            net.b() - &self.b * eta,
        )
    }
}
