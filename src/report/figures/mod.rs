//! SVG figures for the report (plotters, SVG backend: no fonts or system libraries needed).
//!
//! Each figure is data ([`Figure`]) built by a function of the budget, then rendered by
//! [`render_svg`]; the data is testable without looking at pictures.
mod contrastive;
mod gradcheck;
mod lowrank;
mod modes;
pub mod study;

pub use contrastive::{cl_trajectories, ep_bias_vs_beta};
pub use gradcheck::gradcheck_steps;
pub use lowrank::rank_spectra;
pub use modes::{detour_loss, phase_portrait, rates_vs_s};
pub use study::{detour_times, study_rank_spectra};

use crate::catalogue::Budget;
use crate::error::Result;
use plotters::prelude::*;
use std::path::Path;

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// A polyline through the points.
    Line,
    /// Markers only.
    Points,
}

/// One data series.
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// (x, y) points.
    pub points: Vec<(f64, f64)>,
    /// Line or markers.
    pub style: Style,
}

/// A 2-D figure.
#[derive(Clone, Debug)]
pub struct Figure {
    /// File stem (`NAME.svg`).
    pub name: String,
    /// Title, also the caption in `report.md`.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// Logarithmic x axis.
    pub log_x: bool,
    /// Logarithmic y axis.
    pub log_y: bool,
    /// The data.
    pub series: Vec<Series>,
}

fn bounds(fig: &Figure, pick: impl Fn(&(f64, f64)) -> f64, log: bool) -> (f64, f64) {
    let vals: Vec<f64> = fig
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(&pick))
        .filter(|v| v.is_finite() && (!log || *v > 0.0))
        .collect();
    let (lo, hi) = vals
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return if log { (1e-1, 1e1) } else { (-1.0, 1.0) };
    }
    if log {
        (lo / 2.0, hi * 2.0)
    } else {
        let pad = ((hi - lo) * 0.05).max(1e-12);
        (lo - pad, hi + pad)
    }
}

const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
    RGBColor(0, 0, 0),
    RGBColor(127, 127, 127),
];

macro_rules! draw_series {
    ($chart:expr, $fig:expr, $log_x:expr, $log_y:expr) => {{
        for (i, s) in $fig.series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|(x, y)| {
                    x.is_finite() && y.is_finite() && (!$log_x || *x > 0.0) && (!$log_y || *y > 0.0)
                })
                .collect();
            let label = s.label.clone();
            match s.style {
                Style::Line => $chart
                    .draw_series(LineSeries::new(pts, color.stroke_width(2)))
                    .map_err(|e| e.to_string())?
                    .label(label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color)),
                Style::Points => $chart
                    .draw_series(pts.into_iter().map(|p| Circle::new(p, 3, color.filled())))
                    .map_err(|e| e.to_string())?
                    .label(label)
                    .legend(move |(x, y)| Circle::new((x + 8, y), 3, color.filled())),
            };
        }
        $chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())?;
    }};
}

/// Renders a figure to an SVG file.
pub fn render_svg(fig: &Figure, path: &Path) -> std::result::Result<(), String> {
    let root = SVGBackend::new(path, (720, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (x0, x1) = bounds(fig, |p| p.0, fig.log_x);
    let (y0, y1) = bounds(fig, |p| p.1, fig.log_y);
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(&fig.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70);
    // Log axes label in powers of ten; linear axes with up to three decimals.
    let tick = |log: bool| {
        move |v: &f64| {
            if log {
                format!("{v:.0e}")
            } else {
                format!("{}", (v * 1e3).round() / 1e3)
            }
        }
    };
    let (fx, fy) = (tick(fig.log_x), tick(fig.log_y));
    macro_rules! chart {
        ($xr:expr, $yr:expr) => {{
            let mut chart = builder
                .build_cartesian_2d($xr, $yr)
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_desc(&fig.x_label)
                .y_desc(&fig.y_label)
                .x_label_formatter(&fx)
                .y_label_formatter(&fy)
                .draw()
                .map_err(|e| e.to_string())?;
            draw_series!(chart, fig, fig.log_x, fig.log_y);
        }};
    }
    match (fig.log_x, fig.log_y) {
        (true, true) => chart!((x0..x1).log_scale(), (y0..y1).log_scale()),
        (false, true) => chart!(x0..x1, (y0..y1).log_scale()),
        (true, false) => chart!((x0..x1).log_scale(), y0..y1),
        (false, false) => chart!(x0..x1, y0..y1),
    }
    root.present().map_err(|e| e.to_string())?;
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
        detour_times,
        study_rank_spectra,
        ep_bias_vs_beta,
        cl_trajectories,
    ]
}
