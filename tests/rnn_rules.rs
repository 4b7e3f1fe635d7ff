//! P-RNN-1 … P-RNN-12 as property tests over random sizes (o, n, d ≤ 8, T ≤ 30 in f64; smaller over
//! exact rationals), calling the same property functions as the catalogue.
use lro::certify::rnn as props;
use lro::rnn::{Activation, InstanceSpec};
use lro::rules::{Loss, Rule};
use lro::scalar::Rational;
use lro::tolerances::{CENTRAL_DIFF_REL, F64_IDENTITY_REL};
use proptest::prelude::*;

/// Instance specs with dimensions up to the given bounds (o, n, n_teacher, d, T).
fn specs(o: usize, n: usize, nt: usize, d: usize, t: usize) -> impl Strategy<Value = InstanceSpec> {
    (any::<u64>(), 1..=o, 1..=n, 1..=nt, 1..=d, 1..=t).prop_map(
        |(seed, o, n, n_teacher, d, horizon)| InstanceSpec {
            seed,
            o,
            n,
            n_teacher,
            d,
            horizon,
        },
    )
}

fn large() -> impl Strategy<Value = InstanceSpec> {
    specs(8, 8, 8, 8, 30)
}

fn small() -> impl Strategy<Value = InstanceSpec> {
    specs(3, 5, 4, 3, 8)
}

/// d·T ≤ 8, so that all 2^(dT) Rademacher inputs can be enumerated.
fn enumerable() -> impl Strategy<Value = InstanceSpec> {
    specs(3, 4, 3, 2, 4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn rule_identities_hold_in_f64(spec in large(), k_seed in any::<u64>()) {
        let inst = spec.draw().unwrap();
        let k = 1 + (k_seed as usize % inst.st.student.n());
        let leaky_tanh = inst.st.student.clone().with_leak(0.5).unwrap().with_activation(Activation::Tanh);
        let checks = [
            ("P-RNN-5", props::tbptt_long_is_bptt(&inst).unwrap()),
            ("P-RNN-6", props::nilpotent_bptt_is_tbptt(&inst, k, k_seed).unwrap()),
            ("P-RNN-7", props::rflo_zero_is_tbptt1(&inst).unwrap()),
            ("P-RNN-8", props::rflo_scalar_w_is_bptt(&inst).unwrap()),
            ("P-RNN-10", props::rtrl_is_bptt(&inst, &inst.st.student).unwrap()),
            ("P-RNN-10 leaky tanh", props::rtrl_is_bptt(&inst, &leaky_tanh).unwrap()),
        ];
        for (id, c) in checks {
            prop_assert!(c.rel <= F64_IDENTITY_REL, "{id}: relative difference {} on {spec:?}", c.rel);
        }
    }

    #[test]
    fn rule_identities_hold_exactly(spec in small(), k_seed in any::<u64>()) {
        let inst = spec.draw().unwrap().cast::<Rational>();
        let k = 1 + (k_seed as usize % inst.st.student.n());
        let checks = [
            ("P-RNN-5", props::tbptt_long_is_bptt(&inst).unwrap()),
            ("P-RNN-6", props::nilpotent_bptt_is_tbptt(&inst, k, k_seed).unwrap()),
            ("P-RNN-7", props::rflo_zero_is_tbptt1(&inst).unwrap()),
            ("P-RNN-8", props::rflo_scalar_w_is_bptt(&inst).unwrap()),
            ("P-RNN-9", props::readout_update_is_shared(&inst).unwrap()),
            ("P-RNN-10", props::rtrl_is_bptt(&inst, &inst.st.student).unwrap()),
        ];
        for (id, c) in checks {
            prop_assert!(c.equal, "{id} not exactly equal on {spec:?}");
        }
    }

    #[test]
    fn bptt_expected_update_is_the_exact_gradient(spec in small()) {
        let inst = spec.draw().unwrap();
        for loss in props::LOSSES {
            prop_assert!(props::bptt_is_gradient_dual(&inst.cast::<Rational>(), loss).unwrap().equal, "P-RNN-2 over Dual<Q>");
        }
    }

    #[test]
    fn bptt_expected_update_matches_central_differences(spec in large()) {
        let inst = spec.draw().unwrap();
        for loss in props::LOSSES {
            let e = props::bptt_is_gradient_central(&inst, loss).unwrap();
            prop_assert!(e <= CENTRAL_DIFF_REL, "P-RNN-2 central differences: {e} on {spec:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn closed_forms_are_exact_expectations(spec in enumerable()) {
        let inst = spec.draw().unwrap().cast::<Rational>();
        prop_assert!(props::expected_loss_by_enumeration(&inst, Loss::Final).unwrap().equal, "P-RNN-1");
        prop_assert!(props::expected_loss_by_enumeration(&inst, Loss::Sequence).unwrap().equal, "P-RNN-4");
        prop_assert!(props::expectation_identities(&inst).unwrap().equal, "P-RNN-3");
        prop_assert!(props::online_mean_is_expected(&inst).unwrap().equal, "P-RNN-11");
    }

    #[test]
    fn alignment_is_preserved_exactly(spec in small()) {
        let spec = InstanceSpec { n_teacher: spec.n, ..spec };
        let (inst, basis) = spec.draw_aligned::<Rational>().unwrap();
        let c = props::alignment_preserved(&inst, &basis, 1, Rational::new(1, 8).unwrap()).unwrap();
        prop_assert!(c.equal, "P-RNN-12 on {spec:?}");
    }
}

/// The nilpotent identity is not vacuous: truncating one step earlier than the nilpotency index
/// changes the update (on a fixed instance where the extra lag carries error).
#[test]
fn truncating_below_the_nilpotency_index_differs() {
    let spec = InstanceSpec {
        seed: 3,
        o: 2,
        n: 4,
        n_teacher: 3,
        d: 2,
        horizon: 6,
    };
    let inst = spec.draw().unwrap().cast::<Rational>();
    let k = 3;
    assert!(props::nilpotent_bptt_is_tbptt(&inst, k, 11).unwrap().equal);
    let s = &inst.st.student;
    let w = props::nilpotent::<Rational>(s.n(), k, 11).unwrap();
    let st = lro::rnn::StudentTeacher::new(
        s.with_params(s.a().clone(), w, s.b().clone()).unwrap(),
        inst.st.teacher.clone(),
    )
    .unwrap();
    let shorter = props::rules_agree(&inst, &st, &Rule::Bptt, &Rule::Tbptt { k: k - 1 }).unwrap();
    assert!(
        !shorter.equal,
        "tBPTT(k − 1) should differ from BPTT when W^(k−1) ≠ 0"
    );
}

/// The Monte-Carlo critical value is the Student-t quantile at total false-alarm probability 1e-6
/// (Bonferroni over the comparisons). Reference values from an independent implementation
/// (SciPy's `t.ppf`): t_3999(1 − 5e-7) = 4.89927, t_49(1 − 5e-7) = 5.58875,
/// t_3999(1 − 5e-9) = 5.74287 (100 comparisons); the normal quantile would be 4.89164.
#[test]
fn monte_carlo_critical_values_follow_the_quantiles() {
    use lro::tolerances::mc_critical_z;
    // the references are given to five decimals
    const TABLE_ROUNDING: f64 = 1e-5;
    for (comparisons, samples, want) in [(1, 4000, 4.89927), (1, 50, 5.58875), (100, 4000, 5.74287)]
    {
        let got = mc_critical_z(comparisons, samples);
        assert!(
            (got - want).abs() <= TABLE_ROUNDING,
            "{comparisons} comparisons of {samples} draws: {got} vs {want}"
        );
    }
}

/// P-RNN-10.a's e-prop reference: with W diagonal, truncating the state Jacobian to its diagonal
/// loses nothing, so the diagonal RTRL reference equals RTRL's (and BPTT's) exact update; a
/// non-diagonal W makes them differ (so the reference is not RTRL under another name).
#[test]
fn diagonal_rtrl_is_rtrl_exactly_when_w_is_diagonal() {
    use lro::certify::nonlinear::diagonal_rtrl;
    use lro::rules::online;
    use nalgebra::DMatrix;
    let spec = InstanceSpec {
        seed: 11,
        o: 2,
        n: 3,
        n_teacher: 2,
        d: 2,
        horizon: 4,
    };
    let inst = spec.draw().expect("draws").cast::<Rational>();
    let net = inst.st.student.clone();
    let diag_w = DMatrix::from_fn(3, 3, |i, j| {
        if i == j {
            net.w()[(i, j)].clone()
        } else {
            <Rational as lro::scalar::Real>::from_i64(0)
        }
    });
    let dnet = net
        .with_params(net.a().clone(), diag_w, net.b().clone())
        .expect("shapes");
    let rtrl = |n: &lro::rnn::Rnn<Rational>| {
        online::update(&Rule::Rtrl, n, &inst.xs, &inst.targets, Loss::Sequence).expect("update")
    };
    let (w, b) =
        diagonal_rtrl(&dnet, &inst.xs, &inst.targets, Loss::Sequence, dnet.a()).expect("runs");
    let exact = rtrl(&dnet);
    assert_eq!((w, b), (exact.w, exact.b));
    let (w, _) =
        diagonal_rtrl(&net, &inst.xs, &inst.targets, Loss::Sequence, net.a()).expect("runs");
    assert_ne!(w, rtrl(&net).w, "off-diagonal W must matter");
}
