//! Each fault injected in the rules and the forward pass (`src/rnn/model.rs`, `src/rules/`) is
//! caught by a direct check of the definition it breaks, and the same check passes without it.
//! The catalogue-level power of each fault (which entries fail) is listed by the ignored test at
//! the end (`cargo test --release --test rules_faults -- --ignored --nocapture`).
use lro::catalogue;
use lro::catalogue::Budget;
use lro::faults::{self, Fault};
use lro::linalg;
use lro::rnn::{Activation, InstanceSpec, Rnn, StudentTeacher};
use lro::rules::{Feedback, Loss, Rule, expected, online};
use lro::tolerances::{CENTRAL_DIFF_REL, CENTRAL_DIFF_STEP, F64_IDENTITY_REL};
use nalgebra::{DMatrix, DVector};

/// A network with non-symmetric W (so a missing transpose shows), its inputs and targets.
fn instance(seed: u64) -> lro::rnn::Instance<f64> {
    InstanceSpec {
        seed,
        o: 2,
        n: 5,
        n_teacher: 4,
        d: 3,
        horizon: 6,
    }
    .draw()
    .unwrap()
}

fn leaky_tanh(net: &Rnn<f64>) -> Rnn<f64> {
    net.clone()
        .with_leak(0.75)
        .unwrap()
        .with_activation(Activation::Tanh)
}

/// A fixed, non-symmetric direction V for directional derivatives.
fn direction(rows: usize, cols: usize) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |i, j| ((3 * i + 7 * j) % 5) as f64 / 4.0 - 0.4)
}

/// Relative gap between `⟨ΔW, V⟩ + ⟨ΔA, V_A⟩` and the central difference of the sample loss along
/// (V_A, V), which equals it for an exact gradient.
fn gradient_gap(
    rule: &Rule<f64>,
    net: &Rnn<f64>,
    xs: &[DVector<f64>],
    ys: &[DVector<f64>],
    loss: Loss,
) -> f64 {
    let (o, n, d) = (net.o(), net.n(), net.d());
    let (va, vw) = (direction(o, n), direction(n, n));
    let u = online::update(rule, net, xs, ys, loss).unwrap();
    let predicted = u.a.dot(&va) + u.w.dot(&vw);
    let h = CENTRAL_DIFF_STEP;
    let at = |s: f64| {
        let p = net
            .with_params(
                net.a() + &va * s,
                net.w() + &vw * s,
                net.b() + DMatrix::zeros(n, d),
            )
            .unwrap();
        online::loss(&p, xs, ys, loss).unwrap()
    };
    let fd = (at(h) - at(-h)) / (2.0 * h);
    // The smallest positive floor keeps 0/0 (both exactly zero) from becoming NaN.
    linalg::rel_diff_scalar(predicted, fd, f64::MIN_POSITIVE)
}

fn rel(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    linalg::rel_diff(a, b, 0.0)
}

// ---- the checks, each returning a relative error that must be tiny without faults ----

/// The forward pass against its definition, written out here: h_t = (1−α)h + α tanh(W h + B x).
fn forward_gap() -> f64 {
    let i = instance(1);
    let net = leaky_tanh(&i.st.student);
    let traj = net.forward(&i.xs).unwrap();
    let mut h = DVector::zeros(net.n());
    let mut worst: f64 = 0.0;
    for (t, x) in i.xs.iter().enumerate() {
        let u = net.w() * &h + net.b() * x;
        h = &h * 0.25 + u.map(f64::tanh) * 0.75;
        worst = worst.max((&traj.h[t + 1] - &h).amax() / h.amax());
    }
    worst
}

/// BPTT against the directional derivative of the loss, leaky tanh network, both losses.
fn bptt_gradient_gap() -> f64 {
    let i = instance(2);
    let net = leaky_tanh(&i.st.student);
    let f = gradient_gap(&Rule::Bptt, &net, &i.xs, &i.targets, Loss::Final);
    f.max(gradient_gap(
        &Rule::Bptt,
        &net,
        &i.xs,
        &i.targets,
        Loss::Sequence,
    ))
}

/// RTRL (forward mode) against BPTT (reverse mode): two independent exact gradients.
fn rtrl_vs_bptt() -> f64 {
    let i = instance(3);
    let net = leaky_tanh(&i.st.student);
    let r = online::update(&Rule::Rtrl, &net, &i.xs, &i.targets, Loss::Sequence).unwrap();
    let b = online::update(&Rule::Bptt, &net, &i.xs, &i.targets, Loss::Sequence).unwrap();
    rel(&r.w, &b.w).max(rel(&r.b, &b.b))
}

/// One-step tBPTT, final loss, linear RNN: ΔW = Aᵀ ε_T h_{T-1}ᵀ, written out here.
fn tbptt1_gap() -> f64 {
    let i = instance(4);
    let net = &i.st.student;
    let traj = net.forward(&i.xs).unwrap();
    let t = i.xs.len();
    let eps = &traj.y[t - 1] - &i.targets[t - 1];
    let want = net.a().transpose() * &eps * traj.h[t - 1].transpose();
    let u = online::update(&Rule::Tbptt { k: 1 }, net, &i.xs, &i.targets, Loss::Final).unwrap();
    rel(&u.w, &want)
}

/// RFLO, final loss, linear RNN: ΔW = (Rᵀ ε_T) (Σ_{s=1}^T ŵ^{T-s} h_{s-1})ᵀ, written out here.
fn rflo_gap() -> f64 {
    let i = instance(5);
    let net = &i.st.student;
    let traj = net.forward(&i.xs).unwrap();
    let t = i.xs.len();
    let eps = &traj.y[t - 1] - &i.targets[t - 1];
    let mut trace = DVector::zeros(net.n());
    for s in 1..=t {
        trace = trace * i.w_hat + &traj.h[s - 1];
    }
    let want = i.feedback.transpose() * &eps * trace.transpose();
    let rule = Rule::Rflo {
        feedback: i.feedback.clone(),
        w_hat: i.w_hat,
    };
    let u = online::update(&rule, net, &i.xs, &i.targets, Loss::Final).unwrap();
    rel(&u.w, &want)
}

/// With diagonal W the Jacobian is diagonal, so e-prop with symmetric feedback is the exact
/// gradient (leaky tanh network): it must equal BPTT.
fn eprop_diagonal_gap() -> f64 {
    let i = instance(6);
    let s = &i.st.student;
    let diag = DMatrix::from_fn(
        s.n(),
        s.n(),
        |a, b| if a == b { s.w()[(a, a)] } else { 0.0 },
    );
    let net = leaky_tanh(&s.with_params(s.a().clone(), diag, s.b().clone()).unwrap());
    let rule = Rule::Eprop {
        feedback: Feedback::Symmetric,
    };
    let e = online::update(&rule, &net, &i.xs, &i.targets, Loss::Sequence).unwrap();
    let b = online::update(&Rule::Bptt, &net, &i.xs, &i.targets, Loss::Sequence).unwrap();
    rel(&e.w, &b.w).max(rel(&e.b, &b.b))
}

/// The expected BPTT update against the directional derivative of the expected loss.
fn expected_gradient_gap() -> f64 {
    let i = instance(7);
    let st = &i.st;
    let (o, n, d) = (st.student.o(), st.student.n(), st.student.d());
    let vw = direction(n, n);
    let horizon = i.horizon;
    let u = expected::update(&Rule::Bptt, st, horizon, Loss::Final).unwrap();
    let predicted = u.w.dot(&vw);
    let h = CENTRAL_DIFF_STEP;
    let at = |x: f64| {
        let s = &st.student;
        let p = s
            .with_params(
                s.a() + DMatrix::zeros(o, n),
                s.w() + &vw * x,
                s.b() + DMatrix::zeros(n, d),
            )
            .unwrap();
        let moved = StudentTeacher::new(p, st.teacher.clone()).unwrap();
        expected::loss(&moved, horizon, Loss::Final).unwrap()
    };
    let fd = (at(h) - at(-h)) / (2.0 * h);
    linalg::rel_diff_scalar(predicted, fd, 0.0)
}

/// Expected one-step tBPTT: ΔW = Aᵀ S_0 (only the lag-0 backward operator).
fn expected_tbptt1_gap() -> f64 {
    let i = instance(8);
    let st = &i.st;
    let s0 = &expected::error_state_covariances(st, i.horizon).unwrap()[0];
    let want = st.student.a().transpose() * s0;
    let u = expected::update(&Rule::Tbptt { k: 1 }, st, i.horizon, Loss::Final).unwrap();
    rel(&u.w, &want)
}

/// A named check and the tolerance it is held to.
type Check = (&'static str, fn() -> f64, f64);

/// The checks by name, with the tolerance each is held to.
fn checks() -> Vec<Check> {
    vec![
        ("forward", forward_gap, F64_IDENTITY_REL),
        ("bptt-gradient", bptt_gradient_gap, CENTRAL_DIFF_REL),
        ("rtrl-vs-bptt", rtrl_vs_bptt, F64_IDENTITY_REL),
        ("tbptt1", tbptt1_gap, F64_IDENTITY_REL),
        ("rflo", rflo_gap, F64_IDENTITY_REL),
        ("eprop-diagonal", eprop_diagonal_gap, F64_IDENTITY_REL),
        ("expected-gradient", expected_gradient_gap, CENTRAL_DIFF_REL),
        ("expected-tbptt1", expected_tbptt1_gap, F64_IDENTITY_REL),
    ]
}

/// The faults of the rules and the forward pass, with the direct checks meant to catch each.
const MINE: &[(Fault, &[&str])] = &[
    (Fault::LeakTwice, &["forward", "bptt-gradient"]),
    (Fault::BpttStateOneLate, &["bptt-gradient", "rtrl-vs-bptt"]),
    (
        Fault::BpttMissingTranspose,
        &["bptt-gradient", "rtrl-vs-bptt"],
    ),
    (Fault::TbpttWindowOffByOne, &["tbptt1"]),
    (Fault::UpdateSignFlip, &["bptt-gradient", "tbptt1", "rflo"]),
    (Fault::ReadoutSignFlip, &["bptt-gradient"]),
    (Fault::DroppedInvT, &["bptt-gradient"]),
    (Fault::RtrlDropsPropagation, &["rtrl-vs-bptt"]),
    (Fault::TraceOneStepLate, &["rflo", "eprop-diagonal"]),
    (Fault::EpropMissingDerivative, &["eprop-diagonal"]),
    (Fault::RfloWrongFeedback, &["rflo"]),
    (Fault::ExpectedLagTranspose, &["expected-gradient"]),
    (Fault::ExpectedTruncationOffByOne, &["expected-tbptt1"]),
];

#[test]
fn every_check_passes_without_faults() {
    for (name, check, tol) in checks() {
        let gap = check();
        assert!(
            gap <= tol,
            "{name}: relative error {gap:e} > {tol:e} with no fault"
        );
    }
}

#[test]
fn each_fault_is_caught_by_its_checks() {
    let checks = checks();
    for &(fault, meant) in MINE {
        for name in meant {
            let (_, check, tol) = checks.iter().find(|c| c.0 == *name).expect("known check");
            let gap = faults::inject(fault, check);
            assert!(
                gap > *tol || gap.is_nan(),
                "{}: check {name} passed (error {gap:e} ≤ {tol:e}) with the fault on",
                fault.name()
            );
        }
    }
}

/// Which catalogue entries fail at the test budget under each of these faults (slow: runs the
/// whole catalogue once per fault).
#[test]
#[ignore = "runs the whole catalogue once per fault; for the check-power table"]
fn catalogue_power_of_rule_faults() {
    let entries = catalogue::all();
    for &(fault, _) in MINE {
        let caught: Vec<&str> = faults::inject(fault, || {
            entries
                .iter()
                .filter(|e| !matches!((e.check)(Budget::Test), Ok(ev) if ev.passed))
                .map(|e| e.id)
                .collect()
        });
        println!(
            "{}: {}",
            fault.name(),
            if caught.is_empty() {
                "CAUGHT BY NOTHING".to_string()
            } else {
                caught.join(", ")
            }
        );
    }
}
