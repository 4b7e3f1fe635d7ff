//! Reverse KF-RTRL (Marschall, Cho & Savin 2020, `[standard]` for the algorithm;
//! `docs/theory/linear-rnn.md#reverse-kf-rtrl`): KF-RTRL's Kronecker factorisation of RTRL's
//! influence matrix taken in the other order.
//!
//! What was read: the framework's `learning_algorithms/Reverse_KF_RTRL.py` (omarschall/vanilla-rtrl)
//! keeps `M[k, (i, j)] ≈ A_i B[k, j]` with a vector `A` over the postsynaptic unit i and a matrix `B`
//! (n × m) over (state unit k, presynaptic index j), and per step, with a zero-mean draw `ν ∈ ℝⁿ`,
//! `A ← p0 A + p1 ν`, `B ← J B / p0 + (1/p1) Σ_i ν_i M_immediate[:, i, :]`,
//! `p0 = √(‖J B‖/‖A‖)`, `p1 = √(‖ν-projection of M_immediate‖/√n)`, and the gradient
//! `ΔW_ij = A_i (qᵀ B)_j`. What is derived here (not in that file): the unbiasedness argument below,
//! and lro's index conventions (pre = `[h_{t−1}; x_{t−1}]`, no bias column; `√n = ‖ν‖` for sign
//! vectors).
//!
//! In lro's terms: RTRL's immediate influence is `I_t[k, (i, j)] = δ_ki g_i pre_j`,
//! `g = α φ′(u_t)`, so `Σ_i ν_i I_t[k, i, j] = ν_k g_k pre_j`. With `a_t` (length n) and `B_t`
//! (n × (n + d)) and a sign vector `ν_t ∈ {±1}ⁿ`:
//!
//! `a_t = ρ₀ a_{t−1} + ρ₁ ν_t`,  `B_t = J_t B_{t−1}/ρ₀ + (ν_t ⊙ g) pre_tᵀ/ρ₁`,
//!
//! so `a_t[i] B_t[k, j] = a_{t−1}[i](J_t B_{t−1})[k, j] + ν_i ν_k g_k pre_j + (terms odd in ν_t)`,
//! and with `E[ν_i ν_k] = δ_ik` the expectation follows RTRL's `M_t = J_t M_{t−1} + I_t`. The gradient
//! of a loss at step t is `ΔW_ij = a_t[i] (B_tᵀ Aᵀ c_t ε_t)_j` (columns n.. of B for ΔB). Scalings as
//! in [`super::uoro::Scaling`]: ρ₀ = ρ₁ = 1 (every number kind, exact over Q) or the
//! variance-minimising `ρ₀ = √(‖J_t B_{t−1}‖/‖a_{t−1}‖)`, `ρ₁ = √(‖(ν ⊙ g) preᵀ‖/‖ν‖)` (1 where a
//! norm is 0; for sign vectors ρ₁ does not depend on ν).
use super::uoro::{Scaling, check_signs, forward_and_weight, root_ratio};
use super::{Loss, Update};
use crate::error::Result;
use crate::faults::{self, Fault};
use crate::rnn::Rnn;
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};

/// Reverse KF-RTRL's update with ρ₀ = ρ₁ = 1 for the sign vectors `draws` (one ±1 vector of
/// length n per step).
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

/// Reverse KF-RTRL's update with the given [`Scaling`]; the variance-minimising scaling needs
/// square roots and fails over exact rationals.
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
            super::uoro::needs_roots::<T>("reverse KF-RTRL")?;
            run(net, xs, targets, loss, draws, |jb, a, proj, nu| {
                Ok((root_ratio(&jb, &a)?, root_ratio(&proj, &nu)?))
            })
        }
    }
}

/// The shared recursion; `scalars(‖JB‖², ‖a‖², ‖(ν⊙g) preᵀ‖², ‖ν‖²)` gives (ρ₀, ρ₁).
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
    check_signs("reverse KF-RTRL", n, horizon, draws)?;
    let (traj, c) = forward_and_weight("reverse KF-RTRL", net, xs, targets, loss)?;
    let drop_inv = faults::active(Fault::RkfMissingInvRho);
    let alpha = net.alpha().clone();
    let mut a = DVector::<T>::zeros(n);
    let mut b = DMatrix::<T>::zeros(n, n + d);
    let (mut dw, mut db) = (DMatrix::<T>::zeros(n, n), DMatrix::<T>::zeros(n, d));
    let mut da = DMatrix::<T>::zeros(o, n);
    for t in 1..=horizon {
        let gain = &traj.dphi[t - 1] * alpha.clone();
        let mut jac = DMatrix::from_fn(n, n, |r, l| gain[r].clone() * net.w()[(r, l)].clone());
        for r in 0..n {
            jac[(r, r)] += T::one() - alpha.clone();
        }
        let jb = &jac * &b;
        let pre =
            DVector::from_iterator(n + d, traj.h[t - 1].iter().chain(xs[t - 1].iter()).cloned());
        let nu = &draws[t - 1];
        let nu_g = nu.component_mul(&gain);
        // ‖(ν ⊙ g) preᵀ‖² = ‖ν ⊙ g‖² ‖pre‖².
        let proj = nu_g.dot(&nu_g) * pre.dot(&pre);
        let (rho0, rho1) = scalars(jb.dot(&jb), a.dot(&a), proj, nu.dot(nu))?;
        a = &a * rho0.clone() + nu * rho1.clone();
        // Fault site (RkfMissingInvRho): B's two terms are not divided by ρ₀ and ρ₁.
        let (s0, s1) = if drop_inv {
            (T::one(), T::one())
        } else {
            (T::one() / rho0, T::one() / rho1)
        };
        b = jb * s0 + (nu_g * s1) * pre.transpose();
        if loss == Loss::Sequence || t == horizon {
            let eps = (&traj.y[t - 1] - &targets[t - 1]) * c.clone();
            da += &eps * traj.h[t].transpose();
            // qᵀ B with q = Aᵀ c ε: one row over [h; x].
            let qb = b.tr_mul(&(net.a().transpose() * &eps));
            dw += &a * qb.rows(0, n).transpose();
            db += &a * qb.rows(n, d).transpose();
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
    use crate::rnn::Activation;
    use crate::rules::uoro::{all_draws, expectation, rel_error_in};
    use crate::rules::{Rule, online};
    use crate::scalar::{Mpfr, Rational, with_precision};
    use crate::tolerances::STOCHASTIC_BIAS_MIN;
    use crate::tolerances::ZERO_GUARD_MPFR;

    fn net<T: Real>() -> (Rnn<T>, Vec<DVector<T>>, Vec<DVector<T>>) {
        let q = T::ratio;
        let a = DMatrix::from_row_slice(1, 2, &[q(1, 2), q(-1, 1)]);
        let w = DMatrix::from_row_slice(2, 2, &[q(1, 4), q(-1, 2), q(1, 3), q(1, 8)]);
        let b = DMatrix::from_row_slice(2, 1, &[q(1, 1), q(-1, 2)]);
        let net = Rnn::new(a, w, b).unwrap().with_leak(q(1, 2)).unwrap();
        let xs: Vec<_> = [1, -1, 2]
            .iter()
            .map(|&x| DVector::from_element(1, q(x, 2)))
            .collect();
        let ys = vec![DVector::from_element(1, q(1, 3)); 3];
        (net, xs, ys)
    }

    /// Over Q the average over all 2^{nT} sign vectors equals RTRL's update; one draw does not.
    #[test]
    fn unit_reverse_kf_is_unbiased_over_q() {
        let (net, xs, ys) = net::<Rational>();
        for loss in [Loss::Final, Loss::Sequence] {
            let rtrl = online::update(&Rule::Rtrl, &net, &xs, &ys, loss).unwrap();
            let mean = expectation(2, 3, 12, |dr| update_unit(&net, &xs, &ys, loss, dr)).unwrap();
            assert_eq!(mean, rtrl, "{loss:?}");
            let one = update_unit(&net, &xs, &ys, loss, &all_draws(2, 3, 12).unwrap()[6]).unwrap();
            assert_ne!(one, rtrl);
        }
        // Sign vectors of length 3 do not fit n = 2.
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

    /// Variance-minimising form, 256-bit MPFR, leaky tanh: unbiased to rounding, and biased at O(1)
    /// without the 1/ρ factors.
    #[test]
    fn variance_min_is_unbiased_and_needs_inv_rho() {
        with_precision(256, || {
            let (net, xs, ys) = net::<Mpfr>();
            let net = net.with_activation(Activation::Tanh);
            let rtrl = online::update(&Rule::Rtrl, &net, &xs, &ys, Loss::Final).unwrap();
            let mean = || {
                expectation(2, 3, 12, |d| {
                    update(&net, &xs, &ys, Loss::Final, d, Scaling::VarianceMin)
                })
                .unwrap()
            };
            let good = rel_error_in(&mean(), &rtrl, ZERO_GUARD_MPFR);
            let bad = crate::faults::inject(Fault::RkfMissingInvRho, mean)
                .rel_diff(&rtrl, ZERO_GUARD_MPFR);
            println!("rel diff clean {good:e}, with the fault {bad:e}");
            assert!(good <= crate::tolerances::MPFR256_REL, "{good:e}");
            // A bias is an O(1) relative change; 1e-3 is far above 256-bit rounding (1e-70).
            assert!(bad > STOCHASTIC_BIAS_MIN, "{bad:e}");
        })
        .unwrap();
    }
}
