//! The report's "Settings study" section: the convergence counts at the study's selected setting
//! (seeds 0–19 and held-out seeds 20–39) against the paper's, the failure prediction's accuracy
//! per rule against its baseline, heat maps of the converged fraction per rule over the two most
//! influential settings, and the verdict of the committed full-grid run
//! (`results/study/full/`). Everything is computed from runs: the selected setting's 160 runs are
//! run here at every budget, the quick grid's 1 920 at the full budget only (too slow for the
//! quick report), and the full grid's tallies are read from the committed results file. Settings chosen by the
//! project; see [`crate::study`] and `docs/theory/modes.md` for the per-mode reading.
use crate::evidence::Budget;
use crate::report::figures::study::{axis_label, render_heatmaps};
use crate::study::analysis::{Analysis, Prediction, analyse_tallies, clopper_pearson};
use crate::study::sweep::Grid;
use crate::study::tally::{self, Tally};
use crate::study::{
    Criterion, PAPER_COUNTS, PAPER_RUNS, Point, RULES, SELECTED_CRITERION, run_many, selected,
};
use serde::Deserialize;
use std::fmt::Write;
use std::path::Path;
use std::time::Instant;

/// The committed full-grid tallies (written by `lro experiment merge`).
const FULL_TALLIES: &str = include_str!("../../results/study/full/tallies.csv");
/// How the committed full grid was run.
const FULL_RUN: &str = include_str!("../../results/study/full/run.json");

/// The provenance of the committed full-grid run.
#[derive(Clone, Debug, Deserialize)]
pub struct RunInfo {
    /// Grid name.
    pub grid: String,
    /// The command that ran it.
    pub command: String,
    /// The lro commit it ran at.
    pub commit: String,
    /// Runs in the results file.
    pub runs: u64,
    /// Wall-clock seconds of the sweep.
    pub wall_seconds: f64,
    /// The machine it ran on.
    pub machine: String,
    /// When it finished (UTC).
    pub finished_utc: String,
}

/// The committed full grid's tallies and provenance.
pub fn committed_full() -> crate::study::Result<(Vec<Tally>, RunInfo)> {
    let tallies = tally::from_csv(FULL_TALLIES, "results/study/full/tallies.csv")?;
    let info: RunInfo =
        serde_json::from_str(FULL_RUN).map_err(|e| crate::study::StudyError::Parse {
            path: "results/study/full/run.json".into(),
            line: e.line(),
            reason: e.to_string(),
        })?;
    Ok((tallies, info))
}

/// The full grid runs K = 4000 steps; the selected criterion judges L at step 1000, which is K/4
/// there (the first 2000 steps of a K = 4000 run at a constant rate are the K = 2000 run).
pub const FULL_GRID_CRITERION: Criterion = Criterion { fit: 0.05, at: 0 };

fn rule_title(rule: &str) -> &'static str {
    match rule {
        "bptt" => "BPTT",
        "tbptt:1" => "one-step tBPTT",
        "rflo" => "RFLO",
        _ => "e-prop (random feedback)",
    }
}

fn interval(k: u64, n: u64) -> String {
    let (lo, hi) = clopper_pearson(k, n);
    format!("[{:.2}, {:.2}]", lo, hi)
}

/// Converged and total runs per rule (in [`RULES`] order) over `seeds` under `crit`.
fn counts(
    records: &[crate::study::RunRecord],
    seeds: std::ops::Range<u64>,
    crit: &Criterion,
) -> Vec<(u64, u64)> {
    RULES
        .iter()
        .map(|rule| {
            let mine = records
                .iter()
                .filter(|r| r.rule == *rule && seeds.contains(&r.seed));
            mine.fold((0, 0), |(k, n), r| {
                (k + u64::from(crit.converged(r)), n + 1)
            })
        })
        .collect()
}

fn consistent(i: usize, k: u64, n: u64) -> &'static str {
    if crate::study::analysis::consistent_with_paper(i, k, n) {
        "yes"
    } else {
        "**no**"
    }
}

fn prediction_table(out: &mut String, preds: &[Prediction]) {
    let better: Vec<&str> = preds
        .iter()
        .filter(|p| p.accuracy() > p.baseline())
        .map(|p| rule_title(&p.rule))
        .collect();
    let _ = writeln!(
        out,
        "The prediction beats the majority baseline for {} of {} rules{}.\n",
        better.len(),
        preds.len(),
        if better.is_empty() {
            String::new()
        } else {
            format!(" ({})", better.join(", "))
        }
    );
    let _ = writeln!(
        out,
        "| rule | runs | accuracy | baseline (always the majority outcome) | predicted fail & failed | predicted fail but converged | failed unpredicted | predicted & converged |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    for p in preds {
        let beats = if p.accuracy() > p.baseline() {
            ""
        } else {
            " (not above baseline)"
        };
        let _ = writeln!(
            out,
            "| {} | {} | {:.2}{beats} | {:.2} | {} | {} | {} | {} |",
            rule_title(&p.rule),
            p.runs,
            p.accuracy(),
            p.baseline(),
            p.true_fail,
            p.false_fail,
            p.missed_fail,
            p.true_converge
        );
    }
}

/// Which values of axis `name` the reproducing point–criterion pairs have, as text.
fn values_of(pairs: &[&crate::study::analysis::PointCount], name: &str) -> String {
    let mut v: Vec<String> = pairs
        .iter()
        .map(|c| {
            c.point
                .split(' ')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_string))
                .unwrap_or_default()
        })
        .collect();
    v.sort_by(|a, b| match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y),
        _ => a.cmp(b),
    });
    v.dedup();
    v.join(", ")
}

/// The verdict of a grid's analysis in words: where the pattern is and is not reproduced.
fn grid_verdict(out: &mut String, a: &Analysis, points: usize) {
    let rep = a.reproducing();
    let pairs = a.counts.len();
    if rep.is_empty() {
        let _ = writeln!(
            out,
            "**Not reproduced** at any of the {points} points under any of the 9 criteria \
             (fit ∈ {{0.01, 0.05, 0.1}} × L_0 at K/4, K/2, K). The closest:\n"
        );
    } else {
        let _ = writeln!(
            out,
            "**Reproduced** at {} of {pairs} point–criterion pairs ({points} points × 9 criteria). \
             Those pairs have o ∈ {{{}}}, initial scale ∈ {{{}}}, η ∈ {{{}}}, ŵ ∈ {{{}}}; every \
             other point–criterion pair does not give the pattern. The closest pairs:\n",
            rep.len(),
            values_of(&rep, "o"),
            values_of(&rep, "init"),
            values_of(&rep, "eta"),
            values_of(&rep, "what"),
        );
    }
    let _ = writeln!(
        out,
        "| point | criterion | BPTT | tBPTT(1) | RFLO | e-prop | distance (sum over rules of the gap to the paper's fraction) |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for c in a.closest(5) {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {:.2} |",
            c.point,
            c.criterion,
            c.count_cells(),
            c.distance
        );
    }
    let _ = writeln!(out, "\n✓: consistent with the paper's count.\n");
}

fn influence_text(a: &Analysis) -> String {
    a.influence
        .iter()
        .map(|(axis, v)| format!("{} {:.2}", axis_label(axis), v))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Draws a grid's heat maps to `out/file` and returns the report text for the figure (or why it
/// was not drawn).
fn heatmap_figure(a: &Analysis, out: &Path, file: &str, label: &str, what: &str) -> String {
    let Some(h) = a.heatmaps.first() else {
        return format!("(no heat map for the {what}: fewer than two settings vary)\n\n");
    };
    let caption = format!(
        "Converged fraction ({}) per rule over {} (x) and {} (y), the two settings that move the \
         counts most in the {what} (mean over the other settings; cell value printed). Look for the \
         region where BPTT and tBPTT(1) are dark (≈ 1) while RFLO and e-prop are mid-blue \
         (≈ 0.6): that is where the paper's pattern can appear.",
        a.default_criterion,
        axis_label(&h.x.0),
        axis_label(&h.y.0)
    );
    let title = format!("{label}: converged fraction per rule ({what})");
    match render_heatmaps(&a.heatmaps, &title, &caption, &out.join(file)) {
        Ok(()) => format!("### {label}\n\n![{label}]({file})\n\n{title}. {caption}\n\n"),
        Err(e) => format!("({label} not drawn: {e})\n\n"),
    }
}

/// The whole section: runs what it needs on `threads` threads, draws its figures into `out`, and
/// returns the Markdown. Errors become text in the section (the report itself still succeeds).
pub fn section(budget: Budget, out: &Path, threads: usize) -> String {
    let started = Instant::now();
    let mut md = String::new();
    let _ = writeln!(md, "## Settings study: the paper's convergence counts\n");
    let p: Point = selected();
    let (num, den) = crate::study::CHECKPOINTS[SELECTED_CRITERION.at];
    let short = Point {
        steps: p.steps * num / den,
        ..p.clone()
    };
    let crit = Criterion {
        fit: SELECTED_CRITERION.fit,
        at: crate::study::CHECKPOINTS.len() - 1,
    };
    let _ = writeln!(
        md,
        "The linear-RNN paper's public summary (`[notes]`) reports, of 20 student–teacher runs, \
         BPTT 20/20, one-step tBPTT 20/20, RFLO 13/20 and e-prop 12/20 converged; its settings and \
         criterion are not known. The project's convergence study sweeps them (`lro experiment \
         convergence`; the per-mode reading behind the failure classes and predictions is in \
         [modes.md](../docs/theory/modes.md)). A count is *consistent* with the paper's when each \
         fraction lies inside the other's exact 95 % (Clopper–Pearson) interval.\n\n\
         Selected setting (`[assumed]`, chosen on seeds 0–19 among the focus grid's 36 points × 9 \
         criteria): `{}`, criterion {}. The runs below stop at step {}, where the criterion \
         judges them (a constant-rate run with expected updates follows the same trajectory \
         whatever its K).\n",
        p.key(),
        SELECTED_CRITERION.describe(),
        short.steps
    );
    // 1. The selected setting, in-sample and held-out seeds. The criterion judges one step (K/2);
    // the runs stop there, which halves their cost and changes no count (a constant-rate,
    // expected-update run's first steps do not depend on K).
    let n = PAPER_RUNS;
    let records = match run_many(std::slice::from_ref(&short), 0..2 * n, threads) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(md, "(the selected setting's runs failed: {e})\n");
            return md;
        }
    };
    let (ins, held) = (
        counts(&records, 0..n, &crit),
        counts(&records, n..2 * n, &crit),
    );
    let _ = writeln!(
        md,
        "| rule | seeds 0–19 | 95 % interval | held-out seeds 20–39 | 95 % interval | paper | paper's 95 % interval | consistent (0–19 / 20–39) |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|");
    for (i, rule) in RULES.iter().enumerate() {
        let _ = writeln!(
            md,
            "| {} | {}/{} | {} | {}/{} | {} | {}/{PAPER_RUNS} | {} | {} / {} |",
            rule_title(rule),
            ins[i].0,
            ins[i].1,
            interval(ins[i].0, ins[i].1),
            held[i].0,
            held[i].1,
            interval(held[i].0, held[i].1),
            PAPER_COUNTS[i],
            interval(PAPER_COUNTS[i], PAPER_RUNS),
            consistent(i, ins[i].0, ins[i].1),
            consistent(i, held[i].0, held[i].1),
        );
    }
    let all = |c: &[(u64, u64)]| {
        (0..RULES.len()).all(|i| crate::study::analysis::consistent_with_paper(i, c[i].0, c[i].1))
    };
    let verdict = match (all(&ins), all(&held)) {
        (true, true) => {
            "the pattern is **reproduced** at this setting on the seeds it was selected on and on \
             the held-out seeds"
        }
        (true, false) => {
            "the pattern is reproduced on the seeds the setting was selected on but **not on the \
             held-out seeds**: the selection fits noise in part"
        }
        (false, true) => "the pattern is reproduced on the held-out seeds only",
        (false, false) => "the pattern is **not reproduced** at this setting",
    };
    let _ = writeln!(md, "\nVerdict: {verdict}.\n");
    let sel = analyse_tallies(&tally::tally(&records), &crit);
    let _ = writeln!(
        md,
        "Failure predicted from the initial condition alone (every teacher mode's starting \
         parameters iterated through the discrete per-mode map of the run's rule, horizon, rate \
         and step count, the summed per-mode loss judged by the same criterion; `[derived]`), \
         against the simulations at the selected setting, seeds 0–39:\n"
    );
    prediction_table(&mut md, &sel.prediction);
    // 2. At the full budget, the quick grid run here: its verdict, prediction accuracy and heat
    // maps. (At the quick budget it would cost more than the whole quick report's budget: 67 s wall
    // on two loaded cores in `benches/study.rs`; the heat maps come from the committed full grid.)
    let mut figure = 1;
    let mut runs = 0;
    if budget == Budget::Full {
        let grid = Grid::quick();
        runs = grid.points.len() * RULES.len() * grid.seeds as usize;
        let _ = writeln!(
            md,
            "\n### The quick grid, run for this report\n\n{} points × 4 rules × {} seeds = {runs} \
             runs (initial scale ∈ {{0.1, 0.5, 1}} × o ∈ {{1, 4}} × ŵ ∈ {{0, 0.5}} × η ∈ {{0.05, \
             0.1}}, T = 10, K = 2000), judged with {}.\n",
            grid.points.len(),
            grid.seeds,
            SELECTED_CRITERION.describe()
        );
        match run_many(&grid.points, 0..grid.seeds, threads) {
            Ok(recs) => {
                let a = analyse_tallies(&tally::tally(&recs), &SELECTED_CRITERION);
                grid_verdict(&mut md, &a, grid.points.len());
                let _ = writeln!(
                    md,
                    "Influence (range of the marginal converged fraction across a setting's \
                     values, mean over rules): {}.\n\nPrediction accuracy over this grid:\n",
                    influence_text(&a)
                );
                prediction_table(&mut md, &a.prediction);
                md.push('\n');
                md.push_str(&heatmap_figure(
                    &a,
                    out,
                    "study_heatmaps_quick.svg",
                    &format!("Figure S{figure} (quick grid)"),
                    "quick grid",
                ));
                figure += 1;
            }
            Err(e) => {
                let _ = writeln!(md, "(the quick grid's runs failed: {e})\n");
            }
        }
    } else {
        let _ = writeln!(
            md,
            "\nAt this budget no grid is run for the report (the quick grid's 1 920 runs take a minute \
             on two cores, over the quick report's budget); the heat maps below come from the \
             committed full grid. `lro report --budget full` also runs the quick grid.\n"
        );
    }
    // 3. The committed full grid.
    match committed_full() {
        Ok((tallies, info)) => {
            let a = analyse_tallies(&tallies, &FULL_GRID_CRITERION);
            let points = {
                let mut v: Vec<&str> = tallies.iter().map(|t| t.point.as_str()).collect();
                v.sort();
                v.dedup();
                v.len()
            };
            let _ = writeln!(
                md,
                "### The full grid (committed run)\n\n{} runs at {points} points: initial scale \
                 ∈ {{0.1, 0.3, 0.6, 1}} × η ∈ {{0.02, 0.05, 0.075, 0.1}} × o ∈ {{1, 2, 4}} × ŵ ∈ \
                 {{0, 0.2, 0.5}}, 20 seeds, K = 4000, T = 10 (the other settings as selected; the \
                 grid and its pruning are documented in `Grid::full`). Read from \
                 `results/study/full/tallies.csv`, written by `{}` at commit `{}` ({} s wall, {}; \
                 finished {}). Heat maps, influence and prediction use {} (step 1000, the selected \
                 criterion's step).\n",
                a.runs,
                info.command,
                info.commit,
                info.wall_seconds.round(),
                info.machine,
                info.finished_utc,
                FULL_GRID_CRITERION.describe()
            );
            if info.grid != "full" || info.runs != a.runs as u64 {
                let _ = writeln!(
                    md,
                    "(note: run.json describes grid {} with {} runs; the tallies hold {}: the \
                     sweep did not finish)\n",
                    info.grid, info.runs, a.runs
                );
            }
            grid_verdict(&mut md, &a, points);
            let _ = writeln!(
                md,
                "Influence: {}.\n\nPrediction accuracy over the full grid:\n",
                influence_text(&a)
            );
            prediction_table(&mut md, &a.prediction);
            md.push('\n');
            md.push_str(&heatmap_figure(
                &a,
                out,
                "study_heatmaps_full.svg",
                &format!("Figure S{figure} (full grid)"),
                "full grid",
            ));
        }
        Err(e) => {
            let _ = writeln!(
                md,
                "(the committed full-grid results cannot be read: {e})\n"
            );
        }
    }
    let _ = writeln!(
        md,
        "This section ran {} simulations in {:.1} s wall on {threads} threads.\n",
        2 * n as usize * RULES.len() + runs,
        started.elapsed().as_secs_f64()
    );
    md
}
