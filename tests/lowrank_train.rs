//! The training driver `lro::train`: its steps equal the rules' updates applied by hand, schedules,
//! freezing, data, recording and divergence reporting. Exact over rationals.
use lro::LroError;
use lro::rnn::{InstanceSpec, inputs};
use lro::rules::{Loss, Rule, expected, online};
use lro::scalar::Rational;
use lro::train::{Data, DivergenceKind, Freeze, Recording, Schedule, TrainConfig, Updates, train};
use nalgebra::DVector;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn instance(seed: u64) -> lro::rnn::Instance<Rational> {
    InstanceSpec {
        seed,
        o: 2,
        n: 3,
        n_teacher: 2,
        d: 2,
        horizon: 3,
    }
    .draw()
    .unwrap()
    .cast()
}

fn q(n: i64, d: i64) -> Rational {
    Rational::new(n, d).unwrap()
}

#[test]
fn decaying_schedule_is_eta0_over_one_plus_k_over_k0() {
    let s = Schedule::Decaying {
        eta0: q(1, 2),
        k0: 4,
    };
    assert_eq!(s.rate(0), q(1, 2));
    assert_eq!(s.rate(4), q(1, 4));
    assert_eq!(s.rate(12), q(1, 8));
    assert_eq!(Schedule::Constant(q(3, 7)).rate(99), q(3, 7));
}

/// K expected steps with a decaying rate equal the hand-written loop θ ← θ − η_k Δθ(θ).
#[test]
fn expected_run_equals_the_hand_loop() {
    let inst = instance(3);
    for loss in [Loss::Final, Loss::Sequence] {
        let rule = Rule::Rflo {
            feedback: inst.feedback.clone(),
            w_hat: inst.w_hat.clone(),
        };
        let cfg = TrainConfig::new(
            rule.clone(),
            Updates::Expected,
            loss,
            3,
            3,
            Schedule::Decaying {
                eta0: q(1, 4),
                k0: 2,
            },
        );
        let res = train(&inst.st, &cfg).unwrap();
        let mut st = inst.st.clone();
        for k in 0..3usize {
            let u = expected::update(&rule, &st, 3, loss).unwrap();
            let eta = q(1, 4) * q(2, 2 + k as i64);
            st.student = u.apply(&st.student, eta).unwrap();
        }
        assert_eq!(res.net, st.student);
        assert_eq!(res.steps_done, 3);
        assert!(res.divergence.is_none());
        // Loss recorded at the start and the end, exactly the expected loss.
        let l = res.losses();
        assert_eq!(l.len(), 2);
        assert_eq!(
            l[1].1,
            expected::loss(&st, 3, loss).unwrap().0.to_f64(),
            "final loss"
        );
    }
}

/// Online steps draw Rademacher sequences from ChaCha8(seed) in order, targets from the teacher;
/// a mini-batch of b samples averages b consecutive draws.
#[test]
fn online_and_minibatch_runs_equal_the_hand_loop() {
    let inst = instance(5);
    let rule = Rule::Bptt;
    for batch in [1usize, 3] {
        let updates = if batch == 1 {
            Updates::Online
        } else {
            Updates::MiniBatch { batch }
        };
        let mut cfg = TrainConfig::new(
            rule.clone(),
            updates,
            Loss::Sequence,
            3,
            2,
            Schedule::Constant(q(1, 8)),
        );
        cfg.seed = 11;
        let res = train(&inst.st, &cfg).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut net = inst.st.student.clone();
        for _ in 0..2 {
            let pairs: Vec<_> = (0..batch)
                .map(|_| {
                    let xs = inputs::cast::<Rational>(&inputs::rademacher(2, 3, &mut rng));
                    let ys = inst.st.targets(&xs).unwrap();
                    (xs, ys)
                })
                .collect();
            let u = online::batch_update(&rule, &net, &pairs, Loss::Sequence).unwrap();
            net = u.apply(&net, q(1, 8)).unwrap();
        }
        assert_eq!(res.net, net, "batch {batch}");
    }
}

/// Fixed data are used in turn, the teacher is ignored.
#[test]
fn fixed_data_cycle() {
    let inst = instance(7);
    let v = |a: f64, b: f64| DVector::from_vec(vec![a, b]);
    let p1 = (
        vec![v(1.0, 0.5), v(-0.25, 2.0), v(0.0, 1.0)],
        vec![v(3.0, -1.0), v(0.0, 0.0), v(1.0, 1.0)],
    );
    let p2 = (
        vec![v(0.5, 0.5), v(1.0, -1.0), v(2.0, 0.0)],
        vec![v(-1.0, 0.0), v(0.5, 0.25), v(0.0, -2.0)],
    );
    let rule = Rule::Tbptt { k: 2 };
    let mut cfg = TrainConfig::new(
        rule.clone(),
        Updates::Online,
        Loss::Final,
        3,
        3,
        Schedule::Constant(q(1, 4)),
    );
    cfg.data = Data::Fixed(vec![p1.clone(), p2.clone()]);
    let res = train(&inst.st, &cfg).unwrap();
    let mut net = inst.st.student.clone();
    for p in [&p1, &p2, &p1] {
        let (xs, ys) = (inputs::cast(&p.0), inputs::cast(&p.1));
        net = online::update(&rule, &net, &xs, &ys, Loss::Final)
            .unwrap()
            .apply(&net, q(1, 4))
            .unwrap();
    }
    assert_eq!(res.net, net);
}

/// Frozen blocks do not move; the others do.
#[test]
fn frozen_blocks_stay_put() {
    let inst = instance(9);
    for (fa, fw, fb) in [
        (true, false, false),
        (false, true, false),
        (false, false, true),
    ] {
        let mut cfg = TrainConfig::new(
            Rule::Bptt,
            Updates::Expected,
            Loss::Final,
            3,
            2,
            Schedule::Constant(q(1, 8)),
        );
        cfg.freeze = Freeze {
            a: fa,
            w: fw,
            b: fb,
        };
        let net = train(&inst.st, &cfg).unwrap().net;
        let s = &inst.st.student;
        assert_eq!(net.a() == s.a(), fa);
        assert_eq!(net.w() == s.w(), fw);
        assert_eq!(net.b() == s.b(), fb);
    }
}

/// Checkpoints at 0, every, 2·every, … and the end, with parameters when asked.
#[test]
fn checkpoints_follow_the_recording() {
    let inst = instance(2);
    let mut cfg = TrainConfig::new(
        Rule::Bptt,
        Updates::Expected,
        Loss::Final,
        3,
        5,
        Schedule::Constant(q(1, 16)),
    );
    cfg.record = Recording {
        every: 2,
        loss: true,
        alignment: None,
        params: true,
    };
    let res = train(&inst.st, &cfg).unwrap();
    let steps: Vec<usize> = res.checkpoints.iter().map(|c| c.step).collect();
    assert_eq!(steps, vec![0, 2, 4, 5]);
    assert_eq!(res.checkpoints[0].params.as_ref(), Some(&inst.st.student));
    assert_eq!(res.checkpoints[3].params.as_ref(), Some(&res.net));
}

/// A divergent run is data: bound exceeded (or non-finite) → early stop with the step.
#[test]
fn divergence_is_reported_not_raised() {
    let inst = InstanceSpec {
        seed: 1,
        o: 1,
        n: 4,
        n_teacher: 2,
        d: 2,
        horizon: 4,
    }
    .draw()
    .unwrap();
    let mut cfg = TrainConfig::new(
        Rule::Bptt,
        Updates::Expected,
        Loss::Final,
        4,
        500,
        Schedule::Constant(50.0),
    );
    cfg.divergence_bound = 1e3;
    let res = train(&inst.st, &cfg).unwrap();
    let d = res.divergence.expect("η = 50 diverges");
    assert!(res.steps_done < 500 && d.step >= res.steps_done);
    assert!(lro::linalg::all_finite(res.net.w()));
    match d.kind {
        DivergenceKind::Exploded { max_abs } => assert!(max_abs > 1e3),
        DivergenceKind::NonFinite => {}
    }
    // With an infinite bound the run goes on until the numbers overflow.
    cfg.divergence_bound = f64::INFINITY;
    let res = train(&inst.st, &cfg).unwrap();
    assert_eq!(
        res.divergence.map(|d| d.kind),
        Some(DivergenceKind::NonFinite)
    );
    assert!(lro::linalg::all_finite(res.net.w()));
}

#[test]
fn invalid_settings_are_errors() {
    let inst = instance(1);
    let base = TrainConfig::new(
        Rule::Bptt,
        Updates::Online,
        Loss::Final,
        3,
        1,
        Schedule::Constant(q(1, 8)),
    );
    let mut c = base.clone();
    c.schedule = Schedule::Decaying {
        eta0: q(1, 8),
        k0: 0,
    };
    assert!(matches!(
        train(&inst.st, &c),
        Err(LroError::InvalidParameter { .. })
    ));
    let mut c = base.clone();
    c.updates = Updates::MiniBatch { batch: 0 };
    assert!(train(&inst.st, &c).is_err());
    let mut c = base.clone();
    c.horizon = 0;
    assert_eq!(train(&inst.st, &c).unwrap_err(), LroError::ZeroHorizon);
    let mut c = base.clone();
    c.data = Data::Fixed(vec![(vec![DVector::zeros(2)], vec![DVector::zeros(2)])]);
    assert!(matches!(
        train(&inst.st, &c),
        Err(LroError::ShapeMismatch { .. })
    ));
    let mut c = base;
    c.rule = Rule::Tbptt { k: 0 };
    assert_eq!(train(&inst.st, &c).unwrap_err(), LroError::ZeroTruncation);
}
