//! The report's section "Online-learning family": the family's claims and the entries that check
//! them, the estimators' fitted variance exponents in n, and each rule's cost per step (time and
//! memory exponents fitted from the committed benchmark measurements beside the costs derived in
//! `docs/theory/costs.md`). Theory: `docs/theory/linear-rnn.md#uoro` and the sections after it.
use super::Report;
use super::figures::family::{study, study_size, variance_fit};
use crate::contrastive::stats::{PowerFit, power_law_fit};
use crate::error::{LroError, Result};
use crate::evidence::Budget;
use crate::rules::estimator_variance::Member;
use std::fmt::Write;

/// One claim about the family and the catalogue entry that checks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Claim {
    /// The catalogue entry.
    pub id: &'static str,
    /// The rule or rules.
    pub rules: &'static str,
    /// The claim, in words.
    pub claim: &'static str,
}

/// The family's claims, in report order; rows whose entry did not run are left out.
pub const CLAIMS: &[Claim] = &[
    Claim {
        id: "P-RNN-38",
        rules: "UORO",
        claim: "unbiased: the mean over all sign draws is RTRL's update (and, over inputs too, \
                BPTT's closed-form expected update)",
    },
    Claim {
        id: "P-RNN-40",
        rules: "KF-RTRL",
        claim: "unbiased: the mean over all sign pairs is RTRL's update",
    },
    Claim {
        id: "P-RNN-41",
        rules: "KF-RTRL, UORO",
        claim: "KF-RTRL's variance is below UORO's and grows more slowly with n",
    },
    Claim {
        id: "P-RNN-42",
        rules: "reverse KF-RTRL",
        claim: "unbiased: the mean over all sign draws is RTRL's update (and, over inputs too, \
                BPTT's closed-form expected update)",
    },
    Claim {
        id: "P-RNN-39",
        rules: "SnAp-1, SnAp-2",
        claim: "SnAp-1 is e-prop with symmetric feedback; SnAp-2 on a dense W is RTRL; on a sparse \
                W it is not",
    },
    Claim {
        id: "P-RNN-43",
        rules: "KeRNL",
        claim: "with β = I and γ = α frozen it is RFLO with symmetric feedback and ŵ = 1 − α; \
                with uniform γ and any β, RFLO with R = Aβ",
    },
    Claim {
        id: "P-RNN-44",
        rules: "efficient BPTT, future BPTT",
        claim: "with k ≥ T both equal BPTT and RTRL per sample; future BPTT with k < T is \
                k-step truncated BPTT",
    },
];

/// A rule's cost per step as derived in `docs/theory/costs.md` (leading exponents in n).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DerivedCost {
    /// The rule's name in the benchmark file.
    pub rule: &'static str,
    /// Time per step ∝ n^time.
    pub time: u32,
    /// Memory ∝ n^memory.
    pub memory: u32,
    /// Anchor of the derivation in `docs/theory/costs.md`.
    pub anchor: &'static str,
}

/// The derived costs of the benchmarked rules (`docs/theory/costs.md#table`).
pub const DERIVED_COSTS: &[DerivedCost] = &[
    DerivedCost {
        rule: "bptt",
        time: 2,
        memory: 2,
        anchor: "rflo-eprop-bptt",
    },
    DerivedCost {
        rule: "rflo",
        time: 2,
        memory: 2,
        anchor: "rflo-eprop-bptt",
    },
    DerivedCost {
        rule: "eprop-random",
        time: 2,
        memory: 2,
        anchor: "rflo-eprop-bptt",
    },
    DerivedCost {
        rule: "uoro",
        time: 2,
        memory: 2,
        anchor: "uoro",
    },
    DerivedCost {
        rule: "kf-rtrl",
        time: 3,
        memory: 2,
        anchor: "kf-rtrl",
    },
    DerivedCost {
        rule: "reverse-kf-rtrl",
        time: 3,
        memory: 2,
        anchor: "reverse-kf-rtrl",
    },
    DerivedCost {
        rule: "kernl",
        time: 2,
        memory: 2,
        anchor: "kernl",
    },
    DerivedCost {
        rule: "efficient-bptt",
        time: 2,
        memory: 2,
        anchor: "windowed-bptt",
    },
    DerivedCost {
        rule: "future-bptt",
        time: 2,
        memory: 2,
        anchor: "windowed-bptt",
    },
    DerivedCost {
        rule: "rtrl",
        time: 3,
        memory: 2,
        anchor: "rtrl",
    },
    DerivedCost {
        rule: "snap-1",
        time: 4,
        memory: 3,
        anchor: "snap",
    },
];

/// A fitted exponent this far from the derived one is a finding to explain.
pub const COST_EXPONENT_SLACK: f64 = 0.5;

/// Exponents are fitted on each rule's largest this many sizes: the derived exponents are leading
/// orders, and at small n the per-step fixed costs and the trajectory (linear in n) still weigh
/// (`docs/theory/costs.md#how-counted`).
pub const COST_FIT_SIZES: usize = 4;

/// The committed benchmark measurements (`cargo bench --bench family`).
pub const MEASUREMENTS: &str = include_str!("../../docs/measurements/family-costs.json");

/// One rule's measured costs and their fits.
#[derive(Clone, Debug, PartialEq)]
pub struct CostRow {
    /// The derived costs.
    pub derived: DerivedCost,
    /// Sizes measured.
    pub sizes: Vec<usize>,
    /// Seconds per step at each size.
    pub seconds: Vec<f64>,
    /// Peak heap bytes at each size.
    pub bytes: Vec<f64>,
    /// Smallest size in the fit (the largest [`COST_FIT_SIZES`] sizes are fitted).
    pub fitted_from: usize,
    /// Fitted time exponent.
    pub time: PowerFit,
    /// Fitted memory exponent.
    pub memory: PowerFit,
}

/// The measurement file's header and rows, fitted.
#[derive(Clone, Debug, PartialEq)]
pub struct Costs {
    /// Date of the measurement (YYYY-MM-DD).
    pub measured_on: String,
    /// Cores of the machine.
    pub cores: u64,
    /// One row per derived cost found in the file.
    pub rows: Vec<CostRow>,
}

/// Parses a measurement file (the format `benches/family.rs` writes) and fits each rule's
/// exponents. A rule of [`DERIVED_COSTS`] missing from the file is an error.
pub fn costs(json: &str) -> Result<Costs> {
    let bad = |reason: String| LroError::InvalidParameter {
        name: "benchmark measurements (docs/measurements/family-costs.json)".into(),
        reason: format!("{reason}; rerun `cargo bench --bench family` to rewrite the file"),
    };
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
    let rows = v["rows"]
        .as_array()
        .ok_or_else(|| bad("no `rows` array".into()))?;
    let mut out = Vec::new();
    for d in DERIVED_COSTS {
        let mut pts: Vec<(usize, f64, f64)> = rows
            .iter()
            .filter(|r| r["rule"].as_str() == Some(d.rule))
            .map(|r| {
                Ok((
                    r["n"]
                        .as_u64()
                        .ok_or_else(|| bad("a row without `n`".into()))?
                        as usize,
                    r["seconds_per_step"]
                        .as_f64()
                        .ok_or_else(|| bad("a row without `seconds_per_step`".into()))?,
                    r["peak_bytes"]
                        .as_f64()
                        .ok_or_else(|| bad("a row without `peak_bytes`".into()))?,
                ))
            })
            .collect::<Result<_>>()?;
        pts.sort_by_key(|p| p.0);
        if pts.len() < 3 {
            return Err(bad(format!(
                "rule {} has {} sizes; a fit needs 3",
                d.rule,
                pts.len()
            )));
        }
        let n: Vec<f64> = pts.iter().map(|p| p.0 as f64).collect();
        let seconds: Vec<f64> = pts.iter().map(|p| p.1).collect();
        let bytes: Vec<f64> = pts.iter().map(|p| p.2).collect();
        let from = pts.len().saturating_sub(COST_FIT_SIZES);
        out.push(CostRow {
            derived: *d,
            sizes: pts.iter().map(|p| p.0).collect(),
            time: power_law_fit(&n[from..], &seconds[from..])?,
            memory: power_law_fit(&n[from..], &bytes[from..])?,
            fitted_from: pts[from].0,
            seconds,
            bytes,
        });
    }
    Ok(Costs {
        measured_on: v["measured_on"].as_str().unwrap_or("unknown date").into(),
        cores: v["cores"].as_u64().unwrap_or(0),
        rows: out,
    })
}

/// `exponent [lo, hi]` and whether the derived value is within [`COST_EXPONENT_SLACK`].
fn exponent_cell(f: &PowerFit, derived: u32) -> (String, bool) {
    (
        format!("{:.2} [{:.2}, {:.2}]", f.exponent, f.lo, f.hi),
        (f.exponent - f64::from(derived)).abs() <= COST_EXPONENT_SLACK,
    )
}

/// Seconds in a readable unit.
fn duration(s: f64) -> String {
    if s < 1e-3 {
        format!("{:.1} µs", s * 1e6)
    } else {
        format!("{:.2} ms", s * 1e3)
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The section as markdown.
pub fn section(r: &Report, budget: Budget) -> String {
    let mut out = String::from("## Online-learning family\n\n");
    let _ = writeln!(
        out,
        "Online approximations of RTRL beside the five rules \
         ([linear-rnn.md#uoro](docs/theory/linear-rnn.md#uoro) and the sections after it). Each \
         is implemented once over every number kind, with its random draws as an explicit input.\n"
    );
    // Claims.
    let rows: Vec<_> = CLAIMS
        .iter()
        .filter_map(|c| r.entries.iter().find(|e| e.id == c.id).map(|e| (c, e)))
        .collect();
    if !rows.is_empty() {
        let _ = writeln!(out, "### Claims\n");
        let _ = writeln!(out, "| rule | claim | entry | measured | status |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for (c, e) in rows {
            let headline = e
                .findings
                .iter()
                .map(|f| format!("{} ({})", f.value_text(), f.label))
                .next()
                .unwrap_or_else(|| "no finding".into());
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                c.rules,
                cell(c.claim),
                c.id,
                cell(&headline),
                if e.status == "pass" {
                    "pass"
                } else {
                    "**FAIL**"
                }
            );
        }
        let _ = writeln!(out);
    }
    // Variance exponents.
    let _ = writeln!(out, "### Variance against n\n");
    match study(budget) {
        Ok(s) => {
            let (networks, draws) = study_size(budget);
            let _ = writeln!(
                out,
                "Relative variance `E‖ΔŴ − ΔW‖²/‖ΔW‖²` of the recurrent update against the exact \
                 gradient, {networks} seeded networks per n ∈ {{4, 8, 16, 32, 64}}, {draws} sign \
                 draws each (setting in the figure \"Variance of the unbiased RTRL estimators\"). \
                 Exponent fitted by least squares on log–log over every (n, network) point, with \
                 its 95 % interval (Student's t). The published claim is an ordering, not an \
                 exponent: Mujika, Meier & Steger (2018) report KF-RTRL's variance smaller than \
                 UORO's and growing more slowly; no exponent of theirs is checked here.\n"
            );
            let _ = writeln!(
                out,
                "| estimator | exponent [95 % CI] | variance at n = 4 | at n = 64 | published |"
            );
            let _ = writeln!(out, "|---|---|---|---|---|");
            for (m, pts) in s.iter().filter(|(m, _)| m.stochastic()) {
                let at = |n: usize| {
                    let v: Vec<f64> = pts
                        .iter()
                        .filter(|p| p.n == n)
                        .map(|p| p.rel_sq_error)
                        .collect();
                    v.iter().sum::<f64>() / v.len().max(1) as f64
                };
                let fit = match variance_fit(pts) {
                    Ok(f) => format!("{:.2} [{:.2}, {:.2}]", f.exponent, f.lo, f.hi),
                    Err(e) => format!("not fitted: {e}"),
                };
                let _ = writeln!(
                    out,
                    "| {} | {fit} | {:.3} | {:.3} | {} |",
                    m.label(),
                    at(4),
                    at(64),
                    match m {
                        Member::Uoro => "larger than KF-RTRL's",
                        Member::KfRtrl => "smaller than UORO's, growing more slowly",
                        _ => "no claim read (measured only)",
                    }
                );
            }
            let _ = writeln!(out);
        }
        Err(e) => {
            let _ = writeln!(out, "Not measured: {e}\n");
        }
    }
    // Costs.
    let _ = writeln!(out, "### Cost per step\n");
    match costs(MEASUREMENTS) {
        Ok(c) => {
            let _ = writeln!(
                out,
                "Measured by `cargo bench --bench family` on {} ({} cores; committed in \
                 `docs/measurements/family-costs.json`): time is the minimum over criterion's \
                 samples of one update of T = 10 steps, divided by T; memory is the peak heap \
                 bytes one update allocates. Leaky-tanh network, o = 2, d = 4, f64. Exponents are \
                 least-squares slopes on log–log over each rule's largest {COST_FIT_SIZES} sizes \
                 (the derived exponents are leading orders), with 95 % intervals (Student's t, \
                 N − 2 degrees of freedom); the derived exponents are in \
                 [costs.md](docs/theory/costs.md#table). A fitted exponent more than \
                 {COST_EXPONENT_SLACK} from the derived one is marked and explained there.\n",
                c.measured_on, c.cores
            );
            let _ = writeln!(
                out,
                "| rule | n measured (fitted) | time per step (smallest n → largest) | time exponent \
                 [95 % CI] | derived | memory exponent [95 % CI] | derived | |"
            );
            let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
            for row in &c.rows {
                let d = row.derived;
                let (t, t_ok) = exponent_cell(&row.time, d.time);
                let (m, m_ok) = exponent_cell(&row.memory, d.memory);
                let note = if t_ok && m_ok {
                    "agrees".to_string()
                } else {
                    format!(
                        "**differs**: [costs.md#{0}](docs/theory/costs.md#{0})",
                        d.anchor
                    )
                };
                let _ = writeln!(
                    out,
                    "| {} | {}–{} ({}–{}) | {} → {} | {t} | n^{} | {m} | n^{} | {note} |",
                    d.rule,
                    row.sizes[0],
                    row.sizes[row.sizes.len() - 1],
                    row.fitted_from,
                    row.sizes[row.sizes.len() - 1],
                    duration(row.seconds[0]),
                    duration(row.seconds[row.seconds.len() - 1]),
                    d.time,
                    d.memory,
                );
            }
            let _ = writeln!(out);
        }
        Err(e) => {
            let _ = writeln!(out, "Not available: {e}\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic file with exact power laws: the fits return the exponents, a rule missing from
    /// the file is an error, and a non-positive time is an error.
    #[test]
    fn costs_fit_exact_power_laws() {
        use crate::tolerances::POWER_FIT_EXACT_ABS;
        let mut rows = Vec::new();
        for d in DERIVED_COSTS {
            for n in [16u64, 32, 64] {
                let x = n as f64;
                rows.push(serde_json::json!({
                    "rule": d.rule, "n": n,
                    "seconds_per_step": 1e-9 * x.powi(d.time as i32),
                    "peak_bytes": 8.0 * x.powi(d.memory as i32),
                }));
            }
        }
        let file = serde_json::json!({"measured_on": "2026-12-01", "cores": 2, "rows": rows});
        let c = costs(&file.to_string()).unwrap();
        assert_eq!(c.rows.len(), DERIVED_COSTS.len());
        for r in &c.rows {
            assert!((r.time.exponent - f64::from(r.derived.time)).abs() < POWER_FIT_EXACT_ABS);
            assert!((r.memory.exponent - f64::from(r.derived.memory)).abs() < POWER_FIT_EXACT_ABS);
        }
        let mut short = file.clone();
        short["rows"] = serde_json::json!(rows[3..].to_vec());
        assert!(costs(&short.to_string()).is_err());
        let mut zero = file;
        zero["rows"][0]["seconds_per_step"] = serde_json::json!(0.0);
        assert!(costs(&zero.to_string()).is_err());
    }

    /// One claims row per entry that ran (all passing, five columns), the two estimators'
    /// exponents, one cost row per derived cost; a report without the entries has no claims table.
    #[test]
    fn section_has_claims_variance_and_costs() {
        let mut rep = super::super::run(Budget::Test, Some(CLAIMS[0].id), 1, |_| {});
        for c in &CLAIMS[1..] {
            rep.entries
                .extend(super::super::run(Budget::Test, Some(c.id), 1, |_| {}).entries);
        }
        let md = section(&rep, Budget::Test);
        assert!(md.starts_with("## Online-learning family"), "{md}");
        for c in CLAIMS {
            let row = md
                .lines()
                .find(|l| l.contains(&format!("| {} |", c.id)))
                .unwrap_or_else(|| panic!("no row for {}: {md}", c.id));
            assert_eq!(row.replace("\\|", "").matches('|').count(), 6, "{row}");
            assert!(row.ends_with("| pass |"), "{row}");
        }
        for label in ["| UORO | ", "| KF-RTRL | "] {
            let row = md.lines().find(|l| l.starts_with(label)).expect(label);
            assert!(!row.contains("not fitted") && !row.contains("NaN"), "{row}");
        }
        for d in DERIVED_COSTS {
            assert!(
                md.lines()
                    .any(|l| l.starts_with(&format!("| {} | ", d.rule))),
                "no cost row for {}: {md}",
                d.rule
            );
        }
        let none = super::super::run(Budget::Test, Some("P-RNN-7"), 1, |_| {});
        assert!(!section(&none, Budget::Test).contains("### Claims"));
    }

    /// The committed measurements parse and hold every benchmarked rule.
    #[test]
    fn committed_measurements_parse() {
        let c = costs(MEASUREMENTS).unwrap();
        assert_eq!(c.rows.len(), DERIVED_COSTS.len());
    }
}
