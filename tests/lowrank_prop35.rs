//! Proposition 3.1 in its strong form (`docs/theory/lowrank.md#scope`, P-RNN-35): after any number of RFLO steps,
//! `col(W_K − W_0)`, `col(B_K − B_0)` and `col([W_K − W_0 | B_K − B_0])` lie in `col(Rᵀ)`, for
//! aligned and generic inits, online / mini-batch / expected updates, final and sequence losses,
//! any ŵ, constant and decaying rates, white and arbitrary fixed data, converging or diverging.
//! Exact over rationals for short runs; f64 with named tolerances for runs of hundreds of steps.
use lro::lowrank::cases::{Case, Contrast, DataKind};
use lro::rnn::InstanceSpec;
use lro::rules::Loss;
use lro::scalar::Rational;
use lro::tolerances::{LOWRANK_RESIDUAL_REL, RANK_REL_GAP};
use lro::train::Updates;
use proptest::prelude::*;

#[allow(clippy::too_many_arguments)]
fn make_case(
    seed: u64,
    o: usize,
    extra_n: usize,
    d: usize,
    horizon: usize,
    aligned: bool,
    upd: usize,
    seq: bool,
    w_hat: Option<i32>,
    eta: f64,
    decay: Option<u64>,
    steps: usize,
    fixed: bool,
) -> Case {
    Case {
        spec: InstanceSpec {
            seed,
            o,
            n: o + extra_n,
            n_teacher: 2,
            d,
            horizon,
        },
        aligned,
        updates: match upd {
            0 => Updates::Online,
            1 => Updates::MiniBatch { batch: 2 },
            _ => Updates::Expected,
        },
        loss: if seq { Loss::Sequence } else { Loss::Final },
        w_hat: w_hat.map(|k| k as f64 / 4.0),
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

/// Small, short cases for exact rational runs.
fn exact_case() -> impl Strategy<Value = Case> {
    (
        (any::<u64>(), 1..=2usize, 1..=2usize, 1..=3usize, 1..=3usize),
        (any::<bool>(), 0..3usize, any::<bool>()),
        (
            proptest::option::of(-8..=8i32),
            prop_oneof![Just(1.0 / 16.0), Just(0.25), Just(1.0)],
            proptest::option::of(1..=4u64),
            1..=3usize,
            any::<bool>(),
        ),
    )
        .prop_map(
            |((seed, o, x, d, t), (al, upd, seq), (wh, eta, decay, steps, fixed))| {
                make_case(seed, o, x, d, t, al, upd, seq, wh, eta, decay, steps, fixed)
            },
        )
}

/// Larger cases with hundreds of steps for f64; rates up to 8 make many of them diverge.
fn long_case() -> impl Strategy<Value = Case> {
    (
        (any::<u64>(), 1..=2usize, 1..=6usize, 1..=4usize, 1..=6usize),
        (any::<bool>(), 0..3usize, any::<bool>()),
        (
            proptest::option::of(-8..=8i32),
            prop_oneof![Just(1.0 / 64.0), Just(1.0 / 16.0), Just(0.25), Just(8.0)],
            proptest::option::of(1..=50u64),
            100..=400usize,
            any::<bool>(),
        ),
    )
        .prop_map(
            |((seed, o, x, d, t), (al, upd, seq), (wh, eta, decay, steps, fixed))| {
                make_case(seed, o, x, d, t, al, upd, seq, wh, eta, decay, steps, fixed)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// Exact: every change lies in col(Rᵀ); the stacked change has rank ≤ rank(R) ≤ o.
    #[test]
    fn rflo_changes_lie_in_col_rt_exactly(case in exact_case()) {
        let m = case.measure::<Rational>(Contrast::Rflo).unwrap();
        prop_assert!(m.exact);
        prop_assert_eq!(m.excess, [0, 0, 0], "case {:?}", case);
        prop_assert!(m.rank[2] <= m.space_rank && m.space_rank <= case.spec.o);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// f64, hundreds of steps (diverging runs included): σ_{o+1} gap and projector residual.
    #[test]
    fn rflo_long_runs_stay_in_col_rt(case in long_case()) {
        let m = case.measure::<f64>(Contrast::Rflo).unwrap();
        for i in 0..3 {
            prop_assert!(m.gap[i] <= RANK_REL_GAP, "gap {:?} case {:?}", m.gap, case);
            prop_assert!(
                m.residual[i] <= LOWRANK_RESIDUAL_REL,
                "residual {:?} case {:?}", m.residual, case
            );
        }
    }
}

fn diverging(seed: u64, updates: Updates, loss: Loss) -> Case {
    make_case(
        seed,
        1,
        4,
        3,
        4,
        seed.is_multiple_of(2),
        0,
        false,
        Some(6),
        8.0,
        None,
        300,
        false,
    )
    .with(updates, loss)
}

trait With {
    fn with(self, updates: Updates, loss: Loss) -> Self;
}
impl With for Case {
    fn with(mut self, updates: Updates, loss: Loss) -> Self {
        self.updates = updates;
        self.loss = loss;
        self
    }
}

/// Diverging runs (η = 8, ŵ = 1.5) are reported as data, and the bound holds up to the last
/// finite state.
#[test]
fn diverging_runs_keep_the_bound() {
    let mut diverged = 0;
    for seed in 0..6 {
        for (updates, loss) in [
            (Updates::Online, Loss::Final),
            (Updates::MiniBatch { batch: 3 }, Loss::Sequence),
            (Updates::Expected, Loss::Final),
        ] {
            let case = diverging(seed, updates, loss);
            let m = case.measure::<f64>(Contrast::Rflo).unwrap();
            if m.diverged {
                diverged += 1;
                assert!(m.steps_done < case.steps);
            }
            for i in 0..3 {
                assert!(m.gap[i] <= RANK_REL_GAP, "{:?} {case:?}", m.gap);
                assert!(m.residual[i] <= LOWRANK_RESIDUAL_REL, "{:?}", m.residual);
            }
        }
    }
    assert!(diverged >= 12, "only {diverged} of 18 runs diverged");
}

/// The readout is not constrained: on generic (non-aligned) instances with white data, A's change
/// leaves row(R) (exact), while W's and B's stay in col(Rᵀ).
#[test]
fn readout_change_escapes_row_r() {
    for seed in 0..8 {
        let case = make_case(
            seed,
            1 + (seed as usize) % 2,
            2,
            2,
            2,
            false,
            (seed as usize) % 3,
            seed.is_multiple_of(2),
            None,
            0.25,
            None,
            2,
            false,
        );
        let m = case.measure::<Rational>(Contrast::Rflo).unwrap();
        assert_eq!(m.excess, [0, 0, 0]);
        assert!(m.a_excess > 0, "seed {seed}: A's change stayed in row(R)");
    }
}
