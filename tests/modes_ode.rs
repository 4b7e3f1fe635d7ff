//! The integrators (src/ode.rs): orders of accuracy, adaptive error control, the domain stop of
//! P-RNN-34, and blow-up reporting.
use lro::modes::systems::{ModeFlow, pack_modes};
use lro::modes::{Horizon, ModeRule};
use lro::ode::{self, DpOptions, Outcome, System};
use lro::rnn::Mode;
use lro::tolerances as tol;

/// dy/dτ = −y ⊙ (1, 2): exact solution y0 e^{−τ}, y0 e^{−2τ}.
struct Decay;
impl System<f64> for Decay {
    fn rhs(&self, y: &[f64]) -> lro::Result<Vec<f64>> {
        Ok(vec![-y[0], -2.0 * y[1]])
    }
}

/// dy/dτ = y²: blows up at τ = 1/y0.
struct Blowup;
impl System<f64> for Blowup {
    fn rhs(&self, y: &[f64]) -> lro::Result<Vec<f64>> {
        Ok(vec![y[0] * y[0]])
    }
}

fn rk4_error(steps: usize) -> f64 {
    let y = ode::rk4(&Decay, &[1.0, 1.0], 1.0, steps, &mut |_, _| {})
        .expect("runs")
        .into_final()
        .expect("inside");
    (y[0] - (-1.0f64).exp())
        .abs()
        .max((y[1] - (-2.0f64).exp()).abs())
}

#[test]
fn rk4_is_fourth_order() {
    // halving the step divides the global error by 2⁴ = 16 (asymptotically)
    let (e1, e2) = (rk4_error(20), rk4_error(40));
    let ratio = e1 / e2;
    assert!(
        (14.0..18.0).contains(&ratio),
        "error ratio {ratio} (e1 {e1}, e2 {e2})"
    );
}

#[test]
fn dormand_prince_meets_its_tolerance() {
    for rtol in [1e-6, 1e-9] {
        let o = DpOptions {
            rtol,
            atol: rtol * 1e-2,
            ..DpOptions::default()
        };
        let mut calls = 0;
        let out = ode::dormand_prince(&Decay, &[1.0, 1.0], 3.0, &o, &mut |_, _| calls += 1)
            .expect("runs");
        let Outcome::Reached { tau, y, steps } = out else {
            panic!("left the domain")
        };
        assert_eq!(tau, 3.0);
        assert_eq!(calls, steps + 1);
        let err = (y[0] / (-3.0f64).exp() - 1.0)
            .abs()
            .max((y[1] / (-6.0f64).exp() - 1.0).abs());
        // global relative error: at most ~(steps × rtol); far below 1 for a wrong tableau entry
        assert!(err < 100.0 * rtol, "rtol {rtol}: relative error {err}");
    }
}

#[test]
fn leaving_the_domain_is_a_typed_outcome() {
    // P-RNN-34: the guessed Fig. 4-like RFLO setting leaves |w| < 1.
    let (rule, t, y0) = lro::modes::runs::leaving_setting();
    let sys = ModeFlow::single(rule, t, Horizon::Infinite);
    let y = pack_modes(std::slice::from_ref(&y0));
    for out in [
        ode::dormand_prince(&sys, &y, 100.0, &DpOptions::default(), &mut |_, _| {}).expect("runs"),
        ode::rk4(&sys, &y, 100.0, 10_000, &mut |_, _| {}).expect("runs"),
    ] {
        match &out {
            Outcome::LeftDomain {
                tau,
                last_inside,
                domain,
            } => {
                assert!(*tau > 0.0 && *tau < 100.0);
                assert!(
                    last_inside[2].abs() < 1.0 && last_inside[2].abs() > 0.9,
                    "{last_inside:?}"
                );
                assert!(domain.contains("|w| < 1"));
            }
            o => panic!("expected LeftDomain, got {o:?}"),
        }
        let err = out.into_final().expect_err("no numbers outside the domain");
        assert!(err.to_string().contains("left the domain"), "{err}");
    }
    // the same start with BPTT converges inside the domain
    let (_, t, y0) = lro::modes::runs::leaving_setting();
    let sys = ModeFlow::single(ModeRule::Bptt, t.clone(), Horizon::Infinite);
    let y = ode::dormand_prince(
        &sys,
        &pack_modes(&[y0]),
        200.0,
        &DpOptions::default(),
        &mut |_, _| {},
    )
    .expect("runs")
    .into_final()
    .expect("stays inside");
    assert!((y[2] - t.w).abs() < tol::MODES_ROOT_LOCATION);
}

#[test]
fn blow_up_is_an_error_not_numbers() {
    let dp = ode::dormand_prince(&Blowup, &[1.0], 2.0, &DpOptions::default(), &mut |_, _| {});
    let rk = ode::rk4(&Blowup, &[1.0], 2.0, 10, &mut |_, _| {});
    assert!(
        dp.is_err() || matches!(dp, Ok(Outcome::LeftDomain { .. })),
        "{dp:?}"
    );
    assert!(rk.is_err(), "{rk:?}");
}

#[test]
fn finite_horizon_flows_have_no_domain() {
    // with a finite T the per-mode sums are polynomials, so |w| ≥ 1 is allowed
    let sys = ModeFlow::single(ModeRule::Bptt, Mode::new(1.0, 1.0, 0.5), Horizon::Finite(3));
    let out = ode::rk4(&sys, &[0.5, 0.5, 1.2], 0.1, 10, &mut |_, _| {}).expect("runs");
    assert!(matches!(out, Outcome::Reached { .. }));
}
