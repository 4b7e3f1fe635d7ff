//! `lro reproduce ID --instance K`: reruns one instance of one catalogue entry (through
//! [`crate::evidence::with_instance`]) and prints its evidence and its reproducer (the instance's
//! seed, sizes, number kind and parameters).
use super::CliError;
use crate::catalogue::{self, Budget};
use std::fmt::Write;

/// Runs instance `instance` of entry `id` at `budget`. Exit 2 when the id is unknown or the entry
/// fails to run (an error, or no instance `instance` at this budget); exit 1 when it runs and fails.
pub fn run(id: &str, instance: usize, budget: Budget) -> Result<String, CliError> {
    let entry = catalogue::find(id).ok_or_else(|| {
        CliError::Usage(format!(
            "no catalogue entry has the id '{id}'; see `lro list` for the ids"
        ))
    })?;
    let ev = crate::evidence::with_instance(instance, || (entry.check)(budget))
        .map_err(|e| CliError::Usage(format!("{id} instance {instance} could not run: {e}")))?;
    if ev.instances == 0 {
        return Err(CliError::Usage(format!(
            "{id} has no instance {instance} at budget {budget} (instances are numbered from 0; \
             the report's reproducer names the failing one)"
        )));
    }
    let mut out = String::new();
    let _ = writeln!(out, "{id}: {}", entry.statement);
    let _ = writeln!(
        out,
        "instance {instance} at budget {budget}: {}",
        if ev.passed { "PASS" } else { "FAIL" }
    );
    // An entry that numbers its instances through Budget::cases ran instance `instance` alone, so
    // its reproducer names that instance; any other reproducer means the selection had no effect.
    match &ev.reproducer {
        Some(r) if r.instance == instance => {}
        _ => {
            let _ = writeln!(
                out,
                "note: the entry ran {} instances and its reproducer does not name instance \
                 {instance}: it does not number its instances through Budget::cases, so the \
                 selection had no effect",
                ev.instances
            );
        }
    }
    for f in &ev.findings {
        let _ = writeln!(out, "  {f}");
    }
    let _ = writeln!(out, "detail: {}", ev.detail);
    match &ev.reproducer {
        Some(r) => {
            let _ = writeln!(out, "reproducer: {r}");
        }
        None => {
            let _ = writeln!(
                out,
                "reproducer: none recorded (this entry's inputs are fixed by its statement)"
            );
        }
    }
    if ev.passed {
        Ok(out)
    } else {
        Err(CliError::Failed(out))
    }
}
