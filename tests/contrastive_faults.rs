//! The full fault → failing-entries matrix over the contrastive entries (ignored: minutes; run with
//! `cargo test --release --test contrastive_faults -- --ignored --nocapture`). That each contrastive
//! fault is caught by the entries meant to catch it, at their primary findings where
//! `faults::PRIMARY_FINDINGS` names one, is the catalogue's `fault::NAME` tests.
use lro::catalogue::{Budget, Entry, Evidence, contrastive};
use lro::faults::{self, Fault};
use std::time::Instant;

/// The contrastive faults.
const FAULTS: &[Fault] = &[
    Fault::PhaseWeightImbalance,
    Fault::MissingImportanceWeight,
    Fault::EpBetaSignFlip,
    Fault::EpMissingInvBeta,
    Fault::ChlPhaseSwap,
    Fault::KappaOff3Percent,
    Fault::GibbsStaleState,
    Fault::PhaseLengthOffByOne,
];

fn run(e: &Entry) -> Option<Evidence> {
    (e.check)(Budget::Test).ok()
}

/// Whether the check failed (an error counts as a failure).
fn caught(ev: &Option<Evidence>) -> bool {
    ev.as_ref().is_none_or(|ev| !ev.passed)
}

/// The whole matrix (slow: every contrastive entry under every contrastive fault).
#[test]
#[ignore = "runs every contrastive entry under every contrastive fault (minutes); prints the matrix"]
fn contrastive_check_power_matrix() {
    let entries = contrastive::entries();
    for e in &entries {
        let t = Instant::now();
        let ev = run(e);
        println!(
            "clean {:10} passed = {:5} ({:.1} s)",
            e.id,
            ev.as_ref().is_some_and(|v| v.passed),
            t.elapsed().as_secs_f64()
        );
    }
    for fault in FAULTS {
        let failing: Vec<&str> = entries
            .iter()
            .filter(|e| faults::inject(*fault, || caught(&run(e))))
            .map(|e| e.id)
            .collect();
        println!("{:28} → {}", fault.name(), failing.join(", "));
    }
}
