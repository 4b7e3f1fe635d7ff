//! Where Proposition 3.1 stops (`docs/theory/lowrank.md#where-it-stops`): RFLO's learned change
//! outside the linear, scalar-ŵ setting.
//!
//! - [`outside_split`]: `(‖(I − P) X‖²_F, ‖X‖²_F)` with P the orthogonal projector onto `col(basis)`,
//!   by Gram–Schmidt without square roots, so it is exact over [`crate::scalar::Rational`] (a change
//!   inside `col(Rᵀ)` gives exactly 0) and carries the working precision over `Mpfr`.
//! - [`online_change`]: K online steps of one rule on fixed samples, over any number kind, for a
//!   network of any leak and activation (tanh needs a number kind with `tanh`: f64, MPFR).
//! - [`edge_case`]: a small dyadic network, feedback and data (the same values over Q, MPFR and f64).
//! - [`gain_sweep`]: effective rank ([`effective_rank`]) and the fraction of RFLO's change inside
//!   `col(Rᵀ)` against the input scale of a leaky-tanh network (f64; `[derived, unchecked]`).
//!
//! Mechanism (`[derived]`): RFLO's trace row i is `e_t[i, :] = ŵ e_{t−1}[i, :] + α φ′(u_t)_i pre_{t−1}ᵀ`,
//! so column j of the change is a sum of `diag(φ′(u_s)) Rᵀ ε_t` weighted by scalars: inside `col(Rᵀ)`
//! when φ′ is the same for every unit (linear, leaky or not), generically outside when it is not
//! (tanh). A diagonal, non-scalar surrogate Ŵ = diag(λ) gives `Σ_m diag(λ)^m Rᵀ ε` instead: outside
//! too unless λ is constant.
use super::Change;
use crate::error::{LroError, Result};
use crate::linalg;
use crate::rnn::{Activation, Rnn};
use crate::rules::online::{self, SamplePair};
use crate::rules::{Loss, Rule};
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `(‖(I − P) x‖²_F, ‖x‖²_F)`, P the orthogonal projector onto `col(basis)` (Gram–Schmidt over the
/// columns of `basis`, skipping columns that are exactly dependent). Exact over rationals.
pub fn outside_split<T: Real>(basis: &DMatrix<T>, x: &DMatrix<T>) -> (T, T) {
    let dot = |a: &DVector<T>, b: &DVector<T>| -> T {
        a.iter()
            .zip(b.iter())
            .fold(T::zero(), |s, (u, v)| s + u.clone() * v.clone())
    };
    let mut ortho: Vec<(DVector<T>, T)> = Vec::new();
    for c in 0..basis.ncols() {
        let mut v: DVector<T> = basis.column(c).into_owned();
        for (q, qq) in &ortho {
            let coef = dot(q, &v) / qq.clone();
            v -= q * coef;
        }
        let vv = dot(&v, &v);
        if !vv.is_zero() {
            ortho.push((v, vv));
        }
    }
    let (mut out, mut total) = (T::zero(), T::zero());
    for c in 0..x.ncols() {
        let col: DVector<T> = x.column(c).into_owned();
        total += dot(&col, &col);
        let mut r = col;
        for (q, qq) in &ortho {
            let coef = dot(q, &r) / qq.clone();
            r -= q * coef;
        }
        out += dot(&r, &r);
    }
    (out, total)
}

/// `‖(I − P) x‖_F / ‖x‖_F` in f64 (0 for a zero `x`): the part of the change outside `col(basis)`.
pub fn outside_fraction<T: Real>(basis: &DMatrix<T>, x: &DMatrix<T>) -> f64 {
    let (out, total) = outside_split(basis, x);
    let total = total.to_f64();
    if total > 0.0 {
        (out.to_f64() / total).max(0.0).sqrt()
    } else {
        0.0
    }
}

/// The entropy effective rank `exp(−Σ p_i ln p_i)`, `p_i = σ_i / Σ σ` (Roy and Vetterli 2007,
/// `[standard]`): 1 for a rank-1 matrix, k for k equal singular values; 0 for the zero matrix.
pub fn effective_rank(m: &DMatrix<f64>) -> f64 {
    let s = linalg::singular_values(m);
    let sum: f64 = s.iter().sum();
    if sum.is_nan() || sum <= 0.0 {
        return 0.0;
    }
    let h: f64 = s
        .iter()
        .map(|v| v / sum)
        .filter(|&p| p > 0.0)
        .map(|p| -p * p.ln())
        .sum();
    h.exp()
}

/// K online steps `θ ← θ − η Δθ` of `rule` on `data` (sample `k mod len` at step k), final-step loss;
/// the change of every block. The network keeps its leak and activation.
pub fn online_change<T: Real>(
    net: &Rnn<T>,
    rule: &Rule<T>,
    data: &[SamplePair<T>],
    eta: &T,
    steps: usize,
) -> Result<Change<T>> {
    if data.is_empty() {
        return Err(LroError::InvalidParameter {
            name: "data".into(),
            reason: "online_change needs at least one sample".into(),
        });
    }
    let mut cur = net.clone();
    for k in 0..steps {
        let (xs, ys) = &data[k % data.len()];
        let u = online::update(rule, &cur, xs, ys, Loss::Final)?;
        cur = cur.with_params(
            cur.a() - &u.a * eta.clone(),
            cur.w() - &u.w * eta.clone(),
            cur.b() - &u.b * eta.clone(),
        )?;
    }
    Change::between(net, &cur)
}

/// A small dyadic setup: network (linear, α = 1), feedback R (o×n) and two samples, every value a
/// multiple of 1/4 (so it casts exactly to rationals and MPFR). W's entries are in [−1/2, 1/2],
/// A's, B's and R's in [−1, 1] without zero rows in R, inputs and targets in [−1, 1].
#[derive(Clone, Debug, PartialEq)]
pub struct EdgeCase {
    /// The network (linear; set leak and activation per run).
    pub net: Rnn<f64>,
    /// Feedback R (o×n).
    pub feedback: DMatrix<f64>,
    /// Two fixed samples of horizon T.
    pub data: Vec<SamplePair<f64>>,
}

/// The dyadic setup of `seed` with sizes (o, n, d, T) (see [`EdgeCase`]).
pub fn edge_case(seed: u64, o: usize, n: usize, d: usize, horizon: usize) -> Result<EdgeCase> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut q = |r: usize, c: usize, k: i32| {
        DMatrix::from_fn(r, c, |_, _| rng.random_range(-k..=k) as f64 / 4.0)
    };
    let a = q(o, n, 4);
    let w = q(n, n, 2);
    let b = q(n, d, 4);
    let mut feedback = q(o, n, 4);
    for i in 0..o {
        // a nonzero entry per row, at a row-specific place, so R has rank o
        feedback[(i, i % n)] = 1.0;
    }
    let seq = |rng: &mut ChaCha8Rng, dim: usize| -> Vec<DVector<f64>> {
        (0..horizon)
            .map(|_| DVector::from_fn(dim, |_, _| rng.random_range(-4..=4) as f64 / 4.0))
            .collect()
    };
    let mut rng2 = ChaCha8Rng::seed_from_u64(seed ^ 0xed9e);
    let data = (0..2)
        .map(|_| (seq(&mut rng2, d), seq(&mut rng2, o)))
        .collect();
    Ok(EdgeCase {
        net: Rnn::new(a, w, b)?,
        feedback,
        data,
    })
}

/// A network, feedback R and samples over one number kind.
pub type CastSetup<T> = (Rnn<T>, DMatrix<T>, Vec<SamplePair<T>>);

impl EdgeCase {
    /// The network over `T` with leak `alpha` (dyadic) and `activation`; inputs scaled by `scale`.
    pub fn cast<T: Real>(
        &self,
        alpha: f64,
        activation: Activation,
        scale: f64,
    ) -> Result<CastSetup<T>> {
        let net = self
            .net
            .map(|x| T::from_f64(*x))
            .with_leak(T::from_f64(alpha))?
            .with_activation(activation);
        let r = self.feedback.map(T::from_f64);
        let data = self
            .data
            .iter()
            .map(|(xs, ys)| {
                (
                    xs.iter()
                        .map(|v| v.map(|x| T::from_f64(x * scale)))
                        .collect(),
                    ys.iter().map(|v| v.map(T::from_f64)).collect(),
                )
            })
            .collect();
        Ok((net, r, data))
    }
}

/// One point of [`gain_sweep`] (means over the seeds).
#[derive(Clone, Debug, PartialEq)]
pub struct GainPoint {
    /// Input scale s (inputs multiplied by s).
    pub scale: f64,
    /// Effective rank of RFLO's stacked change `X = [W_K − W_0 | B_K − B_0]`.
    pub rflo_rank: f64,
    /// `‖(I − P)X‖_F / ‖X‖_F` of RFLO's change, P the projector onto `col(Rᵀ)`.
    pub rflo_outside: f64,
    /// Fraction `‖P X‖²_F / ‖X‖²_F` of RFLO's change inside `col(Rᵀ)`.
    pub rflo_inside: f64,
    /// Effective rank of e-prop's stacked change (random feedback R).
    pub eprop_rank: f64,
    /// Effective rank of BPTT's stacked change (the unconstrained reference).
    pub bptt_rank: f64,
}

/// f64 sweep over input scales: a leaky-tanh network (α = 1/2, o = 1, n = 8, d = 3, T = 6), RFLO
/// with ŵ = 1/2, e-prop (random R) and BPTT, `steps` online steps at η = 1/32 on the two samples of
/// [`edge_case`], seeds `seed0 .. seed0 + seeds`; the means of [`GainPoint`]'s measures.
pub fn gain_sweep(scales: &[f64], seeds: u64, seed0: u64, steps: usize) -> Result<Vec<GainPoint>> {
    let (o, n, d, horizon) = (1, 8, 3, 6);
    let eta = 1.0 / 32.0;
    let mut out = Vec::new();
    for &s in scales {
        let mut acc = [0.0f64; 5];
        for seed in seed0..seed0 + seeds {
            let case = edge_case(seed, o, n, d, horizon)?;
            let (net, r, data) = case.cast::<f64>(0.5, Activation::Tanh, s)?;
            let rflo = Rule::Rflo {
                feedback: r.clone(),
                w_hat: 0.5,
            };
            let eprop = Rule::Eprop {
                feedback: crate::rules::Feedback::Random(r.clone()),
            };
            let x = online_change(&net, &rflo, &data, &eta, steps)?.stacked();
            let f = outside_fraction(&r.transpose(), &x);
            let e = online_change(&net, &eprop, &data, &eta, steps)?.stacked();
            let b = online_change(&net, &Rule::Bptt, &data, &eta, steps)?.stacked();
            for (a, v) in acc.iter_mut().zip([
                effective_rank(&x),
                f,
                1.0 - f * f,
                effective_rank(&e),
                effective_rank(&b),
            ]) {
                *a += v;
            }
        }
        let m = seeds.max(1) as f64;
        out.push(GainPoint {
            scale: s,
            rflo_rank: acc[0] / m,
            rflo_outside: acc[1] / m,
            rflo_inside: acc[2] / m,
            eprop_rank: acc[3] / m,
            bptt_rank: acc[4] / m,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::Rational;
    use crate::tolerances::EDGE_EFFECTIVE_RANK_ABS;

    #[test]
    fn outside_split_is_exact_over_rationals() {
        let q = |n: i64| Rational::from_i64(n);
        // basis e1 + e2; x = (1, 1, 0) inside, (1, 0, 1) has (1/2, −1/2, 1) outside: ‖·‖² = 3/2.
        let basis = DMatrix::from_vec(3, 1, vec![q(1), q(1), q(0)]);
        let inside = DMatrix::from_vec(3, 1, vec![q(2), q(2), q(0)]);
        assert_eq!(outside_split(&basis, &inside).0, q(0));
        let x = DMatrix::from_vec(3, 1, vec![q(1), q(0), q(1)]);
        let (out, total) = outside_split(&basis, &x);
        assert_eq!(out, Rational::ratio(3, 2));
        assert_eq!(total, q(2));
        // a dependent basis column is skipped, not divided by zero
        let dep = DMatrix::from_vec(3, 2, vec![q(1), q(1), q(0), q(2), q(2), q(0)]);
        assert_eq!(outside_split(&dep, &x).0, Rational::ratio(3, 2));
    }

    #[test]
    fn effective_rank_counts_equal_singular_values() {
        let id = DMatrix::<f64>::identity(3, 3);
        assert!((effective_rank(&id) - 3.0).abs() < EDGE_EFFECTIVE_RANK_ABS);
        let one = DMatrix::from_fn(3, 2, |i, j| (i + 1) as f64 * (j + 2) as f64);
        assert!((effective_rank(&one) - 1.0).abs() < EDGE_EFFECTIVE_RANK_ABS);
        assert_eq!(effective_rank(&DMatrix::zeros(2, 2)), 0.0);
    }
}
