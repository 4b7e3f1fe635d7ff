//! Singular-value spectra of W_K − W_0 per rule (theory: `docs/theory/lowrank.md`; after the
//! paper's Fig. 6, settings chosen by the project).
use super::{Figure, Series, Style};
use crate::error::Result;
use crate::evidence::Budget;
use crate::lowrank::experiment::{RULES, Settings, run_one};
use crate::tolerances::RANK_REL_GAP;

/// σ_i / σ_1 of `W_K − W_0` for each rule on seed 0 of the project's student–teacher experiment
/// (one seed; 3000 steps at quick budget, 12000 at full).
pub fn rank_spectra(budget: Budget) -> Result<Figure> {
    let steps = if budget == Budget::Full {
        12_000
    } else {
        3_000
    };
    let s = Settings::with(1, steps);
    let mut series = Vec::new();
    for name in RULES {
        let out = run_one(&s, name, 0)?;
        let top = out.spectrum.first().copied().unwrap_or(0.0);
        let points = out
            .spectrum
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    (i + 1) as f64,
                    if top > 0.0 {
                        (v / top).max(1e-18)
                    } else {
                        1e-18
                    },
                )
            })
            .collect();
        let (label, style) = match name {
            "bptt" => ("BPTT", Style::LineMarkers),
            "tbptt:1" => ("tBPTT(1)", Style::Dashed),
            "rflo" => ("RFLO", Style::Line),
            "eprop-random" => ("e-prop (random feedback)", Style::Line),
            other => (other, Style::Line),
        };
        series.push(Series {
            label: label.to_string(),
            points,
            style,
        });
    }
    series.push(Series {
        label: "rank threshold σ_i/σ_1 = 1e-10".into(),
        points: vec![(1.0, RANK_REL_GAP), (8.0, RANK_REL_GAP)],
        style: Style::Reference,
    });
    Ok(Figure {
        name: "rank_spectra".into(),
        title: "Rank of the learned change W_K − W_0 per rule".into(),
        caption: format!(
            "Singular values σ_i/σ_1 of W_K − W_0 after K = {steps} steps, seed 0 of the project's \
             student–teacher run with o = 1 (after the paper's Fig. 6; settings chosen by the \
             project). Look for: RFLO's spectrum falls to rounding level after σ_1 — rank 1 = o, as \
             Proposition 3.1 says; BPTT and e-prop keep several singular values well above the \
             threshold; tBPTT(1) decays faster than BPTT. Values below 1e-18 are drawn at 1e-18."
        ),
        x_label: "index i".into(),
        y_label: "σ_i / σ_1".into(),
        log_x: false,
        log_y: true,
        series,
    })
}
