//! Seeded random per-mode instances with small dyadic rational values, so one draw runs exactly over
//! `Rational` and in f64 (used by the catalogue checks and the tests).
use super::ModeRule;
use crate::rnn::Mode;
use crate::scalar::Real;
use rand::Rng;

/// `k/den` with `k` uniform in `[-kmax, kmax]`, optionally excluding 0.
pub fn dyadic<T: Real, R: Rng + ?Sized>(rng: &mut R, kmax: i64, den: i64, nonzero: bool) -> T {
    loop {
        let k = rng.random_range(-kmax..=kmax);
        if !(nonzero && k == 0) {
            return T::ratio(k, den);
        }
    }
}

/// A student mode: `a, b ∈ {k/4 : |k| ≤ 8}`, `w ∈ {k/8 : |k| ≤ 7}`.
pub fn mode<T: Real, R: Rng + ?Sized>(rng: &mut R) -> Mode<T> {
    Mode::new(
        dyadic(rng, 8, 4, false),
        dyadic(rng, 8, 4, false),
        dyadic(rng, 7, 8, false),
    )
}

/// A teacher mode with `c* ≠ 0`: `a*, b* ∈ {k/4 : 1 ≤ |k| ≤ 8}`, `w* ∈ {k/8 : |k| ≤ 7}`.
pub fn teacher<T: Real, R: Rng + ?Sized>(rng: &mut R) -> Mode<T> {
    Mode::new(
        dyadic(rng, 8, 4, true),
        dyadic(rng, 8, 4, true),
        dyadic(rng, 7, 8, false),
    )
}

/// RFLO parameters: `â ∈ {k/4 : 1 ≤ |k| ≤ 8}`, `ŵ ∈ {k/8 : |k| ≤ 7}`.
pub fn rflo<T: Real, R: Rng + ?Sized>(rng: &mut R) -> ModeRule<T> {
    ModeRule::Rflo {
        a_hat: dyadic(rng, 8, 4, true),
        w_hat: dyadic(rng, 7, 8, false),
    }
}

/// A manifold parameter `s ∈ {k/4 : 1 ≤ |k| ≤ 12}`.
pub fn s_value<T: Real, R: Rng + ?Sized>(rng: &mut R) -> T {
    dyadic(rng, 12, 4, true)
}
