//! Fixtures with a batch axis and the one-pass reference for working sizes (`lro::oracle::batch`).
//!
//! The batch means and the one-pass BPTT totals are checked against independent routes: the
//! rules' own batched mini-batch update (one batched adjoint pass over all samples) and RTRL's
//! forward-mode gradient.
mod common;

use lro::faults::{self, Fault};
use lro::oracle::api::{self, CaseRef, CheckOptions};
use lro::oracle::batch::{PER_STEP_MAX_HORIZON, PER_STEP_MAX_N};
use lro::oracle::config::{CaseConfig, LroConfig};
use lro::oracle::limits::Arithmetic;
use lro::oracle::{Fixture, OracleError, cases};
use lro::rnn::{Activation, Rnn};
use lro::rules::{Loss, Rule, online};
use lro::tolerances::ORACLE_BATCH_F64_REL;
use nalgebra::{DMatrix, DVector};

fn lro_case(name: &str) -> LroConfig {
    match cases::builtin(name).expect("built-in case") {
        CaseConfig::Lro(c) => c,
        _ => panic!("{name} is an lro case"),
    }
}

/// A case past the per-step sizes, small enough to compute in a test.
fn wide_case(batch: usize) -> LroConfig {
    LroConfig {
        name: "wide".into(),
        n: PER_STEP_MAX_N + 1,
        n_teacher: Some(PER_STEP_MAX_N + 1),
        horizon: 9,
        batch,
        ..lro_case("leaky-tanh")
    }
}

fn build(c: &LroConfig) -> Fixture {
    CaseConfig::Lro(c.clone()).build().expect("the case builds")
}

/// Sample `b` of a batch tensor as a matrix (rows x cols of the per-sample shape's last two axes).
fn sample_rows(f: &Fixture, name: &str, b: usize) -> Vec<DVector<f64>> {
    let t = &f.tensors[name];
    assert!(t.batch_axis, "{name} has a batch axis");
    let (rows, cols) = (t.shape[1], t.shape[2]);
    let per = rows * cols;
    let data = &t.data[b * per..(b + 1) * per];
    (0..rows)
        .map(|r| DVector::from_row_slice(&data[r * cols..(r + 1) * cols]))
        .collect()
}

fn matrix(f: &Fixture, name: &str) -> DMatrix<f64> {
    f.matrix(name).expect("a matrix tensor")
}

fn student(f: &Fixture) -> Rnn<f64> {
    Rnn::new(matrix(f, "A"), matrix(f, "W"), matrix(f, "B"))
        .and_then(|n| n.with_leak(f.tensors["alpha"].data[0]))
        .map(|n| n.with_activation(Activation::Tanh))
        .expect("the fixture's student")
}

fn rel(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    (a - b).amax() / a.amax().max(b.amax())
}

#[test]
fn batch_one_is_the_single_sequence_fixture() {
    let one = api::fixture(CaseRef::from("linear"), Some(1)).unwrap();
    let none = api::fixture(CaseRef::from("linear"), None).unwrap();
    assert_eq!(one.tensors, none.tensors);
    assert!(one.tensors.values().all(|t| !t.batch_axis));
}

#[test]
fn batch_fixture_stacks_samples_and_adds_means() {
    let single = api::fixture(CaseRef::from("leaky-tanh"), None).unwrap();
    let f = api::fixture(CaseRef::from("leaky-tanh"), Some(3)).unwrap();
    // Shapes: a leading batch axis on every per-sample tensor, none on parameters or means.
    assert_eq!(f.tensors["x"].shape, vec![3, 6, 2]);
    assert_eq!(f.tensors["h"].shape, vec![3, 7, 3]);
    assert_eq!(f.tensors["loss_seq"].shape, vec![3]);
    assert_eq!(f.tensors["bptt.seq.dW"].shape, vec![3, 3, 3]);
    assert_eq!(f.tensors["bptt.seq.dW_steps"].shape, vec![3, 6, 3, 3]);
    assert_eq!(f.tensors["bptt.seq.dW_mean"].shape, vec![3, 3]);
    assert_eq!(f.tensors["W"].shape, vec![3, 3]);
    assert!(!f.tensors["W"].batch_axis && !f.tensors["bptt.seq.dW_mean"].batch_axis);
    assert_eq!(f.conventions.settings["batch"], 3.0);
    // Sample 0 is the single-sequence fixture; the other samples have other inputs.
    for name in ["x", "h", "bptt.seq.dW", "rflo.seq.dW_steps"] {
        let (t, s) = (&f.tensors[name], &single.tensors[name]);
        assert_eq!(&t.data[..s.data.len()], &s.data[..], "{name}, sample 0");
    }
    assert_ne!(sample_rows(&f, "x", 1), sample_rows(&f, "x", 2));
    // The batch-mean BPTT update equals the rules' batched mini-batch update (one batched
    // adjoint pass over the three samples, in f64): an independent route.
    let net = student(&f);
    let pairs: Vec<_> = (0..3)
        .map(|b| (sample_rows(&f, "x", b), sample_rows(&f, "y_star", b)))
        .collect();
    for (rule, name) in [(Rule::Bptt, "bptt"), (Rule::Rtrl, "rtrl")] {
        let u = online::batch_update(&rule, &net, &pairs, Loss::Sequence).unwrap();
        let got = matrix(&f, &format!("{name}.seq.dW_mean"));
        let e = rel(&got, &u.w);
        assert!(e <= ORACLE_BATCH_F64_REL, "{name} batch mean off by {e:e}");
        let ga = matrix(&f, &format!("{name}.seq.dA_mean"));
        assert!(rel(&ga, &u.a) <= ORACLE_BATCH_F64_REL);
    }
    // The mean of the losses.
    let losses = &f.tensors["loss_seq"].data;
    let mean = f.tensors["loss_seq_mean"].data[0];
    assert!((mean - losses.iter().sum::<f64>() / 3.0).abs() <= ORACLE_BATCH_F64_REL * mean);
}

#[test]
fn working_size_reference_is_one_pass_and_says_so() {
    let c = wide_case(2);
    let f = build(&c);
    let rules = f.rule_groups();
    assert!(!rules.contains(&"rtrl".to_string()), "{rules:?}");
    assert!(rules.contains(&"bptt".to_string()) && rules.contains(&"rflo".to_string()));
    assert!(f.tensors.keys().all(|k| !k.ends_with("_steps")));
    assert!(f.tensors.keys().all(|k| !k.contains(".final.")));
    assert!(f.tensors.contains_key("rflo.trace_h"));
    assert!(f.conventions.per_step_updates.contains("Not exported"));
    assert!(
        f.conventions
            .known
            .iter()
            .any(|k| k.contains("RTRL is omitted"))
    );
    // The reference's number kind and its measured distance from f64, in the manifest.
    assert_eq!(f.provenance.arithmetic, Some(Arithmetic::Mpfr256));
    assert!(
        f.provenance.bound.contains("256-bit MPFR"),
        "{}",
        f.provenance.bound
    );
    let err = f.tensors["bptt.seq.dW"]
        .f64_error
        .expect("f64 error measured");
    assert!(err > 0.0 && err < 1e-12, "f64 vs MPFR: {err:e}");
    // BPTT's one-pass total equals RTRL's forward-mode gradient per sample (f64).
    let net = student(&f);
    for b in 0..2 {
        let (xs, ys) = (sample_rows(&f, "x", b), sample_rows(&f, "y_star", b));
        let u = online::update(&Rule::Rtrl, &net, &xs, &ys, Loss::Sequence).unwrap();
        let t = &f.tensors["bptt.seq.dW"];
        let per = t.shape[1] * t.shape[2];
        let got = DMatrix::from_row_slice(t.shape[1], t.shape[2], &t.data[b * per..(b + 1) * per]);
        let e = rel(&got, &u.w);
        assert!(e <= ORACLE_BATCH_F64_REL, "sample {b}: BPTT vs RTRL {e:e}");
    }
}

#[test]
fn a_bptt_fault_in_the_worker_threads_reaches_the_reference() {
    // The samples are computed on worker threads; an injected fault must reach them, or the
    // comparison below could not fail.
    let c = wide_case(2);
    let good = build(&c);
    let bad = faults::inject(Fault::BpttMissingTranspose, || build(&c));
    let (g, b) = (&good.tensors["bptt.seq.dW"], &bad.tensors["bptt.seq.dW"]);
    let last = g.data.len() - 1;
    assert!(
        (g.data[last] - b.data[last]).abs() > 1e-6 * g.data[last].abs(),
        "the fault changes sample 1"
    );
}

fn self_candidate(f: &Fixture) -> api::Candidate {
    api::Candidate::in_memory(
        "self",
        f.tensors
            .iter()
            .map(|(k, t)| (k.clone(), (t.shape.clone(), t.data.clone())))
            .collect(),
    )
}

fn bump(c: &mut api::Candidate, name: &str, flat: usize) {
    let v = &mut c.tensors.get_mut(name).unwrap().1[flat];
    *v += 0.5 + v.abs();
}

#[test]
fn check_names_the_batch_sample_of_the_first_divergence() {
    let f = api::fixture(CaseRef::from("leaky-tanh"), Some(3)).unwrap();
    let ok = api::check(&f, &self_candidate(&f), &CheckOptions::default()).unwrap();
    assert!(ok.ok, "{}", ok.table);
    // h is [3, 7, 3] with first_step 0: sample 2, row 4 is step 4. u is [3, 6, 3] with
    // first_step 1: sample 0, row 5 is step 6. The earlier step wins although its sample is later.
    let mut c = self_candidate(&f);
    bump(&mut c, "h", 2 * 21 + 4 * 3 + 1);
    bump(&mut c, "u", 5 * 3);
    let v = api::check(&f, &c, &CheckOptions::default()).unwrap();
    assert!(!v.ok);
    let d = v.first_divergence.expect("a divergence");
    assert_eq!(
        (d.tensor.as_str(), d.step, d.batch),
        ("h", Some(4), Some(2))
    );
    assert_eq!(d.index, vec![2, 4, 1]);
    assert!(
        v.table
            .contains("first diverging step t = 4 in batch sample b = 2"),
        "{}",
        v.table
    );
    // Within one tensor: an earlier step in a later sample is the first divergence.
    let mut c = self_candidate(&f);
    bump(&mut c, "rflo.trace_h", 9 + 3); // sample 0, row 1 (step 2), entry (1, 0)
    bump(&mut c, "rflo.trace_h", 6 * 9); // sample 1, row 0 (step 1)
    let v = api::check(&f, &c, &CheckOptions::default()).unwrap();
    let d = v.first_divergence.expect("a divergence");
    assert_eq!(
        (d.step, d.batch, d.index.clone()),
        (Some(1), Some(1), vec![1, 0, 0, 0])
    );
    // A batch-mean update that differs fails too (it has no batch axis).
    let mut c = self_candidate(&f);
    bump(&mut c, "rflo.seq.dW_mean", 0);
    let v = api::check(&f, &c, &CheckOptions::default()).unwrap();
    let d = v.first_divergence.expect("a divergence");
    assert_eq!((d.tensor.as_str(), d.batch), ("rflo.seq.dW_mean", None));
}

#[test]
fn bad_batches_are_refused_with_a_reason() {
    let zero = api::fixture(CaseRef::from("linear"), Some(0)).unwrap_err();
    assert!(zero.to_string().contains("at least 1"), "{zero}");
    let huge = api::fixture(CaseRef::from("linear"), Some(1 << 40)).unwrap_err();
    assert!(matches!(huge, OracleError::Limit { .. }), "{huge}");
    assert!(huge.to_string().contains("--max-batch"), "{huge}");
    let peer = api::fixture(CaseRef::from("murray2019"), Some(2)).unwrap_err();
    assert!(peer.to_string().contains("one sequence"), "{peer}");
    let json = r#"{"convention": "lro", "name": "c", "seed": 1, "o": 2, "n": 3, "d": 2,
                   "horizon": 4, "batch": 0}"#;
    let e = api::fixture(CaseRef::ConfigJson(json.into()), None).unwrap_err();
    assert!(e.to_string().contains("batch"), "{e}");
    let json = json.replace("\"batch\": 0", "\"batch\": 2.5");
    let e = api::fixture(CaseRef::ConfigJson(json), None).unwrap_err();
    assert!(
        e.to_string().contains("batch") || e.to_string().contains("integer"),
        "{e}"
    );
}

#[test]
fn cli_refuses_bad_batches_with_exit_2() {
    let dir = std::env::temp_dir().join(format!("lro-batch-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (batch, needle) in [
        ("0", "integer >= 1"),
        ("100000", "--max-batch"),
        ("-1", "key \"batch\": expected integer >= 1"),
    ] {
        let cfg = dir.join(format!("b{batch}.json"));
        std::fs::write(
            &cfg,
            format!(
                r#"{{"convention": "lro", "name": "c", "seed": 1, "o": 2, "n": 3, "d": 2,
                    "horizon": 4, "batch": {batch}}}"#
            ),
        )
        .unwrap();
        let out = dir.join("out.npz");
        let (code, _, err) = common::lro(&[
            "export",
            "--case",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "batch {batch}: {err}");
        assert!(err.contains(needle), "batch {batch}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn batch_fixtures_round_trip_through_npz_and_json() {
    let f = api::fixture(CaseRef::from("linear"), Some(2)).unwrap();
    let g = lro::oracle::npz::read_fixture(&lro::oracle::npz::write_fixture(&f).unwrap()).unwrap();
    assert_eq!(f, g);
    let h =
        lro::oracle::json::read_fixture(&lro::oracle::json::write_fixture(&f).unwrap()).unwrap();
    assert_eq!(f, h);
    assert!(g.tensors["h"].batch_axis);
}

#[test]
fn per_step_limits_are_what_the_docs_say() {
    // The working-size built-in case is past them (one-pass reference) and has B = 16.
    let c = lro_case("working-size");
    assert!(c.n > PER_STEP_MAX_N && c.horizon > PER_STEP_MAX_HORIZON);
    assert_eq!((c.n, c.horizon, c.batch), (64, 100, 16));
}
