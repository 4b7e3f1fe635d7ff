//! The stochastic algorithms of the Marschall et al. 2020 framework in that code's conventions:
//! UORO, KF-RTRL and reverse KF-RTRL (`UORO.py`, `KF_RTRL.py`, `Reverse_KF_RTRL.py`,
//! `Stochastic_Algorithm.py` of omarschall/vanilla-rtrl, read for this project; no code copied).
//!
//! Every random number the code draws is an explicit input ([`Draws`]): the initial factors
//! `A_0`, `B_0` (the code's `np.random.normal(0, 1, …)`; any scale here, 0 included) and the sign
//! vectors ν_t (`sample_nu` with its default `nu_dist = 'discrete'`: `np.random.choice([-1, 1])`).
//! With them the run is deterministic, so a fixture can carry them and a user of that code can
//! check a run by feeding the same numbers.
//!
//! Per step t (after the forward pass; `â_t = [a_{t−1}, x_t, 1]`, `g_t = α φ'(h_t)`,
//! `J_t = diag(g_t) W_rec + (1 − α) I`, `q_t = W_outᵀ e_t`; `‖·‖` the Frobenius norm, the code's
//! `utils.norm`):
//! - UORO (A: n_h, B: n_h × m): `A_t = p0 J_t A_{t−1} + p1 ν_t`, `B_t = B_{t−1}/p0 + P_t/p1` with
//!   `P_t[i, j] = ν_t[i] g_t[i] â_t[j]`, `p0 = √(‖B_{t−1}‖/‖J_t A_{t−1}‖)`,
//!   `p1 = √(‖P_t‖/‖ν_t‖)` (the code divides by `√n_h`, which is `‖ν_t‖` for signs); gradient
//!   `(q_t · A_t) B_t`.
//! - KF-RTRL (A: m, B: n_h × n_h; ν_t = (ν0, ν1)): `A_t = ν0 p0 A_{t−1} + ν1 p1 â_t`,
//!   `B_t = ν0 J_t B_{t−1}/p0 + ν1 diag(g_t)/p1`, `p0 = √(‖J_t B_{t−1}‖/‖A_{t−1}‖)`,
//!   `p1 = √(‖g_t‖/‖â_t‖)`; gradient `[i, j] = (q_tᵀ B_t)_i A_t[j]` (the code's `np.kron(A, qB)`
//!   reshaped in Fortran order).
//! - Reverse KF-RTRL (A: n_h, B: n_h × m): `A_t = p0 A_{t−1} + p1 ν_t`,
//!   `B_t = J_t B_{t−1}/p0 + P_t/p1`, `p0 = √(‖J_t B_{t−1}‖/‖A_{t−1}‖)`, `p1 = √(‖P_t‖/‖ν_t‖)`;
//!   gradient `[i, j] = A_t[i] (q_tᵀ B_t)_j`.
//!
//! The code's overrides `P0`, `P1` are the [`Draws::unit_scaling`] switch (p0 = p1 = 1). Where a
//! norm in p0 or p1 is zero (zero initial factors) the code would divide by zero; the preset takes
//! that factor as 1 (the project's choice, in the manifest's `unknown`). As in the preset's RTRL,
//! the immediate influence keeps the factor α of `∂a_t/∂h_t`, which the code's `papw` and `D`
//! omit. With zero initial factors the mean over all sign draws of each algorithm's gradient is
//! the preset's RTRL gradient (the tests check it exactly over Q and to rounding in MPFR).
use super::Setup;
use crate::error::{LroError, Result};
use crate::faults::{self, Fault};
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};

/// The random inputs of the three algorithms for one sequence (index t − 1 holds step t).
#[derive(Clone, Debug, PartialEq)]
pub struct Draws<T: Real> {
    /// UORO's ν_t ∈ {±1}^{n_h}.
    pub uoro_nu: Vec<DVector<T>>,
    /// UORO's initial A (n_h) and B (n_h × m).
    pub uoro_init: (DVector<T>, DMatrix<T>),
    /// KF-RTRL's (ν0, ν1)_t ∈ {±1}².
    pub kf_nu: Vec<DVector<T>>,
    /// KF-RTRL's initial A (m) and B (n_h × n_h).
    pub kf_init: (DVector<T>, DMatrix<T>),
    /// Reverse KF-RTRL's ν_t ∈ {±1}^{n_h}.
    pub rkf_nu: Vec<DVector<T>>,
    /// Reverse KF-RTRL's initial A (n_h) and B (n_h × m).
    pub rkf_init: (DVector<T>, DMatrix<T>),
    /// The code's `P0 = P1 = 1` overrides instead of the computed p0, p1.
    pub unit_scaling: bool,
}

/// One algorithm's run: factors after each step, the scalars (p0, p1) and the gradients.
#[derive(Clone, Debug, PartialEq)]
pub struct StochasticRun<T: Real> {
    /// `A_t`.
    pub a: Vec<DVector<T>>,
    /// `B_t`.
    pub b: Vec<DMatrix<T>>,
    /// `(p0, p1)` of each step, as a length-2 vector.
    pub p: Vec<DVector<T>>,
    /// Recurrent gradients (n_h × m, packed as `W`).
    pub grads: Vec<DMatrix<T>>,
}

/// The three algorithms' runs.
#[derive(Clone, Debug, PartialEq)]
pub struct StochasticRuns<T: Real> {
    /// UORO.
    pub uoro: StochasticRun<T>,
    /// KF-RTRL.
    pub kf_rtrl: StochasticRun<T>,
    /// Reverse KF-RTRL.
    pub rkf_rtrl: StochasticRun<T>,
}

fn frob<T: Real>(m: &DMatrix<T>) -> T {
    m.iter()
        .fold(T::zero(), |acc, x| acc + x.clone() * x.clone())
}

fn frob_v<T: Real>(v: &DVector<T>) -> T {
    v.dot(v)
}

/// `√(‖a‖/‖b‖)` from squared norms, or 1 when unit scaling is asked for or either norm is 0.
fn ratio<T: Real>(a2: T, b2: T, unit: bool) -> Result<T> {
    if unit || a2.is_zero() || b2.is_zero() {
        return Ok(T::one());
    }
    let root = |x: &T| {
        x.try_sqrt().ok_or_else(|| {
            LroError::Unsupported(format!(
                "marschall2020 stochastic algorithms: the computed p0, p1 need square roots, \
                 which {} numbers lack; use unit scaling (the code's P0 = P1 = 1) over rationals",
                T::kind()
            ))
        })
    };
    root(&(root(&a2)? / root(&b2)?))
}

fn check_signs<T: Real>(who: &str, len: usize, horizon: usize, nu: &[DVector<T>]) -> Result<()> {
    let ok = nu.len() == horizon
        && nu.iter().all(|v| {
            v.len() == len
                && v.iter()
                    .all(|x| x.clone() == T::one() || x.clone() == -T::one())
        });
    if ok {
        Ok(())
    } else {
        Err(LroError::InvalidParameter {
            name: format!("marschall2020 {who} draws"),
            reason: format!(
                "need one sign vector in {{±1}}^{len} per step ({horizon} steps), got {} vectors",
                nu.len()
            ),
        })
    }
}

fn check_init<T: Real>(
    who: &str,
    init: &(DVector<T>, DMatrix<T>),
    a: usize,
    b: (usize, usize),
) -> Result<()> {
    if init.0.len() != a || init.1.shape() != b {
        return Err(LroError::ShapeMismatch {
            context: format!("marschall2020 {who} initial factors"),
            detail: format!(
                "A_0 must have length {a} and B_0 shape {}×{}, got {} and {}×{}",
                b.0,
                b.1,
                init.0.len(),
                init.1.nrows(),
                init.1.ncols()
            ),
        });
    }
    Ok(())
}

impl<T: Real> Setup<T> {
    /// Runs UORO, KF-RTRL and reverse KF-RTRL on the sequence with the given draws (weights
    /// frozen, as the rest of the preset).
    pub fn run_stochastic(
        &self,
        xs: &[DVector<T>],
        ys: &[DVector<T>],
        draws: &Draws<T>,
    ) -> Result<StochasticRuns<T>> {
        let fwd = self.run(xs, ys)?;
        let (n, d) = (self.w_rec.nrows(), self.w_in.ncols());
        let (m, horizon) = (n + d + 1, xs.len());
        check_signs("UORO", n, horizon, &draws.uoro_nu)?;
        check_signs("KF-RTRL", 2, horizon, &draws.kf_nu)?;
        check_signs("reverse KF-RTRL", n, horizon, &draws.rkf_nu)?;
        check_init("UORO", &draws.uoro_init, n, (n, m))?;
        check_init("KF-RTRL", &draws.kf_init, m, (n, n))?;
        check_init("reverse KF-RTRL", &draws.rkf_init, n, (n, m))?;
        let unit = draws.unit_scaling;
        let one = T::one();
        let alpha = self.alpha.clone();
        let bug_uoro = faults::active(Fault::MarschallUoroRho0NotInverted);
        let bug_kf = faults::active(Fault::MarschallKfRho0NotInverted);
        let bug_rkf = faults::active(Fault::MarschallReverseKfRho0NotInverted);
        let empty = || StochasticRun {
            a: vec![],
            b: vec![],
            p: vec![],
            grads: vec![],
        };
        let (mut uoro, mut kf, mut rkf) = (empty(), empty(), empty());
        let (mut ua, mut ub) = draws.uoro_init.clone();
        let (mut ka, mut kb) = draws.kf_init.clone();
        let (mut ra, mut rb) = draws.rkf_init.clone();
        let pair = |a: T, b: T| DVector::from_vec(vec![a, b]);
        for (t, x) in xs.iter().enumerate() {
            let a_prev = &fwd.a[t];
            let mut gain = DVector::<T>::zeros(n);
            for i in 0..n {
                gain[i] = self.activation.apply(&fwd.h[t][i])?.1 * alpha.clone();
            }
            let a_hat = super::stacked_input(a_prev, x);
            let mut jac = super::scale_rows(&gain, &self.w_rec);
            for i in 0..n {
                jac[(i, i)] += one.clone() - alpha.clone();
            }
            let q = self.w_out.transpose() * &fwd.error[t];
            // ν-projected immediate influence P[i, j] = ν_i g_i â_j.
            let proj = |nu: &DVector<T>| {
                DMatrix::from_fn(n, m, |i, j| {
                    nu[i].clone() * gain[i].clone() * a_hat[j].clone()
                })
            };

            // UORO.
            let nu = &draws.uoro_nu[t];
            let p_mat = proj(nu);
            let a_fwd = &jac * &ua;
            let p0 = ratio(frob(&ub), frob_v(&a_fwd), unit)?;
            let p1 = ratio(frob(&p_mat), frob_v(nu), unit)?;
            ua = a_fwd * p0.clone() + nu * p1.clone();
            // Fault site: B scaled by p0 instead of 1/p0.
            let inv0 = if bug_uoro {
                p0.clone()
            } else {
                one.clone() / p0.clone()
            };
            ub = &ub * inv0 + p_mat / p1.clone();
            uoro.grads.push(&ub * q.dot(&ua));
            uoro.p.push(pair(p0, p1));
            uoro.a.push(ua.clone());
            uoro.b.push(ub.clone());

            // KF-RTRL.
            let (nu0, nu1) = (draws.kf_nu[t][0].clone(), draws.kf_nu[t][1].clone());
            let b_fwd = &jac * &kb;
            let p0 = ratio(frob(&b_fwd), frob_v(&ka), unit)?;
            let p1 = ratio(frob_v(&gain), frob_v(&a_hat), unit)?;
            ka = &ka * (nu0.clone() * p0.clone()) + &a_hat * (nu1.clone() * p1.clone());
            let inv0 = if bug_kf {
                p0.clone()
            } else {
                one.clone() / p0.clone()
            };
            kb = b_fwd * (nu0 * inv0) + DMatrix::from_diagonal(&gain) * (nu1 / p1.clone());
            let qb = kb.tr_mul(&q);
            kf.grads.push(&qb * ka.transpose());
            kf.p.push(pair(p0, p1));
            kf.a.push(ka.clone());
            kf.b.push(kb.clone());

            // Reverse KF-RTRL.
            let nu = &draws.rkf_nu[t];
            let p_mat = proj(nu);
            let b_fwd = &jac * &rb;
            let p0 = ratio(frob(&b_fwd), frob_v(&ra), unit)?;
            let p1 = ratio(frob(&p_mat), frob_v(nu), unit)?;
            ra = &ra * p0.clone() + nu * p1.clone();
            let inv0 = if bug_rkf {
                p0.clone()
            } else {
                one.clone() / p0.clone()
            };
            rb = b_fwd * inv0 + p_mat / p1.clone();
            let qb = rb.tr_mul(&q);
            rkf.grads.push(&ra * qb.transpose());
            rkf.p.push(pair(p0, p1));
            rkf.a.push(ra.clone());
            rkf.b.push(rb.clone());
        }
        Ok(StochasticRuns {
            uoro,
            kf_rtrl: kf,
            rkf_rtrl: rkf,
        })
    }
}
