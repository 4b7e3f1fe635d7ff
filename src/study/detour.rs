//! RFLO's detour (after Fig. 4; settings chosen by the project): the learning time of a per-mode
//! RFLO run that starts near the branch `sgn(s) ≠ sgn(â)` of the optimal manifold, against the
//! nearest-branch prediction.
//!
//! The nearest-branch prediction is the time the same rule needs from the mirror-image start
//! `(−a_0, −b_0, w_0)`. The loss and the manifold `ab = c*` are invariant under
//! `(a, b) → (−a, −b)`, so the mirror start has the same loss and the same distance to the manifold,
//! but its nearest branch is the stable one (`sgn(s) = sgn(â)`), which RFLO reaches directly. The
//! ratio of the two times is the detour's cost. (Derived for this project from the per-mode
//! theory, `docs/theory/modes.md`; the paper's teacher, â and ŵ for Fig. 4 are not known.)
use crate::error::Result;
use crate::modes::systems::ModeFlow;
use crate::modes::{Horizon, ModeRule, loss};
use crate::ode::{Outcome, rk4};
use crate::rnn::Mode;

/// The project's Fig. 4-like setting: teacher `(a*, b*, w*) = (2, 1, 0.5)`, start `(1, 1, 0.6)`,
/// RFLO with `â = −0.5`, `ŵ = 0`.
pub const TEACHER: (f64, f64, f64) = (2.0, 1.0, 0.5);
/// The start of the Fig. 4-like runs.
pub const START: [f64; 3] = [1.0, 1.0, 0.6];
/// RFLO's feedback gain in the Fig. 4-like runs.
pub const A_HAT: f64 = -0.5;
/// RFLO's surrogate in the Fig. 4-like runs.
pub const W_HAT: f64 = 0.0;

/// RK4 steps per unit of learning time τ.
const STEPS_PER_TAU: f64 = 100.0;

/// One run's time to the manifold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reach {
    /// First τ with `L_∞ ≤ fraction · L_0` (`None`: not reached by `tau_max` or left |w| < 1).
    pub tau: Option<f64>,
    /// The state at the end of the integration (or the last state inside |w| < 1).
    pub end: [f64; 3],
    /// Whether the trajectory left the domain |w| < 1 of the T → ∞ formulas.
    pub left_domain: bool,
}

/// Integrates the per-mode flow of `rule` from `start` to `tau_max` and reports the first time the
/// loss falls to `fraction` of its initial value.
pub fn reach(
    rule: &ModeRule<f64>,
    teacher: &Mode<f64>,
    start: [f64; 3],
    fraction: f64,
    tau_max: f64,
) -> Result<Reach> {
    let flow = ModeFlow::single(rule.clone(), teacher.clone(), Horizon::Infinite);
    let l0 = loss(
        &Mode::new(start[0], start[1], start[2]),
        teacher,
        Horizon::Infinite,
    )?;
    let mut first: Option<f64> = None;
    let steps = ((tau_max * STEPS_PER_TAU).ceil() as usize).max(1);
    let outcome = rk4(&flow, &start, tau_max, steps, &mut |t, y| {
        if first.is_none()
            && let Ok(l) = loss(&Mode::new(y[0], y[1], y[2]), teacher, Horizon::Infinite)
            && l <= fraction * l0
        {
            first = Some(t);
        }
    })?;
    let (end, left) = match outcome {
        Outcome::Reached { y, .. } => (y, false),
        Outcome::LeftDomain { last_inside, .. } => (last_inside, true),
    };
    Ok(Reach {
        tau: first,
        end: [end[0], end[1], end[2]],
        left_domain: left,
    })
}

/// The detour measurement at one start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Detour {
    /// RFLO from the start.
    pub rflo: Reach,
    /// RFLO from the mirror start: the nearest-branch prediction.
    pub mirror: Reach,
    /// BPTT from the start (it goes to the nearest branch).
    pub bptt: Reach,
}

impl Detour {
    /// `τ_RFLO / τ_mirror`: the detour's cost as a multiple of the nearest-branch time (`None` if
    /// either time is missing).
    pub fn slowdown(&self) -> Option<f64> {
        Some(self.rflo.tau? / self.mirror.tau?)
    }
}

/// Measures the detour from `start` for teacher `teacher` and RFLO `(â, ŵ)`.
pub fn measure(
    teacher: &Mode<f64>,
    start: [f64; 3],
    a_hat: f64,
    w_hat: f64,
    fraction: f64,
    tau_max: f64,
) -> Result<Detour> {
    let rflo = ModeRule::Rflo { a_hat, w_hat };
    let mirror = [-start[0], -start[1], start[2]];
    Ok(Detour {
        rflo: reach(&rflo, teacher, start, fraction, tau_max)?,
        mirror: reach(&rflo, teacher, mirror, fraction, tau_max)?,
        bptt: reach(&ModeRule::Bptt, teacher, start, fraction, tau_max)?,
    })
}
