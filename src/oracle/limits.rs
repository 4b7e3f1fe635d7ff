//! Resource limits of `lro export` and `lro check`, checked before anything is allocated, and the
//! cost estimate of an export.
//!
//! The defaults fit a 24 GiB machine with room to spare: a fixture of at most 2 GiB of f64 data,
//! whose computation holds a few copies of it in wider numbers. Each limit is raised by the flag its
//! error names.
use super::config::CaseConfig;
use super::error::{OracleError, OracleResult};

const MIB: u64 = 1 << 20;

/// Upper bounds on the sizes an export or a check accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest dimension (hidden, input or output units). Flag `--max-n`.
    pub n: u64,
    /// Largest horizon T. Flag `--max-horizon`.
    pub horizon: u64,
    /// Largest batch (sequences per fixture). Flag `--max-batch`.
    pub batch: u64,
    /// Largest fixture, in bytes of f64 data. Flag `--max-fixture-mb`.
    pub fixture_bytes: u64,
    /// Largest candidate file, in bytes. Flag `--max-candidate-mb`.
    pub candidate_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            n: 1024,
            horizon: 100_000,
            batch: 4096,
            fixture_bytes: 2048 * MIB,
            candidate_bytes: 2048 * MIB,
        }
    }
}

fn limit(what: &str, requested: u64, limit: u64, flag: &str) -> OracleResult<()> {
    if requested > limit {
        return Err(OracleError::Limit {
            what: what.into(),
            requested,
            limit,
            flag: flag.into(),
        });
    }
    Ok(())
}

impl Limits {
    /// Refuses a candidate file larger than [`Limits::candidate_bytes`].
    pub fn check_candidate_bytes(&self, bytes: u64) -> OracleResult<()> {
        limit(
            "candidate file size in MiB",
            bytes.div_ceil(MIB),
            self.candidate_bytes / MIB,
            "--max-candidate-mb",
        )
    }

    /// Refuses a case whose sizes or fixture exceed the limits; returns its estimate.
    pub fn check_case(&self, c: &CaseConfig) -> OracleResult<Estimate> {
        let s = c.sizes();
        for (what, v) in [
            ("output units", s.o),
            ("hidden units n", s.n),
            ("input units", s.d),
        ] {
            limit(what, v, self.n, "--max-n")?;
        }
        limit("horizon T", s.horizon, self.horizon, "--max-horizon")?;
        limit("batch B", s.batch, self.batch, "--max-batch")?;
        let e = c.estimate();
        let bytes = e.entries.saturating_mul(8);
        limit(
            "fixture size in MiB",
            bytes.div_ceil(MIB as u128).min(u64::MAX as u128) as u64,
            self.fixture_bytes / MIB,
            "--max-fixture-mb",
        )?;
        Ok(e)
    }
}

/// The sizes of a case, for the limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizes {
    /// Output units.
    pub o: u64,
    /// Hidden units.
    pub n: u64,
    /// Input units.
    pub d: u64,
    /// Horizon.
    pub horizon: u64,
    /// Sequences.
    pub batch: u64,
}

/// The arithmetic a reference is computed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arithmetic {
    /// Exact rationals (linear cases of moderate size), rounded once to f64.
    ExactRational,
    /// MPFR floats of 256 bits, rounded once to f64.
    Mpfr256,
    /// Plain f64 (builds without the `rug` feature).
    F64,
}

/// What an export will cost, estimated from the case's sizes before anything is allocated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// f64 entries of the fixture.
    pub entries: u128,
    /// Arithmetic operations of the reference computation (order of magnitude).
    pub ops: f64,
    /// The arithmetic the reference will use.
    pub arithmetic: Arithmetic,
}

/// Seconds per arithmetic operation, by arithmetic: order-of-magnitude constants for the
/// estimate's message only (never a pass/fail criterion). Rationals grow with the horizon, so
/// their cost per operation is taken at the largest horizon that still uses them.
fn seconds_per_op(a: Arithmetic) -> f64 {
    match a {
        Arithmetic::ExactRational => 2e-6,
        Arithmetic::Mpfr256 => 2e-7,
        Arithmetic::F64 => 2e-9,
    }
}

impl Estimate {
    /// Estimated seconds of the reference computation (order of magnitude).
    pub fn seconds(&self) -> f64 {
        self.ops * seconds_per_op(self.arithmetic)
    }
}

/// Largest horizon computed over exact rationals; longer linear cases switch to 256-bit MPFR
/// (stated in the manifest), because the rationals' numerators and denominators grow with every
/// step and the cost grows faster than T².
pub const EXACT_MAX_HORIZON: u64 = 24;
/// Largest hidden size computed over exact rationals (see [`EXACT_MAX_HORIZON`]).
pub const EXACT_MAX_N: u64 = 8;

impl CaseConfig {
    /// The case's sizes.
    pub fn sizes(&self) -> Sizes {
        match self {
            CaseConfig::Lro(c) => Sizes {
                o: c.o as u64,
                n: c.n.max(c.n_teacher.unwrap_or(c.n)) as u64,
                d: c.d as u64,
                horizon: c.horizon as u64,
                batch: c.batch as u64,
            },
            CaseConfig::Murray2019(c) => Sizes {
                o: c.n_out as u64,
                n: c.n_rec as u64,
                d: c.n_in as u64,
                horizon: c.t_max as u64,
                batch: 1,
            },
            CaseConfig::Marschall2020(c) => Sizes {
                o: c.n_out as u64,
                n: c.n_h as u64,
                d: c.n_in as u64,
                horizon: c.horizon as u64,
                batch: 1,
            },
        }
    }

    /// The arithmetic of the reference: exact rationals for linear cases in the project's
    /// convention up to [`EXACT_MAX_HORIZON`] and [`EXACT_MAX_N`], 256-bit MPFR otherwise.
    pub fn arithmetic(&self) -> Arithmetic {
        if cfg!(not(feature = "rug")) {
            return Arithmetic::F64;
        }
        let s = self.sizes();
        match self {
            CaseConfig::Lro(c)
                if c.activation == crate::rnn::Activation::Identity
                    // the variance-minimising scalars of the family need square roots
                    && !c.family
                    && s.horizon <= EXACT_MAX_HORIZON
                    && s.n <= EXACT_MAX_N =>
            {
                Arithmetic::ExactRational
            }
            _ => Arithmetic::Mpfr256,
        }
    }

    /// The export's estimated size and cost (in u128/f64 so that no request overflows).
    pub fn estimate(&self) -> Estimate {
        let s = self.sizes();
        let (o, n, d, t) = (s.o as f64, s.n as f64, s.d as f64, s.horizon as f64);
        let (entries, ops) = match self {
            CaseConfig::Lro(c) => {
                let b = s.batch as f64;
                let blocks = o * n + n * n + n * d;
                let states = 2.0 * t * (n * n + n * d) + t * (2.0 * n + 2.0 * o + d);
                let (entries, ops) = if super::batch::single_pass(c) {
                    // One pass per rule, sequence loss only (no RTRL, no per-step
                    // contributions): about three products per weight and step.
                    let rules = 4.0 + c.tbptt_k.iter().sum::<usize>() as f64;
                    let entries = (4.0 + c.tbptt_k.len() as f64) * blocks + states;
                    let ops = (rules + 1.0) * t * n * (n + d + o) * 3.0;
                    (entries, ops)
                } else {
                    let rules = 5.0 + c.tbptt_k.len() as f64;
                    let entries = rules * (t + 2.0) * blocks + states;
                    // Per-step contributions recompute each rule on every prefix: RTRL's
                    // influence costs n²(n + d) per step, the others n(n + d + o).
                    let ops = t * t / 2.0 * (n * n * n * (n + d) + rules * n * n * (n + d + o));
                    // The family (`family: true`): six more rules with their draws; SnAp-1/2
                    // keep a dense influence matrix as RTRL does.
                    let fam = c.family as u8 as f64;
                    let entries = entries + fam * (6.0 * (t + 2.0) * blocks + 4.0 * t * (n + 2.0));
                    let ops = ops + fam * t * t / 2.0 * 6.0 * n * n * n * (n + d);
                    (entries, ops)
                };
                // B samples, plus the batch means of the totals.
                (
                    b * entries
                        + (b > 1.0) as u8 as f64 * 2.0 * blocks * (5.0 + c.tbptt_k.len() as f64),
                    b * ops,
                )
            }
            CaseConfig::Murray2019(_) => {
                let blocks = n * d + n * n + o * n;
                (
                    t * (2.0 * blocks + blocks + 3.0 * n + 2.0 * o),
                    t * blocks * 8.0,
                )
            }
            CaseConfig::Marschall2020(_) => {
                let m = n + d + 1.0;
                // Influence matrices, traces and four per-step gradient series (RFLO, RTRL,
                // Efficient and Future BPTT), and the three stochastic algorithms' draws, factors
                // and gradients (about 3 n m + n² + 3 n + m per step each).
                let entries = t * (n * n * m + 5.0 * n * m + o * (n + 1.0) + 4.0 * n + 3.0 * o)
                    + t * (9.0 * n * m + n * n + 9.0 * n + m + 6.0);
                (entries, t * n * n * n * m + 3.0 * t * n * n * m)
            }
        };
        Estimate {
            entries: entries.min(u128::MAX as f64) as u128,
            ops,
            arithmetic: self.arithmetic(),
        }
    }
}
