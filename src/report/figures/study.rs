//! Figures of the convergence study: heat maps of the converged fraction, the detour's learning time
//! (after Fig. 4) and the rank spectra under the study's selected settings (after Fig. 6). Settings
//! chosen by the project.
use super::{Figure, Series, Style};
use crate::catalogue::Budget;
use crate::error::Result;
use crate::modes::ModeRule;
use crate::rnn::Mode;
use crate::study::analysis::Heatmap;
use crate::study::detour::{self, A_HAT, START, TEACHER, W_HAT};
use crate::study::{RULES, run_one, selected};
use crate::tolerances::DETOUR_REACH_FRACTION;
use plotters::prelude::*;
use std::path::Path;

/// Renders a heat map (converged fraction from 0 = white to 1 = dark blue, value printed in each
/// cell; grey where no run) to an SVG file.
pub fn render_heatmap(h: &Heatmap, path: &Path) -> std::result::Result<(), String> {
    let root = SVGBackend::new(path, (720, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (nx, ny) = (h.x.1.len(), h.y.1.len());
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "{}: converged fraction over {} and {}",
                h.rule, h.x.0, h.y.0
            ),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..nx as f64, 0.0..ny as f64)
        .map_err(|e| e.to_string())?;
    let xs = h.x.1.clone();
    let ys = h.y.1.clone();
    let fx = move |v: &f64| {
        let i = v.floor() as usize;
        if (v - i as f64 - 0.5).abs() < 1e-9 {
            xs.get(i).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    let fy = move |v: &f64| {
        let i = v.floor() as usize;
        if (v - i as f64 - 0.5).abs() < 1e-9 {
            ys.get(i).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(&h.x.0)
        .y_desc(&h.y.0)
        .x_labels(2 * nx + 1)
        .y_labels(2 * ny + 1)
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .draw()
        .map_err(|e| e.to_string())?;
    for (iy, row) in h.cells.iter().enumerate() {
        for (ix, &v) in row.iter().enumerate() {
            let color = if v.is_finite() {
                let t = v.clamp(0.0, 1.0);
                let mix = |hi: f64, lo: f64| (hi + (lo - hi) * t) as u8;
                RGBColor(mix(255.0, 8.0), mix(255.0, 48.0), mix(255.0, 107.0))
            } else {
                RGBColor(200, 200, 200)
            };
            let (x0, y0) = (ix as f64, iy as f64);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0, y0), (x0 + 1.0, y0 + 1.0)],
                    color.filled(),
                )))
                .map_err(|e| e.to_string())?;
            let label = if v.is_finite() {
                format!("{v:.2}")
            } else {
                "–".into()
            };
            let ink = if v.is_finite() && v > 0.5 {
                WHITE
            } else {
                BLACK
            };
            chart
                .draw_series(std::iter::once(Text::new(
                    label,
                    (x0 + 0.4, y0 + 0.5),
                    ("sans-serif", 14).into_font().color(&ink),
                )))
                .map_err(|e| e.to_string())?;
        }
    }
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}

/// Time to reach the manifold (`L_∞ ≤ DETOUR_REACH_FRACTION · L_0`) against the start's
/// a_0 ∈ [0.1, 1.5] (b_0 = 1, w_0 = 0.6; teacher (2, 1, 0.5); RFLO â = −0.5, ŵ = 0): RFLO, its
/// nearest-branch prediction (RFLO from the mirror start (−a_0, −1, 0.6)), and BPTT. The start is
/// nearer the branch s > 0, which RFLO with â < 0 cannot settle on, so RFLO's time exceeds the
/// prediction; starts whose detour leaves |w| < 1 have no time and are not drawn.
pub fn detour_times(budget: Budget) -> Result<Figure> {
    let teacher = Mode::new(TEACHER.0, TEACHER.1, TEACHER.2);
    let count = if budget == Budget::Full { 41 } else { 21 };
    let (mut rflo, mut mirror, mut bptt) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..count {
        let a0 = 0.1 + 1.4 * i as f64 / (count - 1) as f64;
        let start = [a0, START[1], START[2]];
        let d = detour::measure(&teacher, start, A_HAT, W_HAT, DETOUR_REACH_FRACTION, 200.0)?;
        if let Some(t) = d.rflo.tau {
            rflo.push((a0, t));
        }
        if let Some(t) = d.mirror.tau {
            mirror.push((a0, t));
        }
        if let Some(t) = d.bptt.tau {
            bptt.push((a0, t));
        }
    }
    let name = ModeRule::Rflo {
        a_hat: A_HAT,
        w_hat: W_HAT,
    }
    .name();
    Ok(Figure {
        name: "detour_time".into(),
        title: "Time to the manifold from (a_0, 1, 0.6): RFLO (â = −0.5, ŵ = 0) vs the nearest-branch prediction".into(),
        x_label: "a_0".into(),
        y_label: "τ to L ≤ 1e-4 L_0".into(),
        log_x: false,
        log_y: true,
        caption: "Look for RFLO's points above the prediction line where a_0 has the sign opposite to â: \
                  those starts must detour through a ≈ 0 to the branch sgn(a) = sgn(â), while the \
                  prediction (the mirror start, already on that branch) and BPTT go straight."
            .into(),
        series: vec![
            Series {
                label: name,
                points: rflo,
                style: Style::Points,
            },
            Series {
                label: "nearest-branch prediction (RFLO from the mirror start)".into(),
                points: mirror,
                style: Style::Line,
            },
            Series {
                label: "bptt".into(),
                points: bptt,
                style: Style::Line,
            },
        ],
    })
}

/// σ_i / σ_1 of `W_K − W_0` per rule at the study's selected point ([`selected`]), seed 0.
pub fn study_rank_spectra(_budget: Budget) -> Result<Figure> {
    let p = selected();
    let mut series = Vec::new();
    for name in RULES {
        let rec = run_one(&p, name, 0)
            .map_err(|e| crate::LroError::Unsupported(format!("study run failed: {e}")))?;
        let top = rec.spectrum.first().copied().unwrap_or(0.0);
        let points = rec
            .spectrum
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let r = if top > 0.0 { v / top } else { 0.0 };
                ((i + 1) as f64, r.max(1e-18))
            })
            .collect();
        series.push(Series {
            label: name.to_string(),
            points,
            style: Style::Line,
        });
    }
    Ok(Figure {
        name: "study_rank_spectra".into(),
        title: format!(
            "Singular values of W_K − W_0 at the study's point (o = {}, init {}, K = {})",
            p.o, p.init_std, p.steps
        ),
        x_label: "index i".into(),
        y_label: "σ_i / σ_1 (floored at 1e-18)".into(),
        log_x: false,
        log_y: true,
        caption: "RFLO's spectrum must fall to rounding level after index o (its change lies in \
                  col(Rᵀ)); BPTT's stays high over many indices; e-prop and one-step tBPTT sit between."
            .into(),
        series,
    })
}
