//! Catalogue entries P-RNN-13 … P-RNN-34 (spec `theory/linear-rnn.md` §9.3–9.6) and the certified
//! identities `P-RNN-n.x` of the per-mode theory (`certify::modes`). Every formula is derived for
//! this project (see the tags); none is the paper's equation.
use super::{Area, Budget, Entry, Evidence, Provenance, Tag};
use crate::certify::modes as cm;
use crate::error::Result;
use crate::modes::systems::{MatrixFlow, ModeFlow, pack_modes, pack_net, unpack_modes};
use crate::modes::{
    self, Horizon, ModeRule, StabilityClass, analytic_m, char_poly, classify, classify_reduced,
    eigenvalues, hessian_of_loss, m_matrix, manifold, optimal_point, sample, spec_tr_e2,
};
use crate::ode::{self, DpOptions, Outcome};
use crate::rnn::{AlignedBasis, Mode, StudentTeacher};
use crate::rules::{Loss, Rule, expected};
use crate::scalar::{Rational, Real};
use crate::tolerances as tol;
use num_traits::{One, Zero};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

type Q = Rational;

const D: &[Tag] = &[Tag::Derived];
const ND: &[Tag] = &[Tag::Notes, Tag::Derived];
const DN: &[Tag] = &[Tag::Derived, Tag::Notes];

fn entry(
    id: &'static str,
    statement: &'static str,
    tags: &'static [Tag],
    check: fn(Budget) -> Result<Evidence>,
) -> Entry {
    Entry {
        id,
        area: Area::RnnModes,
        statement,
        provenance: Provenance(tags),
        check,
    }
}

/// The entries of this area.
pub fn entries() -> Vec<Entry> {
    vec![
        entry(
            "P-RNN-13",
            "Aligned networks: matrix expected updates are diagonal with the finite-T per-mode sums; matrix loss = sum of mode losses; per-mode ODE = matrix flow",
            D,
            p13,
        ),
        entry(
            "P-RNN-14",
            "Finite-T per-mode sums and losses converge geometrically to the T → ∞ forms",
            D,
            p14,
        ),
        entry(
            "P-RNN-14.a",
            "Certificate: finite-T closed forms with geometric factors equal the §4.2 sums (BPTT, tBPTT, RFLO)",
            D,
            |b| cm::run(cm::p14a(b)),
        ),
        entry(
            "P-RNN-15",
            "Per-mode BPTT update equals the gradient of the per-mode loss",
            D,
            p15,
        ),
        entry(
            "P-RNN-15.a",
            "Certificate: per-mode BPTT Δ = ∇L (T → ∞ and finite T)",
            D,
            |b| cm::run(cm::p15a(b)),
        ),
        entry(
            "P-RNN-16",
            "k-step tBPTT reduces to one-step forms at k = 1 and tends to BPTT as k → ∞",
            D,
            p16,
        ),
        entry(
            "P-RNN-16.a",
            "Certificate: tBPTT(k=1) = one-step forms; tBPTT(k ≥ T) = BPTT at finite T",
            D,
            |b| cm::run(cm::p16a(b)),
        ),
        entry(
            "P-RNN-17",
            "Every rule's Δ vanishes on (s, c*/s, w*); BPTT and tBPTT also on (0, 0, w)",
            ND,
            p17,
        ),
        entry(
            "P-RNN-17.a",
            "Certificate: Δ = 0 on the optimal manifold (BPTT, tBPTT k = 1..3, RFLO)",
            ND,
            |b| cm::run(cm::p17a(b)),
        ),
        entry(
            "P-RNN-17.b",
            "Certificate: Δ = 0 on (0, 0, w) for BPTT and tBPTT (k = 1, 2)",
            ND,
            |b| cm::run(cm::p17b(b)),
        ),
        entry(
            "P-RNN-18",
            "At (0, 0, w) RFLO's Δb = −âc*/(1−ŵw*) ≠ 0: not a fixed point",
            D,
            p18,
        ),
        entry(
            "P-RNN-18.a",
            "Certificate: RFLO's Δ at (0, 0, w) is (0, −âc*/(1−ŵw*), 0)",
            D,
            |b| cm::run(cm::p18a(b)),
        ),
        entry(
            "P-RNN-19",
            "No fixed points besides the optimal manifold (and (0, 0, w) for BPTT/tBPTT): root search",
            D,
            p19,
        ),
        entry(
            "P-RNN-20",
            "Analytic M_BPTT, M_tBPTT, M_RFLO equal the exact Jacobian on the manifold; null vector (a, −b, 0)",
            D,
            p20,
        ),
        entry(
            "P-RNN-20.a",
            "Certificate: analytic M of §4.4 = dual-number Jacobian on the manifold",
            D,
            |b| cm::run(cm::p20a(b)),
        ),
        entry(
            "P-RNN-20.b",
            "Certificate: M (a, −b, 0) = 0 on the manifold for every rule",
            D,
            |b| cm::run(cm::p20b(b)),
        ),
        entry(
            "P-RNN-21",
            "tr and E2 of each M equal the spec's §4.5 formulas; QN − m² = Q⁴",
            D,
            p21,
        ),
        entry(
            "P-RNN-21.a",
            "Certificate: spec tr, E2 = exact Jacobian invariants; QN − m² = Q⁴",
            D,
            |b| cm::run(cm::p21a(b)),
        ),
        entry(
            "P-RNN-22",
            "M_BPTT is the symmetric PSD Hessian of L_∞; nonzero eigenvalues real and positive on the manifold",
            D,
            p22,
        ),
        entry(
            "P-RNN-22.a",
            "Certificate: ∂Δ_BPTT/∂θ = Hess L_∞ everywhere",
            D,
            |b| cm::run(cm::p22a(b)),
        ),
        entry(
            "P-RNN-23",
            "tBPTT (k = 1) eigenvalues on the manifold real and positive; M_tBPTT = M_BPTT at w* = 0",
            D,
            p23,
        ),
        entry(
            "P-RNN-23.a",
            "Certificate: M_tBPTT(k=1) = M_BPTT on the manifold when w* = 0",
            D,
            |b| cm::run(cm::p23a(b)),
        ),
        entry(
            "P-RNN-24",
            "RFLO with â s > 0: both nonzero eigenvalues of M have Re > 0",
            DN,
            p24,
        ),
        entry(
            "P-RNN-25",
            "RFLO with â s < 0: saddle iff |â||s|³ < c*²; tr > 0 needs w*(w* − ŵ) > 0; class agrees with signs",
            D,
            p25,
        ),
        entry(
            "P-RNN-26",
            "On (0, 0, w): eigenvalues ±c*/(1−ww*) (BPTT), ±|c*|/√(1−ww*) (tBPTT): saddles",
            D,
            p26,
        ),
        entry(
            "P-RNN-26.a",
            "Certificate: characteristic polynomials of M on (0, 0, w) for BPTT and tBPTT",
            D,
            |b| cm::run(cm::p26a(b)),
        ),
        entry(
            "P-RNN-27",
            "BPTT's rate along the manifold increases in X, is slowest at s = ±√|c*|, tends to Q³c*²",
            DN,
            p27,
        ),
        entry(
            "P-RNN-28",
            "RFLO on its stable branch: λ_min s/(âc*²P̂²Q) → 1 as s → 0; faster than BPTT there",
            DN,
            p28,
        ),
        entry(
            "P-RNN-29",
            "BPTT ODE conserves a² − b²; converged runs end at s² = (D0 + √(D0² + 4c*²))/2",
            D,
            p29,
        ),
        entry(
            "P-RNN-29.a",
            "Certificate: BPTT aΔa = bΔb (T → ∞ and finite T)",
            D,
            |b| cm::run(cm::p29a(b)),
        ),
        entry(
            "P-RNN-30",
            "One-step tBPTT ODE conserves a² − b² − w²; converged runs end at s² = (D1 + √(D1² + 4c*²))/2",
            D,
            p30,
        ),
        entry(
            "P-RNN-30.a",
            "Certificate: one-step tBPTT aΔa − bΔb − wΔw = 0 (T → ∞)",
            D,
            |b| cm::run(cm::p30a(b)),
        ),
        entry(
            "P-RNN-31",
            "From a0 = b0 with c* < 0 BPTT stalls on (0, 0, w); tBPTT and RFLO reach the optimal manifold",
            D,
            p31,
        ),
        entry(
            "P-RNN-32",
            "RFLO ends on a stable point; with w*(w* − ŵ) ≤ 0 on the branch sgn(a) = sgn(â)",
            DN,
            p32,
        ),
        entry(
            "P-RNN-33",
            "tBPTT and RFLO do not conserve a² − b², RFLO not a² − b² − w², matrix BPTT not AᵀA − BBᵀ",
            D,
            p33,
        ),
        entry(
            "P-RNN-34",
            "ODE drivers stop with 'left the domain of the T → ∞ formulas' when |w| reaches 1",
            &[Tag::Assumed],
            p34,
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// helpers

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// Largest |x| over exact residuals (a nonzero rational reports at least 1e-300).
fn worst_abs(xs: &[Q]) -> f64 {
    xs.iter()
        .filter(|x| !x.is_zero())
        .map(|x| x.to_f64().abs().max(1e-300))
        .fold(0.0, crate::linalg::worse)
}

fn diff_modes(x: &Mode<Q>, y: &Mode<Q>) -> Vec<Q> {
    vec![
        x.a.clone() - y.a.clone(),
        x.b.clone() - y.b.clone(),
        x.w.clone() - y.w.clone(),
    ]
}

fn mat_diff(x: &[[Q; 3]; 3], y: &[[Q; 3]; 3]) -> Vec<Q> {
    x.iter()
        .flatten()
        .zip(y.iter().flatten())
        .map(|(u, v)| u.clone() - v.clone())
        .collect()
}

fn pos(x: &Q) -> bool {
    !x.is_zero() && x.to_f64() > 0.0
}

fn rel(x: f64, y: f64) -> f64 {
    (x - y).abs() / (x.abs().max(y.abs()) + tol::F64_IDENTITY_ABS_FLOOR)
}

fn all_rules_q(r: &mut ChaCha8Rng) -> Vec<ModeRule<Q>> {
    vec![
        ModeRule::Bptt,
        ModeRule::Tbptt { k: 1 },
        ModeRule::Tbptt { k: 2 },
        ModeRule::Tbptt { k: 3 },
        sample::rflo(r),
    ]
}

fn three_rules_q(r: &mut ChaCha8Rng) -> Vec<ModeRule<Q>> {
    vec![ModeRule::Bptt, ModeRule::Tbptt { k: 1 }, sample::rflo(r)]
}

// ---------------------------------------------------------------------------------------------
// P-RNN-13

/// An exactly aligned rational instance: bases, student and teacher modes, feedback gains, ŵ.
struct AlignedQ {
    basis: AlignedBasis<Q>,
    st: StudentTeacher<Q>,
    student: Vec<Mode<Q>>,
    teacher: Vec<Mode<Q>>,
    a_hat: Vec<Q>,
    w_hat: Q,
}

fn aligned_q(seed: u64, n: usize) -> Result<AlignedQ> {
    let mut r = rng(seed);
    let basis = AlignedBasis::<Q>::random(n, n, n, &mut r)?;
    let tbasis = AlignedBasis::new(
        basis.u.clone(),
        basis.v.clone(),
        crate::linalg::random_orthogonal(n, &mut r),
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

/// Exact agreement of the matrix expected updates with the per-mode sums; returns the worst residual
/// (including off-diagonal entries of the rotated updates) and the number of comparisons.
pub fn matrix_vs_modes(seed: u64, n: usize, horizon: usize) -> Result<(f64, usize)> {
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
    Ok((worst_abs(&res), res.len()))
}

/// Per-mode flow vs full-matrix flow (f64, aligned, finite T): RK4 with equal steps and adaptive
/// Dormand–Prince; returns the worst relative differences (RK4, DP) of the final modes.
pub fn flow_vs_modes(seed: u64, n: usize, horizon: usize, tau: f64) -> Result<(f64, f64)> {
    let mut r = rng(seed);
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
                .fold(0.0, crate::linalg::worse);
            Ok(d / scale)
        };
        let steps = 2000;
        let y = ode::rk4(&flow, &pack_net(&net0), tau, steps, &mut |_, _| {})?.into_final()?;
        let ym =
            ode::rk4(&mflow, &pack_modes(&student), tau, steps, &mut |_, _| {})?.into_final()?;
        worst.0 = crate::linalg::worse(worst.0, cmp(&y, &ym)?);
        let o = DpOptions::default();
        let y =
            ode::dormand_prince(&flow, &pack_net(&net0), tau, &o, &mut |_, _| {})?.into_final()?;
        let ym = ode::dormand_prince(&mflow, &pack_modes(&student), tau, &o, &mut |_, _| {})?
            .into_final()?;
        worst.1 = crate::linalg::worse(worst.1, cmp(&y, &ym)?);
    }
    Ok(worst)
}

fn p13(b: Budget) -> Result<Evidence> {
    let (nmax, seeds) = match b {
        Budget::Test => (3, 2),
        Budget::Quick => (4, 3),
        Budget::Full => (8, 4),
    };
    let (mut worst, mut count) = (0.0f64, 0);
    for n in 1..=nmax {
        for seed in 0..seeds {
            for t in [1, 3, 5] {
                let (w, c) = matrix_vs_modes(1300 + seed, n, t)?;
                worst = crate::linalg::worse(worst, w);
                count += c;
            }
        }
    }
    let exact = Evidence::from_worst(
        count,
        worst,
        None,
        format!(
            "exact over Q: rotated matrix updates (BPTT, tBPTT k=1,2, RFLO) vs per-mode sums and losses, n = 1..{nmax}, T = 1, 3, 5"
        ),
    );
    let (mut rk, mut dp) = (0.0f64, 0.0f64);
    for seed in 0..b.instances(2) as u64 {
        let (a, c) = flow_vs_modes(1310 + seed, 3, 5, 0.5)?;
        rk = crate::linalg::worse(rk, a);
        dp = crate::linalg::worse(dp, c);
    }
    let rk_ev = Evidence::from_worst(
        b.instances(2) * 2,
        rk,
        Some(tol::MODES_RK4_FLOW_MATCH_REL),
        "f64 RK4 (2000 steps, τ = 0.5): diagonal of the matrix flow in the mode bases vs per-mode flow (BPTT, RFLO), n = 3, T = 5",
    );
    let dp_ev = Evidence::from_worst(
        b.instances(2) * 2,
        dp,
        Some(tol::MODES_DP_FLOW_MATCH_REL),
        "f64 Dormand–Prince (rtol 1e-10): the same comparison",
    );
    Ok(exact.and(rk_ev).and(dp_ev))
}

// ---------------------------------------------------------------------------------------------
// P-RNN-14 … 16

fn p14(b: Budget) -> Result<Evidence> {
    let mut r = rng(14);
    let mut worst = 0.0f64;
    let n = b.instances(40);
    for _ in 0..n {
        let m: Mode<f64> = sample::mode(&mut r);
        let t: Mode<f64> = sample::teacher(&mut r);
        for rule in all_rules_q(&mut r) {
            let rule = rule.map(|x| x.to_f64());
            let fin = modes::update(&rule, &m, &t, Horizon::Finite(tol::MODES_LONG_HORIZON))?;
            let inf = modes::update(&rule, &m, &t, Horizon::Infinite)?;
            let scale = inf.a.abs().max(inf.b.abs()).max(inf.w.abs()) + 1.0;
            for (x, y) in [(fin.a, inf.a), (fin.b, inf.b), (fin.w, inf.w)] {
                worst = crate::linalg::worse(worst, (x - y).abs() / scale);
            }
        }
        let lf = modes::loss(&m, &t, Horizon::Finite(tol::MODES_LONG_HORIZON))?;
        let li = modes::loss(&m, &t, Horizon::Infinite)?;
        worst = crate::linalg::worse(worst, (lf - li).abs() / (li.abs() + 1.0));
    }
    Ok(Evidence::from_worst(
        n,
        worst,
        Some(tol::F64_IDENTITY_REL),
        format!(
            "f64: finite sums at T = {} vs T → ∞ forms (|w|, |w*|, |ŵ| ≤ 7/8, so the tail is below 1e-20), all rules and the loss; the exact tail is certified in P-RNN-14.a",
            tol::MODES_LONG_HORIZON
        ),
    ))
}

fn p15(b: Budget) -> Result<Evidence> {
    let mut r = rng(15);
    let mut res = Vec::new();
    let n = b.instances(30);
    for _ in 0..n {
        let m: Mode<Q> = sample::mode(&mut r);
        let t: Mode<Q> = sample::teacher(&mut r);
        for h in [Horizon::Infinite, Horizon::Finite(4)] {
            let u = modes::update(&ModeRule::Bptt, &m, &t, h)?;
            let td = modes::map_mode(&t, |x| crate::scalar::Dual::constant(x.clone()));
            let g = crate::gradcheck::dual_gradient(&modes::to_array(&m), |v| {
                modes::loss(
                    &modes::from_array(&[v[0].clone(), v[1].clone(), v[2].clone()]),
                    &td,
                    h,
                )
            })?;
            res.extend([u.a - g[0].clone(), u.b - g[1].clone(), u.w - g[2].clone()]);
        }
    }
    Ok(Evidence::from_worst(
        n,
        worst_abs(&res),
        None,
        "exact over Q: Δ_BPTT − ∇L by dual numbers, T → ∞ and T = 4",
    ))
}

fn p16(b: Budget) -> Result<Evidence> {
    let mut r = rng(16);
    let n = b.instances(30);
    let mut res = Vec::new();
    let mut worst = 0.0f64;
    for _ in 0..n {
        let m: Mode<Q> = sample::mode(&mut r);
        let t: Mode<Q> = sample::teacher(&mut r);
        let u = modes::update(&ModeRule::Tbptt { k: 1 }, &m, &t, Horizon::Infinite)?;
        let one = Q::one();
        let c = m.a.clone() * m.b.clone();
        let cs = t.a.clone() * t.b.clone();
        let (w, ws) = (m.w.clone(), t.w.clone());
        res.push(u.b - m.a.clone() * (c.clone() - cs.clone()));
        res.push(
            u.w - c.clone()
                * (c * w.clone() / (one.clone() - w.clone() * w.clone())
                    - cs * ws.clone() / (one - w * ws)),
        );
        let mf = modes::map_mode(&m, |x| x.to_f64());
        let tf = modes::map_mode(&t, |x| x.to_f64());
        let big = modes::update(
            &ModeRule::Tbptt {
                k: tol::MODES_LONG_HORIZON,
            },
            &mf,
            &tf,
            Horizon::Infinite,
        )?;
        let bp = modes::update(&ModeRule::Bptt, &mf, &tf, Horizon::Infinite)?;
        let scale = bp.a.abs().max(bp.b.abs()).max(bp.w.abs()) + 1.0;
        for (x, y) in [(big.b, bp.b), (big.w, bp.w)] {
            worst = crate::linalg::worse(worst, (x - y).abs() / scale);
        }
    }
    Ok(Evidence::from_worst(
        n,
        worst_abs(&res),
        None,
        "exact over Q: tBPTT(k=1) T → ∞ forms = Δb = a(c − c*), Δw = c[cw/(1−w²) − c*w*/(1−ww*)]",
    )
    .and(Evidence::from_worst(
        n,
        worst,
        Some(tol::F64_IDENTITY_REL),
        format!("f64: tBPTT(k = {}) vs BPTT, T → ∞", tol::MODES_LONG_HORIZON),
    )))
}

// ---------------------------------------------------------------------------------------------
// P-RNN-17 … 19

fn p17(b: Budget) -> Result<Evidence> {
    let mut r = rng(17);
    let n = b.instances(30);
    let mut res = Vec::new();
    for _ in 0..n {
        let t: Mode<Q> = sample::teacher(&mut r);
        let s: Q = sample::s_value(&mut r);
        let p = optimal_point(&s, &t)?;
        for rule in all_rules_q(&mut r) {
            let u = modes::update(&rule, &p, &t, Horizon::Infinite)?;
            res.extend([u.a, u.b, u.w]);
            // finite T too: g_k = 0 on the manifold
            let u = modes::update(&rule, &p, &t, Horizon::Finite(5))?;
            res.extend([u.a, u.b, u.w]);
        }
        let w: Q = sample::dyadic(&mut r, 7, 8, false);
        for rule in [
            ModeRule::Bptt,
            ModeRule::Tbptt { k: 1 },
            ModeRule::Tbptt { k: 3 },
        ] {
            let u = modes::update(&rule, &modes::nonoptimal_point(&w), &t, Horizon::Infinite)?;
            res.extend([u.a, u.b, u.w]);
        }
    }
    Ok(Evidence::from_worst(
        n,
        worst_abs(&res),
        None,
        "exact over Q: Δ at (s, c*/s, w*) for BPTT, tBPTT k=1..3, RFLO (T → ∞ and T = 5) and at (0, 0, w) for BPTT, tBPTT",
    ))
}

fn p18(b: Budget) -> Result<Evidence> {
    let mut r = rng(18);
    let n = b.instances(30);
    let (mut res, mut zero) = (Vec::new(), 0usize);
    for _ in 0..n {
        let t: Mode<Q> = sample::teacher(&mut r);
        let rule = sample::rflo(&mut r);
        let ModeRule::Rflo { a_hat, w_hat } = &rule else {
            unreachable!("sample::rflo returns RFLO")
        };
        let w: Q = sample::dyadic(&mut r, 7, 8, false);
        let u = modes::update(&rule, &modes::nonoptimal_point(&w), &t, Horizon::Infinite)?;
        let cs = t.a.clone() * t.b.clone();
        let expect = -(a_hat.clone() * cs) / (Q::one() - w_hat.clone() * t.w.clone());
        if u.b.is_zero() {
            zero += 1;
        }
        res.extend([u.a, u.b - expect, u.w]);
    }
    Ok(Evidence::from_worst(
        n,
        crate::linalg::worse(worst_abs(&res), zero as f64),
        None,
        "exact over Q: RFLO Δ at (0, 0, w) = (0, −âc*/(1−ŵw*), 0), with Δb ≠ 0 (â, c* ≠ 0)",
    ))
}

/// P-RNN-19: Levenberg–Marquardt root search for `Δ(θ) = 0` from a grid of starts. Returns
/// (number of converged runs, number of converged roots that are not on the known fixed sets).
pub fn root_search(rule: &ModeRule<f64>, teacher: &Mode<f64>) -> Result<(usize, usize)> {
    let grid_ab = [-2.0, -0.7, 0.4, 1.5];
    let grid_w = [-0.6, 0.0, 0.6];
    let cs = teacher.a * teacher.b;
    let (mut converged, mut spurious) = (0, 0);
    for &a0 in &grid_ab {
        for &b0 in &grid_ab {
            for &w0 in &grid_w {
                let mut th = [a0, b0, w0];
                let mut mu = 1e-3;
                let norm = |th: &[f64; 3]| -> Option<f64> {
                    let u = modes::update(rule, &modes::from_array(th), teacher, Horizon::Infinite)
                        .ok()?;
                    Some((u.a * u.a + u.b * u.b + u.w * u.w).sqrt())
                };
                let Some(mut f) = norm(&th) else { continue };
                for _ in 0..400 {
                    if f <= tol::MODES_ROOT_RESIDUAL {
                        break;
                    }
                    let m = m_matrix(rule, &modes::from_array(&th), teacher, Horizon::Infinite)?;
                    let u =
                        modes::update(rule, &modes::from_array(&th), teacher, Horizon::Infinite)?;
                    let jm = nalgebra::Matrix3::from_fn(|i, j| m[i][j]);
                    let fv = nalgebra::Vector3::new(u.a, u.b, u.w);
                    let lhs = jm.transpose() * jm + nalgebra::Matrix3::identity() * mu;
                    let Some(step) = lhs.lu().solve(&(-(jm.transpose() * fv))) else {
                        break;
                    };
                    let cand = [th[0] + step[0], th[1] + step[1], th[2] + step[2]];
                    match norm(&cand) {
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
                if f <= tol::MODES_ROOT_RESIDUAL {
                    converged += 1;
                    let on_opt = (th[0] * th[1] - cs).abs() <= tol::MODES_ROOT_LOCATION
                        && (th[2] - teacher.w).abs() <= tol::MODES_ROOT_LOCATION;
                    let on_line = th[0].abs() <= tol::MODES_ROOT_LOCATION
                        && th[1].abs() <= tol::MODES_ROOT_LOCATION
                        && !matches!(rule, ModeRule::Rflo { .. });
                    if !(on_opt || on_line) {
                        spurious += 1;
                    }
                }
            }
        }
    }
    Ok((converged, spurious))
}

fn p19(b: Budget) -> Result<Evidence> {
    let mut r = rng(19);
    let n = b.instances(3);
    let (mut conv, mut spur, mut runs) = (0, 0, 0);
    for _ in 0..n {
        let t: Mode<f64> = sample::teacher(&mut r);
        for rule in three_rules_q(&mut r) {
            let rule = rule.map(|x| x.to_f64());
            let (c, s) = root_search(&rule, &t)?;
            conv += c;
            spur += s;
            runs += 48;
        }
    }
    let mut ev = Evidence::from_worst(
        runs,
        spur as f64,
        None,
        format!(
            "Levenberg–Marquardt from 48 starts per instance (BPTT, tBPTT k=1, RFLO): {conv} of {runs} runs converged (‖Δ‖ ≤ {:e}); spurious roots counted",
            tol::MODES_ROOT_RESIDUAL
        ),
    );
    if conv == 0 {
        ev.passed = false;
    }
    Ok(ev)
}

// ---------------------------------------------------------------------------------------------
// P-RNN-20 … 26

fn p20(b: Budget) -> Result<Evidence> {
    let mut r = rng(20);
    let n = b.instances(30);
    let mut res = Vec::new();
    for _ in 0..n {
        let t: Mode<Q> = sample::teacher(&mut r);
        let s: Q = sample::s_value(&mut r);
        let p = optimal_point(&s, &t)?;
        for rule in all_rules_q(&mut r) {
            let m = m_matrix(&rule, &p, &t, Horizon::Infinite)?;
            if !matches!(rule, ModeRule::Tbptt { k } if k > 1) {
                res.extend(mat_diff(&analytic_m(&rule, &s, &t)?, &m));
            }
            for row in &m {
                res.push(row[0].clone() * p.a.clone() - row[1].clone() * p.b.clone());
            }
        }
    }
    Ok(Evidence::from_worst(
        n,
        worst_abs(&res),
        None,
        "exact over Q (Dual<Rational>): analytic M (BPTT, tBPTT k=1, RFLO) − ∂Δ/∂θ, and M (a, −b, 0) for k = 1..3 too",
    ))
}

fn p21(b: Budget) -> Result<Evidence> {
    let mut r = rng(21);
    let n = b.instances(30);
    let mut res = Vec::new();
    for _ in 0..n {
        let t: Mode<Q> = sample::teacher(&mut r);
        let s: Q = sample::s_value(&mut r);
        let p = optimal_point(&s, &t)?;
        for rule in three_rules_q(&mut r) {
            let cp = char_poly(&m_matrix(&rule, &p, &t, Horizon::Infinite)?);
            let (tr, e2) = spec_tr_e2(&rule, &s, &t)?;
            res.extend([tr - cp.tr, e2 - cp.e2, cp.det]);
        }
        let k = modes::jacobian::manifold_constants(&t, None);
        res.push(k.q.clone() * k.n - k.m.clone() * k.m - k.q.powi(4));
    }
    Ok(Evidence::from_worst(
        n,
        worst_abs(&res),
        None,
        "exact over Q: spec tr, E2 − those of ∂Δ/∂θ; det = 0; QN − m² − Q⁴",
    ))
}

fn p22(b: Budget) -> Result<Evidence> {
    let mut r = rng(22);
    let n = b.instances(20);
    let (mut res, mut bad) = (Vec::new(), 0usize);
    let mut psd_worst = 0.0f64;
    for _ in 0..n {
        let t: Mode<Q> = sample::teacher(&mut r);
        let m: Mode<Q> = sample::mode(&mut r);
        let jm = m_matrix(&ModeRule::Bptt, &m, &t, Horizon::Infinite)?;
        res.extend(mat_diff(&jm, &hessian_of_loss(&m, &t, Horizon::Infinite)?));
        for (i, row) in jm.iter().enumerate() {
            for (j, x) in row.iter().enumerate() {
                res.push(x.clone() - jm[j][i].clone());
            }
        }
        let s: Q = sample::s_value(&mut r);
        let mm = m_matrix(
            &ModeRule::Bptt,
            &optimal_point(&s, &t)?,
            &t,
            Horizon::Infinite,
        )?;
        let cp = char_poly(&mm);
        let disc = cp.tr.clone() * cp.tr.clone() - Q::from_i64(4) * cp.e2.clone();
        if !(pos(&cp.tr) && pos(&cp.e2) && (disc.is_zero() || pos(&disc))) {
            bad += 1;
        }
        let mf = mm.map(|row| row.map(|x| x.to_f64()));
        let sym = nalgebra::Matrix3::from_fn(|i, j| mf[i][j]);
        let scale = sym.abs().max();
        let min_eig = sym.symmetric_eigenvalues().min();
        psd_worst = crate::linalg::worse(psd_worst, -min_eig / scale);
    }
    Ok(Evidence::from_worst(
        n,
        crate::linalg::worse(worst_abs(&res), bad as f64),
        None,
        "exact over Q: ∂Δ_BPTT/∂θ = Hess L_∞ and symmetric at random points; on the manifold tr > 0, E2 > 0, tr² ≥ 4E2",
    )
    .and(Evidence::from_worst(
        n,
        psd_worst,
        Some(tol::MODES_ZERO_EIGEN_REL),
        "f64: smallest eigenvalue of M_BPTT on the manifold ≥ −tol·‖M‖ (PSD)",
    )))
}

fn p23(b: Budget) -> Result<Evidence> {
    let mut r = rng(23);
    let n = b.instances(30);
    let (mut res, mut bad) = (Vec::new(), 0usize);
    for _ in 0..n {
        let t: Mode<Q> = sample::teacher(&mut r);
        let s: Q = sample::s_value(&mut r);
        let p = optimal_point(&s, &t)?;
        let cp = char_poly(&m_matrix(
            &ModeRule::Tbptt { k: 1 },
            &p,
            &t,
            Horizon::Infinite,
        )?);
        let disc = cp.tr.clone() * cp.tr.clone() - Q::from_i64(4) * cp.e2.clone();
        if !(pos(&cp.tr) && pos(&cp.e2) && (disc.is_zero() || pos(&disc))) {
            bad += 1;
        }
        let t0 = Mode::new(t.a.clone(), t.b.clone(), Q::zero());
        let p0 = optimal_point(&s, &t0)?;
        res.extend(mat_diff(
            &m_matrix(&ModeRule::Tbptt { k: 1 }, &p0, &t0, Horizon::Infinite)?,
            &m_matrix(&ModeRule::Bptt, &p0, &t0, Horizon::Infinite)?,
        ));
    }
    Ok(Evidence::from_worst(
        n,
        crate::linalg::worse(worst_abs(&res), bad as f64),
        None,
        "exact over Q: tBPTT(k=1) on the manifold has tr > 0, E2 > 0, tr² ≥ 4E2; M_tBPTT = M_BPTT at w* = 0",
    ))
}

fn rflo_branch_points(b: Budget, seed: u64, same_sign: bool) -> Vec<(ModeRule<Q>, Mode<Q>, Q)> {
    let mut r = rng(seed);
    let mut out = Vec::new();
    while out.len() < b.instances(60) {
        let t: Mode<Q> = sample::teacher(&mut r);
        let rule: ModeRule<Q> = sample::rflo(&mut r);
        let s: Q = sample::s_value(&mut r);
        let ModeRule::Rflo { a_hat, .. } = &rule else {
            continue;
        };
        if pos(&(a_hat.clone() * s.clone())) == same_sign {
            out.push((rule, t, s));
        }
    }
    out
}

fn p24(b: Budget) -> Result<Evidence> {
    let pts = rflo_branch_points(b, 24, true);
    let mut bad = 0usize;
    for (rule, t, s) in &pts {
        let cp = char_poly(&m_matrix(
            rule,
            &optimal_point(s, t)?,
            t,
            Horizon::Infinite,
        )?);
        let ModeRule::Rflo { a_hat, w_hat } = rule else {
            unreachable!("RFLO points")
        };
        // the proof's sign argument: every term of tr and both factors of E2 are positive
        let k = modes::jacobian::manifold_constants(t, Some(w_hat));
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
            bad += 1;
        }
    }
    Ok(Evidence::from_worst(
        pts.len(),
        bad as f64,
        None,
        "exact over Q, random â s > 0: tr > 0, E2 > 0 (so both Re λ > 0) and each term of the sign argument > 0",
    ))
}

fn p25(b: Budget) -> Result<Evidence> {
    let pts = rflo_branch_points(b, 25, false);
    let (mut bad, mut agree_fail, mut compared, mut stable_seen) = (0usize, 0usize, 0usize, 0usize);
    for (rule, t, s) in &pts {
        let ModeRule::Rflo { a_hat, w_hat } = rule else {
            unreachable!("RFLO points")
        };
        let p = optimal_point(s, t)?;
        let m = m_matrix(rule, &p, t, Horizon::Infinite)?;
        let cp = char_poly(&m);
        let cs = t.a.clone() * t.b.clone();
        let lhs = (a_hat.clone() * s.powi(3)).to_f64().abs();
        let small = lhs < (cs.clone() * cs.clone()).to_f64();
        let e2_neg = !cp.e2.is_zero() && !pos(&cp.e2);
        if small != e2_neg {
            bad += 1;
        }
        if pos(&cp.e2) && pos(&cp.tr) {
            stable_seen += 1;
            if !pos(&(t.w.clone() * (t.w.clone() - w_hat.clone()))) {
                bad += 1;
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
        if cp.e2.to_f64().abs() > margin && disc.to_f64().abs() > margin * scale.max(1.0) {
            compared += 1;
            let got = classify(&eigenvalues(&j), tol::MODES_ZERO_EIGEN_REL * scale);
            if got != exact {
                agree_fail += 1;
            }
        }
    }
    Ok(Evidence::from_worst(
        pts.len(),
        (bad + agree_fail) as f64,
        None,
        format!(
            "exact over Q, random â s < 0: E2 < 0 ⇔ |â||s|³ < c*²; tr > 0 and E2 > 0 ⇒ w*(w* − ŵ) > 0 ({stable_seen} stable points seen); class from f64 eigenvalues = class from exact signs on {compared} well-separated points"
        ),
    ))
}

fn p26(b: Budget) -> Result<Evidence> {
    let mut r = rng(26);
    let n = b.instances(30);
    let (mut worst, mut bad) = (0.0f64, 0usize);
    for _ in 0..n {
        let t: Mode<f64> = sample::teacher(&mut r);
        let w: f64 = sample::dyadic(&mut r, 7, 8, false);
        let cs = t.a * t.b;
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
                worst = crate::linalg::worse(worst, e);
            }
            if rep.class != StabilityClass::Saddle {
                bad += 1;
            }
        }
    }
    Ok(Evidence::from_worst(
        n,
        worst,
        Some(tol::F64_IDENTITY_REL),
        "f64: eigenvalues of J on (0, 0, w) = {−λ, 0, λ}, λ = |c*|/(1−ww*) (BPTT), |c*|/√(1−ww*) (tBPTT k=1)",
    )
    .and(Evidence::from_worst(
        n,
        bad as f64,
        None,
        "reported class is saddle",
    )))
}

// ---------------------------------------------------------------------------------------------
// P-RNN-27, 28: rates

fn p27(b: Budget) -> Result<Evidence> {
    let mut r = rng(27);
    let n = b.instances(8);
    let (mut worst, mut bad) = (0.0f64, 0usize);
    for _ in 0..n {
        let t: Mode<Q> = sample::teacher(&mut r);
        let (cs, ws) = ((t.a.clone() * t.b.clone()).to_f64(), t.w.to_f64());
        let q = 1.0 / (1.0 - ws * ws);
        // exact-M rate vs closed form at dyadic s
        let s_grid: Vec<f64> = (-12..=12).map(|k| 2f64.powf(k as f64 / 3.0)).collect();
        let mut rates = Vec::new();
        for &s in &s_grid {
            let sq = Q::from_f64(s);
            let exact = manifold::rate_on_manifold(&ModeRule::Bptt, &sq, &t)?;
            let closed = manifold::bptt_rate_closed_form(s, cs, ws);
            worst = crate::linalg::worse(worst, rel(exact, closed));
            rates.push((s * s + cs * cs / (s * s), closed));
        }
        // increasing in X (strictly iff w* ≠ 0; at w* = 0 non-decreasing, see proofs/P-RNN-27.md)
        rates.sort_by(|x, y| x.0.total_cmp(&y.0));
        let strict = ws != 0.0;
        if rates.windows(2).any(|w| {
            let apart = w[1].0 > w[0].0 * (1.0 + tol::MODES_X_SEPARATION);
            apart
                && (w[1].1 < w[0].1 * (1.0 - tol::F64_IDENTITY_REL) || (strict && w[1].1 <= w[0].1))
        }) {
            bad += 1;
        }
        if !strict {
            // w* = 0: λ_min = c*² wherever X ≥ c*² (exact: c*² is a root of λ² − trλ + E2)
            let cs2 = (t.a.clone() * t.b.clone()).powi(2);
            for &s in &s_grid {
                let sq = Q::from_f64(s);
                let cp = char_poly(&m_matrix(
                    &ModeRule::Bptt,
                    &optimal_point(&sq, &t)?,
                    &t,
                    Horizon::Infinite,
                )?);
                let root = cs2.clone() * cs2.clone() - cp.tr.clone() * cs2.clone() + cp.e2;
                if !root.is_zero() {
                    bad += 1;
                }
            }
        }
        // slowest at s = √|c*|: no grid value is below the rate there
        let at_min = manifold::bptt_rate_closed_form(cs.abs().sqrt(), cs, ws);
        if rates
            .iter()
            .any(|&(_, l)| l < at_min * (1.0 - tol::F64_IDENTITY_REL))
        {
            bad += 1;
        }
        // limits: |λ/(Q³c*²) − 1| shrinks like 1/X as s → 0 and s → ∞
        let lim = q * q * q * cs * cs;
        for (s1, s2) in [(1e-2, 1e-3), (1e2, 1e3)] {
            let e1 = (manifold::bptt_rate_closed_form(s1, cs, ws) / lim - 1.0).abs();
            let e2 = (manifold::bptt_rate_closed_form(s2, cs, ws) / lim - 1.0).abs();
            if e2 > tol::MODES_LIMIT_RATIO * e1 + tol::F64_IDENTITY_REL {
                bad += 1;
            }
        }
    }
    Ok(Evidence::from_worst(
        n,
        worst,
        Some(tol::F64_IDENTITY_REL),
        "rate from the exact M (rounded once) = closed form, on 25 values of s per teacher",
    )
    .and(Evidence::from_worst(
        n,
        bad as f64,
        None,
        "increasing in X; minimum at s = √|c*|; error to Q³c*² falls ≥ 50× per decade of s toward 0 and ∞",
    )))
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

fn p28(b: Budget) -> Result<Evidence> {
    let mut r = rng(28);
    let n = b.instances(8);
    let (mut bad, mut worst) = (0usize, 0.0f64);
    for _ in 0..n {
        let t: Mode<f64> = sample::teacher(&mut r);
        let ModeRule::Rflo { a_hat, w_hat } = sample::rflo::<f64, _>(&mut r) else {
            unreachable!("RFLO")
        };
        let e: Vec<f64> = [1e-3, 1e-4, 1e-5]
            .iter()
            .map(|&s| rflo_rate_ratio(a_hat, w_hat, &t, s).map(|x| (x - 1.0).abs()))
            .collect::<Result<_>>()?;
        // |ratio − 1| = O(|s|): it falls by ≥ 5× per decade
        if !(e[1] <= 0.2 * e[0] + tol::F64_IDENTITY_REL
            && e[2] <= 0.2 * e[1] + tol::F64_IDENTITY_REL)
        {
            bad += 1;
        }
        worst = crate::linalg::worse(worst, e[2]);
        // faster than BPTT for small |s| on the stable branch
        let s = 1e-3 * a_hat.signum();
        let rule = ModeRule::Rflo {
            a_hat: Q::from_f64(a_hat),
            w_hat: Q::from_f64(w_hat),
        };
        let tq = modes::map_mode(&t, |x| Q::from_f64(*x));
        let rf = manifold::rate_on_manifold(&rule, &Q::from_f64(s), &tq)?;
        let bp = manifold::bptt_rate_closed_form(s, t.a * t.b, t.w);
        if rf <= bp {
            bad += 1;
        }
    }
    Ok(Evidence::from_worst(
        n,
        bad as f64,
        None,
        "RFLO stable branch: |ratio − 1| falls ≥ 5× per decade of s (s = 1e-3, 1e-4, 1e-5) and λ_RFLO > λ_BPTT at |s| = 1e-3",
    )
    .and(Evidence::from_worst(
        n,
        worst,
        Some(tol::MODES_RATE_RATIO_AT_SMALL_S),
        "|λ_min s/(âc*²P̂²Q) − 1| at |s| = 1e-5",
    )))
}

// ---------------------------------------------------------------------------------------------
// P-RNN-29 … 34: trajectories

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
                drift = crate::linalg::worse(drift, (f(&unpack_modes(y)[0]) - i0).abs());
            }
        },
    )?;
    Ok((out, drift))
}

fn conservation_check(
    b: Budget,
    seed: u64,
    rule: ModeRule<f64>,
    inv: fn(&Mode<f64>) -> f64,
    d_of: fn(&Mode<f64>, &Mode<f64>) -> f64,
) -> Result<Evidence> {
    let mut r = rng(seed);
    let n = b.instances(6);
    let (mut drift, mut end_err, mut conv) = (0.0f64, 0.0f64, 0usize);
    for _ in 0..n {
        let t: Mode<f64> = sample::teacher(&mut r);
        let y0: Mode<f64> = sample::mode(&mut r);
        let (out, d) = run_mode(&rule, &t, &y0, tol::MODES_CONVERGENCE_TIME, Some(inv))?;
        drift = crate::linalg::worse(drift, d / (inv(&y0).abs() + 1.0));
        if let Outcome::Reached { y, .. } = out {
            let m = &unpack_modes(&y)[0];
            let u = modes::update(&rule, m, &t, Horizon::Infinite)?;
            let cs = t.a * t.b;
            if (u.a.abs() + u.b.abs() + u.w.abs()) < tol::MODES_CONVERGED_UPDATE
                && (m.a * m.b - cs).abs() < tol::MODES_ROOT_LOCATION
            {
                conv += 1;
                let s2 = manifold::bptt_limit_s2(d_of(&y0, &t), cs);
                end_err = crate::linalg::worse(
                    crate::linalg::worse(end_err, rel(m.a * m.a, s2)),
                    (m.w - t.w).abs(),
                );
            }
        }
    }
    let mut ev = Evidence::from_worst(
        n,
        drift,
        Some(tol::MODES_INVARIANT_DRIFT),
        format!(
            "Dormand–Prince (rtol {:e}) to τ = {}: invariant drift relative to 1 + |invariant|",
            tol::ODE_RTOL,
            tol::MODES_CONVERGENCE_TIME
        ),
    )
    .and(Evidence::from_worst(
        conv,
        end_err,
        Some(tol::MODES_ENDPOINT_REL),
        format!("{conv} of {n} runs converged: a² vs predicted s², |w − w*|"),
    ));
    if conv == 0 {
        ev.passed = false;
    }
    Ok(ev)
}

fn p29(b: Budget) -> Result<Evidence> {
    conservation_check(b, 29, ModeRule::Bptt, manifold::bptt_invariant, |y0, _| {
        manifold::bptt_invariant(y0)
    })
}

fn p30(b: Budget) -> Result<Evidence> {
    conservation_check(
        b,
        30,
        ModeRule::Tbptt { k: 1 },
        manifold::tbptt1_invariant,
        |y0, t| manifold::tbptt1_invariant(y0) + t.w * t.w,
    )
}

/// The balanced-start setting of P-RNN-31/32 (chosen by the project): teacher `(1, −0.8, 0.5)`
/// (c* = −0.8), start `(0.5, 0.5, 0.2)`.
pub fn balanced_setting() -> (Mode<f64>, Mode<f64>) {
    (Mode::new(1.0, -0.8, 0.5), Mode::new(0.5, 0.5, 0.2))
}

fn p31(b: Budget) -> Result<Evidence> {
    let _ = b;
    let (t, y0) = balanced_setting();
    let cs = t.a * t.b;
    let mut bad = Vec::new();
    // BPTT: stays on a = b, tends to (0, 0, w∞) with loss c*²/(2(1 − w*²))
    let (out, drift) = run_mode(
        &ModeRule::Bptt,
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
    for rule in [
        ModeRule::Tbptt { k: 1 },
        ModeRule::Rflo {
            a_hat: 1.0,
            w_hat: 0.3,
        },
        ModeRule::Rflo {
            a_hat: -1.0,
            w_hat: 0.3,
        },
    ] {
        let (out, _) = run_mode(&rule, &t, &y0, tol::MODES_CONVERGENCE_TIME, None)?;
        let y = out.into_final()?;
        let m = &unpack_modes(&y)[0];
        if (m.a * m.b - cs).abs() > tol::MODES_ROOT_LOCATION
            || (m.w - t.w).abs() > tol::MODES_ROOT_LOCATION
        {
            bad.push(format!("{} ended at {m:?}", rule.name()));
        }
    }
    Ok(Evidence::from_worst(
        4,
        bad.len() as f64,
        None,
        if bad.is_empty() {
            "teacher (1, −0.8, 0.5), start (0.5, 0.5, 0.2): BPTT stalls at a = b → 0 with loss c*²/(2(1−w*²)); tBPTT and RFLO (â = ±1, ŵ = 0.3) reach ab = c*, w = w*".to_string()
        } else {
            bad.join("; ")
        },
    ))
}

fn p32(b: Budget) -> Result<Evidence> {
    let (t, y0) = balanced_setting();
    let mut bad = Vec::new();
    for a_hat in [1.0, -1.0, 0.5, -0.5] {
        let rule = ModeRule::Rflo { a_hat, w_hat: 0.3 };
        let (out, _) = run_mode(&rule, &t, &y0, tol::MODES_CONVERGENCE_TIME, None)?;
        let m = unpack_modes(&out.into_final()?)[0].clone();
        if m.a.signum() != a_hat.signum() {
            bad.push(format!("balanced start, â = {a_hat}: ended at {m:?}"));
        }
    }
    // random runs: convergent ones end stable; with w*(w* − ŵ) ≤ 0 on sgn(a) = sgn(â)
    let mut r = rng(32);
    let (mut conv, mut cond) = (0usize, 0usize);
    let n = b.instances(20);
    for _ in 0..n {
        let t: Mode<f64> = sample::teacher(&mut r);
        let rule = sample::rflo::<f64, _>(&mut r);
        let y0: Mode<f64> = sample::mode(&mut r);
        let ModeRule::Rflo { a_hat, w_hat } = rule else {
            unreachable!("RFLO")
        };
        // a start exactly on a fixed point (possible on the dyadic grid) is not a generic run
        let u0 = modes::update(&rule, &y0, &t, Horizon::Infinite)?;
        if u0.a.abs() + u0.b.abs() + u0.w.abs() < tol::MODES_CONVERGED_UPDATE {
            continue;
        }
        let (out, _) = run_mode(&rule, &t, &y0, tol::MODES_CONVERGENCE_TIME, None)?;
        let Outcome::Reached { y, .. } = out else {
            continue;
        };
        let m = unpack_modes(&y)[0].clone();
        let u = modes::update(&rule, &m, &t, Horizon::Infinite)?;
        if u.a.abs() + u.b.abs() + u.w.abs() > tol::MODES_CONVERGED_UPDATE {
            continue;
        }
        conv += 1;
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
    }
    let mut ev = Evidence::from_worst(
        n + 4,
        bad.len() as f64,
        None,
        if bad.is_empty() {
            format!(
                "balanced start (c* < 0) ends on sgn(a) = sgn(â) for â = ±1, ±1/2; {conv} of {n} random runs converged, all to stable points; {cond} had w*(w*−ŵ) ≤ 0, all on sgn(a) = sgn(â)"
            )
        } else {
            bad.join("; ")
        },
    );
    if conv == 0 {
        ev.passed = false;
    }
    Ok(ev)
}

fn p33(_b: Budget) -> Result<Evidence> {
    let q = |n: i64, d: i64| Q::ratio(n, d);
    let m = Mode::new(q(1, 2), q(3, 4), q(1, 4));
    let t = Mode::new(q(1, 1), q(1, 1), q(1, 2));
    let rflo = ModeRule::Rflo {
        a_hat: q(1, 1),
        w_hat: q(1, 4),
    };
    let mut found = Vec::new();
    let d_ab = |rule: &ModeRule<Q>| -> Result<Q> {
        let u = modes::update(rule, &m, &t, Horizon::Infinite)?;
        Ok(m.a.clone() * u.a - m.b.clone() * u.b)
    };
    let d_abw = |rule: &ModeRule<Q>| -> Result<Q> {
        let u = modes::update(rule, &m, &t, Horizon::Infinite)?;
        Ok(m.a.clone() * u.a - m.b.clone() * u.b - m.w.clone() * u.w)
    };
    found.push(!d_ab(&ModeRule::Tbptt { k: 1 })?.is_zero());
    found.push(!d_ab(&rflo)?.is_zero());
    found.push(!d_abw(&rflo)?.is_zero());
    found.push(!d_abw(&ModeRule::Tbptt { k: 2 })?.is_zero());
    // matrix BPTT: d/dτ (AᵀA − BBᵀ) = −(ΔAᵀA + AᵀΔA) + (ΔB Bᵀ + B ΔBᵀ) ≠ 0 on a generic instance
    let spec = crate::rnn::InstanceSpec {
        seed: 33,
        o: 2,
        n: 3,
        n_teacher: 3,
        d: 2,
        horizon: 4,
    };
    let inst = spec.draw()?.cast::<Q>();
    let u = expected::update(&Rule::Bptt, &inst.st, 4, Loss::Final)?;
    let (a, bm) = (inst.st.student.a(), inst.st.student.b());
    let rate = -(u.a.transpose() * a + a.transpose() * &u.a)
        + (&u.b * bm.transpose() + bm * u.b.transpose());
    found.push(rate.iter().any(|x| !x.is_zero()));
    let missing = found.iter().filter(|f| !**f).count();
    Ok(Evidence::from_worst(
        found.len(),
        missing as f64,
        None,
        "exact counterexamples at (a, b, w) = (1/2, 3/4, 1/4), teacher (1, 1, 1/2): aΔa − bΔb ≠ 0 for tBPTT(1) and RFLO (â = 1, ŵ = 1/4); aΔa − bΔb − wΔw ≠ 0 for RFLO and tBPTT(2); d(AᵀA − BBᵀ)/dτ ≠ 0 for matrix BPTT (seed 33, o = 2, n = 3, d = 2, T = 4)",
    ))
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

fn p34(_b: Budget) -> Result<Evidence> {
    let (rule, t, y0) = leaving_setting();
    let sys = ModeFlow::single(rule, t, Horizon::Infinite);
    let y = pack_modes(std::slice::from_ref(&y0));
    let dp = ode::dormand_prince(&sys, &y, 100.0, &DpOptions::default(), &mut |_, _| {})?;
    let rk = ode::rk4(&sys, &y, 100.0, 10_000, &mut |_, _| {})?;
    let mut bad = 0;
    for o in [&dp, &rk] {
        match o {
            Outcome::LeftDomain { last_inside, .. } if last_inside[2].abs() < 1.0 => {}
            _ => bad += 1,
        }
    }
    if dp.clone().into_final().is_ok() {
        bad += 1;
    }
    Ok(Evidence::from_worst(
        2,
        bad as f64,
        None,
        "RFLO from (1, 1, 0.6), teacher (1, 1, 0.5), â = −1, ŵ = 1/2: Dormand–Prince and RK4 both stop with LeftDomain (last state inside |w| < 1), and into_final refuses it",
    ))
}
