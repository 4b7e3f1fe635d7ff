//! Exact properties of the contrastive estimators and toys over rationals (`docs/theory/contrastive.md#properties`; P-CL-1, 3, 8,
//! 12, 19), with proptest strategies over small rationals, and input validation.
use lro::contrastive::driver::{Rate, run_eq3r};
use lro::contrastive::estimators::*;
use lro::contrastive::models::boltzmann::Boltzmann;
use lro::contrastive::models::chl::{chl_single_update, single_layer_grad};
use lro::contrastive::models::ep_quadratic::*;
use lro::contrastive::models::gaussian::GaussianToy;
use lro::contrastive::phases::{LengthDist, PhaseProcess, PhaseSampler};
use lro::contrastive::{Phase, Weights};
use lro::scalar::{Rational, Real};
use nalgebra::DMatrix;
use proptest::prelude::*;

type Q = Rational;

fn small_q() -> impl Strategy<Value = Q> {
    (-9i64..=9, 1i64..=5).prop_map(|(n, d)| Q::ratio(n, d))
}

fn qvec(n: usize) -> impl Strategy<Value = Vec<Q>> {
    prop::collection::vec(small_q(), n)
}

fn qmat(r: usize, c: usize) -> impl Strategy<Value = DMatrix<Q>> {
    qvec(r * c).prop_map(move |v| DMatrix::from_vec(r, c, v))
}

/// A probability k/d strictly inside (0, 1).
fn prob() -> impl Strategy<Value = Q> {
    (2i64..=16).prop_flat_map(|d| (1..d).prop_map(move |k| Q::ratio(k, d)))
}

fn ep_toy() -> impl Strategy<Value = EpQuadratic<Q>> {
    (1usize..=3, 1usize..=3).prop_flat_map(|(m, n)| {
        (qmat(m, n), qmat(n, 1), qmat(m, 1))
            .prop_map(|(w, x, y)| EpQuadratic::new(w, x, y).expect("shapes fit"))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// P-CL-1: IS-R is unbiased, exactly.
    #[test]
    fn isr_is_unbiased((gp, gm) in (1usize..=4).prop_flat_map(|d| (qvec(d), qvec(d))), p in prob()) {
        let e = isr_expectation(&gp, &gm, &p);
        let delta: Vec<Q> = gp.iter().zip(&gm).map(|(a, b)| a.clone() - b.clone()).collect();
        prop_assert_eq!(e, delta);
    }

    /// P-CL-3: the IS-R variance formula, exactly, and p* beats p = ½ unless M⁺ = M⁻.
    #[test]
    fn isr_variance_formula_holds((gp, gm) in (1usize..=4).prop_flat_map(|d| (qvec(d), qvec(d))), p in prob()) {
        let n2 = |v: &[Q]| v.iter().fold(Q::from_i64(0), |s, x| s + x.clone() * x.clone());
        let delta: Vec<Q> = gp.iter().zip(&gm).map(|(a, b)| a.clone() - b.clone()).collect();
        prop_assert_eq!(
            isr_variance_enumerated(&gp, &gm, &p),
            isr_variance_formula(&n2(&gp), &n2(&gm), &n2(&delta), &p)
        );
    }

    /// P-CL-8: quadratic EP closed forms for random β = 1/k and −1/k.
    #[test]
    fn quadratic_ep_closed_forms(toy in ep_toy(), k in 2i64..=12, neg in any::<bool>()) {
        let beta = if neg { Q::ratio(-1, k) } else { Q::ratio(1, k) };
        let one = Q::from_i64(1);
        let g = toy.grad_loss();
        prop_assert_eq!(toy.s_nudged(&beta), toy.s_nudged_by_solve(&beta).unwrap());
        prop_assert_eq!(toy.one_sided(&beta), &g / (one.clone() + beta.clone()));
        prop_assert_eq!(toy.symmetric(&beta), &g / (one - beta.clone() * beta));
    }

    /// κ_d (discrete κ) is exact for unequal phase lengths too: s̄⁺ − s̄⁻ = κ_d (s^β − s⁰).
    #[test]
    fn discrete_kappa_is_exact(toy in ep_toy(), tp in 1u32..=5, tm in 1u32..=5, dtk in 3i64..=10) {
        let beta = Q::ratio(1, 2);
        let dt = Q::ratio(1, dtk);
        let one = Q::from_i64(1);
        let (sp, sm) = alternating_phase_means(&toy, &beta, &dt, tp, tm).unwrap();
        let d = toy.s_nudged(&beta) - toy.s_free();
        let kd = kappa_discrete(&(one.clone() - dt.clone() * (one.clone() + beta.clone())), tp, &(one - dt), tm);
        prop_assert_eq!(sp - sm, d * kd);
    }

    /// P-CL-19: single-layer CHL is the delta rule.
    #[test]
    fn chl_single_layer_is_delta_rule((w, x, y) in (1usize..=4, 1usize..=4).prop_flat_map(|(m, n)| (qmat(m, n), qmat(n, 1), qmat(m, 1)))) {
        prop_assert_eq!(chl_single_update(&w, &x, &y), -single_layer_grad(&w, &x, &y));
    }

    /// Eq.3-R over Q: a step moves θ by exactly −η σ ω f.
    #[test]
    fn eq3r_step_sign_and_weight(f in qvec(3), plus in any::<bool>()) {
        let z = if plus { Phase::Plus } else { Phase::Minus };
        let w = Weights { plus: 0.25, minus: 4.0 };
        let mut theta = vec![Q::from_i64(0); 3];
        eq3r_step(&mut theta, Q::ratio(1, 3), z, &w, &f);
        let factor = if plus { Q::ratio(-1, 12) } else { Q::ratio(4, 3) };
        let want: Vec<Q> = f.iter().map(|v| v.clone() * factor.clone()).collect();
        prop_assert_eq!(theta, want);
    }
}

#[test]
fn invalid_inputs_are_errors_not_panics() {
    assert!(
        PhaseSampler::new(
            PhaseProcess::P1 {
                t_plus: 0,
                t_minus: 3
            },
            1
        )
        .is_err()
    );
    assert!(
        PhaseSampler::new(
            PhaseProcess::P3 {
                p: 1.0,
                plus: LengthDist::Fixed(1),
                minus: LengthDist::Fixed(1)
            },
            1
        )
        .is_err()
    );
    assert!(
        PhaseSampler::new(
            PhaseProcess::P2 {
                plus: LengthDist::Geometric { mean: 0.5 },
                minus: LengthDist::Fixed(1)
            },
            1
        )
        .is_err()
    );
    assert!(
        PhaseSampler::new(
            PhaseProcess::P4 {
                alpha_plus: 0.0,
                alpha_minus: 0.5
            },
            1
        )
        .is_err()
    );
    assert!(GaussianToy::new(0.0, 1.0, 1.0).is_err());
    assert!(GaussianToy::new(0.0, -1.0, 0.0).is_err());
    assert!(Boltzmann::new(13, 2, vec![0.25; 4]).is_err());
    assert!(Boltzmann::new(3, 2, vec![0.5; 4]).is_err());
    let toy = GaussianToy::new(0.0, 1.0, 0.0).unwrap();
    let mut s = PhaseSampler::new(
        PhaseProcess::P4 {
            alpha_plus: 0.5,
            alpha_minus: 0.5,
        },
        1,
    )
    .unwrap();
    let r = run_eq3r(
        &toy,
        &mut s,
        &Weights::unit(),
        Rate::Constant(0.1),
        &[0.0, 1.0],
        &0.0,
        10,
        1,
        |_| {},
    );
    assert!(r.is_err(), "θ of the wrong dimension must be rejected");
    let r = run_eq3r(
        &toy,
        &mut s,
        &Weights::unit(),
        Rate::Constant(-0.1),
        &[0.0],
        &0.0,
        10,
        1,
        |_| {},
    );
    assert!(r.is_err(), "a negative rate must be rejected");
}
