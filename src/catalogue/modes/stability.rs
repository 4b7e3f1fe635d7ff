//! Fixed points, Jacobians and stability classes of the per-mode flow (P-RNN-19, P-RNN-22 …
//! P-RNN-26). See `docs/theory/modes.md`.
use super::{Budget, Case, Evidence, Measure, Q, Reproducer, mat_diff, pos, rel, sweep};
use super::{rng, three_rules_q};
use crate::error::Result;
use crate::evidence::Bound;
use crate::modes::roots::{RootSearch, root_search};
use crate::modes::{
    self, Horizon, ModeRule, StabilityClass, char_poly, classify, classify_reduced, eigenvalues,
    hessian_of_loss, m_matrix, optimal_point, sample,
};
use crate::rnn::Mode;
use crate::scalar::Real;
use crate::tolerances as tol;
use num_traits::{One, Zero};

pub(super) fn p19(b: Budget) -> Result<Evidence> {
    let mut all = RootSearch::default();
    let (mut instances, mut first_spurious) = (0usize, None);
    // the instance whose searches converged least often, with its reproducer
    let (mut least, mut least_at) = (f64::INFINITY, None);
    for k in b.cases(3) {
        let seed = 19_000 + k as u64;
        let mut r = rng(seed);
        let t: Mode<f64> = sample::teacher(&mut r);
        let rules = three_rules_q(&mut r);
        let mut inputs = Case::default();
        inputs.teacher(&t);
        inputs.rules(&rules);
        let repro = || {
            inputs.inputs.iter().fold(
                Reproducer::new(k, "f64")
                    .seed(seed)
                    .size("modes", 1)
                    .size("starts per rule", crate::modes::roots::STARTS),
                |r, (name, value)| r.param(name, value),
            )
        };
        let mut here = RootSearch::default();
        for rule in rules {
            let rule = rule.map(|x| x.to_f64());
            let found = root_search(&rule, &t)?;
            if !found.spurious.is_empty() && first_spurious.is_none() {
                first_spurious = Some(
                    repro()
                        .param("rule", rule.name())
                        .param("first spurious root", format!("{:?}", found.spurious[0])),
                );
            }
            here.merge(found);
        }
        let fraction = here.converged() as f64 / here.starts.max(1) as f64;
        if least_at.is_none() || fraction < least {
            least = fraction;
            least_at = Some(repro().param("converged fraction", crate::evidence::human(fraction)));
        }
        all.merge(here);
        instances += 1;
    }
    let converged = all.converged();
    let closest_miss = all
        .not_converged
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min);
    let near = all
        .not_converged
        .iter()
        .filter(|&&r| r <= tol::MODES_ROOT_NEAR)
        .count();
    let mut spurious = Evidence::violations(
        instances,
        "converged roots off the known fixed sets",
        all.spurious.len(),
        format!(
            "Levenberg–Marquardt from {} starts per (teacher, rule) (BPTT, tBPTT k=1, RFLO): of {} searches, {} converged (‖Δ‖ ≤ {:e}) onto the optimal manifold or (BPTT, tBPTT) the line a = b = 0, {} converged elsewhere, {} did not converge ({} of them stalled with ‖Δ‖ ≤ {:e}, near a root they approach slowly; smallest ‖Δ‖ reached {:.2e}); a search that does not converge finds no root and proves nothing",
            crate::modes::roots::STARTS,
            all.starts,
            all.known,
            tol::MODES_ROOT_RESIDUAL,
            all.spurious.len(),
            all.not_converged.len(),
            near,
            tol::MODES_ROOT_NEAR,
            closest_miss,
        ),
    );
    if let Some(r) = first_spurious.or(least_at.clone()) {
        spurious = spurious.with_reproducer(r);
    }
    let fraction = if all.starts == 0 {
        f64::NAN
    } else {
        converged as f64 / all.starts as f64
    };
    let converged_ev = Evidence::measured(
        instances,
        "searches that converged",
        Measure::Fraction,
        fraction,
        Bound::AtLeast {
            value: tol::MODES_ROOT_MIN_CONVERGED_FRACTION,
        },
        format!("{converged} of {} searches converged", all.starts),
    )
    .maybe_reproducer(least_at);
    Ok(spurious.and(converged_ev))
}

pub(super) fn p22(b: Budget) -> Result<Evidence> {
    let s = sweep(b, 20, 22_000, |r| {
        let t: Mode<Q> = sample::teacher(r);
        let m: Mode<Q> = sample::mode(r);
        let mut c = Case::default();
        c.mode(&m);
        c.teacher(&t);
        let jm = m_matrix(&ModeRule::Bptt, &m, &t, Horizon::Infinite)?;
        c.residuals
            .extend(mat_diff(&jm, &hessian_of_loss(&m, &t, Horizon::Infinite)?));
        for (i, row) in jm.iter().enumerate() {
            for (j, x) in row.iter().enumerate() {
                c.residuals.push(x.clone() - jm[j][i].clone());
            }
        }
        let s: Q = sample::s_value(r);
        c.input("s", &s);
        let mm = m_matrix(
            &ModeRule::Bptt,
            &optimal_point(&s, &t)?,
            &t,
            Horizon::Infinite,
        )?;
        let cp = char_poly(&mm);
        let disc = cp.tr.clone() * cp.tr.clone() - Q::from_i64(4) * cp.e2.clone();
        if !(pos(&cp.tr) && pos(&cp.e2) && (disc.is_zero() || pos(&disc))) {
            c.violations += 1;
        }
        let mf = mm.map(|row| row.map(|x| x.to_f64()));
        let sym = nalgebra::Matrix3::from_fn(|i, j| mf[i][j]);
        let scale = sym.abs().max();
        let min_eig = sym.symmetric_eigenvalues().min();
        c.error = -min_eig / scale;
        Ok(c)
    })?;
    Ok(s.exact(
        "M_BPTT − Hess L, M − Mᵀ",
        "exact over Q: ∂Δ_BPTT/∂θ = Hess L_∞ and symmetric at random points",
    )
    .and(s.violations(
        "manifold points without tr > 0, E2 > 0, tr² ≥ 4E2",
        "exact over Q: on the manifold tr > 0, E2 > 0, tr² ≥ 4E2",
    ))
    .and(s.error(
        "−λ_min(M_BPTT)/‖M‖ on the manifold",
        Measure::RelError,
        tol::MODES_ZERO_EIGEN_REL,
        "f64: smallest eigenvalue of M_BPTT on the manifold ≥ −tol·‖M‖_max (PSD)",
    )))
}

pub(super) fn p23(b: Budget) -> Result<Evidence> {
    let s = sweep(b, 30, 23_000, |r| {
        let t: Mode<Q> = sample::teacher(r);
        let s: Q = sample::s_value(r);
        let p = optimal_point(&s, &t)?;
        let mut c = Case::default();
        c.teacher(&t);
        c.input("s", &s);
        let cp = char_poly(&m_matrix(
            &ModeRule::Tbptt { k: 1 },
            &p,
            &t,
            Horizon::Infinite,
        )?);
        let disc = cp.tr.clone() * cp.tr.clone() - Q::from_i64(4) * cp.e2.clone();
        if !(pos(&cp.tr) && pos(&cp.e2) && (disc.is_zero() || pos(&disc))) {
            c.violations += 1;
        }
        let t0 = Mode::new(t.a.clone(), t.b.clone(), Q::zero());
        let p0 = optimal_point(&s, &t0)?;
        c.residuals.extend(mat_diff(
            &m_matrix(&ModeRule::Tbptt { k: 1 }, &p0, &t0, Horizon::Infinite)?,
            &m_matrix(&ModeRule::Bptt, &p0, &t0, Horizon::Infinite)?,
        ));
        Ok(c)
    })?;
    Ok(s.violations(
        "manifold points without tr > 0, E2 > 0, tr² ≥ 4E2",
        "exact over Q: tBPTT(k=1) on the manifold has tr > 0, E2 > 0, tr² ≥ 4E2",
    )
    .and(s.exact(
        "M_tBPTT − M_BPTT at w* = 0",
        "exact over Q: M_tBPTT(1) = M_BPTT on the manifold when w* = 0",
    )))
}

/// Draws (RFLO rule, teacher, s) until `sgn(â s) > 0` equals `same_sign`.
fn rflo_branch_point(
    r: &mut rand_chacha::ChaCha8Rng,
    same_sign: bool,
) -> (ModeRule<Q>, Mode<Q>, Q) {
    loop {
        let t: Mode<Q> = sample::teacher(r);
        let rule: ModeRule<Q> = sample::rflo(r);
        let s: Q = sample::s_value(r);
        let ModeRule::Rflo { a_hat, .. } = &rule else {
            continue;
        };
        if pos(&(a_hat.clone() * s.clone())) == same_sign {
            return (rule, t, s);
        }
    }
}

pub(super) fn p24(b: Budget) -> Result<Evidence> {
    let s = sweep(b, 60, 24_000, |r| {
        let (rule, t, s) = rflo_branch_point(r, true);
        let mut c = Case::default();
        c.teacher(&t);
        c.rule(&rule);
        c.input("s", &s);
        let cp = char_poly(&m_matrix(
            &rule,
            &optimal_point(&s, &t)?,
            &t,
            Horizon::Infinite,
        )?);
        let ModeRule::Rflo { a_hat, w_hat } = &rule else {
            unreachable!("RFLO points")
        };
        // the proof's sign argument: every term of tr and both factors of E2 are positive
        let k = modes::jacobian::manifold_constants(&t, Some(w_hat));
        let cs = t.a.clone() * t.b.clone();
        let bb = cs.clone() / s.clone();
        let ws3 = t.w.powi(3);
        let terms = [
            k.q.clone() * bb.clone() * bb.clone(),
            a_hat.clone() * s.clone() * k.p_hat.clone(),
            a_hat.clone() * bb.clone() * cs.clone() * (Q::one() - w_hat.clone() * ws3),
            a_hat.clone() * s.clone() * bb.clone() * bb.clone(),
            bb.clone() * bb + a_hat.clone() * s.clone(),
        ];
        if !(pos(&cp.tr) && pos(&cp.e2) && terms.iter().all(pos)) {
            c.violations += 1;
        }
        Ok(c)
    })?;
    Ok(s.violations(
        "points with tr ≤ 0, E2 ≤ 0 or a nonpositive term",
        "exact over Q, random â s > 0: tr > 0, E2 > 0 (so both Re λ > 0) and each term of the sign argument > 0",
    ))
}

pub(super) fn p25(b: Budget) -> Result<Evidence> {
    let (mut compared, mut stable_seen) = (0usize, 0usize);
    let mut agree = Vec::new();
    let s = sweep(b, 60, 25_000, |r| {
        let (rule, t, s) = rflo_branch_point(r, false);
        let ModeRule::Rflo { a_hat, w_hat } = &rule else {
            unreachable!("RFLO points")
        };
        let mut c = Case::default();
        c.teacher(&t);
        c.rule(&rule);
        c.input("s", &s);
        let p = optimal_point(&s, &t)?;
        let m = m_matrix(&rule, &p, &t, Horizon::Infinite)?;
        let cp = char_poly(&m);
        let cs = t.a.clone() * t.b.clone();
        // |â||s|³ < c*², decided exactly
        let lhs = a_hat.clone() * s.powi(3);
        let lhs_abs = if pos(&lhs) { lhs } else { -lhs };
        let small = pos(&(cs.clone() * cs.clone() - lhs_abs));
        let e2_neg = !cp.e2.is_zero() && !pos(&cp.e2);
        if small != e2_neg {
            c.violations += 1;
        }
        if pos(&cp.e2) && pos(&cp.tr) {
            stable_seen += 1;
            if !pos(&(t.w.clone() * (t.w.clone() - w_hat.clone()))) {
                c.violations += 1;
            }
        }
        // the reported class (f64 eigenvalues) agrees with the exact signs of tr, E2, discriminant
        let exact = classify_reduced(&cp.tr, &cp.e2);
        let j = m.map(|row| row.map(|x| -x.to_f64()));
        let scale = j
            .iter()
            .flatten()
            .fold(0.0f64, |a, x| a.max(x.abs()))
            .max(1.0);
        let disc = cp.tr.clone() * cp.tr.clone() - Q::from_i64(4) * cp.e2.clone();
        let margin = tol::MODES_CLASS_MARGIN * scale * scale;
        let mut disagree = 0usize;
        if cp.e2.to_f64().abs() > margin && disc.to_f64().abs() > margin * scale.max(1.0) {
            compared += 1;
            let got = classify(&eigenvalues(&j), tol::MODES_ZERO_EIGEN_REL * scale);
            if got != exact {
                disagree += 1;
            }
        }
        agree.push(disagree);
        Ok(c)
    })?;
    let disagreements: usize = agree.iter().sum();
    // the instance with the most disagreements (the first instance when none disagrees)
    let mut worst_class = super::Worst::default();
    for ((k, _), d) in s.inputs.iter().zip(&agree) {
        worst_class.see(*k, *d as f64);
    }
    Ok(s.violations(
        "points breaking E2 < 0 ⇔ |â||s|³ < c*² or the stability condition",
        format!(
            "exact over Q, random â s < 0: E2 < 0 ⇔ |â||s|³ < c*²; tr > 0 and E2 > 0 ⇒ w*(w* − ŵ) > 0 ({stable_seen} stable points seen)"
        ),
    )
    .and(s.attach(
        Evidence::violations(
            compared,
            "f64 class ≠ exact class",
            disagreements,
            format!(
                "class from f64 eigenvalues of J = −M vs class from the exact signs of tr, E2 and the discriminant, on {compared} well-separated points"
            ),
        ),
        worst_class,
        "f64 and rational",
    )))
}

pub(super) fn p26(b: Budget) -> Result<Evidence> {
    let s = sweep(b, 30, 26_000, |r| {
        let t: Mode<f64> = sample::teacher(r);
        let w: f64 = sample::dyadic(r, 7, 8, false);
        let cs = t.a * t.b;
        let mut c = Case::default();
        c.teacher(&t);
        c.input("w on (0, 0, w)", w);
        for (rule, lam) in [
            (ModeRule::Bptt, cs.abs() / (1.0 - w * t.w)),
            (ModeRule::Tbptt { k: 1 }, cs.abs() / (1.0 - w * t.w).sqrt()),
        ] {
            let rep = modes::jacobian::report(
                &rule,
                &modes::nonoptimal_point(&w),
                &t,
                Horizon::Infinite,
            )?;
            let mut ev: Vec<f64> = rep.eigenvalues.iter().map(|e| e.re).collect();
            ev.sort_by(f64::total_cmp);
            let im = rep
                .eigenvalues
                .iter()
                .fold(0.0f64, |a, e| crate::linalg::worse(a, e.im.abs()));
            for e in [
                rel(ev[0], -lam),
                ev[1].abs() / lam,
                rel(ev[2], lam),
                im / lam,
            ] {
                c.error = crate::linalg::worse(c.error, e);
            }
            if rep.class != StabilityClass::Saddle {
                c.violations += 1;
            }
        }
        Ok(c)
    })?;
    Ok(s.error(
        "eigenvalues of J on (0, 0, w) vs {−λ, 0, λ}",
        Measure::RelError,
        tol::MODES_EIGEN_REL,
        "f64: eigenvalues of J on (0, 0, w) = {−λ, 0, λ}, λ = |c*|/(1−ww*) (BPTT), |c*|/√(1−ww*) (tBPTT k=1), relative to λ",
    )
    .and(s.violations("class not saddle", "reported class is saddle")))
}
