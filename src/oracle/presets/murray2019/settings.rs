//! The settings of a `murray2019` case config (JSON keys, typed) and the seeded draw of its
//! network, inputs and teacher targets.
use super::{Derivative, Setup};
use crate::error::{LroError, Result};
use crate::oracle::draw::{Drawn, check_dims, col, normal, uniform};
use crate::oracle::keys::KeyDoc;
use nalgebra::DVector;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

fn one() -> f64 {
    1.0
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
fn default_derivative() -> Derivative {
    Derivative::Clipped
}

/// A case in Murray 2019's convention (see [`super`]). Initial weights follow the
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
    pub derivative: Derivative,
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

/// The drawn f64 values of a Murray case: setup, inputs x (t_max × n_in), targets y_.
pub fn draw(c: &MurrayConfig) -> Result<Drawn<Setup<f64>>> {
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
    let teacher = Setup {
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
    let student = Setup {
        w_in,
        w_rec,
        w_out,
        b,
        h0,
        ..teacher
    };
    Ok((student, x, y_))
}

/// The keys of a `murray2019` case config (besides the keys every config has).
pub const KEYS: &[KeyDoc] = &[
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
];
