//! Bad and extreme input on the command line: every input that once gave a false success, a hang,
//! an unbounded allocation or a clap parse error instead of a domain message now exits with code 2
//! and says why, well under a second (`lro modes`, `lowrank`, `reproduce`, `check`'s tolerances).
use lro::cli::modes::{DEFAULT_MAX_HORIZON, ModesArgs, compute};
use std::process::Command;
use std::time::{Duration, Instant};

/// Wall-clock bound for one refused invocation (process start included). A refusal does no
/// numerical work; this only catches a hang or a loop over the requested horizon, which took
/// minutes to forever before the checks existed. Not a performance claim.
const REFUSAL_WALL_CLOCK: Duration = Duration::from_secs(5);

fn lro(args: &[&str]) -> (i32, String, String, Duration) {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_lro"))
        .args(args)
        .output()
        .expect("the lro binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        start.elapsed(),
    )
}

fn refused(args: &[&str], why: &[&str]) {
    let (code, out, err, took) = lro(args);
    assert_eq!(
        code, 2,
        "{args:?} gave exit {code}: stdout {out} stderr {err}"
    );
    assert!(out.is_empty(), "{args:?} printed results: {out}");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    for w in why {
        assert!(
            err.contains(w),
            "{args:?}: stderr '{err}' should mention '{w}'"
        );
    }
    assert!(took < REFUSAL_WALL_CLOCK, "{args:?} took {took:?}");
}

#[test]
fn modes_values_that_overflow_are_refused_not_printed() {
    // Printed inf and NaN with exit 0 before.
    refused(
        &[
            "modes",
            "--rule",
            "bptt",
            "--mode",
            "1e200,1,0.3",
            "--teacher",
            "1,1,0.5",
        ],
        &["not finite", "loss"],
    );
    // Looped forever in the eigenvalue routine on a non-finite Jacobian before.
    refused(
        &[
            "modes",
            "--rule",
            "bptt",
            "--mode",
            "1e308,1e308,0.3",
            "--teacher",
            "1,1,0.5",
        ],
        &["not finite"],
    );
    refused(
        &[
            "modes",
            "--rule",
            "bptt",
            "--mode",
            "0.5,0.5,1.5",
            "--teacher",
            "1,1,0.5",
            "--horizon",
            "1000",
        ],
        &["not finite", "shorter horizon"],
    );
    // Finite values but a Jacobian too large for the eigenvalue routine.
    refused(
        &[
            "modes",
            "--rule",
            "bptt",
            "--mode",
            "1e76,1e76,0.3",
            "--teacher",
            "1,1,0.5",
        ],
        &["eigenvalue routine"],
    );
}

#[test]
fn modes_horizons_and_truncations_are_checked_against_the_limit() {
    for h in ["1e12", "1000000000", "1e9"] {
        refused(
            &[
                "modes",
                "--rule",
                "bptt",
                "--mode",
                "0.5,0.5,0.5",
                "--teacher",
                "1,1,0.5",
                "--horizon",
                h,
            ],
            &["horizon T", h, "1000000 steps", "--max-horizon"],
        );
    }
    for k in ["tbptt:1000000000000", "tbptt:99999999999999999999999"] {
        refused(
            &[
                "modes",
                "--rule",
                k,
                "--mode",
                "0.5,0.5,0.5",
                "--teacher",
                "1,1,0.5",
            ],
            &["truncation K", "--max-horizon"],
        );
    }
    // The limit is a flag: raising it admits the request.
    let (code, _, err, _) = lro(&[
        "modes",
        "--rule",
        "bptt",
        "--mode",
        "0.5,0.5,0.5",
        "--teacher",
        "1,1,0.5",
        "--horizon",
        "2000000",
        "--max-horizon",
        "2000000",
    ]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn negative_numbers_get_a_domain_message_not_a_parse_error() {
    let base = [
        "modes",
        "--rule",
        "bptt",
        "--mode",
        "0.5,0.5,0.5",
        "--teacher",
        "1,1,0.5",
    ];
    for (extra, why) in [
        (&["--horizon", "-5"][..], "positive integer"),
        (&["--horizon", "0"][..], "positive integer"),
        (&["--horizon", "2.5"][..], "positive integer"),
        (&["--max-horizon", "-3"][..], "positive integer"),
    ] {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        refused(&args, &[why]);
    }
    refused(
        &[
            "modes",
            "--rule",
            "tbptt:-3",
            "--mode",
            "0.5,0.5,0.5",
            "--teacher",
            "1,1,0.5",
        ],
        &["K ≥ 1"],
    );
    refused(&["lowrank", "--seeds", "-5"], &["positive integer"]);
    refused(&["lowrank", "--steps", "-1"], &["positive integer"]);
    refused(
        &["lowrank", "--seeds", "100000000"],
        &["--seeds", "exceeds the limit"],
    );
    refused(
        &["reproduce", "P-RNN-1", "--instance", "-1"],
        &["numbered from 0"],
    );
    refused(
        &[
            "check",
            "--case",
            "x",
            "--candidate",
            "y",
            "--rtol",
            "-1e-9",
        ],
        &["tolerance must be ≥ 0"],
    );
    refused(
        &["check", "--case", "x", "--candidate", "y", "--atol", "nan"],
        &["finite"],
    );
}

#[test]
fn reproduce_refuses_unknown_ids_and_missing_instances() {
    refused(
        &["reproduce", "P-NOPE-1", "--instance", "0"],
        &["no catalogue entry", "lro list"],
    );
}

#[test]
fn help_states_defaults_as_values_and_the_bare_command() {
    let (code, out, _, _) = lro(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("quick report into ./lro-report"), "{out}");
    let (_, out, _, _) = lro(&["check", "--help"]);
    let rtol = format!("{:e}", lro::tolerances::ORACLE_CHECK_RTOL);
    let atol = format!("{:e}", lro::tolerances::ORACLE_CHECK_ATOL);
    assert!(out.contains(&format!("[default: {rtol}]")), "{out}");
    assert!(out.contains(&format!("[default: {atol}]")), "{out}");
    assert!(!out.contains("tolerances::"), "{out}");
    let (_, out, _, _) = lro(&["modes", "--help"]);
    assert!(
        out.contains(&format!("[default: {DEFAULT_MAX_HORIZON}]")),
        "{out}"
    );
    assert!(out.contains("[default: inf]"), "{out}");
    // The oracle's resource limits are stated as the values Limits::default() holds.
    let limits = lro::oracle::Limits::default();
    let mib = 1024 * 1024;
    let (_, out, _, _) = lro(&["export", "--help"]);
    for (flag, value) in [
        ("--max-n", limits.n),
        ("--max-horizon", limits.horizon),
        ("--max-batch", limits.batch),
        ("--max-fixture-mb", limits.fixture_bytes / mib),
    ] {
        // The flag's entry runs from its name to the next option.
        let at = out.find(&format!("{flag} <")).expect("the flag is listed");
        let entry = &out[at..];
        let entry = &entry[..entry[2..].find("\n      -").map_or(entry.len(), |e| e + 2)];
        assert!(
            entry.contains(&format!("[default: {value}]")),
            "{flag} should state [default: {value}]: {entry}"
        );
    }
    let (_, out, _, _) = lro(&["check", "--help"]);
    let cand = format!("[default: {}]", limits.candidate_bytes / mib);
    assert!(out.contains(&cand), "{out}");
    // The main job's own help says that bare `lro` runs it, and where.
    let (_, out, _, _) = lro(&["report", "--help"]);
    assert!(
        out.contains("bare `lro` runs it") && out.contains("./lro-report"),
        "{out}"
    );
    assert!(out.contains("[default: lro-report]") && out.contains("[default: quick]"));
}

#[test]
fn library_parser_refuses_the_same_inputs_without_a_process() {
    let mut a = ModesArgs::new("bptt", "0.5,0.5,1.5", "1,1,0.5");
    a.horizon = "1000".into();
    let e = compute(&a).expect_err("overflows");
    assert_eq!(e.exit_code(), 2);
    a.horizon = "30".into();
    let r = compute(&a).expect("finite at T = 30");
    assert!(r.loss.is_finite());
}

mod smoke {
    //! A proptest-based smoke version of the `fuzz_modes` target: arbitrary and adversarial
    //! argument strings never panic, and a success holds only finite numbers.
    use lro::cli::modes::{ModesArgs, compute};
    use proptest::prelude::*;

    /// Horizon limit for the smoke test: every accepted input runs in milliseconds.
    const SMOKE_MAX_HORIZON: u64 = 2_000;

    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            (-3.0f64..3.0).prop_map(|x| format!("{x}")),
            (-1e308f64..1e308).prop_map(|x| format!("{x:e}")),
            (any::<i32>(), any::<i32>()).prop_map(|(p, q)| format!("{p}/{q}")),
            Just("nan".to_string()),
            Just("-inf".to_string()),
            Just("1e400".to_string()),
            Just("0.999999999999".to_string()),
            "[-0-9./eE]{0,8}",
        ]
    }

    fn triple() -> impl Strategy<Value = String> {
        prop_oneof![
            (number(), number(), number()).prop_map(|(a, b, c)| format!("{a},{b},{c}")),
            ".{0,20}",
        ]
    }

    fn rule() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("bptt".to_string()),
            Just("rflo".to_string()),
            any::<i64>().prop_map(|k| format!("tbptt:{k}")),
            (0u64..50).prop_map(|k| format!("tbptt:{k}")),
            ".{0,10}",
        ]
    }

    fn horizon() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("inf".to_string()),
            (0u64..3_000).prop_map(|t| t.to_string()),
            any::<i64>().prop_map(|t| t.to_string()),
            number(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
        #[test]
        fn modes_arguments_never_panic_and_successes_are_finite(
            rule in rule(),
            mode in triple(),
            teacher in triple(),
            feedback in proptest::option::of((number(), number()).prop_map(|(a, b)| format!("{a},{b}"))),
            horizon in horizon(),
        ) {
            let mut args = ModesArgs::new(&rule, &mode, &teacher);
            args.feedback = feedback;
            args.horizon = horizon;
            args.max_horizon = SMOKE_MAX_HORIZON;
            match compute(&args) {
                Ok(r) => {
                    let numbers = [r.loss, r.update.a, r.update.b, r.update.w]
                        .into_iter()
                        .chain(r.jacobian.iter().flatten().copied())
                        .chain(r.eigenvalues.iter().flat_map(|e| [e.re, e.im]));
                    for x in numbers {
                        prop_assert!(x.is_finite(), "{x} in a success for {args:?}");
                    }
                }
                Err(e) => prop_assert_eq!(e.exit_code(), 2, "{:?}: {}", args, e),
            }
        }
    }
}
