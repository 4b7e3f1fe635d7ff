//! # lro — a learning-rule oracle
//!
//! Reference implementations of local learning rules for recurrent and energy-based networks, and
//! numerical and exact verification of the theory about them:
//!
//! - linear RNNs trained by BPTT, truncated BPTT, RTRL, RFLO and e-prop (
//!   `docs/theory/linear-rnn.md`, after Williams, Payeur & Lajoie, ICML 2026);
//! - contrastive learning with flexible phase dynamics (`docs/theory/contrastive.md`, after
//!   Williams, Bredenberg & Lajoie, ICML 2023).
//!
//! Every algorithm is written once, generic over [`scalar::Real`], and runs on `f64`, complex-step
//! numbers, dual numbers, MPFR floats and exact rationals. Every checked property is an entry of
//! [`catalogue`], with its provenance tag: the papers' full texts were not available, so most
//! formulas are *derived for this project*, and lro never presents them as the papers' equations.

#![warn(missing_docs)]

#[cfg(feature = "rug")]
pub mod catalogue;
#[cfg(feature = "rug")]
pub mod certify;
#[cfg(feature = "rug")]
pub mod cli;
pub mod contrastive;
pub mod error;
pub mod evidence;
pub mod faults;
pub mod gradcheck;
pub mod linalg;
pub mod lowrank;
pub mod modes;
pub mod ode;
pub mod oracle;
#[cfg(feature = "rug")]
pub mod report;
pub mod rnn;
pub mod rules;
pub mod scalar;
pub mod study;
pub mod tolerances;
pub mod train;

pub use error::{LroError, Result};
