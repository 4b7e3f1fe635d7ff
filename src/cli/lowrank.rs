//! `lro lowrank`: the student–teacher experiment of spec §8 (settings chosen by the project, see
//! [`crate::lowrank::experiment`]), printed as its rounded summary.
use super::CliError;
use crate::lowrank::experiment::{Settings, run as run_experiment};

/// Runs the experiment with `seeds` seeds and `steps` expected-update steps per run.
pub fn run(seeds: u64, steps: usize) -> Result<String, CliError> {
    if seeds == 0 || steps == 0 {
        return Err(CliError::Usage(format!(
            "--seeds and --steps must be at least 1 (got {seeds} and {steps}); the paper's count is 20 seeds"
        )));
    }
    let summary = run_experiment(&Settings::with(seeds, steps))?;
    Ok(summary.render())
}
