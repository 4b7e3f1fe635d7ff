//! Case configurations: a JSON file (or a built-in name, see [`super::cases`]) that says which
//! convention, which seed and which sizes to draw a case from. `lro export --case config.json`.
//!
//! ```json
//! {"convention": "lro", "name": "my-case", "seed": 3, "o": 2, "n": 3, "d": 2, "horizon": 6}
//! {"convention": "murray2019", "name": "m", "seed": 1, "n_in": 2, "n_rec": 4, "n_out": 2, "t_max": 12}
//! {"convention": "marschall2020", "name": "s", "seed": 1, "n_in": 2, "n_h": 3, "n_out": 2, "horizon": 8}
//! ```
//! Unknown keys are rejected. Every draw is seeded (ChaCha8) and reproducible bit for bit.
use super::conventions::Conventions;
use super::error::OracleResult;
use super::fixture::{Fixture, GROUP_FORWARD, GROUP_GIVEN, Role, SCHEMA_VERSION, TensorSet};
use super::limits::{Arithmetic, Limits};
use super::presets::{marschall2020, murray2019};
use super::reference::{self, Problem};
use crate::error::{LroError, Result};
use crate::linalg;
use crate::rnn::{Activation, InstanceSpec, Rnn, inputs};
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A case configuration, tagged by its convention.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "convention", rename_all = "lowercase")]
pub enum CaseConfig {
    /// The project's convention (`docs/theory/linear-rnn.md`).
    Lro(LroConfig),
    /// Murray 2019's RFLO notebook.
    Murray2019(MurrayConfig),
    /// Marschall et al. 2020's framework.
    Marschall2020(MarschallConfig),
}

fn one() -> f64 {
    1.0
}
fn default_k() -> Vec<usize> {
    vec![1, 3]
}
fn default_true() -> bool {
    true
}
fn default_tau() -> f64 {
    10.0
}
fn default_eta() -> [f64; 3] {
    [0.1, 0.1, 0.1]
}
fn default_derivative() -> murray2019::Derivative {
    murray2019::Derivative::Clipped
}
fn default_tanh() -> Activation {
    Activation::Tanh
}

/// A case in the project's convention: a student/teacher pair drawn by
/// [`InstanceSpec`] (dyadic entries, Rademacher inputs), optionally data-aligned, leaky or tanh.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LroConfig {
    /// Case name.
    pub name: String,
    /// One-line description.
    #[serde(default)]
    pub description: String,
    /// Seed.
    pub seed: u64,
    /// Output dimension o.
    pub o: usize,
    /// Student hidden dimension n.
    pub n: usize,
    /// Teacher hidden dimension (default n).
    #[serde(default)]
    pub n_teacher: Option<usize>,
    /// Input dimension d.
    pub d: usize,
    /// Horizon T.
    pub horizon: usize,
    /// Data-aligned construction (`docs/theory/linear-rnn.md#data-alignment`); needs n_teacher = n.
    #[serde(default)]
    pub aligned: bool,
    /// Leak α ∈ (0, 1] (student and teacher).
    #[serde(default = "one")]
    pub alpha: f64,
    /// Activation (student and teacher).
    #[serde(default)]
    pub activation: Activation,
    /// Truncation lengths of the exported tBPTT rules.
    #[serde(default = "default_k")]
    pub tbptt_k: Vec<usize>,
    /// Declares that the case's reference may hold NaN or infinity (an overflowing case kept on
    /// purpose). Without it, an export refuses such a reference, naming the tensor and step.
    #[serde(default)]
    pub allow_non_finite: bool,
    /// Number of input sequences B (default 1). Sample 0 is the case's own sequence; samples
    /// 1..B are drawn from the seed (see [`super::batch`]). With B > 1 every per-sample tensor
    /// gains a leading batch axis and each rule's batch-mean updates are added.
    #[serde(default = "one_usize", deserialize_with = "batch_count")]
    pub batch: usize,
}

/// Reads `batch`, naming the key and what it must be when the value is not a count >= 1.
fn batch_count<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<usize, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    match v.as_u64() {
        Some(b) if b >= 1 => usize::try_from(b).map_err(serde::de::Error::custom),
        _ => Err(serde::de::Error::custom(format!(
            "batch must be an integer >= 1 (the number of input sequences), got {v}"
        ))),
    }
}

fn one_usize() -> usize {
    1
}

/// A case in Murray 2019's convention (see [`murray2019`]). Initial weights follow the
/// notebook's distributions; the teacher (whose outputs are the targets, including row 0) is a
/// network of the same form with readout entries N(0, 1/n_rec) — the project's choice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MurrayConfig {
    /// Case name.
    pub name: String,
    /// One-line description.
    #[serde(default)]
    pub description: String,
    /// Seed.
    pub seed: u64,
    /// Input units.
    pub n_in: usize,
    /// Recurrent units.
    pub n_rec: usize,
    /// Output units.
    pub n_out: usize,
    /// Rows of x and y_ (time steps 0 … t_max − 1).
    pub t_max: usize,
    /// Time constant in steps (notebook default 10).
    #[serde(default = "default_tau")]
    pub tau_m: f64,
    /// `[eta_in, eta_rec, eta_out]` (notebook default 0.1 each).
    #[serde(default = "default_eta")]
    pub eta: [f64; 3],
    /// Standard deviation of the initial state entries (0: h0 = 0).
    #[serde(default = "one")]
    pub h0_scale: f64,
    /// `"clipped"` (the notebook) or `"exact"`.
    #[serde(default = "default_derivative")]
    pub derivative: murray2019::Derivative,
    /// The notebook's lagged input trace (default true).
    #[serde(default = "default_true")]
    pub input_trace_lag: bool,
    /// The notebook's BPTT error injection one step late (default true).
    #[serde(default = "default_true")]
    pub bptt_error_shift: bool,
    /// Declares that the case's reference may hold NaN or infinity (an overflowing case kept on
    /// purpose). Without it, an export refuses such a reference, naming the tensor and step.
    #[serde(default)]
    pub allow_non_finite: bool,
}

/// A case in Marschall et al. 2020's convention (see [`marschall2020`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarschallConfig {
    /// Case name.
    pub name: String,
    /// One-line description.
    #[serde(default)]
    pub description: String,
    /// Seed.
    pub seed: u64,
    /// Input dimension.
    pub n_in: usize,
    /// Hidden units.
    pub n_h: usize,
    /// Output dimension.
    pub n_out: usize,
    /// Number of steps T.
    pub horizon: usize,
    /// Network leak α.
    #[serde(default = "one")]
    pub alpha: f64,
    /// RFLO trace rate α_R (the framework's default equals α; the built-in case differs).
    #[serde(default)]
    pub alpha_rflo: Option<f64>,
    /// φ (default tanh).
    #[serde(default = "default_tanh")]
    pub activation: Activation,
    /// RFLO feedback: a random fixed W_FB (true, default) or symmetric W_out (false).
    #[serde(default = "default_true")]
    pub random_feedback: bool,
    /// Standard deviation of the initial pre-activation h_0 (the code's reset sigma; 0: a_0 = φ(0)).
    #[serde(default = "one")]
    pub h0_scale: f64,
    /// Declares that the case's reference may hold NaN or infinity (an overflowing case kept on
    /// purpose). Without it, an export refuses such a reference, naming the tensor and step.
    #[serde(default)]
    pub allow_non_finite: bool,
}

impl CaseConfig {
    /// Parses a JSON config, naming any unknown key.
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| LroError::InvalidParameter {
            name: "case config".into(),
            reason: format!(
                "{e}; a config names its \"convention\" (lro, murray2019 or marschall2020) and \
                 that convention's keys, e.g. {{\"convention\": \"lro\", \"name\": \"c\", \
                 \"seed\": 1, \"o\": 2, \"n\": 3, \"d\": 2, \"horizon\": 6}} (all keys: \
                 rustdoc of lro::oracle::config)"
            ),
        })
    }

    /// The case name.
    pub fn name(&self) -> &str {
        match self {
            CaseConfig::Lro(c) => &c.name,
            CaseConfig::Murray2019(c) => &c.name,
            CaseConfig::Marschall2020(c) => &c.name,
        }
    }

    /// Computes the fixture with the default [`Limits`].
    pub fn build(&self) -> OracleResult<Fixture> {
        self.build_with(&Limits::default())
    }

    /// Computes the fixture after checking the case against `limits` (before any allocation);
    /// refuses a reference holding NaN or infinity unless the case declares `allow_non_finite`.
    pub fn build_with(&self, limits: &Limits) -> OracleResult<Fixture> {
        limits.check_case(self)?;
        let arith = self.arithmetic();
        let mut f = self.build_in(arith)?;
        let allow = match self {
            CaseConfig::Lro(c) => c.allow_non_finite,
            CaseConfig::Murray2019(c) => c.allow_non_finite,
            CaseConfig::Marschall2020(c) => c.allow_non_finite,
        };
        if !allow {
            super::check::check_reference_finite(&f)?;
        }
        // The same case in plain f64: its distance from the reference is the error growth a
        // float32 candidate is judged with, and the stated bound of f64 against the reference.
        let mut worst = 0.0f64;
        if arith != Arithmetic::F64
            && let Ok(g) = self.build_in(Arithmetic::F64)
        {
            for (name, t) in f.tensors.iter_mut() {
                let Some(u) = g.tensors.get(name) else {
                    continue;
                };
                let scale = t.data.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                let diff = t
                    .data
                    .iter()
                    .zip(&u.data)
                    .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
                let e = if scale > 0.0 { diff / scale } else { diff };
                if e.is_finite() {
                    t.f64_error = Some(e);
                    worst = worst.max(e);
                }
            }
        }
        f.provenance.arithmetic = Some(arith);
        f.provenance.bound = match arith {
            Arithmetic::ExactRational => format!(
                "computed over exact rationals and rounded once to f64: every stored number is \
                 within half an ulp of its exact value; a plain-f64 computation of this case \
                 differs by up to {worst:.1e} (normwise, relative; per tensor in f64_error)"
            ),
            Arithmetic::Mpfr256 => format!(
                "computed with 256-bit MPFR floats and rounded once to f64: every stored number \
                 is within half an ulp of the 256-bit value, whose own rounding error (about \
                 T x n x 2^-256 relative to the terms' scale) is far below an f64 ulp; a \
                 plain-f64 computation of this case differs by up to {worst:.1e} (normwise, \
                 relative; per tensor in f64_error)"
            ),
            Arithmetic::F64 => "computed in plain f64 (built without MPFR): no bound beyond \
                                f64 rounding"
                .into(),
        };
        Ok(f)
    }

    /// Computes the fixture in the given arithmetic, without limits or finiteness checks.
    pub fn build_in(&self, arith: Arithmetic) -> Result<Fixture> {
        match self {
            CaseConfig::Lro(c) => build_lro(c, arith),
            CaseConfig::Murray2019(c) => build_murray(c, arith),
            CaseConfig::Marschall2020(c) => build_marschall(c, arith),
        }
    }
}

/// Runs `f` over the number kind of `arithmetic`: exact rationals, 256-bit MPFR or f64 (the
/// first two need the `rug` feature; without it everything runs in f64).
macro_rules! in_kind {
    ($arith:expr, $f:ident, $($arg:expr),*) => {{
        match $arith {
            #[cfg(feature = "rug")]
            Arithmetic::ExactRational => $f::<crate::scalar::Rational>($($arg),*),
            #[cfg(feature = "rug")]
            Arithmetic::Mpfr256 => {
                crate::scalar::with_precision(256, || $f::<crate::scalar::Mpfr>($($arg),*))?
            }
            _ => $f::<f64>($($arg),*),
        }
    }};
}

fn lro_problem(c: &LroConfig) -> Result<Problem<f64>> {
    let spec = InstanceSpec {
        seed: c.seed,
        o: c.o,
        n: c.n,
        n_teacher: c.n_teacher.unwrap_or(c.n),
        d: c.d,
        horizon: c.horizon,
    };
    let inst = if c.aligned {
        spec.draw_aligned()?.0
    } else {
        spec.draw()?
    };
    if c.tbptt_k.contains(&0) {
        return Err(LroError::ZeroTruncation);
    }
    if c.batch == 0 {
        return Err(LroError::InvalidParameter {
            name: format!("{}: batch", c.name),
            reason: "must be at least 1 (the number of input sequences)".into(),
        });
    }
    let dress = |net: &Rnn<f64>| -> Result<Rnn<f64>> {
        Ok(net
            .clone()
            .with_leak(c.alpha)?
            .with_activation(c.activation))
    };
    Ok(Problem {
        student: dress(&inst.st.student)?,
        teacher: dress(&inst.st.teacher)?,
        feedback: inst.feedback,
        w_hat: inst.w_hat,
        targets: vec![],
        xs: inst.xs,
        tbptt_k: c.tbptt_k.clone(),
    })
}

fn lro_in<T: Real>(c: &LroConfig, p: &Problem<f64>) -> Result<Fixture> {
    let f = |x: &f64| T::from_f64(*x);
    let (student, teacher) = (p.student.map(f), p.teacher.map(f));
    let xs = inputs::cast::<T>(&p.xs);
    let targets = teacher.forward(&xs)?.y;
    let q = Problem {
        student,
        teacher,
        feedback: p.feedback.map(T::from_f64),
        w_hat: T::from_f64(p.w_hat),
        xs,
        targets,
        tbptt_k: p.tbptt_k.clone(),
    };
    reference::fixture(&c.name, &c.description, &q, lro_settings(c))
}

/// The settings an lro case records in its manifest.
pub(super) fn lro_settings(c: &LroConfig) -> BTreeMap<String, f64> {
    let mut settings = BTreeMap::new();
    settings.insert("seed".into(), c.seed as f64);
    settings.insert("n_teacher".into(), c.n_teacher.unwrap_or(c.n) as f64);
    settings.insert("aligned".into(), if c.aligned { 1.0 } else { 0.0 });
    for (i, k) in c.tbptt_k.iter().enumerate() {
        settings.insert(format!("tbptt_k{i}"), *k as f64);
    }
    settings
}

fn build_lro(c: &LroConfig, arith: Arithmetic) -> Result<Fixture> {
    let p = lro_problem(c)?;
    if c.batch == 1 && !super::batch::single_pass(c) {
        in_kind!(arith, lro_in, c, &p)
    } else {
        super::batch::build(c, &p, arith)
    }
}

fn normal(rng: &mut ChaCha8Rng, rows: usize, cols: usize, scale: f64) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| {
        scale * rng.sample::<f64, _>(StandardNormal)
    })
}
fn uniform(rng: &mut ChaCha8Rng, rows: usize, cols: usize, lo: f64, hi: f64) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| rng.random_range(lo..hi))
}
fn col(m: DMatrix<f64>) -> DVector<f64> {
    DVector::from_column_slice(m.as_slice())
}
fn vecs<T: Real>(v: &[DVector<T>]) -> Vec<DVector<f64>> {
    v.iter().map(|x| x.map(|e| e.to_f64())).collect()
}
fn mats<T: Real>(v: &[DMatrix<T>]) -> Vec<DMatrix<f64>> {
    v.iter().map(linalg::to_f64).collect()
}
fn check_dims(name: &str, dims: &[(&str, usize)]) -> Result<()> {
    for (k, v) in dims {
        if *v == 0 {
            return Err(LroError::InvalidParameter {
                name: format!("{name}: {k}"),
                reason: "must be at least 1".into(),
            });
        }
    }
    Ok(())
}

/// A drawn case: setup, inputs, targets.
pub type Drawn<S> = (S, Vec<DVector<f64>>, Vec<DVector<f64>>);

/// A named block of an update with its shape and accessor.
type Block<'a, U, T> = (&'a str, (usize, usize), fn(&U) -> &DMatrix<T>);

/// The drawn f64 values of a Murray case: setup, inputs x (t_max × n_in), targets y_.
pub fn murray_draw(c: &MurrayConfig) -> Result<Drawn<murray2019::Setup<f64>>> {
    check_dims(
        &c.name,
        &[("n_in", c.n_in), ("n_rec", c.n_rec), ("n_out", c.n_out)],
    )?;
    if c.t_max < 2 {
        return Err(LroError::InvalidParameter {
            name: "t_max".into(),
            reason: "the notebook's loop needs t_max ≥ 2 rows".into(),
        });
    }
    let derivative = c.derivative;
    let mut rng = ChaCha8Rng::seed_from_u64(c.seed);
    let (d, n, o) = (c.n_in, c.n_rec, c.n_out);
    let sn = (n as f64).sqrt();
    // The notebook's initial distributions (w_in uniform on [-0.1, 0) as written there).
    let w_in = uniform(&mut rng, n, d, 0.0, 1.0).map(|v| 0.1 * (v - 1.0));
    let w_rec = normal(&mut rng, n, n, 1.5 / sn);
    let w_out = uniform(&mut rng, o, n, 0.0, 1.0).map(|v| 0.1 * (2.0 * v - 1.0) / sn);
    let b = normal(&mut rng, n, o, 1.0 / (o as f64).sqrt());
    let h0 = col(normal(&mut rng, n, 1, c.h0_scale));
    let teacher = murray2019::Setup {
        w_in: normal(&mut rng, n, d, 1.0),
        w_rec: normal(&mut rng, n, n, 1.5 / sn),
        w_out: normal(&mut rng, o, n, 1.0 / sn),
        b: b.clone(),
        h0: col(normal(&mut rng, n, 1, c.h0_scale)),
        tau_m: c.tau_m,
        eta: c.eta,
        derivative,
        input_trace_lag: c.input_trace_lag,
        bptt_error_shift: c.bptt_error_shift,
    };
    let x: Vec<DVector<f64>> = (0..c.t_max)
        .map(|_| col(normal(&mut rng, d, 1, 1.0)))
        .collect();
    // Teacher outputs y*[t] = w_out* h*[t] for every row (row 0 included).
    let zeros = vec![DVector::zeros(o); c.t_max];
    let tr = teacher.run(&x, &zeros)?;
    let y_: Vec<DVector<f64>> = tr.h.iter().map(|h| &teacher.w_out * h).collect();
    let student = murray2019::Setup {
        w_in,
        w_rec,
        w_out,
        b,
        h0,
        ..teacher
    };
    Ok((student, x, y_))
}

fn murray_in<T: Real>(
    c: &MurrayConfig,
    s: &murray2019::Setup<f64>,
    x: &[DVector<f64>],
    y_: &[DVector<f64>],
) -> Result<Fixture> {
    let f = T::from_f64;
    let st = murray2019::Setup {
        w_in: s.w_in.map(f),
        w_rec: s.w_rec.map(f),
        w_out: s.w_out.map(f),
        b: s.b.map(f),
        h0: s.h0.map(f),
        tau_m: f(s.tau_m),
        eta: [f(s.eta[0]), f(s.eta[1]), f(s.eta[2])],
        derivative: s.derivative,
        input_trace_lag: s.input_trace_lag,
        bptt_error_shift: s.bptt_error_shift,
    };
    let r = st.run(&inputs::cast::<T>(x), &inputs::cast::<T>(y_))?;
    let (d, n, o) = (c.n_in, c.n_rec, c.n_out);
    let mut ts = TensorSet::default();
    let (g, fw) = (GROUP_GIVEN, GROUP_FORWARD);
    ts.matrix(
        "w_in",
        Role::Parameter,
        g,
        "input weights (n_rec x n_in)",
        &s.w_in,
    )?;
    ts.matrix(
        "w_rec",
        Role::Parameter,
        g,
        "recurrent weights (n_rec x n_rec)",
        &s.w_rec,
    )?;
    ts.matrix(
        "w_out",
        Role::Parameter,
        g,
        "readout (n_out x n_rec)",
        &s.w_out,
    )?;
    ts.matrix(
        "b",
        Role::Parameter,
        g,
        "random feedback b (n_rec x n_out)",
        &s.b,
    )?;
    ts.vector("h0", Role::Parameter, g, "initial state h[0]", &s.h0)?;
    ts.scalar(
        "tau_m",
        Role::Parameter,
        g,
        "time constant in steps",
        s.tau_m,
    )?;
    ts.vector(
        "eta",
        Role::Parameter,
        g,
        "learning rates [eta_in, eta_rec, eta_out]",
        &DVector::from_row_slice(&s.eta),
    )?;
    ts.vector_series("x", Role::Input, g, 0, "inputs x[t], t = 0..t_max-1", d, x)?;
    ts.vector_series(
        "y_",
        Role::Target,
        g,
        0,
        "targets y_[t] (teacher outputs)",
        o,
        y_,
    )?;
    ts.vector_series("u", Role::State, fw, 0, "u[t] (u[0] = 0)", n, &vecs(&r.u))?;
    ts.vector_series("h", Role::State, fw, 0, "h[t] (h[0] = h0)", n, &vecs(&r.h))?;
    ts.vector_series("y", Role::State, fw, 0, "y[t] (y[0] = 0)", o, &vecs(&r.y))?;
    ts.vector_series(
        "err",
        Role::State,
        fw,
        0,
        "err[t] = y_[t] - y[t] (err[0] = 0)",
        o,
        &vecs(&r.err),
    )?;
    ts.scalar(
        "loss",
        Role::State,
        fw,
        "0.5 mean((y_ - y)^2) over all rows, row 0 included",
        r.loss.to_f64(),
    )?;
    ts.matrix_series(
        "rflo.p",
        Role::Trace,
        "rflo",
        0,
        "recurrent trace p after step t",
        (n, n),
        &mats(&r.p),
    )?;
    ts.matrix_series(
        "rflo.q",
        Role::Trace,
        "rflo",
        0,
        "input trace q after step t (q[0]: initial)",
        (n, d),
        &mats(&r.q),
    )?;
    ts.vector_series(
        "bptt.z",
        Role::Trace,
        "bptt",
        0,
        "BPTT adjoint z[t]",
        n,
        &vecs(&r.z),
    )?;
    for (rule, steps, total) in [
        ("rflo", &r.rflo_steps, &r.rflo),
        ("bptt", &r.bptt_steps, &r.bptt),
    ] {
        let blocks: [Block<murray2019::Deltas<T>, T>; 3] = [
            ("dw_in", (n, d), |u| &u.w_in),
            ("dw_rec", (n, n), |u| &u.w_rec),
            ("dw_out", (o, n), |u| &u.w_out),
        ];
        for (blk, shape, get) in blocks {
            let series: Vec<DMatrix<f64>> = steps.iter().map(|s| linalg::to_f64(get(s))).collect();
            let doc = format!("{rule}: increment of {blk} added at step t (row 0: none)");
            ts.matrix_series(
                &format!("{rule}.{blk}_steps"),
                Role::Update,
                rule,
                0,
                &doc,
                shape,
                &series,
            )?;
            let doc = format!("{rule}: trial total {blk} (added to the weights)");
            ts.matrix(
                &format!("{rule}.{blk}"),
                Role::Update,
                rule,
                &doc,
                &linalg::to_f64(get(total)),
            )?;
        }
    }
    let mut settings = BTreeMap::new();
    for (k, v) in [
        ("seed", c.seed as f64),
        ("n_in", d as f64),
        ("n_rec", n as f64),
        ("n_out", o as f64),
        ("t_max", c.t_max as f64),
        ("tau_m", c.tau_m),
        ("eta_in", c.eta[0]),
        ("eta_rec", c.eta[1]),
        ("eta_out", c.eta[2]),
        ("h0_scale", c.h0_scale),
        (
            "clipped_derivative",
            (s.derivative == murray2019::Derivative::Clipped) as u8 as f64,
        ),
        ("input_trace_lag", c.input_trace_lag as u8 as f64),
        ("bptt_error_shift", c.bptt_error_shift as u8 as f64),
    ] {
        settings.insert(k.to_string(), v);
    }
    Ok(Fixture {
        schema_version: SCHEMA_VERSION,
        case: c.name.clone(),
        description: c.description.clone(),
        conventions: murray_conventions(settings),
        provenance: super::fixture::Provenance::current(),
        tensors: ts.tensors,
    })
}

fn build_murray(c: &MurrayConfig, arith: Arithmetic) -> Result<Fixture> {
    let (s, x, y_) = murray_draw(c)?;
    in_kind!(arith, murray_in, c, &s, &x, &y_)
}

/// The drawn f64 values of a Marschall case: setup, inputs x_1..x_T, targets.
pub fn marschall_draw(c: &MarschallConfig) -> Result<Drawn<marschall2020::Setup<f64>>> {
    check_dims(
        &c.name,
        &[
            ("n_in", c.n_in),
            ("n_h", c.n_h),
            ("n_out", c.n_out),
            ("horizon", c.horizon),
        ],
    )?;
    let mut rng = ChaCha8Rng::seed_from_u64(c.seed);
    let (d, n, o) = (c.n_in, c.n_h, c.n_out);
    let sn = (n as f64).sqrt();
    let draw = |rng: &mut ChaCha8Rng| marschall2020::Setup {
        w_rec: normal(rng, n, n, 1.0 / sn),
        w_in: normal(rng, n, d, 1.0 / (d as f64).sqrt()),
        b_rec: col(normal(rng, n, 1, 0.1)),
        w_out: normal(rng, o, n, 1.0 / sn),
        b_out: col(normal(rng, o, 1, 0.1)),
        w_fb: None,
        alpha: c.alpha,
        alpha_rflo: c.alpha_rflo.unwrap_or(c.alpha),
        activation: c.activation,
        h0: col(normal(rng, n, 1, c.h0_scale)),
    };
    let teacher = draw(&mut rng);
    let mut student = draw(&mut rng);
    if c.random_feedback {
        student.w_fb = Some(normal(&mut rng, o, n, 1.0 / sn));
    }
    let xs: Vec<DVector<f64>> = (0..c.horizon)
        .map(|_| col(normal(&mut rng, d, 1, 1.0)))
        .collect();
    let zeros = vec![DVector::zeros(o); c.horizon];
    let ys = teacher.run(&xs, &zeros)?.z;
    Ok((student, xs, ys))
}

fn marschall_in<T: Real>(
    c: &MarschallConfig,
    s: &marschall2020::Setup<f64>,
    xs: &[DVector<f64>],
    ys: &[DVector<f64>],
) -> Result<Fixture> {
    let f = T::from_f64;
    let st = marschall2020::Setup {
        w_rec: s.w_rec.map(f),
        w_in: s.w_in.map(f),
        b_rec: s.b_rec.map(f),
        w_out: s.w_out.map(f),
        b_out: s.b_out.map(f),
        w_fb: s.w_fb.as_ref().map(|m| m.map(f)),
        alpha: f(s.alpha),
        alpha_rflo: f(s.alpha_rflo),
        activation: s.activation,
        h0: s.h0.map(f),
    };
    let r = st.run(&inputs::cast::<T>(xs), &inputs::cast::<T>(ys))?;
    let (d, n, o) = (c.n_in, c.n_h, c.n_out);
    let m = n + d + 1;
    let mut ts = TensorSet::default();
    let (g, fw) = (GROUP_GIVEN, GROUP_FORWARD);
    ts.matrix("W_rec", Role::Parameter, g, "W_rec (n_h x n_h)", &s.w_rec)?;
    ts.matrix("W_in", Role::Parameter, g, "W_in (n_h x n_in)", &s.w_in)?;
    ts.vector("b_rec", Role::Parameter, g, "b_rec (n_h)", &s.b_rec)?;
    ts.matrix(
        "W",
        Role::Parameter,
        g,
        "packed [W_rec | W_in | b_rec] (n_h x (n_h + n_in + 1))",
        &s.packed(),
    )?;
    ts.matrix("W_out", Role::Parameter, g, "W_out (n_out x n_h)", &s.w_out)?;
    ts.vector("b_out", Role::Parameter, g, "b_out (n_out)", &s.b_out)?;
    if let Some(fb) = &s.w_fb {
        ts.matrix(
            "W_FB",
            Role::Parameter,
            g,
            "RFLO feedback W_FB (n_out x n_h): q = W_FB^T e",
            fb,
        )?;
    }
    ts.scalar("alpha", Role::Parameter, g, "network leak alpha", s.alpha)?;
    ts.scalar(
        "alpha_rflo",
        Role::Parameter,
        g,
        "RFLO trace rate alpha_R",
        s.alpha_rflo,
    )?;
    ts.vector(
        "h0",
        Role::Parameter,
        g,
        "initial pre-activation h_0 (a_0 = phi(h_0))",
        &s.h0,
    )?;
    ts.vector_series("x", Role::Input, g, 1, "inputs x_t, t = 1..T", d, xs)?;
    ts.vector_series(
        "y_star",
        Role::Target,
        g,
        1,
        "targets y*_t (teacher outputs z*_t)",
        o,
        ys,
    )?;
    ts.vector_series(
        "h",
        Role::State,
        fw,
        1,
        "pre-activations h_t",
        n,
        &vecs(&r.h),
    )?;
    ts.vector_series("a", Role::State, fw, 0, "states a_0..a_T", n, &vecs(&r.a))?;
    ts.vector_series("z", Role::State, fw, 1, "outputs z_t", o, &vecs(&r.z))?;
    ts.vector_series(
        "error",
        Role::State,
        fw,
        1,
        "errors e_t = z_t - y*_t",
        o,
        &vecs(&r.error),
    )?;
    let losses: Vec<f64> = r.loss.iter().map(|l| l.to_f64()).collect();
    ts.add(
        "loss",
        Role::State,
        fw,
        Some(1),
        "logged losses 0.5 mean((z_t - y*_t)^2)",
        vec![r.loss.len()],
        losses,
    )?;
    let og: Vec<DMatrix<f64>> = mats(&r.outer_grads);
    let total = |v: &[DMatrix<f64>]| v.iter().skip(1).fold(v[0].clone(), |acc, x| acc + x);
    ts.matrix_series(
        "outer.grads_steps",
        Role::Update,
        "outer",
        1,
        "gradient of L_t w.r.t. [W_out | b_out]: e_t [a_t, 1]^T",
        (o, n + 1),
        &og,
    )?;
    ts.matrix(
        "outer.grads",
        Role::Update,
        "outer",
        "sum over t of outer.grads_steps",
        &total(&og),
    )?;
    ts.vector_series(
        "rflo.q",
        Role::Trace,
        "rflo",
        1,
        "feedback q_t = W_FB^T e_t",
        n,
        &vecs(&r.rflo_q),
    )?;
    ts.matrix_series(
        "rflo.B",
        Role::Trace,
        "rflo",
        1,
        "RFLO trace B_t (n_h x m)",
        (n, m),
        &mats(&r.rflo_b),
    )?;
    let rg = mats(&r.rflo_grads);
    ts.matrix_series(
        "rflo.rec_grads_steps",
        Role::Update,
        "rflo",
        1,
        "RFLO gradient g_t = q_t[i] B_t[i,j] (packed)",
        (n, m),
        &rg,
    )?;
    ts.matrix(
        "rflo.rec_grads",
        Role::Update,
        "rflo",
        "sum over t of rflo.rec_grads_steps",
        &total(&rg),
    )?;
    ts.vector_series(
        "rtrl.q",
        Role::Trace,
        "rtrl",
        1,
        "q_t = W_out^T e_t",
        n,
        &vecs(&r.rtrl_q),
    )?;
    ts.matrix_series(
        "rtrl.dadw",
        Role::Trace,
        "rtrl",
        1,
        "influence matrix M_t (n_h x n_h*m, column k = i + n_h*j)",
        (n, n * m),
        &mats(&r.rtrl_m),
    )?;
    let tg = mats(&r.rtrl_grads);
    ts.matrix_series(
        "rtrl.rec_grads_steps",
        Role::Update,
        "rtrl",
        1,
        "RTRL gradient dL_t/dW (packed)",
        (n, m),
        &tg,
    )?;
    ts.matrix(
        "rtrl.rec_grads",
        Role::Update,
        "rtrl",
        "sum over t of rtrl.rec_grads_steps",
        &total(&tg),
    )?;
    let mut settings = BTreeMap::new();
    for (k, v) in [
        ("seed", c.seed as f64),
        ("n_in", d as f64),
        ("n_h", n as f64),
        ("n_out", o as f64),
        ("T", c.horizon as f64),
        ("alpha", s.alpha),
        ("alpha_rflo", s.alpha_rflo),
        ("tanh", (s.activation == Activation::Tanh) as u8 as f64),
        ("random_feedback", c.random_feedback as u8 as f64),
        ("h0_scale", c.h0_scale),
    ] {
        settings.insert(k.to_string(), v);
    }
    Ok(Fixture {
        schema_version: SCHEMA_VERSION,
        case: c.name.clone(),
        description: c.description.clone(),
        conventions: marschall_conventions(settings),
        provenance: super::fixture::Provenance::current(),
        tensors: ts.tensors,
    })
}

fn build_marschall(c: &MarschallConfig, arith: Arithmetic) -> Result<Fixture> {
    let (s, xs, ys) = marschall_draw(c)?;
    in_kind!(arith, marschall_in, c, &s, &xs, &ys)
}

fn murray_conventions(settings: BTreeMap<String, f64>) -> Conventions {
    Conventions {
        convention: "murray2019".into(),
        indexing: "Code time t = 0..t_max-1, arrays with t_max rows: u[0] = 0, h[0] = h0, \
                   y[0] = 0, err[0] = 0; for t >= 1: u[t] = w_rec h[t-1] + w_in x[t], \
                   h[t] = h[t-1] + (-h[t-1] + tanh(u[t]))/tau_m, y[t] = w_out h[t]."
            .into(),
        loss: "err[t] = y_[t] - y[t] (target minus output). The rules descend \
               sum_t 1/2 |err[t]|^2 with the 1/t_max of the learning rates; the logged loss is \
               0.5 mean((y_ - y)^2) over all t_max x n_out entries (row 0 included, y[0] = 0)."
            .into(),
        sign: "Updates are added to the weights (w <- w + dw): they have the sign of the negative \
               gradient. Learning rates are folded in: eta/t_max per step (BPTT: eta/(t_max \
               tau_m) for w_rec and w_in)."
            .into(),
        leak_and_activation: "Leak 1/tau_m on the state h, phi = tanh; every rule uses the \
                              clipped derivative df(x) = 1/cosh^2(10 tanh(x/10)) (setting \
                              clipped_derivative = 1), not tanh'."
            .into(),
        trace_timing: "Offline (weights frozen in the trial). RFLO at step t: p <- (1 - 1/tau) p \
                       + df(u[t]) h[t-1]^T / tau; q <- (1 - 1/tau) q + df(u[t]) x[t-1]^T / tau, \
                       lagging the forward pass (which used x[t]) by one step, with q initialised \
                       to x[0]^T / tau in every row (input_trace_lag = 1). BPTT: z[t-1] = (1 - \
                       1/tau) z[t] + w_out^T err[t] + w_rec^T (z[t] df(u[t]))/tau, injecting \
                       err[t] one step late (bptt_error_shift = 1); its input update uses x[t]."
            .into(),
        parameter_packing: "Separate w_in (n_rec x n_in), w_rec, w_out (n_out x n_rec); feedback \
                            b is n_rec x n_out (lro's R^T); no biases. Row-major arrays."
            .into(),
        per_step_updates: "<rule>.<dw>_steps[t] is the increment the notebook adds at code step \
                           t in offline mode (row 0 is zero; for BPTT, the backward loop's terms \
                           at t). Summed over t they give <rule>.<dw>."
            .into(),
        settings,
        known: vec![
            "Forward pass, clipped df, err sign, feedback b, 1/t_max folding, RFLO traces with \
             the input-trace lag: peer-conventions.md, confirmed against the public notebook \
             (murray-lab/rflo-learning, RFLO_Example.ipynb)."
                .into(),
            "The initial input trace x[0]/tau, the row-0 conventions, the logged loss and the \
             BPTT error injection one step late were read from the notebook for this project."
                .into(),
            "Initial weight distributions follow the notebook's constructor.".into(),
        ],
        unknown: vec![
            "Targets: the notebook trains a periodic output; here they are a teacher network's \
             outputs (project's choice)."
                .into(),
            "Online mode (updates applied every step) and the notebook's RTRL are not covered. \
             (Read from the code: that RTRL scales the recurrent Jacobian by df(u) per column, \
             W diag(df), where the exact Jacobian has diag(df) W, and its input influence uses \
             x[t], without the RFLO input lag.)"
                .into(),
        ],
    }
}

fn marschall_conventions(settings: BTreeMap<String, f64>) -> Conventions {
    Conventions {
        convention: "marschall2020".into(),
        indexing: "t = 1..T with a_0 = phi(h_0): h_t = W_rec a_{t-1} + W_in x_t + b_rec, \
                   a_t = (1 - alpha) a_{t-1} + alpha phi(h_t), z_t = W_out a_t + b_out. Inputs \
                   x_1..x_T (row t-1); a holds a_0..a_T (first_step 0)."
            .into(),
        loss: "L_t = 1/2 |z_t - y*_t|^2 per step, error e_t = z_t - y*_t; the logged loss is \
               that divided by n_out. Totals sum the per-step gradients over t (no 1/T)."
            .into(),
        sign: "Gradients have the sign of the gradient; the optimiser subtracts them.".into(),
        leak_and_activation: "alpha-leak on the post-activation state a; phi identity or tanh \
                              (setting tanh) with its exact derivative."
            .into(),
        trace_timing: "At step t: forward pass, trace/influence update, gradient of the current \
                       loss L_t; weights are frozen here (the gradients before any optimiser \
                       step). RFLO: B_t = (1 - alpha_R) B_{t-1} + alpha_R phi'(h_t) a_hat_t^T \
                       with a_hat_t = [a_{t-1}, x_t, 1] (no input lag), its own rate alpha_R. \
                       RTRL: M_t = J_t M_{t-1} + alpha diag(phi'(h_t)) kron a_hat_t."
            .into(),
        parameter_packing: "W = [W_rec | W_in | b_rec] (n_h x m, m = n_h + n_in + 1); output \
                            gradients for [W_out | b_out] (n_out x (n_h + 1)); the RTRL \
                            influence matrix indexes the flattened W column-major (k = i + n_h j, \
                            numpy order='F'). Biases always exist. Row-major arrays."
            .into(),
        per_step_updates: "<rule>.rec_grads_steps[t-1] is the gradient the algorithm returns \
                           at step t (for RTRL exactly dL_t/dW); <rule>.rec_grads is their sum."
            .into(),
        settings,
        known: vec![
            "Forward pass, loss, packing, feedback, RFLO with alpha_R, RTRL recursion, timing: \
             peer-conventions.md, confirmed against the public code (omarschall/vanilla-rtrl: \
             core/RNN.py, learning_algorithms/RFLO.py, RTRL.py, Learning_Algorithm.py)."
                .into(),
            "a_0 = phi(h_0) from the code's reset_network; the Fortran-order influence columns \
             from RTRL.get_rec_grads."
                .into(),
        ],
        unknown: vec![
            "Optimiser steps inside the sequence (online learning changes the weights from \
             step t + 1) are not simulated: weights are frozen."
                .into(),
            "BPTT variants (Efficient/Future BPTT windows) are not covered; RTRL's gradient is \
             the exact per-step gradient they approximate."
                .into(),
            "Weight initialisations are the project's (Gaussian, seeded).".into(),
        ],
    }
}

/// The manifest for a config without computing anything (for `lro list`-style listings).
pub fn convention_name(c: &CaseConfig) -> &'static str {
    match c {
        CaseConfig::Lro(_) => "lro",
        CaseConfig::Murray2019(_) => "murray2019",
        CaseConfig::Marschall2020(_) => "marschall2020",
    }
}

/// One key of a case config: convention, name, type, default (None: required), meaning.
pub type KeyDoc = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
);

/// Every key of every convention's case config (`lro export --describe-config`).
pub const CONFIG_KEYS: &[KeyDoc] = &[
    (
        "*",
        "convention",
        "string: lro | murray2019 | marschall2020",
        None,
        "which convention the case follows",
    ),
    (
        "*",
        "name",
        "string",
        None,
        "the case name, repeated in the fixture and checked against a candidate's `case`",
    ),
    (
        "*",
        "description",
        "string",
        Some("\"\""),
        "one line describing the case",
    ),
    (
        "*",
        "seed",
        "integer >= 0",
        None,
        "seed of every draw (ChaCha8; reproducible bit for bit)",
    ),
    (
        "*",
        "allow_non_finite",
        "boolean",
        Some("false"),
        "accept a reference holding NaN or infinity (otherwise the export is refused, naming tensor and step)",
    ),
    ("lro", "o", "integer >= 1", None, "output dimension"),
    ("lro", "n", "integer >= 1", None, "student hidden dimension"),
    (
        "lro",
        "n_teacher",
        "integer >= 1",
        Some("n"),
        "teacher hidden dimension",
    ),
    ("lro", "d", "integer >= 1", None, "input dimension"),
    ("lro", "horizon", "integer >= 1", None, "number of steps T"),
    (
        "lro",
        "aligned",
        "boolean",
        Some("false"),
        "data-aligned construction (needs n_teacher = n)",
    ),
    (
        "lro",
        "alpha",
        "number in (0, 1]",
        Some("1"),
        "leak of student and teacher",
    ),
    (
        "lro",
        "activation",
        "string: identity | tanh",
        Some("\"identity\""),
        "activation of student and teacher",
    ),
    (
        "lro",
        "tbptt_k",
        "array of integers >= 1",
        Some("[1, 3]"),
        "truncation lengths of the exported tBPTT rules",
    ),
    (
        "lro",
        "batch",
        "integer >= 1",
        Some("1"),
        "number of input sequences B; B > 1 adds a leading batch axis and batch-mean updates",
    ),
    ("murray2019", "n_in", "integer >= 1", None, "input units"),
    (
        "murray2019",
        "n_rec",
        "integer >= 1",
        None,
        "recurrent units",
    ),
    ("murray2019", "n_out", "integer >= 1", None, "output units"),
    (
        "murray2019",
        "t_max",
        "integer >= 2",
        None,
        "rows of x and y_ (code time 0 .. t_max-1)",
    ),
    (
        "murray2019",
        "tau_m",
        "number >= 1",
        Some("10"),
        "time constant in steps",
    ),
    (
        "murray2019",
        "eta",
        "array of 3 numbers",
        Some("[0.1, 0.1, 0.1]"),
        "learning rates [eta_in, eta_rec, eta_out]",
    ),
    (
        "murray2019",
        "h0_scale",
        "number >= 0",
        Some("1"),
        "standard deviation of the initial state entries (0: h0 = 0)",
    ),
    (
        "murray2019",
        "derivative",
        "string: clipped | exact",
        Some("\"clipped\""),
        "the notebook's clipped tanh derivative, or the exact one",
    ),
    (
        "murray2019",
        "input_trace_lag",
        "boolean",
        Some("true"),
        "the notebook's input trace lagging the forward pass by one step",
    ),
    (
        "murray2019",
        "bptt_error_shift",
        "boolean",
        Some("true"),
        "the notebook's BPTT injecting err[t] one step late",
    ),
    (
        "marschall2020",
        "n_in",
        "integer >= 1",
        None,
        "input dimension",
    ),
    ("marschall2020", "n_h", "integer >= 1", None, "hidden units"),
    (
        "marschall2020",
        "n_out",
        "integer >= 1",
        None,
        "output dimension",
    ),
    (
        "marschall2020",
        "horizon",
        "integer >= 1",
        None,
        "number of steps T",
    ),
    (
        "marschall2020",
        "alpha",
        "number in (0, 1]",
        Some("1"),
        "network leak",
    ),
    (
        "marschall2020",
        "alpha_rflo",
        "number in (0, 1]",
        Some("alpha"),
        "RFLO trace rate alpha_R",
    ),
    (
        "marschall2020",
        "activation",
        "string: identity | tanh",
        Some("\"tanh\""),
        "activation phi",
    ),
    (
        "marschall2020",
        "random_feedback",
        "boolean",
        Some("true"),
        "RFLO feedback: random fixed W_FB (true) or W_out (false)",
    ),
    (
        "marschall2020",
        "h0_scale",
        "number >= 0",
        Some("1"),
        "standard deviation of the initial pre-activation h_0",
    ),
];

/// The text of `lro export --describe-config`: every key, its type, default and meaning.
pub fn describe() -> String {
    let mut s = String::from(
        "case-config keys (a JSON object; unknown keys are refused; `*`: every convention)\n",
    );
    for conv in ["*", "lro", "murray2019", "marschall2020"] {
        s.push_str(&format!("\n[{conv}]\n"));
        for (c, key, ty, default, meaning) in CONFIG_KEYS {
            if *c == conv {
                let d = default.map_or("required".to_string(), |d| format!("default {d}"));
                s.push_str(&format!("  {key:<18} {ty:<36} {d:<22} {meaning}\n"));
            }
        }
    }
    s
}
