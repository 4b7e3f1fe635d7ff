//! The documentation of every case-config key (`lro export --describe-config`): convention,
//! key, type, default and meaning, from the tables of [`super::config`] and of each preset.
use super::presets::{marschall2020, murray2019};

/// One key of a case config: convention, name, type, default (None: required), meaning.
pub type KeyDoc = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
);

/// Every key of every convention's case config (`lro export --describe-config`).
/// The keys every convention's config has, and the keys of the project's own convention.
pub const COMMON_KEYS: &[KeyDoc] = &[
    (
        "*",
        "convention",
        "string: lro | murray2019 | marschall2020",
        None,
        "which convention the case follows",
    ),
    (
        "*",
        "name",
        "string",
        None,
        "the case name, repeated in the fixture and checked against a candidate's `case`",
    ),
    (
        "*",
        "description",
        "string",
        Some("\"\""),
        "one line describing the case",
    ),
    (
        "*",
        "seed",
        "integer >= 0",
        None,
        "seed of every draw (ChaCha8; reproducible bit for bit)",
    ),
    (
        "*",
        "allow_non_finite",
        "boolean",
        Some("false"),
        "accept a reference holding NaN or infinity (otherwise the export is refused, naming tensor and step)",
    ),
    ("lro", "o", "integer >= 1", None, "output dimension"),
    ("lro", "n", "integer >= 1", None, "student hidden dimension"),
    (
        "lro",
        "n_teacher",
        "integer >= 1",
        Some("n"),
        "teacher hidden dimension",
    ),
    ("lro", "d", "integer >= 1", None, "input dimension"),
    ("lro", "horizon", "integer >= 1", None, "number of steps T"),
    (
        "lro",
        "aligned",
        "boolean",
        Some("false"),
        "data-aligned construction (needs n_teacher = n)",
    ),
    (
        "lro",
        "alpha",
        "number in (0, 1]",
        Some("1"),
        "leak of student and teacher",
    ),
    (
        "lro",
        "activation",
        "string: identity | tanh",
        Some("\"identity\""),
        "activation of student and teacher",
    ),
    (
        "lro",
        "tbptt_k",
        "array of integers >= 1",
        Some("[1, 3]"),
        "truncation lengths of the exported tBPTT rules",
    ),
];

/// Every key of every convention's case config.
pub fn config_keys() -> Vec<KeyDoc> {
    let mut v = COMMON_KEYS.to_vec();
    v.extend_from_slice(murray2019::settings::KEYS);
    v.extend_from_slice(marschall2020::settings::KEYS);
    v
}

/// The text of `lro export --describe-config`: every key, its type, default and meaning.
pub fn describe() -> String {
    let mut s = String::from(
        "case-config keys (a JSON object; unknown keys are refused; `*`: every convention)\n",
    );
    for conv in ["*", "lro", "murray2019", "marschall2020"] {
        s.push_str(&format!("\n[{conv}]\n"));
        for (c, key, ty, default, meaning) in config_keys() {
            if c == conv {
                let d = default.map_or("required".to_string(), |d| format!("default {d}"));
                s.push_str(&format!("  {key:<18} {ty:<36} {d:<22} {meaning}\n"));
            }
        }
    }
    s
}
