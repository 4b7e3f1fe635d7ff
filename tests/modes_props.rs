//! Property tests of the per-mode claims (P-RNN-13, 22–28) over strategies that
//! respect the invariants (|w*|, |ŵ| < 1, c* ≠ 0, s ≠ 0), on dyadic grids so that f64 and exact
//! runs see the same numbers.
use lro::modes::compare::matrix_vs_modes;
use lro::modes::jacobian::report;
use lro::modes::{
    Horizon, ModeRule, StabilityClass, char_poly, classify_reduced, m_matrix, manifold,
    nonoptimal_point, optimal_point, update,
};
use lro::rnn::Mode;
use lro::scalar::{Rational, Real};
use lro::tolerances as tol;
use proptest::prelude::*;

/// A nonzero dyadic k/den with |k| ≤ kmax.
fn nonzero(kmax: i64, den: f64) -> impl Strategy<Value = f64> {
    (1..=kmax, any::<bool>()).prop_map(move |(k, neg)| if neg { -k as f64 } else { k as f64 } / den)
}

/// A value in (−1, 1): k/16 with |k| ≤ 15.
fn unit() -> impl Strategy<Value = f64> {
    (-15i64..=15).prop_map(|k| k as f64 / 16.0)
}

fn teacher() -> impl Strategy<Value = Mode<f64>> {
    (nonzero(8, 4.0), nonzero(8, 4.0), unit()).prop_map(|(a, b, w)| Mode::new(a, b, w))
}

fn class_at(rule: &ModeRule<f64>, m: &Mode<f64>, t: &Mode<f64>) -> StabilityClass {
    report(rule, m, t, Horizon::Infinite)
        .expect("in domain")
        .class
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// P-RNN-22: BPTT's optimal manifold is attracting everywhere, with real eigenvalues.
    #[test]
    fn bptt_manifold_is_a_stable_node(t in teacher(), s in nonzero(16, 4.0)) {
        let p = optimal_point(&s, &t).expect("s ≠ 0");
        prop_assert_eq!(class_at(&ModeRule::Bptt, &p, &t), StabilityClass::StableNode);
    }

    /// P-RNN-23: one-step tBPTT is stable on the manifold with real eigenvalues.
    #[test]
    fn tbptt_manifold_is_a_stable_node(t in teacher(), s in nonzero(16, 4.0)) {
        let p = optimal_point(&s, &t).expect("s ≠ 0");
        prop_assert_eq!(class_at(&ModeRule::Tbptt { k: 1 }, &p, &t), StabilityClass::StableNode);
    }

    /// P-RNN-24/25: RFLO is stable on the branch â s > 0 and a saddle when â s < 0 and
    /// |â||s|³ < c*²; the reported class matches the exact signs of tr, E2 and the discriminant.
    #[test]
    fn rflo_branches(t in teacher(), s in nonzero(16, 4.0), a_hat in nonzero(8, 4.0), w_hat in unit()) {
        let rule = ModeRule::Rflo { a_hat, w_hat };
        let p = optimal_point(&s, &t).expect("s ≠ 0");
        let cs = t.a * t.b;
        let class = class_at(&rule, &p, &t);
        // exact class from the signs (Rational: the dyadic inputs are exact)
        let q = |x: f64| Rational::from_f64(x);
        let rq = ModeRule::Rflo { a_hat: q(a_hat), w_hat: q(w_hat) };
        let tq = Mode::new(q(t.a), q(t.b), q(t.w));
        let cp = char_poly(&m_matrix(&rq, &optimal_point(&q(s), &tq).expect("s ≠ 0"), &tq, Horizon::Infinite).expect("in domain"));
        let exact = classify_reduced(&cp.tr, &cp.e2);
        if a_hat * s > 0.0 {
            prop_assert!(matches!(class, StabilityClass::StableNode | StabilityClass::StableFocus), "{class:?}");
        } else if a_hat.abs() * s.abs().powi(3) < cs * cs {
            prop_assert_eq!(class, StabilityClass::Saddle);
        }
        // away from class boundaries the f64 class equals the exact one
        let scale = cp.tr.to_f64().abs().max(1.0);
        let disc = cp.tr.to_f64().powi(2) - 4.0 * cp.e2.to_f64();
        if cp.e2.to_f64().abs() > tol::MODES_CLASS_MARGIN * scale * scale
            && disc.abs() > tol::MODES_CLASS_MARGIN * scale * scale
        {
            prop_assert_eq!(class, exact);
        }
    }

    /// P-RNN-17/18/26: (0, 0, w) is a saddle for BPTT and tBPTT and not a fixed point of RFLO.
    #[test]
    fn nonoptimal_line(t in teacher(), w in unit(), a_hat in nonzero(8, 4.0), w_hat in unit()) {
        let p = nonoptimal_point(&w);
        prop_assert_eq!(class_at(&ModeRule::Bptt, &p, &t), StabilityClass::Saddle);
        prop_assert_eq!(class_at(&ModeRule::Tbptt { k: 1 }, &p, &t), StabilityClass::Saddle);
        let u = update(&ModeRule::Rflo { a_hat, w_hat }, &p, &t, Horizon::Infinite).expect("in domain");
        prop_assert!(u.b != 0.0);
        let ub = update(&ModeRule::Bptt, &p, &t, Horizon::Infinite).expect("in domain");
        prop_assert_eq!((ub.a, ub.b, ub.w), (0.0, 0.0, 0.0));
    }

    /// P-RNN-27: BPTT's rate is slowest at s = ±√|c*| and tends to Q³c*² as s → 0 or ∞.
    #[test]
    fn bptt_rate_profile(t in teacher(), s in nonzero(64, 8.0)) {
        let cs = t.a * t.b;
        let at_min = manifold::bptt_rate_closed_form(cs.abs().sqrt(), cs, t.w);
        let here = manifold::bptt_rate_closed_form(s, cs, t.w);
        prop_assert!(here >= at_min * (1.0 - tol::F64_IDENTITY_REL), "{here} < {at_min}");
        let q = 1.0 / (1.0 - t.w * t.w);
        let lim = q * q * q * cs * cs;
        for far in [1e-4 * s, 1e4 * s] {
            let l = manifold::bptt_rate_closed_form(far, cs, t.w);
            prop_assert!((l / lim - 1.0).abs() < tol::MODES_RATE_LIMIT_REL, "λ({far}) = {l}, limit {lim}");
        }
    }

    /// P-RNN-28: on RFLO's stable branch, RFLO converges faster than BPTT for small |s|.
    #[test]
    fn rflo_faster_than_bptt_near_zero(t in teacher(), a_hat in nonzero(8, 4.0), w_hat in unit()) {
        let s = 1e-3 * a_hat.signum();
        let q = |x: f64| Rational::from_f64(x);
        let rq = ModeRule::Rflo { a_hat: q(a_hat), w_hat: q(w_hat) };
        let tq = Mode::new(q(t.a), q(t.b), q(t.w));
        let rf = manifold::rate_on_manifold(&rq, &q(s), &tq).expect("s ≠ 0");
        let bp = manifold::bptt_rate_closed_form(s, t.a * t.b, t.w);
        prop_assert!(rf > bp, "rflo {rf} ≤ bptt {bp}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// P-RNN-13: exact agreement of the matrix expected updates with the per-mode sums on random
    /// aligned instances (n ≤ 4 here; the catalogue's Full budget goes to n = 8).
    #[test]
    fn matrix_updates_are_the_mode_sums(seed in 0u64..1_000_000, n in 1usize..=4, t in 1usize..=4) {
        let (mismatches, count) = matrix_vs_modes(seed, n, t).expect("instance builds");
        prop_assert!(count > 0);
        prop_assert_eq!(mismatches, 0);
    }
}
