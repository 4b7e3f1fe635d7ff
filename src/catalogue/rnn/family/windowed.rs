//! P-RNN-44: efficient and future BPTT with k ≥ T are BPTT per sample; future BPTT is k-step
//! tBPTT; for k < T both differ from BPTT wherever the dropped credit is not identically zero
//! (`docs/theory/linear-rnn.md#windowed-bptt`).
use super::{leak, loss_name, spec};
use crate::catalogue::rnn::parts::repro;
use crate::catalogue::{Budget, Evidence, Measure};
use crate::error::Result;
use crate::rnn::Activation;
use crate::rules::windowed_bptt::{efficient_update, future_update};
use crate::rules::{Loss, Rule, online, uoro};
use crate::scalar::{Mpfr, Rational, Real, with_precision};
use crate::tolerances::{F64_IDENTITY_REL, MPFR_REFERENCE_BITS, MPFR256_REL};
use crate::tolerances::{ZERO_GUARD_F64, ZERO_GUARD_MPFR};

/// P-RNN-44 (the algorithms: Marschall, Cho & Savin 2020, `[standard]`; the identities and the
/// per-sample reading `[derived]`).
pub(in crate::catalogue::rnn) fn windowed_bptt(budget: Budget) -> Result<Evidence> {
    // Exact over Q: k ≥ T against BPTT and RTRL, future BPTT against tBPTT for every k < T.
    let (mut n_q, mut bad_q, mut first_q) = (0usize, 0usize, None);
    let (mut n_c, mut bad_c, mut first_c) = (0usize, 0usize, None);
    let (mut n_f, mut worst_f, mut worst_f_at) = (0usize, 0.0f64, None);
    for k in budget.cases(4) {
        let s = spec(k, 4500);
        let horizon = s.horizon;
        let inst = s.draw()?;
        let q = inst.cast::<Rational>();
        let net = q.st.student.clone().with_leak(leak(k))?;
        let (xs, ys) = (&q.xs, &q.targets);
        for loss in [Loss::Final, Loss::Sequence] {
            let bptt = online::update(&Rule::Bptt, &net, xs, ys, loss)?;
            let rtrl = online::update(&Rule::Rtrl, &net, xs, ys, loss)?;
            let mut bad = 0;
            for win in [horizon, horizon + 2] {
                n_q += 2;
                bad += usize::from(efficient_update(&net, xs, ys, loss, win)? != bptt);
                bad += usize::from(future_update(&net, xs, ys, loss, win)? != rtrl);
            }
            for win in 1..horizon {
                n_q += 1;
                let tb = online::update(&Rule::Tbptt { k: win }, &net, xs, ys, loss)?;
                bad += usize::from(future_update(&net, xs, ys, loss, win)? != tb);
            }
            if bad > 0 {
                bad_q += bad;
                first_q
                    .get_or_insert_with(|| repro(k, &s, "rational").param("loss", loss_name(loss)));
            }
            // Counterexample: k < T differs from BPTT (sequence loss: every window has losses),
            // wherever the credit that k steps drop is not identically zero: A J ≠ 0 for the
            // pair across efficient BPTT's first window start, A J^k ≠ 0 for the loss k steps
            // after a step (J = (1 − α)I + αW; an instance with A W = 0 at α = 1 sends no credit
            // back at all, and there every truncation is BPTT).
            if loss == Loss::Sequence {
                let alpha = net.alpha().clone();
                let mut jac = net.w() * alpha.clone();
                for i in 0..jac.nrows() {
                    jac[(i, i)] += Rational::ratio(1, 1) - alpha.clone();
                }
                let crosses = |steps: usize| {
                    let mut m = net.a().clone();
                    for _ in 0..steps {
                        m = &m * &jac;
                    }
                    m.iter().any(|x| x.to_f64() != 0.0)
                };
                for win in 1..horizon {
                    let mut same = 0;
                    if crosses(1) {
                        n_c += 1;
                        same += usize::from(efficient_update(&net, xs, ys, loss, win)? == bptt);
                    }
                    if crosses(win) {
                        n_c += 1;
                        same += usize::from(future_update(&net, xs, ys, loss, win)? == rtrl);
                    }
                    if same > 0 {
                        bad_c += same;
                        first_c.get_or_insert_with(|| repro(k, &s, "rational").param("k", win));
                    }
                }
            }
        }
        // f64, leaky tanh, k = T.
        let f = inst.cast::<f64>();
        let net =
            f.st.student
                .clone()
                .with_leak(0.5)?
                .with_activation(Activation::Tanh);
        let loss = Loss::Sequence;
        let bptt = online::update(&Rule::Bptt, &net, &f.xs, &f.targets, loss)?;
        let rtrl = online::update(&Rule::Rtrl, &net, &f.xs, &f.targets, loss)?;
        n_f += 2;
        // Floor 1e-300: only guards a zero update; the updates are O(1e-3 … 1).
        let err = efficient_update(&net, &f.xs, &f.targets, loss, horizon)?
            .rel_diff(&bptt, ZERO_GUARD_F64)
            .max(
                future_update(&net, &f.xs, &f.targets, loss, horizon)?
                    .rel_diff(&rtrl, ZERO_GUARD_F64),
            );
        if worst_f_at.is_none() || err.is_nan() || err > worst_f {
            worst_f = err;
            worst_f_at = Some(repro(k, &s, "f64").param("activation", "tanh"));
        }
    }
    let mut exact = Evidence::exact(
        n_q,
        "comparisons where efficient BPTT (k ≥ T) ≠ BPTT, future BPTT (k ≥ T) ≠ RTRL, or future \
         BPTT (k < T) ≠ k-step tBPTT",
        bad_q,
        "rationals, linear networks with leak 1 or ½, final and sequence losses, k ∈ {T, T + 2} \
         and every k < T; the windowed rules from `rules::windowed_bptt`, BPTT, RTRL and tBPTT \
         from `online::update`",
    );
    if let Some(r) = first_q {
        exact = exact.with_reproducer(r);
    }
    let counter = Evidence::violations(
        n_c,
        "k < T: efficient BPTT equal to BPTT or future BPTT equal to RTRL",
        bad_c,
        "rationals, the same networks, sequence loss, every k = 1 … T − 1 where the dropped credit \
         is not identically zero (A J ≠ 0 for efficient BPTT, A J^k ≠ 0 for future BPTT, \
         J = (1 − α)I + αW): each window drops the credit that crosses its start, so the updates \
         differ",
    )
    .maybe_reproducer(first_c);
    let float = Evidence::error_at_most(
        n_f,
        "leaky tanh, k = T: efficient BPTT vs BPTT and future BPTT vs RTRL",
        Measure::RelError,
        worst_f,
        F64_IDENTITY_REL,
        "f64, the same networks with α = ½ and tanh, sequence loss",
    )
    .maybe_reproducer(worst_f_at);
    // MPFR-256, leaky tanh, k = T, one network.
    let (mut n_m, mut worst_m, mut worst_m_at) = (0usize, 0.0f64, None);
    for k in budget.cases(1) {
        let s = spec(k, 4600);
        let err = with_precision(MPFR_REFERENCE_BITS, || -> Result<f64> {
            let inst = s.draw()?.cast::<Mpfr>();
            let net = inst
                .st
                .student
                .clone()
                .with_leak(Mpfr::ratio(1, 2))?
                .with_activation(Activation::Tanh);
            let (xs, ys, loss) = (&inst.xs, &inst.targets, Loss::Sequence);
            let rtrl = online::update(&Rule::Rtrl, &net, xs, ys, loss)?;
            let e = efficient_update(&net, xs, ys, loss, s.horizon)?;
            let f = future_update(&net, xs, ys, loss, s.horizon)?;
            // Floor 1e-30: only guards a zero RTRL update, far above 2^-256.
            Ok(
                uoro::rel_error_in(&e, &rtrl, ZERO_GUARD_MPFR).max(uoro::rel_error_in(
                    &f,
                    &rtrl,
                    ZERO_GUARD_MPFR,
                )),
            )
        })??;
        n_m += 2;
        if worst_m_at.is_none() || err.is_nan() || err > worst_m {
            worst_m = err;
            worst_m_at = Some(repro(k, &s, "mpfr256").param("activation", "tanh"));
        }
    }
    let mut mpfr = Evidence::error_at_most(
        n_m,
        "leaky tanh, k = T, 256-bit MPFR: efficient and future BPTT vs RTRL",
        Measure::RelError,
        worst_m,
        MPFR256_REL,
        "256-bit MPFR, α = ½, tanh, sequence loss; the difference taken in MPFR",
    );
    if let Some(r) = worst_m_at {
        mpfr = mpfr.with_reproducer(r);
    }
    Ok(exact.and(counter).and(float).and(mpfr))
}
