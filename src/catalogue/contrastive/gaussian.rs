//! P-CL-13 … P-CL-16: the Gaussian toy (phase imbalance, per-step IS, AR(1) negative phase,
//! stochastic approximation).
use super::{Worst, fixed_setting, mismatches, with_worst};
use crate::catalogue::{Bound, Budget, Evidence, Measure, Reproducer};
use crate::contrastive::driver::{ClModel, Rate, run_eq3r};
use crate::contrastive::estimators::{isr_expectation, p_star_from_roots, per_step_is_weights};
use crate::contrastive::experiments::gaussian_flex;
use crate::contrastive::instances::{instance_rng, instance_seed, q, rand_q};
use crate::contrastive::measure::gaussian_mean_path;
use crate::contrastive::models::gaussian::*;
use crate::contrastive::phases::{PhaseProcess, PhaseSampler};
use crate::contrastive::stats::{
    BatchMeans, RunningMoments, log_log_slope, mean, slope, variance, worse,
};
use crate::contrastive::{Phase, Weights};
use crate::error::Result;
use crate::tolerances::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// P-CL-13: Gaussian toy under P4 with `π⁺ = ¼`: `E[θ | z = −]` is `(π⁺/π⁻)m` unweighted and `m`
/// with `ω_z = 1/π^z` (batch means). The targets come from the statement (`π⁺` of the process and
/// m), not from the weights the run uses, so a wrong weight moves the run but not its target.
pub fn check_p13(b: Budget) -> Result<Evidence> {
    let toy = GaussianToy::new(2.0, 1.5, 0.0)?;
    // Short sojourns (mean 5/3 and 5 steps) keep the sawtooth of θ across phases small, so that a
    // 3 % weight error (a shift of 0.06 in the weighted run) is many standard errors.
    let process = PhaseProcess::P4 {
        alpha_plus: 0.6,
        alpha_minus: 0.2,
    };
    // π⁺ = α₋/(α₊ + α₋) of the statement's chain.
    let pi = 0.2 / (0.6 + 0.2);
    let steps = b.instances(3_000_000) as u64;
    let batches = 100;
    let z = batch_sigmas_for(2, batches);
    let eta = 0.01;
    let runs = [
        ("unweighted", Weights::unit(), pi / (1.0 - pi) * toy.m),
        (
            "ω = 1/π",
            Weights::inverse_fraction(process.pi_plus(), 1.0),
            toy.m,
        ),
    ];
    let mut ev: Option<Evidence> = None;
    for (k, (name, w, target)) in runs.iter().enumerate() {
        let o = gaussian_flex(
            &toy,
            process,
            w,
            *target,
            eta,
            steps,
            100_000,
            batches,
            z,
            1300 + k as u64,
        )?;
        let se = o.allowance / z;
        let e = Evidence::error_at_most(
            steps as usize,
            format!("{name}: E[θ | −] − {target:.4}"),
            Measure::ZScore,
            (o.estimate[0] - target).abs() / se,
            z,
            format!(
                "m = 2, v = 1.5, P4 (α₊, α₋) = (0.6, 0.2), η = {eta}, {steps} steps, {batches} batches of ≥ 2.9·10⁴ steps (≫ relaxation 1/(ηω₋π⁻) ≤ 133); estimate {:.4}",
                o.estimate[0]
            ),
        )
        .with_reproducer(
            Reproducer::new(k, "f64")
                .seed(1300 + k as u64)
                .size("steps", steps as usize)
                .param("ω₊", w.plus)
                .param("ω₋", w.minus),
        );
        ev = Some(match ev {
            None => e,
            Some(prev) => prev.and(e),
        });
    }
    Ok(ev.unwrap_or_else(|| Evidence::stopped("no runs")))
}

/// P-CL-14: per-step IS on the Gaussian toy. Exact: `E[G] = θ − m` (Q); `p* > ½ ⟺ v > 1`.
/// Statistical: `E[G²] = V(p)` at θ = m; the stationary variance of θ at constant η equals the exact
/// `ηV/(2 − η/(1−p))` (derived here; the approximation `ηV/(2 − η)` is within 10 % of it).
pub fn check_p14(b: Budget) -> Result<Evidence> {
    let cases = b.cases(100);
    let mut worst = Worst::new();
    let mut bad = 0;
    for &k in &cases {
        let mut rng = instance_rng(1414, k);
        let (m, th) = (rand_q(&mut rng), rand_q(&mut rng));
        let p = q(rng.random_range(1..10), 10);
        let e = isr_expectation(&[-m.clone()], &[-th.clone()], &p);
        let mm = mismatches([e[0] == th.clone() - m.clone()]);
        bad += mm;
        worst.see(k, mm as f64);
    }
    let exact = with_worst(
        Evidence::exact(cases.len(), "E[G] = θ − m", bad, "rationals"),
        &worst,
        |k| Reproducer::new(k, "rational").seed(instance_seed(1414, k)),
    );
    let mut grid_bad = 0;
    for i in 0..20 {
        for j in 0..20 {
            let (m, v) = (-2.0 + 0.2 * i as f64, 0.1 * (j + 1) as f64);
            let ps = p_star_from_roots(&(m * m + v).sqrt(), &(m * m + 1.0).sqrt());
            grid_bad += mismatches([(ps > 0.5) == (v > 1.0)]);
        }
    }
    // Statistical: V(p) at θ = m.
    let (m, v, p, eta) = (1.0, 2.5, 0.6, 0.02);
    let toy = GaussianToy::new(m, v, 0.0)?;
    let n = b.instances(400_000);
    let mut g2 = RunningMoments::default();
    let mut r2 = ChaCha8Rng::seed_from_u64(1415);
    let w = per_step_is_weights(p);
    for _ in 0..n {
        let z = if r2.random::<f64>() < p {
            Phase::Plus
        } else {
            Phase::Minus
        };
        let a = toy.step(&0.0, &[m], z, &mut r2);
        let g = z.sigma() * w.of(z) * toy.stat(&a, &[m])[0];
        g2.push(g * g);
    }
    // One i.i.d. comparison and one batch-means comparison share the false-alarm budget.
    let z_iid = mc_sigmas_for(2);
    let vth = is_noise_second_moment(&m, &v, &p);
    let e_v = (g2.mean() - vth).abs() / (g2.variance() / n as f64).sqrt();
    // Stationary variance at constant η (i.i.d. Bernoulli(p) phases = P4 with α₊ = 1−p, α₋ = p).
    let process = PhaseProcess::P4 {
        alpha_plus: 1.0 - p,
        alpha_minus: p,
    };
    let mut s = PhaseSampler::new(process, 1416)?;
    let steps = b.instances(4_000_000) as u64;
    let burn = 20_000;
    let mut u2 = BatchMeans::with_len(steps.saturating_sub(burn), 100);
    run_eq3r(
        &toy,
        &mut s,
        &w,
        Rate::Constant(eta),
        &[m],
        &m,
        steps,
        1417,
        |sv| {
            if sv.t >= burn {
                u2.push((sv.theta[0] - m).powi(2));
            }
        },
    )?;
    let (mu2, se) = u2.finish();
    let exact_var = is_stationary_variance_exact(&m, &v, &p, &eta);
    let zb = batch_sigmas_for(2, 100);
    let e_s = (mu2 - exact_var).abs() / se;
    let approx = eta * vth / (2.0 - eta);
    let rel = (approx - exact_var).abs() / exact_var;
    Ok(exact
        .and(Evidence::violations(
            400,
            "p* > ½ ⟺ v > 1 fails",
            grid_bad,
            "grid m ∈ [−2, 1.8], v ∈ [0.1, 2] (f64)",
        ))
        .and(Evidence::error_at_most(
            n,
            "E[G²] − V(p) at θ = m",
            Measure::ZScore,
            e_v,
            z_iid,
            "i.i.d. draws",
        ))
        .and(Evidence::error_at_most(
            steps as usize,
            "stationary Var θ − ηV/(2 − η/(1−p))",
            Measure::ZScore,
            e_s,
            zb,
            "100 batches of 4·10⁴ steps (≫ 1/η)",
        ))
        .and(Evidence::error_at_most(
            1,
            "approximation ηV/(2−η) vs exact stationary variance",
            Measure::RelError,
            rel,
            IS_VARIANCE_APPROX_REL,
            "p = 0.6, η = 0.02",
        )))
}

/// P-CL-15: AR(1) negative phase with inherited start. Exact over Q: the phase mean is
/// `θ + (a₀ − θ)c_T`. Statistical: simulated phase means match. Exact mean recursion: balanced P1
/// converges to m with exponential rate `η(1 − ρc_T)/2` (ρc_T because Eq.3-R sees the states after
/// each step), ordered by `1 − ρc_T`, for T ∈ {1, 5, 50}; the simulated tail average matches the
/// mean recursion.
pub fn check_p15(b: Budget) -> Result<Evidence> {
    let mut bad = 0;
    for num in 0..10 {
        let rho = q(num, 10);
        for t in 1..=12u32 {
            let (th, a0) = (q(3, 7), q(-5, 3));
            let formula = th.clone() + (a0.clone() - th.clone()) * c_t(&rho, t);
            bad += mismatches([formula == ar1_phase_mean_by_recursion(&th, &rho, &a0, t)]);
        }
    }
    let exact = Evidence::exact(
        120,
        "c_T formula vs summed mean recursion",
        bad,
        "rationals, ρ = 0, 0.1, …, 0.9, T = 1…12",
    );
    // Statistical phase means (θ frozen).
    let toy = GaussianToy::new(1.0, 1.0, 0.7)?;
    let (th, a0, t) = (0.3, 2.5, 6u32);
    let reps = b.instances(200_000);
    let mut rng = ChaCha8Rng::seed_from_u64(1515);
    let mut means = Vec::with_capacity(reps);
    for _ in 0..reps {
        let mut a = a0;
        let mut s = 0.0;
        for _ in 0..t {
            s += a;
            a = toy.step(&a, &[th], Phase::Minus, &mut rng);
        }
        means.push(s / t as f64);
    }
    let pred = th + (a0 - th) * c_t(&0.7, t);
    let z = mc_sigmas_for(2);
    let e1 = (mean(&means) - pred).abs() / (variance(&means) / reps as f64).sqrt();
    // Mean recursion: rates for T ∈ {1, 5, 50}.
    let toy = GaussianToy::new(2.0, 1.0, 0.8)?;
    let eta = 1e-4;
    let mut rates = Vec::new();
    let mut worst_rate: f64 = 0.0;
    let mut far = 0;
    for &t in &[1u64, 5, 50] {
        let pred = eta * (1.0 - 0.8 * c_t(&0.8, t as u32)) / 2.0;
        // Run 30 e-folds; the limit is the periodic orbit, read at the last cycle start.
        let cyc = (2 * t) as usize;
        let n = ((30.0 / pred) as usize / cyc + 1) * cyc;
        let mut s = PhaseSampler::new(
            PhaseProcess::P1 {
                t_plus: t,
                t_minus: t,
            },
            1,
        )?;
        let ph = s.steps(n);
        let path = gaussian_mean_path(&toy, &ph, &Weights::unit(), eta, 0.0, 0.0);
        let limit = path[n - cyc];
        // Fit ln|Eθ − limit| at cycle starts between 10 % and 40 % of the run (3 to 12 e-folds).
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        let stride = cyc * (n / (200 * cyc)).max(1);
        for k in (n / 10..2 * n / 5).step_by(stride) {
            let k = k - k % cyc;
            xs.push(k as f64);
            ys.push((path[k] - limit).abs().ln());
        }
        let rate = -slope(&xs, &ys);
        worst_rate = worse(worst_rate, (rate / pred - 1.0).abs());
        rates.push(rate);
        // The periodic orbit stays within the sawtooth amplitude ηT(|m| + 1) of m.
        far += mismatches([(limit - toy.m).abs() <= eta * t as f64 * (toy.m.abs() + 1.0)]);
    }
    let unordered = mismatches([rates[0] < rates[1], rates[1] < rates[2]]);
    // Simulated tail average vs mean recursion (T = 5, η = 0.01).
    let eta2 = 0.01;
    let t = 5u64;
    let steps = b.instances(2_000_000);
    let p1 = PhaseProcess::P1 {
        t_plus: t,
        t_minus: t,
    };
    let ph = PhaseSampler::new(p1, 1)?.steps(steps);
    let path = gaussian_mean_path(&toy, &ph, &Weights::unit(), eta2, 0.0, 0.0);
    let mut s2 = PhaseSampler::new(p1, 1)?;
    let burn = 100_000u64;
    let mut sim = BatchMeans::with_len((steps as u64).saturating_sub(burn), 100);
    run_eq3r(
        &toy,
        &mut s2,
        &Weights::unit(),
        Rate::Constant(eta2),
        &[0.0],
        &0.0,
        steps as u64,
        1516,
        |v| {
            if v.t >= burn {
                sim.push(v.theta[0] - path[v.t as usize]);
            }
        },
    )?;
    let (md, se) = sim.finish();
    let zb = batch_sigmas_for(2, 100);
    // the seed of the statistical comparison further from its bound
    let seed = if e1 / z >= md.abs() / se / zb {
        1515
    } else {
        1516
    };
    let repro = fixed_setting("rational and f64", seed)
        .size("replicas", reps)
        .size("tail steps", steps)
        .param(
            "phase means (seed 1515)",
            "ρ = 0.7, T = 6, θ = 0.3, a₀ = 2.5",
        )
        .param("rates", "m = 2, ρ = 0.8, T ∈ {1, 5, 50}, η = 10⁻⁴")
        .param(
            "tail (seed 1516)",
            format!("P1 T⁺ = T⁻ = {t}, η = {eta2}, burn-in {burn}"),
        );
    Ok(exact
        .and(Evidence::error_at_most(
            reps,
            "AR(1) phase mean − (θ + (a₀ − θ)c_T)",
            Measure::ZScore,
            e1,
            z,
            "i.i.d. replicas, ρ = 0.7, T = 6",
        ))
        .and(Evidence::error_at_most(
            3,
            "mean-recursion rate vs η(1 − ρc_T)/2",
            Measure::RelError,
            worst_rate,
            AR1_RATE_REL,
            "T ∈ {1, 5, 50}, η = 10⁻⁴, ρ = 0.8",
        ))
        .and(Evidence::violations(
            4,
            "rates not ordered by 1 − ρc_T, or Eθ not at m",
            unordered + far,
            "periodic orbit within ηT(|m| + 1) of m",
        ))
        .and(Evidence::error_at_most(
            steps,
            "simulated tail average − mean recursion",
            Measure::ZScore,
            md.abs() / se,
            zb,
            "100 batches of 1.9·10⁴ steps",
        ))
        .with_reproducer(repro))
}

/// P-CL-16: stochastic approximation on the Gaussian toy (per-step IS, p = 0.6). Robbins–Monro
/// `η_k = 1/(k + 10)`: simulated `E(θ_k − m)²` over replicas matches the exact moment recursion,
/// which falls like `1/k` (RMSE like `k^{−1/2}`); constant η: stationary variance ∝ η.
pub fn check_p16(b: Budget) -> Result<Evidence> {
    let (m, v, p) = (1.0, 2.5, 0.6);
    let toy = GaussianToy::new(m, v, 0.0)?;
    let rate = Rate::RobbinsMonro { c: 1.0, k0: 10.0 };
    let theta0 = -1.0;
    let ks = [1_000usize, 5_000, 20_000];
    let reps = b.instances(300);
    let mut sq = vec![Vec::with_capacity(reps); ks.len()];
    let process = PhaseProcess::P4 {
        alpha_plus: 1.0 - p,
        alpha_minus: p,
    };
    for r in 0..reps {
        let mut s = PhaseSampler::new(process, 1600 + r as u64)?;
        run_eq3r(
            &toy,
            &mut s,
            &per_step_is_weights(p),
            rate,
            &[theta0],
            &m,
            ks[2] as u64 + 1,
            7000 + r as u64,
            |sv| {
                if let Some(i) = ks.iter().position(|k| *k as u64 == sv.t) {
                    sq[i].push((sv.theta[0] - m).powi(2));
                }
            },
        )?;
    }
    // Exact recursion.
    let (mut mu, mut ms) = (theta0 - m, (theta0 - m).powi(2));
    let mut exact = Vec::new();
    let kmax = 1_000_000usize;
    let mut grid = Vec::new();
    for k in 0..=kmax {
        if ks.contains(&k) {
            exact.push(ms);
        }
        if [1_000usize, 10_000, 100_000, 1_000_000].contains(&k) {
            grid.push((k as f64, ms));
        }
        let (a, b2) = is_moment_step(m, v, p, rate.at(k as u64), mu, ms);
        mu = a;
        ms = b2;
    }
    let z = mc_sigmas_for(ks.len());
    let mut worst = Worst::new();
    for (i, e) in exact.iter().enumerate() {
        worst.see(
            i,
            (mean(&sq[i]) - e).abs() / (variance(&sq[i]) / reps as f64).sqrt(),
        );
    }
    let repro = fixed_setting("f64", 1600)
        .size("replicas", reps)
        .size("k", ks[worst.at.unwrap_or(0)])
        .param("replica r seeds", "phases 1600 + r, model 7000 + r")
        .param("(m, v, p)", format!("({m}, {v}, {p})"))
        .param("θ₀", theta0)
        .param("η_k", "1/(k + 10)");
    let worst = worst.value;
    let (gx, gy): (Vec<f64>, Vec<f64>) = grid.into_iter().unzip();
    let slope = log_log_slope(&gx, &gy);
    // Constant η: exact stationary variance over η tends to V/2.
    let eta = STATIONARY_VAR_ETA;
    let ratio = is_stationary_variance_exact(&m, &v, &p, &eta) / eta;
    let half_v = is_noise_second_moment(&m, &v, &p) / 2.0;
    Ok(Evidence::error_at_most(
        reps * ks.len(),
        "replica MSE − exact moment recursion",
        Measure::ZScore,
        worst,
        z,
        format!("{reps} replicas, k ∈ {ks:?}; i.i.d. replicas"),
    )
    .and(Evidence::measured(
        1,
        "order of the exact MSE in k",
        Measure::Slope,
        slope,
        Bound::Between {
            lo: -1.0 - CL_SLOPE_ABS,
            hi: -1.0 + CL_SLOPE_ABS,
        },
        "log–log slope over k = 10³…10⁶ (expected −1)",
    ))
    .and(Evidence::error_at_most(
        1,
        "stationary variance / η vs V/2",
        Measure::RelError,
        (ratio / half_v - 1.0).abs(),
        STATIONARY_VAR_LINEAR_REL,
        format!("η = {eta}"),
    ))
    .with_reproducer(repro))
}
