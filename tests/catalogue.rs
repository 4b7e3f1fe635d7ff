//! The catalogue, the proofs/ folder and the checks stay in step (DESIGN.md, core idea 2).
use lro::catalogue::{self, Budget};
use std::collections::BTreeSet;
use std::path::Path;

fn proof_ids() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("proofs");
    std::fs::read_dir(&dir)
        .expect("proofs/ exists")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let id = name.strip_suffix(".md")?;
            (id != "README").then(|| id.to_string())
        })
        .collect()
}

#[test]
fn ids_are_unique() {
    let all = catalogue::all();
    let ids: BTreeSet<_> = all.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), all.len(), "duplicate catalogue ids");
}

#[test]
fn every_entry_has_a_proof_file_and_back() {
    let entries: BTreeSet<String> = catalogue::all().iter().map(|e| e.id.to_string()).collect();
    let proofs = proof_ids();
    let missing: Vec<_> = entries.difference(&proofs).collect();
    let orphans: Vec<_> = proofs.difference(&entries).collect();
    assert!(
        missing.is_empty(),
        "catalogue ids without proofs/ID.md: {missing:?}"
    );
    assert!(
        orphans.is_empty(),
        "proofs/ files without a catalogue entry: {orphans:?}"
    );
}

#[test]
fn proof_files_state_the_entry_provenance() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("proofs");
    for e in catalogue::all() {
        let Ok(text) = std::fs::read_to_string(dir.join(format!("{}.md", e.id))) else {
            continue;
        };
        let want = format!("Provenance: {}", e.provenance);
        assert!(
            text.starts_with(&format!("# {}", e.id)),
            "proofs/{}.md must start with '# {}'",
            e.id,
            e.id
        );
        assert!(
            text.contains(&want),
            "proofs/{}.md must contain the line '{want}'",
            e.id
        );
    }
}

#[test]
fn every_entry_passes_at_test_budget() {
    let mut failures = Vec::new();
    for e in catalogue::all() {
        match (e.check)(Budget::Test) {
            Ok(ev) if ev.passed && ev.instances > 0 => {}
            Ok(ev) => failures.push(format!("{}: {:?}", e.id, ev)),
            Err(err) => failures.push(format!("{}: error {err}", e.id)),
        }
    }
    assert!(
        failures.is_empty(),
        "failing entries:\n{}",
        failures.join("\n")
    );
}
