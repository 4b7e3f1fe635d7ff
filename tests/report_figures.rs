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
    // BPTT and tBPTT end on the near branch (a > 0); RFLO with â < 0 ends on a < 0 (P-RNN-32),
    // and every end point lies on ab = c* = 2.
    for (label, sign) in [
        ("BPTT", 1.0),
        ("tBPTT(1)", 1.0),
        ("RFLO (â = −0.5, ŵ = 0)", -1.0),
    ] {
        let (a, b) = end(label);
        assert!(a * sign > 0.0, "{label} ended at a = {a}");
        assert!(
            (a * b / 2.0 - 1.0).abs() < lro::tolerances::MODES_ENDPOINT_REL,
            "{label} ended off the manifold: ab = {}",
            a * b
        );
    }
}

#[test]
fn rates_are_positive_except_on_rflos_opposite_branch() {
    let fig = figures::rates_vs_s(Budget::Quick).unwrap();
    assert!(series(&fig, "BPTT").iter().all(|p| p.1 > 0.0));
    assert!(series(&fig, "tBPTT(1)").iter().all(|p| p.1 > 0.0));
    // RFLO with â = 1: stable for s > 0; for s < 0 with |â||s|³ < c*² it is a saddle (λ_min < 0).
    let rflo = series(&fig, "RFLO (â = 1, ŵ = 0.5)");
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
    let rflo = series(&fig, "RFLO");
    assert!(
        (rflo[0].1 - 1.0).abs() < lro::tolerances::F64_IDENTITY_REL,
        "σ1/σ1 = {}",
        rflo[0].1
    );
    assert!(
        rflo[1].1 < lro::tolerances::RANK_REL_GAP,
        "σ2/σ1 = {}",
        rflo[1].1
    );
    assert!(series(&fig, "BPTT")[1].1 > lro::tolerances::HIGHER_RANK_MIN_GAP);
}

#[test]
fn ep_errors_fall_like_beta_and_beta_squared() {
    let fig = figures::ep_bias_vs_beta(Budget::Quick).unwrap();
    let slope = |pts: &[(f64, f64)]| {
        // Fit over the small-β half of the grid (β ≤ 0.3/2⁶), where the leading order dominates.
        let small: Vec<_> = pts.iter().filter(|p| p.0 <= 0.3 / 64.0).collect();
        let (a, b) = (small.first().unwrap(), small.last().unwrap());
        (a.1.ln() - b.1.ln()) / (a.0.ln() - b.0.ln())
    };
    let one = slope(series(&fig, "one-sided estimate"));
    let sym = slope(series(&fig, "symmetric ±β estimate"));
    assert!(
        (one - 1.0).abs() < lro::tolerances::CL_SLOPE_ABS,
        "one-sided slope {one}"
    );
    assert!(
        (sym - 2.0).abs() < lro::tolerances::CL_SLOPE_ABS,
        "symmetric slope {sym}"
    );
}

#[test]
fn local_learning_trajectories_end_at_their_predictions() {
    let fig = figures::cl_trajectories(Budget::Quick).unwrap();
    // Importance-weighted runs end near m = 1, the unit-weight P4 run near (π⁺/π⁻)·m = 0.5. The
    // band is loose (a picture, not a test statistic; P-CL-13 and the headline test carry the
    // statistics) but separates the two predictions.
    for s in fig.series.iter().filter(|s| s.label.starts_with('P')) {
        let end = s.points.last().unwrap().1;
        let want = if s.label.contains("unit weights") {
            0.5
        } else {
            1.0
        };
        assert!(
            (end - want).abs() < 0.15,
            "{}: ends at {end}, predicted {want}",
            s.label
        );
    }
}
