//! Convergence rates on the optimal manifold (P-RNN-27, P-RNN-28). See `docs/theory/modes.md`.
use super::{Budget, Case, Evidence, Measure, Q, rel, sweep};
use crate::error::Result;
use crate::modes::runs::rflo_rate_ratio;
use crate::modes::{self, Horizon, ModeRule, char_poly, m_matrix, manifold, optimal_point, sample};
use crate::rnn::Mode;
use crate::scalar::Real;
use crate::tolerances as tol;
use num_traits::Zero;

pub(super) fn p27(b: Budget) -> Result<Evidence> {
    let sw = sweep(b, 8, 27_000, |r| {
        let t: Mode<Q> = sample::teacher(r);
        let (mut worst, mut bad) = (0.0f64, 0usize);
        let (cs, ws) = ((t.a.clone() * t.b.clone()).to_f64(), t.w.to_f64());
        let q = 1.0 / (1.0 - ws * ws);
        // exact-M rate vs closed form at dyadic s
        let s_grid: Vec<f64> = (-12..=12).map(|k| 2f64.powf(k as f64 / 3.0)).collect();
        let mut rates = Vec::new();
        for &s in &s_grid {
            let sq = Q::from_f64(s);
            let exact = manifold::rate_on_manifold(&ModeRule::Bptt, &sq, &t)?;
            let closed = manifold::bptt_rate_closed_form(s, cs, ws);
            worst = crate::linalg::worse(worst, rel(exact, closed));
            rates.push((s * s + cs * cs / (s * s), closed));
        }
        // increasing in X (strictly iff w* ≠ 0; at w* = 0 non-decreasing, see proofs/P-RNN-27.md)
        rates.sort_by(|x, y| x.0.total_cmp(&y.0));
        let strict = ws != 0.0;
        if rates.windows(2).any(|w| {
            let apart = w[1].0 > w[0].0 * (1.0 + tol::MODES_X_SEPARATION);
            apart
                && (w[1].1 < w[0].1 * (1.0 - tol::F64_IDENTITY_REL) || (strict && w[1].1 <= w[0].1))
        }) {
            bad += 1;
        }
        if !strict {
            // w* = 0: λ_min = c*² wherever X ≥ c*² (exact: c*² is a root of λ² − trλ + E2)
            let cs2 = (t.a.clone() * t.b.clone()).powi(2);
            for &s in &s_grid {
                let sq = Q::from_f64(s);
                let cp = char_poly(&m_matrix(
                    &ModeRule::Bptt,
                    &optimal_point(&sq, &t)?,
                    &t,
                    Horizon::Infinite,
                )?);
                let root = cs2.clone() * cs2.clone() - cp.tr.clone() * cs2.clone() + cp.e2;
                if !root.is_zero() {
                    bad += 1;
                }
            }
        }
        // slowest at s = √|c*|: no grid value is below the rate there
        let at_min = manifold::bptt_rate_closed_form(cs.abs().sqrt(), cs, ws);
        if rates
            .iter()
            .any(|&(_, l)| l < at_min * (1.0 - tol::F64_IDENTITY_REL))
        {
            bad += 1;
        }
        // limits: |λ/(Q³c*²) − 1| shrinks like 1/X as s → 0 and s → ∞
        let lim = q * q * q * cs * cs;
        for (s1, s2) in [(1e-2, 1e-3), (1e2, 1e3)] {
            let e1 = (manifold::bptt_rate_closed_form(s1, cs, ws) / lim - 1.0).abs();
            let e2 = (manifold::bptt_rate_closed_form(s2, cs, ws) / lim - 1.0).abs();
            if e2 > tol::MODES_LIMIT_RATIO * e1 + tol::F64_IDENTITY_REL {
                bad += 1;
            }
        }
        Ok(Case {
            residuals: Vec::new(),
            violations: bad,
            error: worst,
            ..Case::default()
        })
    })?;
    Ok(sw
        .error(
            "exact-M rate vs closed form",
            Measure::RelError,
            tol::F64_IDENTITY_REL,
            "rate from the exact M (rounded once) = closed form, on 25 values of s per teacher",
        )
        .and(sw.violations(
            "broken monotonicity, minimum or limit",
            "increasing in X; minimum at s = √|c*|; error to Q³c*² falls ≥ 50× per decade of s toward 0 and ∞",
        )))
}

pub(super) fn p28(b: Budget) -> Result<Evidence> {
    let sw = sweep(b, 8, 28_000, |r| {
        let t: Mode<f64> = sample::teacher(r);
        let (mut bad, mut worst) = (0usize, 0.0f64);
        let ModeRule::Rflo { a_hat, w_hat } = sample::rflo::<f64, _>(r) else {
            unreachable!("RFLO")
        };
        let e: Vec<f64> = [1e-3, 1e-4, 1e-5]
            .iter()
            .map(|&s| rflo_rate_ratio(a_hat, w_hat, &t, s).map(|x| (x - 1.0).abs()))
            .collect::<Result<_>>()?;
        // |ratio − 1| = O(|s|): it falls by ≥ 5× per decade
        if !(e[1] <= 0.2 * e[0] + tol::F64_IDENTITY_REL
            && e[2] <= 0.2 * e[1] + tol::F64_IDENTITY_REL)
        {
            bad += 1;
        }
        worst = crate::linalg::worse(worst, e[2]);
        // faster than BPTT for small |s| on the stable branch
        let s = 1e-3 * a_hat.signum();
        let rule = ModeRule::Rflo {
            a_hat: Q::from_f64(a_hat),
            w_hat: Q::from_f64(w_hat),
        };
        let tq = modes::map_mode(&t, |x| Q::from_f64(*x));
        let rf = manifold::rate_on_manifold(&rule, &Q::from_f64(s), &tq)?;
        let bp = manifold::bptt_rate_closed_form(s, t.a * t.b, t.w);
        if rf <= bp {
            bad += 1;
        }
        Ok(Case {
            residuals: Vec::new(),
            violations: bad,
            error: worst,
            ..Case::default()
        })
    })?;
    Ok(sw
        .violations(
            "slow decay or λ_RFLO ≤ λ_BPTT",
            "RFLO stable branch: |ratio − 1| falls ≥ 5× per decade of s (s = 1e-3, 1e-4, 1e-5) and λ_RFLO > λ_BPTT at |s| = 1e-3",
        )
        .and(sw.error(
            "|λ_min s/(âc*²P̂²Q) − 1| at |s| = 1e-5",
            Measure::RelError,
            tol::MODES_RATE_RATIO_AT_SMALL_S,
            "f64 rate from the exact M at |s| = 1e-5 against the small-s law",
        )))
}
