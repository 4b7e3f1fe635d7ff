//! `lro report`: runs the catalogue at a budget and writes `report.md`, `report.json` and SVG figures
//! (ARCHITECTURE.md).

pub mod claims;
pub mod edges;
pub mod family;
pub mod figures;
mod markdown;
pub mod power;
pub mod study;

use crate::catalogue::{self, Area, Entry};
use crate::evidence::{Bound, Budget, Evidence, Finding, Measure, Reproducer};
use serde::Serialize;
use std::sync::Mutex;
use std::time::Instant;

/// Version of the `report.json` schema. 3: adds `claims` (the headline section's data).
pub const REPORT_VERSION: u32 = 3;

/// One entry's outcome in a report.
#[derive(Clone, Debug, Serialize)]
pub struct EntryResult {
    /// Catalogue id.
    pub id: String,
    /// Theory area.
    pub area: Area,
    /// One-line statement.
    pub statement: String,
    /// Provenance, as `[derived]` etc.
    pub provenance: String,
    /// "pass" or "fail".
    pub status: String,
    /// Instances checked.
    pub instances: usize,
    /// The headline finding's measure kind (the finding closest to, or furthest past, its bound).
    pub measure: Measure,
    /// The headline finding's value, in the unit of `measure`.
    pub value: f64,
    /// What the headline value is held to.
    pub bound: Bound,
    /// Every finding of the check.
    pub findings: Vec<Finding>,
    /// The worst instance's inputs, when the check can rerun one instance alone.
    pub reproducer: Option<Reproducer>,
    /// How it was checked, or the error that stopped the check.
    pub detail: String,
    /// Wall-clock seconds spent.
    pub seconds: f64,
}

impl EntryResult {
    /// Whether the headline finding is an equality over Q.
    pub fn is_exact(&self) -> bool {
        self.measure == Measure::ExactMismatches
    }
}

/// A whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Schema version ([`REPORT_VERSION`]).
    pub version: u32,
    /// The budget it ran at.
    pub budget: Budget,
    /// Every entry run, in catalogue order.
    pub entries: Vec<EntryResult>,
    /// The seed papers' main claims with the entries behind each and the verdict computed from
    /// `entries` (the report's headline section; see [`claims::claims`]).
    pub claims: Vec<claims::ClaimResult>,
    /// The check-power matrix (fault → entries that failed with it), when it was computed
    /// (`--budget full`).
    pub power: Option<Vec<power::PowerRow>>,
    /// The lro version and git commit that produced the report.
    pub lro_version: String,
}

impl Report {
    /// Number of failing entries.
    pub fn failures(&self) -> usize {
        self.entries.iter().filter(|e| e.status != "pass").count()
    }
}

/// Whether a catalogue id matches a `--only` pattern: `*` matches any run of characters; a pattern
/// without `*` matches ids that contain it.
pub fn matches(id: &str, pattern: &str) -> bool {
    if !pattern.contains('*') {
        return id.contains(pattern);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = id;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(pos) = rest.find(part) else {
                return false;
            };
            rest = &rest[pos + part.len()..];
        }
    }
    true
}

fn run_one(e: &Entry, budget: Budget) -> EntryResult {
    let start = Instant::now();
    let outcome = std::panic::catch_unwind(|| (e.check)(budget));
    let ev = match outcome {
        Ok(Ok(ev)) => ev,
        Ok(Err(err)) => Evidence::stopped(format!("check stopped with an error: {err}")),
        Err(_) => Evidence::stopped("check panicked (a bug in lro: please report it)"),
    };
    let headline = ev
        .headline()
        .cloned()
        .unwrap_or_else(|| Evidence::stopped("check reported no finding").findings[0].clone());
    EntryResult {
        id: e.id.into(),
        area: e.area,
        statement: e.statement.into(),
        provenance: e.provenance.to_string(),
        status: if ev.passed && ev.instances > 0 && !ev.findings.is_empty() {
            "pass"
        } else {
            "fail"
        }
        .into(),
        instances: ev.instances,
        measure: headline.measure,
        value: headline.value,
        bound: headline.bound,
        findings: ev.findings,
        reproducer: ev.reproducer,
        detail: ev.detail,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// Entries started before the others, longest first: each takes a large share of the run's CPU
/// time at every budget (measured on 2 cores, 2026-12-01: CL-T2 and P-CL-18 about 5 s each at the
/// quick budget of a 24 s total and 340 s and 320 s of the full budget's 476 s). Listed last in
/// the catalogue, they used to start when the other worker was about to run dry.
const LONG_RUNNING: [&str; 6] = [
    "CL-T2",
    "P-CL-18",
    "EXP-RNN-6",
    "P-RNN-32",
    "P-RNN-11",
    "P-RNN-29",
];

/// Runs the entries whose ids match `only` (all when `None`) at `budget`, on `threads` worker
/// threads, calling `progress(id)` as each finishes.
pub fn run(
    budget: Budget,
    only: Option<&str>,
    threads: usize,
    progress: impl Fn(&str) + Sync,
) -> Report {
    let entries: Vec<Entry> = catalogue::all()
        .into_iter()
        .filter(|e| only.is_none_or(|p| matches(e.id, p)))
        .collect();
    // Dispatch order: the long-running entries first, the rest in catalogue order, so that no
    // worker starts a long entry while the others run dry at the end (the results keep catalogue
    // order).
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| {
        LONG_RUNNING
            .iter()
            .position(|id| *id == entries[i].id)
            .unwrap_or(LONG_RUNNING.len())
    });
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<EntryResult>>> = Mutex::new(vec![None; entries.len()]);
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap_or_else(|p| p.into_inner());
                        let i = *n;
                        *n += 1;
                        i
                    };
                    let Some(&i) = order.get(i) else { break };
                    let e = &entries[i];
                    let r = run_one(e, budget);
                    progress(e.id);
                    results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(r);
                }
            });
        }
    });
    let entries = results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .flatten()
        .collect();
    let mut report = Report {
        version: REPORT_VERSION,
        budget,
        entries,
        claims: Vec::new(),
        power: None,
        lro_version: version_string(),
    };
    report.claims = claims::claims(&report);
    report
}

/// `lro VERSION (commit HASH)`, with the commit captured at build time where git was available.
pub fn version_string() -> String {
    match option_env!("LRO_GIT_COMMIT") {
        Some(c) if !c.is_empty() && c != "unknown" => {
            format!("lro {} (commit {c})", env!("CARGO_PKG_VERSION"))
        }
        _ => format!("lro {}", env!("CARGO_PKG_VERSION")),
    }
}

/// The number of entries a pattern selects.
pub fn count(only: Option<&str>) -> usize {
    catalogue::all()
        .iter()
        .filter(|e| only.is_none_or(|p| matches(e.id, p)))
        .count()
}

pub use markdown::{markdown, summary_table};

/// A rounded, machine-independent summary of a report for snapshot review: status, instance count,
/// and per finding its measure, its value (errors as orders of magnitude, counts as counts, other
/// measures to one decimal) and its bound.
pub fn rounded_summary(r: &Report) -> String {
    let mut out =
        String::from("id | status | instances | findings (measure: value order, bound)\n");
    for e in &r.entries {
        let findings: Vec<String> = e
            .findings
            .iter()
            .map(|f| {
                let v = if f.measure.is_count() || f.value == 0.0 || !f.value.is_finite() {
                    crate::evidence::human(f.value)
                } else if matches!(f.measure, Measure::RelError | Measure::AbsError)
                    || f.value.abs() < 0.01
                {
                    // errors and tiny ratios: their order of magnitude (rounding noise varies in
                    // the last digits)
                    format!("1e{}", f.value.abs().log10().ceil() as i32)
                } else {
                    // z-scores, slopes, correlations, fractions, ratios: one decimal
                    format!("{:.1}", f.value)
                };
                format!("{}: {} ({})", f.measure.unit(), v, f.bound)
            })
            .collect();
        out.push_str(&format!(
            "{} | {} | {} | {}\n",
            e.id,
            e.status,
            e.instances,
            findings.join("; ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::matches;
    #[test]
    fn patterns() {
        assert!(matches("P-RNN-7", "P-RNN-7"));
        assert!(matches("P-RNN-17", "P-RNN-1"));
        assert!(matches("P-RNN-35.a", "P-RNN-35*"));
        assert!(matches("P-CL-3", "P-CL-*"));
        assert!(!matches("P-RNN-3", "P-CL-*"));
        assert!(matches("P-RNN-12", "*-12"));
        assert!(!matches("P-RNN-12", "*-13"));
        assert!(matches("P-RNN-12", "P-*-12"));
    }
}
