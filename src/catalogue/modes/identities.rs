//! Aligned networks equal their modes; the per-mode update's limits, closed forms and derivatives
//! (P-RNN-13 … P-RNN-18, P-RNN-20, P-RNN-21). See `docs/theory/modes.md`.
use super::{
    Budget, Case, Evidence, Measure, Q, Reproducer, all_rules_q, mat_diff, sweep, three_rules_q,
};
use crate::error::Result;
use crate::modes::compare::{flow_vs_modes, matrix_vs_modes, rk4_vs_dormand_prince};
use crate::modes::{
    self, Horizon, ModeRule, analytic_m, char_poly, m_matrix, optimal_point, sample, spec_tr_e2,
};
use crate::rnn::Mode;
use crate::scalar::Real;
use crate::tolerances as tol;
use num_traits::{One, Zero};

pub(super) fn p13(b: Budget) -> Result<Evidence> {
    let (nmax, seeds) = match b {
        Budget::Test => (3, 2),
        Budget::Quick => (4, 3),
        Budget::Full => (8, 5),
    };
    // instance k: n = 1 + k / (3·seeds), seed 1300 + (k / 3) % seeds, T = [1, 3, 5][k % 3]; the
    // grid size nmax·seeds·3 is a multiple of the budget's instance factor (1, 2, 10)
    let horizons = [1, 3, 5];
    let (mut mismatches, mut count, mut instances, mut first) = (0usize, 0usize, 0usize, None);
    for k in b.cases(nmax * seeds * horizons.len() / b.instances(1)) {
        let n = 1 + k / (horizons.len() * seeds);
        let seed = 1300 + ((k / horizons.len()) % seeds) as u64;
        let t = horizons[k % horizons.len()];
        let (m, c) = matrix_vs_modes(seed, n, t)?;
        if m > 0 && first.is_none() {
            first = Some(
                Reproducer::new(k, "rational")
                    .seed(seed)
                    .size("n", n)
                    .size("T", t),
            );
        }
        mismatches += m;
        count += c;
        instances += 1;
    }
    let exact = Evidence::exact(
        instances,
        "matrix updates vs per-mode sums",
        mismatches,
        format!(
            "exact over Q: rotated matrix updates (BPTT, tBPTT k=1,2, RFLO) vs per-mode sums and losses, n = 1..{nmax}, T = 1, 3, 5 ({count} residuals)"
        ),
    )
    .maybe_reproducer(first);
    let (mut rk, mut dp, mut worst) = (0.0f64, 0.0f64, None);
    let cases = b.cases(2);
    for &k in &cases {
        let seed = 1310 + k as u64;
        let (a, c) = flow_vs_modes(seed, 3, 5, 0.5)?;
        if worst.is_none() || a.is_nan() || a > rk {
            worst = Some(k);
        }
        rk = crate::linalg::worse(rk, a);
        dp = crate::linalg::worse(dp, c);
    }
    let repro = |k: usize| {
        Reproducer::new(k, "f64")
            .seed(1310 + k as u64)
            .size("n", 3)
            .size("T", 5)
            .param("τ", 0.5)
    };
    let mut rk_ev = Evidence::error_at_most(
        cases.len() * 2,
        "RK4 matrix flow vs per-mode flow",
        Measure::RelError,
        rk,
        tol::MODES_RK4_FLOW_MATCH_REL,
        "f64 RK4 (2000 steps, τ = 0.5): diagonal of the matrix flow in the mode bases vs per-mode flow (BPTT, RFLO), n = 3, T = 5, relative to the largest mode entry",
    );
    if let Some(k) = worst {
        rk_ev = rk_ev.with_reproducer(repro(k));
    }
    let dp_ev = Evidence::error_at_most(
        cases.len() * 2,
        "Dormand–Prince matrix flow vs per-mode flow",
        Measure::RelError,
        dp,
        tol::MODES_DP_FLOW_MATCH_REL,
        "f64 Dormand–Prince (rtol 1e-10): the same comparison",
    );
    let mut cross = 0.0f64;
    for &k in &cases {
        cross = crate::linalg::worse(cross, rk4_vs_dormand_prince(1310 + k as u64, 3, 5, 0.5)?);
    }
    let cross_ev = Evidence::error_at_most(
        cases.len() * 2,
        "per-mode flow: RK4 vs Dormand–Prince",
        Measure::RelError,
        cross,
        tol::MODES_RK4_VS_DP_REL,
        "the per-mode flow integrated by RK4 (2000 steps) and by Dormand–Prince (rtol 1e-10): two independent integrators",
    );
    Ok(exact.and(rk_ev).and(dp_ev).and(cross_ev))
}

pub(super) fn p14(b: Budget) -> Result<Evidence> {
    let s = sweep(b, 40, 14_000, |r| {
        let m: Mode<f64> = sample::mode(r);
        let t: Mode<f64> = sample::teacher(r);
        let mut c = Case::default();
        c.mode(&m);
        c.teacher(&t);
        let rules = all_rules_q(r);
        c.rules(&rules);
        for rule in rules {
            let rule = rule.map(|x| x.to_f64());
            let fin = modes::update(&rule, &m, &t, Horizon::Finite(tol::MODES_LONG_HORIZON))?;
            let inf = modes::update(&rule, &m, &t, Horizon::Infinite)?;
            let scale = inf.a.abs().max(inf.b.abs()).max(inf.w.abs()) + 1.0;
            for (x, y) in [(fin.a, inf.a), (fin.b, inf.b), (fin.w, inf.w)] {
                c.error = crate::linalg::worse(c.error, (x - y).abs() / scale);
            }
        }
        let lf = modes::loss(&m, &t, Horizon::Finite(tol::MODES_LONG_HORIZON))?;
        let li = modes::loss(&m, &t, Horizon::Infinite)?;
        c.error = crate::linalg::worse(c.error, (lf - li).abs() / (li.abs() + 1.0));
        Ok(c)
    })?;
    Ok(s.error(
        "finite-T sums vs T → ∞ forms",
        Measure::RelError,
        tol::F64_IDENTITY_REL,
        format!(
            "f64: finite sums at T = {} vs T → ∞ forms (|w|, |w*|, |ŵ| ≤ 7/8, so the tail is below 1e-20), all rules and the loss, relative to 1 + the largest component; the exact tail is certified in P-RNN-14.a",
            tol::MODES_LONG_HORIZON
        ),
    ))
}

pub(super) fn p15(b: Budget) -> Result<Evidence> {
    let s = sweep(b, 30, 15_000, |r| {
        let m: Mode<Q> = sample::mode(r);
        let t: Mode<Q> = sample::teacher(r);
        let mut c = Case::default();
        c.mode(&m);
        c.teacher(&t);
        for h in [Horizon::Infinite, Horizon::Finite(4)] {
            let u = modes::update(&ModeRule::Bptt, &m, &t, h)?;
            let td = modes::map_mode(&t, |x| crate::scalar::Dual::constant(x.clone()));
            let g = crate::gradcheck::dual_gradient(&modes::to_array(&m), |v| {
                modes::loss(
                    &modes::from_array(&[v[0].clone(), v[1].clone(), v[2].clone()]),
                    &td,
                    h,
                )
            })?;
            c.residuals
                .extend([u.a - g[0].clone(), u.b - g[1].clone(), u.w - g[2].clone()]);
        }
        Ok(c)
    })?;
    Ok(s.exact(
        "Δ_BPTT − ∇L",
        "exact over Q: Δ_BPTT − ∇L by dual numbers, T → ∞ and T = 4",
    ))
}

pub(super) fn p16(b: Budget) -> Result<Evidence> {
    let s = sweep(b, 30, 16_000, |r| {
        let m: Mode<Q> = sample::mode(r);
        let t: Mode<Q> = sample::teacher(r);
        let mut cs_ = Case::default();
        cs_.mode(&m);
        cs_.teacher(&t);
        let u = modes::update(&ModeRule::Tbptt { k: 1 }, &m, &t, Horizon::Infinite)?;
        let one = Q::one();
        let c = m.a.clone() * m.b.clone();
        let cs = t.a.clone() * t.b.clone();
        let (w, ws) = (m.w.clone(), t.w.clone());
        cs_.residuals
            .push(u.b - m.a.clone() * (c.clone() - cs.clone()));
        cs_.residuals.push(
            u.w - c.clone()
                * (c * w.clone() / (one.clone() - w.clone() * w.clone())
                    - cs * ws.clone() / (one - w * ws)),
        );
        let mf = modes::map_mode(&m, |x| x.to_f64());
        let tf = modes::map_mode(&t, |x| x.to_f64());
        let big = modes::update(
            &ModeRule::Tbptt {
                k: tol::MODES_LONG_HORIZON,
            },
            &mf,
            &tf,
            Horizon::Infinite,
        )?;
        let bp = modes::update(&ModeRule::Bptt, &mf, &tf, Horizon::Infinite)?;
        let scale = bp.a.abs().max(bp.b.abs()).max(bp.w.abs()) + 1.0;
        for (x, y) in [(big.b, bp.b), (big.w, bp.w)] {
            cs_.error = crate::linalg::worse(cs_.error, (x - y).abs() / scale);
        }
        Ok(cs_)
    })?;
    Ok(s.exact(
        "tBPTT(1) closed forms",
        "exact over Q: tBPTT(k=1) T → ∞ forms = Δb = a(c − c*), Δw = c[cw/(1−w²) − c*w*/(1−ww*)]",
    )
    .and(s.error(
        "long tBPTT vs BPTT",
        Measure::RelError,
        tol::F64_IDENTITY_REL,
        format!(
            "f64: tBPTT(k = {}) vs BPTT, T → ∞, relative to 1 + the largest component",
            tol::MODES_LONG_HORIZON
        ),
    )))
}

pub(super) fn p17(b: Budget) -> Result<Evidence> {
    let s = sweep(b, 30, 17_000, |r| {
        let t: Mode<Q> = sample::teacher(r);
        let s: Q = sample::s_value(r);
        let p = optimal_point(&s, &t)?;
        let mut c = Case::default();
        c.teacher(&t);
        c.input("s", &s);
        let rules = all_rules_q(r);
        c.rules(&rules);
        for rule in rules {
            let u = modes::update(&rule, &p, &t, Horizon::Infinite)?;
            c.residuals.extend([u.a, u.b, u.w]);
            // finite T too: g_k = 0 on the manifold
            let u = modes::update(&rule, &p, &t, Horizon::Finite(5))?;
            c.residuals.extend([u.a, u.b, u.w]);
        }
        let w: Q = sample::dyadic(r, 7, 8, false);
        c.input("w on (0, 0, w)", &w);
        for rule in [
            ModeRule::Bptt,
            ModeRule::Tbptt { k: 1 },
            ModeRule::Tbptt { k: 3 },
        ] {
            let u = modes::update(&rule, &modes::nonoptimal_point(&w), &t, Horizon::Infinite)?;
            c.residuals.extend([u.a, u.b, u.w]);
        }
        Ok(c)
    })?;
    Ok(s.exact(
        "Δ at the fixed sets",
        "exact over Q: Δ at (s, c*/s, w*) for BPTT, tBPTT k=1..3, RFLO (T → ∞ and T = 5) and at (0, 0, w) for BPTT, tBPTT",
    ))
}

pub(super) fn p18(b: Budget) -> Result<Evidence> {
    let s = sweep(b, 30, 18_000, |r| {
        let t: Mode<Q> = sample::teacher(r);
        let rule = sample::rflo(r);
        let ModeRule::Rflo { a_hat, w_hat } = &rule else {
            unreachable!("sample::rflo returns RFLO")
        };
        let w: Q = sample::dyadic(r, 7, 8, false);
        let u = modes::update(&rule, &modes::nonoptimal_point(&w), &t, Horizon::Infinite)?;
        let cs = t.a.clone() * t.b.clone();
        let expect = -(a_hat.clone() * cs) / (Q::one() - w_hat.clone() * t.w.clone());
        let mut c = Case::default();
        c.teacher(&t);
        c.rule(&rule);
        c.input("w on (0, 0, w)", &w);
        if u.b.is_zero() {
            c.violations += 1;
        }
        c.residuals.extend([u.a, u.b - expect, u.w]);
        Ok(c)
    })?;
    Ok(s.exact(
        "RFLO Δ at (0, 0, w)",
        "exact over Q: RFLO Δ at (0, 0, w) = (0, −âc*/(1−ŵw*), 0)",
    )
    .and(s.violations(
        "Δb = 0 at (0, 0, w)",
        "RFLO's Δb ≠ 0 on the line (â, c* ≠ 0), so the line holds no fixed point",
    )))
}

pub(super) fn p20(b: Budget) -> Result<Evidence> {
    let s = sweep(b, 30, 20_000, |r| {
        let t: Mode<Q> = sample::teacher(r);
        let s: Q = sample::s_value(r);
        let p = optimal_point(&s, &t)?;
        let mut c = Case::default();
        c.teacher(&t);
        c.input("s", &s);
        let rules = all_rules_q(r);
        c.rules(&rules);
        for rule in rules {
            let m = m_matrix(&rule, &p, &t, Horizon::Infinite)?;
            if !matches!(rule, ModeRule::Tbptt { k } if k > 1) {
                c.residuals
                    .extend(mat_diff(&analytic_m(&rule, &s, &t)?, &m));
            }
            for row in &m {
                c.residuals
                    .push(row[0].clone() * p.a.clone() - row[1].clone() * p.b.clone());
            }
        }
        Ok(c)
    })?;
    Ok(s.exact(
        "analytic M − ∂Δ/∂θ",
        "exact over Q (Dual<Rational>): analytic M (BPTT, tBPTT k=1, RFLO) − ∂Δ/∂θ, and M (a, −b, 0) for k = 1..3 too",
    ))
}

pub(super) fn p21(b: Budget) -> Result<Evidence> {
    let s = sweep(b, 30, 21_000, |r| {
        let t: Mode<Q> = sample::teacher(r);
        let s: Q = sample::s_value(r);
        let p = optimal_point(&s, &t)?;
        let mut c = Case::default();
        c.teacher(&t);
        c.input("s", &s);
        let rules = three_rules_q(r);
        c.rules(&rules);
        for rule in rules {
            let cp = char_poly(&m_matrix(&rule, &p, &t, Horizon::Infinite)?);
            let (tr, e2) = spec_tr_e2(&rule, &s, &t)?;
            c.residuals.extend([tr - cp.tr, e2 - cp.e2, cp.det]);
        }
        let k = modes::jacobian::manifold_constants(&t, None);
        c.residuals
            .push(k.q.clone() * k.n - k.m.clone() * k.m - k.q.powi(4));
        Ok(c)
    })?;
    Ok(s.exact(
        "tr, E2, det of M",
        "exact over Q: closed-form tr, E2 − those of ∂Δ/∂θ; det = 0; QN − m² − Q⁴",
    ))
}
