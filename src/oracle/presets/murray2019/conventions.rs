//! The conventions manifest of a `murray2019` fixture: how to read each number, what is known about
//! the peer's code and what is the project's choice (`docs/theory/peer-conventions.md`).
use super::settings::MurrayConfig;
use crate::oracle::conventions::*;
use std::collections::BTreeMap;

/// The manifest, with the case's settings.
pub fn conventions(c: &MurrayConfig, settings: BTreeMap<String, serde_json::Value>) -> Conventions {
    Conventions {
        convention: "murray2019".into(),
        enumerated: Enumerated {
            indexing: Indexing::CodeRowsFromZero,
            initial_state: InitialState::Given,
            loss_normalisation: LossNormalisation::HalfMeanOverSteps,
            error_sign: ErrorSign::TargetMinusOutput,
            update_sign: UpdateSign::DescentStepWithLearningRates,
            trace_timing: if c.input_trace_lag {
                TraceTiming::InputTraceLagsOneStep
            } else {
                TraceTiming::SameStep
            },
            parameter_packing: ParameterPacking::Separate,
            array_order: Order::RowMajor,
            flattened_parameter_order: Order::NotApplicable,
            feedback: [
                ("rflo".to_string(), FeedbackKind::RandomFixed),
                ("bptt".to_string(), FeedbackKind::ReadoutTranspose),
            ]
            .into(),
            derivative: match c.derivative {
                super::Derivative::Clipped => DerivativeKind::Clipped,
                super::Derivative::Exact => DerivativeKind::Exact,
            },
        },
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
                              derivative = clipped), not tanh'."
            .into(),
        trace_timing: "Offline (weights frozen in the trial). RFLO at step t: p <- (1 - 1/tau) p \
                       + df(u[t]) h[t-1]^T / tau; q <- (1 - 1/tau) q + df(u[t]) x[t-1]^T / tau, \
                       lagging the forward pass (which used x[t]) by one step, with q initialised \
                       to x[0]^T / tau in every row (input_trace_lag = true). BPTT: z[t-1] = (1 - \
                       1/tau) z[t] + w_out^T err[t] + w_rec^T (z[t] df(u[t]))/tau, injecting \
                       err[t] one step late (bptt_error_shift = true); its input update uses x[t]."
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
