//! No false verdicts and the right exit class: every bad or extreme input to `lro export` and
//! `lro check` gets exit 2 with a message naming the problem (or 1 for a genuine failure), never a
//! MATCH, a panic or an unbounded allocation.
mod common;
use common::lro;
use lro::oracle::check::{self, Candidate, CheckOptions};
use lro::oracle::config::{CaseConfig, config_keys};
use lro::oracle::limits::{Arithmetic, EXACT_MAX_HORIZON};
use lro::oracle::{Fixture, api, cases, json, npz};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("oracle_verdicts_{name}"))
}

fn builtin(name: &str) -> Fixture {
    cases::builtin(name).unwrap().build().unwrap()
}

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let p = tmp(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn check_file(case: &str, path: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "check",
        "--case",
        case,
        "--candidate",
        path.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    lro(&args)
}

/// Asserts exit code `code` and that stdout + stderr contain every needle.
fn expect(what: &str, got: (i32, String, String), code: i32, needles: &[&str]) {
    let text = format!("{}{}", got.1, got.2);
    assert_eq!(
        got.0, code,
        "{what}: exit {} instead of {code}:\n{text}",
        got.0
    );
    for n in needles {
        assert!(text.contains(n), "{what}: message lacks '{n}':\n{text}");
    }
}

/// The JSON candidate of a fixture, keeping only the tensors `keep` accepts.
fn json_candidate(f: &Fixture, keep: impl Fn(&str, &str) -> bool) -> Value {
    let mut v: Value = serde_json::from_str(&json::write_fixture(f).unwrap()).unwrap();
    let t = v["tensors"].as_object_mut().unwrap();
    t.retain(|k, tv| keep(k, tv["group"].as_str().unwrap()));
    v
}

fn write_json(name: &str, v: &Value) -> PathBuf {
    write(name, serde_json::to_string(v).unwrap().as_bytes())
}

/// A `.npy` file with the given dtype and raw little-endian data.
fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}\n");
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.extend_from_slice(data);
    out
}

fn f64_members(f: &Fixture, keep: impl Fn(&str, &str) -> bool) -> Vec<(String, Vec<u8>)> {
    let mut m = vec![
        (
            "schema_version.npy".to_string(),
            npz::npy_i64_scalar(f.schema_version as i64),
        ),
        ("case.npy".to_string(), npz::npy_str_scalar(&f.case)),
    ];
    for (k, t) in &f.tensors {
        if keep(k, &t.group) {
            m.push((format!("{k}.npy"), npz::npy_f64(&t.shape, &t.data)));
        }
    }
    m
}

#[test]
fn an_overflowing_reference_is_refused_at_export_and_never_matches() {
    let cfg = r#"{"convention": "murray2019", "name": "m", "seed": 1, "n_in": 2, "n_rec": 4,
                  "n_out": 2, "t_max": 12, "h0_scale": 1e300}"#;
    let p = write("overflow.json", cfg.as_bytes());
    let out = tmp("overflow_out.json");
    expect(
        "export h0_scale = 1e300",
        lro(&[
            "export",
            "--case",
            p.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]),
        2,
        &["non-finite value", "tensor", "time step t = ", "case m"],
    );
    assert!(!out.exists(), "nothing is written for a refused reference");
    // Declared on purpose: export accepts it, but a check against it can never match.
    let declared = cfg.replace("\"h0_scale\"", "\"allow_non_finite\": true, \"h0_scale\"");
    let p = write("overflow_declared.json", declared.as_bytes());
    let f = CaseConfig::from_json(&declared).unwrap().build().unwrap();
    let mut cand = Candidate::from_fixture(&f, "forty-two");
    for (_, data) in cand.tensors.values_mut() {
        for v in data.iter_mut().filter(|v| !v.is_finite()) {
            *v = 42.0;
        }
    }
    let err = check::check_with(&f, &cand, &CheckOptions::default()).unwrap_err();
    assert!(err.to_string().contains("non-finite value"), "{err}");
    let c = write_json(
        "forty_two.json",
        &json_candidate(&builtin("murray2019"), |_, _| true),
    );
    expect(
        "check against a non-finite reference",
        check_file(p.to_str().unwrap(), &c, &[]),
        2,
        &["non-finite value"],
    );
}

#[test]
fn a_candidate_without_rules_is_not_a_match() {
    let f = builtin("linear");
    let forward = write_json(
        "forward_only.json",
        &json_candidate(&f, |_, g| g == "given" || g == "forward"),
    );
    expect(
        "forward-only candidate",
        check_file("linear", &forward, &[]),
        1,
        &[
            "no learning rule was checked: the candidate holds no rule's updates (give at least \
             one rule, or pass --forward-only",
            "verdict: NOT CHECKED",
        ],
    );
    expect(
        "forward-only candidate with --forward-only",
        check_file("linear", &forward, &["--forward-only"]),
        0,
        &["verdict: MATCH", "forward pass only"],
    );
    // One rule, the rest not supplied: compared and not compared are listed.
    let bptt = write_json(
        "bptt_only.json",
        &json_candidate(&f, |_, g| matches!(g, "given" | "forward" | "bptt")),
    );
    expect(
        "bptt only",
        check_file("linear", &bptt, &[]),
        0,
        &[
            "rules compared: bptt",
            "rules not supplied, not compared: eprop_random",
        ],
    );
    expect(
        "required rule missing",
        check_file("linear", &bptt, &["--require", "bptt,rtrl"]),
        1,
        &["required rules not supplied: rtrl"],
    );
    expect(
        "required rule unknown",
        check_file("linear", &bptt, &["--require", "backprop"]),
        2,
        &["unknown rule 'backprop'", "bptt, eprop_random"],
    );
    // A rule's traces are optional; its updates are not.
    let no_trace = write_json(
        "rflo_without_traces.json",
        &json_candidate(&f, |k, g| {
            matches!(g, "given" | "forward" | "rflo") && !k.starts_with("rflo.trace")
        }),
    );
    expect(
        "rflo without traces",
        check_file("linear", &no_trace, &[]),
        0,
        &[
            "rules compared: rflo",
            "traces not supplied (optional), not compared: rflo.trace_h",
        ],
    );
    // The library verdict says the same.
    let cand = check::load_candidate(&forward).unwrap();
    let v = api::check(&f, &cand, &CheckOptions::default()).unwrap();
    assert!(!v.ok && v.compared.is_empty() && v.first_divergence.is_none());
    assert!(v.reasons[0].contains("no learning rule was checked"));
}

#[test]
fn the_first_divergence_names_tensor_step_index_and_values() {
    let f = builtin("linear");
    let mut cand = Candidate::from_fixture(&f, "bugged");
    let (shape, data) = cand.tensors.get_mut("bptt.seq.dW_steps").unwrap();
    let row: usize = shape[1..].iter().product();
    let was = data[2 * row + 4];
    data[2 * row + 4] = was + 1.0;
    let v = api::check(&f, &cand, &CheckOptions::default()).unwrap();
    assert!(!v.ok);
    let d = v.first_divergence.unwrap();
    assert_eq!(d.tensor, "bptt.seq.dW_steps");
    assert_eq!(d.step, Some(3));
    assert_eq!(d.index, vec![2, 1, 1]);
    assert_eq!((d.reference, d.got), (was, was + 1.0));
}

#[test]
fn malformed_npz_and_json_candidates_exit_2_with_the_reason() {
    let f = builtin("linear");
    let all = |_: &str, _: &str| true;
    // A duplicate member.
    let mut m = f64_members(&f, all);
    let dup = m.iter().find(|(n, _)| n == "h.npy").unwrap().clone();
    m.push(dup);
    let p = write("duplicate.npz", &npz::zip_store(&m));
    expect(
        "duplicate member",
        check_file("linear", &p, &[]),
        2,
        &["a member occurs twice"],
    );
    // Integer and boolean tensors.
    for (descr, item) in [("<i8", 8), ("|b1", 1)] {
        let mut m = f64_members(&f, |k, _| k != "y");
        let t = &f.tensors["y"];
        let shape = format!("({}, {})", t.shape[0], t.shape[1]);
        m.push((
            "y.npy".into(),
            npy(descr, &shape, &vec![0u8; t.data.len() * item]),
        ));
        let p = write(&format!("dtype{item}.npz"), &npz::zip_store(&m));
        expect(
            descr,
            check_file("linear", &p, &[]),
            2,
            &["tensor y has the integer or boolean dtype", descr],
        );
    }
    // Nested JSON laid out transposed against its declared shape.
    let mut v = json_candidate(&f, all);
    let t = &f.tensors["bptt.final.dB"]; // 3 x 2
    let transposed: Vec<Vec<f64>> = (0..t.shape[1])
        .map(|j| {
            (0..t.shape[0])
                .map(|i| t.data[i * t.shape[1] + j])
                .collect()
        })
        .collect();
    v["tensors"]["bptt.final.dB"]["data"] = serde_json::json!(transposed);
    expect(
        "transposed nested data",
        check_file("linear", &write_json("transposed.json", &v), &[]),
        2,
        &[
            "bptt.final.dB",
            "nested data laid out as [2, 3]",
            "declared shape is [3, 2]",
        ],
    );
    // Top-level arrays.
    let arr = write("array.json", b"[1, 2, 3]");
    expect(
        "top-level array candidate",
        check_file("linear", &arr, &[]),
        2,
        &["top level is an array, not an object"],
    );
    let c = write_json("ok.json", &json_candidate(&f, all));
    expect(
        "top-level array case",
        check_file(arr.to_str().unwrap(), &c, &[]),
        2,
        &["top level is an array, not an object"],
    );
}

#[test]
fn npy_headers_that_used_to_panic_are_errors() {
    for (what, bytes) in [
        ("shape ')'", npy("<f8", ")", &[0; 8])),
        (
            "huge unicode dtype",
            npy("<U99999999999999999", "(1,)", &[0; 8]),
        ),
        (
            "element count overflow",
            npy("<f8", "(4294967296, 4294967296, 16)", &[0; 8]),
        ),
        (
            "item size overflow",
            npy("<U4611686018427387904", "(2,)", &[0; 8]),
        ),
        ("zero-width dtype", npy("<f0", "(1000000000000,)", &[])),
    ] {
        let r = npz::parse_npy(&bytes);
        assert!(r.is_err(), "{what}: {r:?}");
    }
}

#[test]
fn sizes_over_the_limits_are_refused_before_allocation() {
    let cfg = |n: u64, t: u64| {
        let p = tmp(&format!("big_{n}_{t}.json"));
        let text = format!(
            r#"{{"convention": "lro", "name": "big", "seed": 1, "o": 2, "n": {n}, "d": 2, "horizon": {t}}}"#
        );
        std::fs::write(&p, text).unwrap();
        p
    };
    let out = tmp("big_out.npz");
    let o = out.to_str().unwrap();
    for (n, t, needles) in [
        (
            1_000_000,
            6,
            vec!["hidden units n = 1000000", "limit 1024", "--max-n"],
        ),
        (
            3,
            1_000_000_000,
            vec!["horizon T = 1000000000", "--max-horizon"],
        ),
        (10_000, 6, vec!["hidden units n = 10000", "--max-n 10000"]),
    ] {
        let p = cfg(n, t);
        expect(
            &format!("export n = {n}, T = {t}"),
            lro(&["export", "--case", p.to_str().unwrap(), "--out", o]),
            2,
            &needles,
        );
    }
    // Raising one limit meets the next: the fixture's size.
    let p = cfg(10_000, 100);
    expect(
        "export n = 10^4 with --max-n raised",
        lro(&[
            "export",
            "--case",
            p.to_str().unwrap(),
            "--out",
            o,
            "--max-n",
            "10000",
        ]),
        2,
        &["fixture size in MiB", "--max-fixture-mb"],
    );
    // Candidates: a size limit and no special files.
    let c = write_json(
        "small.json",
        &json_candidate(&builtin("linear"), |_, _| true),
    );
    expect(
        "candidate over the size limit",
        check_file("linear", &c, &["--max-candidate-mb", "0"]),
        2,
        &[
            "candidate file size in MiB = 1 exceeds the limit 0",
            "--max-candidate-mb",
        ],
    );
    let link = tmp("zero.json");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    expect(
        "a link to /dev/zero",
        check_file("linear", &link, &[]),
        2,
        &["not a regular file"],
    );
}

#[test]
fn long_linear_cases_switch_to_mpfr_and_say_so() {
    let lro_cfg = |t: usize| {
        CaseConfig::from_json(&format!(
            r#"{{"convention": "lro", "name": "c", "seed": 1, "o": 1, "n": 2, "d": 1, "horizon": {t}, "tbptt_k": [1]}}"#
        ))
        .unwrap()
    };
    let short = lro_cfg(EXACT_MAX_HORIZON as usize);
    let long = lro_cfg(EXACT_MAX_HORIZON as usize + 1);
    assert_eq!(short.arithmetic(), Arithmetic::ExactRational);
    assert_eq!(long.arithmetic(), Arithmetic::Mpfr256);
    assert!(long.estimate().ops > short.estimate().ops);
    let f = long.build().unwrap();
    assert_eq!(f.provenance.arithmetic, Some(Arithmetic::Mpfr256));
    assert!(
        f.provenance.bound.contains("256-bit MPFR"),
        "{}",
        f.provenance.bound
    );
    assert!(!f.provenance.git_commit.is_empty());
    assert_eq!(f.provenance.lro_version, env!("CARGO_PKG_VERSION"));
    // Every tensor states its f64 error, and it is small for this well-conditioned case.
    let worst = f
        .tensors
        .values()
        .map(|t| t.f64_error.unwrap())
        .fold(0.0, f64::max);
    assert!(worst > 0.0 && worst < 1e-10, "f64 error {worst}");
}

#[test]
fn describe_config_lists_every_key_of_every_convention() {
    let (code, out, _) = lro(&["export", "--describe-config"]);
    assert_eq!(code, 0);
    for name in cases::builtin_names() {
        let c = cases::builtin(name).unwrap();
        let v = serde_json::to_value(&c).unwrap();
        let conv = v["convention"].as_str().unwrap().to_string();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        let keys_doc = config_keys();
        let documented: Vec<&str> = keys_doc
            .iter()
            .filter(|(c, ..)| *c == "*" || *c == conv)
            .map(|(_, k, ..)| *k)
            .collect();
        let mut a: Vec<&str> = keys.iter().map(|s| s.as_str()).collect();
        let mut b = documented.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b, "keys of {conv} configs vs the documented keys");
        for k in documented {
            assert!(out.contains(&format!("  {k} ")), "{k} missing:\n{out}");
        }
    }
}

#[test]
fn a_bptt_only_candidate_is_checked_against_marschall2020() {
    use lro::faults::{self, Fault};
    let f = builtin("marschall2020");
    let rules = f.rule_groups();
    assert!(rules.contains(&"ebptt".to_string()) && rules.contains(&"fbptt".to_string()));
    // The forward pass and the two BPTT variants, nothing of RFLO, RTRL or the output gradients.
    let keep = |_: &str, g: &str| matches!(g, "forward" | "ebptt" | "fbptt");
    let good = json_candidate(&f, keep);
    let p = write_json("marschall_bptt_only.json", &good);
    expect(
        "BPTT-only candidate",
        check_file("marschall2020", &p, &[]),
        0,
        &[
            "rules compared: ebptt, fbptt",
            "rules not supplied, not compared: kernl (9), kf_rtrl (8), outer (2), rflo (4), rkf_rtrl (8), rtrl (4), uoro (8)",
            "verdict: MATCH",
        ],
    );
    // One entry of Future BPTT at step t = 5 perturbed (k = 3: row 4 holds step 5).
    let mut bad = good.clone();
    let t = &mut bad["tensors"]["fbptt.rec_grads_steps"];
    let shape: Vec<usize> = serde_json::from_value(t["shape"].clone()).unwrap();
    let row = shape[1] * shape[2];
    let v = t["data"][4 * row + 1].as_f64().unwrap();
    t["data"][4 * row + 1] = Value::from(v * (1.0 + 1e-6) + 1e-9);
    let p = write_json("marschall_bptt_perturbed.json", &bad);
    expect(
        "BPTT-only candidate, one entry perturbed",
        check_file("marschall2020", &p, &[]),
        1,
        &[
            "fbptt.rec_grads_steps",
            "MISMATCH (1 of",
            "first diverging step t = 5 (fbptt.rec_grads_steps)",
        ],
    );
    // An implementation with Future BPTT's window off by one (the named fault) is caught at the
    // first step Future BPTT returns a gradient (t = k = 3), Efficient BPTT still matching.
    let faulty = faults::inject(Fault::FutureBpttWindowOffByOne, || {
        cases::builtin("marschall2020").unwrap().build().unwrap()
    });
    let p = write_json("marschall_bptt_fault.json", &json_candidate(&faulty, keep));
    let (code, out, err) = check_file("marschall2020", &p, &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("first diverging step t = 3 (fbptt.rec_grads_steps)"),
        "{out}"
    );
    let ebptt_row = out
        .lines()
        .find(|l| l.starts_with("ebptt.rec_grads_steps"))
        .unwrap();
    assert!(ebptt_row.ends_with("ok"), "{ebptt_row}");
}

#[test]
fn config_keys_of_the_wrong_type_are_refused_naming_the_key() {
    let base = r#""name": "c", "seed": 1"#;
    for (cfg, needles) in [
        (
            format!(
                r#"{{"convention": "lro", {base}, "o": 2, "n": 3, "d": 2, "horizon": 4, "aligned": 1}}"#
            ),
            vec!["\"aligned\"", "boolean", "not 1 or 0", "the number 1"],
        ),
        (
            format!(
                r#"{{"convention": "murray2019", {base}, "n_in": 2, "n_rec": 3, "n_out": 2, "t_max": 5, "input_trace_lag": 0.0}}"#
            ),
            vec!["\"input_trace_lag\"", "boolean", "the number 0.0"],
        ),
        (
            format!(
                r#"{{"convention": "murray2019", {base}, "n_in": 2, "n_rec": 3, "n_out": 2, "t_max": 5, "derivative": "smooth"}}"#
            ),
            vec!["\"derivative\"", "clipped | exact", "\"smooth\""],
        ),
        (
            format!(
                r#"{{"convention": "marschall2020", {base}, "n_in": 2, "n_h": 3, "n_out": 2, "horizon": 4, "random_feedback": "yes"}}"#
            ),
            vec!["\"random_feedback\"", "boolean"],
        ),
        (
            format!(
                r#"{{"convention": "marschall2020", {base}, "n_in": 2, "n_h": 3, "n_out": 2}}"#
            ),
            vec!["\"horizon\"", "missing"],
        ),
        (
            format!(
                r#"{{"convention": "lro", {base}, "o": 2, "n": 3, "d": 2, "horizon": 4, "eta": [1]}}"#
            ),
            vec!["\"eta\"", "unknown key for convention lro"],
        ),
    ] {
        let err = CaseConfig::from_json(&cfg).unwrap_err().to_string();
        for n in needles {
            assert!(err.contains(n), "{cfg}: message lacks '{n}': {err}");
        }
    }
    // The same keys with real booleans and enum strings are accepted.
    let ok = format!(
        r#"{{"convention": "murray2019", {base}, "n_in": 2, "n_rec": 3, "n_out": 2, "t_max": 5, "derivative": "exact", "input_trace_lag": false}}"#
    );
    assert!(CaseConfig::from_json(&ok).is_ok());
}

#[test]
fn manifests_carry_typed_settings_and_enumerated_conventions() {
    let expect = [
        (
            "linear",
            "step_reads_previous_input",
            "zero",
            "gradient",
            "output_minus_target",
            "separate",
            "not_applicable",
        ),
        (
            "murray2019",
            "code_rows_from_zero",
            "given",
            "descent_step_with_learning_rates",
            "target_minus_output",
            "separate",
            "not_applicable",
        ),
        (
            "marschall2020",
            "step_reads_current_input",
            "activation_of_given_preactivation",
            "gradient",
            "output_minus_target",
            "packed_rec_in_bias",
            "column_major",
        ),
    ];
    for (case, indexing, init, sign, err, packing, flat) in expect {
        let f = builtin(case);
        let v = serde_json::to_value(&f.conventions).unwrap();
        let e = &v["enumerated"];
        assert_eq!(e["indexing"], indexing, "{case}");
        assert_eq!(e["initial_state"], init, "{case}");
        assert_eq!(e["update_sign"], sign, "{case}");
        assert_eq!(e["error_sign"], err, "{case}");
        assert_eq!(e["parameter_packing"], packing, "{case}");
        assert_eq!(e["flattened_parameter_order"], flat, "{case}");
        assert_eq!(e["array_order"], "row_major", "{case}");
        // Every rule group of the fixture has its feedback stated, and nothing else does.
        let fb: Vec<String> = e["feedback"].as_object().unwrap().keys().cloned().collect();
        assert_eq!(fb, f.rule_groups(), "{case}");
        // No setting is a 0.0/1.0 stand-in for a boolean.
        for (k, s) in v["settings"].as_object().unwrap() {
            let boolish = [
                "aligned",
                "input_trace_lag",
                "bptt_error_shift",
                "random_feedback",
            ];
            if boolish.contains(&k.as_str()) {
                assert!(s.is_boolean(), "{case}: setting {k} = {s}");
            }
        }
    }
    let m = builtin("murray2019");
    assert_eq!(m.conventions.settings["derivative"], "clipped");
    assert_eq!(
        m.conventions.enumerated.feedback["rflo"],
        lro::oracle::conventions::FeedbackKind::RandomFixed
    );
    let l = builtin("linear");
    assert_eq!(
        l.conventions.enumerated.feedback["eprop_symmetric"],
        lro::oracle::conventions::FeedbackKind::ReadoutTranspose
    );
    assert_eq!(
        l.conventions.enumerated.feedback["eprop_random"],
        lro::oracle::conventions::FeedbackKind::RandomFixed
    );
}

// ---- float32 candidates ----

type M = Vec<Vec<f32>>;

fn mat(f: &Fixture, name: &str) -> M {
    let t = &f.tensors[name];
    let (r, c) = (t.shape[0], t.shape.get(1).copied().unwrap_or(1));
    (0..r)
        .map(|i| (0..c).map(|j| t.data[i * c + j] as f32).collect())
        .collect()
}

fn mv(m: &M, v: &[f32]) -> Vec<f32> {
    m.iter()
        .map(|row| row.iter().zip(v).map(|(a, b)| a * b).sum())
        .collect()
}

fn mtv(m: &M, v: &[f32]) -> Vec<f32> {
    (0..m[0].len())
        .map(|j| (0..m.len()).map(|i| m[i][j] * v[i]).sum())
        .collect()
}

fn outer(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter()
        .flat_map(|x| b.iter().map(move |y| x * y))
        .collect()
}

fn add(acc: &mut [f32], x: &[f32], s: f32) {
    for (a, b) in acc.iter_mut().zip(x) {
        *a += s * b;
    }
}

/// An independent float32 implementation of the linear RNN's forward pass and BPTT in the `lro`
/// convention; `transpose_bug` propagates the adjoint with W instead of Wᵀ.
fn float32_candidate(f: &Fixture, transpose_bug: bool) -> BTreeMap<String, (Vec<usize>, Vec<f32>)> {
    let (a, w, b) = (mat(f, "A"), mat(f, "W"), mat(f, "B"));
    let xs = mat(f, "x");
    let ys = mat(f, "y_star");
    let (o, n, d, t_max) = (a.len(), w.len(), b[0].len(), xs.len());
    let mut h = vec![vec![0f32; n]];
    let (mut u, mut y, mut err) = (vec![], vec![], vec![]);
    for t in 1..=t_max {
        let mut ut = mv(&w, &h[t - 1]);
        add(&mut ut, &mv(&b, &xs[t - 1]), 1.0);
        let yt = mv(&a, &ut);
        err.push(
            yt.iter()
                .zip(&ys[t - 1])
                .map(|(p, q)| p - q)
                .collect::<Vec<f32>>(),
        );
        h.push(ut.clone());
        u.push(ut);
        y.push(yt);
    }
    // BPTT of the final-step loss on the prefix of length t.
    let bptt = |t: usize| {
        let (mut da, mut dw, mut db) = (vec![0f32; o * n], vec![0f32; n * n], vec![0f32; n * d]);
        add(&mut da, &outer(&err[t - 1], &h[t]), 1.0);
        let mut delta = mtv(&a, &err[t - 1]);
        for s in (1..=t).rev() {
            add(&mut dw, &outer(&delta, &h[s - 1]), 1.0);
            add(&mut db, &outer(&delta, &xs[s - 1]), 1.0);
            delta = if transpose_bug {
                mv(&w, &delta)
            } else {
                mtv(&w, &delta)
            };
        }
        (da, dw, db)
    };
    let flat = |v: &[Vec<f32>]| v.iter().flatten().copied().collect::<Vec<f32>>();
    let mut out = BTreeMap::new();
    out.insert("h".into(), (vec![t_max + 1, n], flat(&h)));
    out.insert("u".into(), (vec![t_max, n], flat(&u)));
    out.insert("y".into(), (vec![t_max, o], flat(&y)));
    out.insert("err".into(), (vec![t_max, o], flat(&err)));
    let sq = |e: &[f32]| e.iter().map(|x| x * x).sum::<f32>();
    out.insert(
        "loss_final".into(),
        (vec![], vec![0.5 * sq(&err[t_max - 1])]),
    );
    let total: f32 = err.iter().map(|e| sq(e)).sum();
    out.insert(
        "loss_seq".into(),
        (vec![], vec![0.5 * total / t_max as f32]),
    );
    let (fa, fw, fb) = bptt(t_max);
    let shapes = [("dA", vec![o, n]), ("dW", vec![n, n]), ("dB", vec![n, d])];
    for ((blk, shape), v) in shapes.iter().zip([fa, fw, fb]) {
        out.insert(format!("bptt.final.{blk}"), (shape.clone(), v));
    }
    let steps: Vec<_> = (1..=t_max).map(bptt).collect();
    let scale = 1.0 / t_max as f32;
    for (k, (blk, shape)) in shapes.iter().enumerate() {
        let pick = |s: &(Vec<f32>, Vec<f32>, Vec<f32>)| match k {
            0 => s.0.clone(),
            1 => s.1.clone(),
            _ => s.2.clone(),
        };
        let mut series = Vec::new();
        let mut sum = vec![0f32; shape.iter().product()];
        for s in &steps {
            let v: Vec<f32> = pick(s).iter().map(|x| x * scale).collect();
            add(&mut sum, &v, 1.0);
            series.extend(v);
        }
        let mut sshape = vec![t_max];
        sshape.extend(shape);
        out.insert(format!("bptt.seq.{blk}_steps"), (sshape, series));
        out.insert(format!("bptt.seq.{blk}"), (shape.clone(), sum));
    }
    out
}

fn float32_npz(f: &Fixture, c: &BTreeMap<String, (Vec<usize>, Vec<f32>)>) -> Vec<u8> {
    let mut m = f64_members(f, |_, _| false);
    for (k, (shape, data)) in c {
        let s = match shape.len() {
            0 => "()".to_string(),
            1 => format!("({},)", shape[0]),
            _ => format!(
                "({})",
                shape
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        m.push((format!("{k}.npy"), npy("<f4", &s, &bytes)));
    }
    npz::zip_store(&m)
}

#[test]
fn a_correct_float32_implementation_passes_and_a_buggy_one_fails() {
    for case in ["linear", "aligned-linear"] {
        let f = builtin(case);
        let good = write(
            &format!("f32_good_{case}.npz"),
            &float32_npz(&f, &float32_candidate(&f, false)),
        );
        expect(
            &format!("correct float32 on {case}"),
            check_file(case, &good, &[]),
            0,
            &[
                "verdict: MATCH",
                "ok (float32, rtol",
                "float32 tensors are judged normwise",
            ],
        );
        // Judged as f64, the same numbers fail: the precision matters.
        expect(
            &format!("correct float32 judged as f64 on {case}"),
            check_file(case, &good, &["--precision", "f64"]),
            1,
            &["verdict: MISMATCH"],
        );
    }
    // The transpose bug is visible in the non-aligned case (its W is not symmetric).
    let f = builtin("linear");
    let bad = write(
        "f32_bad.npz",
        &float32_npz(&f, &float32_candidate(&f, true)),
    );
    expect(
        "float32 with a transpose bug",
        check_file("linear", &bad, &[]),
        1,
        &[
            "verdict: MISMATCH",
            "first diverging step t = 2",
            "bptt.seq.dB_steps",
        ],
    );
}

/// The stochastic rule groups of the marschall2020 preset and their draws.
const MARSCHALL_STOCHASTIC: [(&str, &[&str]); 3] = [
    ("uoro", &["uoro.nu", "uoro.A0", "uoro.B0"]),
    ("kf_rtrl", &["kf_rtrl.nu", "kf_rtrl.A0", "kf_rtrl.B0"]),
    ("rkf_rtrl", &["rkf_rtrl.nu", "rkf_rtrl.A0", "rkf_rtrl.B0"]),
];

/// The marschall2020 groups with random draws: the three above and KeRNL.
fn marschall_random_group(g: &str) -> bool {
    matches!(g, "forward" | "uoro" | "kf_rtrl" | "rkf_rtrl" | "kernl")
}

/// Flips the sign of entry `i` of a JSON candidate's tensor.
fn flip(v: &mut Value, tensor: &str, i: usize) {
    let d = &mut v["tensors"][tensor]["data"][i];
    let x = d.as_f64().unwrap();
    *d = Value::from(-x);
}

/// `lro export --case marschall2020` carries UORO, KF-RTRL and reverse KF-RTRL with their draws
/// (signs ±1, one vector per step; the initial factors); `lro check` accepts the reference's own
/// stochastic groups and rejects a candidate with one gradient entry changed, or with one draw
/// flipped while its gradients are kept (the draws are compared like every supplied tensor).
#[test]
fn marschall2020_export_carries_the_stochastic_rules_with_their_draws() {
    let out = tmp("marschall_stochastic_export.json");
    let (code, text, err) = lro(&[
        "export",
        "--case",
        "marschall2020",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{text}{err}");
    let exported: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let tensors = exported["tensors"].as_object().unwrap();
    let (horizon, n_h) = (8, 3);
    for (group, draws) in MARSCHALL_STOCHASTIC {
        for d in draws {
            assert_eq!(tensors[*d]["group"], group, "{d}");
        }
        let nu = &tensors[draws[0]];
        let len = if group == "kf_rtrl" { 2 } else { n_h };
        assert_eq!(nu["shape"], serde_json::json!([horizon, len]), "{group}");
        let signs: Vec<f64> = serde_json::from_value(nu["data"].clone()).unwrap();
        assert!(signs.iter().all(|s| *s == 1.0 || *s == -1.0), "{signs:?}");
        assert!(signs.contains(&1.0) && signs.contains(&-1.0), "{signs:?}");
        let grads = &tensors[&format!("{group}.rec_grads_steps")];
        assert_eq!(grads["shape"], serde_json::json!([horizon, n_h, 6]));
    }
    // KeRNL's perturbations ζ_0 … ζ_T (Gaussian, σ = kernl_sigma = 0.1 in the built-in case).
    let zeta = &tensors["kernl.zeta"];
    assert_eq!(zeta["group"], "kernl");
    assert_eq!(zeta["shape"], serde_json::json!([horizon + 1, n_h]));
    let f = builtin("marschall2020");
    let keep = |_: &str, g: &str| marschall_random_group(g);
    let good = json_candidate(&f, keep);
    let p = write_json("marschall_stochastic_good.json", &good);
    expect(
        "stochastic candidate",
        check_file("marschall2020", &p, &[]),
        0,
        &[
            "rules compared: kernl, kf_rtrl, rkf_rtrl, uoro",
            "verdict: MATCH",
        ],
    );
    // One entry of KF-RTRL's gradient at step 4 changed.
    let mut bad = good.clone();
    let row = n_h * 6;
    let t = &mut bad["tensors"]["kf_rtrl.rec_grads_steps"]["data"][3 * row + 2];
    let v = t.as_f64().unwrap();
    *t = Value::from(v * (1.0 + 1e-6) + 1e-9);
    let p = write_json("marschall_stochastic_grad.json", &bad);
    expect(
        "one KF-RTRL gradient entry changed",
        check_file("marschall2020", &p, &[]),
        1,
        &[
            "MISMATCH (1 of",
            "first diverging step t = 4 (kf_rtrl.rec_grads_steps)",
        ],
    );
    // One draw flipped (a UORO sign, a KF-RTRL sign, a KeRNL perturbation), gradients kept.
    for (tensor, i, step) in [
        ("uoro.nu", n_h + 1, 2),
        ("kf_rtrl.nu", 2 * 5, 6),
        ("kernl.zeta", n_h * 3, 3),
    ] {
        let mut bad = good.clone();
        flip(&mut bad, tensor, i);
        let p = write_json("marschall_stochastic_draw.json", &bad);
        expect(
            &format!("{tensor} entry {i} flipped"),
            check_file("marschall2020", &p, &[]),
            1,
            &[
                "verdict: MISMATCH",
                &format!("first diverging step t = {step} ({tensor})"),
            ],
        );
    }
    // Leaving out a rule's draws is refused (a supplied rule gives all of its inputs).
    let mut partial = good.clone();
    partial["tensors"]
        .as_object_mut()
        .unwrap()
        .remove("uoro.nu");
    let p = write_json("marschall_stochastic_no_draws.json", &partial);
    expect(
        "UORO without its draws",
        check_file("marschall2020", &p, &[]),
        2,
        &["uoro.nu"],
    );
}

/// Each named fault of the preset's stochastic algorithms (three "p0 not inverted", KeRNL's stale
/// Ω), in an implementation, is rejected by `lro check` against the clean reference: that rule's
/// gradients mismatch, the other three still match.
#[test]
fn marschall2020_stochastic_faults_are_rejected_by_check() {
    use lro::faults::{self, Fault};
    let keep = |_: &str, g: &str| marschall_random_group(g);
    for (fault, group) in [
        (Fault::MarschallUoroRho0NotInverted, "uoro"),
        (Fault::MarschallKfRho0NotInverted, "kf_rtrl"),
        (Fault::MarschallReverseKfRho0NotInverted, "rkf_rtrl"),
        (Fault::MarschallKernlAlphaGradStaleOmega, "kernl"),
    ] {
        let faulty = faults::inject(fault, || {
            cases::builtin("marschall2020").unwrap().build().unwrap()
        });
        let p = write_json(
            &format!("marschall_stochastic_{group}_fault.json"),
            &json_candidate(&faulty, keep),
        );
        let (code, out, err) = check_file("marschall2020", &p, &[]);
        assert_eq!(code, 1, "{fault:?}: {out}{err}");
        let row = |name: &str| {
            out.lines()
                .find(|l| l.starts_with(name))
                .unwrap_or_else(|| panic!("{name} in {out}"))
                .to_string()
        };
        assert!(
            !row(&format!("{group}.rec_grads_steps ")).ends_with("ok"),
            "{fault:?}: {out}"
        );
        for other in ["uoro", "kf_rtrl", "rkf_rtrl", "kernl"] {
            if other != group {
                let r = row(&format!("{other}.rec_grads_steps "));
                assert!(r.ends_with("ok"), "{fault:?}: {r}");
            }
        }
    }
}

/// The built-in `family` case (lro's own conventions) carries UORO and KF-RTRL in both scalings
/// with their draws and SnAp-1/2; check accepts its own stochastic groups and rejects a flipped
/// draw and a changed gradient entry.
#[test]
fn family_case_carries_draws_and_check_judges_them() {
    let f = builtin("family");
    let groups = f.rule_groups();
    for g in [
        "uoro_unit",
        "uoro_variance_min",
        "kf_rtrl_unit",
        "kf_rtrl_variance_min",
        "reverse_kf_rtrl_unit",
        "reverse_kf_rtrl_variance_min",
        "snap1",
        "snap2",
    ] {
        assert!(groups.contains(&g.to_string()), "{g} in {groups:?}");
    }
    let keep = |_: &str, g: &str| {
        g == "forward" || g.starts_with("uoro") || g.starts_with("kf") || g.starts_with("reverse")
    };
    let good = json_candidate(&f, keep);
    let p = write_json("family_good.json", &good);
    expect(
        "family stochastic candidate",
        check_file("family", &p, &[]),
        0,
        &[
            "rules compared: kf_rtrl_unit, kf_rtrl_variance_min, reverse_kf_rtrl_unit, \
             reverse_kf_rtrl_variance_min, uoro_unit, uoro_variance_min",
            "verdict: MATCH",
        ],
    );
    // n = 3: entry 4 of the draws is unit 1 at step 2.
    let mut bad = good.clone();
    flip(&mut bad, "uoro_variance_min.draws", 4);
    let p = write_json("family_draw.json", &bad);
    expect(
        "flipped UORO draw",
        check_file("family", &p, &[]),
        1,
        &["first diverging step t = 2 (uoro_variance_min.draws)"],
    );
    let mut bad = good.clone();
    flip(&mut bad, "reverse_kf_rtrl_unit.draws", 4);
    let p = write_json("family_rkf_draw.json", &bad);
    expect(
        "flipped reverse KF-RTRL draw",
        check_file("family", &p, &[]),
        1,
        &["first diverging step t = 2 (reverse_kf_rtrl_unit.draws)"],
    );
    let mut bad = good.clone();
    let t = &mut bad["tensors"]["reverse_kf_rtrl_variance_min.final.dW"]["data"][0];
    let v = t.as_f64().unwrap();
    *t = Value::from(v * (1.0 + 1e-6) + 1e-9);
    let p = write_json("family_rkf_grad.json", &bad);
    expect(
        "changed reverse KF-RTRL gradient",
        check_file("family", &p, &[]),
        1,
        &["reverse_kf_rtrl_variance_min.final.dW", "verdict: MISMATCH"],
    );
    let mut bad = good.clone();
    let t = &mut bad["tensors"]["uoro_unit.seq.dW"]["data"][0];
    let v = t.as_f64().unwrap();
    *t = Value::from(v * (1.0 + 1e-6) + 1e-9);
    let p = write_json("family_grad.json", &bad);
    expect(
        "changed UORO gradient",
        check_file("family", &p, &[]),
        1,
        &["uoro_unit.seq.dW", "verdict: MISMATCH"],
    );
}
