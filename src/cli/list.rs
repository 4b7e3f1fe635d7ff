//! `lro list`: the catalogue and the built-in oracle cases.
use crate::catalogue;
use std::fmt::Write;

/// One line per catalogue entry (id, provenance, statement), then the built-in cases of
/// `lro export` / `lro check`.
pub fn run() -> String {
    let mut out =
        String::from("Catalogue (id, provenance, statement); each is explained in proofs/ID.md:\n");
    for e in catalogue::all() {
        let _ = writeln!(
            out,
            "  {:<14} {:<24} {}",
            e.id,
            e.provenance.to_string(),
            e.statement
        );
    }
    out.push('\n');
    out.push_str(&super::export::list_cases());
    out
}
