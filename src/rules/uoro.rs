//! UORO (Tallec & Ollivier 2017, `[standard]`; `docs/theory/linear-rnn.md#uoro`): an unbiased
//! rank-one estimate `ũ_t ṽ_tᵀ` of RTRL's influence matrix `M_t` (n × p, p = n² + nd, the W and B
//! entries side by side as in RTRL).
//!
//! Per step, with `J_t = (1 − α)I + diag(α φ′(u_t)) W`, the immediate influence `I_t` (RTRL's) and
//! a draw `ν_t ∈ {±1}ⁿ`:
//!
//! `ũ_t = ρ₀ J_t ũ_{t−1} + ρ₁ ν_t`,  `ṽ_t = ṽ_{t−1}/ρ₀ + I_tᵀ ν_t/ρ₁`,
//!
//! and the gradient estimate of a loss at step t is `ṽ_t (ũ_tᵀ Aᵀ c_t ε_t)`. With `E[ν] = 0`,
//! `E[ννᵀ] = I` and ν independent of the past, `E[ũ_t ṽ_tᵀ] = J_t E[ũ_{t−1}ṽ_{t−1}ᵀ] + I_t = M_t`
//! for any positive ρ₀ that depends only on the past and any ρ₁ even in ν (the cross terms are odd
//! in ν_t and cancel between ν_t and −ν_t). Two scalings:
//! - [`Scaling::Unit`]: ρ₀ = ρ₁ = 1, every number kind (exact over Q);
//! - [`Scaling::VarianceMin`]: `ρ₀ = √(‖ṽ_{t−1}‖/‖J_t ũ_{t−1}‖)` (1 while either norm is 0) and
//!   `ρ₁ = √(‖I_tᵀν_t‖/‖ν_t‖)` (1 while `I_t = 0`), Tallec & Ollivier's variance-minimising choice;
//!   needs square roots ([`Real::try_sqrt`]): over exact rationals it fails with a typed error.
//!
//! The draws are an explicit input, so the estimator is deterministic given them and its exact
//! expectation is the average over all `2^{nT}` draws (the check P-RNN-38).
use super::{Loss, Update};
use crate::error::{LroError, Result};
use crate::faults::{self, Fault};
use crate::rnn::Rnn;
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};

/// The scalars ρ₀, ρ₁ of UORO (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scaling {
    /// ρ₀ = ρ₁ = 1.
    Unit,
    /// Tallec & Ollivier's variance-minimising ρ₀, ρ₁.
    VarianceMin,
}

impl Scaling {
    /// Short name: "unit" or "variance-min".
    pub fn name(self) -> &'static str {
        match self {
            Scaling::Unit => "unit",
            Scaling::VarianceMin => "variance-min",
        }
    }
}

/// The norms a scaling reads at one step: `‖J ũ‖`, `‖ṽ‖`, `‖Iᵀν‖`, `‖ν‖` (squared).
struct Norms<T> {
    ju: T,
    v: T,
    inu: T,
    nu: T,
}

/// UORO's update for one sample with ρ₀ = ρ₁ = 1: the exact readout gradient `ΔA` and the
/// rank-one estimates of ΔW and ΔB, for the draws `draws[t − 1] = ν_t` (each entry ±1, one
/// vector of length n per step).
pub fn update_unit<T: Real>(
    net: &Rnn<T>,
    xs: &[DVector<T>],
    targets: &[DVector<T>],
    loss: Loss,
    draws: &[DVector<T>],
) -> Result<Update<T>> {
    run(net, xs, targets, loss, draws, |_| Ok((T::one(), T::one())))
}

/// UORO's update for one sample with the given [`Scaling`]; [`Scaling::VarianceMin`] needs square
/// roots and fails over exact rationals (see [`needs_roots`]).
pub fn update<T: Real>(
    net: &Rnn<T>,
    xs: &[DVector<T>],
    targets: &[DVector<T>],
    loss: Loss,
    draws: &[DVector<T>],
    scaling: Scaling,
) -> Result<Update<T>> {
    match scaling {
        Scaling::Unit => update_unit(net, xs, targets, loss, draws),
        Scaling::VarianceMin => {
            needs_roots::<T>("UORO")?;
            run(net, xs, targets, loss, draws, |n: &Norms<T>| {
                Ok((root_ratio(&n.v, &n.ju)?, root_ratio(&n.inu, &n.nu)?))
            })
        }
    }
}

/// Fails, naming the estimator and what to use instead, when the number kind `T` has no square
/// root (exact rationals): the variance-minimising scaling cannot run there.
pub fn needs_roots<T: Real>(who: &str) -> Result<()> {
    match T::one().try_sqrt() {
        Some(_) => Ok(()),
        None => Err(no_roots::<T>(who)),
    }
}

fn no_roots<T: Real>(who: &str) -> LroError {
    LroError::Unsupported(format!(
        "{who} with the variance-minimising scaling needs square roots, which {} numbers do not \
         have; use scaling unit over rationals (or run in f64, dual or mpfr)",
        T::kind()
    ))
}

/// `√(‖a‖/‖b‖)` from the squared norms `a2 = ‖a‖²`, `b2 = ‖b‖²`; 1 where either is 0 (the
/// variance-minimising scalars of UORO and KF-RTRL). Fails over a kind without square roots.
pub(super) fn root_ratio<T: Real>(a2: &T, b2: &T) -> Result<T> {
    if a2.is_zero() || b2.is_zero() {
        return Ok(T::one());
    }
    let root = |x: &T| x.try_sqrt().ok_or_else(|| no_roots::<T>("UORO / KF-RTRL"));
    root(&(root(a2)? / root(b2)?))
}

/// The shared recursion; `scalars` maps the step's norms to (ρ₀, ρ₁).
fn run<T: Real>(
    net: &Rnn<T>,
    xs: &[DVector<T>],
    targets: &[DVector<T>],
    loss: Loss,
    draws: &[DVector<T>],
    mut scalars: impl FnMut(&Norms<T>) -> Result<(T, T)>,
) -> Result<Update<T>> {
    let (o, n, d) = (net.o(), net.n(), net.d());
    let horizon = xs.len();
    check_signs("UORO", n, horizon, draws)?;
    let (traj, c) = forward_and_weight("UORO", net, xs, targets, loss)?;
    let alpha = net.alpha().clone();
    let drop_inv_rho0 = faults::active(Fault::UoroMissingInvRho0);
    let p = n * n + n * d;
    let mut u = DVector::<T>::zeros(n);
    let mut v = DVector::<T>::zeros(p);
    let mut grad = DVector::<T>::zeros(p);
    let mut da = DMatrix::<T>::zeros(o, n);
    for t in 1..=horizon {
        let gain = &traj.dphi[t - 1] * alpha.clone();
        // J_t ũ_{t−1} = (1 − α) ũ + diag(gain) W ũ
        let wu = net.w() * &u;
        let ju = DVector::from_fn(n, |i, _| {
            (T::one() - alpha.clone()) * u[i].clone() + gain[i].clone() * wu[i].clone()
        });
        // I_tᵀ ν_t: entry (i, j) of the W block is gain_i ν_i h_{t−1, j}; of the B block with x_{t−1}.
        let nu = &draws[t - 1];
        let (h, x) = (&traj.h[t - 1], &xs[t - 1]);
        let mut inu = DVector::<T>::zeros(p);
        for i in 0..n {
            let g = gain[i].clone() * nu[i].clone();
            for j in 0..n {
                inu[i * n + j] = g.clone() * h[j].clone();
            }
            for j in 0..d {
                inu[n * n + i * d + j] = g.clone() * x[j].clone();
            }
        }
        let norms = Norms {
            ju: ju.dot(&ju),
            v: v.dot(&v),
            inu: inu.dot(&inu),
            nu: nu.dot(nu),
        };
        let (rho0, rho1) = scalars(&norms)?;
        u = ju * rho0.clone() + nu * rho1.clone();
        if !drop_inv_rho0 {
            v /= rho0;
        }
        v += inu / rho1;
        let in_loss = loss == Loss::Sequence || t == horizon;
        if in_loss {
            let eps = (&traj.y[t - 1] - &targets[t - 1]) * c.clone();
            da += &eps * traj.h[t].transpose();
            // ṽ (ũᵀ Aᵀ c ε)
            let s = (net.a() * &u).dot(&eps);
            grad += &v * s;
        }
    }
    let g = grad.as_slice();
    Ok(Update {
        a: da,
        w: DMatrix::from_fn(n, n, |i, j| g[i * n + j].clone()),
        b: DMatrix::from_fn(n, d, |i, j| g[n * n + i * d + j].clone()),
    })
}

/// Checks that `draws` holds one ±1 vector of length `len` per step (`who` names the estimator).
pub(super) fn check_signs<T: Real>(
    who: &str,
    len: usize,
    horizon: usize,
    draws: &[DVector<T>],
) -> Result<()> {
    let ok = draws.len() == horizon
        && draws.iter().all(|nu| {
            nu.len() == len
                && nu
                    .iter()
                    .all(|x| x.clone() == T::one() || x.clone() == -T::one())
        });
    if ok {
        Ok(())
    } else {
        Err(LroError::InvalidParameter {
            name: format!("{who} draws"),
            reason: format!(
                "need one sign vector in {{±1}}^{len} per step ({horizon} steps), got {} vectors",
                draws.len()
            ),
        })
    }
}

/// The forward pass of one sample after checking its targets, and the loss weight `c_t` (1 for the
/// final-step loss, 1/T for the sequence loss), shared by the RTRL estimators.
pub(super) fn forward_and_weight<T: Real>(
    who: &str,
    net: &Rnn<T>,
    xs: &[DVector<T>],
    targets: &[DVector<T>],
    loss: Loss,
) -> Result<(crate::rnn::Trajectory<T>, T)> {
    let (o, horizon) = (net.o(), xs.len());
    let traj = net.forward(xs)?;
    if targets.len() != horizon || targets.iter().any(|y| y.len() != o) {
        return Err(LroError::ShapeMismatch {
            context: format!("{who} targets"),
            detail: format!("need {horizon} targets of length o = {o}"),
        });
    }
    let c = match loss {
        Loss::Final => T::one(),
        Loss::Sequence => T::one() / T::from_i64(horizon as i64),
    };
    Ok((traj, c))
}

/// Every draw sequence `(ν_1 … ν_T)`, `ν_t ∈ {±1}ⁿ`, in a fixed order (`2^{nT}` of them); fails
/// beyond `max_bits` = n·T (the enumeration doubles with every bit).
pub fn all_draws<T: Real>(n: usize, horizon: usize, max_bits: u32) -> Result<Vec<Vec<DVector<T>>>> {
    let bits = n * horizon;
    if bits as u32 > max_bits {
        return Err(LroError::InvalidParameter {
            name: "UORO enumeration".into(),
            reason: format!(
                "n·T = {bits} sign bits exceed the limit {max_bits} (2^{bits} draws); use a smaller \
                 n or T"
            ),
        });
    }
    Ok((0u64..1 << bits)
        .map(|code| {
            (0..horizon)
                .map(|t| {
                    DVector::from_fn(n, |i, _| {
                        if code >> (t * n + i) & 1 == 1 {
                            -T::one()
                        } else {
                            T::one()
                        }
                    })
                })
                .collect()
        })
        .collect())
}

/// `max |a − b| / max |b|` over the three blocks, with the difference taken in `T` (so a 256-bit
/// MPFR comparison resolves far below f64 rounding); `floor` guards a zero `b`.
pub fn rel_error_in<T: Real>(a: &Update<T>, b: &Update<T>, floor: f64) -> f64 {
    let mut d = a.clone();
    d.add_scaled(b, -T::one());
    let worst = |u: &Update<T>| {
        crate::linalg::max_abs(&u.a)
            .max(crate::linalg::max_abs(&u.w))
            .max(crate::linalg::max_abs(&u.b))
    };
    worst(&d) / (worst(b) + floor)
}

/// The exact expectation of an estimator over all draws: the average of `f(draws)` over
/// [`all_draws`].
pub fn expectation<T: Real>(
    n: usize,
    horizon: usize,
    max_bits: u32,
    mut f: impl FnMut(&[DVector<T>]) -> Result<Update<T>>,
) -> Result<Update<T>> {
    let draws = all_draws::<T>(n, horizon, max_bits)?;
    let count = T::from_i64(draws.len() as i64);
    let mut acc: Option<Update<T>> = None;
    for d in &draws {
        let up = f(d)?;
        match acc.as_mut() {
            Some(a) => a.add_scaled(&up, T::one()),
            None => acc = Some(up),
        }
    }
    let mut mean = acc.ok_or_else(|| LroError::InvalidParameter {
        name: "UORO enumeration".into(),
        reason: "no draws".into(),
    })?;
    let inv = T::one() / count;
    mean.a *= inv.clone();
    mean.w *= inv.clone();
    mean.b *= inv;
    Ok(mean)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Rule, online};
    use crate::scalar::Rational;

    fn net() -> (
        Rnn<Rational>,
        Vec<DVector<Rational>>,
        Vec<DVector<Rational>>,
    ) {
        let q = Rational::ratio;
        let a = DMatrix::from_row_slice(1, 2, &[q(1, 2), q(-1, 1)]);
        let w = DMatrix::from_row_slice(2, 2, &[q(1, 4), q(-1, 2), q(1, 3), q(1, 8)]);
        let b = DMatrix::from_row_slice(2, 1, &[q(1, 1), q(-1, 2)]);
        let net = Rnn::new(a, w, b).unwrap().with_leak(q(1, 2)).unwrap();
        let xs = vec![
            DVector::from_element(1, q(1, 1)),
            DVector::from_element(1, q(-1, 1)),
            DVector::from_element(1, q(1, 2)),
        ];
        let ys = vec![DVector::from_element(1, q(1, 3)); 3];
        (net, xs, ys)
    }

    /// Over Q, the average over all 2^{nT} draws equals RTRL's update exactly; one draw does not.
    #[test]
    fn unit_uoro_is_unbiased_over_q() {
        let (net, xs, ys) = net();
        for loss in [Loss::Final, Loss::Sequence] {
            let rtrl = online::update(&Rule::Rtrl, &net, &xs, &ys, loss).unwrap();
            let mean = expectation(2, 3, 12, |d| update_unit(&net, &xs, &ys, loss, d)).unwrap();
            assert_eq!(mean, rtrl, "{loss:?}");
            let one = update_unit(&net, &xs, &ys, loss, &all_draws(2, 3, 12).unwrap()[5]).unwrap();
            assert_ne!(one, rtrl);
        }
    }

    #[test]
    fn bad_draws_are_refused() {
        let (net, xs, ys) = net();
        let q = Rational::ratio;
        let short = vec![DVector::from_element(2, q(1, 1)); 2];
        assert!(update_unit(&net, &xs, &ys, Loss::Final, &short).is_err());
        let not_sign = vec![DVector::from_element(2, q(1, 2)); 3];
        assert!(update_unit(&net, &xs, &ys, Loss::Final, &not_sign).is_err());
        assert!(all_draws::<Rational>(4, 8, 20).is_err());
    }
}

#[cfg(test)]
mod mpfr_tests {
    use super::*;
    use crate::rnn::Activation;
    use crate::rules::{Rule, online};
    use crate::scalar::{Mpfr, with_precision};
    use crate::tolerances::STOCHASTIC_BIAS_MIN;
    use crate::tolerances::ZERO_GUARD_MPFR;

    /// The variance-minimising form in 256-bit MPFR on a leaky tanh network: the mean over all
    /// draws equals RTRL to rounding, and without the 1/ρ₀ it is biased at O(1).
    #[test]
    fn variance_min_is_unbiased_and_needs_inv_rho0() {
        with_precision(256, || {
            let q = Mpfr::ratio;
            let a = DMatrix::from_row_slice(1, 2, &[q(1, 2), q(-1, 1)]);
            let w = DMatrix::from_row_slice(2, 2, &[q(1, 4), q(-1, 2), q(1, 3), q(1, 8)]);
            let b = DMatrix::from_row_slice(2, 1, &[q(1, 1), q(-1, 2)]);
            let net = Rnn::new(a, w, b)
                .unwrap()
                .with_leak(q(1, 2))
                .unwrap()
                .with_activation(Activation::Tanh);
            let xs: Vec<_> = [1, -1, 1]
                .iter()
                .map(|&x| DVector::from_element(1, q(x, 1)))
                .collect();
            let ys = vec![DVector::from_element(1, q(1, 3)); 3];
            let rtrl = online::update(&Rule::Rtrl, &net, &xs, &ys, Loss::Final).unwrap();
            let mean = |fault: bool| {
                let f = || {
                    expectation(2, 3, 12, |d| {
                        update(&net, &xs, &ys, Loss::Final, d, Scaling::VarianceMin)
                    })
                    .unwrap()
                };
                if fault {
                    crate::faults::inject(Fault::UoroMissingInvRho0, f)
                } else {
                    f()
                }
            };
            let good = rel_error_in(&mean(false), &rtrl, ZERO_GUARD_MPFR);
            let bad = mean(true).rel_diff(&rtrl, ZERO_GUARD_MPFR);
            println!(
                "rel diff clean {good:e}, with the fault {bad:e}; ΔW {}",
                crate::linalg::to_f64(&rtrl.w)
            );
            assert!(good <= crate::tolerances::MPFR256_REL, "{good:e}");
            // A bias is an O(1) relative change (measured 0.31): 1e-3 separates it from rounding
            // (1e-76) by more than 70 orders of magnitude.
            assert!(bad > STOCHASTIC_BIAS_MIN, "{bad:e}");
            // one draw alone is not RTRL (an O(1) difference, same threshold)
            let one = update(
                &net,
                &xs,
                &ys,
                Loss::Final,
                &all_draws(2, 3, 12).unwrap()[3],
                Scaling::VarianceMin,
            )
            .unwrap();
            assert!(one.rel_diff(&rtrl, ZERO_GUARD_MPFR) > STOCHASTIC_BIAS_MIN);
        })
        .unwrap();
    }
}
