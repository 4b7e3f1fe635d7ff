//! What the sweep's runs say: counts per (point, rule, criterion), exact binomial intervals, the
//! test for the paper's pattern, the influence of each axis, heat maps of the converged fraction,
//! failure classes and the accuracy of the initial-condition prediction.
use super::tally::{Tally, criterion_index, tally};
use super::{AXES, Class, Criterion, PAPER_COUNTS, PAPER_RUNS, Point, RULES, RunRecord};
use serde::Serialize;
use std::collections::BTreeMap;

/// `P(X ≤ k)` for `X ~ Binomial(n, p)`, summed exactly term by term in f64.
pub fn binomial_cdf(k: u64, n: u64, p: f64) -> f64 {
    if p <= 0.0 {
        return 1.0;
    }
    if p >= 1.0 {
        return if k >= n { 1.0 } else { 0.0 };
    }
    let (lp, lq) = (p.ln(), (1.0 - p).ln());
    let mut log_choose = 0.0f64;
    let mut total = 0.0;
    for i in 0..=k.min(n) {
        if i > 0 {
            log_choose += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        total += (log_choose + i as f64 * lp + (n - i) as f64 * lq).exp();
    }
    total.min(1.0)
}

/// The exact (Clopper–Pearson) two-sided 95 % interval for a binomial proportion after `k`
/// successes in `n` trials, by bisection on the binomial tail probabilities.
pub fn clopper_pearson(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let alpha = 0.05;
    let solve = |f: &dyn Fn(f64) -> f64| {
        // f is increasing in p on [0, 1]; find f(p) = 0.
        let (mut lo, mut hi) = (0.0f64, 1.0f64);
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if f(mid) < 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    };
    // Lower end: P(X ≥ k | p) = α/2, i.e. 1 − cdf(k − 1) = α/2.
    let lower = if k == 0 {
        0.0
    } else {
        solve(&|p| (1.0 - binomial_cdf(k - 1, n, p)) - alpha / 2.0)
    };
    // Upper end: P(X ≤ k | p) = α/2 (decreasing in p, so negate).
    let upper = if k == n {
        1.0
    } else {
        solve(&|p| alpha / 2.0 - binomial_cdf(k, n, p))
    };
    (lower, upper)
}

/// Whether `k` of `n` runs is consistent with the paper's count for rule `i` of [`RULES`]: the
/// paper's fraction lies in the 95 % Clopper–Pearson interval of `k/n`, and `k/n` lies in the 95 %
/// interval of the paper's count out of 20 (both directions, so that neither sample size hides a
/// difference).
pub fn consistent_with_paper(i: usize, k: u64, n: u64) -> bool {
    let paper = PAPER_COUNTS[i] as f64 / PAPER_RUNS as f64;
    let (lo, hi) = clopper_pearson(k, n);
    let (plo, phi) = clopper_pearson(PAPER_COUNTS[i], PAPER_RUNS);
    let ours = if n == 0 {
        f64::NAN
    } else {
        k as f64 / n as f64
    };
    lo <= paper && paper <= hi && plo <= ours && ours <= phi
}

/// One rule's results at one point under one criterion.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleCount {
    /// Rule name.
    pub rule: String,
    /// Converged runs.
    pub converged: u64,
    /// Runs.
    pub runs: u64,
    /// 95 % Clopper–Pearson interval of the converged fraction.
    pub interval: (f64, f64),
    /// Whether the count is consistent with the paper's ([`consistent_with_paper`]).
    pub consistent: bool,
    /// Runs per failure class.
    pub classes: BTreeMap<String, u64>,
}

/// All rules at one point under one criterion.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PointCount {
    /// The point's key.
    pub point: String,
    /// The criterion.
    pub criterion: String,
    /// Per rule, in [`RULES`] order.
    pub rules: Vec<RuleCount>,
    /// Every rule consistent with the paper.
    pub reproduced: bool,
    /// Σ_rules |converged fraction − paper fraction|: how far from the pattern.
    pub distance: f64,
}

impl PointCount {
    /// The per-rule cells of a table row: `converged/runs`, with ✓ where the count is consistent
    /// with the paper's.
    pub fn count_cells(&self) -> String {
        let cells: Vec<String> = self
            .rules
            .iter()
            .map(|r| {
                let mark = if r.consistent { " ✓" } else { "" };
                format!("{}/{}{mark}", r.converged, r.runs)
            })
            .collect();
        cells.join(" | ")
    }
}

/// The accuracy of [`predict_failure`] for one rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Prediction {
    /// Rule name.
    pub rule: String,
    /// Runs judged.
    pub runs: u64,
    /// Predicted to fail and failed.
    pub true_fail: u64,
    /// Predicted to fail but converged.
    pub false_fail: u64,
    /// Predicted to converge but failed.
    pub missed_fail: u64,
    /// Predicted to converge and converged.
    pub true_converge: u64,
}

impl Prediction {
    /// Fraction of runs predicted correctly.
    pub fn accuracy(&self) -> f64 {
        (self.true_fail + self.true_converge) as f64 / self.runs.max(1) as f64
    }
    /// Accuracy of always predicting the more common outcome (the baseline to beat).
    pub fn baseline(&self) -> f64 {
        let fail = self.true_fail + self.missed_fail;
        fail.max(self.runs - fail) as f64 / self.runs.max(1) as f64
    }
}

/// A heat map of one rule's converged fraction over two axes (mean over the other axes).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Heatmap {
    /// Rule name.
    pub rule: String,
    /// x axis name and values.
    pub x: (String, Vec<String>),
    /// y axis name and values.
    pub y: (String, Vec<String>),
    /// `cells[iy][ix]`: converged fraction (NaN where no run).
    pub cells: Vec<Vec<f64>>,
}

/// The whole analysis.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Analysis {
    /// Runs analysed.
    pub runs: usize,
    /// The text of the criterion behind influence, heat maps, classes and prediction.
    pub default_criterion: String,
    /// Counts per point and criterion (every criterion of [`criteria`]).
    pub counts: Vec<PointCount>,
    /// Axis influence under the default criterion: mean over rules of the range of the marginal
    /// converged fraction across the axis's values, largest first.
    pub influence: Vec<(String, f64)>,
    /// Heat maps over the two most influential axes, one per rule.
    pub heatmaps: Vec<Heatmap>,
    /// Prediction accuracy per rule under the default criterion.
    pub prediction: Vec<Prediction>,
    /// Failure classes per rule under the default criterion (all points).
    pub classes: Vec<(String, BTreeMap<String, u64>)>,
}

pub use super::output::runs_csv;
pub use super::tally::criteria;

pub(crate) fn axis_of(key: &str, name: &str) -> String {
    key.split(' ')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_string))
        .unwrap_or_default()
}

fn sort_values(v: &mut [String]) {
    v.sort_by(|a, b| match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y),
        _ => a.cmp(b),
    });
}

/// Analyses a set of runs under the default criterion ([`Criterion::DEFAULT`]).
pub fn analyse(records: &[RunRecord]) -> Analysis {
    analyse_tallies(&tally(records), &Criterion::DEFAULT)
}

/// Analyses tallies ([`super::tally`]): counts under every criterion of [`criteria`]; influence,
/// heat maps, failure classes and the prediction's accuracy under `crit` (which must be one of
/// [`criteria`]; otherwise the default criterion is used).
pub fn analyse_tallies(tallies: &[Tally], crit: &Criterion) -> Analysis {
    let (ci, crit) = match criterion_index(crit) {
        Some(i) => (i, *crit),
        None => (
            criterion_index(&Criterion::DEFAULT).unwrap_or(0),
            Criterion::DEFAULT,
        ),
    };
    let mut by_point: BTreeMap<&str, Vec<&Tally>> = BTreeMap::new();
    for t in tallies {
        by_point.entry(&t.point).or_default().push(t);
    }
    let mut counts = Vec::new();
    for (cj, c) in criteria().iter().enumerate() {
        for (point, ts) in &by_point {
            let rules: Vec<RuleCount> = RULES
                .iter()
                .enumerate()
                .map(|(i, rule)| {
                    let (k, n, classes) = match ts.iter().find(|t| t.rule == *rule) {
                        Some(t) => {
                            let j = &t.judged[cj];
                            let classes = Class::ALL
                                .iter()
                                .zip(j.classes)
                                .filter(|(_, v)| *v > 0)
                                .map(|(c, v)| (c.name().to_string(), v))
                                .collect();
                            (j.converged, t.runs, classes)
                        }
                        None => (0, 0, BTreeMap::new()),
                    };
                    RuleCount {
                        rule: rule.to_string(),
                        converged: k,
                        runs: n,
                        interval: clopper_pearson(k, n),
                        consistent: n > 0 && consistent_with_paper(i, k, n),
                        classes,
                    }
                })
                .collect();
            let distance = rules
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    (c.converged as f64 / c.runs.max(1) as f64
                        - PAPER_COUNTS[i] as f64 / PAPER_RUNS as f64)
                        .abs()
                })
                .sum();
            counts.push(PointCount {
                point: point.to_string(),
                criterion: c.describe(),
                reproduced: rules.iter().all(|c| c.consistent),
                rules,
                distance,
            });
        }
    }
    // Converged and total runs of `rule` over the tallies whose point passes `keep`.
    let sum = |rule: &str, keep: &dyn Fn(&str) -> bool| {
        tallies
            .iter()
            .filter(|t| t.rule == rule && keep(&t.point))
            .fold((0u64, 0u64), |(k, n), t| {
                (k + t.judged[ci].converged, n + t.runs)
            })
    };
    let values = |axis: &str| {
        let mut v: Vec<String> = by_point.keys().map(|k| axis_of(k, axis)).collect();
        v.sort();
        v.dedup();
        sort_values(&mut v);
        v
    };
    // Influence of each axis with at least two values.
    let mut influence = Vec::new();
    for axis in AXES {
        let vals = values(axis);
        if vals.len() < 2 {
            continue;
        }
        let mut total = 0.0;
        for rule in RULES {
            let frac: Vec<f64> = vals
                .iter()
                .filter_map(|v| {
                    let (k, n) = sum(rule, &|p| axis_of(p, axis) == *v);
                    (n > 0).then(|| k as f64 / n as f64)
                })
                .collect();
            let (lo, hi) = frac
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                    (a.min(x), b.max(x))
                });
            if lo.is_finite() {
                total += hi - lo;
            }
        }
        influence.push((axis.to_string(), total / RULES.len() as f64));
    }
    influence.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let heatmaps = if influence.len() >= 2 {
        let (xa, ya) = (influence[0].0.clone(), influence[1].0.clone());
        let (xs, ys) = (values(&xa), values(&ya));
        RULES
            .iter()
            .map(|rule| {
                let cells = ys
                    .iter()
                    .map(|y| {
                        xs.iter()
                            .map(|x| {
                                match sum(rule, &|p| axis_of(p, &xa) == *x && axis_of(p, &ya) == *y)
                                {
                                    (k, n) if n > 0 => k as f64 / n as f64,
                                    _ => f64::NAN,
                                }
                            })
                            .collect()
                    })
                    .collect();
                Heatmap {
                    rule: rule.to_string(),
                    x: (xa.clone(), xs.clone()),
                    y: (ya.clone(), ys.clone()),
                    cells,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let prediction = RULES
        .iter()
        .map(|rule| {
            let mut p = Prediction {
                rule: rule.to_string(),
                runs: 0,
                true_fail: 0,
                false_fail: 0,
                missed_fail: 0,
                true_converge: 0,
            };
            for t in tallies.iter().filter(|t| t.rule == *rule) {
                let j = &t.judged[ci];
                p.runs += t.runs;
                p.true_fail += j.true_fail;
                p.false_fail += j.false_fail;
                p.missed_fail += j.missed_fail;
                p.true_converge += j.true_converge;
            }
            p
        })
        .collect();
    let classes = RULES
        .iter()
        .map(|rule| {
            let mut m = BTreeMap::new();
            for t in tallies.iter().filter(|t| t.rule == *rule) {
                for (c, v) in Class::ALL.iter().zip(t.judged[ci].classes) {
                    *m.entry(c.name().to_string()).or_insert(0) += v;
                }
            }
            (rule.to_string(), m)
        })
        .collect();
    Analysis {
        runs: tallies.iter().map(|t| t.runs as usize).sum(),
        default_criterion: crit.describe(),
        counts,
        influence,
        heatmaps,
        prediction,
        classes,
    }
}

impl Analysis {
    /// The points (and criteria) that reproduce the pattern.
    pub fn reproducing(&self) -> Vec<&PointCount> {
        self.counts.iter().filter(|c| c.reproduced).collect()
    }

    /// The `k` point–criterion pairs closest to the pattern.
    pub fn closest(&self, k: usize) -> Vec<&PointCount> {
        let mut v: Vec<&PointCount> = self.counts.iter().collect();
        v.sort_by(|a, b| {
            a.distance
                .total_cmp(&b.distance)
                .then(a.point.cmp(&b.point))
        });
        v.truncate(k);
        v
    }
}

/// The records of one point, by key.
pub fn of_point<'a>(records: &'a [RunRecord], p: &Point) -> Vec<&'a RunRecord> {
    let key = p.key();
    records.iter().filter(|r| r.point == key).collect()
}
