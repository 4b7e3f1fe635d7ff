//! Per-mode figures (theory: `docs/theory/modes.md`; after the paper's Figs. 2–4, settings chosen
//! by the project): convergence rate along the optimal manifold against s, and
//! trajectories in the (a, b) plane with the manifold, including RFLO's detour to the branch
//! sgn(s) = sgn(â).
use super::{Figure, Series, Style};
use crate::error::Result;
use crate::evidence::Budget;
use crate::evidence::human;
use crate::modes::manifold::rate_on_manifold;
use crate::modes::systems::ModeFlow;
use crate::modes::{Horizon, ModeRule, loss};
use crate::ode::{Outcome, rk4};
use crate::rnn::Mode;

/// A rule's name for people: `BPTT`, `tBPTT(1)`, `RFLO (â = 1, ŵ = 0.5)`.
pub(crate) fn label(rule: &ModeRule<f64>) -> String {
    match rule {
        ModeRule::Bptt => "BPTT".into(),
        ModeRule::Tbptt { k } => format!("tBPTT({k})"),
        ModeRule::Rflo { a_hat, w_hat } => format!(
            "RFLO (â = {}, ŵ = {})",
            human(*a_hat).replace('-', "−"),
            human(*w_hat).replace('-', "−")
        ),
    }
}

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
            label: label(rule),
            points,
            style: Style::Points,
        });
    }
    series.push(Series {
        label: "λ = 0: stable above, unstable below".into(),
        points: vec![(-3.0, 0.0), (3.0, 0.0)],
        style: Style::Reference,
    });
    Ok(Figure {
        name: "rates_vs_s".into(),
        title: "Convergence rate along the optimal manifold".into(),
        caption: "The slowest rate λ_min = min Re λ of M (the learning ODE's Jacobian is J = −M) at \
                  the manifold point (a, b, w) = (s, c*/s, w*), for the teacher mode \
                  (a*, b*, w*) = (1.2, 1, 0.5) (settings chosen by the project). Look for: BPTT \
                  slowest at the balanced points s = ±√|c*| ≈ ±1.1; one-step tBPTT close to BPTT; \
                  RFLO faster than BPTT only as s → 0 on its stable branch (â s > 0), and below zero \
                  (the manifold repels) on the branch â s < 0."
            .into(),
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

/// Styles that keep BPTT and tBPTT(1) apart when their paths overlap.
fn rule_style(rule: &ModeRule<f64>) -> Style {
    match rule {
        ModeRule::Bptt => Style::LineMarkers,
        ModeRule::Tbptt { .. } => Style::Dashed,
        ModeRule::Rflo { .. } => Style::Line,
    }
}

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
            label: "optimal manifold ab = c*, branch s > 0".into(),
            points: branch(1.0),
            style: Style::Reference,
        },
        Series {
            label: "branch s < 0".into(),
            points: branch(-1.0),
            style: Style::Reference,
        },
    ];
    for rule in detour_rules() {
        let p = path(rule.clone(), &teacher, DETOUR_START, 60.0)?;
        series.push(Series {
            label: label(&rule),
            points: p.iter().map(|(_, y)| (y[0], y[1])).collect(),
            style: rule_style(&rule),
        });
    }
    series.push(Series {
        label: "start (a, b) = (1, 1)".into(),
        points: vec![(DETOUR_START[0], DETOUR_START[1])],
        style: Style::Points,
    });
    Ok(Figure {
        name: "mode_phase_portrait".into(),
        title: "RFLO's detour: per-mode trajectories in the (a, b) plane".into(),
        caption: "Learning flows (T → ∞ per-mode ODEs) from (a, b, w) = (1, 1, 0.6) for the teacher \
                  mode (a*, b*, w*) = (2, 1, 0.5) (after the paper's Fig. 4; settings chosen by the \
                  project). Look for: BPTT (squares) and tBPTT(1) (dashed) go straight to the near \
                  branch s > 0 of the optimal manifold; RFLO with â < 0 leaves it and travels to \
                  the far branch, the one with sgn(s) = sgn(â)."
            .into(),
        x_label: "a".into(),
        y_label: "b".into(),
        log_x: false,
        log_y: false,
        series,
    })
}

/// Losses below this are rounding noise of the f64 per-mode formulas (terms of order 1 cancel);
/// a curve stops where it first reaches it.
const LOSS_FLOOR: f64 = 1e-15;

/// Loss against learning time τ for the trajectories of [`phase_portrait`]: RFLO's detour costs time.
pub fn detour_loss(_budget: Budget) -> Result<Figure> {
    let (a, b, w) = DETOUR_TEACHER;
    let teacher = Mode::new(a, b, w);
    let mut series = Vec::new();
    for rule in detour_rules() {
        let p = path(rule.clone(), &teacher, DETOUR_START, 25.0)?;
        let mut points = Vec::new();
        for (t, y) in p.iter().step_by(10) {
            let Ok(l) = loss(&Mode::new(y[0], y[1], y[2]), &teacher, Horizon::Infinite) else {
                continue;
            };
            points.push((*t, l.max(LOSS_FLOOR)));
            if l <= LOSS_FLOOR {
                break;
            }
        }
        series.push(Series {
            label: label(&rule),
            points,
            style: rule_style(&rule),
        });
    }
    Ok(Figure {
        name: "rflo_detour_loss".into(),
        title: "The detour costs learning time".into(),
        caption: "Per-mode loss L_∞ against learning time τ = ηk along the runs of the phase \
                  portrait; each curve stops where the loss reaches rounding level (1e-15). Look \
                  for: RFLO's loss first rises while it leaves the near branch, and it reaches the \
                  optimum much later than BPTT and tBPTT(1)."
            .into(),
        x_label: "learning time τ = η k".into(),
        y_label: "per-mode loss L_∞".into(),
        log_x: false,
        log_y: true,
        series,
    })
}
