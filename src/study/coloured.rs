//! EDGE-RNN-4 (`docs/theory/modes.md#coloured-input`, `[derived]`): the per-mode reduction as used
//! by the forecast assumes white input. Here the input is stationary AR(1) in time and isotropic,
//! `E[x_t x_sᵀ] = ρ^|t−s| I` with `0 ≤ ρ < 1`. With `h_0 = 0`, `h_T = Σ_{j<T} W^j B x_{T−j}` and the
//! error kernel `D_j = A W^j B − A* W*^j B*`, the expected final-step loss is
//!
//! ```text
//! L = ½ E‖e_T‖² = ½ Σ_{j,k<T} ρ^|j−k| tr(D_j D_kᵀ) = ½ Σ_j tr(D_j G_jᵀ),   G_j = Σ_k ρ^|j−k| D_k,
//! ```
//!
//! and its gradient (the expected BPTT update, same sign as [`expected::update`]) is
//!
//! ```text
//! ∂A = Σ_j G_j (W^j B)ᵀ,   ∂B = Σ_j (A W^j)ᵀ G_j,   ∂W = Σ_j Σ_{i<j} (W^i)ᵀ Aᵀ G_j Bᵀ (W^{j−1−i})ᵀ.
//! ```
//!
//! At ρ = 0 both are the white-input ones exactly (`G_j = D_j`). The aligned student of
//! [`super::drift`] stays diagonal in the teacher's basis (every `D_j`, hence every `G_j`, is
//! diagonal), so the run still separates into modes, but each mode follows the coloured per-mode map
//! ([`coloured_mode_ratios`]: `L_i = ½ Σ_{j,k} ρ^|j−k| g_j g_k`) and not the white one
//! ([`drift::per_mode_ratios`]). The drift `max_k |r_net(k) − r_white(k)|` of the loss ratios
//! `r(k) = L(k)/L(0)` is zero at ρ = 0 and of order ρ¹ (the lag-1 cross term
//! `ρ Σ_j tr(D_j D_{j+1}ᵀ)` enters the loss and its gradient linearly; nothing cancels it).
use super::drift::{self, CURVE, TEACHER_W};
use crate::error::{LroError, Result};
use crate::faults::{self, Fault};
use crate::rnn::StudentTeacher;
use crate::rules::{Update, expected};
use crate::scalar::Real;
use nalgebra::DMatrix;

fn check_rho<T: Real>(rho: &T) -> Result<()> {
    let r = rho.to_f64();
    // Judged in f64 (`Real` has no order: the complex kind is a `Real`); a ρ within rounding of 1
    // is rejected, as a process that close to a random walk would be.
    if !(0.0..1.0).contains(&r) {
        return Err(LroError::OutOfDomain {
            name: "input correlation rho".into(),
            value: r,
            reason: "a stationary AR(1) input needs 0 ≤ rho < 1 (rho = 0 is white input)".into(),
        });
    }
    Ok(())
}

/// The correlation-weighted kernel `G_j = Σ_k ρ^|j−k| D_k`, by the two one-sided recursions
/// `F_j = D_j + ρ F_{j−1}` (lags k ≤ j) and `P_j = D_j + ρ P_{j+1}` (k ≥ j): `G_j = F_j + P_j − D_j`.
fn weighted<T: Real>(d: &[DMatrix<T>], rho: &T) -> Vec<DMatrix<T>> {
    // Fault site (ColouredLagsDropped): the off-lag correlations are dropped, G_j = D_j, as if the
    // input were white.
    if faults::active(Fault::ColouredLagsDropped) {
        return d.to_vec();
    }
    let h = d.len();
    let mut fwd: Vec<DMatrix<T>> = Vec::with_capacity(h);
    for (j, dj) in d.iter().enumerate() {
        let f = if j == 0 {
            dj.clone()
        } else {
            dj + &fwd[j - 1] * rho.clone()
        };
        fwd.push(f);
    }
    let mut out = fwd;
    let mut back: Option<DMatrix<T>> = None;
    for j in (0..h).rev() {
        let p = match &back {
            None => d[j].clone(),
            Some(next) => &d[j] + next * rho.clone(),
        };
        out[j] = &out[j] + &p - &d[j];
        back = Some(p);
    }
    out
}

/// Lag blocks `[X_0, …, X_{T−1}]`.
type Blocks<T> = Vec<DMatrix<T>>;

/// The kernel `D_j` and the weighted `G_j`, k < T, after checking ρ.
fn kernels<T: Real>(
    st: &StudentTeacher<T>,
    rho: &T,
    horizon: usize,
) -> Result<(Blocks<T>, Blocks<T>)> {
    check_rho(rho)?;
    let d = expected::lag_errors(st, horizon)?;
    let g = weighted(&d, rho);
    Ok((d, g))
}

/// The expected final-step loss `½ Σ_{j,k<T} ρ^|j−k| tr(D_j D_kᵀ)` under AR(1) input with lag-one
/// correlation `rho` (`docs/theory/modes.md#coloured-input`). Equal to
/// `expected::loss(.., Loss::Final)` at ρ = 0. Errors: ρ outside `[0, 1)`, T = 0, a non-linear
/// network.
pub fn loss<T: Real>(st: &StudentTeacher<T>, rho: &T, horizon: usize) -> Result<T> {
    let (d, g) = kernels(st, rho, horizon)?;
    let mut acc = T::zero();
    for (dj, gj) in d.iter().zip(&g) {
        for (x, y) in dj.iter().zip(gj.iter()) {
            acc.add_mul(x, y);
        }
    }
    Ok(acc * T::ratio(1, 2))
}

/// The gradient of [`loss`] in (A, W, B): the expected BPTT update under AR(1) input, with the
/// sign of `expected::update` (apply it with `θ ← θ − η Δθ`). Equal to
/// `expected::update(&Rule::Bptt, .., Loss::Final)` at ρ = 0.
pub fn gradient<T: Real>(st: &StudentTeacher<T>, rho: &T, horizon: usize) -> Result<Update<T>> {
    let (_, g) = kernels(st, rho, horizon)?;
    let s = &st.student;
    let (a, w, b) = (s.a(), s.w(), s.b());
    // W^j B and A W^j for j < T.
    let mut wb = vec![b.clone()];
    let mut aw = vec![a.clone()];
    for j in 1..horizon {
        wb.push(w * &wb[j - 1]);
        aw.push(&aw[j - 1] * w);
    }
    let mut up = Update::zeros(s.o(), s.n(), s.d());
    for j in 0..horizon {
        up.a += &g[j] * wb[j].transpose();
        up.b += aw[j].transpose() * &g[j];
    }
    // ∂W = Σ_i (A W^i)ᵀ S_i with S_i = Σ_{j>i} G_j (W^{j−1−i} B)ᵀ: S_{T−1} = 0,
    // S_i = G_{i+1} Bᵀ + S_{i+1} Wᵀ.
    let mut s_next = DMatrix::<T>::zeros(s.o(), s.n());
    for i in (0..horizon.saturating_sub(1)).rev() {
        s_next = &g[i + 1] * b.transpose() + s_next * w.transpose();
        up.w += aw[i].transpose() * &s_next;
    }
    Ok(up)
}

/// The aligned network's loss ratios `L(k)/L(0)` (its own loss under the AR(1) input), k = 0..=steps,
/// under the expected BPTT updates of [`gradient`] at rate `eta`, from [`drift::pair`] at ε = 0.
pub fn network_ratios<T: Real>(rho: &T, eta: &T, horizon: usize, steps: usize) -> Result<Vec<T>> {
    let mut st = drift::pair(&T::zero())?;
    let l0 = loss(&st, rho, horizon)?;
    let mut out = vec![T::one()];
    for _ in 0..steps {
        let u = gradient(&st, rho, horizon)?;
        st = StudentTeacher::new(u.apply(&st.student, eta.clone())?, st.teacher.clone())?;
        out.push(loss(&st, rho, horizon)? / l0.clone());
    }
    Ok(out)
}

/// One mode's coloured loss `½ Σ_{j,k<T} ρ^|j−k| g_j g_k`, `g_j = a b w^j − w*^j` (teacher
/// `a* = b* = 1`), and its gradient in (a, b, w) from the explicit double sum.
fn mode_loss_grad<T: Real>(p: &[T; 3], w_star: &T, rho: &T, horizon: usize) -> (T, [T; 3]) {
    let [a, b, w] = p;
    let c = a.clone() * b.clone();
    let g: Vec<T> = (0..horizon)
        .map(|j| c.clone() * w.powi(j as u32) - w_star.powi(j as u32))
        .collect();
    let (mut l, mut grad) = (T::zero(), [T::zero(), T::zero(), T::zero()]);
    for j in 0..horizon {
        let mut gamma = T::zero();
        for (k, gk) in g.iter().enumerate() {
            gamma += rho.powi(j.abs_diff(k) as u32) * gk.clone();
        }
        l += T::ratio(1, 2) * g[j].clone() * gamma.clone();
        let wj = w.powi(j as u32);
        grad[0] += gamma.clone() * b.clone() * wj.clone();
        grad[1] += gamma.clone() * a.clone() * wj;
        if j > 0 {
            grad[2] += gamma * c.clone() * T::from_i64(j as i64) * w.powi(j as u32 - 1);
        }
    }
    (l, grad)
}

/// The per-mode map with the coloured weights `ρ^|j−k|` from the aligned diagonal of
/// [`drift::ALIGNED`]: ratios `Σ_i L_i(k) / Σ_i L_i(0)`, k = 0..=steps. For the aligned student this
/// is the network's run ([`network_ratios`]) exactly.
pub fn coloured_mode_ratios<T: Real>(
    rho: &T,
    eta: &T,
    horizon: usize,
    steps: usize,
) -> Result<Vec<T>> {
    check_rho(rho)?;
    if horizon == 0 {
        return Err(LroError::ZeroHorizon);
    }
    let w_star: Vec<T> = TEACHER_W.iter().map(|&(p, q)| T::ratio(p, q)).collect();
    let mut modes: Vec<[T; 3]> = drift::ALIGNED
        .iter()
        .map(|m| {
            [
                T::ratio(m[0].0, m[0].1),
                T::ratio(m[1].0, m[1].1),
                T::ratio(m[2].0, m[2].1),
            ]
        })
        .collect();
    let total = |ms: &[[T; 3]]| {
        ms.iter().zip(&w_star).fold(T::zero(), |s, (m, ws)| {
            s + mode_loss_grad(m, ws, rho, horizon).0
        })
    };
    let l0 = total(&modes);
    let mut out = vec![T::one()];
    for _ in 0..steps {
        for (m, ws) in modes.iter_mut().zip(&w_star) {
            let (_, d) = mode_loss_grad(m, ws, rho, horizon);
            for (x, dx) in m.iter_mut().zip(d) {
                *x = x.clone() - eta.clone() * dx;
            }
        }
        out.push(total(&modes) / l0.clone());
    }
    Ok(out)
}

/// The correlations of the f64 curve: 0, then log-spaced from 1e-3 to 0.5.
pub fn curve_rho() -> Vec<f64> {
    std::iter::once(0.0)
        .chain((0..7).map(|i| 1e-3 * (500.0f64).powf(i as f64 / 6.0)))
        .collect()
}

/// The f64 drift curve at [`CURVE`]: `(ρ, max_k |r_net(k) − r_white(k)|)` for each of [`curve_rho`],
/// the white per-mode map being [`drift::per_mode_ratios`].
pub fn drift_curve() -> Result<Vec<(f64, f64)>> {
    let (eta, horizon, steps) = CURVE;
    let white = drift::per_mode_ratios(&eta, horizon, steps)?;
    curve_rho()
        .into_iter()
        .map(|rho| {
            let net = network_ratios(&rho, &eta, horizon, steps)?;
            Ok((rho, drift::drift(&net, &white).0))
        })
        .collect()
}

/// The drift's first-order coefficient `max_k |∂r_net(k)/∂ρ|` at ρ = 0 and [`CURVE`], by forward
/// mode (`Dual<f64>`, ρ seeded as the variable): the white map does not depend on ρ, so the drift
/// is this times ρ, plus O(ρ²).
pub fn first_order_coefficient() -> Result<f64> {
    use crate::scalar::Dual;
    let (eta, horizon, steps) = CURVE;
    let net = network_ratios(&Dual::variable(0.0), &Dual::constant(eta), horizon, steps)?;
    Ok(net.iter().map(|r| r.eps.abs()).fold(0.0, f64::max))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rnn::Rnn;
    use crate::rules::{Loss, Rule};
    use crate::scalar::{Dual, Rational};
    use num_traits::Zero;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// A small non-aligned student–teacher pair with rational entries in {−1, −3/4, …, 1}·scale.
    fn random_pair(seed: u64, o: usize, n: usize, d: usize) -> StudentTeacher<Rational> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut m = |r: usize, c: usize, den: i64| {
            DMatrix::from_fn(r, c, |_, _| Rational::ratio(rng.random_range(-4..=4), den))
        };
        let student = Rnn::new(m(o, n, 4), m(n, n, 8), m(n, d, 4)).unwrap();
        let teacher = Rnn::new(m(o, n, 4), m(n, n, 8), m(n, d, 4)).unwrap();
        StudentTeacher::new(student, teacher).unwrap()
    }

    /// At ρ = 0 the loss and the gradient are the white-input ones, exactly over Q, on
    /// non-aligned, non-square networks.
    #[test]
    fn white_limit_is_the_expected_final_step_loss_and_bptt_update() {
        for (seed, (o, n, d), h) in [(1, (2, 3, 2), 4), (2, (1, 4, 3), 5), (3, (3, 2, 1), 1)] {
            let st = random_pair(seed, o, n, d);
            let zero = Rational::zero();
            assert_eq!(
                loss(&st, &zero, h).unwrap(),
                expected::loss(&st, h, Loss::Final).unwrap()
            );
            let want = expected::update(&Rule::Bptt, &st, h, Loss::Final).unwrap();
            let got = gradient(&st, &zero, h).unwrap();
            assert_eq!(
                (got.a, got.w, got.b),
                (want.a, want.w, want.b),
                "seed {seed}"
            );
        }
    }

    /// One implementation on every kind: the f64 and 256-bit MPFR runs of the loss and gradient
    /// agree with the exact rational ones to f64 rounding (the entries are dyadic, so every kind
    /// starts from the same numbers).
    #[test]
    fn f64_and_mpfr_agree_with_rationals() {
        use crate::linalg::{rel_diff, rel_diff_scalar};
        use crate::scalar::{Mpfr, with_precision};
        use crate::tolerances::{F64_IDENTITY_ABS_FLOOR, F64_IDENTITY_REL, MPFR_REFERENCE_BITS};
        let q = random_pair(8, 2, 3, 2);
        let rho_q = Rational::ratio(3, 8);
        let lq = loss(&q, &rho_q, 5).unwrap().to_f64();
        let gq = gradient(&q, &rho_q, 5).unwrap();
        let f = |m: &DMatrix<Rational>| m.map(|x| x.to_f64());
        let want = [f(&gq.a), f(&gq.w), f(&gq.b)];
        let check = |kind: &str, l: f64, got: [DMatrix<f64>; 3]| {
            let dl = rel_diff_scalar(l, lq, F64_IDENTITY_ABS_FLOOR);
            assert!(dl <= F64_IDENTITY_REL, "{kind}: loss {l} against {lq}");
            for (g, w) in got.iter().zip(&want) {
                let d = rel_diff(g, w, F64_IDENTITY_ABS_FLOOR);
                assert!(d <= F64_IDENTITY_REL, "{kind}: gradient off by {d}");
            }
        };
        let st = StudentTeacher::new(q.student.map(|x| x.to_f64()), q.teacher.map(|x| x.to_f64()))
            .unwrap();
        let g = gradient(&st, &0.375, 5).unwrap();
        check("f64", loss(&st, &0.375, 5).unwrap(), [g.a, g.w, g.b]);
        with_precision(MPFR_REFERENCE_BITS, || {
            let st = StudentTeacher::new(
                q.student.map(|x| Mpfr::from_f64(x.to_f64())),
                q.teacher.map(|x| Mpfr::from_f64(x.to_f64())),
            )
            .unwrap();
            let rho = Mpfr::ratio(3, 8);
            let g = gradient(&st, &rho, 5).unwrap();
            let to = |m: &DMatrix<Mpfr>| m.map(|x| x.to_f64());
            let l = loss(&st, &rho, 5).unwrap().to_f64();
            check("mpfr", l, [to(&g.a), to(&g.w), to(&g.b)]);
        })
        .unwrap();
    }

    /// At ρ ≠ 0 the gradient is the loss's exact derivative: over `Dual<Rational>` each parameter
    /// seeded in turn gives ∂L/∂θ exactly, which must equal the gradient's entry.
    #[test]
    fn gradient_is_the_exact_derivative_of_the_coloured_loss() {
        for (seed, rho) in [(4, Rational::ratio(1, 4)), (5, Rational::ratio(2, 3))] {
            let st = random_pair(seed, 2, 3, 2);
            let h = 4;
            let g = gradient(&st, &rho, h).unwrap();
            let flat = st.student.with_params(g.a, g.w, g.b).unwrap().params_flat();
            let p = st.student.params_flat();
            assert_eq!(p.len(), flat.len());
            let teacher = st.teacher.map(|x| Dual::constant(x.clone()));
            for (i, want) in flat.iter().enumerate() {
                let seeded: Vec<Dual<Rational>> = p
                    .iter()
                    .enumerate()
                    .map(|(k, x)| Dual::new(x.clone(), Rational::from_i64((k == i) as i64)))
                    .collect();
                let student = st.student.with_params_flat(&seeded).unwrap();
                let pair = StudentTeacher::new(student, teacher.clone()).unwrap();
                let l = loss(&pair, &Dual::constant(rho.clone()), h).unwrap();
                assert_eq!(&l.eps, want, "seed {seed}, parameter {i}");
            }
        }
    }

    /// The loss is ½E‖e_T‖² under AR(1) input: a Monte-Carlo mean over simulated sequences
    /// `x_t = ρ x_{t−1} + √(1−ρ²) ξ_t` lies within the false-alarm bound of the formula.
    #[test]
    fn coloured_loss_is_the_mean_final_error_of_simulated_ar1_input() {
        use crate::tolerances::mc_sigmas_for;
        use nalgebra::DVector;
        use rand_distr::{Distribution, StandardNormal};
        let q = random_pair(6, 2, 3, 2);
        let st = StudentTeacher::new(q.student.map(|x| x.to_f64()), q.teacher.map(|x| x.to_f64()))
            .unwrap();
        let (rho, h, n) = (0.6, 5, 20_000);
        let want = loss(&st, &rho, h).unwrap();
        let white = loss(&st, &0.0, h).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(77);
        let mut draw = |d: usize| -> DVector<f64> {
            DVector::from_fn(d, |_, _| StandardNormal.sample(&mut rng))
        };
        let (mut sum, mut sq) = (0.0, 0.0);
        for _ in 0..n {
            let mut xs = vec![draw(2)];
            for _ in 1..h {
                let x = &xs[xs.len() - 1] * rho + draw(2) * (1.0 - rho * rho).sqrt();
                xs.push(x);
            }
            let y = st.student.forward(&xs).unwrap().y;
            let ys = st.targets(&xs).unwrap();
            let v = 0.5 * (&y[h - 1] - &ys[h - 1]).norm_squared();
            sum += v;
            sq += v * v;
        }
        let mean = sum / n as f64;
        let se = ((sq / n as f64 - mean * mean) / (n as f64 - 1.0)).sqrt();
        let z = (mean - want) / se;
        assert!(
            z.abs() <= mc_sigmas_for(1),
            "mean {mean}, formula {want}, z {z}"
        );
        // The test has power: the white formula is many standard errors away.
        assert!(
            (mean - white).abs() / se > 2.0 * mc_sigmas_for(1),
            "{mean} {white} {se}"
        );
    }

    /// The aligned network follows the coloured per-mode map exactly (over Q), and the white map
    /// only at ρ = 0.
    #[test]
    fn aligned_network_is_the_coloured_per_mode_map() {
        let eta = Rational::ratio(1, 8);
        let white = drift::per_mode_ratios(&eta, 3, 2).unwrap();
        for rho in [
            Rational::zero(),
            Rational::ratio(1, 4),
            Rational::ratio(1, 2),
        ] {
            let net = network_ratios(&rho, &eta, 3, 2).unwrap();
            assert_eq!(net, coloured_mode_ratios(&rho, &eta, 3, 2).unwrap());
            let same_as_white = drift::differences(&net, &white).iter().all(|d| d.is_zero());
            assert_eq!(same_as_white, rho.is_zero(), "rho = {rho:?}");
        }
    }

    #[test]
    fn rho_outside_the_unit_interval_is_an_error() {
        let st = drift::pair(&0.0).unwrap();
        for rho in [-0.1, 1.0, f64::NAN] {
            assert!(matches!(
                loss(&st, &rho, 3),
                Err(LroError::OutOfDomain { .. })
            ));
            assert!(coloured_mode_ratios(&rho, &0.1, 3, 1).is_err());
        }
    }

    #[test]
    fn one_step_horizon_has_no_lags_to_correlate() {
        // T = 1: a single lag, so ρ cannot enter and the drift is exactly zero for every ρ.
        let eta = Rational::ratio(1, 8);
        let white = drift::per_mode_ratios(&eta, 1, 3).unwrap();
        let net = network_ratios(&Rational::ratio(1, 2), &eta, 1, 3).unwrap();
        assert_eq!(net, white);
    }

    /// The curve starts at rounding and rises with ρ at every point.
    #[test]
    fn drift_curve_rises_from_rounding() {
        let c = drift_curve().unwrap();
        assert!(c[0].1 <= crate::tolerances::F64_IDENTITY_REL, "{c:?}");
        assert!(c.windows(2).all(|w| w[1].1 > w[0].1), "{c:?}");
    }

    /// What the theory page says about the curve's large-ρ end: at η = 0.05 the network converges
    /// at ρ = 0.1 but settles on a period-2 orbit at ρ ≈ 0.18 (and keeps it to K = 3000), while at
    /// η = 0.02 it converges there too.
    #[test]
    fn strong_correlation_destabilises_the_curve_rate() {
        let (eta, horizon, _) = CURVE;
        use crate::tolerances::{EDGE_COLOURED_CONVERGED, EDGE_COLOURED_ORBIT_REL};
        let converged = network_ratios(&0.1, &eta, horizon, 300).unwrap();
        assert!(
            converged[300] < EDGE_COLOURED_CONVERGED,
            "{}",
            converged[300]
        );
        let rho = curve_rho()[6];
        assert_eq!(format!("{rho:.2}"), "0.18");
        let r = network_ratios(&rho, &eta, horizon, 3000).unwrap();
        let (a, b, c) = (r[2998], r[2999], r[3000]);
        assert!(a.min(b) > EDGE_COLOURED_CONVERGED, "{a} {b}");
        // period 2: equal two steps apart, different one step apart
        assert!((a - c).abs() < EDGE_COLOURED_ORBIT_REL * a, "{a} {b} {c}");
        assert!(
            (a - b).abs() > 100.0 * EDGE_COLOURED_ORBIT_REL * a,
            "{a} {b} {c}"
        );
        let slow = network_ratios(&rho, &0.02, horizon, 3000).unwrap();
        assert!(slow[3000] < EDGE_COLOURED_CONVERGED, "{}", slow[3000]);
    }
}
