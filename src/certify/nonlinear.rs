//! The rules of leaky and tanh networks checked by what they mean, not against a stored value
//! (P-RNN-10.a; see `docs/theory/linear-rnn.md`):
//!
//! - BPTT's and RTRL's per-sample updates are the gradient of the per-sample loss, which forward-mode
//!   dual numbers compute from the forward pass alone (exact over `Rational` for leaky linear
//!   networks; to rounding in f64 for leaky tanh networks);
//! - e-prop's update is RTRL's with the state Jacobian `J_t = ∂h_t/∂h_{t−1}` truncated to its
//!   diagonal: the influence `M_t[i, (i, j)] = J_t[i, i] M_{t−1}[i, (i, j)] + ∂h_t[i]/∂W[i, j]|_direct`
//!   keeps only the synapse's own unit. For `h_t = (1 − α) h_{t−1} + α φ(W h_{t−1} + B x_{t−1})`
//!   the diagonal is `J_t[i, i] = 1 − α + α φ′(u_t[i]) W[i, i]` and the direct term
//!   `α φ′(u_t[i]) pre_{t−1}[j]`; here φ′ is recomputed from u_t (φ′ = 1 − tanh² u for tanh), not
//!   read from the forward pass, so the check does not share the rule's derivative code.
use super::compare::Comparison;
use crate::error::Result;
use crate::gradcheck;
use crate::rnn::{Activation, Rnn, Sequence};
use crate::rules::{Feedback, Loss, Rule, Update, online};
use crate::scalar::{Dual, Real};
use nalgebra::{DMatrix, DVector};

fn flat<T: Real>(u: &Update<T>) -> DMatrix<T> {
    let mut v = Vec::new();
    for m in [&u.a, &u.w, &u.b] {
        for i in 0..m.nrows() {
            for j in 0..m.ncols() {
                v.push(m[(i, j)].clone());
            }
        }
    }
    DMatrix::from_vec(v.len(), 1, v)
}

/// The gradient of the per-sample loss with respect to (A, W, B), by forward-mode dual numbers
/// through [`online::loss`] (the forward pass and the loss, nothing of any rule), as one column in
/// the layout of [`Rnn::params_flat`].
pub fn loss_gradient<T: Real>(
    net: &Rnn<T>,
    xs: &Sequence<T>,
    targets: &Sequence<T>,
    loss: Loss,
) -> Result<DMatrix<T>> {
    let lift = |s: &Sequence<T>| -> Sequence<Dual<T>> {
        s.iter()
            .map(|v| v.map(|x| Dual::constant(x.clone())))
            .collect()
    };
    let (dx, dy) = (lift(xs), lift(targets));
    let g = gradcheck::dual_gradient(&net.params_flat(), |p| {
        online::loss(&net.with_params_flat(p)?, &dx, &dy, loss)
    })?;
    Ok(DMatrix::from_vec(g.len(), 1, g))
}

/// BPTT's and RTRL's per-sample updates against the dual-number gradient of the loss, both losses.
pub fn gradient_rules_are_gradients<T: Real>(
    net: &Rnn<T>,
    xs: &Sequence<T>,
    targets: &Sequence<T>,
) -> Result<Comparison> {
    let mut c = Comparison::identical();
    for loss in [Loss::Final, Loss::Sequence] {
        let g = loss_gradient(net, xs, targets, loss)?;
        for rule in [Rule::Bptt, Rule::Rtrl] {
            let u = online::update(&rule, net, xs, targets, loss)?;
            c = c.and(Comparison::matrices(&flat(&u), &g));
        }
    }
    Ok(c)
}

/// φ′(u) recomputed from the pre-activation (not read from the forward pass).
fn dphi<T: Real>(activation: Activation, u: &T) -> Result<T> {
    Ok(match activation {
        Activation::Identity => T::one(),
        Activation::Tanh => {
            let t = u
                .try_tanh()
                .ok_or_else(|| crate::LroError::Unsupported("tanh over this number kind".into()))?;
            T::one() - t.clone() * t
        }
    })
}

/// (ΔW, ΔB) of RTRL with the state Jacobian truncated to its diagonal, learning signal `Fᵀ c_t ε_t`
/// with feedback `f` (see the module docs).
pub fn diagonal_rtrl<T: Real>(
    net: &Rnn<T>,
    xs: &Sequence<T>,
    targets: &Sequence<T>,
    loss: Loss,
    f: &DMatrix<T>,
) -> Result<(DMatrix<T>, DMatrix<T>)> {
    let traj = net.forward(xs)?;
    let (n, d) = (net.n(), net.d());
    let horizon = xs.len();
    let alpha = net.alpha().clone();
    let (mut mw, mut mb) = (DMatrix::<T>::zeros(n, n), DMatrix::<T>::zeros(n, d));
    let (mut dw, mut db) = (DMatrix::<T>::zeros(n, n), DMatrix::<T>::zeros(n, d));
    for t in 1..=horizon {
        // u_t = W h_{t−1} + B x_{t−1}, recomputed from the states
        let u: DVector<T> = net.w() * &traj.h[t - 1] + net.b() * &xs[t - 1];
        for i in 0..n {
            let g = alpha.clone() * dphi(net.activation(), &u[i])?;
            let jii = T::one() - alpha.clone() + g.clone() * net.w()[(i, i)].clone();
            for j in 0..n {
                mw[(i, j)] =
                    jii.clone() * mw[(i, j)].clone() + g.clone() * traj.h[t - 1][j].clone();
            }
            for j in 0..d {
                mb[(i, j)] = jii.clone() * mb[(i, j)].clone() + g.clone() * xs[t - 1][j].clone();
            }
        }
        let weight = match loss {
            Loss::Final if t == horizon => Some(T::one()),
            Loss::Final => None,
            Loss::Sequence => Some(T::one() / T::from_i64(horizon as i64)),
        };
        if let Some(c) = weight {
            let eps: DVector<T> = (&traj.y[t - 1] - &targets[t - 1]) * c;
            let sig = f.transpose() * eps;
            for i in 0..n {
                for j in 0..n {
                    dw[(i, j)] += sig[i].clone() * mw[(i, j)].clone();
                }
                for j in 0..d {
                    db[(i, j)] += sig[i].clone() * mb[(i, j)].clone();
                }
            }
        }
    }
    Ok((dw, db))
}

/// e-prop's (ΔW, ΔB) with symmetric feedback (F = A) and with the random feedback `r`, against
/// [`diagonal_rtrl`], both losses.
pub fn eprop_is_diagonal_rtrl<T: Real>(
    net: &Rnn<T>,
    xs: &Sequence<T>,
    targets: &Sequence<T>,
    r: &DMatrix<T>,
) -> Result<Comparison> {
    let mut c = Comparison::identical();
    for loss in [Loss::Final, Loss::Sequence] {
        for (feedback, f) in [
            (Feedback::Symmetric, net.a().clone()),
            (Feedback::Random(r.clone()), r.clone()),
        ] {
            let u = online::update(&Rule::Eprop { feedback }, net, xs, targets, loss)?;
            let (w, b) = diagonal_rtrl(net, xs, targets, loss, &f)?;
            c = c
                .and(Comparison::matrices(&u.w, &w))
                .and(Comparison::matrices(&u.b, &b));
        }
    }
    Ok(c)
}
