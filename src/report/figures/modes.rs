//! Per-mode figures (spec §4; after Figs. 2–4, settings chosen by the project): convergence rate
//! along the optimal manifold against s, and trajectories in the (a, b) plane with the manifold,
//! including RFLO's detour to the branch sgn(s) = sgn(â).
use super::{Figure, Series, Style};
use crate::catalogue::Budget;
use crate::error::Result;
use crate::modes::manifold::rate_on_manifold;
use crate::modes::systems::ModeFlow;
use crate::modes::{Horizon, ModeRule, loss};
use crate::ode::{Outcome, rk4};
use crate::rnn::Mode;

fn s_grid() -> Vec<f64> {
    let pos: Vec<f64> = (0..60)
        .map(|i| 0.15 * (3.0f64 / 0.15).powf(i as f64 / 59.0))
        .collect();
    pos.iter()
        .rev()
        .map(|s| -s)
        .chain(pos.iter().copied())
        .collect()
}

/// λ_min = min Re λ of M on the optimal manifold `(s, c*/s, w*)` for BPTT, one-step tBPTT and RFLO
/// (teacher (1.2, 1, 0.5), â = 1, ŵ = 0.5). Negative values mean the manifold repels there.
pub fn rates_vs_s(_budget: Budget) -> Result<Figure> {
    let teacher = Mode::new(1.2, 1.0, 0.5);
    let rules = [
        ModeRule::Bptt,
        ModeRule::Tbptt { k: 1 },
        ModeRule::Rflo {
            a_hat: 1.0,
            w_hat: 0.5,
        },
    ];
    let mut series = Vec::new();
    for rule in &rules {
        let points = s_grid()
            .into_iter()
            .filter_map(|s| rate_on_manifold(rule, &s, &teacher).ok().map(|r| (s, r)))
            .collect();
        series.push(Series {
            label: rule.name(),
            points,
            style: Style::Points,
        });
    }
    Ok(Figure {
        name: "rates_vs_s".into(),
        title: "Rate λ_min along the optimal manifold (a*, b*, w*) = (1.2, 1, 0.5); RFLO â = 1, ŵ = 0.5".into(),
        x_label: "s (a = s, b = c*/s)".into(),
        y_label: "λ_min = min Re λ(M)".into(),
        log_x: false,
        log_y: false,
        series,
    })
}

/// Integrates one per-mode flow (T → ∞ forms) with RK4; returns the (τ, state) path, cut where the
/// flow leaves |w| < 1.
fn path(
    rule: ModeRule<f64>,
    teacher: &Mode<f64>,
    start: [f64; 3],
    tau: f64,
) -> Result<Vec<(f64, [f64; 3])>> {
    let flow = ModeFlow::single(rule, teacher.clone(), Horizon::Infinite);
    let mut out = Vec::new();
    let steps = (tau * 200.0) as usize;
    let outcome = rk4(&flow, &start, tau, steps.max(1), &mut |t, y| {
        out.push((t, [y[0], y[1], y[2]]))
    })?;
    if let Outcome::LeftDomain { tau, .. } = outcome {
        out.retain(|(t, _)| *t <= tau);
    }
    Ok(out)
}

const DETOUR_TEACHER: (f64, f64, f64) = (2.0, 1.0, 0.5);
const DETOUR_START: [f64; 3] = [1.0, 1.0, 0.6];
const DETOUR_RFLO: ModeRule<f64> = ModeRule::Rflo {
    a_hat: -0.5,
    w_hat: 0.0,
};

fn detour_rules() -> [ModeRule<f64>; 3] {
    [ModeRule::Bptt, ModeRule::Tbptt { k: 1 }, DETOUR_RFLO]
}

/// Trajectories in the (a, b) plane from (a, b, w) = (1, 1, 0.6) with the optimal manifold ab = c*:
/// BPTT and tBPTT go to the near branch; RFLO with â = −0.5 leaves it for the branch sgn(s) = sgn(â)
/// (teacher (2, 1, 0.5), ŵ = 0; settings chosen by the project).
pub fn phase_portrait(_budget: Budget) -> Result<Figure> {
    let (a, b, w) = DETOUR_TEACHER;
    let teacher = Mode::new(a, b, w);
    let c = a * b;
    let branch = |sign: f64| -> Vec<(f64, f64)> {
        (0..80)
            .map(|i| sign * 0.5 * (3.0f64 / 0.5).powf(i as f64 / 79.0))
            .map(|s| (s, c / s))
            .collect()
    };
    let mut series = vec![
        Series {
            label: "optimal manifold ab = c*, s > 0".into(),
            points: branch(1.0),
            style: Style::Line,
        },
        Series {
            label: "optimal manifold ab = c*, s < 0".into(),
            points: branch(-1.0),
            style: Style::Line,
        },
    ];
    for rule in detour_rules() {
        let name = rule.name();
        let p = path(rule, &teacher, DETOUR_START, 60.0)?;
        series.push(Series {
            label: name,
            points: p.iter().map(|(_, y)| (y[0], y[1])).collect(),
            style: Style::Line,
        });
    }
    Ok(Figure {
        name: "mode_phase_portrait".into(),
        title: "Per-mode trajectories from (a, b, w) = (1, 1, 0.6); teacher (2, 1, 0.5); RFLO â = −0.5, ŵ = 0".into(),
        x_label: "a".into(),
        y_label: "b".into(),
        log_x: false,
        log_y: false,
        series,
    })
}

/// Losses below this are rounding noise of the f64 per-mode formulas (terms of order 1 cancel).
const LOSS_FLOOR: f64 = 1e-16;

/// Loss against learning time τ for the trajectories of [`phase_portrait`]: RFLO's detour costs time.
pub fn detour_loss(_budget: Budget) -> Result<Figure> {
    let (a, b, w) = DETOUR_TEACHER;
    let teacher = Mode::new(a, b, w);
    let mut series = Vec::new();
    for rule in detour_rules() {
        let name = rule.name();
        let p = path(rule, &teacher, DETOUR_START, 25.0)?;
        let points = p
            .iter()
            .step_by(10)
            .filter_map(|(t, y)| {
                loss(&Mode::new(y[0], y[1], y[2]), &teacher, Horizon::Infinite)
                    .ok()
                    .map(|l| (*t, l.max(LOSS_FLOOR)))
            })
            .collect();
        series.push(Series {
            label: name,
            points,
            style: Style::Line,
        });
    }
    Ok(Figure {
        name: "rflo_detour_loss".into(),
        title: "Per-mode loss L_∞ against learning time τ (same runs as the phase portrait)".into(),
        x_label: "τ = η k".into(),
        y_label: "L_∞ (floored at 1e-16: rounding)".into(),
        log_x: false,
        log_y: true,
        series,
    })
}
