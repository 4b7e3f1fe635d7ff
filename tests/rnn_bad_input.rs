//! Bad input gives a typed error that says what to change; the library never panics on it.
use lro::LroError;
use lro::rnn::{Activation, AlignedBasis, InstanceSpec, Rnn, StudentTeacher};
use lro::rules::{Loss, Rule, expected, online};
use lro::scalar::Rational;
use nalgebra::{DMatrix, DVector};

fn inst() -> lro::rnn::Instance<f64> {
    InstanceSpec {
        seed: 1,
        o: 2,
        n: 3,
        n_teacher: 3,
        d: 2,
        horizon: 4,
    }
    .draw()
    .unwrap()
}

#[test]
fn mismatched_shapes_are_named() {
    let e = Rnn::new(
        DMatrix::<f64>::zeros(2, 3),
        DMatrix::zeros(3, 4),
        DMatrix::zeros(3, 2),
    )
    .unwrap_err();
    assert!(
        matches!(e, LroError::ShapeMismatch { .. }) && e.to_string().contains("W must be square"),
        "{e}"
    );
    let e = Rnn::new(
        DMatrix::<f64>::zeros(2, 4),
        DMatrix::zeros(3, 3),
        DMatrix::zeros(3, 2),
    )
    .unwrap_err();
    assert!(e.to_string().contains("A must be o×3"), "{e}");
    let i = inst();
    let bad_r = Rule::Rflo {
        feedback: DMatrix::zeros(3, 3),
        w_hat: 0.5,
    };
    let e = online::update(&bad_r, &i.st.student, &i.xs, &i.targets, Loss::Final).unwrap_err();
    assert!(e.to_string().contains("R must be o×n = 2×3"), "{e}");
    let e = online::update(
        &Rule::Bptt,
        &i.st.student,
        &i.xs,
        &i.targets[..3],
        Loss::Final,
    )
    .unwrap_err();
    assert!(e.to_string().contains("3 targets for 4 inputs"), "{e}");
    let short_x = vec![DVector::zeros(5); 4];
    let e = online::update(
        &Rule::Bptt,
        &i.st.student,
        &short_x,
        &i.targets,
        Loss::Final,
    )
    .unwrap_err();
    assert!(e.to_string().contains("input dimension d is 2"), "{e}");
    let other = Rnn::new(
        DMatrix::<f64>::zeros(1, 3),
        DMatrix::zeros(3, 3),
        DMatrix::zeros(3, 2),
    )
    .unwrap();
    assert!(StudentTeacher::new(i.st.student.clone(), other).is_err());
}

#[test]
fn zero_horizon_and_zero_truncation_are_rejected() {
    let i = inst();
    let e = online::update(&Rule::Bptt, &i.st.student, &[], &[], Loss::Final).unwrap_err();
    assert_eq!(e, LroError::ZeroHorizon);
    assert_eq!(
        expected::update(&Rule::Bptt, &i.st, 0, Loss::Final).unwrap_err(),
        LroError::ZeroHorizon
    );
    assert_eq!(
        expected::loss(&i.st, 0, Loss::Sequence).unwrap_err(),
        LroError::ZeroHorizon
    );
    let e = expected::update(&Rule::Tbptt { k: 0 }, &i.st, 4, Loss::Final).unwrap_err();
    assert_eq!(e, LroError::ZeroTruncation);
    assert!(e.to_string().contains("k = 1 is one-step tBPTT"));
}

#[test]
fn non_finite_values_are_rejected() {
    let mut w = DMatrix::<f64>::zeros(3, 3);
    w[(1, 2)] = f64::NAN;
    let e = Rnn::new(DMatrix::zeros(2, 3), w, DMatrix::zeros(3, 2)).unwrap_err();
    assert_eq!(e, LroError::NotFinite { name: "W".into() });
    let i = inst();
    let mut xs = i.xs.clone();
    xs[2][0] = f64::INFINITY;
    let e = online::update(&Rule::Bptt, &i.st.student, &xs, &i.targets, Loss::Final).unwrap_err();
    assert!(e.to_string().contains("input x_2"), "{e}");
    let e = online::update(
        &Rule::Rflo {
            feedback: i.feedback.clone(),
            w_hat: f64::NAN,
        },
        &i.st.student,
        &i.xs,
        &i.targets,
        Loss::Final,
    )
    .unwrap_err();
    assert!(e.to_string().contains("w_hat"), "{e}");
    assert!(i.st.student.clone().with_leak(0.0).is_err());
    assert!(i.st.student.clone().with_leak(1.5).is_err());
}

#[test]
fn unsupported_combinations_are_typed_errors() {
    let i = inst();
    let leaky = StudentTeacher::new(
        i.st.student.clone().with_leak(0.5).unwrap(),
        i.st.teacher.clone(),
    )
    .unwrap();
    assert!(matches!(
        expected::update(&Rule::Bptt, &leaky, 4, Loss::Final),
        Err(LroError::Unsupported(_))
    ));
    let q = i.cast::<Rational>();
    let tanh = q.st.student.clone().with_activation(Activation::Tanh);
    let e = online::update(&Rule::Bptt, &tanh, &q.xs, &q.targets, Loss::Final).unwrap_err();
    assert!(e.to_string().contains("tanh over rational"), "{e}");
}

#[test]
fn aligned_construction_rejects_bad_modes() {
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(1);
    let basis = AlignedBasis::<f64>::random(1, 2, 2, &mut rng).unwrap();
    let m = |a, b, w| lro::rnn::Mode::new(a, b, w);
    assert!(
        basis.build(&[m(1.0, 1.0, 0.5)]).is_err(),
        "one mode for n = 2"
    );
    let e = basis
        .build(&[m(1.0, 1.0, 0.5), m(0.5, 1.0, 0.1)])
        .unwrap_err();
    assert!(e.to_string().contains("output row"), "{e}");
    assert!(basis.feedback(&[1.0, 2.0]).is_err(), "min(o, n) = 1 gain");
    assert!(AlignedBasis::<f64>::random(0, 2, 2, &mut rng).is_err());
}
