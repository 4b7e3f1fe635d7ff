//! Catalogue entries P-RNN-1 … P-RNN-12: losses, gradients, identities between rules, online vs
//! expected updates, and preservation of data alignment (see `docs/theory/linear-rnn.md`), and
//! P-RNN-10.a, the rules of leaky tanh networks checked by meaning.
//!
//! Exact entries run each property over `Rational` (equality) on small instances and over `f64`
//! (relative tolerance [`F64_IDENTITY_REL`]) on instances up to o, n, d ≤ 8 and T ≤ 30. The
//! properties themselves live in [`crate::certify::rnn`]. Instance k of a check draws its inputs
//! from the seed `seed0 + k` alone, so the reproducer of the worst instance reruns exactly it.

mod family;
mod nonlinear;
mod parts;

use crate::certify::compare::Comparison;
use crate::certify::rnn as props;

use super::{Budget, Entry, Evidence, Measure};
use crate::error::Result;
use crate::rnn::{InstanceSize as Size, InstanceSpec};
use crate::rules::Loss;
use crate::scalar::Rational;
use crate::tolerances::{CENTRAL_DIFF_REL, F64_IDENTITY_REL};
use parts::{exact_and_f64, exact_part, float_part, repro, statistical};

fn p1_or_p4(budget: Budget, loss: Loss, seed0: u64) -> Result<Evidence> {
    let exact = exact_part(
        budget,
        6,
        seed0,
        Size::Enumerable,
        "mean loss over all inputs vs closed form",
        "mean over all Rademacher inputs = closed form",
        |i| props::expected_loss_by_enumeration(i, loss),
    )?;
    let samples = 4000;
    let (mut n, mut worst, mut at) = (0usize, 0.0f64, None);
    for k in budget.cases(4) {
        let spec = InstanceSpec::sized(seed0 + 500 + k as u64, Size::MonteCarlo);
        let z =
            props::expected_loss_monte_carlo(&spec.draw()?, loss, samples, seed0 + 900 + k as u64)?;
        n += 1;
        if at.is_none() || z.is_nan() || (!worst.is_nan() && z > worst) {
            worst = z;
            at = Some(repro(k, &spec, "f64").param("sample seed", seed0 + 900 + k as u64));
        }
    }
    Ok(exact.and(statistical(
        n,
        worst,
        budget.instances(4),
        samples,
        "Gaussian white input",
        at,
    )))
}

fn p1(budget: Budget) -> Result<Evidence> {
    p1_or_p4(budget, Loss::Final, 100)
}

fn p2(budget: Budget) -> Result<Evidence> {
    let exact = exact_part(
        budget,
        6,
        200,
        Size::Small,
        "BPTT's expected update vs dual-number gradient",
        "Dual<Q> gradient of the expected loss, both losses",
        |q| {
            let mut c = Comparison::identical();
            for loss in props::LOSSES {
                c = c.and(props::bptt_is_gradient_dual(q, loss)?);
            }
            Ok(c)
        },
    )?;
    let float = float_part(
        budget,
        8,
        1_200,
        Size::Large,
        "BPTT's expected update vs central differences",
        CENTRAL_DIFF_REL,
        "central differences at the optimal step, both losses, relative to max(|L|, |∇L|)",
        |i| {
            let mut worst = 0.0f64;
            for loss in props::LOSSES {
                worst = crate::linalg::worse(worst, props::bptt_is_gradient_central(i, loss)?);
            }
            Ok(worst)
        },
    )?;
    Ok(exact.and(float))
}

fn p3(budget: Budget) -> Result<Evidence> {
    exact_and_f64(
        budget,
        300,
        (Size::Enumerable, Size::Enumerable),
        "E[ε h] and E[ε x] vs S_m, G_m",
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
        "tBPTT(k ≥ T) vs BPTT",
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
        "BPTT vs tBPTT(k) for W nilpotent of index k",
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
        "RFLO(R = A, ŵ = 0) vs tBPTT(1)",
        props::rflo_zero_is_tbptt1,
        props::rflo_zero_is_tbptt1,
    )
}

fn p8(budget: Budget) -> Result<Evidence> {
    exact_and_f64(
        budget,
        800,
        (Size::Small, Size::Large),
        "RFLO(R = A, W = ŵI) vs BPTT",
        props::rflo_scalar_w_is_bptt,
        props::rflo_scalar_w_is_bptt,
    )
}

fn p9(budget: Budget) -> Result<Evidence> {
    exact_and_f64(
        budget,
        900,
        (Size::Small, Size::MonteCarlo),
        "ΔA of each rule vs BPTT's",
        props::readout_update_is_shared,
        props::readout_update_is_shared,
    )
}

fn p10(budget: Budget) -> Result<Evidence> {
    exact_and_f64(
        budget,
        1_000,
        (Size::Small, Size::Large),
        "RTRL vs BPTT per sample",
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
    let exact = exact_part(
        budget,
        4,
        1_100,
        Size::Enumerable,
        "mean online update over all inputs vs closed form",
        "mean of online updates over all Rademacher inputs = closed form, 7 rules × 2 losses",
        props::online_mean_is_expected,
    )?;
    let samples = 2000;
    let (mut n, mut worst, mut count, mut at) = (0usize, 0.0f64, 0usize, None);
    for k in budget.cases(2) {
        let spec = InstanceSpec::sized(1_150 + k as u64, Size::MonteCarlo);
        let (z, c) = props::online_mean_monte_carlo(&spec.draw()?, samples, 1_190 + k as u64)?;
        n += 1;
        count += c;
        if at.is_none() || z.is_nan() || (!worst.is_nan() && z > worst) {
            worst = z;
            at = Some(repro(k, &spec, "f64").param("sample seed", 1_190 + k as u64));
        }
    }
    // the bound must not depend on which instances ran: scale the comparisons of the instances
    // that ran to the whole budget (each instance compares the entries of 7 rules × 2 losses)
    let per = count.checked_div(n).unwrap_or(0);
    Ok(exact.and(statistical(
        n,
        worst,
        per * budget.instances(2),
        samples,
        "Gaussian white input, every entry of 7 rules × 2 losses",
        at,
    )))
}

fn p12(budget: Budget) -> Result<Evidence> {
    let aligned_spec = |seed: u64, size: Size| {
        let mut s = InstanceSpec::sized(seed, size);
        s.n_teacher = s.n;
        s
    };
    let (mut n_exact, mut unequal, mut first) = (0usize, 0usize, None);
    for k in budget.cases(4) {
        let spec = aligned_spec(1_200 + k as u64, Size::Small);
        let (q, basis) = spec.draw_aligned::<Rational>()?;
        n_exact += 1;
        if !props::alignment_preserved(&q, &basis, 2, Rational::new(1, 8).expect("nonzero"))?.equal
        {
            unequal += 1;
            first.get_or_insert_with(|| repro(k, &spec, "rational"));
        }
    }
    let exact = Evidence::exact(
        n_exact,
        "off-diagonal entries in the mode bases",
        unequal,
        "exact over Q: aligned instances, 2 expected-update steps with η = 1/8, counting instances with an off-diagonal entry",
    )
    .maybe_reproducer(first);
    let (mut n_float, mut worst, mut at) = (0usize, 0.0f64, None);
    for k in budget.cases(8) {
        let spec = aligned_spec(1_300 + k as u64, Size::Large);
        let (inst, basis) = spec.draw_aligned::<f64>()?;
        let e = props::alignment_preserved(&inst, &basis, 20, 0.01)?.rel;
        n_float += 1;
        if at.is_none() || e.is_nan() || (!worst.is_nan() && e > worst) {
            worst = e;
            at = Some(repro(k, &spec, "f64"));
        }
    }
    let float = Evidence::error_at_most(
        n_float,
        "largest off-diagonal entry",
        Measure::RelError,
        worst,
        F64_IDENTITY_REL,
        "f64: 20 expected-update steps, η = 0.01, largest off-diagonal entry relative to the largest entry of the three rotated blocks",
    )
    .maybe_reproducer(at);
    Ok(exact.and(float))
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
            "P-RNN-10.a",
            RnnRules,
            [Standard, Derived],
            "leaky and tanh networks: per-sample BPTT and RTRL updates are the gradient of the per-sample loss; e-prop's update is RTRL's with the state Jacobian truncated to its diagonal",
            nonlinear::p10a,
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
        entry!(
            "P-RNN-38",
            RnnRules,
            [Standard],
            "UORO (Tallec & Ollivier 2017) is unbiased: the exact expectation of its update over all \
             sign draws ν_t ∈ {±1}ⁿ equals RTRL's, with ρ₀ = ρ₁ = 1 and with the variance-minimising \
             ρ₀, ρ₁",
            family::uoro_unbiased,
        ),
        entry!(
            "P-RNN-39",
            RnnRules,
            [Standard, Derived],
            "SnAp (Menick et al. 2021): SnAp-1 equals e-prop with symmetric feedback and SnAp-2 on a \
             dense W equals RTRL, per sample, any leak and activation; on a sparse W SnAp-2 differs \
             from RTRL, and SnAp-n on n units equals it again",
            family::snap_identities,
        ),
        entry!(
            "P-RNN-40",
            RnnRules,
            [Standard],
            "KF-RTRL (Mujika, Meier & Steger 2018) is unbiased: the exact expectation of its update \
             over all sign pairs (c₁, c₂) ∈ {±1}² per step equals RTRL's, with ρ₁ = ρ₂ = 1 and with \
             the variance-minimising ρ₁, ρ₂",
            family::kf_rtrl_unbiased,
        ),
        entry!(
            "P-RNN-41",
            RnnRules,
            [Standard, DerivedUnchecked],
            "KF-RTRL's variance is below UORO's and grows more slowly with n (measured: relative \
             variance of ΔW against RTRL's, variance-minimising scalars, n = 4 … 32)",
            family::kf_variance_below_uoro,
        ),
        entry!(
            "P-RNN-42",
            RnnRules,
            [Standard],
            "reverse KF-RTRL (Marschall, Cho & Savin 2020) is unbiased: the exact expectation of its \
             update over all sign draws ν_t ∈ {±1}ⁿ equals RTRL's, with ρ₀ = ρ₁ = 1 and with the \
             variance-minimising ρ₀, ρ₁; for white input into a linear network its mean update is \
             BPTT's closed form",
            family::reverse_kf_unbiased,
        ),
        entry!(
            "P-RNN-43",
            RnnRules,
            [Standard, Derived],
            "KeRNL (Roth, Kanitscheider & Fiete 2019) with β = I and every γ_i = α frozen equals RFLO \
             with symmetric feedback R = A and ŵ = 1 − α, per sample, any leak and activation; with \
             uniform γ_i = 1 − ŵ and any β it equals RFLO with R = Aβ",
            family::kernl_is_rflo,
        ),
        entry!(
            "P-RNN-44",
            RnnRules,
            [Standard, Derived],
            "efficient BPTT and future BPTT (Marschall, Cho & Savin 2020) with k ≥ T equal BPTT and \
             RTRL per sample, any leak and activation; future BPTT with k < T is k-step truncated \
             BPTT, and for k < T both differ from BPTT wherever the credit they drop is not \
             identically zero",
            family::windowed_bptt,
        ),
    ]
}
