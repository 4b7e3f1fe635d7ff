//! The conventions manifest of a `marschall2020` fixture: how to read each number, what is known about
//! the peer's code and what is the project's choice (`docs/theory/peer-conventions.md`).
use super::settings::MarschallConfig;
use crate::oracle::conventions::*;
use std::collections::BTreeMap;

/// The manifest, with the case's settings.
pub fn conventions(
    c: &MarschallConfig,
    settings: BTreeMap<String, serde_json::Value>,
) -> Conventions {
    Conventions {
        convention: "marschall2020".into(),
        enumerated: Enumerated {
            indexing: Indexing::StepReadsCurrentInput,
            initial_state: InitialState::ActivationOfGivenPreactivation,
            loss_normalisation: LossNormalisation::HalfSumOverSteps,
            error_sign: ErrorSign::OutputMinusTarget,
            update_sign: UpdateSign::Gradient,
            trace_timing: TraceTiming::SameStep,
            parameter_packing: ParameterPacking::PackedRecInBias,
            array_order: Order::RowMajor,
            flattened_parameter_order: Order::ColumnMajor,
            feedback: [
                ("outer".to_string(), FeedbackKind::ReadoutTranspose),
                (
                    "rflo".to_string(),
                    if c.random_feedback {
                        FeedbackKind::RandomFixed
                    } else {
                        FeedbackKind::ReadoutTranspose
                    },
                ),
                ("rtrl".to_string(), FeedbackKind::ReadoutTranspose),
                ("ebptt".to_string(), FeedbackKind::ReadoutTranspose),
                ("fbptt".to_string(), FeedbackKind::ReadoutTranspose),
                ("uoro".to_string(), FeedbackKind::ReadoutTranspose),
                ("kf_rtrl".to_string(), FeedbackKind::ReadoutTranspose),
                ("rkf_rtrl".to_string(), FeedbackKind::ReadoutTranspose),
                ("kernl".to_string(), FeedbackKind::ReadoutTranspose),
            ]
            .into(),
            derivative: DerivativeKind::Exact,
        },
        indexing: "t = 1..T with a_0 = phi(h_0): h_t = W_rec a_{t-1} + W_in x_t + b_rec, \
                   a_t = (1 - alpha) a_{t-1} + alpha phi(h_t), z_t = W_out a_t + b_out. Inputs \
                   x_1..x_T (row t-1); a holds a_0..a_T (first_step 0)."
            .into(),
        loss: "L_t = 1/2 |z_t - y*_t|^2 per step, error e_t = z_t - y*_t; the logged loss is \
               that divided by n_out. Totals sum the per-step gradients over t (no 1/T)."
            .into(),
        sign: "Gradients have the sign of the gradient; the optimiser subtracts them.".into(),
        leak_and_activation: "alpha-leak on the post-activation state a; phi identity or tanh \
                              (setting activation) with its exact derivative."
            .into(),
        trace_timing: "At step t: forward pass, trace/influence update, gradient of the current \
                       loss L_t; weights are frozen here (the gradients before any optimiser \
                       step). RFLO: B_t = (1 - alpha_R) B_{t-1} + alpha_R phi'(h_t) a_hat_t^T \
                       with a_hat_t = [a_{t-1}, x_t, 1] (no input lag), its own rate alpha_R. \
                       RTRL: M_t = J_t M_{t-1} + alpha diag(phi'(h_t)) kron a_hat_t. \
                       BPTT variants (truncation k = setting bptt_k, feedback W_out^T e_t, \
                       credit c_{s-1} = q_{s-1} + J_s^T c_s): Efficient BPTT returns, at the last \
                       step t of each window of k steps, sum over the window of \
                       (c_s * alpha phi'(h_s)) a_hat_s^T with c_t = q_t (zeros elsewhere and in a \
                       trailing partial window); Future BPTT returns at step t >= k the gradient \
                       through step t0 = t-k+1 of the losses L_t0..L_t, \
                       (c_t0 * alpha phi'(h_t0)) a_hat_t0^T (zeros for t < k). \
                       Stochastic algorithms (feedback q_t = W_out^T e_t, g_t = alpha phi'(h_t), \
                       |.| the Frobenius norm; their draws <rule>.nu, <rule>.A0, <rule>.B0 are \
                       inputs): UORO A_t = p0 J_t A + p1 nu_t, B_t = B/p0 + (nu_t * g_t) a_hat_t^T/p1, \
                       p0 = sqrt(|B|/|J_t A|), p1 = sqrt(|(nu_t * g_t) a_hat_t^T|/|nu_t|), \
                       gradient (q_t . A_t) B_t; KF-RTRL (nu0, nu1) A_t = nu0 p0 A + nu1 p1 \
                       a_hat_t, B_t = nu0 J_t B/p0 + nu1 diag(g_t)/p1, p0 = sqrt(|J_t B|/|A|), \
                       p1 = sqrt(|g_t|/|a_hat_t|), gradient [i, j] = (q_t^T B_t)_i A_t[j]; reverse \
                       KF-RTRL A_t = p0 A + p1 nu_t, B_t = J_t B/p0 + (nu_t * g_t) a_hat_t^T/p1, \
                       p0 = sqrt(|J_t B|/|A|), p1 as UORO's, gradient [i, j] = A_t[i] \
                       (q_t^T B_t)_j. With setting stochastic_unit_scaling p0 = p1 = 1; a p whose \
                       norms include a zero is 1. KeRNL (inputs kernl.zeta, kernl.A0, \
                       kernl.alpha0, kernl.lr): noisy state a~ <- a~ + zeta_{t-1} then one \
                       network step on x_t; kappa = max(0, 1 - rates); Gamma <- kappa Gamma - \
                       Omega; Omega <- kappa Omega + zeta_t; B_t = diag(kappa) B + alpha phi'(h_t) \
                       a_hat_t^T; err = A Omega - (a~ - a_t); SGD: A <- A - lr err Omega^T, \
                       rates <- rates - lr (A^T err) * Gamma; gradient [i, j] = (A^T q_t)_i \
                       B_t[i, j] with the updated A."
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
            "Efficient and Future BPTT: window, credit recursion and delivery step read from \
             learning_algorithms/Efficient_BPTT.py and Future_BPTT.py for this project."
                .into(),
            "UORO, KF-RTRL, reverse KF-RTRL: the factor updates, the p0/p1 formulas (norm = \
             utils.norm, the L2 norm of all entries; UORO's p1 divides by sqrt(n_h), which is \
             |nu| for signs), the P0/P1 overrides, the N(0, 1) initial factors, the default \
             'discrete' sign draws (Stochastic_Algorithm.sample_nu) and the gradients (UORO \
             (q . A) B; KF-RTRL np.kron(A, q B) reshaped order='F'; reverse KF-RTRL \
             outer(A, q B)) read from learning_algorithms/UORO.py, KF_RTRL.py, \
             Reverse_KF_RTRL.py (commit f06c62c) for this project."
                .into(),
            "KeRNL: the noisy network, the kernel max(0, 1 - alpha), the Omega/Gamma filters, the \
             trace B with the network's alpha, the SGD targets of A and alpha and the gradient \
             (B^T * q.A)^T read from learning_algorithms/KeRNL.py (commit 8011824) and \
             optimizers/Stochastic_Gradient_Descent.py for this project."
                .into(),
        ],
        unknown: vec![
            "Optimiser steps inside the sequence (online learning changes the weights from \
             step t + 1) are not simulated: weights are frozen."
                .into(),
            "The code's immediate influence (RTRL.py, Efficient_BPTT.py, Future_BPTT.py as read \
             at commit f06c62c) is phi'(h) without the factor alpha of da_t/dh_t, which would \
             scale its recurrent gradients by 1/alpha for alpha < 1; the preset keeps the exact \
             factor alpha (its gradients are exact gradients of the stated losses). Whether \
             other versions of the code include alpha is not known."
                .into(),
            "The code's optional credit clipping (c_clip_norm of Efficient BPTT) is not \
             reproduced (off by default there)."
                .into(),
            "Weight initialisations are the project's (Gaussian, seeded).".into(),
            "Stochastic algorithms: the code's immediate influence (papw in UORO.py and \
             Reverse_KF_RTRL.py, D in KF_RTRL.py) is phi'(h) without alpha, as in its RTRL; the \
             preset keeps alpha (so that the mean over draws is the preset's RTRL). Where a norm \
             in p0 or p1 is zero (zero initial factors) the code divides by zero; the preset \
             takes that p as 1. The code's forward-differentiation option (epsilon) of UORO and \
             its gaussian/uniform nu_dist are not reproduced. The order in which the code draws \
             nu and the initial factors from numpy's global generator is not reproduced: the \
             draws are the project's (seeded) and stored in the fixture."
                .into(),
            "KeRNL: the noisy copy starts at a_0 (the code deep-copies the network when the \
             algorithm is created, assumed right after reset); the optimiser is plain SGD \
             (Stochastic_Gradient_Descent without decay, clipping or normalisation); T_reset is \
             not reproduced; the perturbations are the project's seeded draws."
                .into(),
        ],
    }
}
