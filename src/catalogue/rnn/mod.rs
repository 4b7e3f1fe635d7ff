//! Catalogue entries P-RNN-1 … P-RNN-12 (spec `theory/linear-rnn.md` §9.1–9.3): losses, gradients,
//! identities between rules, online vs expected updates, and preservation of data alignment.
//!
//! Exact entries run each property over `Rational` (equality) on small instances and over `f64`
//! (relative tolerance [`F64_IDENTITY_REL`]) on instances up to o, n, d ≤ 8 and T ≤ 30.

use crate::certify::rnn as props;

use super::compare::Comparison;
use super::{Budget, Entry, Evidence};
use crate::error::Result;
use crate::rnn::{Instance, InstanceSpec};
use crate::rules::Loss;
use crate::scalar::Rational;
use crate::tolerances::{CENTRAL_DIFF_REL, F64_IDENTITY_REL, mc_sigmas_for};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Instance sizes for a check.
#[derive(Clone, Copy, Debug)]
pub enum Size {
    /// Exact runs over rationals: o, d ≤ 3, n ≤ 4, T ≤ 6.
    Small,
    /// f64 runs: o, n, d ≤ 8, T ≤ 30.
    Large,
    /// Exact enumeration of Rademacher inputs: d·T ≤ 10.
    Enumerable,
    /// Monte Carlo: o, d ≤ 3, n ≤ 4, T ≤ 8.
    MonteCarlo,
}

/// The instance spec drawn for `seed` at a size (dimensions drawn from the seed too).
pub fn spec(seed: u64, size: Size) -> InstanceSpec {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x005e_ed0f_d1e5);
    let (o, n, d, t) = match size {
        Size::Small => (3, 4, 3, 6),
        Size::Large => (8, 8, 8, 30),
        Size::Enumerable => (3, 3, 2, 5),
        Size::MonteCarlo => (3, 4, 3, 8),
    };
    let d = rng.random_range(1..=d);
    let horizon = match size {
        Size::Enumerable => rng.random_range(1..=(10 / d).min(t)),
        _ => rng.random_range(1..=t),
    };
    InstanceSpec {
        seed,
        o: rng.random_range(1..=o),
        n: rng.random_range(1..=n),
        n_teacher: rng.random_range(1..=n),
        d,
        horizon,
    }
}

fn instances(budget: Budget, base: usize, seed0: u64, size: Size) -> Result<Vec<Instance<f64>>> {
    (0..budget.instances(base) as u64)
        .map(|i| spec(seed0 + i, size).draw())
        .collect()
}

/// Runs a property exactly over rationals on small instances and over f64 on large ones.
fn exact_and_f64(
    budget: Budget,
    seed0: u64,
    (exact_size, float_size): (Size, Size),
    q: impl Fn(&Instance<Rational>) -> Result<Comparison>,
    f: impl Fn(&Instance<f64>) -> Result<Comparison>,
) -> Result<Evidence> {
    let small = instances(budget, 6, seed0, exact_size)?;
    let mut unequal = 0usize;
    for inst in &small {
        if !q(&inst.cast::<Rational>())?.equal {
            unequal += 1;
        }
    }
    let exact = Evidence::from_worst(
        small.len(),
        unequal as f64,
        None,
        format!(
            "exact over Q: {} instances ({exact_size:?}), error = number unequal",
            small.len()
        ),
    );
    let large = instances(budget, 12, seed0 + 1_000, float_size)?;
    let mut worst = 0.0f64;
    for inst in &large {
        worst = crate::linalg::worse(worst, f(inst)?.rel);
    }
    let float = Evidence::from_worst(
        large.len(),
        worst,
        Some(F64_IDENTITY_REL),
        format!(
            "f64: {} instances ({float_size:?}), max relative difference",
            large.len()
        ),
    );
    Ok(exact.and(float))
}

fn statistical(instances: usize, worst_z: f64, comparisons: usize, what: &str) -> Evidence {
    let z = mc_sigmas_for(comparisons);
    Evidence::from_worst(
        instances,
        worst_z,
        Some(z),
        format!(
            "{what}: max |z| over {comparisons} comparisons, bound {z:.2} standard errors (P(false alarm) < 1e-6)"
        ),
    )
}

fn p1_or_p4(budget: Budget, loss: Loss, seed0: u64) -> Result<Evidence> {
    let enumerable = instances(budget, 6, seed0, Size::Enumerable)?;
    let mut unequal = 0;
    for inst in &enumerable {
        if !props::expected_loss_by_enumeration(&inst.cast::<Rational>(), loss)?.equal {
            unequal += 1;
        }
    }
    let exact = Evidence::from_worst(
        enumerable.len(),
        unequal as f64,
        None,
        "exact over Q: mean over all Rademacher inputs = closed form",
    );
    let mc = instances(budget, 4, seed0 + 500, Size::MonteCarlo)?;
    let samples = 4000;
    let mut worst = 0.0f64;
    for (i, inst) in mc.iter().enumerate() {
        let z = props::expected_loss_monte_carlo(inst, loss, samples, seed0 + 900 + i as u64)?;
        worst = crate::linalg::worse(worst, z);
    }
    Ok(exact.and(statistical(
        mc.len(),
        worst,
        mc.len(),
        &format!("Gaussian Monte Carlo, {samples} samples each"),
    )))
}

fn p1(budget: Budget) -> Result<Evidence> {
    p1_or_p4(budget, Loss::Final, 100)
}

fn p2(budget: Budget) -> Result<Evidence> {
    let small = instances(budget, 6, 200, Size::Small)?;
    let mut unequal = 0;
    for inst in &small {
        let q = inst.cast::<Rational>();
        for loss in props::LOSSES {
            if !props::bptt_is_gradient_dual(&q, loss)?.equal {
                unequal += 1;
            }
        }
    }
    let exact = Evidence::from_worst(
        small.len(),
        unequal as f64,
        None,
        "exact over Dual<Q>, both losses",
    );
    let large = instances(budget, 8, 1_200, Size::Large)?;
    let mut worst = 0.0f64;
    for inst in &large {
        for loss in props::LOSSES {
            worst = crate::linalg::worse(worst, props::bptt_is_gradient_central(inst, loss)?);
        }
    }
    Ok(exact.and(Evidence::from_worst(
        large.len(),
        worst,
        Some(CENTRAL_DIFF_REL),
        "f64 central differences, both losses",
    )))
}

fn p3(budget: Budget) -> Result<Evidence> {
    exact_and_f64(
        budget,
        300,
        (Size::Enumerable, Size::Enumerable),
        props::expectation_identities,
        props::expectation_identities,
    )
}

fn p4(budget: Budget) -> Result<Evidence> {
    p1_or_p4(budget, Loss::Sequence, 400)
}

fn p5(budget: Budget) -> Result<Evidence> {
    exact_and_f64(
        budget,
        500,
        (Size::Small, Size::Large),
        props::tbptt_long_is_bptt,
        props::tbptt_long_is_bptt,
    )
}

fn nilpotency_index(inst_n: usize, seed: u64) -> usize {
    1 + (seed as usize % inst_n)
}

fn p6(budget: Budget) -> Result<Evidence> {
    exact_and_f64(
        budget,
        600,
        (Size::Small, Size::Large),
        |i| {
            let k = nilpotency_index(i.st.student.n(), i.horizon as u64);
            props::nilpotent_bptt_is_tbptt(i, k, 61)
        },
        |i| {
            let k = nilpotency_index(i.st.student.n(), i.horizon as u64);
            props::nilpotent_bptt_is_tbptt(i, k, 62)
        },
    )
}

fn p7(budget: Budget) -> Result<Evidence> {
    exact_and_f64(
        budget,
        700,
        (Size::Small, Size::Large),
        props::rflo_zero_is_tbptt1,
        props::rflo_zero_is_tbptt1,
    )
}

fn p8(budget: Budget) -> Result<Evidence> {
    exact_and_f64(
        budget,
        800,
        (Size::Small, Size::Large),
        props::rflo_scalar_w_is_bptt,
        props::rflo_scalar_w_is_bptt,
    )
}

fn p9(budget: Budget) -> Result<Evidence> {
    exact_and_f64(
        budget,
        900,
        (Size::Small, Size::MonteCarlo),
        props::readout_update_is_shared,
        props::readout_update_is_shared,
    )
}

fn p10(budget: Budget) -> Result<Evidence> {
    exact_and_f64(
        budget,
        1_000,
        (Size::Small, Size::Large),
        |i| props::rtrl_is_bptt(i, &i.st.student),
        |i| {
            let linear = props::rtrl_is_bptt(i, &i.st.student)?;
            let leaky_tanh =
                i.st.student
                    .clone()
                    .with_leak(0.5)?
                    .with_activation(crate::rnn::Activation::Tanh);
            Ok(linear.and(props::rtrl_is_bptt(i, &leaky_tanh)?))
        },
    )
}

fn p11(budget: Budget) -> Result<Evidence> {
    let enumerable = instances(budget, 4, 1_100, Size::Enumerable)?;
    let mut unequal = 0;
    for inst in &enumerable {
        if !props::online_mean_is_expected(&inst.cast::<Rational>())?.equal {
            unequal += 1;
        }
    }
    let exact = Evidence::from_worst(
        enumerable.len(),
        unequal as f64,
        None,
        "exact over Q: mean of online updates over all Rademacher inputs = closed form, 7 rules × 2 losses",
    );
    let mc = instances(budget, 2, 1_150, Size::MonteCarlo)?;
    let samples = 2000;
    let (mut worst, mut count) = (0.0f64, 0usize);
    for (i, inst) in mc.iter().enumerate() {
        let (z, c) = props::online_mean_monte_carlo(inst, samples, 1_190 + i as u64)?;
        worst = crate::linalg::worse(worst, z);
        count += c;
    }
    Ok(exact.and(statistical(
        mc.len(),
        worst,
        count,
        &format!("Gaussian Monte Carlo, {samples} samples, every entry"),
    )))
}

fn p12(budget: Budget) -> Result<Evidence> {
    let aligned_spec = |i: u64, size: Size| {
        let mut s = spec(1_200 + i, size);
        s.n_teacher = s.n;
        s
    };
    let mut unequal = 0;
    let n_exact = budget.instances(4);
    for i in 0..n_exact as u64 {
        let (q, basis) = aligned_spec(i, Size::Small).draw_aligned::<Rational>()?;
        if !props::alignment_preserved(&q, &basis, 2, Rational::new(1, 8).expect("nonzero"))?.equal
        {
            unequal += 1;
        }
    }
    let exact = Evidence::from_worst(
        n_exact,
        unequal as f64,
        None,
        "exact over Q: 2 training steps, η = 1/8",
    );
    let n_float = budget.instances(8);
    let mut worst = 0.0f64;
    for i in 0..n_float as u64 {
        let (inst, basis) = aligned_spec(100 + i, Size::Large).draw_aligned::<f64>()?;
        worst = crate::linalg::worse(
            worst,
            props::alignment_preserved(&inst, &basis, 20, 0.01)?.rel,
        );
    }
    Ok(exact.and(Evidence::from_worst(
        n_float,
        worst,
        Some(F64_IDENTITY_REL),
        "f64: 20 training steps, η = 0.01, max off-diagonal / largest entry of the three rotated blocks",
    )))
}

/// The entries of this area.
pub fn entries() -> Vec<Entry> {
    vec![
        entry!(
            "P-RNN-1",
            RnnRules,
            [Derived],
            "E[L_T] = ½ Σ_{k<T} ‖A W^k B − A* W*^k B*‖_F² for white input and h_0 = 0",
            p1,
        ),
        entry!(
            "P-RNN-2",
            RnnRules,
            [Derived],
            "BPTT's expected (ΔA, ΔW, ΔB) equals the gradient of the expected loss",
            p2,
        ),
        entry!(
            "P-RNN-3",
            RnnRules,
            [Derived],
            "E[ε_T h_{T-1-m}ᵀ] = Σ_{k>m} G_k (W^{k-1-m} B)ᵀ and E[ε_T x_{T-1-m}ᵀ] = G_m",
            p3,
        ),
        entry!(
            "P-RNN-4",
            RnnRules,
            [DerivedUnchecked],
            "E[L_seq] = 1/(2T) Σ_{t=1}^{T} Σ_{k<t} ‖G_k‖_F²",
            p4,
        ),
        entry!(
            "P-RNN-5",
            RnnRules,
            [Derived],
            "k-step tBPTT with k ≥ T equals BPTT",
            p5,
        ),
        entry!(
            "P-RNN-6",
            RnnRules,
            [Derived],
            "W nilpotent of index k (k = 1: W = 0) ⇒ BPTT equals k-step tBPTT",
            p6,
        ),
        entry!(
            "P-RNN-7",
            RnnRules,
            [Derived],
            "RFLO with R = A and ŵ = 0 equals one-step tBPTT",
            p7,
        ),
        entry!(
            "P-RNN-8",
            RnnRules,
            [Derived],
            "RFLO with R = A and W = ŵ I equals BPTT",
            p8,
        ),
        entry!(
            "P-RNN-9",
            RnnRules,
            [Derived],
            "ΔA is the same exact readout gradient for every rule",
            p9,
        ),
        entry!(
            "P-RNN-10",
            RnnRules,
            [Standard],
            "per sample, RTRL's ΔW and ΔB equal BPTT's",
            p10,
        ),
        entry!(
            "P-RNN-11",
            RnnRules,
            [Derived],
            "the mean of the online updates converges to the closed-form expected updates",
            p11,
        ),
        entry!(
            "P-RNN-12",
            RnnRules,
            [Derived],
            "aligned init and feedback ⇒ BPTT, tBPTT and RFLO updates are diagonal in the mode bases at every step",
            p12,
        ),
    ]
}
