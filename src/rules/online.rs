//! Per-sample (online) algorithms of `docs/theory/linear-rnn.md#online`, for one input sequence and its targets.
//!
//! All rules share the forward pass and the readout update `ΔA = Σ_t c_t ε_t h_tᵀ` (the readout is
//! trained by its exact, local gradient in every rule, `docs/theory/linear-rnn.md#update-ode`); they differ in ΔW and ΔB. The loss
//! weights are `c_T = 1` for the final-step loss and `c_t = 1/T` for the sequence loss, whose update
//! accumulates at every step the final-step update with `ε_t` in place of `ε_T`
//! (`docs/theory/linear-rnn.md#online`, Appendix H reading, `[derived, unchecked]`).
//!
//! A mini-batch of B samples of one horizon runs as one batched forward pass (n×B states, one
//! matrix product per step) and, for BPTT and tBPTT, one batched adjoint pass; the trace rules and
//! RTRL then run sample by sample on the batched trajectory. A single sample is the batch B = 1.
use super::{Feedback, Loss, Rule, Update, bptt, kf_rtrl, rtrl, snap, traces, uoro};
use crate::error::{LroError, Result};
use crate::faults::{self, Fault};
use crate::rnn::model::BatchTrajectory;
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

/// B samples of one horizon advanced together: column b of every matrix belongs to sample b.
pub(crate) struct Batch<'a, T: Real> {
    pub net: &'a Rnn<T>,
    /// `X_0 … X_{T-1}` (d×B).
    pub xs: &'a [DMatrix<T>],
    pub traj: &'a BatchTrajectory<T>,
    /// `c_t E_t` (o×B), `None` where `c_t = 0`.
    pub errs: &'a [Option<DMatrix<T>>],
}

/// The loss of one sample: `½‖ε_T‖²` (final) or `1/(2T) Σ_t ‖ε_t‖²` (sequence).
pub fn loss<T: Real>(
    net: &Rnn<T>,
    xs: &[DVector<T>],
    targets: &[DVector<T>],
    loss: Loss,
) -> Result<T> {
    let traj = net.forward(xs)?;
    check_targets(net, traj.y.len(), targets)?;
    let horizon = xs.len();
    let half = T::ratio(1, 2);
    let mut total = T::zero();
    for (t, (y, target)) in traj.y.iter().zip(targets).enumerate() {
        if loss == Loss::Sequence || t + 1 == horizon {
            let eps = y - target;
            total += eps.dot(&eps);
        }
    }
    Ok(match loss {
        Loss::Final => total * half,
        Loss::Sequence => total * half / T::from_i64(horizon as i64),
    })
}

/// Checks the targets' number and dimension.
fn check_targets<T: Real>(net: &Rnn<T>, horizon: usize, targets: &[DVector<T>]) -> Result<()> {
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
    Ok(())
}

/// Packs step t of B sequences as the columns of a rows×B matrix.
fn pack<T: Real>(seqs: &[&[DVector<T>]], t: usize, rows: usize) -> DMatrix<T> {
    DMatrix::from_iterator(
        rows,
        seqs.len(),
        seqs.iter().flat_map(|s| s[t].iter().cloned()),
    )
}

/// The sum over B samples of one horizon of each sample's update (B = 1: one sample's update).
fn batch_sum<T: Real>(
    rule: &Rule<T>,
    net: &Rnn<T>,
    inputs: &[&[DVector<T>]],
    targets: &[&[DVector<T>]],
    loss: Loss,
) -> Result<Update<T>> {
    rule.validate(net)?;
    let (xs, traj) = batch_forward(net, inputs, targets)?;
    batch_sum_on(rule, net, inputs, targets, &xs, &traj, loss)
}

/// Checks a batch of one horizon and runs its forward pass: the packed inputs and trajectory.
fn batch_forward<T: Real>(
    net: &Rnn<T>,
    inputs: &[&[DVector<T>]],
    targets: &[&[DVector<T>]],
) -> Result<(Vec<DMatrix<T>>, BatchTrajectory<T>)> {
    let horizon = inputs[0].len();
    for (xs, ys) in inputs.iter().zip(targets) {
        net.check_inputs(xs)?;
        if xs.len() != horizon {
            return Err(LroError::ShapeMismatch {
                context: "batch".into(),
                detail: "every sample of a batch must have the same horizon".into(),
            });
        }
        check_targets(net, horizon, ys)?;
    }
    let d = net.d();
    let xs: Vec<DMatrix<T>> = (0..horizon).map(|t| pack(inputs, t, d)).collect();
    let traj = net.forward_batch(&xs)?;
    Ok((xs, traj))
}

/// [`batch_sum`] on a checked batch whose forward pass is done.
fn batch_sum_on<T: Real>(
    rule: &Rule<T>,
    net: &Rnn<T>,
    inputs: &[&[DVector<T>]],
    targets: &[&[DVector<T>]],
    xs: &[DMatrix<T>],
    traj: &BatchTrajectory<T>,
    loss: Loss,
) -> Result<Update<T>> {
    let (o, horizon) = (net.o(), xs.len());
    if rule.is_stochastic() && inputs.len() > 1 {
        return Err(LroError::InvalidParameter {
            name: format!("{} batch", rule.name()),
            reason: format!(
                "its draws belong to one sequence, the batch has {}; run each sample with \
                 online::update and its own draws",
                inputs.len()
            ),
        });
    }
    // c_t = 1 (final step) or 1/T (sequence loss; dropped under the DroppedInvT fault).
    let c = if faults::active(Fault::DroppedInvT) {
        T::one()
    } else {
        T::one() / T::from_i64(horizon as i64)
    };
    let errs: Vec<Option<DMatrix<T>>> = (0..horizon)
        .map(|t| {
            let eps = || &traj.y[t] - pack(targets, t, o);
            match loss {
                Loss::Final if t + 1 == horizon => Some(eps()),
                Loss::Final => None,
                Loss::Sequence => Some(eps() * c.clone()),
            }
        })
        .collect();
    let batch = Batch {
        net,
        xs,
        traj,
        errs: &errs,
    };
    let (mut w, b) = match rule {
        Rule::Bptt => bptt::full(&batch),
        Rule::Tbptt { k } => bptt::truncated(&batch, *k),
        Rule::Uoro { .. }
        | Rule::KfRtrl { .. }
        | Rule::ReverseKfRtrl { .. }
        | Rule::Snap { .. } => family(rule, net, inputs, targets, loss)?,
        _ => per_sample(rule, &batch, inputs),
    };
    let mut a = DMatrix::zeros(o, net.n());
    for (t, e) in errs.iter().enumerate() {
        if let Some(e) = e {
            a.gemm(T::one(), e, &traj.h[t + 1].transpose(), T::one());
        }
    }
    if faults::active(Fault::UpdateSignFlip) {
        w.neg_mut();
    }
    if faults::active(Fault::ReadoutSignFlip) {
        a.neg_mut();
    }
    Ok(Update { a, w, b })
}

/// UORO, KF-RTRL and SnAp, sample by sample with their own forward pass ([`uoro`], [`kf_rtrl`],
/// [`snap`]): the summed (ΔW, ΔB). A stochastic rule's draws must cover the sequence.
fn family<T: Real>(
    rule: &Rule<T>,
    net: &Rnn<T>,
    inputs: &[&[DVector<T>]],
    targets: &[&[DVector<T>]],
    loss: Loss,
) -> Result<(DMatrix<T>, DMatrix<T>)> {
    let (mut dw, mut db) = (
        DMatrix::zeros(net.n(), net.n()),
        DMatrix::zeros(net.n(), net.d()),
    );
    for (xs, ys) in inputs.iter().zip(targets) {
        let u = match rule {
            Rule::Uoro { scaling, draws } => uoro::update(net, xs, ys, loss, draws, *scaling)?,
            Rule::KfRtrl { scaling, draws } => kf_rtrl::update(net, xs, ys, loss, draws, *scaling)?,
            Rule::ReverseKfRtrl { scaling, draws } => {
                super::reverse_kf_rtrl::update(net, xs, ys, loss, draws, *scaling)?
            }
            Rule::Snap { order } => snap::update(net, xs, ys, loss, *order)?,
            _ => unreachable!("only the family rules are dispatched here"),
        };
        dw += u.w;
        db += u.b;
    }
    Ok((dw, db))
}

/// The trace rules and RTRL, one sample (column) at a time on the batched trajectory.
fn per_sample<T: Real>(
    rule: &Rule<T>,
    batch: &Batch<T>,
    inputs: &[&[DVector<T>]],
) -> (DMatrix<T>, DMatrix<T>) {
    let net = batch.net;
    let (mut dw, mut db) = (
        DMatrix::zeros(net.n(), net.n()),
        DMatrix::zeros(net.n(), net.d()),
    );
    for (col, xs) in inputs.iter().enumerate() {
        let traj = batch.traj.column(col);
        let errs: WeightedErrors<T> = batch
            .errs
            .iter()
            .map(|e| e.as_ref().map(|e| e.column(col).into_owned()))
            .collect();
        let s = Sample {
            net,
            xs,
            traj: &traj,
            errs: &errs,
        };
        let (w, b) = match rule {
            Rule::Rtrl => rtrl::forward_mode(&s),
            Rule::Rflo { feedback, w_hat } => traces::rflo(&s, feedback, w_hat),
            Rule::Eprop { feedback } => {
                let r = match feedback {
                    Feedback::Random(r) => r,
                    Feedback::Symmetric => net.a(),
                };
                traces::eprop(&s, r)
            }
            Rule::Bptt | Rule::Tbptt { .. } => unreachable!("batched in bptt"),
            Rule::Uoro { .. }
            | Rule::KfRtrl { .. }
            | Rule::ReverseKfRtrl { .. }
            | Rule::Snap { .. } => {
                unreachable!("run by family")
            }
        };
        if inputs.len() == 1 {
            return (w, b);
        }
        dw += w;
        db += b;
    }
    (dw, db)
}

/// One rule's update `(ΔA, ΔW, ΔB)` for one sample `x_0 … x_{T-1}` with targets `y*_1 … y*_T`.
///
/// Over exact rationals the result can be compared with a value worked out by hand. Take o = 1,
/// n = 2, d = 1, T = 2, `A = [1 2]`, `W = [[0, 1], [½, 0]]`, `B = [1; 0]`, inputs `x_0 = 1`,
/// `x_1 = 0` and target `y*_2 = 3` (final-step loss). Then `h_1 = B x_0 = (1, 0)`,
/// `h_2 = W h_1 + B x_1 = (0, ½)`, `y_2 = A h_2 = 1` and `ε_2 = y_2 − y*_2 = −2`.
///
/// - BPTT: `ΔA = ε_2 h_2ᵀ = [0 −1]`; `δ_2 = Aᵀ ε_2 = (−2, −4)`, `δ_1 = Wᵀ δ_2 = (−2, −2)`;
///   `ΔW = δ_2 h_1ᵀ + δ_1 h_0ᵀ = [[−2, 0], [−4, 0]]`, `ΔB = δ_2 x_1 + δ_1 x_0 = (−2, −2)`.
/// - RFLO with `R = [1 −1]`, `ŵ = ½`: traces `e^h_2 = ŵ e^h_1 + h_1 = (1, 0)`,
///   `e^x_2 = ŵ x_0 + x_1 = ½`, learning signal `Rᵀ ε_2 = (−2, 2)`:
///   `ΔW = [[−2, 0], [2, 0]]`, `ΔB = (−1, 1)`, and the same readout update as BPTT.
///
/// ```
/// use lro::rnn::Rnn;
/// use lro::rules::{online, Loss, Rule};
/// use lro::scalar::{Rational, Real};
/// use nalgebra::{dmatrix, dvector, DVector};
///
/// let q = |n: i64, d: i64| Rational::ratio(n, d);
/// let net = Rnn::new(
///     dmatrix![q(1, 1), q(2, 1)],
///     dmatrix![q(0, 1), q(1, 1); q(1, 2), q(0, 1)],
///     dmatrix![q(1, 1); q(0, 1)],
/// )?;
/// let xs: Vec<DVector<Rational>> = vec![dvector![q(1, 1)], dvector![q(0, 1)]];
/// // Targets y*_1, y*_2; the final-step loss reads only y*_2.
/// let targets = vec![dvector![q(0, 1)], dvector![q(3, 1)]];
///
/// let bptt = online::update(&Rule::Bptt, &net, &xs, &targets, Loss::Final)?;
/// assert_eq!(bptt.a, dmatrix![q(0, 1), q(-1, 1)]);
/// assert_eq!(bptt.w, dmatrix![q(-2, 1), q(0, 1); q(-4, 1), q(0, 1)]);
/// assert_eq!(bptt.b, dmatrix![q(-2, 1); q(-2, 1)]);
///
/// let rflo = Rule::Rflo { feedback: dmatrix![q(1, 1), q(-1, 1)], w_hat: q(1, 2) };
/// let rflo = online::update(&rflo, &net, &xs, &targets, Loss::Final)?;
/// assert_eq!(rflo.a, bptt.a);
/// assert_eq!(rflo.w, dmatrix![q(-2, 1), q(0, 1); q(2, 1), q(0, 1)]);
/// assert_eq!(rflo.b, dmatrix![q(-1, 1); q(1, 1)]);
///
/// // RTRL is the same exact gradient as BPTT, computed forward in time.
/// assert_eq!(online::update(&Rule::Rtrl, &net, &xs, &targets, Loss::Final)?, bptt);
/// # Ok::<(), lro::LroError>(())
/// ```
pub fn update<T: Real>(
    rule: &Rule<T>,
    net: &Rnn<T>,
    xs: &[DVector<T>],
    targets: &[DVector<T>],
    loss: Loss,
) -> Result<Update<T>> {
    batch_sum(rule, net, &[xs], &[targets], loss)
}

/// Several rules' updates for one sample under several losses, sharing one forward pass:
/// element `[i][j]` is `update(rules[i], net, xs, targets, losses[j])`, the same numbers.
pub fn updates<T: Real>(
    rules: &[Rule<T>],
    net: &Rnn<T>,
    xs: &[DVector<T>],
    targets: &[DVector<T>],
    losses: &[Loss],
) -> Result<Vec<Vec<Update<T>>>> {
    for rule in rules {
        rule.validate(net)?;
    }
    let (inputs, targets) = ([xs], [targets]);
    let (packed, traj) = batch_forward(net, &inputs, &targets)?;
    rules
        .iter()
        .map(|rule| -> Result<Vec<_>> {
            losses
                .iter()
                .map(|&loss| batch_sum_on(rule, net, &inputs, &targets, &packed, &traj, loss))
                .collect()
        })
        .collect()
}

/// A borrowed sequence.
type Seq<'a, T> = &'a [DVector<T>];

/// One training sample: inputs `x_0 … x_{T-1}` and targets `y*_1 … y*_T`.
pub type SamplePair<T> = (Sequence<T>, Sequence<T>);

/// The mean of per-sample updates over a mini-batch of (inputs, targets) pairs. Samples of one
/// horizon run together as one batched pass (matrix–matrix products, see the module docs); a batch
/// of mixed horizons runs in groups of equal horizon.
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
    let mut horizons: Vec<usize> = batch.iter().map(|(xs, _)| xs.len()).collect();
    horizons.sort_unstable();
    horizons.dedup();
    for h in horizons {
        let (xs, ys): (Vec<Seq<T>>, Vec<Seq<T>>) = batch
            .iter()
            .filter(|(xs, _)| xs.len() == h)
            .map(|(xs, ys)| (xs.as_slice(), ys.as_slice()))
            .unzip();
        let sum = batch_sum(rule, net, &xs, &ys, loss)?;
        acc.add_scaled(&sum, T::one());
    }
    let inv = T::one() / T::from_i64(batch.len() as i64);
    acc.a *= inv.clone();
    acc.w *= inv.clone();
    acc.b *= inv;
    Ok(acc)
}
