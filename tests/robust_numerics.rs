//! Numerical kernels that never report a silent wrong value, never loop and never report a
//! step-size underflow as a domain exit; and the fault sites of the per-mode theory, the ODE
//! integrator and the gradient checks: with each fault switched on, the catalogue entry (or the
//! numerical property) meant to catch it fails; with none, it passes.
use lro::catalogue::{self, Budget};
use lro::faults::{Fault, inject};
use lro::ode::{self, System};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Whether entry `id` passes at the test budget (an error or a panic counts as not passing).
fn passes(id: &str) -> bool {
    let e = catalogue::find(id).unwrap_or_else(|| panic!("no entry {id}"));
    matches!(
        catch_unwind(AssertUnwindSafe(|| (e.check)(Budget::Test))),
        Ok(Ok(ev)) if ev.passed
    )
}

fn caught_by_entry(fault: Fault, id: &str) {
    assert!(passes(id), "{id} should pass without a fault");
    assert!(
        !inject(fault, || passes(id)),
        "{id} should fail with {} injected",
        fault.name()
    );
}

#[test]
fn mode_wrong_power_is_caught_by_the_closed_form_certificate() {
    caught_by_entry(Fault::ModeWrongPower, "P-RNN-14.a");
}

#[test]
fn mode_rflo_uses_a_is_caught_by_the_matrix_comparison() {
    caught_by_entry(Fault::ModeRfloUsesA, "P-RNN-13");
}

#[test]
fn jacobian_sign_flip_is_caught_by_the_stability_of_converged_points() {
    caught_by_entry(Fault::JacobianSignFlip, "P-RNN-32");
}

#[test]
fn central_difference_half_step_is_caught_by_the_likelihood_gradient() {
    caught_by_entry(Fault::CentralDifferenceHalfStep, "P-CL-17");
}

struct Decay;
impl System<f64> for Decay {
    fn rhs(&self, y: &[f64]) -> lro::Result<Vec<f64>> {
        Ok(y.iter().map(|v| -v).collect())
    }
}

/// |RK4(y' = −y, y(0) = 1, τ = 1, n steps) − e^{−1}|.
fn rk4_error(steps: usize) -> f64 {
    let y = ode::rk4(&Decay, &[1.0], 1.0, steps, &mut |_, _| {})
        .expect("runs")
        .into_final()
        .expect("no domain");
    (y[0] - (-1.0f64).exp()).abs()
}

#[test]
fn rk4_wrong_weights_lose_the_fourth_order() {
    // Halving the step divides a fourth-order method's error by 16; the faulty weights (still
    // summing to 1, so consistent) are first order and divide it by about 2.
    let order = |e1: f64, e2: f64| (e1 / e2).log2();
    let clean = order(rk4_error(20), rk4_error(40));
    let faulty = inject(Fault::Rk4WrongWeights, || {
        order(rk4_error(20), rk4_error(40))
    });
    assert!(
        (clean - 4.0).abs() < lro::tolerances::ROBUST_ORDER_ABS,
        "clean order {clean}"
    );
    assert!(
        (faulty - 4.0).abs() > 1.0,
        "faulty order {faulty} should be far from 4"
    );
}

/// `y' = y²` from y(0) = 1 blows up at τ = 1; the domain is everywhere.
struct Blowup;
impl System<f64> for Blowup {
    fn rhs(&self, y: &[f64]) -> lro::Result<Vec<f64>> {
        Ok(vec![y[0] * y[0]])
    }
}

/// Stiff decay `y' = −10⁶ (y − 1)` with a step floor far above its stability limit.
struct Stiff;
impl System<f64> for Stiff {
    fn rhs(&self, y: &[f64]) -> lro::Result<Vec<f64>> {
        Ok(vec![-1e6 * (y[0] - 1.0)])
    }
}

#[test]
fn step_underflow_is_its_own_outcome_not_a_domain_exit() {
    let opts = ode::DpOptions {
        h_min: 1e-3,
        ..Default::default()
    };
    let out = ode::dormand_prince(&Stiff, &[0.0], 1.0, &opts, &mut |_, _| {});
    assert!(
        matches!(out, Err(lro::LroError::StepUnderflow { h_min, .. }) if h_min == 1e-3),
        "{out:?}"
    );
    let msg = out.expect_err("underflow").to_string();
    assert!(
        msg.contains("step size fell below") && !msg.contains("left the domain"),
        "{msg}"
    );
    // A blow-up on a system without a domain is an error, never "left the domain".
    let out = ode::dormand_prince(
        &Blowup,
        &[1.0],
        2.0,
        &ode::DpOptions::default(),
        &mut |_, _| {},
    );
    assert!(
        matches!(
            out,
            Err(lro::LroError::StepUnderflow { .. } | lro::LroError::NotFinite { .. })
        ),
        "{out:?}"
    );
}

#[test]
fn eigenvalues_refuse_non_finite_and_huge_matrices_instead_of_looping() {
    use lro::modes::jacobian::{EIGEN_INPUT_MAX, try_eigenvalues};
    let nan = [[f64::NAN, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    assert!(matches!(
        try_eigenvalues(&nan),
        Err(lro::LroError::NotFinite { .. })
    ));
    let inf = [[1.0, f64::INFINITY, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    assert!(matches!(
        try_eigenvalues(&inf),
        Err(lro::LroError::NotFinite { .. })
    ));
    let big = [
        [EIGEN_INPUT_MAX * 10.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
    ];
    assert!(matches!(
        try_eigenvalues(&big),
        Err(lro::LroError::OutOfDomain { .. })
    ));
    // the infallible form returns NaNs rather than looping
    assert!(lro::modes::eigenvalues(&nan).iter().all(|z| z.re.is_nan()));
    // and a valid matrix still works: a rotation by 90° scaled by 2, plus 3 → {3, ±2i}
    let m = [[0.0, -2.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 3.0]];
    let e = try_eigenvalues(&m).expect("finite");
    let want = [(0.0, -2.0), (0.0, 2.0), (3.0, 0.0)];
    for (z, (re, im)) in e.iter().zip(want) {
        assert!(
            (z.re - re).abs() + (z.im - im).abs() <= lro::tolerances::F64_IDENTITY_REL * 4.0,
            "{e:?}"
        );
    }
}

#[test]
fn spectral_radius_of_a_non_finite_matrix_is_infinite() {
    let w = nalgebra::DMatrix::from_row_slice(2, 2, &[f64::NAN, 0.0, 0.0, 0.5]);
    assert_eq!(lro::modes::systems::spectral_radius(&w), f64::INFINITY);
    let w = nalgebra::DMatrix::from_row_slice(2, 2, &[0.0, 0.5, -0.5, 0.0]);
    let r = lro::modes::systems::spectral_radius(&w);
    assert!((r - 0.5).abs() <= lro::tolerances::F64_IDENTITY_REL, "{r}");
}
