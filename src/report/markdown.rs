//! `report.md` and the terminal summary table.
use super::{EntryResult, Report};
use crate::catalogue::Area;
use crate::evidence::human;
use std::fmt::Write;

fn fmt_err(e: &EntryResult) -> String {
    format!("{} {}", human(e.value), e.measure.unit())
}

fn fmt_tol(e: &EntryResult) -> String {
    e.bound.to_string()
}

fn area_title(a: Area) -> &'static str {
    match a {
        Area::RnnRules => "Linear RNN: losses, gradients, identities between rules, alignment",
        Area::RnnModes => "Linear RNN: per-mode theory (fixed points, stability, rates)",
        Area::RnnLowRank => "Linear RNN: RFLO's low-rank theorem and representation structure",
        Area::Contrastive => "Contrastive learning with flexible phase dynamics",
    }
}

/// The plain-text summary printed at the end of `lro report`.
pub fn summary_table(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<14} {:<6} {:>9} {:>30} {:>14} {:>7}",
        "id", "status", "instances", "measured (headline)", "bound", "secs"
    );
    for e in &r.entries {
        let _ = writeln!(
            out,
            "{:<14} {:<6} {:>9} {:>30} {:>14} {:>7.2}",
            e.id,
            e.status,
            e.instances,
            fmt_err(e),
            fmt_tol(e),
            e.seconds
        );
    }
    let _ = writeln!(
        out,
        "\n{} entries, {} failed (budget {})",
        r.entries.len(),
        r.failures(),
        r.budget
    );
    out
}

/// `report.md`: a table per area, then the figures.
pub fn markdown(r: &Report, figures: &[(String, String)]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# lro report\n");
    let _ = writeln!(out, "Produced by {}.\n", r.lro_version);
    let _ = writeln!(
        out,
        "Budget {}: {} entries, {} failed. Provenance tags: `[paper]` the paper's abstract or opening; \
         `[notes]` a public summary of the paper; `[derived]` derived for this project and checked numerically; \
         `[derived, unchecked]` derived for this project, checked here for the first time; `[standard]` a known \
         result of another paper; `[assumed]` a convention of this project. Derived formulas are not the \
         papers' equations. Each row shows its headline finding (the one closest to its bound) with its unit; \
         `exact mismatches` counts entries that differ under equality over the rationals, and only such rows are exact.\n",
        r.budget,
        r.entries.len(),
        r.failures()
    );
    out.push_str(&super::claims::headline(r));
    for area in [
        Area::RnnRules,
        Area::RnnModes,
        Area::RnnLowRank,
        Area::Contrastive,
    ] {
        let rows: Vec<&EntryResult> = r.entries.iter().filter(|e| e.area == area).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "## {}\n", area_title(area));
        let _ = writeln!(
            out,
            "| id | statement | provenance | instances | measured | bound | status |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|");
        for e in rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                e.id,
                e.statement.replace('|', "\\|"),
                e.provenance,
                e.instances,
                fmt_err(e),
                fmt_tol(e),
                if e.status == "pass" {
                    "pass"
                } else {
                    "**FAIL**"
                }
            );
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "<details><summary>How each was checked</summary>\n");
        for e in r.entries.iter().filter(|e| e.area == area) {
            let findings: Vec<String> = e.findings.iter().map(|f| f.to_string()).collect();
            let _ = write!(
                out,
                "- **{}**: {}. Findings: {}",
                e.id,
                e.detail,
                findings.join("; ")
            );
            if let Some(r) = &e.reproducer {
                let _ = write!(out, ". Worst instance: {r}");
            }
            let _ = writeln!(out);
        }
        let _ = writeln!(out, "\n</details>\n");
    }
    out.push_str(&super::edges::section(r));
    if let Some(rows) = &r.power {
        let _ = writeln!(out, "## Check power\n");
        let _ = writeln!(
            out,
            "Each named fault is a plausible bug compiled into lro and switched on alone; the table lists \
             the entries that failed with it on (at the test budget). An entry meant to catch a fault \
             that did not is marked **missed**.\n"
        );
        out.push_str(&super::power::markdown(rows));
        let _ = writeln!(out);
    }
    if !figures.is_empty() {
        let _ = writeln!(out, "## Figures\n");
        for (k, (file, caption)) in figures.iter().enumerate() {
            let _ = writeln!(
                out,
                "### Figure {}\n\n![Figure {}]({file})\n\n{caption}\n",
                k + 1,
                k + 1
            );
        }
    }
    out
}
