//! The certified identities of the per-mode theory (`docs/theory/modes.md`; sub-ids `P-RNN-n.x`). Each function
//! returns the identities of one catalogue sub-id; the clearing denominators D and the degree
//! bounds are derived in `proofs/P-RNN-n.x.md`.
//!
//! Teachers enter only through `c* = a*b*` and `w*`, so every identity uses the teacher mode
//! `(a*, b*, w*) = (c*, 1, w*)`.
use super::{Identity, Var, VarDomain};
use crate::error::Result;
use crate::evidence::Budget;
use crate::gradcheck::dual_gradient;
use crate::modes::{
    self, Horizon, ModeRule, char_poly, hessian_of_loss, m_matrix, optimal_point, spec_tr_e2,
};
use crate::rnn::Mode;
use crate::scalar::{Rational, Real};

type Q = Rational;

fn q(n: i64) -> Q {
    Q::from_i64(n)
}

fn one_minus(x: Q) -> Q {
    q(1) - x
}

fn teacher(cs: &Q, ws: &Q) -> Mode<Q> {
    Mode::new(cs.clone(), q(1), ws.clone())
}

fn comps(m: &Mode<Q>) -> Vec<Q> {
    vec![m.a.clone(), m.b.clone(), m.w.clone()]
}

fn sub(x: &Mode<Q>, y: &Mode<Q>) -> Vec<Q> {
    vec![
        x.a.clone() - y.a.clone(),
        x.b.clone() - y.b.clone(),
        x.w.clone() - y.w.clone(),
    ]
}

fn mat_sub(x: &[[Q; 3]; 3], y: &[[Q; 3]; 3]) -> Vec<Q> {
    x.iter()
        .flatten()
        .zip(y.iter().flatten())
        .map(|(u, v)| u.clone() - v.clone())
        .collect()
}

use VarDomain::{Any, NonZero, OpenUnit};

fn v(name: &'static str, domain: VarDomain, degree: u32) -> Var {
    Var::new(name, domain, degree)
}

/// Variables of a finite-horizon per-mode identity: `(a, b, w, c*, w*)` with degree bounds 2, 2,
/// 2T, 1, T (the finite-T sums are polynomials of these degrees in each variable).
fn finite_horizon_vars(tt: u32) -> Vec<Var> {
    vec![
        v("a", Any, 2),
        v("b", Any, 2),
        v("w", Any, 2 * tt),
        v("c*", Any, 1),
        v("w*", Any, tt),
    ]
}

/// The largest horizon used by the finite-T certificates at a budget.
pub fn max_horizon(budget: Budget) -> usize {
    match budget {
        Budget::Test => 4,
        Budget::Quick => 5,
        Budget::Full => 7,
    }
}

/// The truncation lengths k used by the tBPTT certificates.
pub const TBPTT_KS: [usize; 3] = [1, 2, 3];

/// Residual of a per-mode update at `(a, b, w)` variables `x = [a, b, w, c*, w*, (â, ŵ)]`.
fn mode_and_teacher(x: &[Q]) -> (Mode<Q>, Mode<Q>) {
    (
        Mode::new(x[0].clone(), x[1].clone(), x[2].clone()),
        teacher(&x[3], &x[4]),
    )
}

fn rule_from(rule: &ModeRule<Q>, x: &[Q]) -> ModeRule<Q> {
    match rule {
        ModeRule::Rflo { .. } => ModeRule::Rflo {
            a_hat: x[x.len() - 2].clone(),
            w_hat: x[x.len() - 1].clone(),
        },
        r => r.clone(),
    }
}

fn rflo_placeholder() -> ModeRule<Q> {
    ModeRule::Rflo {
        a_hat: q(0),
        w_hat: q(0),
    }
}

/// P-RNN-14.a: the finite-T closed forms (`docs/theory/modes.md#ode-fields` forms with geometric factors) equal the finite-T sums,
/// for BPTT, tBPTT (k = 1, 2) and RFLO, T = 1 … [`max_horizon`].
pub fn p14a(budget: Budget) -> Vec<Identity<'static>> {
    let mut out = Vec::new();
    for t in 1..=max_horizon(budget) {
        let tt = t as u32;
        for rule in [
            ModeRule::Bptt,
            ModeRule::Tbptt { k: 1 },
            ModeRule::Tbptt { k: 2 },
        ] {
            let name = format!("{} closed = sum at T = {t}", rule.name());
            out.push(Identity {
                name,
                vars: vec![
                    v("a", Any, 2),
                    v("b", Any, 2),
                    v("w", OpenUnit, 2 * tt + 4),
                    v("c*", Any, 1),
                    v("w*", OpenUnit, tt + 1),
                ],
                denominator: Box::new(|x| {
                    let d1 = one_minus(x[2].clone() * x[2].clone());
                    let d2 = one_minus(x[2].clone() * x[4].clone());
                    d1.clone() * d1 * d2.clone() * d2
                }),
                residual: Box::new(move |x| {
                    let (m, th) = mode_and_teacher(x);
                    Ok(sub(
                        &modes::update_finite_closed(&rule, &m, &th, t)?,
                        &modes::update_finite_sum(&rule, &m, &th, t)?,
                    ))
                }),
            });
        }
        out.push(Identity {
            name: format!("rflo closed = sum at T = {t}"),
            vars: vec![
                v("a", Any, 1),
                v("b", Any, 2),
                v("w", OpenUnit, 2 * tt + 2),
                v("c*", Any, 1),
                v("w*", OpenUnit, tt + 1),
                v("â", Any, 1),
                v("ŵ", OpenUnit, tt + 1),
            ],
            denominator: Box::new(|x| {
                one_minus(x[2].clone() * x[2].clone())
                    * one_minus(x[2].clone() * x[4].clone())
                    * one_minus(x[6].clone() * x[2].clone())
                    * one_minus(x[6].clone() * x[4].clone())
            }),
            residual: Box::new(move |x| {
                let (m, th) = mode_and_teacher(x);
                let r = rule_from(&rflo_placeholder(), x);
                Ok(sub(
                    &modes::update_finite_closed(&r, &m, &th, t)?,
                    &modes::update_finite_sum(&r, &m, &th, t)?,
                ))
            }),
        });
    }
    out
}

fn loss_gradient(m: &Mode<Q>, th: &Mode<Q>, horizon: Horizon) -> Result<Vec<Q>> {
    let thd = modes::map_mode(th, |x| crate::scalar::Dual::constant(x.clone()));
    dual_gradient(&modes::to_array(m), |v| {
        modes::loss(
            &Mode::new(v[0].clone(), v[1].clone(), v[2].clone()),
            &thd,
            horizon,
        )
    })
}

/// P-RNN-15.a: the per-mode BPTT update equals the gradient of the per-mode loss, as T → ∞ and at
/// T = 1 … [`max_horizon`].
pub fn p15a(budget: Budget) -> Vec<Identity<'static>> {
    let mut out = vec![Identity {
        name: "bptt Δ = ∇L_∞".into(),
        vars: vec![
            v("a", Any, 2),
            v("b", Any, 2),
            v("w", OpenUnit, 7),
            v("c*", Any, 1),
            v("w*", OpenUnit, 3),
        ],
        denominator: Box::new(|x| {
            let d1 = one_minus(x[2].clone() * x[2].clone());
            let d2 = one_minus(x[2].clone() * x[4].clone());
            d1.clone() * d1 * d2.clone() * d2
        }),
        residual: Box::new(|x| {
            let (m, th) = mode_and_teacher(x);
            let u = modes::update(&ModeRule::Bptt, &m, &th, Horizon::Infinite)?;
            let g = loss_gradient(&m, &th, Horizon::Infinite)?;
            Ok(comps(&u).into_iter().zip(g).map(|(p, r)| p - r).collect())
        }),
    }];
    for t in 1..=max_horizon(budget) {
        let tt = t as u32;
        out.push(Identity {
            name: format!("bptt Δ = ∇L_T at T = {t}"),
            vars: finite_horizon_vars(tt),
            denominator: Box::new(|_| q(1)),
            residual: Box::new(move |x| {
                let (m, th) = mode_and_teacher(x);
                let u = modes::update(&ModeRule::Bptt, &m, &th, Horizon::Finite(t))?;
                let g = loss_gradient(&m, &th, Horizon::Finite(t))?;
                Ok(comps(&u).into_iter().zip(g).map(|(p, r)| p - r).collect())
            }),
        });
    }
    out
}

/// P-RNN-16.a: the k-step tBPTT forms at k = 1 equal the one-step forms
/// `Δb = a(c − c*)`, `Δw = c[cw/(1−w²) − c*w*/(1−ww*)]` (T → ∞); and at finite T, tBPTT with
/// k ∈ {T, T + 1, 2T} equals BPTT (T = 1 … [`max_horizon`]).
pub fn p16a(budget: Budget) -> Vec<Identity<'static>> {
    let mut out = vec![Identity {
        name: "tbptt:1 = one-step forms (T → ∞)".into(),
        vars: vec![
            v("a", Any, 2),
            v("b", Any, 2),
            v("w", OpenUnit, 4),
            v("c*", Any, 1),
            v("w*", OpenUnit, 2),
        ],
        denominator: Box::new(|x| {
            one_minus(x[2].clone() * x[2].clone()) * one_minus(x[2].clone() * x[4].clone())
        }),
        residual: Box::new(|x| {
            let (m, th) = mode_and_teacher(x);
            let u = modes::update(&ModeRule::Tbptt { k: 1 }, &m, &th, Horizon::Infinite)?;
            let (a, b, w, cs, ws) = (&x[0], &x[1], &x[2], &x[3], &x[4]);
            let c = a.clone() * b.clone();
            let spec_db = a.clone() * (c.clone() - cs.clone());
            let spec_dw = c.clone()
                * (c * w.clone() / one_minus(w.clone() * w.clone())
                    - cs.clone() * ws.clone() / one_minus(w.clone() * ws.clone()));
            let bptt_da = modes::update(&ModeRule::Bptt, &m, &th, Horizon::Infinite)?.a;
            Ok(vec![u.a - bptt_da, u.b - spec_db, u.w - spec_dw])
        }),
    }];
    for t in 1..=max_horizon(budget) {
        let tt = t as u32;
        out.push(Identity {
            name: format!("tbptt:k (k ≥ T) = bptt at T = {t}"),
            vars: finite_horizon_vars(tt),
            denominator: Box::new(|_| q(1)),
            residual: Box::new(move |x| {
                let (m, th) = mode_and_teacher(x);
                let bptt = modes::update(&ModeRule::Bptt, &m, &th, Horizon::Finite(t))?;
                let mut r = Vec::new();
                for k in [t, t + 1, 2 * t] {
                    let tb = modes::update(&ModeRule::Tbptt { k }, &m, &th, Horizon::Finite(t))?;
                    r.extend(sub(&tb, &bptt));
                }
                Ok(r)
            }),
        });
    }
    out
}

/// Manifold variables `[s, c*, w*, (â, ŵ)]` → rule, point, teacher.
fn on_manifold(rule: &ModeRule<Q>, x: &[Q]) -> Result<(ModeRule<Q>, Mode<Q>, Mode<Q>)> {
    let th = teacher(&x[1], &x[2]);
    let p = optimal_point(&x[0], &th)?;
    Ok((rule_from(rule, x), p, th))
}

fn manifold_vars(rule: &ModeRule<Q>, s: u32, cs: u32, ws: u32, ah: u32, wh: u32) -> Vec<Var> {
    let mut out = vec![v("s", NonZero, s), v("c*", Any, cs), v("w*", OpenUnit, ws)];
    if matches!(rule, ModeRule::Rflo { .. }) {
        out.push(v("â", Any, ah));
        out.push(v("ŵ", OpenUnit, wh));
    }
    out
}

fn s_pow_unit(x: &[Q], sp: i32, up: i32, hp: i32) -> Q {
    let mut d = x[0].powi(sp as u32);
    let u = one_minus(x[2].clone() * x[2].clone());
    d *= u.powi(up as u32);
    if hp > 0 {
        d *= one_minus(x[4].clone() * x[2].clone()).powi(hp as u32);
    }
    d
}

/// P-RNN-17.a: every rule's T → ∞ update vanishes on the optimal manifold `(s, c*/s, w*)`.
pub fn p17a(_budget: Budget) -> Vec<Identity<'static>> {
    let mut rules = vec![(ModeRule::Bptt, 2u32, 2u32, 5u32)];
    for k in TBPTT_KS {
        rules.push((ModeRule::Tbptt { k }, 2, 2, 2 * k as u32 + 3));
    }
    let mut out: Vec<Identity<'static>> = rules
        .into_iter()
        .map(|(rule, s, cs, ws)| Identity {
            name: format!("{} vanishes on (s, c*/s, w*)", rule.name()),
            vars: manifold_vars(&rule, s, cs, ws, 0, 0),
            denominator: Box::new(|x| s_pow_unit(x, 1, 2, 0)),
            residual: Box::new(move |x| {
                let (r, p, th) = on_manifold(&rule, x)?;
                Ok(comps(&modes::update(&r, &p, &th, Horizon::Infinite)?))
            }),
        })
        .collect();
    let rflo = rflo_placeholder();
    out.push(Identity {
        name: "rflo vanishes on (s, c*/s, w*)".into(),
        vars: manifold_vars(&rflo, 1, 2, 4, 1, 1),
        denominator: Box::new(|x| s_pow_unit(x, 1, 1, 1)),
        residual: Box::new(move |x| {
            let (r, p, th) = on_manifold(&rflo, x)?;
            Ok(comps(&modes::update(&r, &p, &th, Horizon::Infinite)?))
        }),
    });
    out
}

fn line_vars(w: u32, cs: u32, ws: u32) -> Vec<Var> {
    vec![v("w", OpenUnit, w), v("c*", Any, cs), v("w*", OpenUnit, ws)]
}

fn line_den(x: &[Q], p: u32) -> Q {
    (one_minus(x[0].clone() * x[0].clone()) * one_minus(x[0].clone() * x[2].clone())).powi(p)
}

/// P-RNN-17.b: BPTT's and tBPTT's (k = 1, 2) T → ∞ updates vanish on the line `(0, 0, w)`.
pub fn p17b(_budget: Budget) -> Vec<Identity<'static>> {
    let rules = vec![
        (ModeRule::Bptt, 7u32, 3u32),
        (ModeRule::Tbptt { k: 1 }, 7, 3),
        (ModeRule::Tbptt { k: 2 }, 9, 4),
    ];
    rules
        .into_iter()
        .map(|(rule, wd, wsd)| Identity {
            name: format!("{} vanishes on (0, 0, w)", rule.name()),
            vars: line_vars(wd, 1, wsd),
            denominator: Box::new(|x| line_den(x, 2)),
            residual: Box::new(move |x| {
                let th = teacher(&x[1], &x[2]);
                let p = modes::nonoptimal_point(&x[0]);
                Ok(comps(&modes::update(&rule, &p, &th, Horizon::Infinite)?))
            }),
        })
        .collect()
}

/// P-RNN-18.a: at `(0, 0, w)` RFLO's update is `(0, −âc*/(1−ŵw*), 0)`.
pub fn p18a(_budget: Budget) -> Vec<Identity<'static>> {
    vec![Identity {
        name: "rflo at (0, 0, w) = (0, −âc*/(1−ŵw*), 0)".into(),
        vars: vec![
            v("w", OpenUnit, 5),
            v("c*", Any, 1),
            v("w*", OpenUnit, 3),
            v("â", Any, 1),
            v("ŵ", OpenUnit, 2),
        ],
        denominator: Box::new(|x| {
            one_minus(x[0].clone() * x[0].clone())
                * one_minus(x[0].clone() * x[2].clone())
                * one_minus(x[4].clone() * x[0].clone())
                * one_minus(x[4].clone() * x[2].clone())
        }),
        residual: Box::new(|x| {
            let th = teacher(&x[1], &x[2]);
            let r = ModeRule::Rflo {
                a_hat: x[3].clone(),
                w_hat: x[4].clone(),
            };
            let u = modes::update(&r, &modes::nonoptimal_point(&x[0]), &th, Horizon::Infinite)?;
            let expect_b = -(x[3].clone() * x[1].clone()) / one_minus(x[4].clone() * x[2].clone());
            Ok(vec![u.a, u.b - expect_b, u.w])
        }),
    }]
}

/// Per-rule clearing denominator `D_M` of the Jacobian on the manifold and its entry bounds
/// β = (s, c*, w*, â, ŵ) (derived in `proofs/P-RNN-20.a.md`).
/// A clearing denominator as a function of the variables.
type DenFn = fn(&[Q]) -> Q;
/// A residual on the manifold: (rule, point, teacher, s) → components.
type ManifoldResidual = fn(&ModeRule<Q>, &Mode<Q>, &Mode<Q>, &Q) -> Result<Vec<Q>>;

fn jac_bounds(rule: &ModeRule<Q>) -> ([u32; 5], DenFn) {
    match rule {
        ModeRule::Bptt => ([4, 2, 8, 0, 0], |x| s_pow_unit(x, 2, 3, 0)),
        ModeRule::Tbptt { k } => ([4, 2, 2 * *k as u32 + 7, 0, 0], |x| s_pow_unit(x, 2, 3, 0)),
        ModeRule::Rflo { .. } => ([3, 2, 10, 1, 4], |x| s_pow_unit(x, 2, 2, 2)),
    }
}

fn scaled(b: [u32; 5], f: u32, extra_s: u32, extra_cs: u32) -> [u32; 5] {
    [
        b[0] * f + extra_s,
        b[1] * f + extra_cs,
        b[2] * f,
        b[3] * f,
        b[4] * f,
    ]
}

fn jac_identity(
    rule: ModeRule<Q>,
    name: String,
    bounds: [u32; 5],
    den_power: u32,
    extra_s: u32,
    residual: ManifoldResidual,
) -> Identity<'static> {
    let (_, dm) = jac_bounds(&rule);
    Identity {
        name,
        vars: manifold_vars(&rule, bounds[0], bounds[1], bounds[2], bounds[3], bounds[4]),
        denominator: Box::new(move |x| dm(x).powi(den_power) * x[0].powi(extra_s)),
        residual: Box::new(move |x| {
            let (r, p, th) = on_manifold(&rule, x)?;
            residual(&r, &p, &th, &x[0])
        }),
    }
}

fn rules_with_analytic() -> Vec<ModeRule<Q>> {
    vec![ModeRule::Bptt, ModeRule::Tbptt { k: 1 }, rflo_placeholder()]
}

/// P-RNN-20.a: the analytic `M` of `docs/theory/modes.md#jacobians` equals the exact (dual-number) Jacobian on the manifold.
pub fn p20a(_budget: Budget) -> Vec<Identity<'static>> {
    rules_with_analytic()
        .into_iter()
        .map(|rule| {
            let (b, _) = jac_bounds(&rule);
            let name = format!("{}: analytic M = ∂Δ/∂θ on the manifold", rule.name());
            jac_identity(rule, name, b, 1, 0, |r, p, th, s| {
                let m = m_matrix(r, p, th, Horizon::Infinite)?;
                Ok(mat_sub(&modes::analytic_m(r, s, th)?, &m))
            })
        })
        .collect()
}

/// P-RNN-20.b: `(a, −b, 0)` is a null vector of every rule's M on the manifold.
pub fn p20b(_budget: Budget) -> Vec<Identity<'static>> {
    let mut rules = vec![ModeRule::Bptt];
    rules.extend(TBPTT_KS.iter().map(|&k| ModeRule::Tbptt { k }));
    rules.push(rflo_placeholder());
    rules
        .into_iter()
        .map(|rule| {
            let (b, _) = jac_bounds(&rule);
            let name = format!("{}: M (a, −b, 0) = 0 on the manifold", rule.name());
            jac_identity(rule, name, scaled(b, 1, 1, 1), 1, 1, |r, p, th, _| {
                let m = m_matrix(r, p, th, Horizon::Infinite)?;
                Ok((0..3)
                    .map(|i| m[i][0].clone() * p.a.clone() - m[i][1].clone() * p.b.clone())
                    .collect())
            })
        })
        .collect()
}

/// P-RNN-21.a: the closed-form tr and E2 (`docs/theory/modes.md#stability`) equal the trace and principal-2×2-minor sum of the exact
/// Jacobian on the manifold; and `QN − m² = Q⁴`.
pub fn p21a(_budget: Budget) -> Vec<Identity<'static>> {
    let mut out: Vec<Identity<'static>> = rules_with_analytic()
        .into_iter()
        .map(|rule| {
            let (b, _) = jac_bounds(&rule);
            let name = format!("{}: closed-form tr, E2 = those of ∂Δ/∂θ", rule.name());
            jac_identity(rule, name, scaled(b, 2, 0, 0), 2, 0, |r, p, th, s| {
                let cp = char_poly(&m_matrix(r, p, th, Horizon::Infinite)?);
                let (tr, e2) = spec_tr_e2(r, s, th)?;
                Ok(vec![tr - cp.tr, e2 - cp.e2])
            })
        })
        .collect();
    out.push(Identity {
        name: "QN − m² = Q⁴".into(),
        vars: vec![v("w*", OpenUnit, 2)],
        denominator: Box::new(|x| one_minus(x[0].clone() * x[0].clone()).powi(4)),
        residual: Box::new(|x| {
            let k = modes::jacobian::manifold_constants(&teacher(&q(1), &x[0]), None);
            let q4 = k.q.powi(4);
            Ok(vec![k.q * k.n - k.m.clone() * k.m - q4])
        }),
    });
    out
}

/// P-RNN-22.a: BPTT's Jacobian `∂Δ/∂θ` equals the Hessian of `L_∞` everywhere.
pub fn p22a(_budget: Budget) -> Vec<Identity<'static>> {
    vec![Identity {
        name: "bptt: ∂Δ/∂θ = Hess L_∞".into(),
        vars: vec![
            v("a", Any, 2),
            v("b", Any, 2),
            v("w", OpenUnit, 11),
            v("c*", Any, 1),
            v("w*", OpenUnit, 5),
        ],
        denominator: Box::new(|x| {
            (one_minus(x[2].clone() * x[2].clone()) * one_minus(x[2].clone() * x[4].clone()))
                .powi(3)
        }),
        residual: Box::new(|x| {
            let (m, th) = mode_and_teacher(x);
            let jm = m_matrix(&ModeRule::Bptt, &m, &th, Horizon::Infinite)?;
            let h = hessian_of_loss(&m, &th, Horizon::Infinite)?;
            Ok(mat_sub(&jm, &h))
        }),
    }]
}

/// P-RNN-23.a: on the manifold with `w* = 0`, `M_tBPTT(k=1) = M_BPTT`.
pub fn p23a(_budget: Budget) -> Vec<Identity<'static>> {
    vec![Identity {
        name: "w* = 0: M_tbptt:1 = M_bptt on the manifold".into(),
        vars: vec![v("s", NonZero, 4), v("c*", Any, 2)],
        denominator: Box::new(|x| x[0].clone() * x[0].clone()),
        residual: Box::new(|x| {
            let th = teacher(&x[1], &q(0));
            let p = optimal_point(&x[0], &th)?;
            let mt = m_matrix(&ModeRule::Tbptt { k: 1 }, &p, &th, Horizon::Infinite)?;
            let mb = m_matrix(&ModeRule::Bptt, &p, &th, Horizon::Infinite)?;
            Ok(mat_sub(&mt, &mb))
        }),
    }]
}

/// P-RNN-26.a: on `(0, 0, w)` the characteristic polynomial of M is `λ³ + E2 λ` with
/// `E2 = −c*²/(1−ww*)²` (BPTT) and `E2 = −c*²/(1−ww*)` (tBPTT, k = 1); so the nonzero eigenvalues are
/// `±c*/(1−ww*)` and `±|c*|/√(1−ww*)`.
pub fn p26a(_budget: Budget) -> Vec<Identity<'static>> {
    [ModeRule::Bptt, ModeRule::Tbptt { k: 1 }]
        .into_iter()
        .map(|rule| Identity {
            name: format!("{}: char poly on (0, 0, w)", rule.name()),
            vars: line_vars(36, 3, 15),
            denominator: Box::new(|x| line_den(x, 9)),
            residual: Box::new(move |x| {
                let th = teacher(&x[1], &x[2]);
                let p = modes::nonoptimal_point(&x[0]);
                let cp = char_poly(&m_matrix(&rule, &p, &th, Horizon::Infinite)?);
                let d = one_minus(x[0].clone() * x[2].clone());
                let cs2 = x[1].clone() * x[1].clone();
                let spec = match rule {
                    ModeRule::Bptt => -cs2 / (d.clone() * d),
                    _ => -cs2 / d,
                };
                Ok(vec![cp.tr, cp.e2 - spec, cp.det])
            }),
        })
        .collect()
}

/// P-RNN-29.a: BPTT has `aΔa = bΔb` (T → ∞ and T = 1 … [`max_horizon`]).
pub fn p29a(budget: Budget) -> Vec<Identity<'static>> {
    let mut out = vec![Identity {
        name: "bptt: aΔa − bΔb = 0 (T → ∞)".into(),
        vars: vec![
            v("a", Any, 2),
            v("b", Any, 2),
            v("w", OpenUnit, 3),
            v("c*", Any, 1),
            v("w*", OpenUnit, 1),
        ],
        denominator: Box::new(|x| {
            one_minus(x[2].clone() * x[2].clone()) * one_minus(x[2].clone() * x[4].clone())
        }),
        residual: Box::new(|x| {
            let (m, th) = mode_and_teacher(x);
            let u = modes::update(&ModeRule::Bptt, &m, &th, Horizon::Infinite)?;
            Ok(vec![m.a.clone() * u.a - m.b.clone() * u.b])
        }),
    }];
    for t in 1..=max_horizon(budget) {
        let tt = t as u32;
        out.push(Identity {
            name: format!("bptt: aΔa − bΔb = 0 at T = {t}"),
            vars: finite_horizon_vars(tt),
            denominator: Box::new(|_| q(1)),
            residual: Box::new(move |x| {
                let (m, th) = mode_and_teacher(x);
                let u = modes::update(&ModeRule::Bptt, &m, &th, Horizon::Finite(t))?;
                Ok(vec![m.a.clone() * u.a - m.b.clone() * u.b])
            }),
        });
    }
    out
}

/// P-RNN-30.a: one-step tBPTT has `aΔa − bΔb − wΔw = 0` (T → ∞ forms).
pub fn p30a(_budget: Budget) -> Vec<Identity<'static>> {
    vec![Identity {
        name: "tbptt:1: aΔa − bΔb − wΔw = 0 (T → ∞)".into(),
        vars: vec![
            v("a", Any, 2),
            v("b", Any, 2),
            v("w", OpenUnit, 5),
            v("c*", Any, 1),
            v("w*", OpenUnit, 2),
        ],
        denominator: Box::new(|x| {
            one_minus(x[2].clone() * x[2].clone()) * one_minus(x[2].clone() * x[4].clone())
        }),
        residual: Box::new(|x| {
            let (m, th) = mode_and_teacher(x);
            let u = modes::update(&ModeRule::Tbptt { k: 1 }, &m, &th, Horizon::Infinite)?;
            Ok(vec![
                m.a.clone() * u.a - m.b.clone() * u.b - m.w.clone() * u.w,
            ])
        }),
    }]
}

/// Largest grid any of these certificates may use (a guard against a mistyped bound).
pub const MAX_POINTS: usize = 200_000;

/// Certifies every identity and combines the evidence.
pub fn run(ids: Vec<Identity<'_>>) -> Result<crate::evidence::Evidence> {
    let mut ev: Option<crate::evidence::Evidence> = None;
    for id in &ids {
        let e = super::certify(id, MAX_POINTS)?.evidence();
        ev = Some(match ev {
            None => e,
            Some(prev) => prev.and(e),
        });
    }
    ev.ok_or_else(|| crate::LroError::InvalidParameter {
        name: "certificates".into(),
        reason: "no identity given".into(),
    })
}
