//! Singular-value spectra of W_K − W_0 per rule (after Fig. 6; settings chosen by the project).
use super::{Figure, Series, Style};
use crate::catalogue::Budget;
use crate::error::Result;
use crate::lowrank::experiment::{RULES, Settings, run_one};

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
        series.push(Series {
            label: name.to_string(),
            points,
            style: Style::Line,
        });
    }
    Ok(Figure {
        name: "rank_spectra".into(),
        title: format!(
            "Singular values of W_K − W_0 per rule (o = 1, K = {steps}; settings chosen by the project)"
        ),
        x_label: "index i".into(),
        y_label: "σ_i / σ_1 (floored at 1e-18)".into(),
        log_x: false,
        log_y: true,
        series,
    })
}
