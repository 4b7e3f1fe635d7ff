//! Check power: which catalogue entries fail when each named fault is switched on.
//!
//! A check that cannot fail proves nothing. For every [`Fault`] this runs catalogue entries with the
//! fault injected (at the test budget, on worker threads, each thread injecting the fault for its
//! own entries) and records which entries fail. The clean run (no fault) must pass everywhere; each
//! fault must be caught by the entries meant to catch it ([`Fault::meant_to_catch`]), and the
//! matrix shows every other entry it happens to trip as well.

use crate::catalogue::{self, Entry};
use crate::evidence::{self, Budget};
use crate::faults::{self, Fault};
use serde::Serialize;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;

/// Whether an entry's check fails (an error, a panic or a failing verdict) with `fault` injected.
pub fn fails_under(entry: &Entry, fault: Option<Fault>, budget: Budget) -> bool {
    fails_at_finding(entry, fault, budget, None)
}

/// [`fails_under`], and when `finding` is given, that finding (by index) is among the ones that
/// fail: a stop with an error or a panic counts as a failure of every finding.
pub fn fails_at_finding(
    entry: &Entry,
    fault: Option<Fault>,
    budget: Budget,
    finding: Option<usize>,
) -> bool {
    let run = || {
        std::panic::catch_unwind(AssertUnwindSafe(|| {
            evidence::for_verdict(|| (entry.check)(budget))
        }))
    };
    let outcome = match fault {
        Some(f) => faults::inject(f, run),
        None => run(),
    };
    match (outcome, finding) {
        (Ok(Ok(ev)), None) => !(ev.passed && ev.instances > 0),
        (Ok(Ok(ev)), Some(i)) => ev.findings.get(i).is_some_and(|f| !f.holds()),
        _ => true,
    }
}

/// One fault's row of the power matrix.
#[derive(Clone, Debug, Serialize)]
pub struct PowerRow {
    /// The fault's name.
    pub fault: String,
    /// What the fault does.
    pub description: String,
    /// Entries meant to catch it.
    pub meant: Vec<String>,
    /// Entries that failed with it injected.
    pub caught_by: Vec<String>,
}

impl PowerRow {
    /// Entries meant to catch the fault that did not fail.
    pub fn missed(&self) -> Vec<&str> {
        self.meant
            .iter()
            .filter(|m| !self.caught_by.contains(m))
            .map(String::as_str)
            .collect()
    }
}

/// Runs every fault against the entries selected by `select` on `threads` threads, calling
/// `progress(fault_name)` as each fault finishes.
pub fn matrix(
    select: impl Fn(&Entry) -> bool + Sync,
    budget: Budget,
    threads: usize,
    progress: impl Fn(&str) + Sync,
) -> Vec<PowerRow> {
    let entries: Vec<Entry> = catalogue::all().into_iter().filter(|e| select(e)).collect();
    // Faults in code no catalogue entry runs are checked by their own tests instead.
    let all: Vec<Fault> = Fault::ALL
        .iter()
        .copied()
        .filter(|f| f.in_catalogue())
        .collect();
    let jobs: Vec<(usize, usize)> = (0..all.len())
        .flat_map(|f| (0..entries.len()).map(move |e| (f, e)))
        .collect();
    let next = Mutex::new(0usize);
    let caught: Mutex<Vec<Vec<bool>>> = Mutex::new(vec![vec![false; entries.len()]; all.len()]);
    let remaining: Mutex<Vec<usize>> = Mutex::new(vec![entries.len(); all.len()]);
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                loop {
                    let job = {
                        let mut n = next.lock().unwrap_or_else(|p| p.into_inner());
                        let j = jobs.get(*n).copied();
                        *n += 1;
                        j
                    };
                    let Some((f, e)) = job else { break };
                    let failed = fails_under(&entries[e], Some(all[f]), budget);
                    caught.lock().unwrap_or_else(|p| p.into_inner())[f][e] = failed;
                    let left = {
                        let mut r = remaining.lock().unwrap_or_else(|p| p.into_inner());
                        r[f] -= 1;
                        r[f]
                    };
                    if left == 0 {
                        progress(all[f].name());
                    }
                }
            });
        }
    });
    let caught = caught.into_inner().unwrap_or_else(|p| p.into_inner());
    all.iter()
        .zip(caught)
        .map(|(f, row)| PowerRow {
            fault: f.name().into(),
            description: f.description().into(),
            meant: f.meant_to_catch().iter().map(|s| s.to_string()).collect(),
            caught_by: entries
                .iter()
                .zip(row)
                .filter(|(_, c)| *c)
                .map(|(e, _)| e.id.to_string())
                .collect(),
        })
        .collect()
}

/// The check-power table as Markdown: fault, what it does, entries meant to catch it, entries
/// that caught it.
pub fn markdown(rows: &[PowerRow]) -> String {
    let mut out = String::from(
        "| fault | what it does | meant to be caught by | caught by |\n|---|---|---|---|\n",
    );
    for r in rows {
        let missed = r.missed();
        let caught = if r.caught_by.is_empty() {
            "**nothing**".to_string()
        } else {
            r.caught_by.join(", ")
        };
        let meant = if missed.is_empty() {
            r.meant.join(", ")
        } else {
            format!("{} (**missed: {}**)", r.meant.join(", "), missed.join(", "))
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            r.fault, r.description, meant, caught
        ));
    }
    out
}
