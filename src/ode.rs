//! ODE integrators for the learning flows `dθ/dτ = −Δθ`: classical RK4 (fixed step) and adaptive
//! Dormand–Prince 5(4) (Dormand & Prince 1980, `[standard]`), generic over [`Real`].
//!
//! A [`System`] may restrict its state to a domain (P-RNN-34: the T → ∞ per-mode formulas need
//! `|w| < 1`). When a step would leave it, the integrators stop with [`Outcome::LeftDomain`] instead
//! of returning numbers computed outside the domain (also when the adaptive step shrinks without
//! bound because the trajectory is running into the boundary, where the formulas are singular). An
//! adaptive step that shrinks below its floor anywhere else is a different outcome, reported as
//! [`LroError::StepUnderflow`]; a state that overflows is [`LroError::NotFinite`].
use crate::error::{LroError, Result};
use crate::scalar::Real;

/// A first-order autonomous system `dy/dτ = f(y)`.
pub trait System<T: Real> {
    /// The right-hand side `f(y)`. Only called on states inside the domain.
    fn rhs(&self, y: &[T]) -> Result<Vec<T>>;
    /// Whether `y` lies in the domain where `rhs` is valid (default: everywhere).
    fn in_domain(&self, _y: &[T]) -> bool {
        true
    }
    /// What the domain is, for the [`Outcome::LeftDomain`] message.
    fn domain(&self) -> &str {
        "everywhere"
    }
}

/// How an integration ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome<T> {
    /// Reached the final time.
    Reached {
        /// Final time.
        tau: f64,
        /// State at the final time.
        y: Vec<T>,
        /// Accepted steps.
        steps: usize,
    },
    /// P-RNN-34: the trajectory left the domain of the formulas ("left the domain of the T → ∞
    /// formulas" for the per-mode flows); no state outside the domain is returned.
    LeftDomain {
        /// Time of the last state inside the domain.
        tau: f64,
        /// The last state inside the domain.
        last_inside: Vec<T>,
        /// The domain that was left.
        domain: String,
    },
}

impl<T> Outcome<T> {
    /// The final state, or an `OutOfDomain` error if the trajectory left the domain.
    pub fn into_final(self) -> Result<Vec<T>> {
        match self {
            Outcome::Reached { y, .. } => Ok(y),
            Outcome::LeftDomain { tau, domain, .. } => Err(LroError::OutOfDomain {
                name: "trajectory".into(),
                value: tau,
                reason: format!(
                    "left the domain of the formulas ({domain}) at tau = {tau}; shorten the run \
                     or change the parameters"
                ),
            }),
        }
    }
}

fn axpy<T: Real>(y: &[T], h: &T, terms: &[(&[T], f64)]) -> Vec<T> {
    let mut out = y.to_vec();
    for (k, c) in terms {
        let hc = h.clone() * T::from_f64(*c);
        for (o, ki) in out.iter_mut().zip(k.iter()) {
            *o += hc.clone() * ki.clone();
        }
    }
    out
}

fn blew_up(tau: f64) -> LroError {
    LroError::NotFinite {
        name: format!(
            "ODE state at tau = {tau} (the flow blows up or the step is too large; use more steps or Dormand–Prince)"
        ),
    }
}

fn finite<T: Real>(y: &[T]) -> bool {
    y.iter().all(|x| x.is_finite())
}

fn check_args<T: Real>(y0: &[T], tau_end: f64) -> Result<()> {
    if !(tau_end.is_finite() && tau_end >= 0.0) {
        return Err(LroError::OutOfDomain {
            name: "tau_end".into(),
            value: tau_end,
            reason: "the final time must be finite and ≥ 0".into(),
        });
    }
    if !y0.iter().all(|x| x.is_finite()) {
        return Err(LroError::NotFinite {
            name: "initial state".into(),
        });
    }
    Ok(())
}

/// A trial state: an error if it is not finite, `None` if it lies outside the domain.
fn checked<T: Real, S: System<T>>(sys: &S, y: Vec<T>, tau: f64) -> Result<Option<Vec<T>>> {
    if !finite(&y) {
        return Err(blew_up(tau));
    }
    Ok(sys.in_domain(&y).then_some(y))
}

/// Whether the trajectory at `y` (slope `k1`) is running into the boundary of the system's domain:
/// the Euler predictor `y + s·k1` leaves the domain for some `s = 2^j h` up to the remaining time,
/// while it stays finite. Used when an adaptive step underflows: near a boundary where the
/// formulas are singular (|w| → 1 for the T → ∞ per-mode forms) the steps shrink without bound
/// just before the trajectory would cross it, which is a domain exit; a step underflow anywhere
/// else (a stiff flow, a blow-up) is [`LroError::StepUnderflow`] or [`LroError::NotFinite`].
fn runs_into_boundary<T: Real, S: System<T>>(
    sys: &S,
    y: &[T],
    k1: &[T],
    h: f64,
    remaining: f64,
) -> bool {
    let mut s = h;
    while s <= remaining.max(h) {
        let p = axpy(y, &T::from_f64(s), &[(k1, 1.0)]);
        if !finite(&p) {
            return false;
        }
        if !sys.in_domain(&p) {
            return true;
        }
        s *= 2.0;
    }
    false
}

/// Classical fourth-order Runge–Kutta with `steps` equal steps from τ = 0 to `tau_end`. Calls
/// `observe(τ, y)` at τ = 0 and after every step.
pub fn rk4<T: Real, S: System<T>>(
    sys: &S,
    y0: &[T],
    tau_end: f64,
    steps: usize,
    observe: &mut dyn FnMut(f64, &[T]),
) -> Result<Outcome<T>> {
    check_args(y0, tau_end)?;
    if steps == 0 {
        return Err(LroError::InvalidParameter {
            name: "steps".into(),
            reason: "RK4 needs at least one step".into(),
        });
    }
    let left = |tau: f64, y: &[T]| Outcome::LeftDomain {
        tau,
        last_inside: y.to_vec(),
        domain: sys.domain().to_string(),
    };
    let mut y = y0.to_vec();
    if !sys.in_domain(&y) {
        return Ok(left(0.0, &y));
    }
    observe(0.0, &y);
    let hf = tau_end / steps as f64;
    let h = T::from_f64(hf);
    // Fault site (Rk4WrongWeights): stage weights 1/6, 1/6, 1/3, 1/3 instead of 1/6, 1/3, 1/3, 1/6.
    let weights: [f64; 4] = if crate::faults::active(crate::faults::Fault::Rk4WrongWeights) {
        [1.0 / 6.0, 1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0]
    } else {
        [1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0]
    };
    for i in 0..steps {
        let tau = i as f64 * hf;
        let k1 = sys.rhs(&y)?;
        let Some(s2) = checked(sys, axpy(&y, &h, &[(&k1, 0.5)]), tau)? else {
            return Ok(left(tau, &y));
        };
        let k2 = sys.rhs(&s2)?;
        let Some(s3) = checked(sys, axpy(&y, &h, &[(&k2, 0.5)]), tau)? else {
            return Ok(left(tau, &y));
        };
        let k3 = sys.rhs(&s3)?;
        let Some(s4) = checked(sys, axpy(&y, &h, &[(&k3, 1.0)]), tau)? else {
            return Ok(left(tau, &y));
        };
        let k4 = sys.rhs(&s4)?;
        let next = checked(
            sys,
            axpy(
                &y,
                &h,
                &[
                    (&k1, weights[0]),
                    (&k2, weights[1]),
                    (&k3, weights[2]),
                    (&k4, weights[3]),
                ],
            ),
            tau,
        )?;
        let Some(next) = next else {
            return Ok(left(tau, &y));
        };
        y = next;
        observe((i + 1) as f64 * hf, &y);
    }
    Ok(Outcome::Reached {
        tau: tau_end,
        y,
        steps,
    })
}

/// Settings of the adaptive Dormand–Prince integrator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DpOptions {
    /// Relative tolerance per component.
    pub rtol: f64,
    /// Absolute tolerance per component.
    pub atol: f64,
    /// First trial step.
    pub h_init: f64,
    /// Smallest step before giving up (a domain boundary or a blow-up is then reported).
    pub h_min: f64,
    /// Largest number of attempted steps.
    pub max_steps: usize,
}

impl Default for DpOptions {
    fn default() -> Self {
        DpOptions {
            rtol: crate::tolerances::ODE_RTOL,
            atol: crate::tolerances::ODE_ATOL,
            h_init: 1e-3,
            h_min: 1e-12,
            max_steps: 1_000_000,
        }
    }
}

// Dormand–Prince 5(4) tableau.
const A: [[f64; 6]; 7] = [
    [0.0; 6],
    [0.2, 0.0, 0.0, 0.0, 0.0, 0.0],
    [3.0 / 40.0, 9.0 / 40.0, 0.0, 0.0, 0.0, 0.0],
    [44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0, 0.0, 0.0, 0.0],
    [
        19372.0 / 6561.0,
        -25360.0 / 2187.0,
        64448.0 / 6561.0,
        -212.0 / 729.0,
        0.0,
        0.0,
    ],
    [
        9017.0 / 3168.0,
        -355.0 / 33.0,
        46732.0 / 5247.0,
        49.0 / 176.0,
        -5103.0 / 18656.0,
        0.0,
    ],
    [
        35.0 / 384.0,
        0.0,
        500.0 / 1113.0,
        125.0 / 192.0,
        -2187.0 / 6784.0,
        11.0 / 84.0,
    ],
];
/// Fifth-order weights (equal to the last row of A: first same as last).
const B5: [f64; 7] = [
    35.0 / 384.0,
    0.0,
    500.0 / 1113.0,
    125.0 / 192.0,
    -2187.0 / 6784.0,
    11.0 / 84.0,
    0.0,
];
/// Fourth-order embedded weights.
const B4: [f64; 7] = [
    5179.0 / 57600.0,
    0.0,
    7571.0 / 16695.0,
    393.0 / 640.0,
    -92097.0 / 339200.0,
    187.0 / 2100.0,
    1.0 / 40.0,
];

/// Adaptive Dormand–Prince 5(4) from τ = 0 to `tau_end` with error control
/// `‖err_i / (atol + rtol·max(|y_i|, |y_new,i|))‖_∞ ≤ 1` (measured in f64). A step whose stages
/// leave the domain is retried with half the step; if the step falls below `h_min` there, the run
/// stops with [`Outcome::LeftDomain`]. A step rejected by the error control below `h_min` is also
/// [`Outcome::LeftDomain`] when the trajectory is running into the domain's boundary (its Euler
/// predictor leaves the domain within the remaining time: the formulas are singular there), and
/// [`LroError::StepUnderflow`] otherwise (a stiff flow or a blow-up); more than `max_steps` attempts is
/// [`LroError::NoConvergence`]. Calls `observe(τ, y)` at τ = 0 and after every accepted step.
#[allow(clippy::needless_range_loop)] // stage index runs over the tableau rows
pub fn dormand_prince<T: Real, S: System<T>>(
    sys: &S,
    y0: &[T],
    tau_end: f64,
    opts: &DpOptions,
    observe: &mut dyn FnMut(f64, &[T]),
) -> Result<Outcome<T>> {
    check_args(y0, tau_end)?;
    if !(opts.rtol > 0.0 && opts.atol > 0.0 && opts.h_init > 0.0 && opts.h_min > 0.0) {
        return Err(LroError::InvalidParameter {
            name: "DpOptions".into(),
            reason: "rtol, atol, h_init and h_min must be positive".into(),
        });
    }
    let left = |tau: f64, y: &[T]| Outcome::LeftDomain {
        tau,
        last_inside: y.to_vec(),
        domain: sys.domain().to_string(),
    };
    let mut y = y0.to_vec();
    if !sys.in_domain(&y) {
        return Ok(left(0.0, &y));
    }
    observe(0.0, &y);
    let mut tau = 0.0;
    let mut h = opts.h_init.min(tau_end.max(opts.h_min));
    let mut accepted = 0;
    let mut k1 = sys.rhs(&y)?;
    for _ in 0..opts.max_steps {
        if tau >= tau_end {
            return Ok(Outcome::Reached {
                tau,
                y,
                steps: accepted,
            });
        }
        let last = tau + h >= tau_end;
        if last {
            h = tau_end - tau;
        }
        let ht = T::from_f64(h);
        let mut ks: Vec<Vec<T>> = vec![k1.clone()];
        let (mut outside, mut infinite) = (false, false);
        for st in 1..7 {
            let terms: Vec<(&[T], f64)> = (0..st).map(|j| (ks[j].as_slice(), A[st][j])).collect();
            let ys = axpy(&y, &ht, &terms);
            if !finite(&ys) {
                infinite = true;
                break;
            }
            if !sys.in_domain(&ys) {
                outside = true;
                break;
            }
            ks.push(sys.rhs(&ys)?);
        }
        if outside || infinite {
            if h <= opts.h_min {
                return if infinite {
                    Err(blew_up(tau))
                } else {
                    Ok(left(tau, &y))
                };
            }
            h = (h / 2.0).max(opts.h_min);
            continue;
        }
        let t5: Vec<(&[T], f64)> = (0..7).map(|j| (ks[j].as_slice(), B5[j])).collect();
        let y5 = axpy(&y, &ht, &t5);
        // error estimate: h Σ (B5 − B4)_j k_j, in f64
        let mut err: f64 = 0.0;
        for i in 0..y.len() {
            let e: f64 = (0..7)
                .map(|j| (B5[j] - B4[j]) * ks[j][i].to_f64())
                .sum::<f64>()
                * h;
            let sc = opts.atol + opts.rtol * y[i].to_f64().abs().max(y5[i].to_f64().abs());
            err = crate::linalg::worse(err, (e / sc).abs());
        }
        if !err.is_finite() {
            err = 1e10;
        }
        if err <= 1.0 {
            tau = if last { tau_end } else { tau + h };
            y = y5;
            k1 = ks.pop().expect("seven stages"); // FSAL: stage 7 is f(y_new)
            accepted += 1;
            observe(tau, &y);
        }
        let factor = if err == 0.0 {
            5.0
        } else {
            (0.9 * err.powf(-0.2)).clamp(0.2, 5.0)
        };
        let new_h = h * factor;
        if err > 1.0 && new_h < opts.h_min {
            if runs_into_boundary(sys, &y, &k1, h, tau_end - tau) {
                return Ok(left(tau, &y));
            }
            return Err(LroError::StepUnderflow {
                tau,
                h_min: opts.h_min,
            });
        }
        h = new_h.max(opts.h_min);
    }
    Err(LroError::NoConvergence {
        routine: "Dormand–Prince integration".into(),
        max_iter: opts.max_steps,
        detail: format!(
            "the attempted steps were not enough to reach tau = {tau_end} (stopped at {tau}); \
             raise DpOptions::max_steps or loosen the tolerances"
        ),
    })
}
