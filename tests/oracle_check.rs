//! `lro check`: accepts the oracle's own export, rejects mutated candidates naming the tensor and
//! the first diverging step, and refuses unusable input with exit code 2 and a message naming the
//! problem.
mod common;
use common::lro;
use lro::oracle::check::{self, Candidate, Tolerance, Version};
use lro::oracle::{Fixture, cases, json, npz};
use lro::tolerances::{ORACLE_CHECK_ATOL, ORACLE_CHECK_RTOL};
use proptest::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn builtin(name: &str) -> Fixture {
    cases::builtin(name).unwrap().build().unwrap()
}

fn tmp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("oracle_check_{name}"))
}

fn check_file(case: &str, path: &Path) -> (i32, String, String) {
    lro(&[
        "check",
        "--case",
        case,
        "--candidate",
        path.to_str().unwrap(),
    ])
}

/// The fixture of `case` as a JSON value (a valid candidate of itself).
fn fixture_value(case: &str) -> Value {
    serde_json::from_str(&json::write_fixture(&builtin(case)).unwrap()).unwrap()
}

fn write_value(name: &str, v: &Value) -> PathBuf {
    let p = tmp(name);
    std::fs::write(&p, serde_json::to_string(v).unwrap()).unwrap();
    p
}

#[test]
fn every_builtin_accepts_its_own_export_with_zero_error() {
    for name in cases::builtin_names() {
        let f = builtin(name);
        let rep = check::check(
            &f,
            &Candidate::from_fixture(&f, "self"),
            Tolerance::default(),
        )
        .unwrap();
        assert!(rep.passed(), "{name}");
        assert_eq!(rep.results.len(), f.tensors.len());
        assert!(rep.results.iter().all(|r| r.max_abs == 0.0), "{name}");
    }
}

#[test]
fn the_cli_accepts_its_own_export_in_both_formats() {
    for ext in ["json", "npz"] {
        let p = tmp(&format!("self.{ext}"));
        let (code, _, err) = lro(&["export", "--case", "linear", "--out", p.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        let (code, out, err) = check_file("linear", &p);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("verdict: MATCH"), "{out}");
        // A fixture file is also a valid --case.
        let (code, out, err) = check_file(p.to_str().unwrap(), &p);
        assert_eq!(code, 0, "{out}{err}");
    }
}

/// Every tensor of a fixture that has a time axis, with (name, first_step, rows, row length).
fn timed(f: &Fixture) -> Vec<(String, usize, usize, usize)> {
    f.tensors
        .iter()
        .filter_map(|(k, t)| {
            let s0 = t.first_step?;
            let row = t.shape.iter().skip(1).product::<usize>();
            Some((k.clone(), s0, t.shape[0], row))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    /// Changing one entry of a time series at row k (by more than the tolerance) makes exactly
    /// that tensor fail, at step first_step + k, and nothing else.
    #[test]
    fn a_mutated_entry_is_found_at_its_tensor_and_step(
        case in prop::sample::select(vec!["linear", "murray2019", "marschall2020"]),
        pick in any::<prop::sample::Index>(),
        row in any::<prop::sample::Index>(),
        col in any::<prop::sample::Index>(),
        rel in 1e-6f64..1.0,
        sign in prop::bool::ANY,
    ) {
        let f = builtin(case);
        let series = timed(&f);
        let (name, s0, rows, len) = series[pick.index(series.len())].clone();
        let (k, j) = (row.index(rows), col.index(len));
        let mut cand = Candidate::from_fixture(&f, "mutant");
        let entry = &mut cand.tensors.get_mut(&name).unwrap().1[k * len + j];
        let delta = rel * (entry.abs() + 1.0);
        *entry += if sign { delta } else { -delta };
        let rep = check::check(&f, &cand, Tolerance::default()).unwrap();
        let failed: Vec<_> = rep.results.iter().filter(|r| !r.passed()).collect();
        prop_assert_eq!(failed.len(), 1);
        prop_assert_eq!(&failed[0].name, &name);
        prop_assert_eq!(failed[0].first_step, Some(s0 + k));
        prop_assert_eq!(failed[0].mismatches, 1);
        prop_assert_eq!(rep.first_divergence().unwrap().0, s0 + k);
        let idx = failed[0].first_index.clone().unwrap();
        prop_assert_eq!(idx[0], k);
    }

    /// A change below the tolerance passes.
    #[test]
    fn a_change_below_tolerance_passes(
        pick in any::<prop::sample::Index>(),
        frac in 0.0f64..0.5,
    ) {
        let f = builtin("linear");
        let names: Vec<&String> = f.tensors.keys().collect();
        let name = names[pick.index(names.len())].clone();
        let mut cand = Candidate::from_fixture(&f, "close");
        for v in cand.tensors.get_mut(&name).unwrap().1.iter_mut() {
            *v += frac * (ORACLE_CHECK_ATOL + ORACLE_CHECK_RTOL * v.abs());
        }
        prop_assert!(check::check(&f, &cand, Tolerance::default()).unwrap().passed());
    }
}

#[test]
fn a_mutated_total_without_time_axis_fails_without_a_step() {
    let f = builtin("linear");
    let mut cand = Candidate::from_fixture(&f, "mutant");
    cand.tensors.get_mut("bptt.final.dW").unwrap().1[4] *= -1.0;
    let rep = check::check(&f, &cand, Tolerance::default()).unwrap();
    let r = rep.result("bptt.final.dW").unwrap();
    assert!(!r.passed());
    assert_eq!(
        (r.first_step, r.first_index.clone()),
        (None, Some(vec![1, 1]))
    );
    assert!(rep.first_divergence().is_none());
}

#[test]
fn a_mismatch_exits_1_with_the_report_on_stdout() {
    let mut v = fixture_value("linear");
    let data = v["tensors"]["rflo.seq.dW_steps"]["data"]
        .as_array_mut()
        .unwrap();
    let old = data[9 * 2].as_f64().unwrap(); // row index 2 = step t = 3
    data[9 * 2] = Value::from(old + 0.5);
    let p = write_value("mismatch.json", &v);
    let (code, out, err) = check_file("linear", &p);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("rflo.seq.dW_steps") && out.contains("MISMATCH"),
        "{out}"
    );
    assert!(
        out.contains("first diverging step t = 3 (rflo.seq.dW_steps)"),
        "{out}"
    );
    assert!(err.contains("some checks failed"), "{err}");
    // A looser tolerance accepts it.
    let (code, _, _) = lro(&[
        "check",
        "--case",
        "linear",
        "--candidate",
        p.to_str().unwrap(),
        "--atol",
        "1",
    ]);
    assert_eq!(code, 0);
}

/// Runs the check on a modified JSON candidate and returns (exit code, stderr).
fn unusable_json(name: &str, edit: impl FnOnce(&mut Value)) -> (i32, String) {
    let mut v = fixture_value("linear");
    edit(&mut v);
    let (code, out, err) = check_file("linear", &write_value(name, &v));
    assert!(out.is_empty(), "no report for unusable input: {out}");
    (code, err)
}

/// An edit of a candidate's JSON.
type Edit<'a> = Box<dyn FnOnce(&mut Value) + 'a>;

#[test]
fn unusable_json_candidates_exit_2_naming_the_problem() {
    let t = |v: &mut Value| v["tensors"].as_object_mut().unwrap().clone();
    let cases: Vec<(&str, Edit, Vec<&str>)> = vec![
        (
            "missing forward tensor",
            Box::new(|v: &mut Value| {
                v["tensors"].as_object_mut().unwrap().remove("h");
            }),
            vec!["missing tensors of the forward pass", "h"],
        ),
        (
            "partial rule",
            Box::new(|v: &mut Value| {
                v["tensors"].as_object_mut().unwrap().remove("rflo.seq.dB");
            }),
            vec!["missing updates of rule rflo", "rflo.seq.dB"],
        ),
        (
            "wrong shape",
            Box::new(|v: &mut Value| {
                v["tensors"]["bptt.final.dW"]["shape"] = serde_json::json!([9, 1]);
            }),
            vec!["wrong shape", "bptt.final.dW", "[9, 1]", "[3, 3]"],
        ),
        (
            "data length",
            Box::new(|v: &mut Value| {
                v["tensors"]["y"]["data"].as_array_mut().unwrap().pop();
            }),
            vec!["wrong shape", "tensor y ", "holds 11"],
        ),
        (
            "NaN as null",
            Box::new(|v: &mut Value| {
                v["tensors"]["rflo.seq.dB"]["data"][3] = Value::Null;
            }),
            vec!["NaN", "rflo.seq.dB", "[1, 1]"],
        ),
        (
            "unknown tensor",
            Box::new(|v: &mut Value| {
                let mut extra = t(v)["h"].clone();
                extra["doc"] = Value::from("x");
                v["tensors"]["hidden_states"] = extra;
            }),
            vec!["unknown keys", "hidden_states"],
        ),
        (
            "unknown top-level key",
            Box::new(|v: &mut Value| {
                v["tolerance"] = Value::from(1e-3);
            }),
            vec!["unknown field", "tolerance"],
        ),
        (
            "unknown tensor field",
            Box::new(|v: &mut Value| {
                v["tensors"]["h"]["dtype"] = Value::from("f8");
            }),
            vec!["unknown field", "dtype"],
        ),
        (
            "wrong schema version",
            Box::new(|v: &mut Value| {
                v["schema_version"] = Value::from(1);
            }),
            vec!["wrong schema_version 1", "reads schema_version 2"],
        ),
        (
            "missing schema version",
            Box::new(|v: &mut Value| {
                v.as_object_mut().unwrap().remove("schema_version");
            }),
            vec!["missing schema_version"],
        ),
        (
            "wrong case",
            Box::new(|v: &mut Value| {
                v["case"] = Value::from("aligned-linear");
            }),
            vec!["wrong case", "aligned-linear"],
        ),
    ];
    for (i, (what, edit, needles)) in cases.into_iter().enumerate() {
        let (code, err) = unusable_json(&format!("unusable{i}.json"), edit);
        assert_eq!(code, 2, "{what}: {err}");
        for n in needles {
            assert!(err.contains(n), "{what}: message lacks '{n}': {err}");
        }
    }
}

#[test]
fn bare_nan_in_json_is_named() {
    let text = json::write_fixture(&builtin("linear")).unwrap();
    // Python's json.dump writes NaN as a bare token, which is not JSON.
    let i = text.find("\"data\": [").unwrap() + "\"data\": [".len();
    let j = i + text[i..].find(',').unwrap();
    let bad = format!("{}NaN{}", &text[..i], &text[j..]);
    let p = tmp("bare_nan.json");
    std::fs::write(&p, bad).unwrap();
    let (code, _, err) = check_file("linear", &p);
    assert_eq!(code, 2);
    assert!(err.contains("NaN"), "{err}");
}

fn npz_candidate(f: &Fixture, edit: impl Fn(&str, &mut Vec<f64>)) -> Vec<u8> {
    let mut members = vec![(
        "schema_version.npy".to_string(),
        npz::npy_i64_scalar(f.schema_version as i64),
    )];
    for (name, t) in &f.tensors {
        let mut data = t.data.clone();
        edit(name, &mut data);
        members.push((format!("{name}.npy"), npz::npy_f64(&t.shape, &data)));
    }
    npz::zip_store(&members)
}

#[test]
fn unusable_npz_candidates_exit_2_naming_the_problem() {
    let f = builtin("linear");
    let p = tmp("nan.npz");
    std::fs::write(
        &p,
        npz_candidate(&f, |n, d| {
            if n == "u" {
                d[4] = f64::NAN;
            }
        }),
    )
    .unwrap();
    let (code, _, err) = check_file("linear", &p);
    assert_eq!(code, 2);
    assert!(
        err.contains("NaN") && err.contains("tensor u ") && err.contains("[1, 1]"),
        "{err}"
    );

    // Without schema_version.
    let members: Vec<(String, Vec<u8>)> = f
        .tensors
        .iter()
        .map(|(k, t)| (format!("{k}.npy"), npz::npy_f64(&t.shape, &t.data)))
        .collect();
    std::fs::write(&p, npz::zip_store(&members)).unwrap();
    let (code, _, err) = check_file("linear", &p);
    assert_eq!(code, 2);
    assert!(err.contains("missing schema_version"), "{err}");

    // A clean NPZ candidate without metadata is accepted.
    std::fs::write(&p, npz_candidate(&f, |_, _| {})).unwrap();
    assert_eq!(check_file("linear", &p).0, 0);

    // Not a zip.
    std::fs::write(&p, b"hello").unwrap();
    let (code, _, err) = check_file("linear", &p);
    assert_eq!(code, 2);
    assert!(err.contains("zip"), "{err}");
}

#[test]
fn bad_arguments_exit_2() {
    let p = tmp("self_args.json");
    lro(&["export", "--case", "linear", "--out", p.to_str().unwrap()]);
    let (code, _, err) = check_file("no-such-case", &p);
    assert_eq!(code, 2);
    assert!(
        err.contains("aligned-linear"),
        "lists the built-in cases: {err}"
    );
    let (code, _, err) = lro(&["check", "--case", "linear", "--candidate", "x.txt"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = lro(&[
        "check",
        "--case",
        "linear",
        "--candidate",
        p.to_str().unwrap(),
        "--rtol",
        "-1",
    ]);
    assert_eq!(code, 2);
    let (code, _, err) = lro(&["export", "--case", "linear", "--out", "x.csv"]);
    assert_eq!(code, 2);
    assert!(err.contains(".json or .npz"), "{err}");
}

#[test]
fn candidate_versions_are_parsed() {
    let f = builtin("linear");
    let bytes = npz_candidate(&f, |_, _| {});
    let c = check::candidate_from_npz(&bytes, "c").unwrap();
    assert_eq!(c.schema_version, Version::Int(2));
    assert_eq!(c.case, None);
}

#[test]
fn check_report_snapshot() {
    // The exact linear case: every reference number is the exact value rounded once, so the
    // rounded errors below do not depend on the platform's libm.
    let f = builtin("linear");
    let mut cand = Candidate::from_fixture(&f, "mutant.json");
    // A sign flip of the RFLO per-step W contributions from step 4 on, and one wrong output.
    let w = cand.tensors.get_mut("rflo.seq.dW_steps").unwrap();
    for v in w.1.iter_mut().skip(3 * 9) {
        *v = -*v;
    }
    cand.tensors.get_mut("y").unwrap().1[9] += 1e-6;
    // The candidate implements BPTT and RFLO only.
    cand.tensors.retain(|k, _| {
        !(k.starts_with("tbptt") || k.starts_with("rtrl") || k.starts_with("eprop"))
    });
    let rep = check::check(&f, &cand, Tolerance::default()).unwrap();
    assert_eq!(rep.first_divergence().unwrap().0, 4);
    let text = rep.render();
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("oracle_check_report", text)
    });
}

#[test]
fn config_files_reproduce_the_builtins_and_reject_unknown_keys() {
    for name in cases::builtin_names() {
        let cfg = cases::builtin(name).unwrap();
        let p = tmp(&format!("config-{name}.json"));
        std::fs::write(&p, serde_json::to_string_pretty(&cfg).unwrap()).unwrap();
        let out = tmp(&format!("config-{name}-fixture.json"));
        let (code, _, err) = lro(&[
            "export",
            "--case",
            p.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        let got = json::read_fixture(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!(got, builtin(name), "{name}");
    }
    let p = tmp("config-bad.json");
    std::fs::write(
        &p,
        r#"{"convention": "lro", "name": "x", "seed": 1, "o": 1, "n": 2, "d": 1, "horizon": 3, "leak": 0.5}"#,
    )
    .unwrap();
    let (code, _, err) = lro(&[
        "export",
        "--case",
        p.to_str().unwrap(),
        "--out",
        "/dev/null.json",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown key") && err.contains("\"leak\""),
        "{err}"
    );
    std::fs::write(&p, r#"{"convention": "pytorch", "name": "x"}"#).unwrap();
    let (code, _, err) = lro(&[
        "export",
        "--case",
        p.to_str().unwrap(),
        "--out",
        "/dev/null.json",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("pytorch"), "{err}");
}

#[test]
fn nested_json_data_as_numpy_tolist_writes_it_is_accepted() {
    let mut v = fixture_value("linear");
    for name in ["h", "rflo.trace_h"] {
        let t = &v["tensors"][name];
        let shape: Vec<usize> = serde_json::from_value(t["shape"].clone()).unwrap();
        let flat: Vec<f64> = serde_json::from_value(t["data"].clone()).unwrap();
        let inner: usize = shape[1..].iter().product();
        let nested: Vec<Value> = flat
            .chunks(inner)
            .map(|row| {
                if shape.len() == 3 {
                    Value::from(row.chunks(shape[2]).map(|r| r.to_vec()).collect::<Vec<_>>())
                } else {
                    Value::from(row.to_vec())
                }
            })
            .collect();
        v["tensors"][name]["data"] = Value::from(nested);
    }
    let (code, out, err) = check_file("linear", &write_value("nested.json", &v));
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn export_lists_every_builtin_case() {
    let (code, out, _) = lro(&["export", "--list"]);
    assert_eq!(code, 0);
    for name in cases::builtin_names() {
        assert!(out.contains(name), "{out}");
        assert!(out.contains(cases::description(name).unwrap()), "{out}");
    }
}
