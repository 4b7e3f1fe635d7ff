//! `lro report`: the main job.
use super::CliError;
use crate::catalogue::Budget;
use crate::report::{self, figures};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;

/// Runs the catalogue, prints the summary, writes `report.md`, `report.json` and the figures into
/// `out`. Fails (exit 1) when any entry fails; exit 2 when nothing matches `only` or `out` cannot be
/// written.
pub fn run(out: &Path, budget: Budget, only: Option<&str>) -> Result<String, CliError> {
    let total = report::count(only);
    if total == 0 {
        return Err(CliError::Usage(format!(
            "--only {:?} matches no catalogue id; see `lro list` for the ids",
            only.unwrap_or("")
        )));
    }
    std::fs::create_dir_all(out).map_err(|e| {
        CliError::Usage(format!(
            "cannot create output folder {}: {e}",
            out.display()
        ))
    })?;
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(total as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let started = std::time::Instant::now();
    let done = std::sync::atomic::AtomicUsize::new(0);
    // The figures do not depend on the entries: they are computed (and drawn) on a thread of
    // their own while the entries run.
    let (rep, (figs, fig_notes)) = std::thread::scope(|scope| {
        let figures = scope.spawn(|| draw_figures(budget, only.is_none(), out));
        let rep = report::run(budget, only, threads, |id| {
            // One line per finished entry, on a terminal above the bar and otherwise plain on stderr
            // (a log or CI run sees progress too).
            let k = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            let line = format!(
                "[{k}/{total}] {id} finished ({:.1} s elapsed)",
                started.elapsed().as_secs_f64()
            );
            if bar.is_hidden() {
                eprintln!("{line}");
            } else {
                bar.println(line);
            }
            bar.set_message(id.to_string());
            bar.inc(1);
        });
        let figures = figures
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (rep, figures)
    });
    bar.finish_and_clear();
    let mut rep = rep;
    if budget == Budget::Full && only.is_none() {
        // Check power: every named fault against every entry, at the test budget.
        let faults = crate::faults::Fault::ALL
            .iter()
            .filter(|f| f.in_catalogue())
            .count();
        let done = std::sync::atomic::AtomicUsize::new(0);
        eprintln!("check power: {faults} faults × every entry, at the test budget");
        rep.power = Some(report::power::matrix(
            |_| true,
            Budget::Test,
            threads,
            |name| {
                let k = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                eprintln!(
                    "[{k}/{faults}] fault {name} done ({:.1} s elapsed)",
                    started.elapsed().as_secs_f64()
                );
            },
        ));
    }

    let write = |name: &str, text: String| {
        std::fs::write(out.join(name), text)
            .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", out.join(name).display())))
    };
    let mut md = report::markdown(&rep, &figs);
    if only.is_none() {
        md.push_str(&report::family::section(&rep, budget));
        md.push_str(&report::study::section(budget, out, threads));
    }
    write("report.md", md)?;
    write(
        "report.json",
        serde_json::to_string_pretty(&rep).map_err(|e| CliError::Usage(e.to_string()))?,
    )?;
    let mut text = report::summary_table(&rep);
    text.push_str(&fig_notes);
    text.push_str(&format!(
        "wrote {}/report.md, report.json and {} figures\n",
        out.display(),
        figs.len()
    ));
    if rep.failures() > 0 {
        return Err(CliError::Failed(text));
    }
    Ok(text)
}

/// Computes and draws every figure into `out` (none when `all` is false): the files drawn with
/// their captions, and a note for each figure that could not be computed or drawn.
fn draw_figures(budget: Budget, all: bool, out: &Path) -> (Vec<(String, String)>, String) {
    let mut figs = Vec::new();
    let mut fig_notes = String::new();
    if all {
        for build in figures::builders() {
            match build(budget) {
                Ok(fig) => {
                    let file = format!("{}.svg", fig.name);
                    match figures::render_svg(&fig, &out.join(&file)) {
                        Ok(()) => figs.push((file, fig.report_caption())),
                        Err(e) => {
                            fig_notes.push_str(&format!("figure {} not drawn: {e}\n", fig.name))
                        }
                    }
                }
                Err(e) => fig_notes.push_str(&format!("a figure could not be computed: {e}\n")),
            }
        }
    }
    (figs, fig_notes)
}
