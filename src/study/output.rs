//! The study's text outputs: the Markdown summary of an [`Analysis`] (`study.md`), the counts table
//! (`counts.csv`) and one row per run (`runs.csv`).
use super::analysis::{Analysis, PointCount, axis_of};
use super::{AXES, CHECKPOINTS, Class, Criterion, RunRecord, classify, predict_failure};
use std::fmt::Write;

impl Analysis {
    /// A Markdown summary: the verdict, the closest points, influence, classes and prediction.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# Convergence study\n");
        let _ = writeln!(
            out,
            "{} runs. Paper (public summary): BPTT 20/20, tBPTT(1) 20/20, RFLO 13/20, e-prop 12/20 \
             (criterion unknown). A point reproduces the pattern when every rule's count is \
             consistent with the paper's (each fraction inside the other's exact 95 % binomial \
             interval). Criteria tried: fit ∈ {{0.01, 0.05, 0.1}} × L_0 at K/4, K/2, K.\n",
            self.runs
        );
        let rep = self.reproducing();
        if rep.is_empty() {
            let _ = writeln!(
                out,
                "**Verdict: not reproduced** at any point under any criterion tried.\n"
            );
        } else {
            let _ = writeln!(
                out,
                "**Verdict: reproduced** at {} point–criterion pairs:\n",
                rep.len()
            );
            for c in rep.iter().take(10) {
                let _ = writeln!(
                    out,
                    "- {} with {}: {}",
                    c.point,
                    c.criterion,
                    counts_text(c)
                );
            }
            let _ = writeln!(out);
        }
        let _ = writeln!(out, "## Closest to the pattern\n");
        let _ = writeln!(
            out,
            "| point | criterion | bptt | tbptt:1 | rflo | eprop | distance |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|");
        for c in self.closest(10) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.2} |",
                c.point,
                c.criterion,
                c.count_cells(),
                c.distance
            );
        }
        let _ = writeln!(
            out,
            "\n## Axis influence ({})\n\nMean over rules of the range of the marginal converged \
             fraction across an axis's values.\n",
            self.default_criterion
        );
        for (axis, v) in &self.influence {
            let _ = writeln!(out, "- {axis}: {v:.2}");
        }
        let _ = writeln!(
            out,
            "\n## Failure classes ({}, all points)\n",
            self.default_criterion
        );
        let names: Vec<&str> = Class::ALL.iter().map(|c| c.name()).collect();
        let _ = writeln!(out, "| rule | {} |", names.join(" | "));
        let _ = writeln!(out, "|---|{}", "---|".repeat(names.len()));
        for (rule, m) in &self.classes {
            let cells: Vec<String> = names
                .iter()
                .map(|n| m.get(*n).copied().unwrap_or(0).to_string())
                .collect();
            let _ = writeln!(out, "| {rule} | {} |", cells.join(" | "));
        }
        let _ = writeln!(
            out,
            "\n## Failure predicted from the initial condition ({})\n",
            self.default_criterion
        );
        let _ = writeln!(
            out,
            "| rule | runs | accuracy | baseline (majority) | predicted fail & failed | predicted fail & converged | missed failures | predicted & converged |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
        for p in &self.prediction {
            let _ = writeln!(
                out,
                "| {} | {} | {:.3} | {:.3} | {} | {} | {} | {} |",
                p.rule,
                p.runs,
                p.accuracy(),
                p.baseline(),
                p.true_fail,
                p.false_fail,
                p.missed_fail,
                p.true_converge
            );
        }
        out
    }

    /// The counts table as CSV (one row per point, criterion and rule).
    pub fn counts_csv(&self) -> String {
        let mut out = String::from(
            "point,criterion,rule,converged,runs,ci_low,ci_high,consistent_with_paper\n",
        );
        for c in &self.counts {
            for r in &c.rules {
                let _ = writeln!(
                    out,
                    "\"{}\",\"{}\",{},{},{},{:.4},{:.4},{}",
                    c.point,
                    c.criterion,
                    r.rule,
                    r.converged,
                    r.runs,
                    r.interval.0,
                    r.interval.1,
                    r.consistent
                );
            }
        }
        out
    }
}

fn counts_text(c: &PointCount) -> String {
    c.rules
        .iter()
        .map(|r| format!("{} {}/{}", r.rule, r.converged, r.runs))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One row per run as CSV: the point's axes, rule, seed, losses, divergence, class under the
/// default criterion and the prediction.
pub fn runs_csv(records: &[RunRecord]) -> String {
    let mut out = AXES.join(",");
    out.push_str(",rule,seed,loss0");
    for (num, den) in CHECKPOINTS {
        let _ = write!(out, ",ratio_{num}_{den}");
    }
    out.push_str(",diverged_at,radius_end,class,predicted_fail\n");
    for r in records {
        let axes: Vec<String> = AXES.iter().map(|a| axis_of(&r.point, a)).collect();
        let ratios: Vec<String> = r
            .ratios
            .iter()
            .map(|x| x.map_or(String::new(), |v| format!("{v:e}")))
            .collect();
        let _ = writeln!(
            out,
            "{},{},{},{:e},{},{},{:.6},{},{}",
            axes.join(","),
            r.rule,
            r.seed,
            r.loss0,
            ratios.join(","),
            r.diverged_at.map_or(String::new(), |s| s.to_string()),
            r.radius_end,
            classify(r, &Criterion::DEFAULT).name(),
            predict_failure(r, &Criterion::DEFAULT)
        );
    }
    out
}
