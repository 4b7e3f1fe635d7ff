//! P-RNN-10.a: the rules of leaky and tanh networks, checked by meaning (the computation is in
//! [`crate::certify::nonlinear`]).
use super::Size;
use super::parts::{exact_part, float_part};
use crate::certify::nonlinear as nl;
use crate::error::Result;
use crate::evidence::{Budget, Evidence};
use crate::rnn::{Activation, Instance};
use crate::scalar::Rational;
use crate::tolerances::F64_IDENTITY_REL;

/// The leak rate of the checked networks (dyadic, so exact over Q).
const ALPHA: f64 = 0.5;

fn leaky<T: crate::scalar::Real>(i: &Instance<T>, tanh: bool) -> Result<crate::rnn::Rnn<T>> {
    let net = i.st.student.clone().with_leak(T::from_f64(ALPHA))?;
    Ok(if tanh {
        net.with_activation(Activation::Tanh)
    } else {
        net
    })
}

pub(super) fn p10a(budget: Budget) -> Result<Evidence> {
    let exact = exact_part(
        budget,
        6,
        1_050,
        Size::Small,
        "leaky linear: BPTT, RTRL vs ∇L; e-prop vs diagonal RTRL",
        "leaky linear nets (α = 1/2): per-sample BPTT and RTRL updates = Dual<Q> gradient of the per-sample loss, e-prop (F = A and F = R) = RTRL with the state Jacobian truncated to its diagonal, both losses",
        |i: &Instance<Rational>| {
            let net = leaky(i, false)?;
            Ok(
                nl::gradient_rules_are_gradients(&net, &i.xs, &i.targets)?.and(
                    nl::eprop_is_diagonal_rtrl(&net, &i.xs, &i.targets, &i.feedback)?,
                ),
            )
        },
    )?;
    let float = float_part(
        budget,
        8,
        2_050,
        Size::MonteCarlo,
        "leaky tanh: BPTT, RTRL vs ∇L; e-prop vs diagonal RTRL",
        F64_IDENTITY_REL,
        "leaky tanh nets (α = 1/2): the same comparisons with the gradient by Dual<f64>, largest |difference| relative to the larger side's largest entry",
        |i| {
            let net = leaky(i, true)?;
            Ok(nl::gradient_rules_are_gradients(&net, &i.xs, &i.targets)?
                .and(nl::eprop_is_diagonal_rtrl(
                    &net,
                    &i.xs,
                    &i.targets,
                    &i.feedback,
                )?)
                .rel)
        },
    )?;
    Ok(exact.and(float))
}
