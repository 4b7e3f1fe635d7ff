//! `lro export --case NAME|config.json --out FILE.json|.npz`: writes a seeded reference fixture.
use super::CliError;
use crate::oracle;
use std::path::Path;

/// Builds the case and writes it; returns a one-paragraph summary.
pub fn run(case: &str, out: &Path) -> Result<String, CliError> {
    let f = oracle::resolve_case(case)?;
    oracle::write_fixture(&f, out)?;
    let groups = f.rule_groups().join(", ");
    Ok(format!(
        "lro export: case {} (convention {}, schema_version {}) -> {}\n{} tensors; rules: {}\n",
        f.case,
        f.conventions.convention,
        f.schema_version,
        out.display(),
        f.tensors.len(),
        groups
    ))
}

/// The `lro list` lines for the built-in cases: name and description.
pub fn list_cases() -> String {
    let mut s = String::from("built-in cases (lro export --case NAME):\n");
    for name in oracle::cases::builtin_names() {
        let d = oracle::cases::description(name).unwrap_or_default();
        s.push_str(&format!("  {name:<16} {d}\n"));
    }
    s
}
