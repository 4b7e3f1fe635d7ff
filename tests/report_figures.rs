//! The report's figures carry the data they claim to show.
use lro::catalogue::Budget;
use lro::report::figures;

fn series<'a>(fig: &'a figures::Figure, label: &str) -> &'a [(f64, f64)] {
    &fig.series
        .iter()
        .find(|s| s.label == label)
        .unwrap_or_else(|| panic!("no series {label}"))
        .points
}

#[test]
fn rflo_detours_to_the_branch_of_its_feedback_sign() {
    let fig = figures::phase_portrait(Budget::Quick).unwrap();
    let end = |l: &str| *series(&fig, l).last().unwrap();
    // BPTT and tBPTT end on the near branch (a > 0); RFLO with â < 0 ends on a < 0 (spec P-RNN-32),
    // and every end point lies on ab = c* = 2.
    for (label, sign) in [("bptt", 1.0), ("tbptt:1", 1.0), ("rflo", -1.0)] {
        let (a, b) = end(label);
        assert!(a * sign > 0.0, "{label} ended at a = {a}");
        assert!(
            (a * b - 2.0).abs() < 1e-6,
            "{label} ended off the manifold: ab = {}",
            a * b
        );
    }
}

#[test]
fn rates_are_positive_except_on_rflos_opposite_branch() {
    let fig = figures::rates_vs_s(Budget::Quick).unwrap();
    assert!(series(&fig, "bptt").iter().all(|p| p.1 > 0.0));
    assert!(series(&fig, "tbptt:1").iter().all(|p| p.1 > 0.0));
    // RFLO with â = 1: stable for s > 0; for s < 0 with |â||s|³ < c*² it is a saddle (λ_min < 0).
    let rflo = series(&fig, "rflo");
    assert!(rflo.iter().filter(|p| p.0 > 0.0).all(|p| p.1 > 0.0));
    assert!(
        rflo.iter()
            .filter(|p| p.0 < 0.0 && p.0.abs().powi(3) < 1.44)
            .all(|p| p.1 < 0.0)
    );
}

#[test]
fn rank_spectrum_of_rflo_is_one() {
    let fig = figures::rank_spectra(Budget::Quick).unwrap();
    let rflo = series(&fig, "rflo");
    assert!((rflo[0].1 - 1.0).abs() < 1e-12);
    assert!(
        rflo[1].1 < lro::tolerances::RANK_REL_GAP,
        "σ2/σ1 = {}",
        rflo[1].1
    );
    assert!(series(&fig, "bptt")[1].1 > lro::tolerances::HIGHER_RANK_MIN_GAP);
}
