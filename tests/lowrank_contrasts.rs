//! The contrasts of `docs/theory/lowrank.md#other-rules` (P-RNN-36, P-RNN-37):
//! - one-step tBPTT with A frozen keeps `col(W_K − W_0) ⊆ col(A_0ᵀ)` (rank ≤ o), exactly;
//! - with A trained, or with two-step truncation, tBPTT leaves that space;
//! - BPTT's change is generically of rank > o: exact witnesses over rationals show that the minors
//!   of `W_K − W_0` are not identically-zero polynomials of the initial parameters, so rank ≤ o
//!   happens on a proper algebraic subset, of probability 0 under any continuous initialisation;
//!   20 Gaussian draws in f64 all show a clear gap;
//! - e-prop's change lies in the sum of the order-T Krylov spaces `span{D_k^m Rᵀ : m < T}` over
//!   the visited `D_k = diag(W_k)`, order T is needed, and the change exceeds rank o.
use lro::lowrank::cases::{Case, Contrast, DataKind};
use lro::lowrank::{Change, excess_rank_exact, krylov_union, sv_gap};
use lro::rnn::{InstanceSpec, Rnn, StudentTeacher};
use lro::rules::{Loss, Rule};
use lro::scalar::Rational;
use lro::tolerances::{HIGHER_RANK_MIN_GAP, LOWRANK_RESIDUAL_REL, RANK_REL_GAP};
use lro::train::{Schedule, TrainConfig, Updates, train};
use lro::{linalg, lowrank};
use nalgebra::DMatrix;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

fn updates(i: usize) -> Updates {
    match i {
        0 => Updates::Online,
        1 => Updates::MiniBatch { batch: 2 },
        _ => Updates::Expected,
    }
}

#[allow(clippy::too_many_arguments)]
fn case(
    seed: u64,
    o: usize,
    n: usize,
    d: usize,
    horizon: usize,
    upd: usize,
    seq: bool,
    eta: f64,
    decay: Option<u64>,
    steps: usize,
    aligned: bool,
    fixed: bool,
) -> Case {
    Case {
        spec: InstanceSpec {
            seed,
            o,
            n,
            n_teacher: 2,
            d,
            horizon,
        },
        aligned,
        updates: updates(upd),
        loss: if seq { Loss::Sequence } else { Loss::Final },
        w_hat: None,
        eta,
        decay,
        steps,
        data: if fixed {
            DataKind::Fixed
        } else {
            DataKind::White
        },
    }
}

fn exact_case(n_max: usize, t_max: usize, k_max: usize) -> impl Strategy<Value = Case> {
    (
        (any::<u64>(), 2..=n_max, 1..=3usize, 1..=t_max),
        (0..3usize, any::<bool>(), any::<bool>(), any::<bool>()),
        (
            prop_oneof![Just(1.0 / 16.0), Just(0.5)],
            proptest::option::of(1..=3u64),
            1..=k_max,
        ),
    )
        .prop_map(
            |((seed, n, d, t), (upd, seq, al, fixed), (eta, decay, steps))| {
                case(seed, 1, n, d, t, upd, seq, eta, decay, steps, al, fixed)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 32,
        rng_seed: proptest::test_runner::RngSeed::Fixed(20_261_201),
        ..ProptestConfig::default()
    })]

    /// One-step tBPTT with A frozen: every change lies in col(A_0ᵀ), exactly.
    #[test]
    fn tbptt_frozen_a_stays_in_col_a0t(c in exact_case(4, 3, 3), o in 1..=2usize) {
        let c = Case { spec: InstanceSpec { o, n: c.spec.n + o, ..c.spec }, ..c };
        let m = c.measure::<Rational>(Contrast::TbpttFrozenA).unwrap();
        prop_assert_eq!(m.excess, [0, 0, 0], "case {:?}", c);
        prop_assert!(m.rank[2] <= o);
    }

    /// e-prop: every change lies in the sum of the order-T Krylov spaces at the visited D_k.
    /// n = 6 > o·T·K, so the space is a proper subspace and containment is not automatic.
    #[test]
    fn eprop_changes_lie_in_the_krylov_space(c in exact_case(2, 2, 2)) {
        let c = Case { spec: InstanceSpec { n: 6, ..c.spec }, ..c };
        let m = c.measure::<Rational>(Contrast::Eprop).unwrap();
        prop_assert!(m.space_rank < 6);
        prop_assert_eq!(m.excess, [0, 0, 0], "case {:?}", c);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 16,
        rng_seed: proptest::test_runner::RngSeed::Fixed(20_261_201),
        ..ProptestConfig::default()
    })]

    /// f64, hundreds of steps: tBPTT with A frozen keeps the gap and the residual.
    #[test]
    fn tbptt_frozen_a_long_runs(
        seed in any::<u64>(), n in 3..=8usize, t in 1..=6usize, upd in 0..3usize,
        seq in any::<bool>(), decay in proptest::option::of(1..=50u64), steps in 100..=300usize,
        big in any::<bool>(),
    ) {
        let eta = if big { 4.0 } else { 1.0 / 32.0 };
        let c = case(seed, 1, n, 3, t, upd, seq, eta, decay, steps, false, false);
        let m = c.measure::<f64>(Contrast::TbpttFrozenA).unwrap();
        for i in 0..3 {
            prop_assert!(m.gap[i] <= RANK_REL_GAP, "{:?} {:?}", m.gap, c);
            prop_assert!(m.residual[i] <= LOWRANK_RESIDUAL_REL, "{:?} {:?}", m.residual, c);
        }
    }
}

/// With A trained, one-step tBPTT leaves col(A_0ᵀ) after two steps (exact, every seed tried).
#[test]
fn tbptt_with_a_trained_escapes() {
    for seed in 0..6 {
        let c = case(seed, 1, 4, 2, 3, 2, false, 0.5, None, 2, false, false);
        let m = c.measure::<Rational>(Contrast::TbpttFreeA).unwrap();
        assert!(m.excess[0] > 0, "seed {seed}: {:?}", m.excess);
        let frozen = c.measure::<Rational>(Contrast::TbpttFrozenA).unwrap();
        assert_eq!(frozen.excess, [0, 0, 0]);
    }
}

/// Two-step truncation with A frozen already leaves col(A_0ᵀ): the bound is specific to k = 1.
#[test]
fn two_step_tbptt_escapes_even_with_a_frozen() {
    for seed in 0..6 {
        let c = case(seed, 1, 4, 2, 3, 2, false, 0.5, None, 1, false, false);
        let inst = c.instance().unwrap().cast::<Rational>();
        let mut cfg = c.config(Rule::Tbptt { k: 2 });
        cfg.freeze.a = true;
        let res = train(&inst.st, &cfg).unwrap();
        let ch = Change::between(&inst.st.student, &res.net).unwrap();
        let a0t = inst.st.student.a().transpose();
        assert!(excess_rank_exact(&a0t, &ch.w) > 0, "seed {seed}");
    }
}

/// Exact witnesses: one expected BPTT step on each grid instance already has rank(ΔW) > o.
#[test]
fn bptt_exact_witnesses_of_higher_rank() {
    for seed in 0..8 {
        for o in [1usize, 2] {
            let c = case(
                seed,
                o,
                5,
                3,
                4,
                2,
                seed % 2 == 1,
                1.0,
                None,
                1,
                false,
                false,
            );
            let m = c.measure::<Rational>(Contrast::Bptt).unwrap();
            assert!(m.rank[0] > o, "seed {seed}, o = {o}: rank {:?}", m.rank);
        }
    }
}

fn gaussian(rng: &mut ChaCha8Rng, r: usize, c: usize, std: f64) -> DMatrix<f64> {
    DMatrix::from_fn(r, c, |_, _| std * rng.sample::<f64, _>(StandardNormal))
}

fn gaussian_pair(seed: u64, o: usize, n: usize, d: usize) -> StudentTeacher<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let s = (n as f64).sqrt();
    let mut net = || {
        Rnn::new(
            gaussian(&mut rng, o, n, 1.0 / s),
            gaussian(&mut rng, n, n, 0.5 / s),
            gaussian(&mut rng, n, d, 1.0),
        )
        .unwrap()
    };
    let student = net();
    StudentTeacher::new(student, net()).unwrap()
}

/// Statistical: 20 continuous (Gaussian) draws, 200 expected BPTT steps each: all have
/// σ_{o+1}/σ_1 of W_K − W_0 above `HIGHER_RANK_MIN_GAP`. (The failure set has probability 0; the
/// seeds are fixed, so the test is deterministic.)
#[test]
fn bptt_is_of_higher_rank_on_gaussian_draws() {
    for seed in 0..20 {
        let o = 1 + (seed as usize) % 2;
        let st = gaussian_pair(seed, o, 6, 3);
        let cfg = TrainConfig::new(
            Rule::Bptt,
            Updates::Expected,
            Loss::Final,
            8,
            200,
            Schedule::Constant(0.02),
        );
        let res = train(&st, &cfg).unwrap();
        assert!(res.divergence.is_none());
        let ch = Change::between(&st.student, &res.net).unwrap();
        let g = sv_gap(&ch.w, o, 0.0);
        assert!(g > HIGHER_RANK_MIN_GAP, "seed {seed}: σ_(o+1)/σ_1 = {g:e}");
    }
}

/// e-prop escapes the bound: exact rank > o on every seed tried, and f64 gaps on Gaussian draws.
#[test]
fn eprop_exceeds_rank_o() {
    for seed in 0..6 {
        let c = case(seed, 1, 5, 2, 3, 2, false, 0.5, None, 1, false, false);
        let m = c.measure::<Rational>(Contrast::Eprop).unwrap();
        assert!(m.rank[0] > 1, "seed {seed}: {:?}", m.rank);
        assert_eq!(m.excess, [0, 0, 0]);
    }
    for seed in 0..10 {
        let st = gaussian_pair(100 + seed, 1, 6, 3);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let r = gaussian(&mut rng, 1, 6, 1.0);
        let cfg = TrainConfig::new(
            Rule::Eprop {
                feedback: lro::rules::Feedback::Random(r),
            },
            Updates::Expected,
            Loss::Final,
            8,
            200,
            Schedule::Constant(0.02),
        );
        let res = train(&st, &cfg).unwrap();
        let ch = Change::between(&st.student, &res.net).unwrap();
        let g = sv_gap(&ch.w, 1, 0.0);
        assert!(g > HIGHER_RANK_MIN_GAP, "seed {seed}: σ_2/σ_1 = {g:e}");
    }
}

/// Order T is needed, and is tight in time: for K = 1, B's change is not in the order-(T−1) Krylov
/// space (it holds the `D^{T−1} Rᵀ x_0` term), on every seed tried; W's change is (its `D^{T−1}`
/// term multiplies `h_0 = 0`).
#[test]
fn eprop_needs_krylov_order_t() {
    for seed in 0..6 {
        for upd in 0..3 {
            let c = case(seed, 1, 6, 2, 3, upd, false, 0.5, None, 1, false, false);
            let (inst, res, space) = c.run::<Rational>(Contrast::Eprop).unwrap();
            let ch = Change::between(&inst.st.student, &res.net).unwrap();
            assert_eq!(excess_rank_exact(&space, &ch.b), 0);
            let path: Vec<Rnn<Rational>> = res
                .checkpoints
                .iter()
                .filter(|k| k.step < res.steps_done)
                .filter_map(|k| k.params.clone())
                .collect();
            let lower = krylov_union(&path, &inst.feedback, 2);
            assert_eq!(excess_rank_exact(&lower, &ch.w), 0, "W, seed {seed}");
            assert!(
                excess_rank_exact(&lower, &ch.b) > 0,
                "seed {seed}, updates {upd}: B's change already in order T − 1"
            );
        }
    }
}

/// The f64 tools agree with the exact ones on the Krylov basis: `krylov` stacks D^m Rᵀ.
#[test]
fn krylov_blocks_are_powers_of_diag_w() {
    let w = DMatrix::from_row_slice(3, 3, &[2.0, 1.0, 0.0, 5.0, -1.0, 7.0, 0.0, 3.0, 0.5]);
    let r = DMatrix::from_row_slice(1, 3, &[1.0, 2.0, 3.0]);
    let k = lowrank::krylov(&w, &r, 3);
    let want = DMatrix::from_row_slice(3, 3, &[1.0, 2.0, 4.0, 2.0, -2.0, 2.0, 3.0, 1.5, 0.75]);
    assert_eq!(k, want);
    assert_eq!(
        linalg::exact_rank(&k.map(|x| Rational::from_f64_exact(x).unwrap())),
        3
    );
}
