//! `lro modes` end to end: runs the built binary, checks the JSON keys and values, and exit code 2 on
//! bad arguments.
mod common;
use common::lro;

#[test]
fn json_has_the_documented_keys_and_values() {
    let (code, out, err) = lro(&[
        "modes",
        "--rule",
        "bptt",
        "--mode",
        "1/2,-3/4,0.25",
        "--teacher",
        "1,1,1/2",
        "--json",
    ]);
    assert_eq!(code, 0, "stderr: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    for key in [
        "rule",
        "horizon",
        "loss",
        "update",
        "jacobian",
        "eigenvalues",
        "class",
    ] {
        assert!(v.get(key).is_some(), "missing key {key} in {out}");
    }
    assert_eq!(v["rule"], "bptt");
    assert_eq!(v["horizon"], "inf");
    for k in ["a", "b", "w"] {
        assert!(v["update"][k].is_f64(), "update.{k}");
    }
    let j = v["jacobian"].as_array().expect("rows");
    assert_eq!(j.len(), 3);
    assert!(j.iter().all(|r| r.as_array().map(|r| r.len()) == Some(3)));
    let e = v["eigenvalues"].as_array().expect("eigenvalues");
    assert_eq!(e.len(), 3);
    assert!(e.iter().all(|z| z["re"].is_f64() && z["im"].is_f64()));
    // Values: Δ at (1/2, −3/4, 1/4), teacher c* = 1, w* = 1/2 (T → ∞ BPTT forms of `docs/theory/modes.md#ode-fields`):
    // c = −3/8, 1 − w² = 15/16, 1 − ww* = 7/8 → Δa = b[c/(1−w²) − c*/(1−ww*)]
    let (a, b, w, cs, ws) = (0.5f64, -0.75f64, 0.25f64, 1.0f64, 0.5f64);
    let c = a * b;
    let br = c / (1.0 - w * w) - cs / (1.0 - w * ws);
    let expect_da = b * br;
    let expect_db = a * br;
    let got_da = v["update"]["a"].as_f64().expect("number");
    let got_db = v["update"]["b"].as_f64().expect("number");
    assert!((got_da - expect_da).abs() <= lro::tolerances::F64_IDENTITY_REL * expect_da.abs());
    assert!((got_db - expect_db).abs() <= lro::tolerances::F64_IDENTITY_REL * expect_db.abs());
    // The Jacobian printed is J = −∂Δ/∂θ: J[0][0] = −∂Δa/∂a = −b²/(1−w²).
    let j00 = j[0][0].as_f64().expect("number");
    let expect_j00 = -b * b / (1.0 - w * w);
    assert!((j00 - expect_j00).abs() <= lro::tolerances::F64_IDENTITY_REL * expect_j00.abs());
}

#[test]
fn classes_on_the_manifold_and_the_line() {
    // BPTT on the optimal manifold: stable node; on (0, 0, w): saddle; RFLO with â s < 0 and
    // |â||s|³ < c*²: saddle.
    let cases = [
        (
            vec![
                "--rule",
                "bptt",
                "--mode",
                "2,1/2,0.5",
                "--teacher",
                "1,1,0.5",
            ],
            "stable-node",
        ),
        (
            vec![
                "--rule",
                "tbptt:1",
                "--mode",
                "0,0,0.3",
                "--teacher",
                "1,1,0.5",
            ],
            "saddle",
        ),
        (
            vec![
                "--rule",
                "rflo",
                "--mode",
                "-1/2,-2,0.5",
                "--teacher",
                "1,1,0.5",
                "--feedback",
                "1,0.25",
            ],
            "saddle",
        ),
        (
            vec![
                "--rule",
                "rflo",
                "--mode",
                "1/2,2,0.5",
                "--teacher",
                "1,1,0.5",
                "--feedback",
                "1,0.25",
            ],
            "stable-node",
        ),
    ];
    for (args, class) in cases {
        let mut full = vec!["modes"];
        full.extend(args.iter().copied());
        full.push("--json");
        let (code, out, err) = lro(&full);
        assert_eq!(code, 0, "{args:?}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(v["class"], class, "{args:?}: {out}");
    }
}

#[test]
fn bad_arguments_exit_with_code_2_and_say_why() {
    let bad: [(&[&str], &str); 8] = [
        (
            &[
                "modes",
                "--rule",
                "bptt",
                "--mode",
                "1,1,1",
                "--teacher",
                "1,1,0.5",
            ],
            "|w|",
        ),
        (
            &[
                "modes",
                "--rule",
                "bptt",
                "--mode",
                "1,1,0.2",
                "--teacher",
                "1,1,-1.5",
            ],
            "w*",
        ),
        (
            &[
                "modes",
                "--rule",
                "rflo",
                "--mode",
                "1,1,0.2",
                "--teacher",
                "1,1,0.5",
            ],
            "feedback",
        ),
        (
            &[
                "modes",
                "--rule",
                "bptt",
                "--mode",
                "1,x,0.2",
                "--teacher",
                "1,1,0.5",
            ],
            "malformed",
        ),
        (
            &[
                "modes",
                "--rule",
                "bptt",
                "--mode",
                "1,1",
                "--teacher",
                "1,1,0.5",
            ],
            "3 comma",
        ),
        (
            &[
                "modes",
                "--rule",
                "tbptt:0",
                "--mode",
                "1,1,0.2",
                "--teacher",
                "1,1,0.5",
            ],
            "K ≥ 1",
        ),
        (
            &[
                "modes",
                "--rule",
                "sgd",
                "--mode",
                "1,1,0.2",
                "--teacher",
                "1,1,0.5",
            ],
            "unknown rule",
        ),
        (&["modes", "--rule", "bptt", "--mode", "1,1,0.2"], "teacher"),
    ];
    for (args, why) in bad {
        let (code, out, err) = lro(args);
        assert_eq!(code, 2, "{args:?} gave {code}: {out}{err}");
        assert!(out.is_empty(), "{args:?} printed to stdout: {out}");
        assert!(
            err.contains(why),
            "{args:?}: stderr '{err}' should mention '{why}'"
        );
    }
    // a finite horizon accepts |w| ≥ 1 (the sums are polynomials)
    let (code, _, err) = lro(&[
        "modes",
        "--rule",
        "bptt",
        "--mode",
        "1,1,1",
        "--teacher",
        "1,1,0.5",
        "--horizon",
        "5",
    ]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn text_names_the_eigenvalues_and_classes_only_fixed_points() {
    // On the BPTT optimal manifold (c = c* = 1, w = w*): a fixed point, stable node.
    let (code, out, err) = lro(&[
        "modes",
        "--rule",
        "bptt",
        "--mode",
        "2,1/2,0.5",
        "--teacher",
        "1,1,0.5",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("eigenvalues of M = ∂Δ/∂θ:"), "{out}");
    assert!(out.contains("eigenvalues of J = −M:"), "{out}");
    assert!(
        out.contains("fixed point") && out.contains("stability class stable-node"),
        "{out}"
    );
    // Off every fixed point: no stability class, in text and JSON.
    let args = [
        "modes",
        "--rule",
        "bptt",
        "--mode",
        "1/2,-3/4,0.25",
        "--teacher",
        "1,1,1/2",
    ];
    let (code, out, err) = lro(&args);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("not a fixed point"), "{out}");
    for class in [
        "stable-node",
        "stable-focus",
        "saddle",
        "unstable-node",
        "unstable-focus",
        "degenerate",
    ] {
        assert!(!out.contains(class), "{out}");
    }
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let (code, out, err) = lro(&json_args);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["fixed_point"], false, "{out}");
    assert!(v["class"].is_null(), "{out}");
    // M's eigenvalues are the negatives of J's.
    let re = |key: &str| -> Vec<f64> {
        let mut r: Vec<f64> = v[key]
            .as_array()
            .expect("list")
            .iter()
            .map(|z| z["re"].as_f64().expect("number"))
            .collect();
        r.sort_by(f64::total_cmp);
        r
    };
    let (j, m) = (re("eigenvalues"), re("m_eigenvalues"));
    for (x, y) in j.iter().zip(m.iter().rev()) {
        assert_eq!(*x, -*y, "J {j:?} vs M {m:?}");
    }
    // trace check against the printed J: sum of J's eigenvalues = tr J.
    let tr: f64 = (0..3)
        .map(|i| v["jacobian"][i][i].as_f64().expect("number"))
        .sum();
    let sum: f64 = j.iter().sum();
    assert!((tr - sum).abs() <= lro::tolerances::F64_IDENTITY_REL * tr.abs().max(1.0));
}

#[test]
fn rules_and_lowrank_speak_json() {
    let (code, out, err) = lro(&["rules", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let rules = v["rules"].as_array().expect("rules");
    assert!(rules.iter().any(|r| r["rule"] == "bptt"));
    for r in rules {
        // o = n = d = 3 in the built-in problem
        for k in ["dA", "dW", "dB"] {
            let rows = r[k].as_array().expect("rows");
            assert_eq!(rows.len(), 3, "{k}");
            assert!(
                rows.iter()
                    .all(|row| row.as_array().map(Vec::len) == Some(3))
            );
        }
    }
    assert!(v["loss"].as_f64().is_some_and(|l| l > 0.0));
    let (code, out, err) = lro(&["lowrank", "--seeds", "1", "--steps", "20", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let runs = v["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), v["rules"].as_array().expect("rules").len());
    assert!(runs.iter().all(|r| r["seed"] == 0 && r["loss0"].is_f64()));
}
