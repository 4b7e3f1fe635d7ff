//! `lro experiment`: the convergence study (settings chosen by the project, swept because the
//! paper's are not known).
//!
//! ```text
//! lro experiment convergence [--grid mini|quick|focus|full] [--out DIR] [--shard i/N] [--resume]
//!                            [--threads N] [--seeds N] [--timing]
//! lro experiment merge [--out DIR]
//! ```
//!
//! `convergence` runs its shard of the grid (every rule × seeds per point) on all cores, appending
//! each run to `DIR/runs-i-of-N.jsonl`; `--resume` skips runs already in any cache in `DIR` (after
//! an interruption). Without `--shard` it then writes the outputs; with shards, copy every shard's
//! cache into one folder and run `merge` there. Outputs: `runs.csv` (one row per run), `counts.csv`
//! (per point, criterion and rule, with exact binomial intervals), `tallies.csv` (per point and rule:
//! every criterion's counts, classes and prediction outcomes; the small results file to keep),
//! `summary.json`, `study.md` and a heat map per rule (`heatmap_RULE.svg`).
use super::CliError;
use crate::report::figures::study::render_heatmap;
use crate::study::Criterion;
use crate::study::analysis::{analyse_tallies, runs_csv};
use crate::study::sweep::{self, Grid, Shard};
use crate::study::tally::{self, tally};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Arguments of `lro experiment`.
#[derive(clap::Args, Debug, Clone)]
pub struct ExperimentArgs {
    /// What to run.
    #[command(subcommand)]
    pub command: ExperimentCommand,
}

/// The experiments.
#[derive(clap::Subcommand, Debug, Clone)]
pub enum ExperimentCommand {
    /// Sweep the settings the paper leaves open and count converged runs per rule.
    Convergence {
        /// Grid: mini (6 points × 5 seeds, seconds), quick (24 points, 1 920 runs, about a minute on
        /// two busy cores), focus (36 points near the paper's pattern) or full (144 points, 11 520
        /// runs, about 25 minutes on two shared cores; shard it).
        #[arg(long, default_value = "quick")]
        grid: String,
        /// Output folder (cache and results).
        #[arg(long, default_value = "lro-experiment")]
        out: PathBuf,
        /// Run only shard i of N (1-based), e.g. 3/8; merge the shards' caches afterwards.
        #[arg(long)]
        shard: Option<String>,
        /// Skip runs already in the folder's caches (continue after an interruption).
        #[arg(long)]
        resume: bool,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Seeds per point and rule (default: the grid's 20).
        #[arg(long)]
        seeds: Option<u64>,
        /// Print the wall-clock time and the throughput.
        #[arg(long)]
        timing: bool,
    },
    /// Combine every runs-*.jsonl cache in a folder and write the outputs.
    Merge {
        /// The folder holding the caches; outputs are written there.
        #[arg(long, default_value = "lro-experiment")]
        out: PathBuf,
    },
}

/// Runs `lro experiment`.
pub fn run(args: &ExperimentArgs) -> Result<String, CliError> {
    match &args.command {
        ExperimentCommand::Convergence {
            grid,
            out,
            shard,
            resume,
            threads,
            seeds,
            timing,
        } => {
            let mut g = Grid::named(grid).map_err(usage)?;
            if let Some(s) = seeds {
                if *s == 0 {
                    return Err(CliError::Usage(
                        "--seeds must be at least 1 (the paper's counts are out of 20)".into(),
                    ));
                }
                g.seeds = *s;
            }
            let shard = match shard {
                Some(s) => Shard::parse(s).map_err(usage)?,
                None => Shard::ALL,
            };
            let threads = threads
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
            let bar = if std::io::stderr().is_terminal() {
                ProgressBar::new(0)
            } else {
                ProgressBar::hidden()
            };
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} runs [{elapsed} / eta {eta}]")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let stats = sweep::run(&g, out, shard, *resume, threads, &|done, total| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            })
            .map_err(usage)?;
            bar.finish_and_clear();
            let mut text = format!(
                "grid {} ({} points × 4 rules × {} seeds), shard {}/{}: {} runs, {} from the cache, {} run now\n",
                g.name,
                g.points.len(),
                g.seeds,
                shard.index,
                shard.count,
                stats.jobs,
                stats.cached,
                stats.ran
            );
            if *timing {
                text.push_str(&format!(
                    "timing: {:.1} s wall on {} threads, {:.2} runs/s\n",
                    stats.seconds,
                    stats.threads,
                    stats.ran as f64 / stats.seconds.max(1e-9)
                ));
            }
            if shard.count == 1 {
                text.push_str(&write_outputs(out)?);
            } else {
                text.push_str(&format!(
                    "shard cache written to {}; run `lro experiment merge --out DIR` on a folder holding every shard's cache\n",
                    out.join(shard.file_name()).display()
                ));
            }
            Ok(text)
        }
        ExperimentCommand::Merge { out } => write_outputs(out),
    }
}

fn usage(e: crate::study::StudyError) -> CliError {
    CliError::Usage(e.to_string())
}

/// Reads every cache in `dir`, analyses the runs and writes the outputs there; returns the
/// summary text.
pub fn write_outputs(dir: &Path) -> Result<String, CliError> {
    let records = sweep::read_caches(dir).map_err(usage)?;
    if records.is_empty() {
        return Err(CliError::Usage(format!(
            "no runs-*.jsonl cache with any run in {}; run `lro experiment convergence --out {}` first",
            dir.display(),
            dir.display()
        )));
    }
    let tallies = tally(&records);
    let analysis = analyse_tallies(&tallies, &Criterion::DEFAULT);
    let write = |name: &str, text: String| {
        std::fs::write(dir.join(name), text)
            .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", dir.join(name).display())))
    };
    write("runs.csv", runs_csv(&records))?;
    write("counts.csv", analysis.counts_csv())?;
    write("tallies.csv", tally::to_csv(&tallies))?;
    write(
        "summary.json",
        serde_json::to_string_pretty(&analysis).map_err(|e| CliError::Usage(e.to_string()))?,
    )?;
    let md = analysis.render();
    write("study.md", md.clone())?;
    let mut notes = String::new();
    for h in &analysis.heatmaps {
        let file = format!("heatmap_{}.svg", h.rule.replace(':', ""));
        if let Err(e) = render_heatmap(h, &dir.join(&file)) {
            notes.push_str(&format!("heat map {file} not drawn: {e}\n"));
        }
    }
    Ok(format!(
        "{md}\n{notes}wrote runs.csv, counts.csv, tallies.csv, summary.json, study.md and {} heat maps to {}\n",
        analysis.heatmaps.len(),
        dir.display()
    ))
}
