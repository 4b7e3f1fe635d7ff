//! Searching for fixed points of the per-mode T → ∞ flow numerically (P-RNN-19; see
//! `docs/theory/modes.md`): a Levenberg–Marquardt search for `Δ(θ) = 0` from a grid of starts, with
//! the Jacobian `M = ∂Δ/∂θ` by dual numbers. Every search ends in one of the [`SearchEnd`] outcomes,
//! and all of them are counted: a search that does not converge is reported as such, never as
//! "no spurious root".
use super::{self as modes, Horizon, ModeRule, m_matrix};
use crate::error::Result;
use crate::rnn::Mode;
use crate::tolerances as tol;

/// Starting values of a and b in the search grid.
pub const GRID_AB: [f64; 4] = [-2.0, -0.7, 0.4, 1.5];
/// Starting values of w in the search grid.
pub const GRID_W: [f64; 3] = [-0.6, 0.0, 0.6];
/// Number of starts per (rule, teacher): `|GRID_AB|² · |GRID_W|`.
pub const STARTS: usize = GRID_AB.len() * GRID_AB.len() * GRID_W.len();
/// Largest number of Levenberg–Marquardt iterations per start.
pub const MAX_ITERATIONS: usize = 400;

/// How one search ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SearchEnd {
    /// ‖Δ‖ ≤ `MODES_ROOT_RESIDUAL` at a point of the known fixed sets (the optimal manifold, or the
    /// line a = b = 0 for BPTT and tBPTT).
    KnownRoot,
    /// ‖Δ‖ ≤ `MODES_ROOT_RESIDUAL` away from every known fixed set: a counterexample.
    SpuriousRoot([f64; 3]),
    /// The damping grew past its limit or the iterations ran out with ‖Δ‖ still above the
    /// residual threshold: no root was found from this start (the smallest ‖Δ‖ reached is kept).
    NotConverged {
        /// The smallest ‖Δ‖₂ reached.
        residual: f64,
    },
}

/// The outcome of all searches of one (rule, teacher) pair.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RootSearch {
    /// Number of starts (every start is counted once in exactly one of the fields below).
    pub starts: usize,
    /// Searches that converged to a known fixed set.
    pub known: usize,
    /// Converged roots away from the known sets (each is a counterexample to P-RNN-19).
    pub spurious: Vec<[f64; 3]>,
    /// Searches that did not converge, with the smallest residual each reached.
    pub not_converged: Vec<f64>,
}

impl RootSearch {
    /// Searches that converged (to any root).
    pub fn converged(&self) -> usize {
        self.known + self.spurious.len()
    }

    /// Adds another pair's counts.
    pub fn merge(&mut self, o: RootSearch) {
        self.starts += o.starts;
        self.known += o.known;
        self.spurious.extend(o.spurious);
        self.not_converged.extend(o.not_converged);
    }
}

/// ‖Δ(θ)‖₂ at `th`, or `None` where the T → ∞ forms are undefined (|w| ≥ 1 or |ww*| ≥ 1).
fn residual(rule: &ModeRule<f64>, th: &[f64; 3], teacher: &Mode<f64>) -> Option<f64> {
    let u = modes::update(rule, &modes::from_array(th), teacher, Horizon::Infinite).ok()?;
    Some((u.a * u.a + u.b * u.b + u.w * u.w).sqrt())
}

/// One damped Gauss–Newton (Levenberg–Marquardt) search for `Δ(θ) = 0` from `start`.
pub fn search_from(
    rule: &ModeRule<f64>,
    teacher: &Mode<f64>,
    start: [f64; 3],
) -> Result<SearchEnd> {
    let mut th = start;
    let mut mu = 1e-3;
    let Some(mut f) = residual(rule, &th, teacher) else {
        return Ok(SearchEnd::NotConverged {
            residual: f64::INFINITY,
        });
    };
    for _ in 0..MAX_ITERATIONS {
        if f <= tol::MODES_ROOT_RESIDUAL {
            break;
        }
        let p = modes::from_array(&th);
        let m = m_matrix(rule, &p, teacher, Horizon::Infinite)?;
        let u = modes::update(rule, &p, teacher, Horizon::Infinite)?;
        let jm = nalgebra::Matrix3::from_fn(|i, j| m[i][j]);
        let fv = nalgebra::Vector3::new(u.a, u.b, u.w);
        let lhs = jm.transpose() * jm + nalgebra::Matrix3::identity() * mu;
        let Some(step) = lhs.lu().solve(&(-(jm.transpose() * fv))) else {
            break;
        };
        let cand = [th[0] + step[0], th[1] + step[1], th[2] + step[2]];
        match residual(rule, &cand, teacher) {
            Some(fc) if fc < f => {
                th = cand;
                f = fc;
                mu = (mu / 3.0).max(1e-15);
            }
            _ => mu *= 4.0,
        }
        if mu > 1e12 {
            break;
        }
    }
    if f > tol::MODES_ROOT_RESIDUAL {
        return Ok(SearchEnd::NotConverged { residual: f });
    }
    let cs = teacher.a * teacher.b;
    let on_opt = (th[0] * th[1] - cs).abs() <= tol::MODES_ROOT_LOCATION
        && (th[2] - teacher.w).abs() <= tol::MODES_ROOT_LOCATION;
    let on_line = th[0].abs() <= tol::MODES_ROOT_LOCATION
        && th[1].abs() <= tol::MODES_ROOT_LOCATION
        && !matches!(rule, ModeRule::Rflo { .. });
    Ok(if on_opt || on_line {
        SearchEnd::KnownRoot
    } else {
        SearchEnd::SpuriousRoot(th)
    })
}

/// Searches from every start of the grid `GRID_AB² × GRID_W` and counts the outcomes.
pub fn root_search(rule: &ModeRule<f64>, teacher: &Mode<f64>) -> Result<RootSearch> {
    let mut out = RootSearch::default();
    for &a0 in &GRID_AB {
        for &b0 in &GRID_AB {
            for &w0 in &GRID_W {
                out.starts += 1;
                match search_from(rule, teacher, [a0, b0, w0])? {
                    SearchEnd::KnownRoot => out.known += 1,
                    SearchEnd::SpuriousRoot(th) => out.spurious.push(th),
                    SearchEnd::NotConverged { residual } => out.not_converged.push(residual),
                }
            }
        }
    }
    Ok(out)
}
