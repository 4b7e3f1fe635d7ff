//! Figures of the convergence study: heat maps of the converged fraction, the detour's learning time
//! (after Fig. 4) and the rank spectra under the study's selected settings (after Fig. 6). Settings
//! chosen by the project.
use super::{Figure, Series, Style};
use crate::error::Result;
use crate::evidence::Budget;
use crate::modes::ModeRule;
use crate::rnn::Mode;
use crate::study::analysis::Heatmap;
use crate::study::detour::{self, A_HAT, START, TEACHER, W_HAT};
use crate::study::{RULES, run_one, selected};
use crate::tolerances::DETOUR_REACH_FRACTION;
use plotters::prelude::*;
use std::path::Path;

/// What an axis of the study's grids is, with its unit, for figure labels.
pub fn axis_label(name: &str) -> String {
    match name {
        "init" => "initial weight scale (std × √fan-in; dimensionless)",
        "eta" => "learning rate η (per step)",
        "sched" => "η schedule",
        "T" => "horizon T (time steps)",
        "K" => "training steps K (steps)",
        "n" => "hidden units n (count)",
        "m" => "teacher modes m (count)",
        "o" => "output dimension o (count)",
        "d" => "input dimension d (count)",
        "what" => "RFLO surrogate ŵ (dimensionless)",
        "fb" => "feedback distribution",
        "upd" => "update kind",
        other => other,
    }
    .to_string()
}

/// The cell colour of a converged fraction: white at 0 to dark blue at 1 (grey where no run).
fn cell_color(v: f64) -> RGBColor {
    if v.is_finite() {
        let t = v.clamp(0.0, 1.0);
        let mix = |hi: f64, lo: f64| (hi + (lo - hi) * t) as u8;
        RGBColor(mix(255.0, 8.0), mix(255.0, 48.0), mix(255.0, 107.0))
    } else {
        RGBColor(200, 200, 200)
    }
}

/// Draws one heat map (title: the rule) into `area`: a cell per (x, y) value pair with the
/// fraction printed in it, the axes labelled with their units.
fn draw_panel(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    h: &Heatmap,
    title: &str,
) -> std::result::Result<(), super::FigureError> {
    let (nx, ny) = (h.x.1.len(), h.y.1.len());
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(10)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..nx as f64, 0.0..ny as f64)
        .map_err(super::err)?;
    let xs = h.x.1.clone();
    let ys = h.y.1.clone();
    // Ticks fall on cell centres only: label those with the axis value.
    let centre = |v: f64, values: &[String]| {
        let i = v.floor() as usize;
        if (v - i as f64 - 0.5).abs() < 1e-9 {
            values.get(i).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    let fx = move |v: &f64| centre(*v, &xs);
    let fy = move |v: &f64| centre(*v, &ys);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(axis_label(&h.x.0))
        .y_desc(axis_label(&h.y.0))
        .x_labels(2 * nx + 1)
        .y_labels(2 * ny + 1)
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .draw()
        .map_err(super::err)?;
    for (iy, row) in h.cells.iter().enumerate() {
        for (ix, &v) in row.iter().enumerate() {
            let (x0, y0) = (ix as f64, iy as f64);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0, y0), (x0 + 1.0, y0 + 1.0)],
                    cell_color(v).filled(),
                )))
                .map_err(super::err)?;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0, y0), (x0 + 1.0, y0 + 1.0)],
                    RGBColor(120, 120, 120).stroke_width(1),
                )))
                .map_err(super::err)?;
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
                .map_err(super::err)?;
        }
    }
    Ok(())
}

/// Renders one heat map (converged fraction from 0 = white to 1 = dark blue, value printed in each
/// cell; grey where no run) to an SVG file.
pub fn render_heatmap(h: &Heatmap, path: &Path) -> std::result::Result<(), super::FigureError> {
    let root = SVGBackend::new(path, (720, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(super::err)?;
    draw_panel(
        &root,
        h,
        &format!(
            "{}: converged fraction over {} and {}",
            h.rule, h.x.0, h.y.0
        ),
    )?;
    root.present().map_err(super::err)?;
    Ok(())
}

/// Renders heat maps side by side (two per row, one per rule) under a title, with a colour key
/// and the caption below the panels (never on the data).
pub fn render_heatmaps(
    maps: &[Heatmap],
    title: &str,
    caption: &str,
    path: &Path,
) -> std::result::Result<(), super::FigureError> {
    const W: u32 = 1000;
    const PANEL_H: u32 = 340;
    const TITLE_H: u32 = 34;
    const KEY_H: i32 = 34;
    const LINE: i32 = 17;
    let rows = maps.len().div_ceil(2).max(1) as u32;
    let lines = super::wrap(caption, ((W as f64 - 40.0) / super::CHAR_PX) as usize);
    let height = TITLE_H + rows * PANEL_H + KEY_H as u32 + 8 + lines.len() as u32 * LINE as u32 + 8;
    let root = SVGBackend::new(path, (W, height)).into_drawing_area();
    root.fill(&WHITE).map_err(super::err)?;
    let (head, rest) = root.split_vertically(TITLE_H);
    head.draw(&Text::new(
        title.to_string(),
        (20, 8),
        ("sans-serif", 18).into_font().color(&BLACK),
    ))
    .map_err(super::err)?;
    let (grid, below) = rest.split_vertically(rows * PANEL_H);
    let panels = grid.split_evenly((rows as usize, 2));
    for (h, area) in maps.iter().zip(&panels) {
        draw_panel(area, h, &h.rule)?;
    }
    // Colour key: swatches for 0, 0.2, …, 1.
    let font = ("sans-serif", 13).into_font();
    below
        .draw(&Text::new(
            "converged fraction:".to_string(),
            (20, 10),
            font.clone().color(&BLACK),
        ))
        .map_err(super::err)?;
    for k in 0..=5 {
        let v = k as f64 / 5.0;
        let x = 160 + k * 70;
        below
            .draw(&Rectangle::new(
                [(x, 6), (x + 22, 24)],
                cell_color(v).filled(),
            ))
            .map_err(super::err)?;
        below
            .draw(&Rectangle::new(
                [(x, 6), (x + 22, 24)],
                RGBColor(120, 120, 120).stroke_width(1),
            ))
            .map_err(super::err)?;
        below
            .draw(&Text::new(
                format!("{v:.1}"),
                (x + 27, 10),
                font.clone().color(&BLACK),
            ))
            .map_err(super::err)?;
    }
    for (k, line) in lines.iter().enumerate() {
        below
            .draw(&Text::new(
                line.clone(),
                (20, KEY_H + 8 + k as i32 * LINE),
                font.clone().color(&RGBColor(40, 40, 40)),
            ))
            .map_err(super::err)?;
    }
    root.present().map_err(super::err)?;
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
