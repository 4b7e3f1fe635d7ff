//! Exact certificates of the per-mode identities (P-RNN-14.a … P-RNN-30.a), and the certificate
//! engine's ability to refute a false identity.
use lro::certify::{self, Identity, Var, VarDomain, modes as cm};
use lro::evidence::Budget;
use lro::scalar::{Rational, Real};

fn all_hold(name: &str, ids: Vec<Identity<'static>>) {
    let t0 = std::time::Instant::now();
    let mut points = 0;
    for id in &ids {
        let c = certify::certify(id, cm::MAX_POINTS).expect("certificate runs");
        assert!(
            c.holds(),
            "{name}: {} failed: {:?}",
            id.name,
            c.counterexample
        );
        points += c.points;
    }
    eprintln!(
        "{name}: {} identities, {points} points, {:?}",
        ids.len(),
        t0.elapsed()
    );
}

#[test]
fn p14a_finite_closed_forms() {
    all_hold("14.a", cm::p14a(Budget::Test));
}
#[test]
fn p15a_bptt_is_gradient() {
    all_hold("15.a", cm::p15a(Budget::Test));
}
#[test]
fn p16a_tbptt_reductions() {
    all_hold("16.a", cm::p16a(Budget::Test));
}
#[test]
fn p17a_manifold_is_fixed() {
    all_hold("17.a", cm::p17a(Budget::Test));
}
#[test]
fn p17b_line_is_fixed() {
    all_hold("17.b", cm::p17b(Budget::Test));
}
#[test]
fn p18a_rflo_line() {
    all_hold("18.a", cm::p18a(Budget::Test));
}
#[test]
fn p20a_analytic_jacobians() {
    all_hold("20.a", cm::p20a(Budget::Test));
}
#[test]
fn p20b_null_vector() {
    all_hold("20.b", cm::p20b(Budget::Test));
}
#[test]
fn p21a_tr_e2() {
    all_hold("21.a", cm::p21a(Budget::Test));
}
#[test]
fn p22a_hessian() {
    all_hold("22.a", cm::p22a(Budget::Test));
}
#[test]
fn p23a_tbptt_equals_bptt_at_zero_wstar() {
    all_hold("23.a", cm::p23a(Budget::Test));
}
#[test]
fn p26a_line_char_poly() {
    all_hold("26.a", cm::p26a(Budget::Test));
}
#[test]
fn p29a_bptt_conservation() {
    all_hold("29.a", cm::p29a(Budget::Test));
}
#[test]
fn p30a_tbptt_conservation() {
    all_hold("30.a", cm::p30a(Budget::Test));
}

fn q(n: i64, d: i64) -> Rational {
    Rational::ratio(n, d)
}

#[test]
fn engine_certifies_a_true_identity_and_refutes_a_false_one() {
    // (x + y)² = x² + 2xy + y²: degree 2 in each variable.
    let good = Identity {
        name: "square".into(),
        vars: vec![
            Var::new("x", VarDomain::Any, 2),
            Var::new("y", VarDomain::Any, 2),
        ],
        denominator: Box::new(|_| q(1, 1)),
        residual: Box::new(|x| {
            let s = x[0].clone() + x[1].clone();
            Ok(vec![
                s.clone() * s
                    - (x[0].clone() * x[0].clone()
                        + q(2, 1) * x[0].clone() * x[1].clone()
                        + x[1].clone() * x[1].clone()),
            ])
        }),
    };
    let c = certify::certify(&good, 100).expect("runs");
    assert!(c.holds());
    assert_eq!(c.points, 9);
    // (x + y)² = x² + y² is false: a counterexample with xy ≠ 0 is reported.
    let bad = Identity {
        name: "wrong square".into(),
        vars: vec![
            Var::new("x", VarDomain::Any, 2),
            Var::new("y", VarDomain::Any, 2),
        ],
        denominator: Box::new(|_| q(1, 1)),
        residual: Box::new(|x| {
            let s = x[0].clone() + x[1].clone();
            Ok(vec![
                s.clone() * s - (x[0].clone() * x[0].clone() + x[1].clone() * x[1].clone()),
            ])
        }),
    };
    let c = certify::certify(&bad, 100).expect("runs");
    let ce = c.counterexample.clone().expect("refuted");
    let zero = Rational::from_i64(0);
    assert!(ce.point[0].1 != zero && ce.point[1].1 != zero, "{ce}");
    assert!(!c.evidence().passed);
}

#[test]
fn a_too_small_degree_bound_can_miss_a_false_identity() {
    // x(x − 1)(x + 1) vanishes on the 3-point grid {0, 1, −1} used for a (wrong) bound 2: the grid
    // argument needs the true bound (3), with which the 4th point refutes it. This is why every
    // bound is derived in the proof files.
    let mk = |d: u32| Identity {
        name: format!("cubic with bound {d}"),
        vars: vec![Var::new("x", VarDomain::Any, d)],
        denominator: Box::new(|_| q(1, 1)),
        residual: Box::new(|x| {
            let v = x[0].clone();
            Ok(vec![v.clone() * (v.clone() - q(1, 1)) * (v + q(1, 1))])
        }),
    };
    assert!(certify::certify(&mk(2), 100).expect("runs").holds());
    assert!(!certify::certify(&mk(3), 100).expect("runs").holds());
}

#[test]
fn a_pole_on_the_grid_is_an_error_not_a_certificate() {
    let id = Identity {
        name: "pole".into(),
        vars: vec![Var::new("x", VarDomain::Any, 2)],
        denominator: Box::new(|x| x[0].clone()),
        residual: Box::new(|_| Ok(vec![q(0, 1)])),
    };
    assert!(certify::certify(&id, 100).is_err());
}

#[test]
fn a_wrong_spec_formula_is_refuted() {
    // Replace the closed-form tBPTT E2 = Q²c*²X by Q³c*²X: the certificate must find a counterexample
    // (a plausible transcription error in `docs/theory/modes.md#stability`).
    use lro::modes::{Horizon, ModeRule, char_poly, m_matrix, optimal_point};
    use lro::rnn::Mode;
    let id = Identity {
        name: "wrong tBPTT E2".into(),
        vars: vec![
            Var::new("s", VarDomain::NonZero, 8),
            Var::new("c*", VarDomain::Any, 4),
            Var::new("w*", VarDomain::OpenUnit, 18),
        ],
        denominator: Box::new(|x| {
            let u = q(1, 1) - x[2].clone() * x[2].clone();
            (x[0].clone() * x[0].clone() * u.powi(3)).powi(2)
        }),
        residual: Box::new(|x| {
            let t = Mode::new(x[1].clone(), q(1, 1), x[2].clone());
            let p = optimal_point(&x[0], &t)?;
            let cp = char_poly(&m_matrix(
                &ModeRule::Tbptt { k: 1 },
                &p,
                &t,
                Horizon::Infinite,
            )?);
            let qq = q(1, 1) / (q(1, 1) - x[2].clone() * x[2].clone());
            let xx = p.a.clone() * p.a.clone() + p.b.clone() * p.b.clone();
            Ok(vec![cp.e2 - qq.powi(3) * x[1].clone() * x[1].clone() * xx])
        }),
    };
    let c = certify::certify(&id, cm::MAX_POINTS).expect("runs");
    assert!(!c.holds(), "a wrong E2 must be refuted");
}
