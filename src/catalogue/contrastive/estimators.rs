//! P-CL-1 … P-CL-7, P-CL-7.ws: IS-R, the phase processes and the Eq.3-R mean field.
use super::{Worst, fixed_setting, mismatches, with_worst};
use crate::catalogue::{Budget, Evidence, Measure, Reproducer};
use crate::contrastive::driver::ClModel;
use crate::contrastive::estimators::*;
use crate::contrastive::instances::{instance_rng, instance_seed, norm_sq, q, rand_qvec, sub};
use crate::contrastive::measure::{sigma_product_mean, simulated_fraction};
use crate::contrastive::models::boltzmann::newton_zero;
use crate::contrastive::models::gaussian::GaussianToy;
use crate::contrastive::models::wake_sleep::Helmholtz;
use crate::contrastive::phases::{LengthDist, PhaseProcess, PhaseSampler, runs};
use crate::contrastive::stats::{BatchMeans, mean, worse};
use crate::contrastive::{Phase, Weights};
use crate::error::Result;
use crate::scalar::{Rational, Real};
use crate::tolerances::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

type Q = Rational;

/// P-CL-1: IS-R's expectation by enumeration equals `g⁺ − g⁻`, exactly over Q.
pub fn check_p1(b: Budget) -> Result<Evidence> {
    let cases = b.cases(200);
    let mut worst = Worst::new();
    let mut bad = 0;
    for &k in &cases {
        let mut rng = instance_rng(101, k);
        let d = rng.random_range(1..=4);
        let (gp, gm) = (rand_qvec(&mut rng, d), rand_qvec(&mut rng, d));
        let den = rng.random_range(2..=12);
        let p = q(rng.random_range(1..den), den);
        let m = mismatches([isr_expectation(&gp, &gm, &p) == sub(&gp, &gm)]);
        bad += m;
        worst.see(k, m as f64);
    }
    let ev = Evidence::exact(
        cases.len(),
        "E[IS-R] = g⁺ − g⁻",
        bad,
        "rationals, D ≤ 4, p = k/d",
    );
    Ok(with_worst(ev, &worst, |k| {
        Reproducer::new(k, "rational").seed(instance_seed(101, k))
    }))
}

/// P-CL-2: the mean of N IS-R draws (Gaussian toy, exact phase samples) lies within z·√(Var/N)
/// of Δ, with the exact variance `M⁺/p + M⁻/(1−p) − Δ²`.
pub fn check_p2(b: Budget) -> Result<Evidence> {
    const CASES: [(f64, f64, f64, f64); 4] = [
        (2.0, 1.5, 0.5, 0.3),
        (-1.0, 0.5, 0.0, 0.5),
        (0.5, 3.0, 1.0, 0.8),
        (1.0, 1.0, 1.0, 0.2),
    ];
    let n = 100_000;
    let cases = b.cases(CASES.len());
    let z = mc_sigmas_for(b.instances(CASES.len()));
    let mut worst = Worst::new();
    for &k in &cases {
        let (m, v, theta, p) = CASES[k % CASES.len()];
        let toy = GaussianToy::new(m, v, 0.0)?;
        let mut rng = instance_rng(200, k);
        let mut sum = 0.0;
        for _ in 0..n {
            let zk = if rng.random::<f64>() < p {
                Phase::Plus
            } else {
                Phase::Minus
            };
            let a = toy.step(&0.0, &[theta], zk, &mut rng);
            sum += isr_estimate(zk, &p, &toy.stat(&a, &[theta]))[0];
        }
        let delta = theta - m;
        let var = isr_variance_formula(&(m * m + v), &(theta * theta + 1.0), &(delta * delta), &p);
        worst.see(k, (sum / n as f64 - delta).abs() / (var / n as f64).sqrt());
    }
    let ev = Evidence::error_at_most(
        cases.len() * n,
        "mean of IS-R draws − Δ",
        Measure::ZScore,
        worst.value,
        z,
        format!(
            "Gaussian toy, {} (m, v, θ, p) cases × {n} draws; standard error from the exact variance; false-alarm rate {MC_FALSE_ALARM:.0e}",
            cases.len()
        ),
    );
    Ok(with_worst(ev, &worst, |k| {
        let (m, v, theta, p) = CASES[k % CASES.len()];
        Reproducer::new(k, "f64")
            .seed(instance_seed(200, k))
            .size("N", n)
            .param("m", m)
            .param("v", v)
            .param("θ", theta)
            .param("p", p)
    }))
}

/// P-CL-3: IS-R variance formula by enumeration; `p*` optimal on a grid; `p* = ½` iff
/// `M⁺ = M⁻`; the worked example. All exact over Q.
pub fn check_p3(b: Budget) -> Result<Evidence> {
    let cases = b.cases(100);
    let mut worst = Worst::new();
    let mut bad = 0;
    // Rational unit vectors, so that √M is rational.
    let units: [[Q; 3]; 3] = [
        [q(1, 1), q(0, 1), q(0, 1)],
        [q(3, 5), q(4, 5), q(0, 1)],
        [q(2, 3), q(1, 3), q(2, 3)],
    ];
    for &k in &cases {
        let mut rng = instance_rng(303, k);
        let mut m = 0;
        let (gp, gm) = (rand_qvec(&mut rng, 3), rand_qvec(&mut rng, 3));
        let p = q(rng.random_range(1..12), 12);
        let delta = sub(&gp, &gm);
        let enumerated = isr_variance_enumerated(&gp, &gm, &p);
        let formula = isr_variance_formula(&norm_sq(&gp), &norm_sq(&gm), &norm_sq(&delta), &p);
        m += mismatches([enumerated == formula]);
        // p*: g^z = r_z u_z with |r_z| rational roots of M^z.
        let rp = q(rng.random_range(1..=9), rng.random_range(1..=4));
        let rm = if k % 4 == 0 {
            rp.clone()
        } else {
            q(rng.random_range(1..=9), rng.random_range(1..=4))
        };
        let up = &units[rng.random_range(0..3)];
        let um = &units[rng.random_range(0..3)];
        let gp: Vec<Q> = up.iter().map(|u| u.clone() * rp.clone()).collect();
        let gm: Vec<Q> = um.iter().map(|u| u.clone() * rm.clone()).collect();
        let ps = p_star_from_roots(&rp, &rm);
        let v_star = isr_variance_enumerated(&gp, &gm, &ps);
        m += mismatches((1..40).map(|j| v_star <= isr_variance_enumerated(&gp, &gm, &q(j, 40))));
        m += mismatches([(ps == q(1, 2)) == (norm_sq(&gp) == norm_sq(&gm))]);
        bad += m;
        worst.see(k, m as f64);
    }
    // Worked example: g⁺ = (3, 0), g⁻ = (0, 1).
    let gp = [q(3, 1), q(0, 1)];
    let gm = [q(0, 1), q(1, 1)];
    let ps = p_star_from_roots(&q(3, 1), &q(1, 1));
    let half = q(1, 2);
    let worked = mismatches([
        ps == q(3, 4),
        isr_second_moment_enumerated(&gp, &gm, &ps) == q(16, 1),
        isr_second_moment_enumerated(&gp, &gm, &half) == q(20, 1),
        isr_variance_enumerated(&gp, &gm, &ps) == q(6, 1),
        isr_variance_enumerated(&gp, &gm, &half) == q(10, 1),
    ]);
    let ev = Evidence::exact(
        cases.len(),
        "variance formula, p* optimal on a grid, p* = ½ ⟺ M⁺ = M⁻",
        bad,
        "rationals; variance by enumeration, p* against a 39-point grid",
    );
    Ok(with_worst(ev, &worst, |k| {
        Reproducer::new(k, "rational").seed(instance_seed(303, k))
    })
    .and(Evidence::exact(
        1,
        "worked example g⁺ = (3, 0), g⁻ = (0, 1)",
        worked,
        "p* = 3/4, E‖G‖² = 16 vs 20, Var = 6 vs 10",
    )))
}

/// P-CL-4: Neyman allocation, exact over Q: among integer `n⁺ ∈ 1..N−1` the cost
/// `S_+²/n⁺ + S_−²/n⁻` is minimised at `n⁺ = N·S_+/(S_+ + S_−)` (N chosen so that it is an integer).
pub fn check_p4(b: Budget) -> Result<Evidence> {
    let cases = b.cases(60);
    let mut worst = Worst::new();
    let mut bad = 0;
    for &k in &cases {
        let mut rng = instance_rng(404, k);
        let (sp, sm) = (rng.random_range(1..=9i64), rng.random_range(1..=9i64));
        let mult = rng.random_range(1..=4i64);
        let total = mult * (sp + sm);
        let opt = mult * sp;
        let cost =
            |np: i64| neyman_cost(&q(sp * sp, 1), &q(sm * sm, 1), &q(np, 1), &q(total - np, 1));
        let best = cost(opt);
        let m = mismatches((1..total).filter(|&np| np != opt).map(|np| best < cost(np)));
        bad += m;
        worst.see(k, m as f64);
    }
    let ev = Evidence::exact(
        cases.len(),
        "Neyman allocation is the strict minimiser",
        bad,
        "integer allocations, exact costs over Q",
    );
    Ok(with_worst(ev, &worst, |k| {
        Reproducer::new(k, "rational").seed(instance_seed(404, k))
    }))
}

/// P-CL-5: empirical π⁺ of P2, P3, P4 against their renewal-reward values within z
/// renewal-reward standard errors; P4 positive sojourns have mean `1/α_+`; P1 exact.
pub fn check_p5(b: Budget) -> Result<Evidence> {
    let procs = [
        PhaseProcess::P2 {
            plus: LengthDist::Uniform { lo: 2, hi: 10 },
            minus: LengthDist::Geometric { mean: 7.0 },
        },
        PhaseProcess::P3 {
            p: 0.3,
            plus: LengthDist::Uniform { lo: 1, hi: 20 },
            minus: LengthDist::Fixed(4),
        },
        PhaseProcess::P4 {
            alpha_plus: 0.1,
            alpha_minus: 0.25,
        },
    ];
    let cycles = b.instances(100_000);
    let z = mc_sigmas_for(procs.len() + 1);
    let mut worst = Worst::new();
    for (k, p) in procs.iter().enumerate() {
        let (pi_hat, se) = simulated_fraction(*p, cycles, 500 + k as u64)?;
        worst.see(k, (pi_hat - p.pi_plus()).abs() / se);
    }
    let worst_proc = worst.at.unwrap_or(0);
    let repro = fixed_setting("f64", 500 + worst_proc as u64)
        .size("cycles", cycles)
        .param("process", format!("{:?}", procs[worst_proc]))
        .param("π⁺", procs[worst_proc].pi_plus());
    let worst = worst.value;
    // P4 sojourns, from the per-step chain.
    let (ap, am) = (0.1, 0.25);
    let mut s = PhaseSampler::new(
        PhaseProcess::P4 {
            alpha_plus: ap,
            alpha_minus: am,
        },
        555,
    )?;
    let steps = s.steps(b.instances(1_000_000));
    let rr = runs(&steps);
    let plus_lens: Vec<f64> = rr[..rr.len() - 1]
        .iter()
        .filter(|r| r.phase == Phase::Plus)
        .map(|r| r.len as f64)
        .collect();
    let sd = (1.0 - ap).sqrt() / ap;
    let sojourn = (mean(&plus_lens) - 1.0 / ap).abs() / (sd / (plus_lens.len() as f64).sqrt());
    // P1 exact: 3 positive steps in every 8 over 1000 cycles.
    let mut s1 = PhaseSampler::new(
        PhaseProcess::P1 {
            t_plus: 3,
            t_minus: 5,
        },
        1,
    )?;
    let st = s1.steps(8 * 1000);
    let plus = st.iter().filter(|z| **z == Phase::Plus).count();
    Ok(Evidence::error_at_most(
        procs.len() * cycles,
        "P2/P3/P4 time fraction π̂⁺ − π⁺",
        Measure::ZScore,
        worst,
        z,
        format!("{cycles} renewal cycles each, renewal-reward CLT standard error; false-alarm rate {MC_FALSE_ALARM:.0e} over 4 comparisons"),
    )
    .and(Evidence::error_at_most(
        plus_lens.len(),
        "P4 mean positive sojourn − 1/α₊",
        Measure::ZScore,
        sojourn,
        z,
        "geometric sojourns, exact standard deviation √(1−α₊)/α₊",
    ))
    .and(Evidence::exact(
        1,
        "P1 positive steps in 1000 cycles − 3000",
        plus.abs_diff(3000),
        "T⁺ = 3, T⁻ = 5; count of positive steps",
    ))
    .with_reproducer(
        repro
            .size("P4 sojourn steps", steps.len())
            .param("P4 sojourn seed (α₊, α₋)", format!("555 ({ap}, {am})")),
    ))
}

/// P-CL-6: P1's σ is exactly periodic with period `T⁺ + T⁻` and no smaller period; under P4 and
/// under P3 with geometric lengths (a two-state Markov chain with `α_+ = (1−p)/μ⁺`, `α_− = p/μ⁻`)
/// `E[σ_tσ_{t+k}] = s̄² + (1 − s̄²)λ^k`, `λ = 1 − α_+ − α_−`: geometric decay, no periodic peaks.
pub fn check_p6(b: Budget) -> Result<Evidence> {
    let (tp, tm) = (3u64, 5u64);
    let period = (tp + tm) as usize;
    let mut s1 = PhaseSampler::new(
        PhaseProcess::P1 {
            t_plus: tp,
            t_minus: tm,
        },
        1,
    )?;
    let st = s1.steps(40 * period);
    let periodic = (0..st.len() - period).all(|t| st[t] == st[t + period]);
    let no_smaller = (1..period).all(|p| (0..st.len() - p).any(|t| st[t] != st[t + p]));
    let exact = Evidence::violations(
        1,
        "P1 has period T⁺ + T⁻ and no smaller one",
        mismatches([periodic, no_smaller]),
        "T⁺ = 3, T⁻ = 5 over 40 periods",
    );
    let chains = [
        (
            PhaseProcess::P4 {
                alpha_plus: 0.15,
                alpha_minus: 0.1,
            },
            0.15,
            0.1,
        ),
        (
            PhaseProcess::P3 {
                p: 0.4,
                plus: LengthDist::Geometric { mean: 4.0 },
                minus: LengthDist::Geometric { mean: 6.0 },
            },
            0.6 / 4.0,
            0.4 / 6.0,
        ),
    ];
    let lags = [1usize, 2, 5, period, 2 * period, 3 * period];
    let batches = 100;
    let z = batch_sigmas_for(chains.len() * lags.len(), batches);
    let n = b.instances(1_000_000);
    let mut worst = Worst::new();
    for (k, (p, ap, am)) in chains.iter().enumerate() {
        let mut s = PhaseSampler::new(*p, 600 + k as u64)?;
        let _burn = s.steps(1000);
        let st = s.steps(n);
        let pi = am / (ap + am);
        let sbar = 2.0 * pi - 1.0;
        let lambda: f64 = 1.0 - ap - am;
        for (j, &lag) in lags.iter().enumerate() {
            let (m, se) = sigma_product_mean(&st, lag, batches);
            let exact = sbar * sbar + (1.0 - sbar * sbar) * lambda.powi(lag as i32);
            worst.see(k * lags.len() + j, (m - exact).abs() / se);
        }
    }
    let at = worst.at.unwrap_or(0);
    let (chain, lag) = (at / lags.len(), lags[at % lags.len()]);
    let repro = fixed_setting("f64", 600 + chain as u64)
        .size("steps", n)
        .size("burn-in", 1000)
        .size("batches", batches)
        .size("lag", lag)
        .param("process", format!("{:?}", chains[chain].0))
        .param("P1 (seed 1)", format!("T⁺ = {tp}, T⁻ = {tm}"));
    let worst = worst.value;
    Ok(exact.and(Evidence::error_at_most(
        chains.len() * n,
        "E[σ_tσ_{t+k}] − Markov formula",
        Measure::ZScore,
        worst,
        z,
        format!("P4 and geometric P3 at lags {lags:?}; {batches} batches of ≥ 10⁴ steps (≫ 1/(α₊+α₋)); Student-t quantile, false-alarm rate {MC_FALSE_ALARM:.0e}"),
    ))
    .with_reproducer(repro))
}

/// P-CL-7: the Eq.3-R mean field. Exact over Q: `ω_z = 1/(2π^z)` gives `Δ/2`, per-step Bernoulli(p)
/// with `ω = (1/p, 1/(1−p))` gives Δ (enumerating the phase of a step). Statistical: with frozen θ
/// and exact sampling (Gaussian toy, P2 random lengths), the time average of `σω f` is `h`.
pub fn check_p7(b: Budget) -> Result<Evidence> {
    let cases = b.cases(100);
    let mut worst = Worst::new();
    let mut bad = 0;
    for &k in &cases {
        let mut rng = instance_rng(707, k);
        let d = rng.random_range(1..=4);
        let (gp, gm) = (rand_qvec(&mut rng, d), rand_qvec(&mut rng, d));
        let pi = q(rng.random_range(1..10), 10);
        let one = Q::from_i64(1);
        let two = Q::from_i64(2);
        let (wp, wm) = (
            one.clone() / (two.clone() * pi.clone()),
            one.clone() / (two.clone() * (one.clone() - pi.clone())),
        );
        let delta = sub(&gp, &gm);
        let half: Vec<Q> = delta.iter().map(|v| v.clone() / two.clone()).collect();
        let h = eq3r_mean_field(&pi, &wp, &wm, &gp, &gm);
        // Per-step Bernoulli(p) by enumeration: E[σ ω f] = p·(1/p)g⁺ − (1−p)·(1/(1−p))g⁻.
        let p = pi.clone();
        let (ip, im) = (
            one.clone() / p.clone(),
            one.clone() / (one.clone() - p.clone()),
        );
        let e: Vec<Q> = gp
            .iter()
            .zip(&gm)
            .map(|(a, b)| {
                p.clone() * ip.clone() * a.clone()
                    - (one.clone() - p.clone()) * im.clone() * b.clone()
            })
            .collect();
        let hb = eq3r_mean_field(&p, &ip, &im, &gp, &gm);
        let m = mismatches([h == half, e == delta, hb == delta]);
        bad += m;
        worst.see(k, m as f64);
    }
    let exact = with_worst(
        Evidence::exact(
            cases.len(),
            "mean field with ω = 1/(2π) is Δ/2; per-step IS gives Δ",
            bad,
            "rationals, D ≤ 4",
        ),
        &worst,
        |k| Reproducer::new(k, "rational").seed(instance_seed(707, k)),
    );
    // Statistical: frozen θ, Gaussian toy with fresh samples, P2 random lengths.
    let toy = GaussianToy::new(1.5, 2.0, 0.0)?;
    let theta = [0.4];
    let process = PhaseProcess::P2 {
        plus: LengthDist::Uniform { lo: 1, hi: 7 },
        minus: LengthDist::Geometric { mean: 6.0 },
    };
    let pi = process.pi_plus();
    let w = Weights {
        plus: 0.7,
        minus: 1.3,
    };
    let mut s = PhaseSampler::new(process, 77)?;
    let mut rng2 = ChaCha8Rng::seed_from_u64(78);
    let steps = b.instances(1_000_000);
    let mut a = 0.0;
    let mut x = BatchMeans::with_len(steps as u64, 100);
    for _ in 0..steps {
        let z = s.next_step();
        a = toy.step(&a, &theta, z, &mut rng2);
        x.push(z.sigma() * w.of(z) * toy.stat(&a, &theta)[0]);
    }
    let (m, se) = x.finish();
    let h = eq3r_mean_field(&pi, &w.plus, &w.minus, &[-toy.m], &[-theta[0]])[0];
    let z = batch_sigmas_for(1, 100);
    Ok(exact.and(Evidence::error_at_most(
        steps,
        "time average of σωf − h",
        Measure::ZScore,
        (m - h).abs() / se,
        z,
        "frozen θ, Gaussian toy, P2 lengths, ω = (0.7, 1.3); 100 batches of ≥ 10⁴ steps",
    )))
}

/// P-CL-7.ws: wake-sleep in the blockwise CL form: the wake statistic lives in the generative
/// block, the sleep statistic in the recognition block, so the Eq.3-R mean field is
/// `(π⁺ω_+ g⁺_gen, −π⁻ω_− g⁻_rec)` and phase imbalance rescales the blocks without moving its
/// zeros: unweighted Eq.3-R with `π⁺ ≠ π⁻` converges to the same point as balanced wake-sleep.
pub fn check_p7_ws(b: Budget) -> Result<Evidence> {
    let hm = Helmholtz {
        n_x: 2,
        data: vec![0.4, 0.1, 0.15, 0.35],
    };
    let d = hm.n_params();
    let g = hm.n_gen();
    // Block structure, by enumeration at random θ (f64; the off-block entries are structural zeros).
    let cases = b.cases(20);
    let mut worst = Worst::new();
    let mut bad = 0;
    for &k in &cases {
        let mut rng = instance_rng(770, k);
        let theta: Vec<f64> = (0..d).map(|_| rng.random_range(-1.0..1.0)).collect();
        let (gp, gm) = hm.g_plus_minus(&theta);
        let m = mismatches(gp[g..].iter().map(|v| *v == 0.0))
            + mismatches(gm[..g].iter().map(|v| *v == 0.0));
        bad += m;
        worst.see(k, m as f64);
    }
    let blocks = with_worst(
        Evidence::violations(
            cases.len(),
            "nonzero wake statistic on the recognition block or sleep statistic on the generative block",
            bad,
            "2-visible, 1-hidden Helmholtz machine at random θ ∈ [−1, 1]^D",
        ),
        &worst,
        |k| Reproducer::new(k, "f64").seed(instance_seed(770, k)),
    );
    // Zero of the balanced and of the unbalanced (π⁺ = 0.25, ω = 1) fields coincide.
    let hmr = &hm;
    let field = |pi: f64| {
        move |t: &[f64]| {
            let (gp, gm) = hmr.g_plus_minus(t);
            gp.iter()
                .zip(&gm)
                .map(|(a, b)| pi * a - (1.0 - pi) * b)
                .collect::<Vec<f64>>()
        }
    };
    let (z_bal, r1) = newton_zero(field(0.5), &vec![0.1; d], CL_NEWTON_FD_STEP, 200)?;
    let r2 = field(0.25)(&z_bal)
        .iter()
        .fold(0.0, |m, v| worse(m, v.abs()));
    Ok(blocks.and(Evidence::error_at_most(
        2,
        "‖unweighted π⁺ = ¼ field‖∞ at the balanced zero",
        Measure::AbsError,
        worse(r1, r2),
        CL_NEWTON_RESIDUAL,
        "Newton zero of the balanced field; residual of both fields there",
    )))
}
