//! KeRNL (Roth, Kanitscheider & Fiete 2019, `[standard]` for the algorithm;
//! `docs/theory/linear-rnn.md#kernl`): RTRL's influence matrix approximated by a sensitivity matrix
//! β (n × n) times per-synapse eligibility traces with learned per-unit decays γ.
//!
//! What was read: the paper's full text was not available; the form implemented is the one in
//! Marschall, Cho & Savin's framework (omarschall/vanilla-rtrl, `learning_algorithms/KeRNL.py`),
//! which keeps `M[k, (i, j)] ≈ A_ki B_ij` and updates, per step,
//! `B_ij ← max(0, 1 − α_i) B_ij + α φ′(h)_i â_j` (its `A` is β here, its per-unit `α_i` is γ),
//! with the gradient `ΔW_ij = (qᵀ A)_i B_ij`. In lro's terms, with `pre_t = [h_{t−1}; x_{t−1}]`
//! and `κ_i = max(0, 1 − γ_i)`:
//!
//! `e_t[i, j] = κ_i e_{t−1}[i, j] + α φ′(u_t)_i pre_t[j]`,  `ΔW_ij += (βᵀ Aᵀ c_t ε_t)_i e_t[i, j]`
//!
//! at each loss step (columns n.. of e for ΔB). The readout update ΔA is exact, as for every rule.
//!
//! Two forms:
//! - [`update`]: β and γ frozen (given);
//! - [`update_learned`]: β and γ learned during the sequence from a perturbed copy of the network,
//!   as the framework does: the copy runs beside the network with a perturbation `ζ_t` added to its
//!   state at every step (the noise is an explicit input), and with
//!   `Ω_t = κ ⊙ Ω_{t−1} + ζ_t`, `Γ_t = κ ⊙ Γ_{t−1} − Ω_{t−1}` (so `Γ = ∂Ω/∂γ`) and the prediction
//!   error `r_t = β Ω_t − (h̃_t − h_t)`, one SGD step on `½‖r_t‖²`:
//!   `β ← β − η_β r_t Ω_tᵀ`, `γ ← γ − η_γ (βᵀ r_t) ⊙ Γ_t` (both gradients at the old β). The
//!   weight gradient of step t then uses the updated β. Plain SGD is `[assumed]` (the framework
//!   takes any optimiser). One ordering differs from the framework as read: there the observed
//!   difference is taken before the newest perturbation ζ_t is added to the copy while Ω_t already
//!   contains it; here `h̃_t` includes ζ_t, so that prediction and observation contain the same
//!   draws (`[derived]`; with β = I, γ = α and W = 0 in a linear network the prediction is then
//!   exact, a fixed point of the learning, which the tests check).
use super::uoro::forward_and_weight;
use super::{Loss, Update};
use crate::error::{LroError, Result};
use crate::faults::{self, Fault};
use crate::linalg;
use crate::rnn::Rnn;
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};

/// KeRNL's sensitivity matrix β (n × n) and per-unit decay rates γ (length n).
#[derive(Clone, Debug, PartialEq)]
pub struct Kernel<T: Real> {
    /// β: `β_ki` approximates the sensitivity of unit k to a perturbation of unit i.
    pub beta: DMatrix<T>,
    /// γ: unit i's trace decays by `max(0, 1 − γ_i)` per step.
    pub gamma: DVector<T>,
}

impl<T: Real> Kernel<T> {
    /// β = I and every γ_i = `gamma` (the form that equals RFLO with ŵ = 1 − γ and R = A).
    pub fn identity(n: usize, gamma: T) -> Self {
        Kernel {
            beta: DMatrix::identity(n, n),
            gamma: DVector::from_element(n, gamma),
        }
    }

    fn check(&self, n: usize) -> Result<()> {
        if self.beta.shape() != (n, n) || self.gamma.len() != n {
            return Err(LroError::ShapeMismatch {
                context: "KeRNL β, γ".into(),
                detail: format!(
                    "β must be n×n and γ of length n = {n}, got β {}×{} and γ of length {}",
                    self.beta.nrows(),
                    self.beta.ncols(),
                    self.gamma.len()
                ),
            });
        }
        if !linalg::all_finite(&self.beta) || self.gamma.iter().any(|g| !g.is_finite()) {
            return Err(LroError::NotFinite {
                name: "KeRNL β or γ".into(),
            });
        }
        Ok(())
    }

    /// `κ_i = max(0, 1 − γ_i)` (the order decision made in f64).
    fn decay(&self) -> DVector<T> {
        self.gamma.map(|g| {
            let k = T::one() - g;
            if k.to_f64() < 0.0 { T::zero() } else { k }
        })
    }
}

/// The learning rates of [`update_learned`] (plain SGD steps on the perturbation-prediction loss).
#[derive(Clone, Debug, PartialEq)]
pub struct Rates<T: Real> {
    /// Step size for β.
    pub beta: T,
    /// Step size for γ.
    pub gamma: T,
}

/// KeRNL's update for one sample with β and γ frozen.
pub fn update<T: Real>(
    net: &Rnn<T>,
    xs: &[DVector<T>],
    targets: &[DVector<T>],
    loss: Loss,
    kernel: &Kernel<T>,
) -> Result<Update<T>> {
    kernel.check(net.n())?;
    let mut k = kernel.clone();
    run(net, xs, targets, loss, &mut k, None)
}

/// KeRNL's update for one sample with β and γ learned along the sequence from `start`, with the
/// perturbations `noise[t − 1] = ζ_t` (one n-vector per step) and SGD step sizes `rates`. Returns
/// the update and the learned β, γ after the last step.
pub fn update_learned<T: Real>(
    net: &Rnn<T>,
    xs: &[DVector<T>],
    targets: &[DVector<T>],
    loss: Loss,
    start: &Kernel<T>,
    noise: &[DVector<T>],
    rates: &Rates<T>,
) -> Result<(Update<T>, Kernel<T>)> {
    let n = net.n();
    start.check(n)?;
    if noise.len() != xs.len() || noise.iter().any(|z| z.len() != n) {
        return Err(LroError::ShapeMismatch {
            context: "KeRNL perturbations".into(),
            detail: format!(
                "need one perturbation of length n = {n} per step ({} steps), got {} vectors",
                xs.len(),
                noise.len()
            ),
        });
    }
    if !rates.beta.is_finite() || !rates.gamma.is_finite() {
        return Err(LroError::NotFinite {
            name: "KeRNL learning rates".into(),
        });
    }
    let mut k = start.clone();
    let up = run(net, xs, targets, loss, &mut k, Some((noise, rates)))?;
    Ok((up, k))
}

/// The shared recursion; with `learn`, β and γ are updated in place at every step.
fn run<T: Real>(
    net: &Rnn<T>,
    xs: &[DVector<T>],
    targets: &[DVector<T>],
    loss: Loss,
    kernel: &mut Kernel<T>,
    learn: Option<(&[DVector<T>], &Rates<T>)>,
) -> Result<Update<T>> {
    let (o, n, d) = (net.o(), net.n(), net.d());
    let horizon = xs.len();
    let (traj, c) = forward_and_weight("KeRNL", net, xs, targets, loss)?;
    let transposed = faults::active(Fault::KernlBetaTransposed);
    let alpha = net.alpha().clone();
    let mut e = DMatrix::<T>::zeros(n, n + d);
    let (mut dw, mut db) = (DMatrix::<T>::zeros(n, n), DMatrix::<T>::zeros(n, d));
    let mut da = DMatrix::<T>::zeros(o, n);
    // The perturbed copy's state h̃ and the filtered perturbations Ω, Γ.
    let (mut h_pert, mut omega, mut big_gamma) = (
        DVector::<T>::zeros(n),
        DVector::<T>::zeros(n),
        DVector::<T>::zeros(n),
    );
    for t in 1..=horizon {
        let kappa = kernel.decay();
        let gain = &traj.dphi[t - 1] * alpha.clone();
        let pre =
            DVector::from_iterator(n + d, traj.h[t - 1].iter().chain(xs[t - 1].iter()).cloned());
        // Column by column: e is column-major, so the inner loop runs down contiguous memory.
        for j in 0..n + d {
            for i in 0..n {
                let x = &mut e[(i, j)];
                x.mul_by(&kappa[i]);
                x.add_mul(&gain[i], &pre[j]);
            }
        }
        if let Some((noise, rates)) = learn {
            // The perturbed copy: one step of the network from h̃_{t−1}, then + ζ_t.
            let u = net.w() * &h_pert + net.b() * &xs[t - 1];
            let mut next = &h_pert * (T::one() - alpha.clone());
            for i in 0..n {
                let (f, _) = net.activation().apply(&u[i])?;
                next[i] += alpha.clone() * f;
            }
            h_pert = next + &noise[t - 1];
            big_gamma = big_gamma.component_mul(&kappa) - &omega;
            omega = omega.component_mul(&kappa) + &noise[t - 1];
            let r = &kernel.beta * &omega - (&h_pert - &traj.h[t]);
            let grad_gamma = kernel.beta.tr_mul(&r).component_mul(&big_gamma);
            kernel.beta -= (&r * omega.transpose()) * rates.beta.clone();
            kernel.gamma -= grad_gamma * rates.gamma.clone();
        }
        if loss == Loss::Sequence || t == horizon {
            let eps = (&traj.y[t - 1] - &targets[t - 1]) * c.clone();
            da += &eps * traj.h[t].transpose();
            let q = net.a().transpose() * &eps;
            // Fault site (KernlBetaTransposed): β q where βᵀ q belongs.
            let sig = if transposed {
                &kernel.beta * &q
            } else {
                kernel.beta.tr_mul(&q)
            };
            for j in 0..n {
                for i in 0..n {
                    dw[(i, j)].add_mul(&sig[i], &e[(i, j)]);
                }
            }
            for j in 0..d {
                for i in 0..n {
                    db[(i, j)].add_mul(&sig[i], &e[(i, n + j)]);
                }
            }
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
    use crate::rules::{Rule, online};
    use crate::scalar::Rational;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Normal};

    fn net() -> (
        Rnn<Rational>,
        Vec<DVector<Rational>>,
        Vec<DVector<Rational>>,
    ) {
        let q = Rational::ratio;
        let a = DMatrix::from_row_slice(
            2,
            3,
            &[q(1, 2), q(-1, 1), q(1, 3), q(0, 1), q(1, 4), q(-1, 2)],
        );
        let w = DMatrix::from_row_slice(
            3,
            3,
            &[
                q(1, 4),
                q(-1, 2),
                q(0, 1),
                q(1, 3),
                q(1, 8),
                q(1, 2),
                q(-1, 4),
                q(0, 1),
                q(1, 5),
            ],
        );
        let b = DMatrix::from_row_slice(3, 1, &[q(1, 1), q(-1, 2), q(1, 3)]);
        let net = Rnn::new(a, w, b).unwrap().with_leak(q(1, 2)).unwrap();
        let xs: Vec<_> = [1, -1, 2, 1]
            .iter()
            .map(|&x| DVector::from_element(1, q(x, 2)))
            .collect();
        let ys = vec![DVector::from_fn(2, |i, _| q(i as i64 + 1, 3)); 4];
        (net, xs, ys)
    }

    /// β = I, γ = α: RFLO with R = A and ŵ = 1 − α; a non-symmetric β with uniform γ: RFLO with
    /// R = Aβ, and the transposed-β fault breaks it.
    #[test]
    fn frozen_kernl_is_rflo_over_q() {
        let (net, xs, ys) = net();
        let q = Rational::ratio;
        for loss in [Loss::Final, Loss::Sequence] {
            let k = Kernel::identity(3, q(1, 2));
            let rflo = Rule::Rflo {
                feedback: net.a().clone(),
                w_hat: q(1, 2),
            };
            let want = online::update(&rflo, &net, &xs, &ys, loss).unwrap();
            assert_eq!(update(&net, &xs, &ys, loss, &k).unwrap(), want);
            let beta = DMatrix::from_fn(3, 3, |r, c| q((r * 3 + c * 5) as i64 % 7 - 3, 4));
            let k = Kernel {
                beta: beta.clone(),
                gamma: DVector::from_element(3, q(1, 3)),
            };
            let rflo = Rule::Rflo {
                feedback: net.a() * &beta,
                w_hat: q(2, 3),
            };
            let want = online::update(&rflo, &net, &xs, &ys, loss).unwrap();
            assert_eq!(update(&net, &xs, &ys, loss, &k).unwrap(), want);
            let bad = faults::inject(Fault::KernlBetaTransposed, || {
                update(&net, &xs, &ys, loss, &k).unwrap()
            });
            assert_ne!(bad, want);
        }
        let wrong = Kernel::identity(2, q(1, 2));
        assert!(update(&net, &xs, &ys, Loss::Final, &wrong).is_err());
    }

    /// With zero step sizes the learned form is the frozen one; with W = 0 in a linear network,
    /// β = I and γ = α predict the perturbations exactly, so they do not move.
    #[test]
    fn learned_kernl_fixed_points_over_q() {
        let (net, xs, ys) = net();
        let q = Rational::ratio;
        let noise: Vec<_> = (0..4)
            .map(|t| DVector::from_fn(3, |i, _| q((t * 3 + i) as i64 % 5 - 2, 8)))
            .collect();
        let k0 = Kernel {
            beta: DMatrix::from_fn(3, 3, |r, c| {
                q(i64::from(r == c) * 2 + (r + c) as i64 % 2, 2)
            }),
            gamma: DVector::from_fn(3, |i, _| q(i as i64 + 1, 5)),
        };
        let zero = Rates {
            beta: q(0, 1),
            gamma: q(0, 1),
        };
        let (up, k) = update_learned(&net, &xs, &ys, Loss::Sequence, &k0, &noise, &zero).unwrap();
        assert_eq!(up, update(&net, &xs, &ys, Loss::Sequence, &k0).unwrap());
        assert_eq!(k, k0);
        let rates = Rates {
            beta: q(1, 2),
            gamma: q(1, 2),
        };
        let (_, moved) =
            update_learned(&net, &xs, &ys, Loss::Sequence, &k0, &noise, &rates).unwrap();
        assert_ne!(moved, k0);
        let free = net
            .with_params(net.a().clone(), DMatrix::zeros(3, 3), net.b().clone())
            .unwrap();
        let k = Kernel::identity(3, q(1, 2));
        let (_, after) = update_learned(&free, &xs, &ys, Loss::Final, &k, &noise, &rates).unwrap();
        assert_eq!(after, k);
        assert!(update_learned(&net, &xs, &ys, Loss::Final, &k, &noise[..3], &rates).is_err());
    }

    /// f64, W = 0, leak ½: starting from γ = 0.2, the learned decay rates move towards α = ½ (the
    /// γ gradient has the right sign), and β stays near I.
    #[test]
    fn learned_gamma_approaches_the_leak() {
        let n = 3;
        let horizon = 400;
        let a = DMatrix::from_element(1, n, 1.0);
        let net = Rnn::new(a, DMatrix::zeros(n, n), DMatrix::from_element(n, 1, 0.5))
            .unwrap()
            .with_leak(0.5)
            .unwrap();
        let xs = vec![DVector::from_element(1, 1.0); horizon];
        let ys = vec![DVector::from_element(1, 0.0); horizon];
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let normal = Normal::new(0.0, 1.0).unwrap();
        let noise: Vec<_> = (0..horizon)
            .map(|_| DVector::from_fn(n, |_, _| normal.sample(&mut rng)))
            .collect();
        let start = Kernel::identity(n, 0.2);
        let rates = Rates {
            beta: 0.0,
            gamma: 0.01,
        };
        let (_, k) = update_learned(&net, &xs, &ys, Loss::Final, &start, &noise, &rates).unwrap();
        for g in k.gamma.iter() {
            // From a distance 0.3 to within 0.1 of α: a sign error would move γ away from ½.
            assert!((g - 0.5).abs() < 0.1, "γ = {}", k.gamma);
        }
    }
}
