//! KF-RTRL (Mujika, Meier & Steger 2018, `[standard]`; `docs/theory/linear-rnn.md#kf-rtrl`): an
//! unbiased Kronecker-factored estimate of RTRL's influence matrix.
//!
//! RTRL's immediate influence of the parameters feeding unit i (W_ij with `pre = h_{t−1}`, B_ij with
//! `pre = x_{t−1}`) is `I_t[k, (i, j)] = δ_ki g_i pre_j`, `g = α φ′(u_t)`: a Kronecker product
//! `D_t ⊗ preᵀ` with `D_t = diag(g)`. KF-RTRL keeps `M_t ≈ K_t ⊗ v_tᵀ` (`K_t` n × n, `v_t` of length
//! n + d over `[h; x]`) and, with two independent signs `c₁, c₂ ∈ {±1}` per step,
//!
//! `v_t = c₁ ρ₁ v_{t−1} + c₂ ρ₂ pre_t`,  `K_t = c₁ J_t K_{t−1}/ρ₁ + c₂ D_t/ρ₂`,
//!
//! `pre_t = [h_{t−1}; x_{t−1}]`. Then `K_t ⊗ v_tᵀ = J_t K_{t−1} ⊗ v_{t−1}ᵀ + D_t ⊗ pre_tᵀ + c₁c₂(…)`,
//! and `E[c₁c₂] = 0`, so `E[K_t ⊗ v_tᵀ] = J_t E[K_{t−1} ⊗ v_{t−1}ᵀ] + I_t`: RTRL's recursion. The
//! gradient of a loss at step t is `ΔW_ij = (K_tᵀ Aᵀ c_t ε_t)_i v_t[j]` (and `v_t[n + j]` for B).
//! Scalings: ρ₁ = ρ₂ = 1 (any number kind, exact over Q) or the variance-minimising
//! `ρ₁ = √(‖J_t K_{t−1}‖/‖v_{t−1}‖)`, `ρ₂ = √(‖D_t‖/‖pre_t‖)` (1 where a norm is 0).
//!
//! The signs are an explicit input: `draws[t − 1] = (c₁, c₂)` as a vector of length 2.
use super::uoro::{Scaling, check_signs, forward_and_weight, root_ratio};
use super::{Loss, Update};
use crate::error::Result;
use crate::faults::{self, Fault};
use crate::rnn::Rnn;
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};

/// KF-RTRL's update with ρ₁ = ρ₂ = 1 for the sign pairs `draws` (one length-2 ±1 vector per step).
pub fn update_unit<T: Real>(
    net: &Rnn<T>,
    xs: &[DVector<T>],
    targets: &[DVector<T>],
    loss: Loss,
    draws: &[DVector<T>],
) -> Result<Update<T>> {
    run(net, xs, targets, loss, draws, |_, _, _, _| {
        Ok((T::one(), T::one()))
    })
}

/// KF-RTRL's update with the given [`Scaling`]; [`Scaling::VarianceMin`] needs square roots and
/// fails over exact rationals.
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
            super::uoro::needs_roots::<T>("KF-RTRL")?;
            run(net, xs, targets, loss, draws, |jk, v, d, pre| {
                Ok((root_ratio(&jk, &v)?, root_ratio(&d, &pre)?))
            })
        }
    }
}

/// The shared recursion; `scalars(‖JK‖², ‖v‖², ‖D‖², ‖pre‖²)` gives (ρ₁, ρ₂).
fn run<T: Real>(
    net: &Rnn<T>,
    xs: &[DVector<T>],
    targets: &[DVector<T>],
    loss: Loss,
    draws: &[DVector<T>],
    mut scalars: impl FnMut(T, T, T, T) -> Result<(T, T)>,
) -> Result<Update<T>> {
    let (o, n, d) = (net.o(), net.n(), net.d());
    let horizon = xs.len();
    check_signs("KF-RTRL", 2, horizon, draws)?;
    let (traj, c) = forward_and_weight("KF-RTRL", net, xs, targets, loss)?;
    let drop_inv = faults::active(Fault::KfMissingInvRho);
    let ignore_scaling = faults::active(Fault::KfIgnoresScaling);

    let alpha = net.alpha().clone();
    let mut k = DMatrix::<T>::zeros(n, n);
    let mut v = DVector::<T>::zeros(n + d);
    let (mut dw, mut db) = (DMatrix::<T>::zeros(n, n), DMatrix::<T>::zeros(n, d));
    let mut da = DMatrix::<T>::zeros(o, n);
    for t in 1..=horizon {
        let gain = &traj.dphi[t - 1] * alpha.clone();
        let mut jac = DMatrix::from_fn(n, n, |r, l| gain[r].clone() * net.w()[(r, l)].clone());
        for r in 0..n {
            jac[(r, r)] += T::one() - alpha.clone();
        }
        let jk = &jac * &k;
        let pre =
            DVector::from_iterator(n + d, traj.h[t - 1].iter().chain(xs[t - 1].iter()).cloned());
        // Fault site (KfIgnoresScaling): the requested scalars are dropped for ρ₁ = ρ₂ = 1.
        let (rho1, rho2) = if ignore_scaling {
            (T::one(), T::one())
        } else {
            scalars(jk.dot(&jk), v.dot(&v), gain.dot(&gain), pre.dot(&pre))?
        };
        let (c1, c2) = (draws[t - 1][0].clone(), draws[t - 1][1].clone());
        v = &v * (c1.clone() * rho1.clone()) + &pre * (c2.clone() * rho2.clone());
        let (s1, s2) = if drop_inv {
            (c1, c2)
        } else {
            (c1 / rho1, c2 / rho2)
        };
        k = jk * s1 + DMatrix::from_diagonal(&gain) * s2;
        if loss == Loss::Sequence || t == horizon {
            let eps = (&traj.y[t - 1] - &targets[t - 1]) * c.clone();
            da += &eps * traj.h[t].transpose();
            let left = k.transpose() * (net.a().transpose() * &eps);
            dw += &left * v.rows(0, n).transpose();
            db += &left * v.rows(n, d).transpose();
        }
    }
    Ok(Update {
        a: da,
        w: dw,
        b: db,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::uoro::{all_draws, expectation};
    use crate::rules::{Rule, online};
    use crate::scalar::Rational;

    /// Over Q the average over all 4^T sign pairs equals RTRL's update; one draw does not.
    #[test]
    fn unit_kf_rtrl_is_unbiased_over_q() {
        let q = Rational::ratio;
        let a = DMatrix::from_row_slice(1, 2, &[q(1, 2), q(-1, 1)]);
        let w = DMatrix::from_row_slice(2, 2, &[q(1, 4), q(-1, 2), q(1, 3), q(1, 8)]);
        let b = DMatrix::from_row_slice(2, 1, &[q(1, 1), q(-1, 2)]);
        let net = Rnn::new(a, w, b).unwrap().with_leak(q(1, 2)).unwrap();
        let xs: Vec<_> = [1, -1, 2]
            .iter()
            .map(|&x| DVector::from_element(1, q(x, 2)))
            .collect();
        let ys = vec![DVector::from_element(1, q(1, 3)); 3];
        for loss in [Loss::Final, Loss::Sequence] {
            let rtrl = online::update(&Rule::Rtrl, &net, &xs, &ys, loss).unwrap();
            let mean = expectation(2, 3, 12, |dr| update_unit(&net, &xs, &ys, loss, dr)).unwrap();
            assert_eq!(mean, rtrl, "{loss:?}");
            let one = update_unit(&net, &xs, &ys, loss, &all_draws(2, 3, 12).unwrap()[6]).unwrap();
            assert_ne!(one, rtrl);
        }
        assert!(
            update_unit(
                &net,
                &xs,
                &ys,
                Loss::Final,
                &all_draws(3, 3, 12).unwrap()[0]
            )
            .is_err()
        );
    }
}
