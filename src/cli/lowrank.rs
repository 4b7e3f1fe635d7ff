//! `lro lowrank`: the low-rank student–teacher experiment (settings chosen by the project, see
//! [`crate::lowrank::experiment`] and `docs/theory/lowrank.md`), printed as its rounded summary or,
//! with `--json`, as every run's numbers.
use super::CliError;
use crate::lowrank::experiment::{RULES, Settings, Summary, run as run_experiment};
use serde_json::{Value, json};

/// Largest `--seeds` accepted (a resource limit: each seed is one training run per rule).
pub const MAX_SEEDS: u64 = 10_000;
/// Largest `--steps` accepted (a resource limit: each step is one expected update per run).
pub const MAX_STEPS: u64 = 100_000_000;

/// Checks `--seeds` and `--steps` against 1 and their limits, before any work.
pub fn validate(seeds: u64, steps: u64) -> Result<(u64, usize), CliError> {
    if seeds < 1 || steps < 1 {
        return Err(CliError::Usage(format!(
            "--seeds and --steps must be at least 1 (got {seeds} and {steps}); the paper's count is 20 seeds"
        )));
    }
    for (what, v, limit) in [("--seeds", seeds, MAX_SEEDS), ("--steps", steps, MAX_STEPS)] {
        if v > limit {
            return Err(CliError::from(crate::LroError::LimitExceeded {
                what: what.into(),
                requested: v.to_string(),
                limit: limit.to_string(),
                how_to_raise: "the run time grows linearly with seeds × steps; this limit is \
                               fixed (run several smaller experiments instead)"
                    .into(),
            }));
        }
    }
    Ok((seeds, steps as usize))
}

/// Runs the experiment with `seeds` seeds and `steps` expected-update steps per run; `json`
/// prints every run instead of the rounded summary.
pub fn run(seeds: u64, steps: u64, json: bool) -> Result<String, CliError> {
    let (seeds, steps) = validate(seeds, steps)?;
    let summary = run_experiment(&Settings::with(seeds, steps))?;
    if json {
        let mut s = serde_json::to_string_pretty(&to_json(&summary))
            .map_err(|e| CliError::Failed(format!("could not serialise the summary: {e}")))?;
        s.push('\n');
        return Ok(s);
    }
    Ok(summary.render())
}

/// The summary as JSON: `settings` (its description and the main numbers), `rules` (per rule the
/// converged / settled / diverged counts) and `runs` (per rule and seed: losses, divergence step,
/// singular values of `W_K − W_0`, gap, ranks, alignment at start and end).
pub fn to_json(summary: &Summary) -> Value {
    let s = &summary.settings;
    let rules: Vec<Value> = RULES
        .iter()
        .map(|name| {
            let (converged, settled, diverged) = summary.counts(name);
            json!({
                "rule": name,
                "runs": summary.of(name).len(),
                "converged": converged,
                "settled": settled,
                "diverged": diverged,
            })
        })
        .collect();
    let runs: Vec<Value> = summary
        .runs
        .iter()
        .map(|r| {
            json!({
                "rule": r.rule,
                "seed": r.seed,
                "loss0": r.loss0,
                "loss_end": r.loss_end,
                "loss_late": r.loss_late,
                "diverged_at": r.diverged_at,
                "converged": r.converged(s),
                "settled": r.settled(s),
                "spectrum": r.spectrum,
                "gap": r.gap,
                "rank": r.rank,
                "effective_rank": r.effective_rank,
                "alignment_start": r.alignment.0,
                "alignment_end": r.alignment.1,
            })
        })
        .collect();
    json!({
        "settings": {
            "description": s.describe(),
            "n": s.n,
            "d": s.d,
            "horizon": s.horizon,
            "eta": s.eta,
            "steps": s.steps,
            "seeds": s.seeds,
            "w_hat": s.w_hat,
            "fit_fraction": s.fit_fraction,
            "settle_fraction": s.settle_fraction,
            "divergence_bound": s.divergence_bound,
        },
        "rules": rules,
        "runs": runs,
    })
}
