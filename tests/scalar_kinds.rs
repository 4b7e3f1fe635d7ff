//! One implementation, five kinds of number (ARCHITECTURE.md): the same generic rule code runs
//! over f64, complex-step numbers, dual numbers, MPFR floats and exact rationals, and the results
//! agree as each kind's arithmetic predicts.
use lro::certify::compare::Comparison;
use lro::gradcheck;
use lro::rnn::{InstanceSpec, StudentTeacher};
use lro::rules::{Loss, Rule, Update, expected, online};
use lro::scalar::{Dual, Mpfr, Rational, Real, with_precision};
use lro::tolerances::{
    COMPLEX_STEP, COMPLEX_STEP_REL, F64_IDENTITY_REL, MPFR_REFERENCE_BITS, MPFR256_REL,
};
use num_complex::Complex;
use quickcheck::{Arbitrary, Gen, QuickCheck};

fn spec() -> InstanceSpec {
    InstanceSpec {
        seed: 42,
        o: 3,
        n: 5,
        n_teacher: 4,
        d: 3,
        horizon: 12,
    }
}

fn rflo<T: Real>(inst: &lro::rnn::Instance<T>) -> Rule<T> {
    Rule::Rflo {
        feedback: inst.feedback.clone(),
        w_hat: inst.w_hat.clone(),
    }
}

/// The expected RFLO and BPTT updates over every kind, against the exact rational result.
#[test]
fn every_kind_runs_the_same_rule_code() {
    let base = spec().draw().unwrap();
    let exact_inst = base.cast::<Rational>();
    let exact = |rule: &Rule<Rational>| {
        expected::update(rule, &exact_inst.st, 12, Loss::Sequence)
            .unwrap()
            .to_f64()
    };
    let (bq, rq) = (exact(&Rule::Bptt), exact(&rflo(&exact_inst)));

    let f = base.clone();
    let fb = expected::update(&Rule::Bptt, &f.st, 12, Loss::Sequence).unwrap();
    let fr = expected::update(&rflo(&f), &f.st, 12, Loss::Sequence).unwrap();
    assert!(Comparison::updates(&fb, &bq).rel <= F64_IDENTITY_REL);
    assert!(Comparison::updates(&fr, &rq).rel <= F64_IDENTITY_REL);

    let c = base.cast::<Complex<f64>>();
    let cb = expected::update(&Rule::Bptt, &c.st, 12, Loss::Sequence).unwrap();
    assert_eq!(
        cb.to_f64(),
        fb,
        "complex with zero imaginary part follows the f64 path bit for bit"
    );

    let d = base.cast::<Dual<f64>>();
    let db = expected::update(&Rule::Bptt, &d.st, 12, Loss::Sequence).unwrap();
    assert_eq!(
        db.to_f64(),
        fb,
        "dual value part follows the f64 path bit for bit"
    );

    let worst = with_precision(MPFR_REFERENCE_BITS, || {
        let m = base.cast::<Mpfr>();
        let mb = expected::update(&Rule::Bptt, &m.st, 12, Loss::Sequence).unwrap();
        let mr = expected::update(&rflo(&m), &m.st, 12, Loss::Sequence).unwrap();
        // Compare in MPFR against the exact rational result converted to MPFR.
        let ex = |u: &Update<Rational>| Update {
            a: u.a
                .map(|x| Mpfr(rug::Float::with_val(MPFR_REFERENCE_BITS, &x.0))),
            w: u.w
                .map(|x| Mpfr(rug::Float::with_val(MPFR_REFERENCE_BITS, &x.0))),
            b: u.b
                .map(|x| Mpfr(rug::Float::with_val(MPFR_REFERENCE_BITS, &x.0))),
        };
        let eb = ex(&expected::update(&Rule::Bptt, &exact_inst.st, 12, Loss::Sequence).unwrap());
        let er =
            ex(&expected::update(&rflo(&exact_inst), &exact_inst.st, 12, Loss::Sequence).unwrap());
        let rel = |a: &Update<Mpfr>, b: &Update<Mpfr>| -> f64 {
            let mut worst = 0.0f64;
            for (x, y) in [(&a.a, &b.a), (&a.w, &b.w), (&a.b, &b.b)] {
                let scale = y.iter().map(|v| v.0.to_f64().abs()).fold(0.0, f64::max);
                for (p, q) in x.iter().zip(y.iter()) {
                    let diff = rug::Float::with_val(MPFR_REFERENCE_BITS, &p.0 - &q.0)
                        .to_f64()
                        .abs();
                    worst = worst.max(diff / scale);
                }
            }
            worst
        };
        rel(&mb, &eb).max(rel(&mr, &er))
    })
    .unwrap();
    assert!(worst <= MPFR256_REL, "MPFR-256 vs exact: {worst:e}");
}

/// Complex step and dual numbers agree on the derivative of the expected loss, and both agree with
/// BPTT's expected update.
#[test]
fn complex_step_and_dual_numbers_agree() {
    let inst = spec().draw().unwrap();
    let st = &inst.st;
    let p = st.student.params_flat();
    let teacher_c = st.teacher.map(|x| Complex::new(*x, 0.0));
    let cs = gradcheck::complex_step_gradient(&p, COMPLEX_STEP, |z| {
        expected::loss(
            &StudentTeacher::new(st.student.with_params_flat(z)?, teacher_c.clone())?,
            12,
            Loss::Final,
        )
    })
    .unwrap();
    let teacher_d = st.teacher.map(|x| Dual::constant(*x));
    let dual = gradcheck::dual_gradient(&p, |z| {
        expected::loss(
            &StudentTeacher::new(st.student.with_params_flat(z)?, teacher_d.clone())?,
            12,
            Loss::Final,
        )
    })
    .unwrap();
    let bptt = expected::update(&Rule::Bptt, st, 12, Loss::Final).unwrap();
    let flat: Vec<f64> = [&bptt.a, &bptt.w, &bptt.b]
        .iter()
        .flat_map(|m| (0..m.nrows()).flat_map(move |i| (0..m.ncols()).map(move |j| m[(i, j)])))
        .collect();
    let scale = flat.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    for ((c, d), b) in cs.iter().zip(&dual).zip(&flat) {
        assert!(
            (c - d).abs() <= COMPLEX_STEP_REL * scale,
            "complex step {c} vs dual {d}"
        );
        assert!(
            (d - b).abs() <= COMPLEX_STEP_REL * scale,
            "dual {d} vs BPTT {b}"
        );
    }
}

/// Per sample, over MPFR at 256 bits, RTRL and BPTT agree far beyond f64 precision.
#[test]
fn mpfr_reference_run_of_rtrl_and_bptt() {
    let inst = spec().draw().unwrap();
    let rel = with_precision(MPFR_REFERENCE_BITS, || {
        let m = inst.cast::<Mpfr>();
        let a = online::update(
            &Rule::Rtrl,
            &m.st.student,
            &m.xs,
            &m.targets,
            Loss::Sequence,
        )
        .unwrap();
        let b = online::update(
            &Rule::Bptt,
            &m.st.student,
            &m.xs,
            &m.targets,
            Loss::Sequence,
        )
        .unwrap();
        let mut worst = 0.0f64;
        for (x, y) in [(&a.w, &b.w), (&a.b, &b.b)] {
            let scale = y.iter().map(|v| v.0.to_f64().abs()).fold(0.0, f64::max);
            for (p, q) in x.iter().zip(y.iter()) {
                worst = worst.max(
                    rug::Float::with_val(MPFR_REFERENCE_BITS, &p.0 - &q.0)
                        .to_f64()
                        .abs()
                        / scale,
                );
            }
        }
        worst
    })
    .unwrap();
    assert!(rel <= MPFR256_REL, "{rel:e}");
}

/// A small exact rational, for field-axiom checks of the `Rational` newtype.
#[derive(Clone, Debug)]
struct SmallRational(i64, i64);

impl Arbitrary for SmallRational {
    fn arbitrary(g: &mut Gen) -> Self {
        let num = i64::from(i16::arbitrary(g));
        let den = i64::from(u8::arbitrary(g)) + 1;
        SmallRational(num, den)
    }
}

impl SmallRational {
    fn value(&self) -> Rational {
        Rational::new(self.0, self.1).expect("den ≥ 1")
    }
}

#[test]
fn rational_newtype_is_a_field() {
    fn prop(a: SmallRational, b: SmallRational, c: SmallRational) -> bool {
        let (x, y, z) = (a.value(), b.value(), c.value());
        let distributive =
            x.clone() * (y.clone() + z.clone()) == x.clone() * y.clone() + x.clone() * z.clone();
        let inverse = y == Rational::from_i64(0) || (x.clone() / y.clone()) * y.clone() == x;
        let additive = x.clone() - x.clone() == Rational::from_i64(0);
        let dual = {
            // d/dx (x·x·y) = 2xy exactly.
            let dx = Dual::variable(x.clone());
            let f = dx.clone() * dx * Dual::constant(y.clone());
            f.eps == Rational::from_i64(2) * x.clone() * y.clone()
        };
        distributive && inverse && additive && dual
    }
    QuickCheck::new()
        .tests(300)
        .quickcheck(prop as fn(SmallRational, SmallRational, SmallRational) -> bool);
}

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).expect_err("should panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn rational_refuses_division_by_zero_and_non_finite_values_loudly() {
    let one = Rational::from_i64(1);
    let zero = Rational::from_i64(0);
    assert_eq!(one.clone().checked_div(zero.clone()), None);
    assert_eq!(
        one.clone().checked_div(Rational::from_i64(4)),
        Rational::new(1, 4)
    );
    let (a, b) = (one.clone(), zero.clone());
    assert!(panic_message(move || drop(a / b)).contains("division by zero"));
    let (mut a, b) = (one, zero);
    assert!(panic_message(move || a /= b).contains("division by zero"));
    for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert!(panic_message(move || drop(Rational::from_f64(x))).contains("no NaN or infinity"));
        assert_eq!(Rational::from_f64_exact(x), None);
    }
    assert!(panic_message(|| drop(<Rational as Real>::ratio(1, 0))).contains("zero denominator"));
    assert!(
        panic_message(|| {
            let _ = <f64 as Real>::ratio(1, 0);
        })
        .contains("zero denominator")
    );
    assert_eq!(
        <Rational as Real>::ratio(3, 6),
        Rational::new(1, 2).expect("nonzero")
    );
}

#[test]
fn with_precision_restores_the_precision_when_the_closure_panics() {
    let before = lro::scalar::precision();
    let r = std::panic::catch_unwind(|| {
        with_precision(MPFR_REFERENCE_BITS + 64, || {
            assert_eq!(lro::scalar::precision(), MPFR_REFERENCE_BITS + 64);
            panic!("inside");
        })
    });
    assert!(r.is_err());
    assert_eq!(lro::scalar::precision(), before);
    // and after a normal return
    let inner = with_precision(MPFR_REFERENCE_BITS + 64, lro::scalar::precision).expect("valid");
    assert_eq!(inner, MPFR_REFERENCE_BITS + 64);
    assert_eq!(lro::scalar::precision(), before);
}
