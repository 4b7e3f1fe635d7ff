//! The documentation of every case-config key (`lro export --describe-config`): convention,
//! key, type, default and meaning, from the tables of [`super::config`] and of each preset.
use super::presets::{marschall2020, murray2019};
use crate::error::{LroError, Result};
use serde_json::Value;

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
    (
        "lro",
        "batch",
        "integer >= 1",
        Some("1"),
        "number of input sequences B; B > 1 adds a leading batch axis and batch-mean updates",
    ),
    (
        "lro",
        "family",
        "boolean",
        Some("false"),
        "add UORO and KF-RTRL (unit and variance-min scalings, seeded draws stored as <rule>.draws) and SnAp-1, SnAp-2; needs batch = 1",
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

/// The JSON type a key's documented type calls for.
#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Bool,
    Str,
    Choice(Vec<String>),
    Integer,
    Number,
    Integers,
    Numbers(Option<usize>),
}

/// Reads the documented type (the table's type column is the single source of both the listing
/// and the check).
fn kind(ty: &str) -> Kind {
    if ty == "boolean" {
        Kind::Bool
    } else if let Some(choices) = ty.strip_prefix("string: ") {
        Kind::Choice(choices.split(" | ").map(str::to_string).collect())
    } else if ty.starts_with("string") {
        Kind::Str
    } else if ty.starts_with("integer") {
        Kind::Integer
    } else if ty.starts_with("number") {
        Kind::Number
    } else if ty.starts_with("array of integers") {
        Kind::Integers
    } else if let Some(rest) = ty.strip_prefix("array of ") {
        Kind::Numbers(rest.split(' ').next().and_then(|n| n.parse().ok()))
    } else {
        Kind::Str
    }
}

fn describe_value(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string \"{s}\""),
        Value::Array(a) => format!("an array of {} entries", a.len()),
        Value::Object(_) => "an object".into(),
    }
}

fn fits(k: &Kind, v: &Value) -> bool {
    let is_int = |v: &Value| v.as_u64().is_some();
    match k {
        Kind::Bool => v.is_boolean(),
        Kind::Str => v.is_string(),
        Kind::Choice(c) => v.as_str().is_some_and(|s| c.iter().any(|x| x == s)),
        Kind::Integer => is_int(v),
        Kind::Number => v.is_number(),
        Kind::Integers => v.as_array().is_some_and(|a| a.iter().all(is_int)),
        Kind::Numbers(n) => v
            .as_array()
            .is_some_and(|a| a.iter().all(Value::is_number) && n.is_none_or(|n| a.len() == n)),
    }
}

fn key_error(key: &str, reason: String) -> LroError {
    LroError::InvalidParameter {
        name: format!("case config key \"{key}\""),
        reason,
    }
}

/// Checks a case config's keys against the tables before it is deserialised, so that every error
/// names the key: unknown keys, missing required keys, and values of the wrong type (e.g. a
/// number where a boolean is expected).
pub fn check_config(v: &Value) -> Result<()> {
    let Some(obj) = v.as_object() else {
        return Err(LroError::InvalidParameter {
            name: "case config".into(),
            reason: format!(
                "the top level is {}, not an object of keys",
                describe_value(v)
            ),
        });
    };
    let conventions = ["lro", "murray2019", "marschall2020"];
    let conv = match obj.get("convention") {
        None => {
            return Err(key_error(
                "convention",
                format!("missing; name one of {}", conventions.join(", ")),
            ));
        }
        Some(c) => match c.as_str() {
            Some(s) if conventions.contains(&s) => s,
            _ => {
                return Err(key_error(
                    "convention",
                    format!(
                        "got {}; use one of {}",
                        describe_value(c),
                        conventions.join(", ")
                    ),
                ));
            }
        },
    };
    let rows: Vec<KeyDoc> = config_keys()
        .into_iter()
        .filter(|(c, ..)| *c == "*" || *c == conv)
        .collect();
    for (key, value) in obj {
        let Some((_, _, ty, default, _)) = rows.iter().find(|(_, k, ..)| k == key) else {
            let known: Vec<&str> = rows.iter().map(|(_, k, ..)| *k).collect();
            return Err(key_error(
                key,
                format!(
                    "unknown key for convention {conv}; its keys are {} \
                     (`lro export --describe-config` lists them with types and defaults)",
                    known.join(", ")
                ),
            ));
        };
        if value.is_null() && default.is_some() {
            continue;
        }
        if !fits(&kind(ty), value) {
            let hint = match kind(ty) {
                Kind::Bool => " (write true or false, not 1 or 0)",
                _ => "",
            };
            return Err(key_error(
                key,
                format!("expected {ty}{hint}, got {}", describe_value(value)),
            ));
        }
    }
    for (_, key, ty, default, _) in &rows {
        if default.is_none() && !obj.contains_key(*key) {
            return Err(key_error(
                key,
                format!("missing; convention {conv} requires it ({ty})"),
            ));
        }
    }
    Ok(())
}
