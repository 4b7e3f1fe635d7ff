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
//!
//! ## For Rust users
//!
//! The main entry points, each with a doctest that checks values worked out by hand:
//!
//! - a rule's update on your matrices: [`rules::online::update`] (one input sequence, any rule,
//!   any number kind) and [`rules::expected::update`] (the exact expectation over white input);
//! - an identity certified exactly over the rationals: [`certify::certify`];
//! - a catalogue entry's check ([`catalogue::all`]), which returns [`evidence::Evidence`];
//! - another implementation's outputs checked against a reference fixture:
//!   [`oracle::api::check`].
//!
//! Runnable programs: `cargo run --release --example rule_update` (every rule's update on a small
//! network, exactly and in f64), `--example certify_identity` (an identity about lro's BPTT
//! certified over Q, a wrong one refuted) and `--example check_candidate` (a hand-written RFLO
//! checked against lro's fixture, and a one-step-late trace caught at its first diverging step).
//! The theory they rely on is in `docs/theory/` of the repository.
//!
//! Every catalogue entry is a function of a [`evidence::Budget`]; a named fault
//! ([`faults::Fault`]) switched on makes the entries meant to catch it fail:
//!
//! ```
//! use lro::catalogue;
//! use lro::evidence::Budget;
//! use lro::faults::{self, Fault};
//!
//! let entry = catalogue::all().into_iter().find(|e| e.id == "P-RNN-7").expect("P-RNN-7");
//! // "RFLO with R = A and ŵ = 0 equals one-step tBPTT", checked exactly over Q.
//! let evidence = (entry.check)(Budget::Test)?;
//! assert!(evidence.passed && evidence.instances > 0);
//! // With RFLO's trace one step late the identity no longer holds, and the check says so.
//! let broken = faults::inject(Fault::TraceOneStepLate, || (entry.check)(Budget::Test))?;
//! assert!(!broken.passed);
//! # Ok::<(), lro::LroError>(())
//! ```
//!
//! A candidate implementation is judged tensor by tensor against a fixture; a perturbed update is
//! rejected and located:
//!
//! ```
//! use lro::oracle::api::{self, Candidate, CaseRef, CheckOptions};
//! use std::collections::BTreeMap;
//!
//! let fixture = api::fixture(CaseRef::from("linear"), None)?;
//! // A candidate that supplies the forward pass and RFLO's updates (here: the reference's own).
//! let mine: BTreeMap<String, (Vec<usize>, Vec<f64>)> = fixture
//!     .tensors
//!     .iter()
//!     .filter(|(_, t)| t.group == "forward" || t.group == "rflo")
//!     .map(|(name, t)| (name.clone(), (t.shape.clone(), t.data.clone())))
//!     .collect();
//! let verdict = api::check(&fixture, &Candidate::in_memory("mine", mine.clone()), &CheckOptions::default())?;
//! assert!(verdict.ok, "{verdict}");
//! assert_eq!(verdict.compared, vec!["rflo".to_string()]);
//!
//! // One entry of RFLO's final-step ΔW off by 10⁻³: rejected, and the tensor is named.
//! let mut perturbed = mine;
//! perturbed.get_mut("rflo.final.dW").expect("ΔW").1[4] += 1e-3;
//! let verdict = api::check(&fixture, &Candidate::in_memory("perturbed", perturbed), &CheckOptions::default())?;
//! assert!(!verdict.ok);
//! let first = verdict.first_divergence.expect("a divergence");
//! assert_eq!((first.tensor.as_str(), first.index.as_slice()), ("rflo.final.dW", &[1, 1][..]));
//! # Ok::<(), lro::oracle::OracleError>(())
//! ```

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
pub mod workers;

pub use error::{LroError, Result};
