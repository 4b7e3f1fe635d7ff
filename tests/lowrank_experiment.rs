//! The student–teacher experiment of `docs/theory/linear-rnn.md#experiments` (settings chosen by the project; see
//! `lro::lowrank::experiment`). The test-budget run is snapshotted; the full 20-seed run is
//! `#[ignore]`d (run it with `cargo test --release --test lowrank_experiment -- --ignored`).
use lro::evidence::Budget;
use lro::lowrank::experiment::{RULES, Settings, run};
use lro::tolerances::{EFFECTIVE_RANK_REL, HIGHER_RANK_MIN_GAP, RANK_REL_GAP};

fn check(budget: Budget, snapshot: &str) {
    let s = Settings::at(budget);
    let sum = run(&s).unwrap();
    assert_eq!(sum.runs.len(), RULES.len() * s.seeds as usize);
    // Proposition 3.1 with o = 1: every RFLO run has rank(W_K − W_0) ≤ 1, and a nonzero change.
    for r in sum.of("rflo") {
        assert!(
            r.gap <= RANK_REL_GAP,
            "rflo seed {}: gap {:e}",
            r.seed,
            r.gap
        );
        assert_eq!(r.rank, 1, "rflo seed {}", r.seed);
    }
    // BPTT is the reference: it fits the teacher (L_K ≤ 1% L_0) on every seed, with a change of
    // effective rank > 1 (several significant singular values).
    for r in sum.of("bptt") {
        assert!(
            r.converged(&s),
            "bptt seed {} did not converge: {r:?}",
            r.seed
        );
        assert!(r.effective_rank > 1 && r.gap > HIGHER_RANK_MIN_GAP, "{r:?}");
    }
    // The initial loss is the same for every rule on one seed (same draw).
    for seed in 0..s.seeds {
        let l0: Vec<f64> = sum
            .runs
            .iter()
            .filter(|r| r.seed == seed)
            .map(|r| r.loss0)
            .collect();
        assert!(l0.windows(2).all(|w| w[0] == w[1]), "{l0:?}");
    }
    const { assert!(EFFECTIVE_RANK_REL > RANK_REL_GAP) };
    let text = sum.render();
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(snapshot, text)
    });
}

#[test]
fn experiment_at_test_budget() {
    check(Budget::Test, "lowrank_experiment_test");
}

#[test]
#[ignore = "full budget: 20 seeds × 4 rules × 12000 steps (about 15 s in release)"]
fn experiment_at_full_budget() {
    check(Budget::Full, "lowrank_experiment_full");
}

/// `lro lowrank` prints the summary; zero seeds is a usage error (exit code 2).
#[test]
fn cli_runs_the_experiment() {
    let bin = env!("CARGO_BIN_EXE_lro");
    let out = std::process::Command::new(bin)
        .args(["lowrank", "--seeds", "1", "--steps", "200"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("[rflo]") && text.contains("settings chosen by the project"),
        "{text}"
    );
    let bad = std::process::Command::new(bin)
        .args(["lowrank", "--seeds", "0"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
