//! Aligned networks against their modes: the matrix expected updates and flows of an exactly
//! aligned network compared with the per-mode sums and the per-mode flow (P-RNN-13; see
//! `docs/theory/modes.md`).
use super::systems::{MatrixFlow, ModeFlow, pack_modes, pack_net};
use super::{self as modes, Horizon, ModeRule, sample};
use crate::error::Result;
use crate::linalg;
use crate::ode::{self, DpOptions};
use crate::rnn::{AlignedBasis, Mode, StudentTeacher};
use crate::rules::{Loss, Rule, expected};
use crate::scalar::Rational;
use crate::tolerances as tol;
use num_traits::Zero;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

type Q = Rational;

fn diff_modes(x: &Mode<Q>, y: &Mode<Q>) -> Vec<Q> {
    vec![
        x.a.clone() - y.a.clone(),
        x.b.clone() - y.b.clone(),
        x.w.clone() - y.w.clone(),
    ]
}

/// An exactly aligned rational instance: bases, student and teacher modes, feedback gains, ŵ.
pub struct AlignedQ {
    /// The aligned bases (U, V, and the student's mode basis).
    pub basis: AlignedBasis<Q>,
    /// The matrix student and teacher built from the modes.
    pub st: StudentTeacher<Q>,
    /// Student modes.
    pub student: Vec<Mode<Q>>,
    /// Teacher modes.
    pub teacher: Vec<Mode<Q>>,
    /// RFLO feedback gain of each mode.
    pub a_hat: Vec<Q>,
    /// RFLO's scalar surrogate ŵ.
    pub w_hat: Q,
}

/// Draws an exactly aligned rational instance with `n` modes from `seed`.
pub fn aligned_q(seed: u64, n: usize) -> Result<AlignedQ> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let basis = AlignedBasis::<Q>::random(n, n, n, &mut r)?;
    let tbasis = AlignedBasis::new(
        basis.u.clone(),
        basis.v.clone(),
        linalg::random_orthogonal(n, &mut r),
    )?;
    let student: Vec<Mode<Q>> = (0..n).map(|_| sample::mode(&mut r)).collect();
    let teacher: Vec<Mode<Q>> = (0..n).map(|_| sample::teacher(&mut r)).collect();
    let a_hat: Vec<Q> = (0..n).map(|_| sample::dyadic(&mut r, 8, 4, true)).collect();
    let w_hat: Q = sample::dyadic(&mut r, 7, 8, false);
    let st = StudentTeacher::new(basis.build(&student)?, tbasis.build(&teacher)?)?;
    Ok(AlignedQ {
        basis,
        st,
        student,
        teacher,
        a_hat,
        w_hat,
    })
}

/// The per-mode rule of mode i.
type PerMode<'a> = Box<dyn Fn(usize) -> ModeRule<Q> + 'a>;

/// Exact agreement of the matrix expected updates (BPTT, tBPTT k = 1, 2, RFLO) with the per-mode
/// sums, and of the matrix loss with the sum of mode losses, over Q. Returns the number of residuals
/// that are not exactly zero (including off-diagonal entries of the rotated updates) and the number
/// of residuals compared.
pub fn matrix_vs_modes(seed: u64, n: usize, horizon: usize) -> Result<(usize, usize)> {
    let inst = aligned_q(seed, n)?;
    let r = inst.basis.feedback(&inst.a_hat)?;
    let rules: Vec<(Rule<Q>, PerMode)> = vec![
        (Rule::Bptt, Box::new(|_| ModeRule::Bptt)),
        (Rule::Tbptt { k: 1 }, Box::new(|_| ModeRule::Tbptt { k: 1 })),
        (Rule::Tbptt { k: 2 }, Box::new(|_| ModeRule::Tbptt { k: 2 })),
        (
            Rule::Rflo {
                feedback: r,
                w_hat: inst.w_hat.clone(),
            },
            Box::new(|i| ModeRule::Rflo {
                a_hat: inst.a_hat[i].clone(),
                w_hat: inst.w_hat.clone(),
            }),
        ),
    ];
    let mut res = Vec::new();
    for (rule, per_mode) in &rules {
        let u = expected::update(rule, &inst.st, horizon, Loss::Final)?;
        let (ua, uw, ub) = inst.basis.rotate(&u.a, &u.w, &u.b);
        for i in 0..n {
            let pm = modes::update_finite_sum(
                &per_mode(i),
                &inst.student[i],
                &inst.teacher[i],
                horizon,
            )?;
            res.extend(diff_modes(
                &Mode::new(ua[(i, i)].clone(), ub[(i, i)].clone(), uw[(i, i)].clone()),
                &pm,
            ));
            for j in 0..n {
                if i != j {
                    res.extend([ua[(i, j)].clone(), uw[(i, j)].clone(), ub[(i, j)].clone()]);
                }
            }
        }
    }
    let lm = expected::loss(&inst.st, horizon, Loss::Final)?;
    let mut ls = Q::zero();
    for i in 0..n {
        ls += modes::loss(&inst.student[i], &inst.teacher[i], Horizon::Finite(horizon))?;
    }
    res.push(lm - ls);
    Ok((res.iter().filter(|x| !x.is_zero()).count(), res.len()))
}

/// Per-mode flow vs full-matrix flow (f64, aligned, finite T): RK4 with equal steps and adaptive
/// Dormand–Prince; returns the worst relative differences (RK4, DP) of the final modes.
pub fn flow_vs_modes(seed: u64, n: usize, horizon: usize, tau: f64) -> Result<(f64, f64)> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let basis = AlignedBasis::<f64>::random(n, n, n, &mut r)?;
    // gains halved (|a|, |b| ≤ 1) so that the explicit RK4 step τ/200 is well inside its
    // stability region for the flow's Jacobian
    let half = |m: Mode<f64>| Mode::new(m.a / 2.0, m.b / 2.0, m.w);
    let student: Vec<Mode<f64>> = (0..n).map(|_| half(sample::mode(&mut r))).collect();
    let teacher: Vec<Mode<f64>> = (0..n).map(|_| half(sample::teacher(&mut r))).collect();
    let a_hat: Vec<f64> = (0..n).map(|_| sample::dyadic(&mut r, 8, 4, true)).collect();
    let w_hat: f64 = sample::dyadic(&mut r, 7, 8, false);
    let net0 = basis.build(&student)?;
    let tnet = basis.build(&teacher)?;
    let mut worst = (0.0f64, 0.0f64);
    let cases: Vec<(Rule<f64>, Vec<ModeRule<f64>>)> = vec![
        (Rule::Bptt, vec![ModeRule::Bptt; n]),
        (
            Rule::Rflo {
                feedback: basis.feedback(&a_hat)?,
                w_hat,
            },
            a_hat
                .iter()
                .map(|&a| ModeRule::Rflo { a_hat: a, w_hat })
                .collect(),
        ),
    ];
    for (rule, mrules) in cases {
        let flow = MatrixFlow::new(rule, &net0, tnet.clone(), horizon);
        let mflow = ModeFlow {
            rules: mrules,
            teachers: teacher.clone(),
            horizon: Horizon::Finite(horizon),
        };
        let cmp = |y: &[f64], ym: &[f64]| -> Result<f64> {
            let rd = basis.read_modes(&flow.unpack(y)?)?;
            let got = pack_modes(&rd.modes);
            let scale = ym.iter().fold(0.0f64, |s, x| s.max(x.abs())) + tol::F64_IDENTITY_ABS_FLOOR;
            // diagonal (mode) entries only: off-diagonal rounding noise is not part of the per-mode
            // flow and can be amplified where the aligned subspace is not attracting; it enters
            // the diagonal only at second order
            let d = got
                .iter()
                .zip(ym)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, linalg::worse);
            Ok(d / scale)
        };
        let steps = 2000;
        let y = ode::rk4(&flow, &pack_net(&net0), tau, steps, &mut |_, _| {})?.into_final()?;
        let ym =
            ode::rk4(&mflow, &pack_modes(&student), tau, steps, &mut |_, _| {})?.into_final()?;
        worst.0 = linalg::worse(worst.0, cmp(&y, &ym)?);
        let o = DpOptions::default();
        let y =
            ode::dormand_prince(&flow, &pack_net(&net0), tau, &o, &mut |_, _| {})?.into_final()?;
        let ym = ode::dormand_prince(&mflow, &pack_modes(&student), tau, &o, &mut |_, _| {})?
            .into_final()?;
        worst.1 = linalg::worse(worst.1, cmp(&y, &ym)?);
    }
    Ok(worst)
}

/// The per-mode flow of [`flow_vs_modes`]'s instance integrated by two independent integrators, RK4
/// (2000 fixed steps) and adaptive Dormand–Prince: the largest difference of the end states,
/// relative to the largest mode entry (BPTT and RFLO). A wrong RK4 tableau (still consistent, but
/// first order) moves the RK4 end state by O(h) ≈ 1e-4, far above the integrators' global errors.
pub fn rk4_vs_dormand_prince(seed: u64, n: usize, horizon: usize, tau: f64) -> Result<f64> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let half = |m: Mode<f64>| Mode::new(m.a / 2.0, m.b / 2.0, m.w);
    let student: Vec<Mode<f64>> = (0..n).map(|_| half(sample::mode(&mut r))).collect();
    let teacher: Vec<Mode<f64>> = (0..n).map(|_| half(sample::teacher(&mut r))).collect();
    let a_hat: Vec<f64> = (0..n).map(|_| sample::dyadic(&mut r, 8, 4, true)).collect();
    let w_hat: f64 = sample::dyadic(&mut r, 7, 8, false);
    let mut worst = 0.0f64;
    for rules in [
        vec![ModeRule::Bptt; n],
        a_hat
            .iter()
            .map(|&a| ModeRule::Rflo { a_hat: a, w_hat })
            .collect(),
    ] {
        let mflow = ModeFlow {
            rules,
            teachers: teacher.clone(),
            horizon: Horizon::Finite(horizon),
        };
        let y0 = pack_modes(&student);
        let rk = ode::rk4(&mflow, &y0, tau, 2000, &mut |_, _| {})?.into_final()?;
        let dp = ode::dormand_prince(&mflow, &y0, tau, &DpOptions::default(), &mut |_, _| {})?
            .into_final()?;
        let scale = dp.iter().fold(0.0f64, |s, x| s.max(x.abs())) + tol::F64_IDENTITY_ABS_FLOOR;
        let d = rk
            .iter()
            .zip(&dp)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, linalg::worse);
        worst = linalg::worse(worst, d / scale);
    }
    Ok(worst)
}
