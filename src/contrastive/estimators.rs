//! The estimators of `docs/theory/contrastive.md#framework`, **after Williams et al. 2023, reconstructed for this project**
//! (the paper's equations were not available; these are the project's reconstructions "Eq.2-R",
//! "Eq.3-R" and "IS-R", never the paper's Equation N), and the closed forms of the IS analysis.
//!
//! Sign convention (`[assumed]`): descent, `θ ← θ − η G`, where `G` estimates the CL
//! direction `Δ = g⁺ − g⁻`.
use super::{Phase, Weights};
use crate::faults::{self, Fault};
use crate::scalar::Real;

/// Eq.2-R (after Williams et al. 2023, reconstructed for this project): the standard, temporally
/// non-local update after a (positive, negative) pair of phases,
/// `θ ← θ − η (f(a⁺, θ) − f(a⁻, θ))`, with `f⁺ = f(a⁺_k, θ_k)` stored across the negative phase.
pub fn eq2r_update<T: Real>(theta: &mut [T], eta: T, f_plus: &[T], f_minus: &[T]) {
    for ((t, p), m) in theta.iter_mut().zip(f_plus).zip(f_minus) {
        *t -= eta.clone() * (p.clone() - m.clone());
    }
}

/// Eq.3-R (after Williams et al. 2023, reconstructed for this project): one temporally local step,
/// `θ ← θ − η σ_z ω_z f(a_t, θ_t)`, using only the current state's statistic and phase sign.
pub fn eq3r_step<T: Real>(theta: &mut [T], eta: T, z: Phase, w: &Weights, f: &[T]) {
    let scale = eta * T::from_f64(z.sigma() * w.of(z));
    for (t, fi) in theta.iter_mut().zip(f) {
        *t -= scale.clone() * fi.clone();
    }
}

/// IS-R's per-phase estimate (after Williams et al. 2023, reconstructed for this project;
/// `docs/theory/contrastive.md#is-r`): `G = f̂/p` after a positive phase, `G = −f̂/(1 − p)` after a negative one, where `f̂` is the
/// phase's statistic (phase average or end state).
pub fn isr_estimate<T: Real>(z: Phase, p: &T, f_hat: &[T]) -> Vec<T> {
    let scale = match z {
        _ if faults::active(Fault::MissingImportanceWeight) => T::from_f64(z.sigma()),
        Phase::Plus => T::one() / p.clone(),
        Phase::Minus => -(T::one() / (T::one() - p.clone())),
    };
    f_hat.iter().map(|f| scale.clone() * f.clone()).collect()
}

/// IS-R update: `θ ← θ − η G` with `G` from [`isr_estimate`].
pub fn isr_update<T: Real>(theta: &mut [T], eta: T, z: Phase, p: &T, f_hat: &[T]) {
    let g = isr_estimate(z, p, f_hat);
    for (t, gi) in theta.iter_mut().zip(g) {
        *t -= eta.clone() * gi;
    }
}

/// Per-step IS weights for i.i.d. Bernoulli(p) phases, `ω_+ = 1/p`, `ω_− = 1/(1 − p)` (`docs/theory/contrastive.md#is-r`):
/// the Eq.3-R mean field is then exactly Δ (P-CL-7).
pub fn per_step_is_weights(p: f64) -> Weights {
    Weights {
        plus: 1.0 / p,
        minus: 1.0 / (1.0 - p),
    }
}

/// The exact expectation of IS-R by enumeration of the phase type,
/// `p·(g⁺/p) + (1 − p)·(−g⁻/(1 − p))` (P-CL-1: equals `g⁺ − g⁻`).
pub fn isr_expectation<T: Real>(g_plus: &[T], g_minus: &[T], p: &T) -> Vec<T> {
    let gp = isr_estimate(Phase::Plus, p, g_plus);
    let gm = isr_estimate(Phase::Minus, p, g_minus);
    let q = T::one() - p.clone();
    gp.into_iter()
        .zip(gm)
        .map(|(a, b)| p.clone() * a + q.clone() * b)
        .collect()
}

fn norm_sq<T: Real>(v: &[T]) -> T {
    v.iter().fold(T::zero(), |s, x| s + x.clone() * x.clone())
}

/// The exact second moment `E‖G‖²` of IS-R with deterministic `f̂ = g^z`, by enumeration of the
/// two outcomes.
pub fn isr_second_moment_enumerated<T: Real>(g_plus: &[T], g_minus: &[T], p: &T) -> T {
    let gp = isr_estimate(Phase::Plus, p, g_plus);
    let gm = isr_estimate(Phase::Minus, p, g_minus);
    p.clone() * norm_sq(&gp) + (T::one() - p.clone()) * norm_sq(&gm)
}

/// The exact total variance `E‖G‖² − ‖E G‖²` of IS-R with deterministic `f̂`, by enumeration.
pub fn isr_variance_enumerated<T: Real>(g_plus: &[T], g_minus: &[T], p: &T) -> T {
    isr_second_moment_enumerated(g_plus, g_minus, p) - norm_sq(&isr_expectation(g_plus, g_minus, p))
}

/// The closed form `Var(G) = M⁺/p + M⁻/(1 − p) − ‖Δ‖²` (`docs/theory/contrastive.md#is-r`, `[derived]`).
pub fn isr_variance_formula<T: Real>(m_plus: &T, m_minus: &T, delta_sq: &T, p: &T) -> T {
    m_plus.clone() / p.clone() + m_minus.clone() / (T::one() - p.clone()) - delta_sq.clone()
}

/// The variance-optimal positive-phase probability `p* = √M⁺/(√M⁺ + √M⁻)`, from the square roots
/// (so that it is exact over rationals when the second moments are perfect squares).
pub fn p_star_from_roots<T: Real>(root_m_plus: &T, root_m_minus: &T) -> T {
    root_m_plus.clone() / (root_m_plus.clone() + root_m_minus.clone())
}

/// The Neyman cost `S_+²/n⁺ + S_−²/n⁻` of averaging `n⁺` positive and `n⁻` negative samples.
pub fn neyman_cost<T: Real>(s_plus_sq: &T, s_minus_sq: &T, n_plus: &T, n_minus: &T) -> T {
    s_plus_sq.clone() / n_plus.clone() + s_minus_sq.clone() / n_minus.clone()
}

/// The Eq.3-R mean field `h = π⁺ω_+g⁺ − π⁻ω_−g⁻` (`docs/theory/contrastive.md#mean-field`, `[derived]`), generic so that it is
/// exact over rationals.
pub fn eq3r_mean_field<T: Real>(
    pi_plus: &T,
    w_plus: &T,
    w_minus: &T,
    g_plus: &[T],
    g_minus: &[T],
) -> Vec<T> {
    let a = pi_plus.clone() * w_plus.clone();
    let b = (T::one() - pi_plus.clone()) * w_minus.clone();
    g_plus
        .iter()
        .zip(g_minus)
        .map(|(p, m)| a.clone() * p.clone() - b.clone() * m.clone())
        .collect()
}
