//! Catalogue entries EDGE-RNN-1, EDGE-RNN-2 (where Proposition 3.1 stops holding), EDGE-RNN-3 and
//! EDGE-RNN-4 (where the per-mode reduction stops: misaligned weights, coloured input), EDGE-CL-1 and
//! EDGE-CL-2 (where Eq.3-R's stationary point stops), shown by
//! counterexample (`docs/theory/lowrank.md#where-it-stops`). Each pairs the counterexample with the
//! same setup inside the theorem's assumptions, which must stay exactly inside `col(Rᵀ)`, so the entry
//! notices if the boundary moved either way.
//!
//! One file per area: `rank` (Proposition 3.1's boundaries), `modes` (the per-mode reduction's),
//! `contrastive` (Eq.3-R's).
use super::Entry;

mod contrastive;
mod modes;
mod rank;

use contrastive::{phase_locked_to_stream, step_beyond_stable_range};
use modes::{coloured_input_drifts, misaligned_drifts};
use rank::{diagonal_surrogate_leaves, rflo_tanh_leaves};

/// The entries of this area.
pub fn entries() -> Vec<Entry> {
    vec![
        entry!(
            "EDGE-RNN-1",
            RnnLowRank,
            [Derived],
            "Proposition 3.1 needs a linear network: with tanh (leaky or not) RFLO's change \
             [W_K − W_0 | B_K − B_0] leaves col(Rᵀ); the same runs with the identity activation \
             stay exactly inside",
            rflo_tanh_leaves,
        ),
        entry!(
            "EDGE-RNN-2",
            RnnLowRank,
            [Derived],
            "Proposition 3.1 needs a scalar surrogate ŵ: with a diagonal, non-scalar Ŵ = diag(W) \
             (e-prop's trace with random feedback R) the change leaves col(Rᵀ); with diag(W) = c·I \
             it equals RFLO with ŵ = c and stays inside",
            diagonal_surrogate_leaves,
        ),
        entry!(
            "EDGE-RNN-3",
            RnnModes,
            [Derived],
            "The per-mode reduction needs aligned weights: from an aligned student the per-mode map \
             is the network's expected-update run exactly; a misalignment ε (off-diagonal in the \
             teacher's basis) makes the network's loss ratios drift from the map's, at order ε²",
            misaligned_drifts,
        ),
        entry!(
            "EDGE-RNN-4",
            RnnModes,
            [Derived],
            "The per-mode reduction's white-input map needs white input: under AR(1) input with \
             lag-one correlation ρ the aligned network stays diagonal but follows the per-mode map \
             with weights ρ^|j−k|, so its loss ratios drift from the white map's at order ρ¹; at \
             ρ = 0 they are the same run exactly",
            coloured_input_drifts,
        ),
        entry!(
            "EDGE-CL-1",
            Contrastive,
            [Derived],
            "Eq.3-R's stationary point needs a step below η* = 2/ω₋ (Gaussian toy, fresh samples): \
             just below, θ settles at E[θ | −] = m; just above, it diverges",
            step_beyond_stable_range,
        ),
        entry!(
            "EDGE-CL-2",
            Contrastive,
            [Derived],
            "Eq.3-R's stationary point needs a phase process independent of the data stream \
             (Gaussian toy, period-2 stream with clusters m ± δ): phases drawn independently land on \
             m; strict alternation locked to the stream lands on m + δ, and a partial lock λ on \
             m + (2λ − 1)δ",
            phase_locked_to_stream,
        ),
    ]
}
