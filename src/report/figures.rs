//! SVG figures for the report (plotters, SVG backend: no fonts or system libraries needed).
//!
//! Each figure is data ([`Figure`]) built by a function of the budget, then rendered by
//! [`render_svg`]; the data is testable without looking at pictures.
use crate::catalogue::Budget;
use crate::error::{LroError, Result};
use crate::gradcheck;
use crate::rnn::{InstanceSpec, StudentTeacher};
use crate::rules::{Loss, expected};
use crate::scalar::{Dual, Mpfr, Rational, Real, with_precision};
use num_complex::Complex;
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

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
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
    match (fig.log_x, fig.log_y) {
        (true, true) => {
            let mut chart = builder
                .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_desc(&fig.x_label)
                .y_desc(&fig.y_label)
                .x_label_formatter(&|v| format!("{v:.0e}"))
                .y_label_formatter(&|v| format!("{v:.0e}"))
                .draw()
                .map_err(|e| e.to_string())?;
            draw_series!(chart, fig, true, true);
        }
        (false, true) => {
            let mut chart = builder
                .build_cartesian_2d(x0..x1, (y0..y1).log_scale())
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_desc(&fig.x_label)
                .y_desc(&fig.y_label)
                .y_label_formatter(&|v| format!("{v:.0e}"))
                .draw()
                .map_err(|e| e.to_string())?;
            draw_series!(chart, fig, false, true);
        }
        (true, false) => {
            let mut chart = builder
                .build_cartesian_2d((x0..x1).log_scale(), y0..y1)
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_desc(&fig.x_label)
                .y_desc(&fig.y_label)
                .x_label_formatter(&|v| format!("{v:.0e}"))
                .draw()
                .map_err(|e| e.to_string())?;
            draw_series!(chart, fig, true, false);
        }
        (false, false) => {
            let mut chart = builder
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_desc(&fig.x_label)
                .y_desc(&fig.y_label)
                .draw()
                .map_err(|e| e.to_string())?;
            draw_series!(chart, fig, false, false);
        }
    }
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}

/// Gradient-check error against step size: the derivative of the expected loss along one parameter
/// (a recurrent weight) by f64 central differences, f64 complex step, and central differences in
/// 256-bit MPFR (pure truncation error), each against the exact derivative from `Dual<Rational>`.
pub fn gradcheck_steps(_budget: Budget) -> Result<Figure> {
    let inst = InstanceSpec {
        seed: 5,
        o: 2,
        n: 4,
        n_teacher: 3,
        d: 2,
        horizon: 10,
    }
    .draw()?;
    let st = &inst.st;
    let p = st.student.params_flat();
    let idx = st.student.o() * st.student.n() + 1; // W[0][1]
    let horizon = inst.horizon;
    let exact = {
        let q = inst.cast::<Rational>();
        let teacher = q.st.teacher.map(|x| Dual::constant(x.clone()));
        let pq = q.st.student.params_flat();
        let seeded: Vec<Dual<Rational>> = pq
            .iter()
            .enumerate()
            .map(|(j, v)| {
                if j == idx {
                    Dual::variable(v.clone())
                } else {
                    Dual::constant(v.clone())
                }
            })
            .collect();
        let net = q.st.student.with_params_flat(&seeded)?;
        expected::loss(&StudentTeacher::new(net, teacher)?, horizon, Loss::Final)?.eps
    };
    let exact_f = exact.to_f64();
    let loss_at = |x: f64| -> Result<f64> {
        let mut v = p.clone();
        v[idx] = x;
        expected::loss(
            &StudentTeacher::new(st.student.with_params_flat(&v)?, st.teacher.clone())?,
            horizon,
            Loss::Final,
        )
    };
    let (mut fd, mut cs, mut mp) = (Vec::new(), Vec::new(), Vec::new());
    let teacher_c = st.teacher.map(|x| Complex::new(*x, 0.0));
    for k in 1..=16 {
        let h = 10f64.powi(-k);
        let x = p[idx];
        let central = (loss_at(x + h)? - loss_at(x - h)?) / (2.0 * h);
        fd.push((h, (central - exact_f).abs().max(PLOT_FLOOR)));
        let z: Vec<Complex<f64>> = p
            .iter()
            .enumerate()
            .map(|(j, &v)| Complex::new(v, if j == idx { h } else { 0.0 }))
            .collect();
        let c = expected::loss(
            &StudentTeacher::new(st.student.with_params_flat(&z)?, teacher_c.clone())?,
            horizon,
            Loss::Final,
        )?;
        cs.push((h, (c.im / h - exact_f).abs().max(PLOT_FLOOR)));
        let m_err = with_precision(256, || -> Result<f64> {
            let m = inst.cast::<Mpfr>();
            let pm = m.st.student.params_flat();
            let g =
                gradcheck::central_difference_gradient(&pm[idx..=idx], Mpfr::from_f64(h), |xi| {
                    let mut v = pm.clone();
                    v[idx] = xi[0].clone();
                    expected::loss(
                        &StudentTeacher::new(
                            m.st.student.with_params_flat(&v)?,
                            m.st.teacher.clone(),
                        )?,
                        horizon,
                        Loss::Final,
                    )
                })?;
            let ex = Mpfr(rug::Float::with_val(256, &exact.0));
            Ok(rug::Float::with_val(256, &g[0].0 - &ex.0)
                .to_f64()
                .abs()
                .max(PLOT_FLOOR))
        })
        .map_err(|e| LroError::Unsupported(e.to_string()))??;
        mp.push((h, m_err));
    }
    Ok(Figure {
        name: "gradcheck_steps".into(),
        title: "Gradient check: error against step size h".into(),
        x_label: "step h".into(),
        y_label: "|derivative − exact|".into(),
        log_x: true,
        log_y: true,
        series: vec![
            Series {
                label: "central difference, f64".into(),
                points: fd,
                style: Style::Line,
            },
            Series {
                label: "complex step, f64".into(),
                points: cs,
                style: Style::Line,
            },
            Series {
                label: "central difference, MPFR-256".into(),
                points: mp,
                style: Style::Line,
            },
        ],
    })
}

/// Errors below this are drawn at this value (an exact zero has no place on a log axis).
const PLOT_FLOOR: f64 = 1e-40;

/// A figure builder.
pub type Builder = fn(Budget) -> Result<Figure>;

/// Every figure of the report, in order.
pub fn builders() -> Vec<Builder> {
    vec![gradcheck_steps]
}
