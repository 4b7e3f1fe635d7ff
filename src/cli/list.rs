//! `lro list`: the catalogue.
use crate::catalogue;
use std::fmt::Write;

/// One line per catalogue entry: id, provenance, statement.
pub fn run() -> String {
    let mut out =
        String::from("Catalogue (id, provenance, statement); explained in proofs/ID.md:\n");
    for e in catalogue::all() {
        let _ = writeln!(
            out,
            "  {:<14} {:<24} {}",
            e.id,
            e.provenance.to_string(),
            e.statement
        );
    }
    out
}
