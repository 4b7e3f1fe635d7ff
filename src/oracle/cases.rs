//! Built-in cases (`lro export --case NAME`, `lro check --case NAME`, `lro list`).
use super::config::{CaseConfig, LroConfig, MarschallConfig, MurrayConfig};
use crate::error::{LroError, Result};
use crate::rnn::Activation;

/// The built-in cases: name, one-line description.
const CASES: &[(&str, &str)] = &[
    (
        "aligned-linear",
        "data-aligned linear RNN (o = n = d = 3, T = 6), seed 11; exact (rational) reference",
    ),
    (
        "linear",
        "non-aligned linear RNN (o = 2, n = 3, teacher n = 2, d = 2, T = 6), seed 5; exact reference",
    ),
    (
        "leaky-tanh",
        "leaky tanh RNN (alpha = 1/2; o = 2, n = 3, d = 2, T = 6), seed 7; 256-bit reference",
    ),
    (
        "family",
        "leaky tanh RNN (alpha = 1/2; o = 2, n = 3, d = 2, T = 6), seed 15, with the online-learning family: UORO and KF-RTRL (unit and variance-min scalings, seeded draws in <rule>.draws), SnAp-1, SnAp-2; 256-bit reference",
    ),
    (
        "murray2019",
        "Murray 2019 RFLO notebook conventions (tau_m = 10, t_max = 12, clipped df, lagged input trace)",
    ),
    (
        "marschall2020",
        "Marschall et al. 2020 conventions (alpha = 1/2, alpha_R = 3/10, tanh, packed W, random W_FB; Efficient and Future BPTT with k = 3; UORO, KF-RTRL, reverse KF-RTRL, KeRNL with their draws)",
    ),
];

/// Built-in cases at working size: name, one-line description. Each takes seconds to generate
/// (benchmarked in `benches/fixture.rs`), so they are listed apart from [`CASES`], which every
/// test iterates over.
const LARGE_CASES: &[(&str, &str)] = &[(
    "working-size",
    "leaky tanh RNN at working size (alpha = 1/2; o = 4, n = 64, d = 4, T = 100, batch B = 16), \
         seed 64; 256-bit reference, sequence-loss totals, no RTRL",
)];

/// Names of the quick built-in cases (each builds in well under a second), in listing order.
/// Tests iterate over these; [`large_names`] lists the working-size cases.
pub fn builtin_names() -> Vec<&'static str> {
    CASES.iter().map(|(n, _)| *n).collect()
}

/// Names of the built-in cases at working size (seconds to generate).
pub fn large_names() -> Vec<&'static str> {
    LARGE_CASES.iter().map(|(n, _)| *n).collect()
}

/// Every built-in case name: [`builtin_names`] then [`large_names`].
pub fn all_names() -> Vec<&'static str> {
    CASES.iter().chain(LARGE_CASES).map(|(n, _)| *n).collect()
}

/// The one-line description of a built-in case.
pub fn description(name: &str) -> Option<&'static str> {
    CASES
        .iter()
        .chain(LARGE_CASES)
        .find(|(n, _)| *n == name)
        .map(|(_, d)| *d)
}

/// The configuration of a built-in case.
pub fn builtin(name: &str) -> Result<CaseConfig> {
    let desc = description(name)
        .ok_or_else(|| LroError::InvalidParameter {
            name: format!("case '{name}'"),
            reason: format!(
                "not a built-in case; built-in cases are {}, or give a config .json file",
                all_names().join(", ")
            ),
        })?
        .to_string();
    let lro = |seed, o, n, nt, d, aligned, alpha, activation| LroConfig {
        name: name.into(),
        description: desc.clone(),
        seed,
        o,
        n,
        n_teacher: Some(nt),
        d,
        horizon: 6,
        aligned,
        alpha,
        activation,
        tbptt_k: vec![1, 3],
        allow_non_finite: false,
        batch: 1,
        family: false,
    };
    Ok(match name {
        "aligned-linear" => CaseConfig::Lro(lro(11, 3, 3, 3, 3, true, 1.0, Activation::Identity)),
        "linear" => CaseConfig::Lro(lro(5, 2, 3, 2, 2, false, 1.0, Activation::Identity)),
        "leaky-tanh" => CaseConfig::Lro(lro(7, 2, 3, 3, 2, false, 0.5, Activation::Tanh)),
        "family" => CaseConfig::Lro(LroConfig {
            family: true,
            ..lro(15, 2, 3, 3, 2, false, 0.5, Activation::Tanh)
        }),
        // Leaky tanh, not linear: the nonlinearity and the leak are what implementations get
        // wrong at scale (phi' placement, leak on the state), and a linear case of this size has
        // no exact reference either (rationals stop at n = 8, T = 24). tBPTT with k = 1 only:
        // each k costs k backward steps per step.
        "working-size" => CaseConfig::Lro(LroConfig {
            horizon: 100,
            tbptt_k: vec![1],
            batch: 16,
            ..lro(64, 4, 64, 64, 4, false, 0.5, Activation::Tanh)
        }),
        "murray2019" => CaseConfig::Murray2019(MurrayConfig {
            name: name.into(),
            description: desc,
            seed: 2019,
            n_in: 2,
            n_rec: 4,
            n_out: 2,
            t_max: 12,
            tau_m: 10.0,
            eta: [0.1, 0.1, 0.1],
            h0_scale: 1.0,
            derivative: crate::oracle::presets::murray2019::Derivative::Clipped,
            input_trace_lag: true,
            bptt_error_shift: true,
            allow_non_finite: false,
        }),
        _ => CaseConfig::Marschall2020(MarschallConfig {
            name: name.into(),
            description: desc,
            seed: 2020,
            n_in: 2,
            n_h: 3,
            n_out: 2,
            horizon: 8,
            alpha: 0.5,
            alpha_rflo: Some(0.3),
            activation: Activation::Tanh,
            random_feedback: true,
            h0_scale: 1.0,
            bptt_k: 3,
            allow_non_finite: false,
            stochastic_init_scale: 1.0,
            stochastic_unit_scaling: false,
            // Larger than the code's default σ = 1e-5 so that KeRNL's learning shows in the
            // fixture's digits.
            kernl_sigma: 0.1,
            kernl_lr: 0.1,
        }),
    })
}
