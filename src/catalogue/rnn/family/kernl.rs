//! P-RNN-43: frozen KeRNL with uniform decay is RFLO (`docs/theory/linear-rnn.md#kernl`).
use super::{leak, loss_name, spec};
use crate::catalogue::rnn::parts::repro;
use crate::catalogue::{Budget, Evidence, Measure};
use crate::error::Result;
use crate::rnn::{Activation, Rnn};
use crate::rules::kernl::{self, Kernel};
use crate::rules::{Loss, Rule, Update, online};
use crate::scalar::{Rational, Real};
use crate::tolerances::F64_IDENTITY_REL;
use crate::tolerances::ZERO_GUARD_F64;
use nalgebra::{DMatrix, DVector};

/// A fixed non-symmetric n × n sensitivity matrix with entries in {−3/4, …, 3/4} (instance k
/// shifts the pattern), so that β ≠ βᵀ and `A β ≠ A βᵀ` on every instance.
fn beta<T: Real>(n: usize, k: usize) -> DMatrix<T> {
    DMatrix::from_fn(n, n, |r, c| {
        let v = (r * 3 + c * 5 + k) % 7;
        let v = if r == c { 4 } else { v as i64 - 3 };
        T::ratio(v, 4)
    })
}

/// The two comparisons on one network: KeRNL(β = I, γ = α) against RFLO(R = A, ŵ = 1 − α), and
/// KeRNL(β, γ = 2/3) against RFLO(R = Aβ, ŵ = 1/3).
fn pairs<T: Real>(
    net: &Rnn<T>,
    xs: &[DVector<T>],
    ys: &[DVector<T>],
    loss: Loss,
    k: usize,
) -> Result<[(Update<T>, Update<T>); 2]> {
    let (n, alpha) = (net.n(), net.alpha().clone());
    let rflo = |feedback, w_hat| online::update(&Rule::Rflo { feedback, w_hat }, net, xs, ys, loss);
    let ident = kernl::update(net, xs, ys, loss, &Kernel::identity(n, alpha.clone()))?;
    let b = beta::<T>(n, k);
    let general = kernl::update(
        net,
        xs,
        ys,
        loss,
        &Kernel {
            beta: b.clone(),
            gamma: DVector::from_element(n, T::ratio(2, 3)),
        },
    )?;
    Ok([
        (ident, rflo(net.a().clone(), T::one() - alpha)?),
        (general, rflo(net.a() * &b, T::ratio(1, 3))?),
    ])
}

/// P-RNN-43 (KeRNL: Roth, Kanitscheider & Fiete 2019, `[standard]`; the identity `[derived]`):
/// frozen KeRNL with β = I and every γ_i = α equals RFLO with R = A and ŵ = 1 − α; more generally,
/// with every γ_i = 1 − ŵ it equals RFLO with R = Aβ.
pub(in crate::catalogue::rnn) fn kernl_is_rflo(budget: Budget) -> Result<Evidence> {
    let (mut n_q, mut bad_q, mut first_q) = (0usize, 0usize, None);
    let (mut n_f, mut worst, mut worst_at) = (0usize, 0.0f64, None);
    for k in budget.cases(4) {
        let s = spec(k, 4300);
        let inst = s.draw()?;
        let q = inst.cast::<Rational>();
        let net = q.st.student.clone().with_leak(leak(k))?;
        for loss in [Loss::Final, Loss::Sequence] {
            for (got, want) in pairs(&net, &q.xs, &q.targets, loss, k)? {
                n_q += 1;
                if got != want {
                    bad_q += 1;
                    first_q.get_or_insert_with(|| {
                        repro(k, &s, "rational").param("loss", loss_name(loss))
                    });
                }
            }
        }
        let f = inst.cast::<f64>();
        let net =
            f.st.student
                .clone()
                .with_leak(0.5)?
                .with_activation(Activation::Tanh);
        for (got, want) in pairs(&net, &f.xs, &f.targets, Loss::Sequence, k)? {
            n_f += 1;
            // Floor 1e-300: only guards a zero update; the updates are O(1e-3 … 1).
            let err = got.rel_diff(&want, ZERO_GUARD_F64);
            if worst_at.is_none() || err.is_nan() || err > worst {
                worst = err;
                worst_at = Some(repro(k, &s, "f64").param("activation", "tanh"));
            }
        }
    }
    let mut exact = Evidence::exact(
        n_q,
        "comparisons where frozen KeRNL differs from its RFLO counterpart",
        bad_q,
        "rationals, linear networks with leak 1 or ½, final and sequence losses: KeRNL(β = I, \
         γ = α) against RFLO(R = A, ŵ = 1 − α), and KeRNL(β non-symmetric, γ = 2/3) against \
         RFLO(R = Aβ, ŵ = 1/3); KeRNL from `rules::kernl`, RFLO from `online::update`",
    );
    if let Some(r) = first_q {
        exact = exact.with_reproducer(r);
    }
    let float = Evidence::error_at_most(
        n_f,
        "leaky tanh: frozen KeRNL against RFLO",
        Measure::RelError,
        worst,
        F64_IDENTITY_REL,
        "f64, the same networks with α = ½ and tanh, sequence loss, both comparisons",
    )
    .maybe_reproducer(worst_at);
    Ok(exact.and(float))
}
