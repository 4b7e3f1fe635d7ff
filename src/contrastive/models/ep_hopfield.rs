//! Nonlinear equilibrium propagation on a continuous Hopfield-type network (Scellier & Bengio 2017;
//! `docs/theory/contrastive.md#ep`, `[standard]`), generic over [`RealFn`] so that the EP gradient theorem is checked with
//! dual numbers.
//!
//! `E(u) = ½Σu_i² − ½Σ_{i≠j} W_ij ρ(u_i)ρ(u_j) − Σ_i b_i ρ(u_i)` with `ρ = tanh` (smooth, so
//! Newton's method and dual numbers apply), `C(u) = ½‖u_out − y‖²` on the last `n_out` units,
//! `F = E + βC`. Parameters `θ = (W_ij for i < j, b_i)`; `∂E/∂W_ij = −ρ(u_i)ρ(u_j)`,
//! `∂E/∂b_i = −ρ(u_i)`. Equilibria: gradient flow `du/dt = −∂F/∂u` followed by Newton polishing.
use crate::contrastive::solve::solve;
use crate::error::{LroError, Result};
use crate::faults::{self, Fault};
use crate::scalar::RealFn;
use nalgebra::DMatrix;

/// The network: `n` units, the last `n_out` are outputs with target `y`.
#[derive(Clone, Debug, PartialEq)]
pub struct Hopfield {
    /// Number of units.
    pub n: usize,
    /// Number of output units (the last ones).
    pub n_out: usize,
    /// Targets of the output units.
    pub y: Vec<f64>,
}

/// Number of parameters of an n-unit network.
pub fn n_params(n: usize) -> usize {
    n * (n - 1) / 2 + n
}

impl Hopfield {
    fn w<T: RealFn>(&self, theta: &[T], i: usize, j: usize) -> T {
        let (i, j) = if i < j { (i, j) } else { (j, i) };
        theta[i * self.n - i * (i + 1) / 2 + (j - i - 1)].clone()
    }
    fn b<T: RealFn>(&self, theta: &[T], i: usize) -> T {
        theta[self.n * (self.n - 1) / 2 + i].clone()
    }
    fn is_out(&self, i: usize) -> bool {
        i >= self.n - self.n_out
    }

    /// `∂F/∂u` at state u.
    pub fn grad_u<T: RealFn>(&self, theta: &[T], u: &[T], beta: &T) -> Vec<T> {
        let r: Vec<T> = u.iter().map(|v| v.tanh()).collect();
        (0..self.n)
            .map(|i| {
                let mut drive = self.b(theta, i);
                for (j, rj) in r.iter().enumerate() {
                    if j != i {
                        drive += self.w(theta, i, j) * rj.clone();
                    }
                }
                let dr = T::one() - r[i].clone() * r[i].clone();
                let mut g = u[i].clone() - dr * drive;
                if self.is_out(i) {
                    let k = i - (self.n - self.n_out);
                    g += beta.clone() * (u[i].clone() - T::from_f64(self.y[k]));
                }
                g
            })
            .collect()
    }

    /// Hessian `∂²F/∂u²`.
    pub fn hessian<T: RealFn>(&self, theta: &[T], u: &[T], beta: &T) -> DMatrix<T> {
        let r: Vec<T> = u.iter().map(|v| v.tanh()).collect();
        let dr: Vec<T> = r.iter().map(|t| T::one() - t.clone() * t.clone()).collect();
        let mut h = DMatrix::<T>::zeros(self.n, self.n);
        for i in 0..self.n {
            let mut drive = self.b(theta, i);
            for j in 0..self.n {
                if j != i {
                    drive += self.w(theta, i, j) * r[j].clone();
                    h[(i, j)] = -(dr[i].clone() * self.w(theta, i, j) * dr[j].clone());
                }
            }
            // ρ'' = −2ρρ'.
            let ddr = -(T::from_i64(2) * r[i].clone() * dr[i].clone());
            let mut d = T::one() - ddr * drive;
            if self.is_out(i) {
                d += beta.clone();
            }
            h[(i, i)] = d;
        }
        h
    }

    /// Equilibrium `u^β`: `flow_steps` Euler steps of gradient flow with step `dt` from u = 0 (in
    /// f64), then Newton iterations in `T` until the step is below rounding (at most 50).
    pub fn equilibrium<T: RealFn>(
        &self,
        theta: &[T],
        beta: &T,
        dt: f64,
        flow_steps: usize,
    ) -> Result<Vec<T>> {
        let flipped;
        let beta = if faults::active(Fault::EpBetaSignFlip) {
            flipped = -beta.clone();
            &flipped
        } else {
            beta
        };
        let th64: Vec<f64> = theta.iter().map(|v| v.to_f64()).collect();
        let b64 = beta.to_f64();
        let mut u = vec![0.0; self.n];
        for _ in 0..flow_steps {
            let g = self.grad_u(&th64, &u, &b64);
            for (ui, gi) in u.iter_mut().zip(g) {
                *ui -= dt * gi;
            }
        }
        let mut ut: Vec<T> = u.iter().map(|v| T::from_f64(*v)).collect();
        for _ in 0..50 {
            let g = self.grad_u(theta, &ut, beta);
            let h = self.hessian(theta, &ut, beta);
            let step = solve(&h, &DMatrix::from_column_slice(self.n, 1, &g))?;
            let mut small = true;
            for (ui, si) in ut.iter_mut().zip(step.iter()) {
                if si.to_f64().abs() > 1e-15 * (1.0 + ui.to_f64().abs()) {
                    small = false;
                }
                *ui -= si.clone();
            }
            if small {
                break;
            }
        }
        if !ut.iter().all(|v| v.is_finite()) {
            return Err(LroError::Unsupported(
                "equilibrium diverged; use smaller couplings".into(),
            ));
        }
        Ok(ut)
    }

    /// `∂E/∂θ` at state u.
    pub fn de_dtheta<T: RealFn>(&self, u: &[T]) -> Vec<T> {
        let r: Vec<T> = u.iter().map(|v| v.tanh()).collect();
        let mut out = Vec::with_capacity(n_params(self.n));
        for i in 0..self.n {
            for j in i + 1..self.n {
                out.push(-(r[i].clone() * r[j].clone()));
            }
        }
        for ri in r {
            out.push(-ri);
        }
        out
    }

    /// Loss `L(θ) = C(u⁰_θ)`.
    pub fn loss<T: RealFn>(&self, theta: &[T], dt: f64, flow_steps: usize) -> Result<T> {
        let u = self.equilibrium(theta, &T::zero(), dt, flow_steps)?;
        let mut c = T::zero();
        for k in 0..self.n_out {
            let d = u[self.n - self.n_out + k].clone() - T::from_f64(self.y[k]);
            c += d.clone() * d;
        }
        Ok(c / T::from_i64(2))
    }

    /// One-sided EP estimate `(1/β)[∂E/∂θ(u^β) − ∂E/∂θ(u⁰)]`.
    pub fn ep_one_sided(
        &self,
        theta: &[f64],
        beta: f64,
        dt: f64,
        steps: usize,
    ) -> Result<Vec<f64>> {
        let a = self.de_dtheta(&self.equilibrium(theta, &beta, dt, steps)?);
        let b = self.de_dtheta(&self.equilibrium(theta, &0.0, dt, steps)?);
        let inv_beta = if faults::active(Fault::EpMissingInvBeta) {
            1.0
        } else {
            1.0 / beta
        };
        Ok(a.iter().zip(&b).map(|(x, y)| (x - y) * inv_beta).collect())
    }

    /// Symmetric EP estimate `(1/2β)[∂E/∂θ(u^β) − ∂E/∂θ(u^{−β})]`.
    pub fn ep_symmetric(
        &self,
        theta: &[f64],
        beta: f64,
        dt: f64,
        steps: usize,
    ) -> Result<Vec<f64>> {
        let a = self.de_dtheta(&self.equilibrium(theta, &beta, dt, steps)?);
        let b = self.de_dtheta(&self.equilibrium(theta, &-beta, dt, steps)?);
        Ok(a.iter()
            .zip(&b)
            .map(|(x, y)| (x - y) / (2.0 * beta))
            .collect())
    }
}
