//! Learning-ODE trajectories and conserved quantities of the per-mode flow (P-RNN-29 … P-RNN-34).
//! These checks integrate ODEs in f64: their findings are counts of runs that broke a stated
//! property and measured drifts, never exact equalities. See `docs/theory/modes.md`.
use super::{Budget, Evidence, Measure, Q, Reproducer, rel, rng};
use crate::error::Result;
use crate::evidence::Bound;
use crate::modes::runs::{balanced_setting, conservation_run, leaving_setting, run_mode};
use crate::modes::systems::{ModeFlow, pack_modes, unpack_modes};
use crate::modes::{self, Horizon, ModeRule, StabilityClass, manifold, sample};
use crate::ode::{self, DpOptions, Outcome};
use crate::rnn::Mode;
use crate::rules::{Loss, Rule, expected};
use crate::scalar::Real;
use crate::tolerances as tol;
use num_traits::Zero;

/// Fraction of runs that converged, held to `MODES_MIN_CONVERGED_RUNS`: a conservation or
/// end-point check on runs that never converged would be empty.
fn converged_fraction(n: usize, conv: usize) -> Evidence {
    let f = if n == 0 {
        f64::NAN
    } else {
        conv as f64 / n as f64
    };
    Evidence::measured(
        n,
        "runs that converged",
        Measure::Fraction,
        f,
        Bound::AtLeast {
            value: tol::MODES_MIN_CONVERGED_RUNS,
        },
        format!("{conv} of {n} runs converged"),
    )
}

fn conservation_check(
    b: Budget,
    seed0: u64,
    rule: ModeRule<f64>,
    inv: fn(&Mode<f64>) -> f64,
    d_of: fn(&Mode<f64>, &Mode<f64>) -> f64,
) -> Result<Evidence> {
    let (mut drift, mut end_err, mut conv, mut n) = (0.0f64, 0.0f64, 0usize, 0usize);
    let (mut worst_drift, mut worst_end) = (None, None);
    for k in b.cases(6) {
        let mut r = rng(seed0 + k as u64);
        let t: Mode<f64> = sample::teacher(&mut r);
        let y0: Mode<f64> = sample::mode(&mut r);
        let run = conservation_run(&rule, &t, &y0, inv, d_of)?;
        n += 1;
        if worst_drift.is_none() || run.drift_rel.is_nan() || run.drift_rel > drift {
            worst_drift = Some(k);
        }
        drift = crate::linalg::worse(drift, run.drift_rel);
        if let Some(e) = run.end_error {
            conv += 1;
            if worst_end.is_none() || e.is_nan() || e > end_err {
                worst_end = Some(k);
            }
            end_err = crate::linalg::worse(end_err, e);
        }
    }
    let repro = |k: usize| {
        Reproducer::new(k, "f64")
            .seed(seed0 + k as u64)
            .size("modes", 1)
            .param("rule", rule.name())
    };
    let mut drift_ev = Evidence::error_at_most(
        n,
        "invariant drift",
        Measure::RelError,
        drift,
        tol::MODES_INVARIANT_DRIFT,
        format!(
            "Dormand–Prince (rtol {:e}) to τ = {}: invariant drift relative to 1 + |invariant|",
            tol::ODE_RTOL,
            tol::MODES_CONVERGENCE_TIME
        ),
    );
    if let Some(k) = worst_drift {
        drift_ev = drift_ev.with_reproducer(repro(k));
    }
    let mut end_ev = Evidence::error_at_most(
        conv,
        "end point vs predicted",
        Measure::RelError,
        end_err,
        tol::MODES_ENDPOINT_REL,
        "converged runs: a² vs the s² predicted from the invariant (relative), |w − w*|",
    );
    if let Some(k) = worst_end {
        end_ev = end_ev.with_reproducer(repro(k));
    }
    Ok(drift_ev.and(end_ev).and(converged_fraction(n, conv)))
}

pub(super) fn p29(b: Budget) -> Result<Evidence> {
    conservation_check(
        b,
        29_000,
        ModeRule::Bptt,
        manifold::bptt_invariant,
        |y0, _| manifold::bptt_invariant(y0),
    )
}

pub(super) fn p30(b: Budget) -> Result<Evidence> {
    conservation_check(
        b,
        30_000,
        ModeRule::Tbptt { k: 1 },
        manifold::tbptt1_invariant,
        |y0, t| manifold::tbptt1_invariant(y0) + t.w * t.w,
    )
}

/// The reproducer of a per-mode ODE run from `y0` under `teacher` (instance `k`, f64).
fn run_repro(k: usize, rule: &ModeRule<f64>, teacher: &Mode<f64>, y0: &Mode<f64>) -> Reproducer {
    let mut c = super::Case::default();
    c.teacher(teacher);
    c.rule(rule);
    c.input("a₀", y0.a);
    c.input("b₀", y0.b);
    c.input("w₀", y0.w);
    c.inputs.into_iter().fold(
        Reproducer::new(k, "f64")
            .size("modes", 1)
            .param("rule", rule.name()),
        |r, (name, value)| r.param(&name, value),
    )
}

/// The rules P-RNN-31 runs from the balanced start, one instance each.
fn balanced_rules() -> [ModeRule<f64>; 4] {
    [
        ModeRule::Bptt,
        ModeRule::Tbptt { k: 1 },
        ModeRule::Rflo {
            a_hat: 1.0,
            w_hat: 0.3,
        },
        ModeRule::Rflo {
            a_hat: -1.0,
            w_hat: 0.3,
        },
    ]
}

pub(super) fn p31(b: Budget) -> Result<Evidence> {
    let (t, y0) = balanced_setting();
    let cs = t.a * t.b;
    let rules = balanced_rules();
    let (mut bad, mut n, mut worst) = (Vec::new(), 0usize, None);
    for k in super::super::fixed_cases(b, rules.len()) {
        let rule = &rules[k];
        n += 1;
        let before = bad.len();
        if let ModeRule::Bptt = rule {
            // BPTT: stays on a = b, tends to (0, 0, w∞) with loss c*²/(2(1 − w*²))
            let (out, drift) = run_mode(
                rule,
                &t,
                &y0,
                tol::MODES_CONVERGENCE_TIME,
                Some(|m| m.a - m.b),
            )?;
            let y = out.into_final()?;
            let m = &unpack_modes(&y)[0];
            let stall = cs * cs / (2.0 * (1.0 - t.w * t.w));
            let l = modes::loss(m, &t, Horizon::Infinite)?;
            if drift > tol::MODES_INVARIANT_DRIFT
                || m.a.abs() > tol::MODES_ROOT_LOCATION
                || rel(l, stall) > tol::MODES_ENDPOINT_REL
            {
                bad.push(format!("bptt ended at {m:?}, loss {l}, a−b drift {drift}"));
            }
        } else {
            let (out, _) = run_mode(rule, &t, &y0, tol::MODES_CONVERGENCE_TIME, None)?;
            let y = out.into_final()?;
            let m = &unpack_modes(&y)[0];
            if (m.a * m.b - cs).abs() > tol::MODES_ROOT_LOCATION
                || (m.w - t.w).abs() > tol::MODES_ROOT_LOCATION
            {
                bad.push(format!("{} ended at {m:?}", rule.name()));
            }
        }
        // the first failing run, else the first run
        if worst.is_none() || (bad.len() > before && before == 0) {
            worst = Some(k);
        }
    }
    let ev = Evidence::violations(
        n,
        "runs ending off their predicted end",
        bad.len(),
        if bad.is_empty() {
            format!(
                "f64 Dormand–Prince (rtol {:e}) to τ = {}, teacher (1, −0.8, 0.5), start (0.5, 0.5, 0.2): BPTT stalls at a = b → 0 with loss c*²/(2(1−w*²)); tBPTT and RFLO (â = ±1, ŵ = 0.3) reach ab = c*, w = w* (within {:e})",
                tol::ODE_RTOL,
                tol::MODES_CONVERGENCE_TIME,
                tol::MODES_ROOT_LOCATION
            )
        } else {
            bad.join("; ")
        },
    );
    Ok(match worst {
        Some(k) => ev.with_reproducer(
            run_repro(k, &rules[k], &t, &y0).param("τ", tol::MODES_CONVERGENCE_TIME),
        ),
        None => ev,
    })
}

/// The RFLO feedback gains â P-RNN-32 runs from the balanced start (ŵ = 0.3): instances 0 … 3;
/// instances from 4 on are random draws.
const BALANCED_A_HATS: [f64; 4] = [1.0, -1.0, 0.5, -0.5];

pub(super) fn p32(b: Budget) -> Result<Evidence> {
    let (t0, y00) = balanced_setting();
    let mut bad = Vec::new();
    let (mut balanced, mut first_bad, mut first_stalled, mut first_run) =
        (0usize, None, None, None);
    // random runs: convergent ones end stable; with w*(w* − ŵ) ≤ 0 on sgn(a) = sgn(â)
    let (mut conv, mut cond, mut n) = (0usize, 0usize, 0usize);
    let mut stiff = 0usize;
    // instances 0 … 3: the balanced start; instance k ≥ 4: the draw seeded 32 000 + (k − 4)
    let fixed = BALANCED_A_HATS.len();
    // (base 22: 4 + 18 draws at the test budget, 4 + 40 quick, 4 + 216 full)
    for k in b.cases(22) {
        if k < fixed {
            let a_hat = BALANCED_A_HATS[k];
            let rule = ModeRule::Rflo { a_hat, w_hat: 0.3 };
            let (out, _) = run_mode(&rule, &t0, &y00, tol::MODES_CONVERGENCE_TIME, None)?;
            let m = unpack_modes(&out.into_final()?)[0].clone();
            balanced += 1;
            first_run.get_or_insert_with(|| run_repro(k, &rule, &t0, &y00));
            if m.a.signum() != a_hat.signum() {
                bad.push(format!("balanced start, â = {a_hat}: ended at {m:?}"));
                first_bad.get_or_insert_with(|| run_repro(k, &rule, &t0, &y00));
            }
            continue;
        }
        let seed = 32_000 + (k - fixed) as u64;
        let mut r = rng(seed);
        let t: Mode<f64> = sample::teacher(&mut r);
        let rule = sample::rflo::<f64, _>(&mut r);
        let y0: Mode<f64> = sample::mode(&mut r);
        let ModeRule::Rflo { a_hat, w_hat } = rule else {
            unreachable!("RFLO")
        };
        let repro = || run_repro(k, &rule, &t, &y0).seed(seed);
        // a start exactly on a fixed point (possible on the dyadic grid) is not a generic run
        let u0 = modes::update(&rule, &y0, &t, Horizon::Infinite)?;
        if u0.a.abs() + u0.b.abs() + u0.w.abs() < tol::MODES_CONVERGED_UPDATE {
            continue;
        }
        n += 1;
        first_run.get_or_insert_with(repro);
        // A run whose step size underflows (it blows up or turns stiff) did not converge; it
        // counts against the converged fraction below, like one that leaves |w| < 1.
        let out = match run_mode(&rule, &t, &y0, tol::MODES_CONVERGENCE_TIME, None) {
            Ok((out, _)) => out,
            Err(crate::LroError::StepUnderflow { .. }) => {
                stiff += 1;
                first_stalled.get_or_insert_with(repro);
                continue;
            }
            Err(e) => return Err(e),
        };
        let Outcome::Reached { y, .. } = out else {
            first_stalled.get_or_insert_with(repro);
            continue;
        };
        let m = unpack_modes(&y)[0].clone();
        let u = modes::update(&rule, &m, &t, Horizon::Infinite)?;
        if u.a.abs() + u.b.abs() + u.w.abs() > tol::MODES_CONVERGED_UPDATE {
            first_stalled.get_or_insert_with(repro);
            continue;
        }
        conv += 1;
        let before = bad.len();
        let rep = modes::jacobian::report(&rule, &m, &t, Horizon::Infinite)?;
        if !matches!(
            rep.class,
            StabilityClass::StableNode | StabilityClass::StableFocus
        ) {
            bad.push(format!("converged to a {} point {m:?}", rep.class));
        }
        if t.w * (t.w - w_hat) <= 0.0 {
            cond += 1;
            if m.a.signum() != a_hat.signum() {
                bad.push(format!("w*(w*−ŵ) ≤ 0 but ended on sgn(a) ≠ sgn(â): {m:?}"));
            }
        }
        if bad.len() > before {
            first_bad.get_or_insert_with(repro);
        }
    }
    let mut ev = Evidence::violations(
        n + balanced,
        "runs ending unstable or on the wrong branch",
        bad.len(),
        if bad.is_empty() {
            format!(
                "f64 Dormand–Prince to τ = {}: balanced start (c* < 0) ends on sgn(a) = sgn(â) for â = ±1, ±1/2; {conv} of {n} random runs converged ({stiff} stopped on a step-size underflow), all to stable points; {cond} had w*(w*−ŵ) ≤ 0, all on sgn(a) = sgn(â)",
                tol::MODES_CONVERGENCE_TIME
            )
        } else {
            bad.join("; ")
        },
    );
    // the first bad run, else the first run (a pooled fraction has no worst single run; its
    // first non-converged run is kept below for when the fraction fails)
    if let Some(r) = first_bad.or(first_run.clone()) {
        ev = ev.with_reproducer(r);
    }
    if n == 0 && crate::evidence::selected_instance().is_some_and(|k| k < fixed) {
        // one balanced run reproduced alone: no random run to take a fraction of
        return Ok(match (&ev.reproducer, first_run) {
            (None, Some(r)) => ev.with_reproducer(r),
            _ => ev,
        });
    }
    let mut fraction = converged_fraction(n, conv);
    if let Some(r) = first_stalled {
        fraction = fraction.with_reproducer(r);
    }
    Ok(ev.and(fraction))
}

/// The claimed non-conservations of P-RNN-33, one instance each: the rule and the quantity.
const NON_CONSERVATIONS: [(&str, &str); 5] = [
    ("tbptt:1", "aΔa − bΔb"),
    ("rflo", "aΔa − bΔb"),
    ("rflo", "aΔa − bΔb − wΔw"),
    ("tbptt:2", "aΔa − bΔb − wΔw"),
    ("matrix bptt", "d(AᵀA − BBᵀ)/dτ"),
];

pub(super) fn p33(b: Budget) -> Result<Evidence> {
    let q = |n: i64, d: i64| Q::ratio(n, d);
    let m = Mode::new(q(1, 2), q(3, 4), q(1, 4));
    let t = Mode::new(q(1, 1), q(1, 1), q(1, 2));
    let rflo = ModeRule::Rflo {
        a_hat: q(1, 1),
        w_hat: q(1, 4),
    };
    let d_ab = |rule: &ModeRule<Q>| -> Result<Q> {
        let u = modes::update(rule, &m, &t, Horizon::Infinite)?;
        Ok(m.a.clone() * u.a - m.b.clone() * u.b)
    };
    let d_abw = |rule: &ModeRule<Q>| -> Result<Q> {
        let u = modes::update(rule, &m, &t, Horizon::Infinite)?;
        Ok(m.a.clone() * u.a - m.b.clone() * u.b - m.w.clone() * u.w)
    };
    // matrix BPTT: d/dτ (AᵀA − BBᵀ) = −(ΔAᵀA + AᵀΔA) + (ΔB Bᵀ + B ΔBᵀ) ≠ 0 on a generic instance
    let spec = crate::rnn::InstanceSpec {
        seed: 33,
        o: 2,
        n: 3,
        n_teacher: 3,
        d: 2,
        horizon: 4,
    };
    let (mut n, mut missing, mut worst) = (0usize, 0usize, None);
    for k in super::super::fixed_cases(b, NON_CONSERVATIONS.len()) {
        let found = match k {
            0 => !d_ab(&ModeRule::Tbptt { k: 1 })?.is_zero(),
            1 => !d_ab(&rflo)?.is_zero(),
            2 => !d_abw(&rflo)?.is_zero(),
            3 => !d_abw(&ModeRule::Tbptt { k: 2 })?.is_zero(),
            _ => {
                let inst = spec.draw()?.cast::<Q>();
                let u = expected::update(&Rule::Bptt, &inst.st, 4, Loss::Final)?;
                let (a, bm) = (inst.st.student.a(), inst.st.student.b());
                let rate = -(u.a.transpose() * a + a.transpose() * &u.a)
                    + (&u.b * bm.transpose() + bm * u.b.transpose());
                rate.iter().any(|x| !x.is_zero())
            }
        };
        n += 1;
        missing += usize::from(!found);
        // the first vanishing one, else the first checked
        if worst.is_none() || (!found && missing == 1) {
            worst = Some(k);
        }
    }
    let ev = Evidence::violations(
        n,
        "claimed non-conservations that vanish",
        missing,
        "exact counterexamples over Q at (a, b, w) = (1/2, 3/4, 1/4), teacher (1, 1, 1/2): aΔa − bΔb ≠ 0 for tBPTT(1) and RFLO (â = 1, ŵ = 1/4); aΔa − bΔb − wΔw ≠ 0 for RFLO and tBPTT(2); d(AᵀA − BBᵀ)/dτ ≠ 0 for matrix BPTT (seed 33, o = 2, n = 3, d = 2, T = 4)",
    );
    Ok(match worst {
        Some(k) => {
            let (rule, quantity) = NON_CONSERVATIONS[k];
            let r = Reproducer::new(k, "rational")
                .param("rule", rule)
                .param("quantity", quantity);
            ev.with_reproducer(if k == 4 {
                r.seed(spec.seed)
                    .size("o", spec.o)
                    .size("n", spec.n)
                    .size("n*", spec.n_teacher)
                    .size("d", spec.d)
                    .size("T", spec.horizon)
            } else {
                let r = r
                    .size("modes", 1)
                    .param("(a, b, w)", "(1/2, 3/4, 1/4)")
                    .param("(a*, b*, w*)", "(1, 1, 1/2)");
                if rule == "rflo" {
                    r.param("â", "1").param("ŵ", "1/4")
                } else {
                    r
                }
            })
        }
        None => ev,
    })
}

/// The drivers P-RNN-34 checks, one instance each.
const LEAVING_CHECKS: [&str; 3] = [
    "Dormand–Prince stops with LeftDomain",
    "RK4 (10 000 steps) stops with LeftDomain",
    "into_final refuses the Dormand–Prince outcome",
];

pub(super) fn p34(b: Budget) -> Result<Evidence> {
    let (rule, t, y0) = leaving_setting();
    let sys = ModeFlow::single(rule.clone(), t.clone(), Horizon::Infinite);
    let y = pack_modes(std::slice::from_ref(&y0));
    let left = |o: &Outcome<f64>| matches!(o, Outcome::LeftDomain { last_inside, .. } if last_inside[2].abs() < 1.0);
    let (mut n, mut bad, mut worst) = (0usize, 0usize, None);
    for k in super::super::fixed_cases(b, LEAVING_CHECKS.len()) {
        let ok = match k {
            0 => left(&ode::dormand_prince(
                &sys,
                &y,
                100.0,
                &DpOptions::default(),
                &mut |_, _| {},
            )?),
            1 => left(&ode::rk4(&sys, &y, 100.0, 10_000, &mut |_, _| {})?),
            _ => ode::dormand_prince(&sys, &y, 100.0, &DpOptions::default(), &mut |_, _| {})?
                .into_final()
                .is_err(),
        };
        n += 1;
        bad += usize::from(!ok);
        if worst.is_none() || (!ok && bad == 1) {
            worst = Some(k);
        }
    }
    let ev = Evidence::violations(
        n,
        "driver outcomes other than LeftDomain",
        bad,
        "f64 RFLO from (1, 1, 0.6), teacher (1, 1, 0.5), â = −1, ŵ = 1/2: Dormand–Prince and RK4 both stop with LeftDomain (last state inside |w| < 1), and into_final refuses it",
    );
    Ok(match worst {
        Some(k) => ev.with_reproducer(
            run_repro(k, &rule, &t, &y0)
                .param("check", LEAVING_CHECKS[k])
                .param("τ", 100),
        ),
        None => ev,
    })
}
