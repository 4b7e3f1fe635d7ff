//! The settings of a `marschall2020` case config (JSON keys, typed) and the seeded draw of its
//! network, inputs and teacher targets.
use super::Setup;
use super::kernl::KernlInputs;
use super::stochastic::Draws;
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
    /// Standard deviation of the stochastic algorithms' initial factors A_0, B_0 (the code draws
    /// them from N(0, 1); 0: zero factors, whose mean over the draws is RTRL exactly).
    #[serde(default = "one")]
    pub stochastic_init_scale: f64,
    /// The code's `P0 = P1 = 1` overrides for UORO, KF-RTRL and reverse KF-RTRL (default: the
    /// computed variance-minimising p0, p1).
    #[serde(default)]
    pub stochastic_unit_scaling: bool,
    /// Standard deviation σ of KeRNL's perturbations ζ (the code's `sigma_noise`, default 1e-5).
    #[serde(default = "default_kernl_sigma")]
    pub kernl_sigma: f64,
    /// Learning rate of KeRNL's SGD on A and its rates (0: frozen).
    #[serde(default = "default_kernl_lr")]
    pub kernl_lr: f64,
}

fn default_kernl_sigma() -> f64 {
    1e-5
}
fn default_kernl_lr() -> f64 {
    0.01
}

/// The ChaCha8 stream of KeRNL's perturbations.
const KERNL_STREAM: u64 = 0x6b65_726e_6c21;

/// KeRNL's seeded inputs: `ζ_0 … ζ_T` ~ N(0, σ²), the code's default initial A = I and rates 0.8,
/// and the configured learning rate.
pub fn draw_kernl(c: &MarschallConfig) -> Result<KernlInputs<f64>> {
    for (name, v) in [("kernl_sigma", c.kernl_sigma), ("kernl_lr", c.kernl_lr)] {
        if !(v >= 0.0 && v.is_finite()) {
            return Err(crate::error::LroError::OutOfDomain {
                name: name.into(),
                value: v,
                reason: "must be finite and >= 0".into(),
            });
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(c.seed);
    rng.set_stream(KERNL_STREAM);
    let n = c.n_h;
    Ok(KernlInputs {
        zeta: (0..=c.horizon)
            .map(|_| col(normal(&mut rng, n, 1, c.kernl_sigma)))
            .collect(),
        a0: nalgebra::DMatrix::identity(n, n),
        rates0: DVector::from_element(n, 0.8),
        lr: c.kernl_lr,
    })
}

/// The ChaCha8 stream of the stochastic algorithms' draws (stream 0 draws network and data, so
/// adding the algorithms left every earlier number of a case unchanged).
const STOCHASTIC_STREAM: u64 = 0x7374_6f63_6821;

/// The seeded random inputs of UORO, KF-RTRL and reverse KF-RTRL for a case: initial factors
/// (N(0, scale²)) and Rademacher sign vectors, in that order per algorithm.
pub fn draw_stochastic(c: &MarschallConfig) -> Result<Draws<f64>> {
    use rand::Rng;
    if !(c.stochastic_init_scale >= 0.0 && c.stochastic_init_scale.is_finite()) {
        return Err(crate::error::LroError::OutOfDomain {
            name: "stochastic_init_scale".into(),
            value: c.stochastic_init_scale,
            reason: "a standard deviation: finite and >= 0".into(),
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(c.seed);
    rng.set_stream(STOCHASTIC_STREAM);
    let (n, m, s) = (c.n_h, c.n_h + c.n_in + 1, c.stochastic_init_scale);
    let signs = |rng: &mut ChaCha8Rng, len: usize| -> Vec<DVector<f64>> {
        (0..c.horizon)
            .map(|_| DVector::from_fn(len, |_, _| if rng.random::<bool>() { 1.0 } else { -1.0 }))
            .collect()
    };
    let uoro_init = (col(normal(&mut rng, n, 1, s)), normal(&mut rng, n, m, s));
    let uoro_nu = signs(&mut rng, n);
    let kf_init = (col(normal(&mut rng, m, 1, s)), normal(&mut rng, n, n, s));
    let kf_nu = signs(&mut rng, 2);
    let rkf_init = (col(normal(&mut rng, n, 1, s)), normal(&mut rng, n, m, s));
    let rkf_nu = signs(&mut rng, n);
    Ok(Draws {
        uoro_nu,
        uoro_init,
        kf_nu,
        kf_init,
        rkf_nu,
        rkf_init,
        unit_scaling: c.stochastic_unit_scaling,
    })
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
    (
        "marschall2020",
        "stochastic_init_scale",
        "number >= 0",
        Some("1"),
        "standard deviation of the initial factors A_0, B_0 of UORO, KF-RTRL and reverse KF-RTRL (0: zero factors)",
    ),
    (
        "marschall2020",
        "stochastic_unit_scaling",
        "boolean",
        Some("false"),
        "the code's P0 = P1 = 1 overrides instead of the computed p0, p1",
    ),
    (
        "marschall2020",
        "kernl_sigma",
        "number >= 0",
        Some("1e-5"),
        "standard deviation of KeRNL's perturbations zeta (the code's sigma_noise)",
    ),
    (
        "marschall2020",
        "kernl_lr",
        "number >= 0",
        Some("0.01"),
        "learning rate of KeRNL's SGD on its kernel A and rates (0: frozen)",
    ),
];
