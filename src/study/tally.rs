//! Per (point, rule) tallies of a sweep: for every criterion of [`criteria`], the converged runs,
//! the failure classes and the confusion counts of the initial-condition prediction. Everything the
//! analysis reports is a sum of tallies, so a tally file (`tallies.csv`, a few hundred bytes per
//! point and rule) is the small, committable results file of a sweep whose run cache is megabytes.
use super::{Class, Criterion, RULES, Result, RunRecord, StudyError, classify, forecast};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The criteria the analysis applies, in a fixed order (a tally stores one entry per criterion):
/// fit ∈ {0.01, 0.05, 0.1} of L_0 at K/4, K/2 and K.
pub fn criteria() -> Vec<Criterion> {
    let mut v = Vec::new();
    for at in [0, 1, 3] {
        for fit in [0.01, 0.05, 0.1] {
            v.push(Criterion { fit, at });
        }
    }
    v
}

/// The index of `crit` in [`criteria`], if it is one of them.
pub fn criterion_index(crit: &Criterion) -> Option<usize> {
    criteria()
        .iter()
        .position(|c| c.at == crit.at && c.fit == crit.fit)
}

/// One rule's runs at one point under one criterion.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Judged {
    /// Converged runs.
    pub converged: u64,
    /// Predicted to fail and failed.
    pub true_fail: u64,
    /// Predicted to fail but converged.
    pub false_fail: u64,
    /// Predicted to converge but failed.
    pub missed_fail: u64,
    /// Predicted to converge and converged.
    pub true_converge: u64,
    /// Runs per class, in [`Class::ALL`] order.
    pub classes: [u64; 7],
}

/// One rule's runs at one point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// The point's key.
    pub point: String,
    /// Rule name.
    pub rule: String,
    /// Runs (seeds).
    pub runs: u64,
    /// Per criterion of [`criteria`], in order.
    pub judged: Vec<Judged>,
}

/// Tallies a set of runs, one tally per (point, rule), sorted by point key then [`RULES`] order.
pub fn tally(records: &[RunRecord]) -> Vec<Tally> {
    let crits = criteria();
    let mut map: BTreeMap<(String, usize, String), Tally> = BTreeMap::new();
    for r in records {
        let order = RULES
            .iter()
            .position(|x| *x == r.rule)
            .unwrap_or(RULES.len());
        let t = map
            .entry((r.point.clone(), order, r.rule.clone()))
            .or_insert_with(|| Tally {
                point: r.point.clone(),
                rule: r.rule.clone(),
                runs: 0,
                judged: vec![Judged::default(); crits.len()],
            });
        t.runs += 1;
        let predicted = forecast(r);
        for (j, c) in t.judged.iter_mut().zip(&crits) {
            let class = classify(r, c);
            let ok = class == Class::Converged;
            j.converged += u64::from(ok);
            let k = Class::ALL.iter().position(|x| *x == class).unwrap_or(0);
            j.classes[k] += 1;
            match (predicted.fails(c), ok) {
                (true, false) => j.true_fail += 1,
                (true, true) => j.false_fail += 1,
                (false, false) => j.missed_fail += 1,
                (false, true) => j.true_converge += 1,
            }
        }
    }
    map.into_values().collect()
}

const FIXED_COLUMNS: [&str; 3] = ["point", "rule", "runs"];

/// The tallies as CSV: `point,rule,runs`, then per criterion i (of [`criteria`]) the columns
/// `c{i}_converged`, `c{i}_true_fail`, `c{i}_false_fail`, `c{i}_missed_fail`, `c{i}_true_converge`
/// and `c{i}_{class}` for every class; a first comment line names the criteria.
pub fn to_csv(tallies: &[Tally]) -> String {
    let crits = criteria();
    let mut out = String::from("# criteria:");
    for (i, c) in crits.iter().enumerate() {
        let _ = write!(out, " c{i} = {};", c.describe());
    }
    out.push('\n');
    out.push_str(&FIXED_COLUMNS.join(","));
    for i in 0..crits.len() {
        for name in [
            "converged",
            "true_fail",
            "false_fail",
            "missed_fail",
            "true_converge",
        ] {
            let _ = write!(out, ",c{i}_{name}");
        }
        for c in Class::ALL {
            let _ = write!(out, ",c{i}_{}", c.name());
        }
    }
    out.push('\n');
    for t in tallies {
        let _ = write!(out, "\"{}\",{},{}", t.point, t.rule, t.runs);
        for j in &t.judged {
            let _ = write!(
                out,
                ",{},{},{},{},{}",
                j.converged, j.true_fail, j.false_fail, j.missed_fail, j.true_converge
            );
            for k in j.classes {
                let _ = write!(out, ",{k}");
            }
        }
        out.push('\n');
    }
    out
}

/// Parses [`to_csv`]'s output (`path` names the source in errors).
pub fn from_csv(text: &str, path: &str) -> Result<Vec<Tally>> {
    let crits = criteria().len();
    let per = 5 + Class::ALL.len();
    let bad = |line: usize, reason: String| StudyError::Parse {
        path: path.to_string(),
        line,
        reason,
    };
    let mut out = Vec::new();
    let mut header = false;
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !header {
            if !line.starts_with("point,rule,runs") {
                return Err(bad(i + 1, "expected the header point,rule,runs,…".into()));
            }
            header = true;
            continue;
        }
        let rest = line
            .strip_prefix('"')
            .ok_or_else(|| bad(i + 1, "the point key must be quoted".into()))?;
        let (point, rest) = rest
            .split_once("\",")
            .ok_or_else(|| bad(i + 1, "unterminated point key".into()))?;
        let fields: Vec<&str> = rest.split(',').collect();
        if fields.len() != 2 + crits * per {
            return Err(bad(
                i + 1,
                format!(
                    "{} fields after the point, expected {}",
                    fields.len(),
                    2 + crits * per
                ),
            ));
        }
        let num = |s: &str| {
            s.trim()
                .parse::<u64>()
                .map_err(|_| bad(i + 1, format!("{s:?} is not a count")))
        };
        let mut judged = Vec::with_capacity(crits);
        for c in 0..crits {
            let f = &fields[2 + c * per..2 + (c + 1) * per];
            let mut classes = [0u64; 7];
            for (k, slot) in classes.iter_mut().enumerate() {
                *slot = num(f[5 + k])?;
            }
            judged.push(Judged {
                converged: num(f[0])?,
                true_fail: num(f[1])?,
                false_fail: num(f[2])?,
                missed_fail: num(f[3])?,
                true_converge: num(f[4])?,
                classes,
            });
        }
        out.push(Tally {
            point: point.to_string(),
            rule: fields[0].to_string(),
            runs: num(fields[1])?,
            judged,
        });
    }
    if !header {
        return Err(bad(1, "no header line: not a tallies.csv".into()));
    }
    Ok(out)
}
