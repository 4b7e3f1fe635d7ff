//! SVG figures for the report (plotters, SVG backend: no fonts or system libraries needed).
//!
//! Each figure is data ([`Figure`]) built by a function of the budget, then rendered by
//! [`render_svg`]; the data is testable without looking at pictures.
mod contrastive;
mod edges;
pub mod family;
mod gradcheck;
mod lowrank;
mod modes;
pub mod study;

pub use contrastive::{cl_trajectories, ep_bias_vs_beta, locked_stream_shift};
pub use edges::{
    forecast_drift_vs_correlation, forecast_drift_vs_misalignment, rflo_outside_vs_scale,
    rflo_rank_vs_length, rflo_rank_vs_scale,
};
pub use family::{estimator_variance_vs_n, gradient_alignment_vs_n};
pub use gradcheck::gradcheck_steps;
pub use lowrank::rank_spectra;
pub use modes::{detour_loss, phase_portrait, rates_vs_s};
pub use study::{detour_times, study_rank_spectra};

use crate::error::Result;
use crate::evidence::Budget;
use plotters::prelude::*;
use std::path::Path;

/// How a series is drawn. Curves that may lie on top of each other get different styles (solid,
/// dashed, solid with markers), not only different colours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Style {
    /// A solid polyline through the points.
    #[default]
    Line,
    /// Markers only.
    Points,
    /// A dashed polyline.
    Dashed,
    /// A thin solid polyline with hollow markers spaced along it.
    LineMarkers,
    /// A guide drawn thin, dashed and grey: a reference slope, a prediction, a manifold. Guides do
    /// not use up a colour of the palette.
    Reference,
}

/// One data series.
#[derive(Clone, Debug, Default)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// (x, y) points.
    pub points: Vec<(f64, f64)>,
    /// How it is drawn.
    pub style: Style,
}

/// A 2-D figure.
#[derive(Clone, Debug, Default)]
pub struct Figure {
    /// File stem (`NAME.svg`).
    pub name: String,
    /// Short title, drawn above the chart and used as the heading in `report.md`.
    pub title: String,
    /// What to look for, with the settings: drawn under the chart and shown in `report.md`.
    pub caption: String,
    /// x-axis label (with its unit).
    pub x_label: String,
    /// y-axis label (with its unit).
    pub y_label: String,
    /// Logarithmic x axis (ticks labelled in powers of ten).
    pub log_x: bool,
    /// Logarithmic y axis (ticks labelled in powers of ten).
    pub log_y: bool,
    /// The data.
    pub series: Vec<Series>,
}

impl Figure {
    /// The figure's text for `report.md`: the title and the caption.
    pub fn report_caption(&self) -> String {
        if self.caption.is_empty() {
            self.title.clone()
        } else {
            format!("{}. {}", self.title.trim_end_matches('.'), self.caption)
        }
    }
}

/// The reference line `y = y0 (x/x0)^slope` over `[x_lo, x_hi]` (two points; straight on log–log
/// axes), for a claimed power law.
pub fn reference_slope(label: &str, x0: f64, y0: f64, slope: f64, x_lo: f64, x_hi: f64) -> Series {
    let y = |x: f64| y0 * (x / x0).powf(slope);
    Series {
        label: label.into(),
        points: vec![(x_lo, y(x_lo)), (x_hi, y(x_hi))],
        style: Style::Reference,
    }
}

/// Maps a data coordinate to the drawn one (log axes are drawn as log10 on a linear axis, so that
/// every tick can be labelled).
fn to_axis(v: f64, log: bool) -> Option<f64> {
    if !v.is_finite() || (log && v <= 0.0) {
        None
    } else if log {
        Some(v.log10())
    } else {
        Some(v)
    }
}

fn bounds(fig: &Figure, pick: impl Fn(&(f64, f64)) -> f64, log: bool) -> (f64, f64) {
    let vals: Vec<f64> = fig
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(&pick))
        .filter_map(|v| to_axis(v, log))
        .collect();
    let (lo, hi) = vals
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (-1.0, 1.0);
    }
    let span = hi - lo;
    let pad = if span > 0.0 {
        span * 0.04
    } else {
        lo.abs().max(1.0) * 0.1
    };
    (lo - pad, hi + pad)
}

/// Tick text: powers of ten on log axes (`1e-12`, `0.1`, `1`, `100`), plain numbers otherwise. On a
/// log axis spanning two decades or more only whole decades are labelled.
fn tick_label(v: f64, log: bool, decades: f64) -> String {
    if !log {
        return crate::evidence::human((v * 1e9).round() / 1e9);
    }
    let k = v.round();
    if (v - k).abs() > 1e-6 {
        return if decades >= 2.0 {
            String::new()
        } else {
            three_significant(10f64.powf(v))
        };
    }
    match k as i32 {
        -2 => "0.01".into(),
        -1 => "0.1".into(),
        0 => "1".into(),
        1 => "10".into(),
        2 => "100".into(),
        e => format!("1e{e}"),
    }
}

/// A positive number with three significant digits (`6.31`, `0.0251`, `3.98e-7`).
fn three_significant(x: f64) -> String {
    if !(1e-3..1e5).contains(&x) {
        return format!("{x:.2e}");
    }
    let digits = (2 - x.log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

const PALETTE: [RGBColor; 7] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
    RGBColor(140, 86, 75),
];
const GUIDE: RGBColor = RGBColor(90, 90, 90);

/// Colours in series order; guides are grey and do not use up a palette colour.
fn colors(fig: &Figure) -> Vec<RGBColor> {
    let mut next = 0;
    fig.series
        .iter()
        .map(|s| {
            if s.style == Style::Reference {
                GUIDE
            } else {
                next += 1;
                PALETTE[(next - 1) % PALETTE.len()]
            }
        })
        .collect()
}

const WIDTH: u32 = 760;
const CHART_HEIGHT: u32 = 440;
const FONT: &str = "sans-serif";
const LEGEND_ROW: i32 = 20;
const CAPTION_LINE: i32 = 17;
/// Approximate advance of one character of the 13 px legend and caption font.
pub(crate) const CHAR_PX: f64 = 6.6;

/// Splits text into lines of at most `width` characters at spaces.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Legend entries packed into rows below the chart: (series index, x offset, row).
fn legend_layout(fig: &Figure) -> Vec<(usize, i32, i32)> {
    let mut out = Vec::new();
    let (mut x, mut row) = (0i32, 0i32);
    let usable = WIDTH as i32 - 40;
    for (i, s) in fig.series.iter().enumerate() {
        let w = 40 + (s.label.chars().count() as f64 * CHAR_PX) as i32 + 18;
        if x > 0 && x + w > usable {
            x = 0;
            row += 1;
        }
        out.push((i, x, row));
        x += w;
    }
    out
}

/// At most about `count` points spaced evenly by arc length along a polyline (lengths measured in
/// fractions of the axis spans, so markers spread along what the reader sees), ends included.
fn spaced_markers(pts: &[(f64, f64)], span: (f64, f64), count: usize) -> Vec<(f64, f64)> {
    let (sx, sy) = (span.0.abs().max(1e-300), span.1.abs().max(1e-300));
    let mut cum = vec![0.0];
    for w in pts.windows(2) {
        let d = (((w[1].0 - w[0].0) / sx).powi(2) + ((w[1].1 - w[0].1) / sy).powi(2)).sqrt();
        cum.push(cum[cum.len() - 1] + d);
    }
    let total = cum.last().copied().unwrap_or(0.0);
    if pts.is_empty() || total <= 0.0 {
        return pts.first().copied().into_iter().collect();
    }
    let mut out = Vec::new();
    let mut next = 0.0;
    // At most `count` markers, and no closer than 4 % of the axis spans.
    let step = (total / count.max(1) as f64).max(0.04);
    for (p, c) in pts.iter().zip(&cum) {
        if *c >= next {
            out.push(*p);
            next = c + step;
        }
    }
    if let Some(&last) = pts.last()
        && out.last() != Some(&last)
    {
        out.push(last);
    }
    out
}

/// Why a figure could not be drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FigureError {
    /// The SVG backend failed: the file could not be written, or the chart could not be laid out.
    #[error("the SVG backend failed: {0} (check that the output folder exists and is writable)")]
    Backend(String),
}

pub(super) fn err(e: impl std::fmt::Display) -> FigureError {
    FigureError::Backend(e.to_string())
}

/// Renders a figure to an SVG file: the chart, then the legend and the caption below it (never on
/// top of the data).
pub fn render_svg(fig: &Figure, path: &Path) -> std::result::Result<(), FigureError> {
    let legend = legend_layout(fig);
    let legend_rows = legend.iter().map(|l| l.2 + 1).max().unwrap_or(0);
    let caption = wrap(&fig.caption, ((WIDTH as f64 - 40.0) / CHAR_PX) as usize);
    let height = CHART_HEIGHT as i32
        + 8
        + legend_rows * LEGEND_ROW
        + if caption.is_empty() {
            0
        } else {
            8 + caption.len() as i32 * CAPTION_LINE
        }
        + 8;
    let root = SVGBackend::new(path, (WIDTH, height as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let (upper, lower) = root.split_vertically(CHART_HEIGHT);
    let colors = colors(fig);
    let (x0, x1) = bounds(fig, |p| p.0, fig.log_x);
    let (y0, y1) = bounds(fig, |p| p.1, fig.log_y);
    let mut chart = ChartBuilder::on(&upper)
        .caption(&fig.title, (FONT, 18))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(76)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    let (fx, fy) = (
        |v: &f64| tick_label(*v, fig.log_x, x1 - x0),
        |v: &f64| tick_label(*v, fig.log_y, y1 - y0),
    );
    chart
        .configure_mesh()
        .x_desc(&fig.x_label)
        .y_desc(&fig.y_label)
        .x_labels(9)
        .y_labels(9)
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(err)?;
    for (s, &color) in fig.series.iter().zip(&colors) {
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter_map(|&(x, y)| Some((to_axis(x, fig.log_x)?, to_axis(y, fig.log_y)?)))
            .collect();
        match s.style {
            Style::Line => {
                chart
                    .draw_series(LineSeries::new(pts, color.stroke_width(2)))
                    .map_err(err)?;
            }
            Style::Dashed => {
                chart
                    .draw_series(DashedLineSeries::new(pts, 9, 6, color.stroke_width(2)))
                    .map_err(err)?;
            }
            Style::Reference => {
                chart
                    .draw_series(DashedLineSeries::new(pts, 5, 4, color.stroke_width(1)))
                    .map_err(err)?;
            }
            Style::Points => {
                chart
                    .draw_series(pts.into_iter().map(|p| Circle::new(p, 3, color.filled())))
                    .map_err(err)?;
            }
            Style::LineMarkers => {
                let marks = spaced_markers(&pts, (x1 - x0, y1 - y0), 12);
                chart
                    .draw_series(LineSeries::new(pts, color.stroke_width(1)))
                    .map_err(err)?;
                chart
                    .draw_series(marks.into_iter().map(|p| {
                        EmptyElement::at(p)
                            + Rectangle::new([(-4, -4), (4, 4)], color.stroke_width(2))
                    }))
                    .map_err(err)?;
            }
        }
    }
    let font = (FONT, 13).into_font();
    for (i, x, row) in legend {
        let (s, color) = (&fig.series[i], colors[i]);
        let (x, y) = (20 + x, 8 + row * LEGEND_ROW + LEGEND_ROW / 2);
        match s.style {
            Style::Line => lower
                .draw(&PathElement::new(
                    vec![(x, y), (x + 32, y)],
                    color.stroke_width(2),
                ))
                .map_err(err)?,
            Style::Dashed | Style::Reference => {
                let (w, dash) = if s.style == Style::Dashed {
                    (2, 9)
                } else {
                    (1, 5)
                };
                let mut a = x;
                while a < x + 32 {
                    lower
                        .draw(&PathElement::new(
                            vec![(a, y), ((a + dash).min(x + 32), y)],
                            color.stroke_width(w),
                        ))
                        .map_err(err)?;
                    a += dash + 5;
                }
            }
            Style::Points => lower
                .draw(&Circle::new((x + 16, y), 3, color.filled()))
                .map_err(err)?,
            Style::LineMarkers => {
                lower
                    .draw(&PathElement::new(
                        vec![(x, y), (x + 32, y)],
                        color.stroke_width(1),
                    ))
                    .map_err(err)?;
                lower
                    .draw(&Rectangle::new(
                        [(x + 12, y - 4), (x + 20, y + 4)],
                        color.stroke_width(2),
                    ))
                    .map_err(err)?;
            }
        }
        lower
            .draw(&Text::new(
                s.label.clone(),
                (x + 40, y - 7),
                font.clone().color(&BLACK),
            ))
            .map_err(err)?;
    }
    let top = 8 + legend_rows * LEGEND_ROW + 8;
    for (k, line) in caption.iter().enumerate() {
        lower
            .draw(&Text::new(
                line.clone(),
                (20, top + k as i32 * CAPTION_LINE),
                font.clone().color(&RGBColor(40, 40, 40)),
            ))
            .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

/// Errors below this are drawn at this value (an exact zero has no place on a log axis).
pub(crate) const PLOT_FLOOR: f64 = 1e-40;

/// A figure builder.
pub type Builder = fn(Budget) -> Result<Figure>;

/// Every figure of the report, in order.
pub fn builders() -> Vec<Builder> {
    vec![
        gradcheck_steps,
        rates_vs_s,
        phase_portrait,
        detour_loss,
        rank_spectra,
        rflo_rank_vs_scale,
        rflo_outside_vs_scale,
        rflo_rank_vs_length,
        forecast_drift_vs_misalignment,
        forecast_drift_vs_correlation,
        estimator_variance_vs_n,
        gradient_alignment_vs_n,
        detour_times,
        study_rank_spectra,
        ep_bias_vs_beta,
        cl_trajectories,
        locked_stream_shift,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ticks_are_powers_of_ten() {
        assert_eq!(tick_label(-12.0, true, 10.0), "1e-12");
        assert_eq!(tick_label(0.0, true, 10.0), "1");
        assert_eq!(tick_label(-1.0, true, 10.0), "0.1");
        assert_eq!(tick_label(2.0, true, 10.0), "100");
        assert_eq!(tick_label(-3.5, true, 10.0), "");
        assert_eq!(tick_label(0.5, true, 1.0), "3.16");
        assert_eq!(tick_label(0.8, true, 1.5), "6.31");
        assert_eq!(tick_label(-1.6, true, 1.5), "0.0251");
        assert_eq!(tick_label(2.3, true, 1.5), "200");
        assert_eq!(tick_label(0.25, false, 1.0), "0.25");
    }

    #[test]
    fn markers_spread_by_arc_length_and_keep_the_ends() {
        // Dense points on the first tenth, sparse on the rest: markers still spread evenly.
        let mut pts: Vec<(f64, f64)> = (0..1000).map(|i| (i as f64 * 1e-4, 0.0)).collect();
        pts.extend((1..=9).map(|i| (0.1 * (1 + i) as f64, 0.0)));
        let m = spaced_markers(&pts, (1.0, 1.0), 10);
        assert_eq!(m.first(), Some(&(0.0, 0.0)));
        assert_eq!(m.last(), Some(&(1.0, 0.0)));
        assert!(m.len() >= 9 && m.len() <= 12, "{} markers", m.len());
        assert!(m.iter().filter(|p| p.0 < 0.1).count() <= 2);
    }

    #[test]
    fn legend_rows_fit_the_width() {
        let fig = Figure {
            series: (0..6)
                .map(|i| Series {
                    label: format!("a rather long legend label number {i}"),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        let rows = legend_layout(&fig);
        for (i, x, _) in &rows {
            let w = 40 + (fig.series[*i].label.chars().count() as f64 * CHAR_PX) as i32;
            assert!(x + w <= WIDTH as i32 - 40, "entry {i} overflows");
        }
        assert!(rows.iter().map(|r| r.2).max().unwrap() >= 2);
    }

    #[test]
    fn reference_slope_has_the_slope() {
        let s = reference_slope("s", 1e-3, 1e-6, 2.0, 1e-4, 1e-2);
        let (a, b) = (s.points[0], s.points[1]);
        let slope = (b.1.log10() - a.1.log10()) / (b.0.log10() - a.0.log10());
        assert!((slope - 2.0).abs() < crate::tolerances::F64_IDENTITY_REL);
        assert_eq!(s.style, Style::Reference);
    }
}
