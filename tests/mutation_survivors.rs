//! Tests added for the survivors of the mutation run (`mutation/README.md`): each pins a value that
//! one surviving mutant changed and no other test looked at.
use lro::modes::ModeRule;
use lro::modes::compare::flow_vs_modes;
use lro::modes::manifold::quadratic_roots;
use lro::oracle::check::float32_tolerance;
use lro::oracle::fixture::{Role, Tensor};
use lro::tolerances::ORACLE_F32_SAFETY;

/// `ModeRule::name` → `String::new()` survived: the names appear in reports and CLI output.
#[test]
fn mode_rule_names() {
    assert_eq!(ModeRule::<f64>::Bptt.name(), "bptt");
    assert_eq!(ModeRule::<f64>::Tbptt { k: 3 }.name(), "tbptt:3");
    let rflo = ModeRule::Rflo {
        a_hat: 1.0,
        w_hat: 0.5,
    };
    assert_eq!(rflo.name(), "rflo");
}

/// Deleting the `-` in `(−disc).sqrt()` survived: complex roots were never checked.
/// `λ² − 2λ + 5` has roots `1 ± 2i` and `λ² − 3λ + 2` has 1 and 2; every intermediate (the
/// discriminants −16 and 1, their roots, the halvings) is exact in binary, so equality is exact.
#[test]
fn quadratic_roots_complex_pair() {
    assert_eq!(quadratic_roots(2.0, 5.0), [(1.0, -2.0), (1.0, 2.0)]);
    assert_eq!(quadratic_roots(3.0, 2.0), [(1.0, 0.0), (2.0, 0.0)]);
}

/// `flow_vs_modes` → `Ok((0.0, -1.0))` survived: the entry only bounds the differences from
/// above. The matrix and per-mode flows are computed by different arithmetic, so their difference
/// is a finite, non-negative rounding-level number, and not exactly zero.
#[test]
fn flow_comparison_measures_a_real_difference() {
    let (rk4, dp) = flow_vs_modes(1310, 3, 5, 0.5).unwrap();
    assert!(rk4.is_finite() && rk4 > 0.0, "{rk4}");
    assert!(dp.is_finite() && dp > 0.0, "{dp}");
}

/// `/` → `%` in the measured error growth survived: a fixture carrying its f64 error must scale
/// the float32 tolerance by that error in units of ε₆₄. Every factor is a power of two, so the
/// products are exact and compared with equality.
#[test]
fn float32_tolerance_scales_with_the_measured_error() {
    let t = Tensor {
        role: Role::Parameter,
        group: String::new(),
        first_step: None,
        doc: String::new(),
        shape: vec![2],
        data: vec![1.0, -2.0],
        f64_error: Some(64.0 * f64::EPSILON),
        batch_axis: false,
    };
    let tol = float32_tolerance(&t, 10);
    let want = ORACLE_F32_SAFETY * 64.0 * f32::EPSILON as f64;
    assert_eq!(tol.rtol, want);
    assert_eq!(tol.atol, 2.0 * want);
}
