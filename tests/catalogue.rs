//! The catalogue as named tests: one test per entry (select one with `cargo test --release --test
//! catalogue P-RNN-35`), one per named fault (`fault::NAME`: with the fault injected, every entry
//! meant to catch it fails, at the finding `faults::PRIMARY_FINDINGS` names where it names one),
//! and the structural checks that keep catalogue, `proofs/` and checks in
//! step. Each entry's test prints its headline finding with its unit.
//!
//! The full fault × entry matrix (every entry under every fault) is heavy: it is the ignored test
//! `power::matrix` (`cargo test --release --test catalogue -- --ignored`) and the check-power table
//! of `lro report --budget full`.

use libtest_mimic::{Arguments, Failed, Trial};
use lro::catalogue::{self, Entry};
use lro::evidence::Budget;
use lro::faults::{self, Fault};
use lro::report::power;
use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;
use std::path::Path;

fn proof_ids() -> Result<BTreeSet<String>, Failed> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("proofs");
    let rd = std::fs::read_dir(&dir).map_err(|e| format!("proofs/ unreadable: {e}"))?;
    Ok(rd
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let id = name.strip_suffix(".md")?;
            (id != "README").then(|| id.to_string())
        })
        .collect())
}

fn ids_are_unique() -> Result<(), Failed> {
    let all = catalogue::all();
    let ids: BTreeSet<_> = all.iter().map(|e| e.id).collect();
    if ids.len() != all.len() {
        return Err("duplicate catalogue ids".into());
    }
    Ok(())
}

fn every_entry_has_a_proof_file_and_back() -> Result<(), Failed> {
    let entries: BTreeSet<String> = catalogue::all().iter().map(|e| e.id.to_string()).collect();
    let proofs = proof_ids()?;
    let missing: Vec<_> = entries.difference(&proofs).collect();
    let orphans: Vec<_> = proofs.difference(&entries).collect();
    if !missing.is_empty() || !orphans.is_empty() {
        return Err(format!(
            "catalogue ids without proofs/ID.md: {missing:?}; proofs/ files without an entry: {orphans:?}"
        )
        .into());
    }
    Ok(())
}

fn proof_files_state_the_entry_provenance() -> Result<(), Failed> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("proofs");
    for e in catalogue::all() {
        let text = std::fs::read_to_string(dir.join(format!("{}.md", e.id)))
            .map_err(|err| format!("proofs/{}.md: {err}", e.id))?;
        let want = format!("Provenance: {}", e.provenance);
        if !text.starts_with(&format!("# {}", e.id)) {
            return Err(format!("proofs/{}.md must start with '# {}'", e.id, e.id).into());
        }
        if !text.contains(&want) {
            return Err(format!("proofs/{}.md must contain the line '{want}'", e.id).into());
        }
    }
    Ok(())
}

fn every_fault_names_real_entries() -> Result<(), Failed> {
    let ids: BTreeSet<&str> = catalogue::all().iter().map(|e| e.id).collect();
    for &f in Fault::ALL {
        if f.meant_to_catch().is_empty() && f.caught_by_tests().is_empty() {
            return Err(format!(
                "fault {} names no entry (nor test) meant to catch it",
                f.name()
            )
            .into());
        }
        // A test named as catching a fault must exist and inject that fault.
        for t in f.caught_by_tests() {
            let (file, name) = t.split_once("::").ok_or("caught_by_tests: file::test")?;
            let path = format!("{}/tests/{file}.rs", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
            let variant = format!("{:?}", f);
            if !text.contains(&format!("fn {name}()")) || !text.contains(&variant) {
                return Err(format!(
                    "fault {}: test {t} must exist in {path} and inject Fault::{variant}",
                    f.name()
                )
                .into());
            }
        }
        for id in f.meant_to_catch() {
            if !ids.contains(id) {
                return Err(format!("fault {} names unknown entry {id}", f.name()).into());
            }
        }
    }
    Ok(())
}

fn run_entry(e: Entry) -> Result<(), Failed> {
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| (e.check)(Budget::Test)));
    match outcome {
        Ok(Ok(ev)) => {
            let head = ev
                .headline()
                .map_or_else(|| "no finding".to_string(), |f| f.to_string());
            println!("    {} [{} instances] {}", e.id, ev.instances, head);
            if ev.passed && ev.instances > 0 {
                Ok(())
            } else {
                let findings: Vec<String> = ev.findings.iter().map(|f| f.to_string()).collect();
                let repro = ev
                    .reproducer
                    .map_or_else(String::new, |r| format!("\nworst instance: {r}"));
                Err(format!(
                    "{} failed: {}\n{}{repro}\nrerun alone: lro reproduce {} --instance K",
                    e.id,
                    findings.join("; "),
                    ev.detail,
                    e.id
                )
                .into())
            }
        }
        Ok(Err(err)) => Err(format!("{} stopped with an error: {err}", e.id).into()),
        Err(_) => Err(format!("{} panicked", e.id).into()),
    }
}

fn run_fault(f: Fault) -> Result<(), Failed> {
    if !f.in_catalogue() {
        println!(
            "    fault {} is caught by tests outside the catalogue: {}",
            f.name(),
            f.caught_by_tests().join(", ")
        );
        return Ok(());
    }
    let mut missed = Vec::new();
    for id in f.meant_to_catch() {
        let Some(e) = catalogue::find(id) else {
            return Err(format!("unknown entry {id}").into());
        };
        let finding = f.finding_that_must_fail(id);
        if !power::fails_at_finding(&e, Some(f), Budget::Test, finding) {
            missed.push(match finding {
                Some(i) => format!("{id} (finding {i} must fail)"),
                None => id.to_string(),
            });
        }
    }
    if missed.is_empty() {
        println!(
            "    fault {} caught by {}",
            f.name(),
            f.meant_to_catch().join(", ")
        );
        Ok(())
    } else {
        Err(format!(
            "fault {} ({}) was not caught by {}",
            f.name(),
            f.description(),
            missed.join(", ")
        )
        .into())
    }
}

fn primary_findings_belong_to_catching_entries() -> Result<(), Failed> {
    for (f, id, _) in faults::PRIMARY_FINDINGS {
        if !f.meant_to_catch().contains(id) {
            return Err(format!(
                "PRIMARY_FINDINGS names {id} for fault {}, which is not meant to catch it",
                f.name()
            )
            .into());
        }
    }
    Ok(())
}

fn power_matrix() -> Result<(), Failed> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let rows = power::matrix(|_| true, Budget::Test, threads, |_| {});
    println!("{}", power::markdown(&rows));
    let mut problems = Vec::new();
    for r in &rows {
        if r.caught_by.is_empty() {
            problems.push(format!("{}: caught by nothing", r.fault));
        }
        let missed = r.missed();
        if !missed.is_empty() {
            problems.push(format!("{}: missed by {}", r.fault, missed.join(", ")));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n").into())
    }
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![
        Trial::test("structure::ids_are_unique", ids_are_unique),
        Trial::test(
            "structure::every_entry_has_a_proof_file_and_back",
            every_entry_has_a_proof_file_and_back,
        ),
        Trial::test(
            "structure::proof_files_state_the_entry_provenance",
            proof_files_state_the_entry_provenance,
        ),
        Trial::test(
            "structure::every_fault_names_real_entries",
            every_fault_names_real_entries,
        ),
        Trial::test(
            "structure::primary_findings_belong_to_catching_entries",
            primary_findings_belong_to_catching_entries,
        ),
        Trial::test("power::matrix", power_matrix).with_ignored_flag(true),
    ];
    for e in catalogue::all() {
        trials.push(Trial::test(e.id, move || run_entry(e)).with_kind("entry"));
    }
    for &f in Fault::ALL {
        trials.push(Trial::test(format!("fault::{}", f.name()), move || {
            run_fault(f)
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}
