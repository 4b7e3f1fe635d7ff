//! Per-sample (online) algorithms of spec §3.3, for one input sequence and its targets.
//!
//! All rules share the forward pass and the readout update `ΔA = Σ_t c_t ε_t h_tᵀ` (the readout is
//! trained by its exact, local gradient in every rule, spec §3.1); they differ in ΔW and ΔB. The loss
//! weights are `c_T = 1` for the final-step loss and `c_t = 1/T` for the sequence loss, whose update
//! accumulates at every step the final-step update with `ε_t` in place of `ε_T`
//! (spec §3.3, Appendix H reading, `[derived, unchecked]`).
use super::{Feedback, Loss, Rule, Update, bptt, rtrl, traces};
use crate::error::{LroError, Result};
use crate::rnn::{Rnn, Sequence, Trajectory};
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};

/// The weighted output errors `c_t ε_t` (index t − 1), `None` where `c_t = 0`.
pub(crate) type WeightedErrors<T> = Vec<Option<DVector<T>>>;

/// Everything a rule's hidden-weight update needs from one sample.
pub(crate) struct Sample<'a, T: Real> {
    pub net: &'a Rnn<T>,
    pub xs: &'a [DVector<T>],
    pub traj: &'a Trajectory<T>,
    pub errs: &'a WeightedErrors<T>,
}

/// The loss of one sample: `½‖ε_T‖²` (final) or `1/(2T) Σ_t ‖ε_t‖²` (sequence).
pub fn loss<T: Real>(
    net: &Rnn<T>,
    xs: &[DVector<T>],
    targets: &[DVector<T>],
    loss: Loss,
) -> Result<T> {
    let traj = net.forward(xs)?;
    let errs = weighted_errors(net, &traj, targets, loss)?;
    let horizon = xs.len() as i64;
    let half = T::ratio(1, 2);
    let mut total = T::zero();
    for (t, e) in errs.iter().enumerate() {
        if e.is_some() {
            let eps = &traj.y[t] - &targets[t];
            total += eps.dot(&eps);
        }
    }
    Ok(match loss {
        Loss::Final => total * half,
        Loss::Sequence => total * half / T::from_i64(horizon),
    })
}

/// `c_t ε_t` for every step, checking the targets' length and dimension.
fn weighted_errors<T: Real>(
    net: &Rnn<T>,
    traj: &Trajectory<T>,
    targets: &[DVector<T>],
    loss: Loss,
) -> Result<WeightedErrors<T>> {
    let horizon = traj.y.len();
    if targets.len() != horizon {
        return Err(LroError::ShapeMismatch {
            context: "targets".into(),
            detail: format!(
                "{} targets for {} inputs; give one target y*_t per step",
                targets.len(),
                horizon
            ),
        });
    }
    for (t, y) in targets.iter().enumerate() {
        if y.len() != net.o() {
            return Err(LroError::ShapeMismatch {
                context: "targets".into(),
                detail: format!(
                    "y*_{} has length {}, the output dimension o is {}",
                    t + 1,
                    y.len(),
                    net.o()
                ),
            });
        }
        if !y.iter().all(|v| v.is_finite()) {
            return Err(LroError::NotFinite {
                name: format!("target y*_{}", t + 1),
            });
        }
    }
    let c = T::one() / T::from_i64(horizon as i64);
    Ok((0..horizon)
        .map(|t| {
            let eps = &traj.y[t] - &targets[t];
            match loss {
                Loss::Final if t + 1 == horizon => Some(eps),
                Loss::Final => None,
                Loss::Sequence => Some(eps * c.clone()),
            }
        })
        .collect())
}

/// One rule's update `(ΔA, ΔW, ΔB)` for one sample `x_0 … x_{T-1}` with targets `y*_1 … y*_T`.
pub fn update<T: Real>(
    rule: &Rule<T>,
    net: &Rnn<T>,
    xs: &[DVector<T>],
    targets: &[DVector<T>],
    loss: Loss,
) -> Result<Update<T>> {
    rule.validate(net)?;
    let traj = net.forward(xs)?;
    let errs = weighted_errors(net, &traj, targets, loss)?;
    let s = Sample {
        net,
        xs,
        traj: &traj,
        errs: &errs,
    };
    let (w, b) = match rule {
        Rule::Bptt => bptt::full(&s),
        Rule::Tbptt { k } => bptt::truncated(&s, *k),
        Rule::Rtrl => rtrl::forward_mode(&s),
        Rule::Rflo { feedback, w_hat } => traces::rflo(&s, feedback, w_hat),
        Rule::Eprop { feedback } => {
            let r = match feedback {
                Feedback::Random(r) => r,
                Feedback::Symmetric => net.a(),
            };
            traces::eprop(&s, r)
        }
    };
    let mut a = DMatrix::zeros(net.o(), net.n());
    for (t, e) in errs.iter().enumerate() {
        if let Some(e) = e {
            a += e * traj.h[t + 1].transpose();
        }
    }
    Ok(Update { a, w, b })
}

/// One training sample: inputs `x_0 … x_{T-1}` and targets `y*_1 … y*_T`.
pub type SamplePair<T> = (Sequence<T>, Sequence<T>);

/// The mean of per-sample updates over a mini-batch of (inputs, targets) pairs.
pub fn batch_update<T: Real>(
    rule: &Rule<T>,
    net: &Rnn<T>,
    batch: &[SamplePair<T>],
    loss: Loss,
) -> Result<Update<T>> {
    if batch.is_empty() {
        return Err(LroError::InvalidParameter {
            name: "batch".into(),
            reason: "a mini-batch needs at least one sample".into(),
        });
    }
    let mut acc = Update::zeros(net.o(), net.n(), net.d());
    let w = T::one() / T::from_i64(batch.len() as i64);
    for (xs, ys) in batch {
        acc.add_scaled(&update(rule, net, xs, ys, loss)?, w.clone());
    }
    Ok(acc)
}
