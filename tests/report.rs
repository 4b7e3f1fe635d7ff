//! `lro report`, `lro list`, the reviewed snapshot of the quick report, and the worst-instance
//! reproducers of the quick report's entries.
use lro::catalogue::{self, Budget, Entry};
use lro::evidence::{Evidence, with_instance};
use lro::report::{self, Report};
use std::process::Command;
use std::sync::OnceLock;

/// The quick report, run once for every test of this file that reads it.
fn quick_report() -> &'static Report {
    static QUICK: OnceLock<Report> = OnceLock::new();
    QUICK.get_or_init(|| {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        report::run(Budget::Quick, None, threads, |_| {})
    })
}

fn entry(id: &str) -> Entry {
    catalogue::find(id).unwrap_or_else(|| panic!("no entry {id}"))
}

fn run(e: &Entry, b: Budget) -> Evidence {
    (e.check)(b).unwrap_or_else(|err| panic!("{} did not run: {err}", e.id))
}

fn lro() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lro"))
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lro-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The quick report's rounded summary is reviewed as a snapshot: a change in any verified number's
/// order of magnitude, a status, an instance count or a tolerance shows up in review.
#[test]
fn quick_report_summary_snapshot() {
    let rep = quick_report();
    let failing: Vec<_> = rep
        .entries
        .iter()
        .filter(|e| e.status != "pass")
        .map(|e| (&e.id, &e.detail))
        .collect();
    assert!(
        failing.is_empty(),
        "failing entries at quick budget: {failing:?}"
    );
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("report_quick_summary", report::rounded_summary(rep));
    });
}

#[test]
fn report_writes_markdown_json_and_figures() {
    let out = scratch("report");
    let st = lro()
        .args(["report", "--only", "P-RNN-7", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let stdout = String::from_utf8_lossy(&st.stdout);
    assert!(
        stdout.contains("P-RNN-7") && stdout.contains("1 entries, 0 failed"),
        "{stdout}"
    );
    // stderr is a pipe here, not a terminal: progress still arrives, one line per entry.
    let stderr = String::from_utf8_lossy(&st.stderr);
    assert!(
        stderr.contains("[1/1] P-RNN-7 finished"),
        "progress line missing: {stderr}"
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("| P-RNN-7 |") && md.contains("[derived]"),
        "{md}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["version"], lro::report::REPORT_VERSION);
    // The headline claims travel in report.json too: with only P-RNN-7 run, the groundwork claim
    // (twelve entries, P-RNN-7 among them) holds on 1 of 12 and a claim without it is not checked.
    let claims = json["claims"].as_array().expect("report.json has claims");
    let groundwork = claims
        .iter()
        .find(|c| {
            c["entries"]
                .as_array()
                .is_some_and(|e| e.contains(&"P-RNN-7".into()))
        })
        .expect("a claim lists P-RNN-7");
    assert_eq!(groundwork["paper"], "linear-rnn");
    assert_eq!(groundwork["verdict"], "holds-partly", "{groundwork}");
    assert_eq!(
        (&groundwork["checked"], &groundwork["of"]),
        (&1.into(), &12.into())
    );
    assert!(
        claims
            .iter()
            .any(|c| c["paper"] == "contrastive" && c["verdict"] == "not-checked"),
        "{json}"
    );
    let e = &json["entries"][0];
    for key in [
        "id",
        "statement",
        "provenance",
        "status",
        "instances",
        "measure",
        "value",
        "bound",
        "findings",
    ] {
        assert!(e.get(key).is_some(), "report.json entry lacks {key}: {e}");
    }
    assert_eq!(e["status"], "pass");
    // P-RNN-7 is checked exactly over Q (and also in f64): one finding counts exact mismatches
    // (0), and the row's headline is whichever finding is closest to its bound.
    let findings = e["findings"].as_array().expect("findings is an array");
    assert!(
        findings
            .iter()
            .any(|f| f["measure"] == "exact-mismatches" && f["value"] == 0.0),
        "P-RNN-7 has an exact finding over Q with 0 mismatches: {e}"
    );
    assert!(
        findings.iter().all(|f| f["value"].is_number()),
        "every finding carries a numeric value: {e}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn report_rejects_a_pattern_that_matches_nothing() {
    let out = scratch("nothing");
    let st = lro()
        .args(["report", "--only", "no-such-id", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&st.stderr).contains("matches no catalogue id"));
}

#[test]
fn list_names_every_entry() {
    let st = lro().arg("list").output().unwrap();
    assert!(st.status.success());
    let text = String::from_utf8_lossy(&st.stdout);
    for e in lro::catalogue::all() {
        assert!(text.contains(e.id), "lro list lacks {}", e.id);
    }
    for case in lro::oracle::cases::builtin_names() {
        assert!(
            text.contains(case),
            "lro list lacks the built-in case {case}"
        );
    }
}

#[test]
fn gradcheck_figure_shows_the_expected_error_laws() {
    let fig = report::figures::gradcheck_steps(Budget::Quick).unwrap();
    let series = |label: &str| {
        &fig.series
            .iter()
            .find(|s| s.label.contains(label))
            .unwrap()
            .points
    };
    // MPFR central differences carry truncation error only: it falls like h² (slope 2 per decade).
    let mp = series("MPFR");
    let at = |pts: &Vec<(f64, f64)>, h: f64| {
        pts.iter().find(|p| (p.0 / h - 1.0).abs() < 1e-9).unwrap().1
    };
    let slope = (at(mp, 1e-3).log10() - at(mp, 1e-5).log10()) / 2.0;
    assert!((slope - 2.0).abs() < 0.1, "MPFR truncation slope {slope}");
    // f64 central differences are best near h ≈ 1e-5 and worse at both ends; complex step is exact to
    // rounding for every small h.
    let fd = series("central difference, f64");
    assert!(at(fd, 1e-5) < at(fd, 1e-1) && at(fd, 1e-5) < at(fd, 1e-13));
    let cs = series("complex step");
    assert!(
        cs.iter()
            .filter(|p| p.0 <= 1e-8)
            .all(|p| p.1 < lro::tolerances::COMPLEX_STEP_REL),
        "{cs:?}"
    );
}

#[test]
fn reproduce_reruns_one_instance_and_prints_its_inputs() {
    let st = lro()
        .args(["reproduce", "P-RNN-7", "--instance", "0"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&st.stdout);
    assert!(
        st.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&st.stderr)
    );
    assert!(
        stdout.contains("P-RNN-7") && stdout.contains("instance 0"),
        "{stdout}"
    );
    assert!(
        stdout.contains("PASS") && stdout.contains("reproducer:"),
        "{stdout}"
    );
}

/// Entries whose worst instance reruns alone: per-mode sweeps with an f64 error (P-RNN-14, 22,
/// 26), an exact certificate (P-RNN-14.a), fixed lists of runs (P-RNN-31, 33, 34), a low-rank
/// sweep (P-RNN-37), the root search (P-RNN-19, whose converged fraction pools the instances: its
/// worst instance's own fraction is at most the pooled one), and whole-setting entries whose
/// instance 0 is the entire check (P-CL-5, EXP-RNN-10).
const RERUN: [&str; 11] = [
    "P-RNN-14",
    "P-RNN-14.a",
    "P-RNN-19",
    "P-RNN-22",
    "P-RNN-26",
    "P-RNN-31",
    "P-RNN-33",
    "P-RNN-34",
    "P-RNN-37",
    "P-CL-5",
    "EXP-RNN-10",
];

/// Every entry of the quick report carries the reproducer of its worst instance (instance index,
/// number kind, and the seed, sizes and parameters that define it), and rerunning that instance
/// alone (`lro reproduce ID --instance K`, i.e. `with_instance(K)`) gives the same headline.
#[test]
fn every_entry_carries_its_worst_instance_at_the_quick_budget() {
    let mut missing = Vec::new();
    let mut quick = Vec::new();
    for ev in &quick_report().entries {
        match &ev.reproducer {
            Some(r) if !r.number_kind.trim().is_empty() => {}
            Some(r) => missing.push(format!("{}: reproducer without a number kind ({r})", ev.id)),
            None => missing.push(format!("{}: no reproducer", ev.id)),
        }
        if RERUN.contains(&ev.id.as_str()) {
            quick.push((entry(&ev.id), ev));
        }
    }
    assert!(
        missing.is_empty(),
        "{} entries lack a reproducer:\n{}",
        missing.len(),
        missing.join("\n")
    );
    assert_eq!(
        quick.len(),
        RERUN.len(),
        "every sampled id is in the catalogue"
    );
    for (e, ev) in quick {
        let r = ev.reproducer.clone().expect("checked above");
        let alone = with_instance(r.instance, || run(&e, Budget::Quick));
        assert!(
            alone.instances > 0,
            "{}: instance {} did not run",
            e.id,
            r.instance
        );
        assert_eq!(
            alone.reproducer.as_ref(),
            Some(&r),
            "{}: instance {} rerun alone describes other inputs",
            e.id,
            r.instance
        );
        let one = alone.headline().expect("findings");
        let full = ev
            .findings
            .iter()
            .find(|f| f.label == one.label)
            .unwrap_or_else(|| panic!("{}: the report has no finding {one}", e.id));
        if e.id == "P-RNN-19" {
            assert!(
                one.value <= full.value,
                "P-RNN-19: the least-converged instance ({one}) converged more often than the pool ({full})"
            );
            continue;
        }
        assert_eq!(
            (full.value.to_bits(), ev.value.to_bits()),
            (one.value.to_bits(), one.value.to_bits()),
            "{}: the report's headline {} is not the rerun instance's {one}",
            e.id,
            ev.value
        );
    }
}
