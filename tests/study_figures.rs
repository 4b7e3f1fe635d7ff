//! The study's report figures carry the data their captions claim.
use lro::catalogue::Budget;
use lro::report::figures::{self, Figure};
use lro::tolerances::{DETOUR_MIN_SLOWDOWN, RANK_REL_GAP};

fn series<'a>(fig: &'a Figure, prefix: &str) -> &'a [(f64, f64)] {
    &fig.series
        .iter()
        .find(|s| s.label.starts_with(prefix))
        .unwrap_or_else(|| panic!("no series {prefix} in {}", fig.name))
        .points
}

#[test]
fn detour_time_exceeds_the_nearest_branch_prediction() {
    let fig = figures::detour_times(Budget::Quick).unwrap();
    let rflo = series(&fig, "rflo");
    let near = series(&fig, "nearest-branch");
    let mut far_side = 0;
    for &(a0, t) in rflo {
        let Some(&(_, p)) = near.iter().find(|(x, _)| *x == a0) else {
            continue;
        };
        // â < 0: a start with a_0, b_0 > 0 is nearer the unstable branch and must detour.
        assert!(t >= DETOUR_MIN_SLOWDOWN * p, "a0 = {a0}: {t} vs {p}");
        far_side += 1;
    }
    assert!(far_side >= 10, "too few timed detours: {far_side}");
}

#[test]
fn study_rank_spectra_show_rflo_within_rank_o() {
    let fig = figures::study_rank_spectra(Budget::Quick).unwrap();
    let o = lro::study::selected().o;
    let rflo = series(&fig, "rflo");
    let bptt = series(&fig, "bptt");
    assert!(
        rflo[o].1 <= RANK_REL_GAP,
        "rflo σ_(o+1)/σ_1 = {}",
        rflo[o].1
    );
    assert!(bptt[o].1 > RANK_REL_GAP, "bptt σ_(o+1)/σ_1 = {}", bptt[o].1);
}

#[test]
fn heat_map_panels_label_their_axes_with_units() {
    use lro::study::analysis::Heatmap;
    let h = Heatmap {
        rule: "rflo".into(),
        x: ("o".into(), vec!["1".into(), "4".into()]),
        y: ("init".into(), vec!["0.3".into(), "0.6".into()]),
        cells: vec![vec![0.0, 0.65], vec![f64::NAN, 1.0]],
    };
    let path = std::env::temp_dir().join(format!("lro-heatmaps-{}.svg", std::process::id()));
    figures::study::render_heatmaps(&[h.clone(), h], "title", "a caption to read", &path).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(
        svg.contains("output dimension o (count)"),
        "x label with unit"
    );
    assert!(svg.contains("initial weight scale"), "y label");
    assert!(svg.contains("0.65"), "cell value printed");
    assert!(svg.contains("a caption to read"));
    assert!(svg.contains("converged fraction:"), "colour key");
}

#[test]
fn settings_study_section_tabulates_both_seed_sets() {
    use lro::study::{RULES, SELECTED_CRITERION, run_one, selected};
    let dir = std::env::temp_dir().join(format!("lro-study-section-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let md = lro::report::study::section(Budget::Quick, &dir, 2);
    let heatmap = dir.join("study_heatmaps_full.svg").exists();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(heatmap, "the full grid's heat maps are drawn");
    // RFLO's row: the in-sample count (seeds 0–19) and then the held-out count (seeds 20–39).
    let p = selected();
    let count = |seeds: std::ops::Range<u64>| {
        seeds
            .filter(|&s| SELECTED_CRITERION.converged(&run_one(&p, RULES[2], s).unwrap()))
            .count()
    };
    let (ins, held) = (count(0..20), count(20..40));
    let row = md
        .lines()
        .find(|l| l.starts_with("| RFLO |"))
        .expect("an RFLO row");
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    assert_eq!(cells[2], format!("{ins}/20"), "{row}");
    assert_eq!(cells[4], format!("{held}/20"), "{row}");
    assert_eq!(cells[6], "13/20", "the paper's count");
    assert!(md.contains("### The full grid (committed run)"));
    assert!(md.contains("beats the majority baseline"));
}

/// The full budget's section also runs the quick grid (1 920 runs: about a minute on two cores, so
/// run it with `--ignored`).
#[test]
#[ignore]
fn settings_study_section_at_full_budget_runs_the_quick_grid() {
    let dir = std::env::temp_dir().join(format!("lro-study-section-full-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let md = lro::report::study::section(Budget::Full, &dir, 2);
    let drawn = dir.join("study_heatmaps_quick.svg").exists();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(drawn, "the quick grid's heat maps are drawn");
    assert!(md.contains("### The quick grid, run for this report"));
    assert!(md.contains("1920 runs"), "{md}");
    assert!(md.contains("Figure S2 (full grid)"));
}
