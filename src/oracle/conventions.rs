//! The conventions manifest every fixture carries: how to read each number.
//!
//! Two implementations of "the same" rule disagree in every number when they differ in one
//! convention (time indexing, the loss's normalisation, the update's sign, leak, trace timing,
//! parameter packing). The manifest names each one in words, so that a reader can line up their
//! own code, and lists what is known and unknown about a peer convention's source
//! (`docs/theory/peer-conventions.md`). Beside the prose, [`Enumerated`] states the same
//! conventions as enumerations with stable snake_case values, so that a harness can assert them
//! (`fixture.conventions["enumerated"]["update_sign"] == "gradient"`).
use crate::rules::{Feedback, Rule};
use crate::scalar::Real;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Time indexing: which input a step reads and how arrays are indexed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indexing {
    /// Steps t = 1..T; step t reads the input x_{t−1}; inputs are stored from x_0 (lro).
    StepReadsPreviousInput,
    /// Steps t = 1..T; step t reads x_t; inputs are stored from x_1 (marschall2020).
    StepReadsCurrentInput,
    /// Arrays indexed by code time 0..t_max−1, row 0 the initial values; code step t ≥ 1 reads
    /// x[t] (murray2019).
    CodeRowsFromZero,
}

/// The initial state of the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InitialState {
    /// h_0 = 0.
    Zero,
    /// The state h[0] is a given tensor (`h0`).
    Given,
    /// a_0 = φ(h_0) for a given pre-activation `h0`.
    ActivationOfGivenPreactivation,
}

/// How the losses behind the updates are normalised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossNormalisation {
    /// Σ_t ½‖e_t‖² (per-step losses summed, no 1/T).
    HalfSumOverSteps,
    /// (1/T) Σ_t ½‖e_t‖² (murray2019: the 1/t_max is folded into the learning rates).
    HalfMeanOverSteps,
    /// Updates under `.seq.` use (1/T) Σ_t ½‖e_t‖², updates under `.final.` use ½‖e_T‖² (lro).
    HalfMeanOverStepsOrFinalStep,
}

/// The sign of the error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorSign {
    /// e = output − target.
    OutputMinusTarget,
    /// e = target − output.
    TargetMinusOutput,
}

/// The sign (and scale) of the stored updates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateSign {
    /// The sign of the gradient, no learning rate: apply θ ← θ − η Δ.
    Gradient,
    /// The negative gradient with the learning rates folded in: apply θ ← θ + Δ.
    DescentStepWithLearningRates,
}

/// When the traces read their inputs relative to the forward pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceTiming {
    /// The trace at step t uses the same presynaptic values as the forward pass at step t.
    SameStep,
    /// The input trace uses the input of the step before (murray2019's lagged input trace).
    InputTraceLagsOneStep,
}

/// How parameters are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParameterPacking {
    /// Separate matrices, no biases.
    Separate,
    /// `W = [W_rec | W_in | b_rec]`, outputs `[W_out | b_out]` (marschall2020).
    PackedRecInBias,
}

/// Memory order of arrays, or of a flattened parameter axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// C order (last index fastest).
    RowMajor,
    /// Fortran order (first index fastest; numpy `order='F'`).
    ColumnMajor,
    /// No tensor has such an axis.
    NotApplicable,
}

/// The feedback matrix a rule's learning signal goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    /// The readout's transpose (the exact gradient's path).
    ReadoutTranspose,
    /// A fixed random matrix (a tensor of the fixture).
    RandomFixed,
}

/// The derivative of the activation the rules use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DerivativeKind {
    /// φ' exactly.
    Exact,
    /// murray2019's clipped 1/cosh²(10 tanh(x/10)).
    Clipped,
}

/// The conventions as enumerations (stable snake_case values).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enumerated {
    /// Time indexing.
    pub indexing: Indexing,
    /// Initial state.
    pub initial_state: InitialState,
    /// Loss normalisation.
    pub loss_normalisation: LossNormalisation,
    /// Error sign.
    pub error_sign: ErrorSign,
    /// Update sign.
    pub update_sign: UpdateSign,
    /// Trace timing.
    pub trace_timing: TraceTiming,
    /// Parameter packing.
    pub parameter_packing: ParameterPacking,
    /// Memory order of every stored array.
    pub array_order: Order,
    /// Order of a flattened parameter axis (an RTRL influence matrix's columns).
    pub flattened_parameter_order: Order,
    /// Per rule group: the feedback its learning signal goes through.
    pub feedback: BTreeMap<String, FeedbackKind>,
    /// The activation derivative the rules use.
    pub derivative: DerivativeKind,
}

/// The feedback of each of lro's rules, by group name.
pub fn rule_feedback<T: Real>(rules: &[(String, Rule<T>)]) -> BTreeMap<String, FeedbackKind> {
    rules
        .iter()
        .map(|(name, r)| {
            let k = match r {
                Rule::Rflo { .. }
                | Rule::Eprop {
                    feedback: Feedback::Random(_),
                } => FeedbackKind::RandomFixed,
                _ => FeedbackKind::ReadoutTranspose,
            };
            (name.clone(), k)
        })
        .collect()
}

/// The conventions manifest of a fixture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conventions {
    /// Which convention produced the numbers: `lro` (`docs/theory/linear-rnn.md`), `murray2019`
    /// or `marschall2020`.
    pub convention: String,
    /// Time indexing: initial state, which input enters which step, how arrays are indexed.
    pub indexing: String,
    /// The loss, the error's definition and the loss's normalisation.
    pub loss: String,
    /// The sign of the stored updates and how they are applied.
    pub sign: String,
    /// Leak and activation (and which derivative the rules use).
    pub leak_and_activation: String,
    /// When traces are updated relative to the forward pass and the loss.
    pub trace_timing: String,
    /// How parameters are stored and packed.
    pub parameter_packing: String,
    /// What the per-step update tensors (`*_steps`) mean and how they sum to the totals.
    pub per_step_updates: String,
    /// The same conventions as enumerations.
    pub enumerated: Enumerated,
    /// The case's settings (dimensions, horizon, seed, leak, surrogate, learning rates, switches),
    /// typed: numbers, booleans, strings, arrays.
    pub settings: BTreeMap<String, serde_json::Value>,
    /// What is known about the convention and where from.
    pub known: Vec<String>,
    /// What is not known (so the preset's choice is this project's).
    pub unknown: Vec<String>,
}

/// The manifest text of the project's own convention (`docs/theory/linear-rnn.md#indexing`, `docs/theory/linear-rnn.md#losses`, `docs/theory/linear-rnn.md#online`), for a network with
/// leak `alpha` and the given activation name, its settings and each rule's feedback.
pub fn lro(
    activation: &str,
    leaky: bool,
    settings: BTreeMap<String, serde_json::Value>,
    feedback: BTreeMap<String, FeedbackKind>,
) -> Conventions {
    Conventions {
        convention: "lro".into(),
        enumerated: Enumerated {
            indexing: Indexing::StepReadsPreviousInput,
            initial_state: InitialState::Zero,
            loss_normalisation: LossNormalisation::HalfMeanOverStepsOrFinalStep,
            error_sign: ErrorSign::OutputMinusTarget,
            update_sign: UpdateSign::Gradient,
            trace_timing: TraceTiming::SameStep,
            parameter_packing: ParameterPacking::Separate,
            array_order: Order::RowMajor,
            flattened_parameter_order: Order::NotApplicable,
            feedback,
            derivative: DerivativeKind::Exact,
        },
        indexing: "h_0 = 0; for t = 1..T: u_t = W h_{t-1} + B x_{t-1}, \
                   h_t = (1 - alpha) h_{t-1} + alpha phi(u_t), y_t = A h_t. Inputs x_0..x_{T-1} \
                   are stored as x[0..T); h[0..=T] holds h_0..h_T; u, y, y_star and err hold step t \
                   at row t-1 (first_step = 1). Every tensor with a time axis says its first_step."
            .into(),
        loss: "err_t = y_t - y*_t. Final-step loss L_T = 1/2 |err_T|^2 (updates under 'final'); \
               sequence loss L_seq = 1/(2T) sum_{t=1..T} |err_t|^2 (updates under 'seq'). One \
               sample, no batch factor."
            .into(),
        sign: "Every stored update Delta has the sign of the gradient: apply theta <- theta - \
               eta Delta. RFLO and e-prop updates are their approximations of that gradient."
            .into(),
        leak_and_activation: if leaky {
            format!(
                "leak alpha (tensor alpha, 0 < alpha <= 1) on the post-activation state; \
                 phi = {activation} with its exact derivative (phi' = 1 - tanh^2 for tanh)"
            )
        } else {
            format!("no leak (alpha = 1); phi = {activation} (the linear RNN of docs/theory/linear-rnn.md)")
        },
        trace_timing: "RFLO trace per synapse: e_t[i,j] = w_hat e_{t-1}[i,j] + alpha phi'(u_t)_i \
                       pre_{t-1,j}, e_0 = 0, with pre = h for W (rflo.trace_h) and pre = x for B \
                       (rflo.trace_x): the input trace uses x_{t-1}, the input that entered u_t, \
                       with no lag. The trace is updated at step t before err_t is read; the loss \
                       at step t contributes (R^T c_t err_t)_i e_t[i,j]. e-prop: the same with \
                       decay 1 - alpha + alpha phi'(u_t)_i W_ii and feedback R (random) or A \
                       (symmetric); its traces (eprop_random.trace_h/trace_x, equal to \
                       eprop_symmetric's) do not depend on the feedback. tbptt<k> backpropagates each loss through k steps."
            .into(),
        parameter_packing: "Separate matrices A (o x n), W (n x n), B (n x d), feedback R (o x n; \
                            R^T replaces A^T in RFLO), scalars alpha and w_hat; no biases. Teacher \
                            A_star, W_star, B_star. Arrays are row-major (C order)."
            .into(),
        per_step_updates: "<rule>.seq.d<X>_steps[t-1] is the part of the sequence-loss update \
                           <rule>.seq.d<X> due to the loss term at step t, 1/(2T)|err_t|^2; for \
                           every rule here it equals (1/T) times the rule's final-step update on \
                           the prefix x_0..x_{t-1} (all rules are causal). Summed over t it gives \
                           <rule>.seq.d<X>. 'The first diverging step' of a candidate is the first \
                           t whose contribution differs."
            .into(),
        settings,
        known: vec![
            "All conventions are this project's choices, written in docs/theory/linear-rnn.md \
             (docs/theory/notation.md#conventions, docs/theory/linear-rnn.md#indexing, docs/theory/linear-rnn.md#losses, docs/theory/linear-rnn.md#online) [assumed]."
                .into(),
        ],
        unknown: vec![
            "The paper's own code is not known; its RFLO w_hat and e-prop variant are not known \
             (docs/theory/linear-rnn.md#gaps)."
                .into(),
        ],
    }
}
