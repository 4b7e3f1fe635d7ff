//! Boltzmann machine (Ackley, Hinton & Sejnowski 1985; `docs/theory/contrastive.md#boltzmann`, `[standard]`) with exact
//! enumeration (n ≤ 12 units) and Gibbs sampling.
//!
//! Units `s ∈ {0,1}^n`, the first `n_v` visible. Parameters `θ = (W_ij for i < j, b_i)`;
//! `E(s) = −Σ_{i<j} W_ij s_i s_j − Σ_i b_i s_i`; sufficient statistics `φ(s) = (s_i s_j, s_i)`, CL
//! statistic `f = ∂E/∂θ = −φ(s)`, so `Δ = g⁺ − g⁻ = −∇ℓ` (ℓ: mean log-likelihood of the data).
//!
//! Phase kernels (one step of Eq.3-R): `+` draws a fresh data vector for the visibles and then
//! does one sequential Gibbs sweep over the hidden units; `−` does one sequential Gibbs sweep over
//! all units. [`Boltzmann::kernel_matrix`] gives both kernels exactly, for the transient analysis.
use crate::contrastive::Phase;
use crate::contrastive::driver::ClModel;
use crate::contrastive::phases::{LengthDist, PhaseProcess};
use crate::contrastive::solve::solve;
use crate::error::{LroError, Result};
use crate::faults::{self, Fault};
use nalgebra::DMatrix;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Largest number of units for exact enumeration.
pub const MAX_UNITS: usize = 12;

/// A Boltzmann machine with a data distribution over its visible units.
#[derive(Clone, Debug, PartialEq)]
pub struct Boltzmann {
    /// Number of units n.
    pub n: usize,
    /// Number of visible units (the first `n_v` units).
    pub n_v: usize,
    /// Data distribution over the `2^{n_v}` visible vectors (bit i of the index = unit i).
    pub data: Vec<f64>,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn bit(state: usize, i: usize) -> f64 {
    ((state >> i) & 1) as f64
}

impl Boltzmann {
    /// A machine; fails unless `1 ≤ n_v ≤ n ≤ 12` and `data` is a distribution over `2^{n_v}`
    /// visible vectors.
    pub fn new(n: usize, n_v: usize, data: Vec<f64>) -> Result<Self> {
        if n > MAX_UNITS || n_v == 0 || n_v > n {
            return Err(LroError::InvalidParameter {
                name: "units".into(),
                reason: format!("need 1 ≤ n_v ≤ n ≤ {MAX_UNITS} (got n = {n}, n_v = {n_v})"),
            });
        }
        let total: f64 = data.iter().sum();
        if data.len() != 1 << n_v
            || data.iter().any(|p| p.is_nan() || *p < 0.0)
            || (total - 1.0).abs() > 1e-9
        {
            return Err(LroError::InvalidParameter {
                name: "data distribution".into(),
                reason: format!(
                    "need {} non-negative probabilities summing to 1",
                    1usize << n_v
                ),
            });
        }
        Ok(Boltzmann { n, n_v, data })
    }

    /// Number of parameters `n(n−1)/2 + n`.
    pub fn n_params(&self) -> usize {
        self.n * (self.n - 1) / 2 + self.n
    }

    /// Index of `W_ij` (i < j) in θ.
    pub fn pair_index(&self, i: usize, j: usize) -> usize {
        let (i, j) = if i < j { (i, j) } else { (j, i) };
        // pairs (0,1),(0,2),…,(0,n−1),(1,2),…
        i * self.n - i * (i + 1) / 2 + (j - i - 1)
    }

    /// Sufficient statistics `φ(s) = (s_i s_j for i<j, s_i)` of a state given as a bit pattern.
    pub fn phi(&self, s: usize) -> Vec<f64> {
        let mut out = vec![0.0; self.n_params()];
        self.phi_into(s, &mut out);
        out
    }

    /// [`Boltzmann::phi`] written into `out` (length [`Boltzmann::n_params`]).
    pub fn phi_into(&self, s: usize, out: &mut [f64]) {
        let mut k = 0;
        for i in 0..self.n {
            for j in i + 1..self.n {
                out[k] = bit(s, i) * bit(s, j);
                k += 1;
            }
        }
        for i in 0..self.n {
            out[k + i] = bit(s, i);
        }
    }

    /// `−E(s) = θ·φ(s)`.
    pub fn neg_energy(&self, s: usize, theta: &[f64]) -> f64 {
        self.phi(s).iter().zip(theta).map(|(a, b)| a * b).sum()
    }

    /// Local field `Σ_j W_ij s_j + b_i` of unit i.
    pub fn field(&self, s: usize, i: usize, theta: &[f64]) -> f64 {
        let nb = self.n * (self.n - 1) / 2;
        let mut h = theta[nb + i];
        for j in 0..self.n {
            if j != i {
                h += theta[self.pair_index(i, j)] * bit(s, j);
            }
        }
        h
    }

    /// The exact Boltzmann distribution over all `2^n` states.
    pub fn distribution(&self, theta: &[f64]) -> Vec<f64> {
        let e: Vec<f64> = (0..1usize << self.n)
            .map(|s| self.neg_energy(s, theta))
            .collect();
        let mx = e.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = e.iter().map(|v| (v - mx).exp()).collect();
        let z: f64 = w.iter().sum();
        w.into_iter().map(|v| v / z).collect()
    }

    /// The clamped distribution over all states: `p_data(v) p_θ(h | v)`.
    pub fn clamped_distribution(&self, theta: &[f64]) -> Vec<f64> {
        let p = self.distribution(theta);
        let vmask = (1usize << self.n_v) - 1;
        let mut marg = vec![0.0; 1 << self.n_v];
        for (s, ps) in p.iter().enumerate() {
            marg[s & vmask] += ps;
        }
        p.iter()
            .enumerate()
            .map(|(s, ps)| self.data[s & vmask] * ps / marg[s & vmask])
            .collect()
    }

    /// Mean log-likelihood `ℓ(θ) = Σ_v p_data(v) log p_θ(v)` by enumeration.
    pub fn log_likelihood(&self, theta: &[f64]) -> f64 {
        let e: Vec<f64> = (0..1usize << self.n)
            .map(|s| self.neg_energy(s, theta))
            .collect();
        let lse = |xs: &mut dyn Iterator<Item = f64>| {
            let v: Vec<f64> = xs.collect();
            let mx = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            mx + v.iter().map(|x| (x - mx).exp()).sum::<f64>().ln()
        };
        let log_z = lse(&mut e.iter().cloned());
        let vmask = (1usize << self.n_v) - 1;
        let mut ll = 0.0;
        for (v, pv) in self.data.iter().enumerate() {
            if *pv == 0.0 {
                continue;
            }
            let lv = lse(&mut e
                .iter()
                .enumerate()
                .filter(|(s, _)| s & vmask == v)
                .map(|(_, x)| *x));
            ll += pv * (lv - log_z);
        }
        ll
    }

    /// Expectation of `f = −φ` under a distribution over states.
    pub fn expected_stat(&self, dist: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.n_params()];
        for (s, p) in dist.iter().enumerate() {
            if *p == 0.0 {
                continue;
            }
            for (o, v) in out.iter_mut().zip(self.phi(s)) {
                *o -= p * v;
            }
        }
        out
    }

    /// `(g⁺, g⁻)`: expected statistic clamped and free.
    pub fn g_plus_minus(&self, theta: &[f64]) -> (Vec<f64>, Vec<f64>) {
        (
            self.expected_stat(&self.clamped_distribution(theta)),
            self.expected_stat(&self.distribution(theta)),
        )
    }

    /// The exact CL direction `Δ = g⁺ − g⁻ = −∇ℓ`.
    pub fn delta(&self, theta: &[f64]) -> Vec<f64> {
        let (gp, gm) = self.g_plus_minus(theta);
        gp.iter().zip(&gm).map(|(a, b)| a - b).collect()
    }

    /// The exact one-step kernel matrix of phase `z` (rows: from-state, columns: to-state).
    pub fn kernel_matrix(&self, theta: &[f64], z: Phase) -> DMatrix<f64> {
        let ns = 1usize << self.n;
        let single = |i: usize| {
            let mut k = DMatrix::<f64>::zeros(ns, ns);
            for s in 0..ns {
                let p1 = sigmoid(self.field(s, i, theta));
                k[(s, s | (1 << i))] += p1;
                k[(s, s & !(1 << i))] += 1.0 - p1;
            }
            k
        };
        let mut k = DMatrix::<f64>::identity(ns, ns);
        if z == Phase::Plus {
            // Resample the visibles from the data, keep the hiddens.
            let vmask = (1usize << self.n_v) - 1;
            let mut r = DMatrix::<f64>::zeros(ns, ns);
            for s in 0..ns {
                for (v, pv) in self.data.iter().enumerate() {
                    r[(s, (s & !vmask) | v)] += pv;
                }
            }
            k = r;
        }
        let first = if z == Phase::Plus { self.n_v } else { 0 };
        for i in first..self.n {
            k = &k * single(i);
        }
        k
    }

    /// One sequential Gibbs sweep over units `from..n`.
    fn sweep(&self, mut s: usize, from: usize, theta: &[f64], rng: &mut ChaCha8Rng) -> usize {
        // The bug: every unit reads the state from before the sweep (a parallel update).
        let stale = faults::active(Fault::GibbsStaleState).then_some(s);
        for i in from..self.n {
            let p1 = sigmoid(self.field(stale.unwrap_or(s), i, theta));
            if rng.random::<f64>() < p1 {
                s |= 1 << i;
            } else {
                s &= !(1 << i);
            }
        }
        s
    }

    /// Draws a visible vector from the data distribution.
    fn draw_data(&self, rng: &mut ChaCha8Rng) -> usize {
        let u: f64 = rng.random();
        let mut acc = 0.0;
        for (v, p) in self.data.iter().enumerate() {
            acc += p;
            if u < acc {
                return v;
            }
        }
        self.data.len() - 1
    }
}

impl ClModel for Boltzmann {
    type State = usize;
    fn dim(&self) -> usize {
        self.n_params()
    }
    fn stat(&self, a: &usize, _theta: &[f64]) -> Vec<f64> {
        self.phi(*a).into_iter().map(|v| -v).collect()
    }
    fn stat_into(&self, a: &usize, _theta: &[f64], out: &mut [f64]) {
        self.phi_into(*a, out);
        out.iter_mut().for_each(|v| *v = -*v);
    }
    fn step(&self, a: &usize, theta: &[f64], z: Phase, rng: &mut ChaCha8Rng) -> usize {
        match z {
            Phase::Plus => {
                let vmask = (1usize << self.n_v) - 1;
                let s = (a & !vmask) | self.draw_data(rng);
                self.sweep(s, self.n_v, theta, rng)
            }
            Phase::Minus => self.sweep(*a, 0, theta, rng),
        }
    }
}

/// Newton's method with a finite-difference Jacobian and backtracking on `‖F‖` for a zero of a
/// smooth field `F: R^D → R^D` (used for the exact fixed points of the mean fields). Returns the
/// zero and the final `‖F‖∞`.
pub fn newton_zero(
    field: impl Fn(&[f64]) -> Vec<f64>,
    theta0: &[f64],
    fd_step: f64,
    max_iter: usize,
) -> Result<(Vec<f64>, f64)> {
    let d = theta0.len();
    let norm = |v: &[f64]| v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let mut theta = theta0.to_vec();
    let mut f = field(&theta);
    for _ in 0..max_iter {
        if norm(&f) < 1e-14 {
            break;
        }
        let mut jac = DMatrix::<f64>::zeros(d, d);
        for j in 0..d {
            let mut up = theta.clone();
            let mut dn = theta.clone();
            up[j] += fd_step;
            dn[j] -= fd_step;
            let (fu, fd) = (field(&up), field(&dn));
            for i in 0..d {
                jac[(i, j)] = (fu[i] - fd[i]) / (2.0 * fd_step);
            }
        }
        let rhs = DMatrix::from_column_slice(d, 1, &f);
        let step = solve(&jac, &rhs)?;
        let mut t = 1.0;
        loop {
            let cand: Vec<f64> = theta
                .iter()
                .zip(step.iter())
                .map(|(a, s)| a - t * s)
                .collect();
            let fc = field(&cand);
            if norm(&fc) < norm(&f) || t < 1e-6 {
                theta = cand;
                f = fc;
                break;
            }
            t *= 0.5;
        }
    }
    let r = norm(&f);
    Ok((theta, r))
}

/// `P(L ≥ t)` for t = 1, 2, … up to a tail below 1e-16 (or 100 000 terms).
fn survival(d: &LengthDist) -> Vec<f64> {
    let mut out = Vec::new();
    match *d {
        LengthDist::Fixed(t) => out.resize(t as usize, 1.0),
        LengthDist::Uniform { lo, hi } => {
            let n = (hi - lo + 1) as f64;
            for t in 1..=hi {
                out.push(if t <= lo {
                    1.0
                } else {
                    (hi - t + 1) as f64 / n
                });
            }
        }
        LengthDist::Geometric { mean } => {
            let r = 1.0 - 1.0 / mean;
            let mut s = 1.0;
            while s > 1e-16 && out.len() < 100_000 {
                out.push(s);
                s *= r;
            }
        }
    }
    out
}

/// Phase-averaged expectations of `f` with transients (CL-T2 caveat): `(ḡ⁺_T, ḡ⁻_T)`, the
/// time-weighted expectation of `f` over the steps of a phase of random length started from the
/// state law the process leaves it in, for a frozen θ. Exact (by enumeration and the kernel
/// matrices) for P1, P2, P4 (strict alternation, P4 with geometric runs) and P3 (i.i.d. types:
/// every phase starts from the mixture `p·ν⁺_end + (1−p)·ν⁻_end`).
pub fn transient_phase_stats(
    bm: &Boltzmann,
    theta: &[f64],
    process: &PhaseProcess,
) -> (Vec<f64>, Vec<f64>) {
    let ns = 1usize << bm.n;
    let kp = bm.kernel_matrix(theta, Phase::Plus);
    let km = bm.kernel_matrix(theta, Phase::Minus);
    let (dp, dm) = (process.plus_lengths(), process.minus_lengths());
    let (sp, sm) = (survival(&dp), survival(&dm));
    // Propagate a start law through a phase: returns (end law, Σ_t P(L ≥ t) μK^t).
    let run = |mu: &DMatrix<f64>, k: &DMatrix<f64>, surv: &[f64], d: &LengthDist| {
        // In place: `next ← cur K` into a second buffer, then `occ += s cur`, `end += p cur`.
        let mut cur = mu.clone();
        let mut next = DMatrix::<f64>::zeros(1, ns);
        let mut occ = DMatrix::<f64>::zeros(1, ns);
        let mut end = DMatrix::<f64>::zeros(1, ns);
        for (t, s) in surv.iter().enumerate() {
            next.gemm(1.0, &cur, k, 0.0);
            std::mem::swap(&mut cur, &mut next);
            let p_eq = s - surv.get(t + 1).copied().unwrap_or(0.0); // P(L = t+1)
            for ((o, e), c) in occ.iter_mut().zip(end.iter_mut()).zip(cur.iter()) {
                *o += c * s;
                *e += c * p_eq;
            }
        }
        let _ = d;
        (end, occ)
    };
    let mut start_p = DMatrix::<f64>::from_element(1, ns, 1.0 / ns as f64);
    let mut start_m = start_p.clone();
    let mut occ = (DMatrix::zeros(1, ns), DMatrix::zeros(1, ns));
    // The start laws converge geometrically (mixing of the phase chains); iterate to a change
    // below 1e-14 (rounding may make an exact fixed point cycle between neighbouring floats).
    for _ in 0..500 {
        let (end_p, occ_p) = run(&start_p, &kp, &sp, &dp);
        let (end_m, occ_m) = run(&start_m, &km, &sm, &dm);
        let (new_p, new_m) = match *process {
            PhaseProcess::P3 { p, .. } => {
                let mix = &end_p * p + &end_m * (1.0 - p);
                (mix.clone(), mix)
            }
            _ => (end_m.clone(), end_p.clone()),
        };
        let change = (&new_p - &start_p).abs().max() + (&new_m - &start_m).abs().max();
        start_p = new_p;
        start_m = new_m;
        occ = (occ_p, occ_m);
        if change < 1e-14 {
            break;
        }
    }
    let to_stat = |o: &DMatrix<f64>, mean: f64| {
        let dist: Vec<f64> = o.iter().map(|v| v / mean).collect();
        bm.expected_stat(&dist)
    };
    (to_stat(&occ.0, dp.mean()), to_stat(&occ.1, dm.mean()))
}
