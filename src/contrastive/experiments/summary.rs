//! The contrastive summary table (`docs/theory/contrastive.md#theorems`): every estimator under
//! every phase process on the Gaussian toy and the 4-unit Boltzmann machine, each row an
//! independent seeded run held to its predicted point (estimators after Williams et al. 2023,
//! reconstructed for this project).
use super::{
    Outcome, bm_eq2r_zero, bm_flex, bm_targets, demo_boltzmann, demo_processes, eq2r_tail_average,
    fisher, gaussian_flex, gaussian_prediction, isr_tail_average,
};
use crate::contrastive::Weights;
use crate::contrastive::models::gaussian::GaussianToy;
use crate::contrastive::phases::LengthDist;
use crate::error::Result;
use crate::workers;
use nalgebra::DMatrix;

/// One row of the summary table.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryRow {
    /// Model name.
    pub model: &'static str,
    /// Estimator name (reconstructed estimators, see the module docs).
    pub estimator: String,
    /// Phase process name.
    pub process: String,
    /// Long-run positive-time fraction.
    pub pi_plus: f64,
    /// The outcome.
    pub outcome: Outcome,
}

/// The rows of the summary table (settings chosen by the project): Gaussian toy (m = 1.5, v = 2,
/// fresh samples, η = 0.01) and the 4-unit Boltzmann machine (η = 0.01, Fisher metric), under
/// Eq.2-R (P1), IS-R (P3, per phase) and Eq.3-R with ω = 1 and with ω = 1/(2π) under P1–P4.
/// `z` multiplies the standard errors in the bounds.
pub fn summary_rows(z: f64) -> Result<Vec<SummaryRow>> {
    let procs = demo_processes();
    let toy = GaussianToy::new(1.5, 2.0, 0.0)?;
    let bm = demo_boltzmann();
    // Every row is an independent seeded run: they run on every core, in this order.
    let (procs, toy, bm) = (&procs, &toy, &bm);
    let mut jobs: Vec<Job<'_>> = Vec::new();
    // Gaussian: Eq.2-R (T = 5) and IS-R (p = ½, geometric lengths, phase averages).
    jobs.push(Box::new(move || {
        let (m, se) = eq2r_tail_average(toy, 5, 0.01, &[0.0], &0.0, 400_000, 100, 31)?;
        Ok(SummaryRow {
            model: "gaussian",
            estimator: "Eq.2-R".into(),
            process: "P1 T=5".into(),
            pi_plus: 0.5,
            outcome: Outcome::new(m, vec![toy.m], vec![toy.m], &[z * se[0]]),
        })
    }));
    jobs.push(Box::new(move || {
        let (m, se) = isr_tail_average(
            toy,
            0.5,
            LengthDist::Geometric { mean: 4.0 },
            LengthDist::Geometric { mean: 4.0 },
            0.01,
            &[0.0],
            &0.0,
            400_000,
            100,
            32,
        )?;
        Ok(SummaryRow {
            model: "gaussian",
            estimator: "IS-R p=0.5".into(),
            process: "P3 geom(4)".into(),
            pi_plus: 0.5,
            outcome: Outcome::new(m, vec![toy.m], vec![toy.m], &[z * se[0]]),
        })
    }));
    // Eq.3-R rows: each is held to the prediction of the weights it names, from their field
    // coefficients (π⁺ω₊, π⁻ω₋): (π⁺, π⁻) for ω = 1, (½, ½) for ω = 1/(2π).
    let eq3r = |pi: f64| {
        [
            ("Eq.3-R w=1", Weights::unit(), (pi, 1.0 - pi)),
            (
                "Eq.3-R w=1/(2pi)",
                Weights::inverse_fraction(pi, 0.5),
                (0.5, 0.5),
            ),
        ]
    };
    for (k, p) in procs.iter().enumerate() {
        let pi = p.pi_plus();
        for (name, w, (ap, am)) in eq3r(pi) {
            jobs.push(Box::new(move || {
                let o = gaussian_flex(
                    toy,
                    *p,
                    &w,
                    gaussian_prediction(toy, ap, am),
                    0.01,
                    2_000_000,
                    100_000,
                    100,
                    z,
                    40 + k as u64,
                )?;
                Ok(SummaryRow {
                    model: "gaussian",
                    estimator: name.into(),
                    process: p.name().into(),
                    pi_plus: pi,
                    outcome: o,
                })
            }));
        }
    }
    // Boltzmann machine.
    for (k, p) in procs.iter().enumerate() {
        let pi = p.pi_plus();
        for (name, w, (ap, am)) in eq3r(pi) {
            jobs.push(Box::new(move || {
                let t = bm_targets(bm, p, ap, am)?;
                let o = bm_flex(bm, *p, &w, &t, 0.01, 600_000, 30, z, 50 + k as u64)?;
                Ok(SummaryRow {
                    model: "boltzmann",
                    estimator: name.into(),
                    process: p.name().into(),
                    pi_plus: pi,
                    outcome: o,
                })
            }));
        }
    }
    // Boltzmann Eq.2-R with T = 5 (CD-5-like): its exact zero vs ML, Fisher metric.
    jobs.push(Box::new(move || {
        let t = bm_targets(bm, &procs[0], 0.5, 0.5)?;
        let f = fisher(bm, &t.ml);
        let z2 = bm_eq2r_zero(bm, 5, &t.ml)?;
        let (m, se) = eq2r_tail_average(bm, 5, 0.02, &z2, &0usize, 200_000, 30, 60)?;
        let fm = |v: &[f64]| {
            (&f * DMatrix::from_column_slice(v.len(), 1, v))
                .iter()
                .cloned()
                .collect::<Vec<f64>>()
        };
        let (fm_m, fm_ml, fm_z2) = (fm(&m), fm(&t.ml), fm(&z2));
        let fse: Vec<f64> = (0..se.len())
            .map(|i| (0..se.len()).map(|j| (f[(i, j)] * se[j]).abs()).sum())
            .collect();
        let allowance: Vec<f64> = fse.iter().map(|s| z * s).collect();
        Ok(SummaryRow {
            model: "boltzmann",
            estimator: "Eq.2-R".into(),
            process: "P1 T=5".into(),
            pi_plus: 0.5,
            outcome: Outcome::new(fm_m, fm_ml, fm_z2, &allowance),
        })
    }));
    workers::map_in_order(&jobs, |job| job())
        .into_iter()
        .collect()
}

/// One summary row's run.
type Job<'a> = Box<dyn Fn() -> Result<SummaryRow> + Send + Sync + 'a>;

/// The summary table as Markdown, values rounded to 3 decimals: the final error against the
/// standard solution, the predicted bias, the largest allowance around the prediction, and the
/// deviation from the prediction as a fraction of its allowance (≤ 1: within).
pub fn summary_table(z: f64) -> Result<String> {
    let rows = summary_rows(z)?;
    let mut out = String::from(
        "| model | estimator | process | pi+ | final error | predicted bias | allowance | deviation / allowance | within |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.2} | {} |\n",
            r.model,
            r.estimator,
            r.process,
            r.pi_plus,
            r.outcome.error,
            r.outcome.predicted_bias,
            r.outcome.allowance,
            r.outcome.deviation,
            if r.outcome.passed() { "yes" } else { "NO" }
        ));
    }
    Ok(out)
}
