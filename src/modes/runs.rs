//! Per-mode learning-ODE runs and the fixed settings the trajectory checks use (P-RNN-28 … P-RNN-34;
//! see `docs/theory/modes.md`).
use super::systems::{ModeFlow, pack_modes, unpack_modes};
use super::{self as modes, Horizon, ModeRule, manifold};
use crate::error::Result;
use crate::linalg;
use crate::ode::{self, DpOptions, Outcome};
use crate::rnn::Mode;
use crate::scalar::{Rational, Real};
use crate::tolerances as tol;

type Q = Rational;

/// Integrates one mode under the T → ∞ flow with Dormand–Prince and records `inv(θ)` drift.
pub fn run_mode(
    rule: &ModeRule<f64>,
    teacher: &Mode<f64>,
    y0: &Mode<f64>,
    tau: f64,
    inv: Option<fn(&Mode<f64>) -> f64>,
) -> Result<(Outcome<f64>, f64)> {
    let sys = ModeFlow::single(rule.clone(), teacher.clone(), Horizon::Infinite);
    let i0 = inv.map(|f| f(y0));
    let mut drift = 0.0f64;
    let out = ode::dormand_prince(
        &sys,
        &pack_modes(std::slice::from_ref(y0)),
        tau,
        &DpOptions::default(),
        &mut |_, y| {
            if let (Some(f), Some(i0)) = (inv, i0) {
                drift = linalg::worse(drift, (f(&unpack_modes(y)[0]) - i0).abs());
            }
        },
    )?;
    Ok((out, drift))
}

/// The balanced-start setting of P-RNN-31/32 (chosen by the project): teacher `(1, −0.8, 0.5)`
/// (c* = −0.8), start `(0.5, 0.5, 0.2)`.
pub fn balanced_setting() -> (Mode<f64>, Mode<f64>) {
    (Mode::new(1.0, -0.8, 0.5), Mode::new(0.5, 0.5, 0.2))
}

/// The Fig. 4-like RFLO setting (guessed by the project; the figure's parameters are not known)
/// that leaves `|w| < 1`: start `(1, 1, 0.6)`, teacher `(1, 1, 0.5)`, â = −1, ŵ = 1/2.
pub fn leaving_setting() -> (ModeRule<f64>, Mode<f64>, Mode<f64>) {
    (
        ModeRule::Rflo {
            a_hat: -1.0,
            w_hat: 0.5,
        },
        Mode::new(1.0, 1.0, 0.5),
        Mode::new(1.0, 1.0, 0.6),
    )
}

/// P-RNN-28: `λ_min · s / (â c*² P̂² Q)` on RFLO's stable branch at `s = sgn(â)·|s|`.
pub fn rflo_rate_ratio(a_hat: f64, w_hat: f64, t: &Mode<f64>, s_abs: f64) -> Result<f64> {
    let s = s_abs * a_hat.signum();
    let rule = ModeRule::Rflo {
        a_hat: Q::from_f64(a_hat),
        w_hat: Q::from_f64(w_hat),
    };
    let tq = modes::map_mode(t, |x| Q::from_f64(*x));
    let lam = manifold::rate_on_manifold(&rule, &Q::from_f64(s), &tq)?;
    let cs = t.a * t.b;
    let q = 1.0 / (1.0 - t.w * t.w);
    let ph = 1.0 / (1.0 - w_hat * t.w);
    Ok(lam * s / (a_hat * cs * cs * ph * ph * q))
}

/// One run of a conservation check (P-RNN-29, 30): how far the conserved quantity drifted and,
/// if the run converged, how far its end lies from the predicted end point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConservationRun {
    /// Largest drift of the invariant along the run, relative to `1 + |invariant(y0)|`.
    pub drift_rel: f64,
    /// For a run that converged onto the optimal manifold: `max(rel(a², s²), |w − w*|)` with s² the
    /// end point predicted from the invariant. `None` if the run did not converge there.
    pub end_error: Option<f64>,
}

/// Runs one mode from `y0` for `MODES_CONVERGENCE_TIME` and compares its end with the end point
/// `s² = bptt_limit_s2(d_of(y0, teacher), c*)` predicted from the conserved quantity `inv`.
pub fn conservation_run(
    rule: &ModeRule<f64>,
    teacher: &Mode<f64>,
    y0: &Mode<f64>,
    inv: fn(&Mode<f64>) -> f64,
    d_of: fn(&Mode<f64>, &Mode<f64>) -> f64,
) -> Result<ConservationRun> {
    let (out, d) = run_mode(rule, teacher, y0, tol::MODES_CONVERGENCE_TIME, Some(inv))?;
    let drift_rel = d / (inv(y0).abs() + 1.0);
    let mut end_error = None;
    if let Outcome::Reached { y, .. } = out {
        let m = &unpack_modes(&y)[0];
        let u = modes::update(rule, m, teacher, Horizon::Infinite)?;
        let cs = teacher.a * teacher.b;
        if (u.a.abs() + u.b.abs() + u.w.abs()) < tol::MODES_CONVERGED_UPDATE
            && (m.a * m.b - cs).abs() < tol::MODES_ROOT_LOCATION
        {
            let s2 = manifold::bptt_limit_s2(d_of(y0, teacher), cs);
            let rel_s2 = linalg::rel_diff_scalar(m.a * m.a, s2, tol::F64_IDENTITY_ABS_FLOOR);
            end_error = Some(linalg::worse(rel_s2, (m.w - teacher.w).abs()));
        }
    }
    Ok(ConservationRun {
        drift_rel,
        end_error,
    })
}
