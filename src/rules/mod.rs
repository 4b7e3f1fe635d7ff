//! The learning rules of `docs/theory/linear-rnn.md#rules`: BPTT, k-step truncated BPTT, RTRL, RFLO and e-prop,
//! and the online-learning family UORO, KF-RTRL and SnAp-k ([`uoro`], [`kf_rtrl`], [`snap`]).
//!
//! Each rule exists twice, generic over [`Real`]:
//! - [`online`]: the per-sample algorithm of `docs/theory/linear-rnn.md#online` on one input sequence (any leak and activation);
//! - [`expected`]: the exact expectation over white input in closed form (`docs/theory/linear-rnn.md#expected-updates`, linear RNN only;
//!   not for the stochastic rules, whose fixed draws have no closed form over inputs).
//!
//! The stochastic rules (UORO, KF-RTRL) carry their draws in the [`Rule`] value: one sign vector per
//! step of the one sequence they are run on, so a run is deterministic and reproducible from a
//! fixture.
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
use nalgebra::{DMatrix, DVector};

use serde::{Deserialize, Serialize};
pub use uoro::Scaling;

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
    /// UORO (Tallec & Ollivier 2017): a rank-one unbiased estimate of RTRL's influence matrix
    /// ([`uoro`]), for one sequence and its draws.
    Uoro {
        /// ρ₀ = ρ₁ = 1, or the variance-minimising scalars (square roots: not over rationals).
        scaling: Scaling,
        /// `draws[t − 1] = ν_t ∈ {±1}ⁿ`, one per step of the sequence.
        draws: Vec<DVector<T>>,
    },
    /// KF-RTRL (Mujika, Meier & Steger 2018): a Kronecker-factored unbiased estimate of RTRL's
    /// influence matrix ([`kf_rtrl`]), for one sequence and its draws.
    KfRtrl {
        /// ρ₁ = ρ₂ = 1, or the variance-minimising scalars (square roots: not over rationals).
        scaling: Scaling,
        /// `draws[t − 1] = (c₁, c₂) ∈ {±1}²`, one per step of the sequence.
        draws: Vec<DVector<T>>,
    },
    /// Reverse KF-RTRL (Marschall, Cho & Savin 2020): KF-RTRL's factorisation in the other order
    /// ([`reverse_kf_rtrl`]), for one sequence and its draws.
    ReverseKfRtrl {
        /// ρ₀ = ρ₁ = 1, or the variance-minimising scalars (square roots: not over rationals).
        scaling: Scaling,
        /// `draws[t − 1] = ν_t ∈ {±1}ⁿ`, one per step of the sequence.
        draws: Vec<DVector<T>>,
    },
    /// SnAp-k (Menick et al. 2021): RTRL's influence kept on the entries reachable in k − 1 steps
    /// of W's connectivity ([`snap`]); deterministic.
    Snap {
        /// The order k ≥ 1.
        order: usize,
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
            Rule::Uoro { scaling, .. } => format!("uoro-{}", scaling.name()),
            Rule::KfRtrl { scaling, .. } => format!("kf-rtrl-{}", scaling.name()),
            Rule::ReverseKfRtrl { scaling, .. } => format!("reverse-kf-rtrl-{}", scaling.name()),
            Rule::Snap { order } => format!("snap:{order}"),
        }
    }

    /// Whether the rule takes random draws (UORO, KF-RTRL, reverse KF-RTRL): its draws belong to
    /// one sequence.
    pub fn is_stochastic(&self) -> bool {
        matches!(
            self,
            Rule::Uoro { .. } | Rule::KfRtrl { .. } | Rule::ReverseKfRtrl { .. }
        )
    }

    /// The rule for the first `steps` steps of its sequence: a stochastic rule keeps the draws of
    /// those steps (for per-step contributions computed on prefixes); other rules are unchanged.
    pub fn prefix(&self, steps: usize) -> Rule<T> {
        let cut = |d: &[DVector<T>]| d[..steps.min(d.len())].to_vec();
        match self {
            Rule::Uoro { scaling, draws } => Rule::Uoro {
                scaling: *scaling,
                draws: cut(draws),
            },
            Rule::KfRtrl { scaling, draws } => Rule::KfRtrl {
                scaling: *scaling,
                draws: cut(draws),
            },
            Rule::ReverseKfRtrl { scaling, draws } => Rule::ReverseKfRtrl {
                scaling: *scaling,
                draws: cut(draws),
            },
            other => other.clone(),
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
            Rule::Uoro { scaling, draws } => check_draws(&self.name(), *scaling, net.n(), draws),
            Rule::KfRtrl { scaling, draws } => check_draws(&self.name(), *scaling, 2, draws),
            Rule::ReverseKfRtrl { scaling, draws } => {
                check_draws(&self.name(), *scaling, net.n(), draws)
            }
            Rule::Snap { order: 0 } => Err(LroError::InvalidParameter {
                name: "SnAp order".into(),
                reason: "the order k must be at least 1 (snap:1 keeps each unit's own \
                         influence, snap:2 adds its neighbours')"
                    .into(),
            }),
            _ => Ok(()),
        }
    }
}

/// Checks a stochastic rule's draws (every vector of length `len`, every entry ±1) and that its
/// scaling can run over `T`. The number of draws is checked against the sequence when it runs.
fn check_draws<T: Real>(
    who: &str,
    scaling: Scaling,
    len: usize,
    draws: &[DVector<T>],
) -> Result<()> {
    if scaling == Scaling::VarianceMin {
        uoro::needs_roots::<T>(who)?;
    }
    for (t, nu) in draws.iter().enumerate() {
        if nu.len() != len {
            return Err(LroError::ShapeMismatch {
                context: format!("{who} draws"),
                detail: format!(
                    "draw {} has length {}, need {len} (one sign per {})",
                    t + 1,
                    nu.len(),
                    if len == 2 {
                        "factor c1, c2"
                    } else {
                        "hidden unit"
                    }
                ),
            });
        }
        if let Some(i) = nu
            .iter()
            .position(|x| x.clone() != T::one() && x.clone() != -T::one())
        {
            return Err(LroError::InvalidParameter {
                name: format!("{who} draws"),
                reason: format!(
                    "entry {i} of draw {} is {}, not +1 or -1; the draws are random signs",
                    t + 1,
                    nu[i].to_f64()
                ),
            });
        }
    }
    Ok(())
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

#[cfg(all(test, feature = "rug"))]
mod family_rule_tests {
    use super::*;
    use crate::rnn::{Activation, StudentTeacher};
    use crate::scalar::{Mpfr, Rational, with_precision};
    use crate::tolerances::ZERO_GUARD_MPFR;

    fn q(n: i64, d: i64) -> Rational {
        Rational::ratio(n, d)
    }

    /// o = 1, n = 2, d = 1, α = ½, T = 3, over Q; `w01` is W's off-diagonal (0: sparse).
    fn problem(
        w01: Rational,
    ) -> (
        Rnn<Rational>,
        Vec<DVector<Rational>>,
        Vec<DVector<Rational>>,
    ) {
        let a = DMatrix::from_row_slice(1, 2, &[q(1, 2), q(-1, 1)]);
        let w = DMatrix::from_row_slice(2, 2, &[q(1, 4), w01, q(1, 3), q(1, 8)]);
        let b = DMatrix::from_row_slice(2, 1, &[q(1, 1), q(-1, 2)]);
        let net = Rnn::new(a, w, b).unwrap().with_leak(q(1, 2)).unwrap();
        let xs = [1, -1, 2]
            .iter()
            .map(|&x| DVector::from_element(1, q(x, 2)))
            .collect();
        (net, xs, vec![DVector::from_element(1, q(1, 3)); 3])
    }

    /// Through `Rule` and `online::update`, the mean over all draws of the unit-scaled UORO and
    /// KF-RTRL is RTRL's update exactly (both losses): the dispatch passes loss, draws and
    /// scaling through. One draw alone is not RTRL.
    #[test]
    fn stochastic_rules_through_rule_are_unbiased() {
        let (net, xs, ys) = problem(q(-1, 2));
        for loss in [Loss::Final, Loss::Sequence] {
            let rtrl = online::update(&Rule::Rtrl, &net, &xs, &ys, loss).unwrap();
            let uoro = uoro::expectation(2, 3, 12, |d| {
                let r = Rule::Uoro {
                    scaling: Scaling::Unit,
                    draws: d.to_vec(),
                };
                online::update(&r, &net, &xs, &ys, loss)
            })
            .unwrap();
            assert_eq!(uoro, rtrl, "UORO {loss:?}");
            let kf = uoro::expectation(2, 3, 12, |d| {
                let r = Rule::KfRtrl {
                    scaling: Scaling::Unit,
                    draws: d.to_vec(),
                };
                online::update(&r, &net, &xs, &ys, loss)
            })
            .unwrap();
            assert_eq!(kf, rtrl, "KF-RTRL {loss:?}");
            let one = Rule::Uoro {
                scaling: Scaling::Unit,
                draws: uoro::all_draws(2, 3, 12).unwrap()[1].clone(),
            };
            assert_ne!(online::update(&one, &net, &xs, &ys, loss).unwrap(), rtrl);
        }
    }

    /// The variance-minimising scaling over Q fails with a typed error that says what to use;
    /// over MPFR it runs and its mean over all draws is RTRL to rounding.
    #[test]
    fn variance_min_needs_roots() {
        let (net, xs, ys) = problem(q(-1, 2));
        let draws = uoro::all_draws::<Rational>(2, 3, 12).unwrap()[0].clone();
        for rule in [
            Rule::Uoro {
                scaling: Scaling::VarianceMin,
                draws: draws.clone(),
            },
            Rule::KfRtrl {
                scaling: Scaling::VarianceMin,
                draws: draws
                    .iter()
                    .map(|_| DVector::from_element(2, q(1, 1)))
                    .collect(),
            },
        ] {
            let e = online::update(&rule, &net, &xs, &ys, Loss::Final).unwrap_err();
            assert!(
                matches!(&e, LroError::Unsupported(m) if m.contains("use scaling unit over rationals")),
                "{e}"
            );
        }
        with_precision(256, || {
            let net = net
                .map(|x| Mpfr::from_f64(x.to_f64()))
                .with_activation(Activation::Tanh);
            let cast = |v: &[DVector<Rational>]| -> Vec<DVector<Mpfr>> {
                v.iter()
                    .map(|x| x.map(|e| Mpfr::from_f64(e.to_f64())))
                    .collect()
            };
            let (xs, ys) = (cast(&xs), cast(&ys));
            let rtrl = online::update(&Rule::Rtrl, &net, &xs, &ys, Loss::Sequence).unwrap();
            let mean = uoro::expectation(2, 3, 12, |d| {
                let r = Rule::KfRtrl {
                    scaling: Scaling::VarianceMin,
                    draws: d.to_vec(),
                };
                online::update(&r, &net, &xs, &ys, Loss::Sequence)
            })
            .unwrap();
            let err = uoro::rel_error_in(&mean, &rtrl, ZERO_GUARD_MPFR);
            assert!(err <= crate::tolerances::MPFR256_REL, "{err:e}");
        })
        .unwrap();
    }

    /// Malformed draws and parameters are typed errors, never panics.
    #[test]
    fn bad_family_parameters_are_refused() {
        let (net, xs, ys) = problem(q(-1, 2));
        let sign = |n| DVector::from_element(n, q(1, 1));
        let cases = [
            // wrong length (n = 2)
            Rule::Uoro {
                scaling: Scaling::Unit,
                draws: vec![sign(3); 3],
            },
            // not a sign
            Rule::KfRtrl {
                scaling: Scaling::Unit,
                draws: vec![sign(2), DVector::from_element(2, q(1, 2)), sign(2)],
            },
            // too few steps
            Rule::Uoro {
                scaling: Scaling::Unit,
                draws: vec![sign(2); 2],
            },
            Rule::Snap { order: 0 },
        ];
        for rule in cases {
            assert!(
                online::update(&rule, &net, &xs, &ys, Loss::Final).is_err(),
                "{}",
                rule.name()
            );
        }
        // draws belong to one sequence: a batch of two is refused
        let uoro = Rule::Uoro {
            scaling: Scaling::Unit,
            draws: vec![sign(2); 3],
        };
        let batch = vec![(xs.clone(), ys.clone()), (xs.clone(), ys.clone())];
        assert!(online::batch_update(&uoro, &net, &batch, Loss::Final).is_err());
        assert!(online::batch_update(&uoro, &net, &batch[..1], Loss::Final).is_ok());
    }

    /// SnAp-1 equals e-prop with symmetric feedback online on a sparse and a dense W, and SnAp-2
    /// equals BPTT on a dense W (exact); `expected::update` maps them the same way and refuses
    /// what it has no closed form for (SnAp-2 on a W whose 2-step reach is not every pair).
    #[test]
    fn snap_through_rule_and_expected() {
        for (w01, dense) in [(q(0, 1), false), (q(-1, 2), true)] {
            let (net, xs, ys) = problem(w01);
            for loss in [Loss::Final, Loss::Sequence] {
                let s1 = online::update(&Rule::Snap { order: 1 }, &net, &xs, &ys, loss).unwrap();
                let ep = Rule::Eprop {
                    feedback: Feedback::Symmetric,
                };
                assert_eq!(s1, online::update(&ep, &net, &xs, &ys, loss).unwrap());
                let s2 = online::update(&Rule::Snap { order: 2 }, &net, &xs, &ys, loss).unwrap();
                let bptt = online::update(&Rule::Bptt, &net, &xs, &ys, loss).unwrap();
                if dense {
                    assert_eq!(s2, bptt, "snap:2 on a dense W");
                } else {
                    // on the sparse W, SnAp-1 drops unit 1's influence of unit 0's weights
                    assert_ne!(s1, bptt, "snap:1 on a sparse W");
                }
            }
            let linear = Rnn::new(net.a().clone(), net.w().clone(), net.b().clone()).unwrap();
            let teacher = Rnn::new(net.a().clone(), net.w() * q(1, 2), net.b().clone()).unwrap();
            let st = StudentTeacher::new(linear, teacher).unwrap();
            let e1 = expected::update(&Rule::Snap { order: 1 }, &st, 3, Loss::Final).unwrap();
            let ep = Rule::Eprop {
                feedback: Feedback::Symmetric,
            };
            assert_eq!(e1, expected::update(&ep, &st, 3, Loss::Final).unwrap());
            let e2 = expected::update(&Rule::Snap { order: 2 }, &st, 3, Loss::Final);
            assert_eq!(e2.is_ok(), dense);
        }
        let (net, ..) = problem(q(-1, 2));
        let linear = Rnn::new(net.a().clone(), net.w().clone(), net.b().clone()).unwrap();
        let st = StudentTeacher::new(linear.clone(), linear).unwrap();
        let uoro = Rule::Uoro {
            scaling: Scaling::Unit,
            draws: vec![DVector::from_element(2, q(1, 1)); 3],
        };
        assert!(matches!(
            expected::update(&uoro, &st, 3, Loss::Final),
            Err(LroError::Unsupported(_))
        ));
    }

    /// `prefix` keeps the first draws; names are distinct per scaling.
    #[test]
    fn prefix_and_names() {
        let d: Vec<DVector<Rational>> = (0..4).map(|i| DVector::from_element(2, q(i, 1))).collect();
        let r = Rule::Uoro {
            scaling: Scaling::VarianceMin,
            draws: d.clone(),
        };
        assert_eq!(
            r.prefix(2),
            Rule::Uoro {
                scaling: Scaling::VarianceMin,
                draws: d[..2].to_vec()
            }
        );
        assert_eq!(r.name(), "uoro-variance-min");
        assert_eq!(Rule::<Rational>::Snap { order: 2 }.name(), "snap:2");
        assert!(r.is_stochastic() && !Rule::<Rational>::Snap { order: 1 }.is_stochastic());
    }
}
