//! Fault injection for the contrastive entries: each named fault switched on alone must make the
//! entries meant to catch it fail, and for the breaks that once slipped through (a 3 % phase-weight
//! imbalance, κ off by about 3 %) the entry's primary finding must be the one that fails. Run with
//! `--nocapture` to see the full fault → failing-entries matrix over the contrastive entries.
use lro::catalogue::{Budget, Entry, Evidence, contrastive};
use lro::faults::{self, Fault};
use std::time::Instant;

/// Fault → (entry that must fail, index of the finding that must fail, if a specific one must).
const EXPECTED: &[(Fault, &[(&str, Option<usize>)])] = &[
    (
        Fault::PhaseWeightImbalance,
        &[
            ("CL-T2", Some(0)),
            ("P-CL-13", Some(1)),
            ("P-CL-18", Some(0)),
        ],
    ),
    (
        Fault::MissingImportanceWeight,
        &[("P-CL-1", Some(0)), ("P-CL-2", Some(0)), ("P-CL-3", None)],
    ),
    (
        Fault::EpBetaSignFlip,
        &[
            ("P-CL-8", Some(0)),
            ("P-CL-8.b", None),
            ("P-CL-12", Some(0)),
        ],
    ),
    (
        Fault::EpMissingInvBeta,
        &[("P-CL-8", Some(0)), ("P-CL-8.b", None)],
    ),
    (
        Fault::ChlPhaseSwap,
        &[("P-CL-19", Some(0)), ("P-CL-20", Some(0))],
    ),
    (Fault::KappaOff3Percent, &[("P-CL-10", Some(0))]),
    (Fault::GibbsStaleState, &[("P-CL-18", Some(0))]),
    (
        Fault::PhaseLengthOffByOne,
        &[("P-CL-5", None), ("P-CL-6", None)],
    ),
];

fn entry(id: &str) -> Entry {
    contrastive::entries()
        .into_iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("no contrastive entry {id}"))
}

fn run(e: &Entry) -> Option<Evidence> {
    (e.check)(Budget::Test).ok()
}

/// Whether the check failed (an error counts as a failure), and whether finding `which` failed.
fn caught(ev: &Option<Evidence>, which: Option<usize>) -> bool {
    match (ev, which) {
        (None, _) => true,
        (Some(ev), None) => !ev.passed,
        (Some(ev), Some(i)) => ev.findings.get(i).is_some_and(|f| !f.holds()),
    }
}

#[test]
fn each_contrastive_fault_is_caught_by_its_entries() {
    let mut missed = Vec::new();
    for (fault, catchers) in EXPECTED {
        for (id, which) in *catchers {
            let e = entry(id);
            let ev = faults::inject(*fault, || run(&e));
            if !caught(&ev, *which) {
                missed.push(format!(
                    "{} not caught by {id} (finding {which:?}): {ev:?}",
                    fault.name()
                ));
            }
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
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
    for (fault, _) in EXPECTED {
        let failing: Vec<&str> = entries
            .iter()
            .filter(|e| faults::inject(*fault, || caught(&run(e), None)))
            .map(|e| e.id)
            .collect();
        println!("{:28} → {}", fault.name(), failing.join(", "));
    }
}
