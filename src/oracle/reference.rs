//! Fixtures in the project's own convention (`docs/theory/linear-rnn.md#indexing`, `docs/theory/linear-rnn.md#losses`, `docs/theory/linear-rnn.md#online`): the
//! linear RNN (aligned or not) and the leaky tanh RNN, computed with the foundation's rules
//! ([`crate::rules::online`]), written once generic over [`Real`].
//!
//! Exported fixtures of linear cases are computed over exact rationals (feature `rug`) and rounded
//! once to f64, so every stored number is within one ulp of its exact value; tanh cases run at 256
//! bits (MPFR). Without `rug` both fall back to f64.
use super::conventions;
use super::fixture::{Fixture, GROUP_FORWARD, GROUP_GIVEN, Role, SCHEMA_VERSION, TensorSet};
use crate::error::Result;
use crate::linalg;
use crate::rnn::{Activation, Rnn, Sequence};
use crate::rules::{Feedback, Loss, Rule, Scaling, Update, online};
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};
use std::collections::BTreeMap;

/// A drawn problem in the project's convention: student, teacher, RFLO feedback and surrogate, one
/// input sequence and its targets.
#[derive(Clone, Debug)]
pub struct Problem<T: Real> {
    /// The network being trained (its leak and activation apply to the teacher too).
    pub student: Rnn<T>,
    /// The teacher producing `y*`.
    pub teacher: Rnn<T>,
    /// RFLO / random e-prop feedback R (o×n).
    pub feedback: DMatrix<T>,
    /// RFLO surrogate ŵ.
    pub w_hat: T,
    /// Inputs `x_0 … x_{T-1}`.
    pub xs: Sequence<T>,
    /// Targets `y*_1 … y*_T`.
    pub targets: Sequence<T>,
    /// Truncation lengths of the tBPTT rules to export.
    pub tbptt_k: Vec<usize>,
    /// The online-learning family's draws, when the case exports the family.
    pub family: Option<FamilyDraws<T>>,
}

/// The draws of the family's stochastic rules for one sequence: UORO's `ν_t ∈ {±1}ⁿ` and
/// KF-RTRL's `(c₁, c₂)_t ∈ {±1}²`, index t − 1 for step t (the same draws for both scalings).
#[derive(Clone, Debug, PartialEq)]
pub struct FamilyDraws<T: Real> {
    /// UORO's sign vectors (T of length n).
    pub uoro: Vec<DVector<T>>,
    /// KF-RTRL's sign pairs (T of length 2).
    pub kf_rtrl: Vec<DVector<T>>,
}

/// The ChaCha8 stream of the family's draws (apart from the instance's stream 0 and the batch's
/// streams 1..B).
const FAMILY_STREAM: u64 = 0x6661_6d69_6c79;

impl FamilyDraws<f64> {
    /// Seeded Rademacher draws: UORO's T × n signs, then KF-RTRL's T × 2.
    pub fn draw(seed: u64, n: usize, horizon: usize) -> Self {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(FAMILY_STREAM);
        let mut signs = |len: usize| -> Vec<DVector<f64>> {
            (0..horizon)
                .map(|_| {
                    DVector::from_fn(len, |_, _| if rng.random::<bool>() { 1.0 } else { -1.0 })
                })
                .collect()
        };
        let uoro = signs(n);
        let kf_rtrl = signs(2);
        FamilyDraws { uoro, kf_rtrl }
    }

    /// The draws in number kind `T` (±1 exactly).
    pub fn cast<T: Real>(&self) -> FamilyDraws<T> {
        let c = |v: &[DVector<f64>]| v.iter().map(|x| x.map(T::from_f64)).collect();
        FamilyDraws {
            uoro: c(&self.uoro),
            kf_rtrl: c(&self.kf_rtrl),
        }
    }
}

impl Problem<f64> {
    /// The problem in number kind `T` on inputs `xs` (the drawn f64 values converted exactly), its
    /// targets recomputed by the teacher in `T`.
    pub fn cast<T: Real>(&self, xs: &Sequence<f64>) -> Result<Problem<T>> {
        let f = |x: &f64| T::from_f64(*x);
        let teacher = self.teacher.map(f);
        let xs = crate::rnn::inputs::cast::<T>(xs);
        let targets = teacher.forward(&xs)?.y;
        Ok(Problem {
            student: self.student.map(f),
            teacher,
            feedback: self.feedback.map(T::from_f64),
            w_hat: T::from_f64(self.w_hat),
            xs,
            targets,
            tbptt_k: self.tbptt_k.clone(),
            family: self.family.as_ref().map(FamilyDraws::cast),
        })
    }
}

impl<T: Real> Problem<T> {
    /// The rules exported, with their group names.
    pub fn rules(&self) -> Vec<(String, Rule<T>)> {
        let mut v = vec![("bptt".to_string(), Rule::Bptt)];
        for &k in &self.tbptt_k {
            v.push((format!("tbptt{k}"), Rule::Tbptt { k }));
        }
        v.push(("rtrl".into(), Rule::Rtrl));
        v.push((
            "rflo".into(),
            Rule::Rflo {
                feedback: self.feedback.clone(),
                w_hat: self.w_hat.clone(),
            },
        ));
        v.push((
            "eprop_random".into(),
            Rule::Eprop {
                feedback: Feedback::Random(self.feedback.clone()),
            },
        ));
        v.push((
            "eprop_symmetric".into(),
            Rule::Eprop {
                feedback: Feedback::Symmetric,
            },
        ));
        if let Some(f) = &self.family {
            for scaling in [Scaling::Unit, Scaling::VarianceMin] {
                let tag = scaling.name().replace('-', "_");
                v.push((
                    format!("uoro_{tag}"),
                    Rule::Uoro {
                        scaling,
                        draws: f.uoro.clone(),
                    },
                ));
                v.push((
                    format!("kf_rtrl_{tag}"),
                    Rule::KfRtrl {
                        scaling,
                        draws: f.kf_rtrl.clone(),
                    },
                ));
                // Reverse KF-RTRL draws one sign per hidden unit, as UORO does: it runs on the
                // same sign vectors (stored again under its own group).
                v.push((
                    format!("reverse_kf_rtrl_{tag}"),
                    Rule::ReverseKfRtrl {
                        scaling,
                        draws: f.uoro.clone(),
                    },
                ));
            }
            v.push(("snap1".into(), Rule::Snap { order: 1 }));
            v.push(("snap2".into(), Rule::Snap { order: 2 }));
        }
        v
    }
}

/// Per-step recurrent and input traces.
pub type Traces<T> = (Vec<DMatrix<T>>, Vec<DMatrix<T>>);

/// RFLO eligibility traces `e^h_t` (n×n) and `e^x_t` (n×d) for t = 1..T (`docs/theory/linear-rnn.md#online`, with the
/// foundation's leak/activation gain): `e_t[i, j] = ŵ e_{t-1}[i, j] + α φ'(u_t)_i pre_{t-1, j}`.
pub fn rflo_traces<T: Real>(net: &Rnn<T>, xs: &[DVector<T>], w_hat: &T) -> Result<Traces<T>> {
    let traj = net.forward(xs)?;
    rflo_traces_on(net, &traj, xs, w_hat)
}

/// [`rflo_traces`] on a forward pass already computed (in place, no temporaries per entry).
pub fn rflo_traces_on<T: Real>(
    net: &Rnn<T>,
    traj: &crate::rnn::Trajectory<T>,
    xs: &[DVector<T>],
    w_hat: &T,
) -> Result<Traces<T>> {
    let (n, d) = (net.n(), net.d());
    let (mut eh, mut ex) = (DMatrix::<T>::zeros(n, n), DMatrix::<T>::zeros(n, d));
    let (mut hs, mut xs_out) = (Vec::new(), Vec::new());
    for t in 1..=xs.len() {
        let gain = &traj.dphi[t - 1] * net.alpha().clone();
        for (e, pre) in [(&mut eh, &traj.h[t - 1]), (&mut ex, &xs[t - 1])] {
            for (j, p) in pre.iter().enumerate() {
                for (i, g) in gain.iter().enumerate() {
                    let c = &mut e[(i, j)];
                    c.mul_by(w_hat);
                    c.add_mul(g, p);
                }
            }
        }
        hs.push(eh.clone());
        xs_out.push(ex.clone());
    }
    Ok((hs, xs_out))
}

/// e-prop eligibility traces `e^h_t` (n×n) and `e^x_t` (n×d) for t = 1..T
/// (`docs/theory/linear-rnn.md#online`): `e_t[i, j] = λ_t[i] e_{t-1}[i, j] + α φ'(u_t)_i pre_{t-1, j}`
/// with the diagonal decay `λ_t[i] = 1 − α + α φ'(u_t)_i W_ii`. They do not depend on the
/// feedback (random or symmetric), which enters only through the learning signal.
pub fn eprop_traces<T: Real>(net: &Rnn<T>, xs: &[DVector<T>]) -> Result<Traces<T>> {
    let traj = net.forward(xs)?;
    let (n, d) = (net.n(), net.d());
    let alpha = net.alpha().clone();
    let (mut eh, mut ex) = (DMatrix::<T>::zeros(n, n), DMatrix::<T>::zeros(n, d));
    let (mut hs, mut xs_out) = (Vec::new(), Vec::new());
    for t in 1..=xs.len() {
        let dphi = &traj.dphi[t - 1];
        let lam = DVector::from_fn(n, |i, _| {
            T::one() - alpha.clone() + alpha.clone() * dphi[i].clone() * net.w()[(i, i)].clone()
        });
        let gain = dphi * alpha.clone();
        eh = DMatrix::from_fn(n, n, |i, j| {
            lam[i].clone() * eh[(i, j)].clone() + gain[i].clone() * traj.h[t - 1][j].clone()
        });
        ex = DMatrix::from_fn(n, d, |i, j| {
            lam[i].clone() * ex[(i, j)].clone() + gain[i].clone() * xs[t - 1][j].clone()
        });
        hs.push(eh.clone());
        xs_out.push(ex.clone());
    }
    Ok((hs, xs_out))
}

/// Per-step contributions of the sequence-loss update: element t − 1 is (1/T) × the final-step
/// update on the prefix `x_0 … x_{t-1}` (the part due to the loss term at step t).
pub fn seq_steps<T: Real>(
    rule: &Rule<T>,
    net: &Rnn<T>,
    xs: &[DVector<T>],
    targets: &[DVector<T>],
) -> Result<Vec<Update<T>>> {
    let horizon = xs.len();
    let w = T::one() / T::from_i64(horizon as i64);
    (1..=horizon)
        .map(|t| {
            // A stochastic rule runs on the prefix with the draws of its steps.
            let u = online::update(&rule.prefix(t), net, &xs[..t], &targets[..t], Loss::Final)?;
            let mut s = Update::zeros(net.o(), net.n(), net.d());
            s.add_scaled(&u, w.clone());
            Ok(s)
        })
        .collect()
}

type Block<T> = (&'static str, (usize, usize), fn(&Update<T>) -> &DMatrix<T>);

fn f64s<T: Real>(v: &[DVector<T>]) -> Vec<DVector<f64>> {
    v.iter().map(|x| x.map(|e| e.to_f64())).collect()
}

fn mats<T: Real>(v: &[DMatrix<T>]) -> Vec<DMatrix<f64>> {
    v.iter().map(linalg::to_f64).collect()
}

/// The fixture of a problem in the project's convention.
pub fn fixture<T: Real>(
    case: &str,
    description: &str,
    p: &Problem<T>,
    settings: BTreeMap<String, serde_json::Value>,
) -> Result<Fixture> {
    fixture_detail(case, description, p, settings, Detail::Full)
}

/// How much of each rule a fixture carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Every rule with its totals and its per-step contributions (each recomputed on every
    /// prefix: O(T²) rule runs, RTRL's O(n⁴) influence per step).
    Full,
    /// One pass per rule: the forward pass, the RFLO traces and every rule's total update for
    /// the sequence loss, without RTRL (its total equals BPTT's), without per-step contributions
    /// and without the final-step loss's updates.
    Totals,
}

/// The fixture of a problem at the given [`Detail`].
pub fn fixture_detail<T: Real>(
    case: &str,
    description: &str,
    p: &Problem<T>,
    mut settings: BTreeMap<String, serde_json::Value>,
    detail: Detail,
) -> Result<Fixture> {
    let net = &p.student;
    let (o, n, d, horizon) = (net.o(), net.n(), net.d(), p.xs.len());
    p.teacher.check_inputs(&p.xs)?;
    let traj = net.forward(&p.xs)?;
    let mut ts = TensorSet::default();
    let (g, f) = (GROUP_GIVEN, GROUP_FORWARD);
    let m = linalg::to_f64::<T>;
    ts.matrix(
        "A",
        Role::Parameter,
        g,
        "student readout A (o x n)",
        &m(net.a()),
    )?;
    ts.matrix(
        "W",
        Role::Parameter,
        g,
        "student recurrence W (n x n)",
        &m(net.w()),
    )?;
    ts.matrix(
        "B",
        Role::Parameter,
        g,
        "student input weights B (n x d)",
        &m(net.b()),
    )?;
    let tch = &p.teacher;
    ts.matrix(
        "A_star",
        Role::Parameter,
        g,
        "teacher readout A*",
        &m(tch.a()),
    )?;
    ts.matrix(
        "W_star",
        Role::Parameter,
        g,
        "teacher recurrence W*",
        &m(tch.w()),
    )?;
    ts.matrix(
        "B_star",
        Role::Parameter,
        g,
        "teacher input weights B*",
        &m(tch.b()),
    )?;
    ts.matrix(
        "R",
        Role::Parameter,
        g,
        "feedback R (o x n) of RFLO and random e-prop",
        &m(&p.feedback),
    )?;
    ts.scalar(
        "alpha",
        Role::Parameter,
        g,
        "leak rate alpha (student and teacher)",
        net.alpha().to_f64(),
    )?;
    ts.scalar(
        "w_hat",
        Role::Parameter,
        g,
        "RFLO surrogate Jacobian (trace decay) w_hat",
        p.w_hat.to_f64(),
    )?;
    ts.vector_series(
        "x",
        Role::Input,
        g,
        0,
        "inputs x_0..x_{T-1}",
        d,
        &f64s(&p.xs),
    )?;
    ts.vector_series(
        "y_star",
        Role::Target,
        g,
        1,
        "teacher outputs y*_1..y*_T",
        o,
        &f64s(&p.targets),
    )?;

    ts.vector_series(
        "h",
        Role::State,
        f,
        0,
        "hidden states h_0..h_T",
        n,
        &f64s(&traj.h),
    )?;
    ts.vector_series(
        "u",
        Role::State,
        f,
        1,
        "pre-activations u_1..u_T",
        n,
        &f64s(&traj.u),
    )?;
    ts.vector_series(
        "y",
        Role::State,
        f,
        1,
        "outputs y_1..y_T",
        o,
        &f64s(&traj.y),
    )?;
    let errs: Vec<DVector<T>> = traj.y.iter().zip(&p.targets).map(|(y, s)| y - s).collect();
    ts.vector_series(
        "err",
        Role::State,
        f,
        1,
        "errors err_t = y_t - y*_t",
        o,
        &f64s(&errs),
    )?;
    let lf = online::loss(net, &p.xs, &p.targets, Loss::Final)?;
    let ls = online::loss(net, &p.xs, &p.targets, Loss::Sequence)?;
    ts.scalar(
        "loss_final",
        Role::State,
        f,
        "L_T = 1/2 |err_T|^2",
        lf.to_f64(),
    )?;
    ts.scalar(
        "loss_seq",
        Role::State,
        f,
        "L_seq = 1/(2T) sum_t |err_t|^2",
        ls.to_f64(),
    )?;

    let (eh, ex) = rflo_traces_on(net, &traj, &p.xs, &p.w_hat)?;
    ts.matrix_series(
        "rflo.trace_h",
        Role::Trace,
        "rflo",
        1,
        "RFLO trace e^h_t (n x n), t = 1..T",
        (n, n),
        &mats(&eh),
    )?;
    ts.matrix_series(
        "rflo.trace_x",
        Role::Trace,
        "rflo",
        1,
        "RFLO input trace e^x_t (n x d), t = 1..T",
        (n, d),
        &mats(&ex),
    )?;

    // e-prop's traces (n × n per step and sample) only in full detail: at working size they would
    // triple the fixture, and the totals already pin the rule down.
    let eprop_groups: &[&str] = match detail {
        Detail::Full => &["eprop_random", "eprop_symmetric"],
        Detail::Totals => &[],
    };
    let (eh, ex) = if eprop_groups.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        eprop_traces(net, &p.xs)?
    };
    for group in eprop_groups {
        ts.matrix_series(
            &format!("{group}.trace_h"),
            Role::Trace,
            group,
            1,
            "e-prop trace e^h_t (n x n), t = 1..T (the same for either feedback)",
            (n, n),
            &mats(&eh),
        )?;
        ts.matrix_series(
            &format!("{group}.trace_x"),
            Role::Trace,
            group,
            1,
            "e-prop input trace e^x_t (n x d), t = 1..T (the same for either feedback)",
            (n, d),
            &mats(&ex),
        )?;
    }

    let rules: Vec<(String, Rule<T>)> = p
        .rules()
        .into_iter()
        .filter(|(_, r)| detail == Detail::Full || *r != Rule::Rtrl)
        .collect();
    let just_rules: Vec<Rule<T>> = rules.iter().map(|(_, r)| r.clone()).collect();
    // One forward pass shared by every rule and both losses.
    let losses: &[(&str, Loss)] = match detail {
        Detail::Full => &[("final", Loss::Final), ("seq", Loss::Sequence)],
        Detail::Totals => &[("seq", Loss::Sequence)],
    };
    let kinds: Vec<Loss> = losses.iter().map(|(_, l)| *l).collect();
    let totals = online::updates(&just_rules, net, &p.xs, &p.targets, &kinds)?;
    for ((name, rule), us) in rules.into_iter().zip(totals) {
        let draws = match &rule {
            Rule::Uoro { draws, .. } => {
                Some((draws, n, "UORO sign vectors nu_t (one +-1 per hidden unit)"))
            }
            Rule::KfRtrl { draws, .. } => Some((draws, 2, "KF-RTRL sign pairs (c1, c2)_t (+-1)")),
            Rule::ReverseKfRtrl { draws, .. } => Some((
                draws,
                n,
                "reverse KF-RTRL sign vectors nu_t (one +-1 per hidden unit; the UORO draws)",
            )),
            _ => None,
        };
        if let Some((draws, len, what)) = draws {
            let doc = format!(
                "{what}, t = 1..T: the draws the reference used; a candidate run with them \
                 reproduces {name}'s updates (echo them: they are compared)"
            );
            ts.vector_series(
                &format!("{name}.draws"),
                Role::Input,
                &name,
                1,
                &doc,
                len,
                &f64s(draws),
            )?;
        }
        for ((loss, _), u) in losses.iter().zip(&us) {
            for (blk, mat) in [("dA", &u.a), ("dW", &u.w), ("dB", &u.b)] {
                let doc = format!("{name} total update {blk} for the {loss} loss (gradient sign)");
                ts.matrix(
                    &format!("{name}.{loss}.{blk}"),
                    Role::Update,
                    &name,
                    &doc,
                    &m(mat),
                )?;
            }
        }
        if detail == Detail::Totals {
            continue;
        }
        let steps = seq_steps(&rule, net, &p.xs, &p.targets)?;
        let blocks: [Block<T>; 3] = [
            ("dA", (o, n), |u| &u.a),
            ("dW", (n, n), |u| &u.w),
            ("dB", (n, d), |u| &u.b),
        ];
        for (blk, shape, get) in blocks {
            let series: Vec<DMatrix<f64>> = steps.iter().map(|s| m(get(s))).collect();
            let doc = format!(
                "{name}: part of {name}.seq.{blk} due to the loss term at step t, t = 1..T"
            );
            ts.matrix_series(
                &format!("{name}.seq.{blk}_steps"),
                Role::Update,
                &name,
                1,
                &doc,
                shape,
                &series,
            )?;
        }
    }
    settings.insert("o".into(), o.into());
    settings.insert("n".into(), n.into());
    settings.insert("d".into(), d.into());
    settings.insert("T".into(), horizon.into());
    settings.insert("alpha".into(), net.alpha().to_f64().into());
    settings.insert("w_hat".into(), p.w_hat.to_f64().into());
    let act = match net.activation() {
        Activation::Identity => "identity",
        Activation::Tanh => "tanh",
    };
    Ok(Fixture {
        schema_version: SCHEMA_VERSION,
        case: case.into(),
        description: description.into(),
        conventions: conventions::lro(
            act,
            !net.alpha().is_one(),
            settings,
            conventions::rule_feedback(&p.rules()),
        ),
        provenance: super::fixture::Provenance::current(),
        tensors: ts.tensors,
    })
}
