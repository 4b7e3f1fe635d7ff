//! The settings of a `marschall2020` case config (JSON keys, typed) and the seeded draw of its
//! network, inputs and teacher targets.
use super::Setup;
use crate::error::Result;
use crate::oracle::draw::{Drawn, check_dims, col, normal};
use crate::oracle::keys::KeyDoc;
use crate::rnn::Activation;
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
fn default_tanh() -> Activation {
    Activation::Tanh
}
fn default_bptt_k() -> usize {
    3
}

/// A case in Marschall et al. 2020's convention (see [`super`]).
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
    /// Truncation horizon k of Efficient and Future BPTT (the code's `T_truncation`).
    #[serde(default = "default_bptt_k")]
    pub bptt_k: usize,
    /// Declares that the case's reference may hold NaN or infinity (an overflowing case kept on
    /// purpose). Without it, an export refuses such a reference, naming the tensor and step.
    #[serde(default)]
    pub allow_non_finite: bool,
}

/// The drawn f64 values of a Marschall case: setup, inputs x_1..x_T, targets.
pub fn draw(c: &MarschallConfig) -> Result<Drawn<Setup<f64>>> {
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
    let draw = |rng: &mut ChaCha8Rng| Setup {
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
        bptt_k: c.bptt_k,
    };
    let teacher = draw(&mut rng);
    let mut student = draw(&mut rng);
    if c.bptt_k == 0 {
        return Err(crate::error::LroError::ZeroTruncation);
    }
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

/// The keys of a `marschall2020` case config (besides the keys every config has).
pub const KEYS: &[KeyDoc] = &[
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
    (
        "marschall2020",
        "bptt_k",
        "integer >= 1",
        Some("3"),
        "truncation horizon k of Efficient and Future BPTT (the code's T_truncation)",
    ),
];
