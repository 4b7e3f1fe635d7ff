//! Named faults: plausible bugs that a test switches on, one at a time, without editing code.
//!
//! A verification suite is only as good as its power to fail. Each [`Fault`] is a bug of the kind a
//! researcher makes (a sign flip, a missing transpose, a trace one step late, ...), compiled into the
//! code at the place where it would occur and inactive unless [`inject`] switches it on for the
//! current thread. The fault-injection tests switch each on in turn and assert that the catalogue
//! entries meant to catch it fail; with none active, every entry passes. The report's "check power"
//! table is the same matrix.
//!
//! The switch is thread-local (catalogue checks run on one thread each), so a fault in one test
//! never leaks into another test running in parallel. Code reads it with [`active`], once per call
//! outside inner loops, so the clean path costs one thread-local read.
//!
//! This is a leaf module: it imports nothing from the crate.

use std::cell::Cell;

macro_rules! faults {
    ($( $(#[doc = $doc:literal])* $name:ident => $slug:literal, $site:literal; )*) => {
        /// A named, plausible bug (see the module docs). Each variant's doc says what it does.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Fault {
            $( $(#[doc = $doc])* $name, )*
        }

        impl Fault {
            /// Every fault, in declaration order.
            pub const ALL: &'static [Fault] = &[$(Fault::$name),*];

            /// The fault's stable kebab-case name (used on the command line and in the report).
            pub fn name(self) -> &'static str {
                match self { $(Fault::$name => $slug,)* }
            }

            /// The module where the fault is injected.
            pub fn site(self) -> &'static str {
                match self { $(Fault::$name => $site,)* }
            }

            /// One line on what the fault does (its doc comment).
            pub fn description(self) -> &'static str {
                match self { $(Fault::$name => concat!($($doc),*).trim_start(),)* }
            }
        }
    };
}

faults! {
    // ---- Linear-RNN rules (src/rnn, src/rules) ----
    /// The forward pass applies the leak α twice: h ← (1−α)h + α·α·φ(u).
    LeakTwice => "leak-twice", "rnn::model";
    /// BPTT's recurrent update pairs the adjoint with h_t instead of h_{t−1} (state one step late).
    BpttStateOneLate => "bptt-state-one-late", "rules::bptt";
    /// BPTT's adjoint propagates through W instead of Wᵀ (a missing transpose).
    BpttMissingTranspose => "bptt-missing-transpose", "rules::bptt";
    /// SnAp masks the influence matrix before propagating it instead of after
    /// (`M ← J (P ⊙ M) + I`), so entries outside the pattern leak into the gradient.
    SnapMaskBeforePropagation => "snap-mask-before-propagation", "rules::snap";
    /// KF-RTRL's K update forgets to divide by ρ₁, ρ₂ (K ← c₁ J K + c₂ D).
    KfMissingInvRho => "kf-missing-inv-rho", "rules::kf_rtrl";
    /// KF-RTRL ignores the requested scalars and runs with ρ₁ = ρ₂ = 1.
    KfIgnoresScaling => "kf-ignores-scaling", "rules::kf_rtrl";
    /// UORO's ṽ update forgets to divide the carried ṽ by ρ₀ (ṽ ← ṽ + Iᵀν/ρ₁).
    UoroMissingInvRho0 => "uoro-missing-inv-rho0", "rules::uoro";
    /// The online recurrent update ΔW has its sign flipped (gradient ascent), for every rule.
    UpdateSignFlip => "update-sign-flip", "rules::online";
    /// The readout update ΔC has its sign flipped.
    ReadoutSignFlip => "readout-sign-flip", "rules::online";
    /// The sequence loss drops its 1/T normalisation in the online updates.
    DroppedInvT => "dropped-inv-t", "rules::online";
    /// k-step truncated BPTT keeps k+1 steps of the adjoint (a wrong truncation window).
    TbpttWindowOffByOne => "tbptt-window-off-by-one", "rules::bptt";
    /// RTRL's influence recursion omits the propagated term W·M_{t−1} (keeps only the immediate one).
    RtrlDropsPropagation => "rtrl-drops-propagation", "rules::rtrl";
    /// RFLO's and e-prop's trace decays the new term too: the trace is one step late.
    TraceOneStepLate => "trace-one-step-late", "rules::traces";
    /// e-prop's trace decay omits the activation derivative φ′(u) (only visible with tanh).
    EpropMissingDerivative => "eprop-missing-derivative", "rules::traces";
    /// Online RFLO uses the readout Cᵀ as its learning-signal feedback instead of the fixed R.
    RfloWrongFeedback => "rflo-wrong-feedback", "rules::traces";
    /// RFLO's trace uses the linear derivative φ′ = 1 in place of φ′(u_t) (wrong only with tanh).
    RfloLinearDerivative => "rflo-linear-derivative", "rules::traces";
    /// e-prop's trace decays every unit by one shared factor (the mean of the per-unit decays).
    EpropSharedDecay => "eprop-shared-decay", "rules::traces";
    /// The expected-update lag recursion S_m uses W instead of Wᵀ.
    ExpectedLagTranspose => "expected-lag-transpose", "rules::expected";
    /// The expected tBPTT update keeps one lag too many (truncation off by one).
    ExpectedTruncationOffByOne => "expected-truncation-off-by-one", "rules::expected";
    /// The one-pass expected sequence-loss update weights lag k by (T − k + 1)/T instead of (T − k)/T.
    SequenceWeightOffByOne => "sequence-weight-off-by-one", "rules::expected";
    // ---- Per-mode theory (src/modes, src/ode.rs) ----
    /// A per-mode closed form uses the wrong power of w (w^(2T−1) where w^(2T) belongs).
    ModeWrongPower => "mode-wrong-power", "modes";
    /// RFLO's per-mode update uses the student's a where the feedback â belongs.
    ModeRfloUsesA => "mode-rflo-uses-a", "modes";
    /// The per-mode finite-T sum for Δa stops one lag early (k < T − 1 where k < T belongs).
    ModeSumLagShort => "mode-sum-lag-short", "modes";
    /// The coloured-input loss and gradient drop the off-lag correlations ρ^|j−k|, j ≠ k (the input
    /// treated as white).
    ColouredLagsDropped => "coloured-lags-dropped", "study::coloured";
    /// RK4 weights its stages 1/6, 1/6, 1/3, 1/3 instead of 1/6, 1/3, 1/3, 1/6.
    Rk4WrongWeights => "rk4-wrong-weights", "ode";
    /// The learning-ODE Jacobian is returned with its sign flipped (J where −J = M belongs).
    JacobianSignFlip => "jacobian-sign-flip", "modes::jacobian";
    // ---- Gradient checks (src/gradcheck) ----
    /// The central difference divides by h instead of 2h.
    CentralDifferenceHalfStep => "central-difference-half-step", "gradcheck";
    // ---- Contrastive learning (src/contrastive) ----
    /// The negative-phase weight ω₋ = c/π⁻ is scaled by 0.97 (a 3 % phase-weight imbalance).
    PhaseWeightImbalance => "phase-weight-imbalance", "contrastive";
    /// A streamed positive sample comes from the next step's cluster: the data clock runs one step
    /// ahead of the phase clock.
    StreamClockLag => "stream-clock-lag", "contrastive::edges";
    /// The importance-sampled estimator drops its importance weight (uses 1).
    MissingImportanceWeight => "missing-importance-weight", "contrastive::estimators";
    /// Equilibrium propagation nudges with −β instead of +β.
    EpBetaSignFlip => "ep-beta-sign-flip", "contrastive::models";
    /// EP's one-sided estimate forgets its 1/β factor.
    EpMissingInvBeta => "ep-missing-inv-beta", "contrastive::models";
    /// CHL swaps the clamped and free phases (update sign flip).
    ChlPhaseSwap => "chl-phase-swap", "contrastive::models";
    /// The predicted relaxation factor κ is off by about 3 % where phase lengths are comparable to
    /// the relaxation times (κ + 5·10⁻³·q₊q₋), and exact in the long- and short-phase limits.
    KappaOff3Percent => "kappa-off-3-percent", "contrastive::models::ep_quadratic";
    /// The Boltzmann machine's Gibbs sampler updates a unit from a stale copy of the state.
    GibbsStaleState => "gibbs-stale-state", "contrastive::models::boltzmann";
    /// The phase process draws phase lengths from a distribution shifted by one step (P1–P3).
    PhaseLengthOffByOne => "phase-length-off-by-one", "contrastive::phases";
    // ---- Oracle presets (src/oracle/presets) ----
    /// marschall2020's Future BPTT sums one loss too few: through step t0 it backpropagates the
    /// losses t0 … t0 + k − 2 instead of t0 … t0 + k − 1 (its window is off by one).
    FutureBpttWindowOffByOne => "future-bptt-window-off-by-one", "oracle::presets::marschall2020";
    /// marschall2020's UORO scales the old factor B by p0 instead of 1/p0 (biased once p0 ≠ 1).
    MarschallUoroRho0NotInverted => "marschall-uoro-rho0-not-inverted", "oracle::presets::marschall2020::stochastic";
    /// marschall2020's KF-RTRL scales J B by ν0 p0 instead of ν0/p0 (biased once p0 ≠ 1).
    MarschallKfRho0NotInverted => "marschall-kf-rho0-not-inverted", "oracle::presets::marschall2020::stochastic";
    /// marschall2020's reverse KF-RTRL scales J B by p0 instead of 1/p0 (biased once p0 ≠ 1).
    MarschallReverseKfRho0NotInverted => "marschall-reverse-kf-rho0-not-inverted", "oracle::presets::marschall2020::stochastic";
    /// marschall2020's KeRNL trains its rates with the previous step's filtered perturbation
    /// Ω_{t−1} in place of its derivative Γ_t.
    MarschallKernlAlphaGradStaleOmega => "marschall-kernl-alpha-grad-stale-omega", "oracle::presets::marschall2020::kernl";
    // ---- The rest of the online-learning family (helper rules2) ----
    /// Reverse KF-RTRL's B update forgets to divide its two terms by ρ₀ and ρ₁.
    RkfMissingInvRho => "rkf-missing-inv-rho", "rules::reverse_kf_rtrl";
    /// KeRNL's learning signal uses β q where βᵀ q belongs (the sensitivity matrix transposed).
    KernlBetaTransposed => "kernl-beta-transposed", "rules::kernl";
    /// Future BPTT's window of losses through step t0 starts one step late (t0 + 1 … t0 + k):
    /// every loss misses its own step.
    FutureBpttDelayOffByOne => "future-bptt-delay-off-by-one", "rules::windowed_bptt";
    /// Efficient BPTT carries the credit across window boundaries (the state before a window is
    /// not held fixed).
    EfficientBpttWindowLeak => "efficient-bptt-window-leak", "rules::windowed_bptt";
}

impl Fault {
    /// Tests outside the catalogue that must fail with this fault injected (`file::test`), for
    /// faults in code no catalogue entry runs (the oracle's presets). `tests/catalogue.rs` requires
    /// every fault to name catalogue entries or such tests; each named test injects the fault
    /// itself and asserts that its check fails.
    pub fn caught_by_tests(self) -> &'static [&'static str] {
        match self {
            Fault::FutureBpttWindowOffByOne => &[
                "oracle_presets::marschall_bptt_variants_equal_dual_number_gradients",
                "oracle_verdicts::a_bptt_only_candidate_is_checked_against_marschall2020",
            ],
            Fault::MarschallUoroRho0NotInverted
            | Fault::MarschallKfRho0NotInverted
            | Fault::MarschallReverseKfRho0NotInverted => &[
                "oracle_presets::marschall_stochastic_means_are_rtrl",
                "oracle_verdicts::marschall2020_stochastic_faults_are_rejected_by_check",
            ],
            Fault::MarschallKernlAlphaGradStaleOmega => &[
                "oracle_presets::marschall_kernl_two_steps_by_hand",
                "oracle_verdicts::marschall2020_stochastic_faults_are_rejected_by_check",
            ],
            _ => &[],
        }
    }

    /// Whether catalogue entries are meant to catch this fault (the check-power table runs these).
    pub fn in_catalogue(self) -> bool {
        !self.meant_to_catch().is_empty()
    }

    /// For an entry meant to catch this fault, the index of the finding that must be the one to
    /// fail ([`PRIMARY_FINDINGS`]); `None` when any failing finding shows the catch.
    pub fn finding_that_must_fail(self, entry: &str) -> Option<usize> {
        PRIMARY_FINDINGS
            .iter()
            .find(|(f, e, _)| *f == self && *e == entry)
            .map(|&(_, _, i)| i)
    }

    /// The catalogue entries meant to catch this fault: with it injected, each of them must fail
    /// (the fault-injection test asserts it). Other entries may fail too; the report's check-power
    /// table lists every entry that does.
    pub fn meant_to_catch(self) -> &'static [&'static str] {
        match self {
            // Linear-RNN rules: the entries seen failing with the fault at Test budget.
            Fault::BpttStateOneLate => &["P-RNN-7", "P-RNN-8", "P-RNN-10", "P-RNN-11"],
            Fault::BpttMissingTranspose => &["P-RNN-10", "P-RNN-10.a", "P-RNN-11"],
            Fault::TbpttWindowOffByOne => &["P-RNN-7", "P-RNN-11"],
            Fault::UpdateSignFlip => &["P-RNN-11"],
            Fault::DroppedInvT => &["P-RNN-9", "P-RNN-11"],
            Fault::RtrlDropsPropagation => &["P-RNN-10", "P-RNN-11"],
            Fault::TraceOneStepLate => &["P-RNN-7", "P-RNN-8", "P-RNN-11", "P-RNN-37"],
            Fault::RfloWrongFeedback => &["P-RNN-11", "P-RNN-35.a", "P-RNN-35.d"],
            Fault::LeakTwice => &["P-RNN-10.a"],
            Fault::RfloLinearDerivative => &["EDGE-RNN-1"],
            Fault::EpropSharedDecay => &["EDGE-RNN-2"],
            // Per-mode theory, ODE and gradient checks.
            Fault::ModeWrongPower => &["P-RNN-14.a"],
            Fault::ModeRfloUsesA => &["P-RNN-13"],
            Fault::ModeSumLagShort => &["EDGE-RNN-3"],
            Fault::ColouredLagsDropped => &["EDGE-RNN-4"],
            Fault::JacobianSignFlip => &["P-RNN-32"],
            Fault::Rk4WrongWeights => &["P-RNN-13"],
            Fault::CentralDifferenceHalfStep => &["P-CL-17"],
            Fault::EpropMissingDerivative => &["P-RNN-10.a"],
            Fault::ReadoutSignFlip => &["P-RNN-9", "P-RNN-11"],
            Fault::ExpectedLagTranspose => &[
                "P-RNN-2", "P-RNN-3", "P-RNN-11", "P-RNN-38", "P-RNN-40", "P-RNN-42",
            ],
            Fault::UoroMissingInvRho0 => &["P-RNN-38"],
            Fault::KfMissingInvRho => &["P-RNN-40"],
            Fault::KfIgnoresScaling => &["P-RNN-41"],
            Fault::SnapMaskBeforePropagation => &["P-RNN-39"],
            Fault::ExpectedTruncationOffByOne => &["P-RNN-7", "P-RNN-11", "P-RNN-13"],
            Fault::SequenceWeightOffByOne => &["P-RNN-38", "P-RNN-40"],
            // Contrastive: every entry that fails with the fault at Test budget (for some, a
            // named finding must be the one that fails: `Fault::finding_that_must_fail`).
            Fault::PhaseWeightImbalance => {
                &["P-CL-13", "P-CL-18", "CL-T2", "EDGE-CL-1", "EDGE-CL-2"]
            }
            Fault::StreamClockLag => &["EDGE-CL-2"],
            Fault::MissingImportanceWeight => &["P-CL-1", "P-CL-2", "P-CL-3", "P-CL-14"],
            Fault::EpBetaSignFlip => &["P-CL-8", "P-CL-8.b", "P-CL-10", "P-CL-12"],
            Fault::EpMissingInvBeta => &["P-CL-8", "P-CL-8.b"],
            Fault::ChlPhaseSwap => &["P-CL-19", "P-CL-20"],
            Fault::KappaOff3Percent => &["P-CL-10"],
            Fault::GibbsStaleState => &["P-CL-18", "CL-T2"],
            // Caught by tests outside the catalogue (see `Fault::caught_by_tests`).
            Fault::FutureBpttWindowOffByOne
            | Fault::MarschallUoroRho0NotInverted
            | Fault::MarschallKfRho0NotInverted
            | Fault::MarschallReverseKfRho0NotInverted
            | Fault::MarschallKernlAlphaGradStaleOmega => &[],
            Fault::PhaseLengthOffByOne => {
                &["P-CL-5", "P-CL-6", "P-CL-7", "P-CL-15", "P-CL-18", "CL-T2"]
            }
            // The rest of the online-learning family.
            Fault::RkfMissingInvRho => &["P-RNN-42"],
            Fault::KernlBetaTransposed => &["P-RNN-43"],
            Fault::FutureBpttDelayOffByOne => &["P-RNN-44"],
            Fault::EfficientBpttWindowLeak => &["P-RNN-44"],
        }
    }
}

/// Fault, entry, finding: the entry's finding (by index) that the fault must make fail, not
/// merely some finding of the entry. These are the entries' primary claims, for the breaks that
/// once slipped through while a secondary finding failed (a 3 % phase-weight imbalance, κ off by
/// about 3 %); the catalogue's fault tests assert them, and that each pair is one of the fault's
/// [`Fault::meant_to_catch`] entries.
pub const PRIMARY_FINDINGS: &[(Fault, &str, usize)] = &[
    (Fault::PhaseWeightImbalance, "CL-T2", 0),
    (Fault::PhaseWeightImbalance, "P-CL-13", 1),
    (Fault::PhaseWeightImbalance, "P-CL-18", 0),
    (Fault::MissingImportanceWeight, "P-CL-1", 0),
    (Fault::MissingImportanceWeight, "P-CL-2", 0),
    (Fault::EpBetaSignFlip, "P-CL-8", 0),
    (Fault::EpBetaSignFlip, "P-CL-12", 0),
    (Fault::EpMissingInvBeta, "P-CL-8", 0),
    (Fault::ChlPhaseSwap, "P-CL-19", 0),
    (Fault::ChlPhaseSwap, "P-CL-20", 0),
    (Fault::KappaOff3Percent, "P-CL-10", 0),
    (Fault::GibbsStaleState, "P-CL-18", 0),
];

thread_local! {
    static ACTIVE: Cell<Option<Fault>> = const { Cell::new(None) };
}

/// Whether `f` is switched on for the current thread. Read it once per call, outside inner loops.
#[inline]
pub fn active(f: Fault) -> bool {
    ACTIVE.with(|a| a.get() == Some(f))
}

/// The fault switched on for the current thread, if any.
pub fn current() -> Option<Fault> {
    ACTIVE.with(|a| a.get())
}

/// `body`, to run with the calling thread's fault (if any) switched on on whatever thread runs it:
/// for work handed to another thread, which would otherwise run without the fault.
pub fn carried<R>(body: impl FnOnce() -> R) -> impl FnOnce() -> R {
    let fault = current();
    move || match fault {
        Some(f) => inject(f, body),
        None => body(),
    }
}

/// Runs `body` with `fault` switched on for the current thread, then restores the previous state,
/// also when `body` panics.
pub fn inject<R>(fault: Fault, body: impl FnOnce() -> R) -> R {
    struct Restore(Option<Fault>);
    impl Drop for Restore {
        fn drop(&mut self) {
            ACTIVE.with(|a| a.set(self.0));
        }
    }
    let _restore = Restore(ACTIVE.with(|a| a.replace(Some(fault))));
    body()
}

/// The fault with this name, if any.
pub fn by_name(name: &str) -> Option<Fault> {
    Fault::ALL.iter().copied().find(|f| f.name() == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_off_unless_injected_and_restored_after() {
        assert!(!active(Fault::LeakTwice));
        inject(Fault::LeakTwice, || {
            assert!(active(Fault::LeakTwice));
            assert!(!active(Fault::UpdateSignFlip));
            let other = std::thread::spawn(|| active(Fault::LeakTwice)).join();
            assert_eq!(
                other.ok(),
                Some(false),
                "thread-local: other threads unaffected"
            );
        });
        assert!(!active(Fault::LeakTwice));
        let r = std::panic::catch_unwind(|| inject(Fault::LeakTwice, || panic!("boom")));
        assert!(r.is_err());
        assert_eq!(current(), None, "restored on unwind");
    }

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Fault::ALL.len());
        for &f in Fault::ALL {
            assert_eq!(by_name(f.name()), Some(f));
            assert!(!f.description().is_empty());
        }
        assert!(Fault::ALL.len() >= 25);
    }
}
