//! Murray 2019's RFLO reference notebook (`RFLO_Example.ipynb`), reimplemented.
//!
//! Conventions (code indices `t = 0 … t_max−1`, arrays with `t_max` rows):
//! - `u[0] = 0`, `h[0] = h0`, `y[0] = 0`, `err[0] = 0`; for `t = 1 … t_max−1`:
//!   `u[t] = w_rec h[t−1] + w_in x[t]`, `h[t] = h[t−1] + (−h[t−1] + tanh(u[t]))/τ_m`,
//!   `y[t] = w_out h[t]`, `err[t] = y_[t] − y[t]` (target minus output: updates are *added*).
//! - Derivative `df(x) = 1/cosh²(10 tanh(x/10))`, a clipped form of tanh' (the code's overflow
//!   guard), in every rule.
//! - RFLO (offline mode, weights frozen during the trial): `p ← (1 − 1/τ) p + df(u[t]) h[t−1]ᵀ/τ`;
//!   `q ← (1 − 1/τ) q + df(u[t]) x[t−1]ᵀ/τ` (the input trace lags the forward pass by one step)
//!   with `q` initialised to `df(u[0]) x[0]ᵀ/τ = x[0]ᵀ/τ` in every row; at each step
//!   `dw_out += η₁/t_max err[t] h[t]ᵀ`, `dw_rec += η₂/t_max (b err[t]) ⊙rows p`,
//!   `dw_in += η₃/t_max (b err[t]) ⊙rows q`, with `eta = [η₃, η₂, η₁]` for (w_in, w_rec, w_out).
//! - BPTT: `z[t_max−1] = w_outᵀ err[t_max−1]`; for `t = t_max−1 … 1`:
//!   `z[t−1] = (1 − 1/τ) z[t] + w_outᵀ err[t] + w_recᵀ (z[t] ⊙ df(u[t]))/τ` — the error injected
//!   into `z[t−1]` is `err[t]`, one step late compared with the exact adjoint (which injects
//!   `err[t−1]`); found by reading the code, not listed in peer-conventions.md. Updates
//!   `dw_rec += η₂/(t_max τ) (z[t] ⊙ df(u[t])) h[t−1]ᵀ`, `dw_in += η₃/(t_max τ) (z[t] ⊙ df(u[t])) x[t]ᵀ`
//!   (no input lag here), `dw_out += η₁/t_max err[t] h[t]ᵀ`.
//! - Logged loss: `0.5 · mean((y_ − y)²)` over all `t_max × n_out` entries, including row 0
//!   where `y[0] = 0`.
//! - Not reproduced: online mode, and the notebook's RTRL, whose recurrent Jacobian reads
//!   `(1 − 1/τ) I + W diag(df(u))/τ` (numpy broadcasting scales columns; the exact Jacobian is
//!   `diag(df(u)) W`) and whose input influence uses `x[t]` (no lag).
pub mod conventions;
pub mod settings;
pub mod tensors;

pub use settings::{MurrayConfig, draw};
pub use tensors::{TENSORS, build};

use super::*;

/// Which derivative the rules use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Derivative {
    /// `1/cosh²(10 tanh(x/10))`, as in the notebook.
    Clipped,
    /// `1 − tanh²(x)`, the exact derivative (ablation).
    Exact,
}

/// The derivative `df(x)`.
pub fn df<T: Real>(kind: Derivative, x: &T) -> Result<T> {
    let t = match kind {
        Derivative::Clipped => {
            let ten = T::from_i64(10);
            tanh(&(tanh(&(x.clone() / ten.clone()))? * ten))?
        }
        Derivative::Exact => tanh(x)?,
    };
    Ok(T::one() - t.clone() * t)
}

/// The network and the switches for each quirk.
#[derive(Clone, Debug)]
pub struct Setup<T: Real> {
    /// Input weights `w_in` (n_rec × n_in).
    pub w_in: DMatrix<T>,
    /// Recurrent weights `w_rec` (n_rec × n_rec).
    pub w_rec: DMatrix<T>,
    /// Readout `w_out` (n_out × n_rec).
    pub w_out: DMatrix<T>,
    /// Random feedback `b` (n_rec × n_out; lro's Rᵀ).
    pub b: DMatrix<T>,
    /// Initial state `h0`.
    pub h0: DVector<T>,
    /// Time constant τ_m in steps (≥ 1).
    pub tau_m: T,
    /// Learning rates `[η_in, η_rec, η_out]` (the code's `eta = [eta3, eta2, eta1]`).
    pub eta: [T; 3],
    /// Derivative used by the rules (default clipped).
    pub derivative: Derivative,
    /// Whether the input trace lags the forward pass and starts at `x[0]/τ` (default true).
    pub input_trace_lag: bool,
    /// Whether BPTT injects `err[t]` into `z[t−1]` as the notebook does (default true).
    pub bptt_error_shift: bool,
}

/// Updates `(dw_in, dw_rec, dw_out)` with the code's sign (added to the weights).
#[derive(Clone, Debug, PartialEq)]
pub struct Deltas<T: Real> {
    /// Change of `w_in`.
    pub w_in: DMatrix<T>,
    /// Change of `w_rec`.
    pub w_rec: DMatrix<T>,
    /// Change of `w_out`.
    pub w_out: DMatrix<T>,
}

impl<T: Real> Deltas<T> {
    fn zeros(n_in: usize, n_rec: usize, n_out: usize) -> Self {
        Deltas {
            w_in: DMatrix::zeros(n_rec, n_in),
            w_rec: DMatrix::zeros(n_rec, n_rec),
            w_out: DMatrix::zeros(n_out, n_rec),
        }
    }
    fn sum(steps: &[Deltas<T>]) -> Self {
        let mut acc = steps[0].clone();
        for s in &steps[1..] {
            acc.w_in += &s.w_in;
            acc.w_rec += &s.w_rec;
            acc.w_out += &s.w_out;
        }
        acc
    }
}

/// Everything one trial of the notebook computes (arrays with `t_max` rows, index = code time).
#[derive(Clone, Debug)]
pub struct Run<T: Real> {
    /// `u[t]` (u[0] = 0).
    pub u: Vec<DVector<T>>,
    /// `h[t]` (h[0] = h0).
    pub h: Vec<DVector<T>>,
    /// `y[t]` (y[0] = 0).
    pub y: Vec<DVector<T>>,
    /// `err[t] = y_[t] − y[t]` for t ≥ 1, `err[0] = 0`.
    pub err: Vec<DVector<T>>,
    /// `0.5 · mean((y_ − y)²)` over all entries.
    pub loss: T,
    /// RFLO recurrent trace `p` after step t (p[0] = 0).
    pub p: Vec<DMatrix<T>>,
    /// RFLO input trace `q` after step t (q[0] its initial value).
    pub q: Vec<DMatrix<T>>,
    /// RFLO per-step updates (index 0: zero).
    pub rflo_steps: Vec<Deltas<T>>,
    /// RFLO totals.
    pub rflo: Deltas<T>,
    /// BPTT adjoint `z[t]`.
    pub z: Vec<DVector<T>>,
    /// BPTT per-step updates (index t: the loop's terms at t; index 0: zero).
    pub bptt_steps: Vec<Deltas<T>>,
    /// BPTT totals.
    pub bptt: Deltas<T>,
}

impl<T: Real> Setup<T> {
    fn validate(&self, x: &[DVector<T>], y_: &[DVector<T>]) -> Result<(usize, usize, usize)> {
        let (n, d, o) = (self.w_rec.nrows(), self.w_in.ncols(), self.w_out.nrows());
        let ctx = "murray2019 preset";
        if self.w_rec.ncols() != n || self.w_in.nrows() != n || self.w_out.ncols() != n {
            return Err(shape_err(
                ctx,
                "w_rec must be n×n, w_in n×d, w_out o×n".into(),
            ));
        }
        if self.b.shape() != (n, o) || self.h0.len() != n {
            return Err(shape_err(
                ctx,
                format!("b must be {n}×{o} and h0 of length {n}"),
            ));
        }
        if x.len() < 2 || x.len() != y_.len() {
            return Err(shape_err(
                ctx,
                format!(
                    "x and y_ need the same number t_max ≥ 2 of rows, got {} and {}",
                    x.len(),
                    y_.len()
                ),
            ));
        }
        if x.iter().any(|v| v.len() != d) || y_.iter().any(|v| v.len() != o) {
            return Err(shape_err(
                ctx,
                format!("rows of x need length {d}, of y_ {o}"),
            ));
        }
        if self.tau_m.to_f64() < 1.0 {
            return Err(LroError::OutOfDomain {
                name: "tau_m".into(),
                value: self.tau_m.to_f64(),
                reason: "the time constant is in steps and must be at least 1".into(),
            });
        }
        Ok((n, d, o))
    }

    /// Runs one trial over inputs `x` (t_max × n_in) and targets `y_` (t_max × n_out).
    pub fn run(&self, x: &[DVector<T>], y_: &[DVector<T>]) -> Result<Run<T>> {
        let (n, d, o) = self.validate(x, y_)?;
        let t_max = x.len();
        let tau = self.tau_m.clone();
        let keep = T::one() - T::one() / tau.clone();
        let [eta_in, eta_rec, eta_out] = self.eta.clone();
        let tm = T::from_i64(t_max as i64);
        let df = |v: &DVector<T>| map_vec(v, |e| df(self.derivative, e));
        // Forward pass.
        let mut u = vec![DVector::zeros(n)];
        let mut h = vec![self.h0.clone()];
        let mut y = vec![DVector::zeros(o)];
        let mut err = vec![DVector::zeros(o)];
        for t in 1..t_max {
            let ut = &self.w_rec * &h[t - 1] + &self.w_in * &x[t];
            let ht = &h[t - 1] + (map_vec(&ut, tanh)? - &h[t - 1]) / tau.clone();
            let yt = &self.w_out * &ht;
            err.push(&y_[t] - &yt);
            u.push(ut);
            h.push(ht);
            y.push(yt);
        }
        let mut sq = T::zero();
        for t in 0..t_max {
            let e = &y_[t] - &y[t];
            sq += e.dot(&e);
        }
        let loss = sq * T::ratio(1, 2) / T::from_i64((t_max * o) as i64);
        // RFLO.
        let mut p = DMatrix::<T>::zeros(n, n);
        let mut q = DMatrix::<T>::zeros(n, d);
        if self.input_trace_lag {
            let g = df(&u[0])? / tau.clone();
            q = &g * x[0].transpose();
        }
        let (mut ps, mut qs) = (vec![p.clone()], vec![q.clone()]);
        let mut rflo_steps = vec![Deltas::zeros(d, n, o)];
        for t in 1..t_max {
            let g = df(&u[t])? / tau.clone();
            p = &p * keep.clone() + &g * h[t - 1].transpose();
            let x_in = if self.input_trace_lag {
                &x[t - 1]
            } else {
                &x[t]
            };
            q = &q * keep.clone() + &g * x_in.transpose();
            let fb = &self.b * &err[t];
            rflo_steps.push(Deltas {
                w_out: &err[t] * h[t].transpose() * (eta_out.clone() / tm.clone()),
                w_rec: scale_rows(&fb, &p) * eta_rec.clone() / tm.clone(),
                w_in: scale_rows(&fb, &q) * eta_in.clone() / tm.clone(),
            });
            ps.push(p.clone());
            qs.push(q.clone());
        }
        // BPTT.
        let mut z = vec![DVector::<T>::zeros(n); t_max];
        z[t_max - 1] = self.w_out.transpose() * &err[t_max - 1];
        let mut bptt_steps = vec![Deltas::zeros(d, n, o); t_max];
        let scale = tm.clone() * tau.clone();
        for t in (1..t_max).rev() {
            let zd = z[t].component_mul(&df(&u[t])?);
            let inject = if self.bptt_error_shift {
                &err[t]
            } else {
                &err[t - 1]
            };
            z[t - 1] = &z[t] * keep.clone()
                + self.w_out.transpose() * inject
                + self.w_rec.transpose() * &zd / tau.clone();
            bptt_steps[t] = Deltas {
                w_out: &err[t] * h[t].transpose() * (eta_out.clone() / tm.clone()),
                w_rec: &zd * h[t - 1].transpose() * (eta_rec.clone() / scale.clone()),
                w_in: &zd * x[t].transpose() * (eta_in.clone() / scale.clone()),
            };
        }
        Ok(Run {
            rflo: Deltas::sum(&rflo_steps),
            bptt: Deltas::sum(&bptt_steps),
            u,
            h,
            y,
            err,
            loss,
            p: ps,
            q: qs,
            rflo_steps,
            z,
            bptt_steps,
        })
    }
}
