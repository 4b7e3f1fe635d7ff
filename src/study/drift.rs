//! EDGE-RNN-3 (`docs/theory/modes.md#forecast`, `[derived]`): the per-mode reduction needs aligned
//! weights. In the teacher's own basis (U = V = P = I, o = d = n = m), a student
//! `S = S₀ + ε E` whose aligned part `S₀` is diagonal and whose misalignment `E` is off-diagonal is
//! trained with expected BPTT updates on the final-step loss; the per-mode map is iterated from the
//! diagonal `(a_i, b_i, w_i)` of `S₀` (the student's per-mode reading, the same for every ε). The
//! drift is `max_k |r_net(k) − r_modes(k)|` over the loss ratios `r(k) = L(k)/L(0)`: zero at ε = 0
//! (the reduction is exact), positive for ε ≠ 0.
use crate::error::Result;
use crate::modes::{self, Horizon, ModeRule};
use crate::rnn::{Mode, Rnn, StudentTeacher};
use crate::rules::{Loss, Rule, expected};
use crate::scalar::Real;
use nalgebra::DMatrix;

/// The teacher's recurrent eigenvalues `w*_i` (as fractions), its gains are `a*_i = b*_i = 1`.
pub const TEACHER_W: [(i64, i64); 3] = [(4, 5), (1, 2), (-1, 2)];
/// The aligned part of the student: `(a_i, b_i, w_i)` per mode, as fractions.
pub const ALIGNED: [[(i64, i64); 3]; 3] = [
    [(1, 2), (3, 5), (1, 5)],
    [(2, 5), (1, 2), (-1, 10)],
    [(3, 10), (2, 5), (0, 1)],
];

/// The misalignment pattern `E` (m×m, zero diagonal, entries in {−½, 0, ½}), added to A, W and B.
fn pattern<T: Real>(m: usize) -> DMatrix<T> {
    DMatrix::from_fn(m, m, |i, j| {
        if i == j {
            T::zero()
        } else {
            T::ratio(((i + 2 * j) % 3) as i64 - 1, 2)
        }
    })
}

fn frac<T: Real>((p, q): (i64, i64)) -> T {
    T::ratio(p, q)
}

/// The student–teacher pair at misalignment `eps`.
pub fn pair<T: Real>(eps: &T) -> Result<StudentTeacher<T>> {
    let m = TEACHER_W.len();
    let teacher = Rnn::new(
        DMatrix::identity(m, m),
        DMatrix::from_fn(m, m, |i, j| {
            if i == j {
                frac(TEACHER_W[i])
            } else {
                T::zero()
            }
        }),
        DMatrix::identity(m, m),
    )?;
    let diag = |k: usize| {
        DMatrix::from_fn(m, m, |i, j| {
            if i == j {
                frac(ALIGNED[i][k])
            } else {
                T::zero()
            }
        })
    };
    let e = pattern::<T>(m) * eps.clone();
    let student = Rnn::new(&diag(0) + &e, &diag(2) + &e, &diag(1) + &e)?;
    StudentTeacher::new(student, teacher)
}

/// The network's loss ratios `L(k)/L(0)`, k = 0..=steps, under expected BPTT updates at rate `eta`.
pub fn network_ratios<T: Real>(eps: &T, eta: &T, horizon: usize, steps: usize) -> Result<Vec<T>> {
    let mut st = pair(eps)?;
    let l0 = expected::loss(&st, horizon, Loss::Final)?;
    let mut out = vec![T::one()];
    for _ in 0..steps {
        let u = expected::update(&Rule::Bptt, &st, horizon, Loss::Final)?;
        st = StudentTeacher::new(u.apply(&st.student, eta.clone())?, st.teacher.clone())?;
        out.push(expected::loss(&st, horizon, Loss::Final)? / l0.clone());
    }
    Ok(out)
}

/// The per-mode map's ratios `Σ_i L_i(k) / Σ_i L_i(0)` from the aligned part, k = 0..=steps.
pub fn per_mode_ratios<T: Real>(eta: &T, horizon: usize, steps: usize) -> Result<Vec<T>> {
    let h = Horizon::Finite(horizon);
    let teachers: Vec<Mode<T>> = TEACHER_W
        .iter()
        .map(|&w| Mode::new(T::one(), T::one(), frac(w)))
        .collect();
    let mut modes: Vec<Mode<T>> = ALIGNED
        .iter()
        .map(|p| Mode::new(frac(p[0]), frac(p[1]), frac(p[2])))
        .collect();
    let total = |ms: &[Mode<T>]| -> Result<T> {
        ms.iter()
            .zip(&teachers)
            .try_fold(T::zero(), |s, (m, t)| Ok(s + modes::loss(m, t, h)?))
    };
    let l0 = total(&modes)?;
    let mut out = vec![T::one()];
    for _ in 0..steps {
        for (m, t) in modes.iter_mut().zip(&teachers) {
            let d = modes::update_finite_sum(&ModeRule::Bptt, m, t, horizon)?;
            *m = Mode::new(
                m.a.clone() - eta.clone() * d.a,
                m.b.clone() - eta.clone() * d.b,
                m.w.clone() - eta.clone() * d.w,
            );
        }
        out.push(total(&modes)? / l0.clone());
    }
    Ok(out)
}

/// The differences `r_net(k) − r_modes(k)`, k = 0..=steps (exact over Q).
pub fn differences<T: Real>(net: &[T], per_mode: &[T]) -> Vec<T> {
    net.iter()
        .zip(per_mode)
        .map(|(x, y)| x.clone() - y.clone())
        .collect()
}

/// The drift `max_k |r_net(k) − r_modes(k)|` in f64 and the step where it is largest.
pub fn drift<T: Real>(net: &[T], per_mode: &[T]) -> (f64, usize) {
    differences(net, per_mode)
        .iter()
        .enumerate()
        .map(|(k, d)| (d.to_f64().abs(), k))
        .fold((0.0, 0), |best, cur| {
            if cur.0 > best.0 || cur.0.is_nan() {
                cur
            } else {
                best
            }
        })
}

/// The f64 curve's rate, horizon and steps (the study's scale: T = 10, a few hundred steps).
pub const CURVE: (f64, usize, usize) = (0.05, 10, 300);

/// The misalignments of the f64 curve: 0, then log-spaced from 1e-3 to 0.3.
pub fn curve_eps() -> Vec<f64> {
    std::iter::once(0.0)
        .chain((0..6).map(|i| 1e-3 * (300.0f64).powf(i as f64 / 5.0)))
        .collect()
}

/// The f64 drift curve: `(ε, drift)` for each of [`curve_eps`] at [`CURVE`].
pub fn drift_curve() -> Result<Vec<(f64, f64)>> {
    let (eta, horizon, steps) = CURVE;
    let pm = per_mode_ratios(&eta, horizon, steps)?;
    curve_eps()
        .into_iter()
        .map(|eps| {
            Ok((
                eps,
                drift(&network_ratios(&eps, &eta, horizon, steps)?, &pm).0,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::Rational;
    use num_traits::Zero;

    #[test]
    fn aligned_is_exact_and_misaligned_drifts_over_q() {
        let eta = Rational::ratio(1, 8);
        let pm = per_mode_ratios(&eta, 3, 2).unwrap();
        let net0 = network_ratios(&Rational::zero(), &eta, 3, 2).unwrap();
        assert!(differences(&net0, &pm).iter().all(|d| d.is_zero()));
        let net1 = network_ratios(&Rational::ratio(1, 4), &eta, 3, 2).unwrap();
        let (d1, at) = drift(&net1, &pm);
        assert!(d1 > 0.0 && at > 0, "{d1} at {at}");
    }

    /// The curve starts at rounding and rises with ε at every point.
    #[test]
    fn drift_curve_rises_from_rounding() {
        let c = drift_curve().unwrap();
        assert!(c[0].1 <= crate::tolerances::F64_IDENTITY_REL, "{c:?}");
        assert!(c.windows(2).all(|w| w[1].1 > w[0].1), "{c:?}");
    }
}
