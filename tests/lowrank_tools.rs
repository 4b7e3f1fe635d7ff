//! The rank and column-space tools of `lro::lowrank` on matrices with known answers.
use lro::lowrank::{
    Change, col_space_contains_exact, excess_rank_exact, hcat, numerical_rank, orthonormal_basis,
    projector_residual, sv_gap,
};
use lro::rnn::Rnn;
use lro::scalar::Rational;
use lro::tolerances::{F64_IDENTITY_ABS_FLOOR, F64_IDENTITY_REL};
use nalgebra::DMatrix;
use proptest::prelude::*;

fn q(m: &DMatrix<f64>) -> DMatrix<Rational> {
    m.map(|x| Rational::from_f64_exact(x).unwrap())
}

#[test]
fn exact_containment_on_known_spaces() {
    // basis = span{e1 + e2, e3} in R^4.
    let basis = DMatrix::from_row_slice(4, 2, &[1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
    let inside = DMatrix::from_row_slice(
        4,
        3,
        &[2.0, 0.0, 1.0, 2.0, 0.0, 1.0, 5.0, 3.0, 0.0, 0.0, 0.0, 0.0],
    );
    let outside = DMatrix::from_row_slice(4, 1, &[1.0, 0.0, 0.0, 0.0]);
    assert!(col_space_contains_exact(&q(&basis), &q(&inside)));
    assert_eq!(excess_rank_exact(&q(&basis), &q(&outside)), 1);
    let both = hcat(
        &outside,
        &DMatrix::from_row_slice(4, 1, &[0.0, 0.0, 0.0, 1.0]),
    );
    assert_eq!(excess_rank_exact(&q(&basis), &q(&both)), 2);
    // A perturbation of 2^-60 outside the space is seen exactly.
    let mut tiny = inside.clone();
    tiny[(3, 0)] = 2f64.powi(-60);
    assert_eq!(excess_rank_exact(&q(&basis), &q(&tiny)), 1);
}

#[test]
fn singular_value_gaps_and_ranks() {
    // diag(4, 2, 1e-12) has σ = (4, 2, 1e-12).
    let m = DMatrix::from_diagonal(&nalgebra::DVector::from_vec(vec![2.0, 4.0, 1e-12]));
    assert_eq!(numerical_rank(&m, 1e-10), 2);
    assert_eq!(numerical_rank(&m, 1e-14), 3);
    let close = |x: f64, y: f64| (x - y).abs() <= F64_IDENTITY_REL * y.abs();
    assert!(close(sv_gap(&m, 1, 0.0), 0.5));
    assert!(close(sv_gap(&m, 2, 0.0), 0.25e-12));
    assert!(close(sv_gap(&m, 2, 100.0), 1e-14));
    assert_eq!(sv_gap(&m, 3, 0.0), 0.0);
    assert_eq!(numerical_rank(&DMatrix::zeros(3, 3), 1e-10), 0);
}

#[test]
fn projector_residual_measures_the_part_outside() {
    let basis = DMatrix::from_row_slice(3, 1, &[1.0, 1.0, 0.0]);
    // x = (1, 0, 2): projection onto (1,1,0)/√2 is (½, ½, 0); residual (½, −½, 2).
    let x = DMatrix::from_row_slice(3, 1, &[1.0, 0.0, 2.0]);
    assert!((projector_residual(&basis, &x) - 2.0).abs() <= F64_IDENTITY_ABS_FLOOR);
    let x = DMatrix::from_row_slice(3, 1, &[1.0, 0.0, 0.0]);
    assert!((projector_residual(&basis, &x) - 0.5).abs() <= F64_IDENTITY_ABS_FLOOR);
    assert!(projector_residual(&basis, &(&basis * 3.0)) <= F64_IDENTITY_ABS_FLOOR);
}

#[test]
fn change_stacks_w_then_b() {
    let a = DMatrix::from_row_slice(1, 2, &[1.0, 2.0]);
    let w = DMatrix::from_row_slice(2, 2, &[0.5, 0.0, 0.0, 0.5]);
    let b = DMatrix::from_row_slice(2, 1, &[1.0, -1.0]);
    let n0 = Rnn::new(a.clone(), w.clone(), b.clone()).unwrap();
    let n1 = Rnn::new(a * 2.0, &w + DMatrix::from_element(2, 2, 1.0), b * 3.0).unwrap();
    let c = Change::between(&n0, &n1).unwrap();
    let s = c.stacked();
    assert_eq!(s.shape(), (2, 3));
    assert_eq!(s.column(0), DMatrix::from_element(2, 1, 1.0).column(0));
    assert_eq!(s[(0, 2)], 2.0);
    assert_eq!(s[(1, 2)], -2.0);
    assert_eq!(c.a[(0, 1)], 2.0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// For random U (n×r) and X = U·C, containment holds exactly and the f64 residual is at
    /// rounding level; adding one random column outside raises the excess rank by one.
    #[test]
    fn products_are_contained(
        u in proptest::collection::vec(-4i32..=4, 12),
        c in proptest::collection::vec(-4i32..=4, 8),
        extra in proptest::collection::vec(-4i32..=4, 4),
    ) {
        let u = DMatrix::from_fn(4, 3, |i, j| u[i * 3 + j] as f64);
        let c = DMatrix::from_fn(3, 2, |i, j| c[(i * 2 + j) % 8] as f64 / 2.0);
        let x = &u * &c;
        prop_assert!(col_space_contains_exact(&q(&u), &q(&x)));
        let scale = u.amax().max(x.amax()).max(1.0);
        prop_assert!(projector_residual(&u, &x) <= F64_IDENTITY_REL * scale * scale);
        let e = DMatrix::from_fn(4, 1, |i, _| extra[i] as f64);
        let ru = lro::linalg::exact_rank(&q(&u));
        let rue = lro::linalg::exact_rank(&q(&hcat(&u, &e)));
        prop_assert_eq!(excess_rank_exact(&q(&u), &q(&hcat(&x, &e))), rue - ru);
        // The orthonormal basis has as many columns as the rank.
        prop_assert_eq!(orthonormal_basis(&u).ncols(), ru);
    }
}
