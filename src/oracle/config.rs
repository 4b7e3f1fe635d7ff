//! Case configurations: a JSON file (or a built-in name, see [`super::cases`]) that says which
//! convention, which seed and which sizes to draw a case from. `lro export --case config.json`.
//!
//! ```json
//! {"convention": "lro", "name": "my-case", "seed": 3, "o": 2, "n": 3, "d": 2, "horizon": 6}
//! {"convention": "murray2019", "name": "m", "seed": 1, "n_in": 2, "n_rec": 4, "n_out": 2, "t_max": 12}
//! {"convention": "marschall2020", "name": "s", "seed": 1, "n_in": 2, "n_h": 3, "n_out": 2, "horizon": 8}
//! ```
//! Unknown keys are rejected. Every draw is seeded (ChaCha8) and reproducible bit for bit.
use super::draw::in_kind;
use super::error::OracleResult;
use super::fixture::Fixture;
use super::limits::{Arithmetic, Limits};
use super::presets::{marschall2020, murray2019};
use super::reference::{self, Problem};
use crate::error::{LroError, Result};
use crate::rnn::{Activation, InstanceSpec, Rnn};
use crate::scalar::Real;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use super::keys::{KeyDoc, config_keys, describe};
pub use super::presets::marschall2020::{MarschallConfig, draw as marschall_draw};
pub use super::presets::murray2019::{MurrayConfig, draw as murray_draw};

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
    /// Adds the online-learning family: UORO and KF-RTRL (unit and variance-minimising scalings)
    /// with seeded draws stored in the fixture, and SnAp-1, SnAp-2. Needs `batch = 1` and a case
    /// small enough for per-step contributions.
    #[serde(default)]
    pub family: bool,
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

impl CaseConfig {
    /// Parses a JSON config, naming any unknown key.
    pub fn from_json(text: &str) -> Result<Self> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| LroError::InvalidParameter {
                name: "case config".into(),
                reason: format!("not valid JSON: {e}"),
            })?;
        super::keys::check_config(&value)?;
        serde_json::from_value(value).map_err(|e| LroError::InvalidParameter {
            name: "case config".into(),
            reason: format!(
                "{e}; a config names its \"convention\" (lro, murray2019 or marschall2020) and \
                 that convention's keys, e.g. {{\"convention\": \"lro\", \"name\": \"c\", \
                 \"seed\": 1, \"o\": 2, \"n\": 3, \"d\": 2, \"horizon\": 6}} (all keys: \
                 `lro export --describe-config`)"
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
            CaseConfig::Murray2019(c) => murray2019::build(c, arith),
            CaseConfig::Marschall2020(c) => marschall2020::build(c, arith),
        }
    }
}

fn lro_problem(c: &LroConfig) -> Result<Problem<f64>> {
    if c.batch == 0 {
        return Err(LroError::InvalidParameter {
            name: format!("{}: batch", c.name),
            reason: "must be at least 1 (the number of input sequences)".into(),
        });
    }
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
    if c.family && (c.batch > 1 || super::batch::single_pass(c)) {
        return Err(LroError::InvalidParameter {
            name: format!("{}: family", c.name),
            reason: format!(
                "the family rules are exported with per-step contributions for one sequence: \
                 use batch = 1, n <= {} and horizon <= {} (or family = false)",
                super::batch::PER_STEP_MAX_N,
                super::batch::PER_STEP_MAX_HORIZON
            ),
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
        family: c
            .family
            .then(|| reference::FamilyDraws::draw(c.seed, c.n, c.horizon)),
        xs: inst.xs,
        tbptt_k: c.tbptt_k.clone(),
    })
}

fn lro_in<T: Real>(c: &LroConfig, p: &Problem<f64>) -> Result<Fixture> {
    let q = p.cast::<T>(&p.xs)?;
    reference::fixture(&c.name, &c.description, &q, lro_settings(c))
}

/// The settings an lro case records in its manifest.
pub(super) fn lro_settings(c: &LroConfig) -> BTreeMap<String, serde_json::Value> {
    let mut settings = BTreeMap::new();
    settings.insert("seed".into(), c.seed.into());
    settings.insert("n_teacher".into(), c.n_teacher.unwrap_or(c.n).into());
    settings.insert("aligned".into(), c.aligned.into());
    settings.insert("tbptt_k".into(), c.tbptt_k.clone().into());
    settings.insert("batch".into(), c.batch.into());
    if c.family {
        settings.insert("family".into(), true.into());
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

/// The manifest for a config without computing anything (for `lro list`-style listings).
pub fn convention_name(c: &CaseConfig) -> &'static str {
    match c {
        CaseConfig::Lro(_) => "lro",
        CaseConfig::Murray2019(_) => "murray2019",
        CaseConfig::Marschall2020(_) => "marschall2020",
    }
}
