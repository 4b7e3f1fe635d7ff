//! `lro modes`: per-mode loss, update, the learning ODE's Jacobian, its eigenvalues and, at a fixed
//! point, its stability class (formulas derived for this project; see `docs/theory/modes.md`).
//!
//! ```text
//! lro modes --rule bptt|tbptt:K|rflo --mode a,b,w --teacher a*,b*,w* [--feedback â,ŵ]
//!           [--horizon T|inf] [--max-horizon N] [--json]
//! ```
//!
//! Numbers are decimals or fractions `p/q`. `M = ∂Δ/∂(a, b, w)` is the Jacobian of the update; the
//! learning ODE `dθ/dτ = −Δ` has Jacobian `J = −M`, so J's eigenvalues are the negatives of M's.
//! JSON keys: `rule`, `horizon` ("inf" or T as a string), `loss`, `update` {a, b, w}, `jacobian`
//! (3×3 rows of `J = −M`), `eigenvalues` [{re, im}] (of J), `m_eigenvalues` [{re, im}] (of M),
//! `fixed_point` (bool), `class` (the stability class, `null` unless `fixed_point`). Bad arguments,
//! values outside the formulas' domain and points where a result would not be finite exit with
//! code 2 and a message; the horizon T and the truncation K are limited by `--max-horizon`.
use super::CliError;
use crate::modes::jacobian::{ModeReport, report};
use crate::modes::{Horizon, ModeRule};
use crate::rnn::Mode;
use std::fmt::Write;

/// Default of `--max-horizon`: the largest horizon T and truncation K `lro modes` accepts. The
/// finite-T sums keep three vectors of T numbers (48 bytes per step over dual numbers) and take
/// O(T) time, so 10⁶ steps cost about 50 MB and well under a second.
pub const DEFAULT_MAX_HORIZON: u64 = 1_000_000;

/// Arguments of `lro modes`.
#[derive(clap::Args, Debug, Clone)]
pub struct ModesArgs {
    /// Learning rule: bptt, tbptt:K (1 ≤ K ≤ --max-horizon) or rflo.
    #[arg(long, allow_hyphen_values = true)]
    pub rule: String,
    /// The student mode a,b,w (decimals or fractions p/q).
    #[arg(long, allow_hyphen_values = true)]
    pub mode: String,
    /// The teacher mode a*,b*,w*.
    #[arg(long, allow_hyphen_values = true)]
    pub teacher: String,
    /// RFLO feedback â,ŵ (required for rflo, rejected otherwise).
    #[arg(long, allow_hyphen_values = true)]
    pub feedback: Option<String>,
    /// Horizon: a number of steps T with 1 ≤ T ≤ --max-horizon, or inf for the T → ∞ forms.
    #[arg(long, default_value = "inf", allow_hyphen_values = true)]
    pub horizon: String,
    /// Largest horizon T and truncation K accepted (a resource limit, checked before any work).
    #[arg(long, value_name = "N", default_value = "1000000", value_parser = super::positive_count,
          allow_hyphen_values = true)]
    pub max_horizon: u64,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

impl ModesArgs {
    /// Arguments with the given rule, mode, teacher and defaults for the rest (horizon inf,
    /// [`DEFAULT_MAX_HORIZON`], text output).
    pub fn new(rule: &str, mode: &str, teacher: &str) -> Self {
        ModesArgs {
            rule: rule.into(),
            mode: mode.into(),
            teacher: teacher.into(),
            feedback: None,
            horizon: "inf".into(),
            max_horizon: DEFAULT_MAX_HORIZON,
            json: false,
        }
    }
}

fn usage(msg: impl Into<String>) -> CliError {
    CliError::Usage(msg.into())
}

/// Parses a decimal or a fraction `p/q` into a finite f64.
pub fn parse_number(s: &str) -> Result<f64, CliError> {
    let t = s.trim();
    let v = if let Some((p, q)) = t.split_once('/') {
        let p: f64 = p
            .trim()
            .parse()
            .map_err(|_| usage(format!("malformed number '{s}': numerator is not a number")))?;
        let q: f64 = q.trim().parse().map_err(|_| {
            usage(format!(
                "malformed number '{s}': denominator is not a number"
            ))
        })?;
        if q == 0.0 {
            return Err(usage(format!("malformed number '{s}': zero denominator")));
        }
        p / q
    } else {
        t.parse::<f64>()
            .map_err(|_| usage(format!("malformed number '{s}': expected a decimal or p/q")))?
    };
    if !v.is_finite() {
        return Err(usage(format!("'{s}' is not a finite number")));
    }
    Ok(v)
}

fn parse_list(name: &str, s: &str, n: usize) -> Result<Vec<f64>, CliError> {
    let parts: Vec<&str> = s.split(',').collect();
    if parts.len() != n {
        return Err(usage(format!(
            "--{name} takes {n} comma-separated numbers, got '{s}'"
        )));
    }
    parts.iter().map(|p| parse_number(p)).collect()
}

/// Parses a count of steps (`T` or `K`): a positive integer, also written as an integral decimal
/// such as `1e6`, at most `limit`. `what` names it in messages; `how` says how to raise the limit.
fn parse_steps(what: &str, s: &str, limit: u64) -> Result<usize, CliError> {
    let t = s.trim();
    let v: f64 = match t.parse::<u64>() {
        Ok(n) => n as f64,
        Err(_) => t.parse::<f64>().map_err(|_| {
            usage(format!(
                "malformed {what} '{t}': use a positive integer (e.g. 100 or 1e4)"
            ))
        })?,
    };
    if v.is_nan() || v < 1.0 || v.fract() != 0.0 {
        return Err(usage(format!(
            "{what} must be a positive integer (at least 1), got '{t}'"
        )));
    }
    if v > limit as f64 {
        return Err(CliError::from(crate::LroError::LimitExceeded {
            what: what.into(),
            requested: t.into(),
            limit: format!("{limit} steps"),
            how_to_raise: format!(
                "raise it with --max-horizon N (the finite-T sums take O(T) time and about 48 bytes \
                 per step; default {DEFAULT_MAX_HORIZON})"
            ),
        }));
    }
    Ok(v as usize)
}

/// Parsed arguments: (rule, mode, teacher, horizon).
pub type Parsed = (ModeRule<f64>, Mode<f64>, Mode<f64>, Horizon);

/// Parses the arguments into (rule, mode, teacher, horizon), checking the horizon and truncation
/// against `--max-horizon` before any computation.
pub fn parse(args: &ModesArgs) -> Result<Parsed, CliError> {
    let m = parse_list("mode", &args.mode, 3)?;
    let t = parse_list("teacher", &args.teacher, 3)?;
    let rule = match args.rule.trim() {
        "bptt" => ModeRule::Bptt,
        "rflo" => {
            let f = args.feedback.as_deref().ok_or_else(|| {
                usage("rflo needs --feedback â,ŵ (its feedback gain and surrogate Jacobian)")
            })?;
            let f = parse_list("feedback", f, 2)?;
            ModeRule::Rflo {
                a_hat: f[0],
                w_hat: f[1],
            }
        }
        r if r.starts_with("tbptt:") => {
            let k = &r["tbptt:".len()..];
            if k.trim().parse::<f64>().is_ok_and(|v| v < 1.0) {
                return Err(usage(format!(
                    "tbptt:K needs K ≥ 1 (K = 1 is one-step tBPTT), got '{r}'"
                )));
            }
            let k = parse_steps("the truncation K of tbptt:K", k, args.max_horizon).map_err(
                |e| match e {
                    CliError::Usage(m) if m.starts_with("malformed") => usage(format!(
                        "malformed rule '{r}': use tbptt:K with an integer K ≥ 1"
                    )),
                    e => e,
                },
            )?;
            ModeRule::Tbptt { k }
        }
        r => {
            return Err(usage(format!(
                "unknown rule '{r}': use bptt, tbptt:K or rflo"
            )));
        }
    };
    if args.feedback.is_some() && !matches!(rule, ModeRule::Rflo { .. }) {
        return Err(usage("--feedback applies to rflo only"));
    }
    let horizon = match args.horizon.trim() {
        "inf" | "infinity" | "∞" => Horizon::Infinite,
        h => Horizon::Finite(parse_steps("the horizon T", h, args.max_horizon)?),
    };
    Ok((
        rule,
        Mode::new(m[0], m[1], m[2]),
        Mode::new(t[0], t[1], t[2]),
        horizon,
    ))
}

/// Computes the report for parsed arguments.
pub fn compute(args: &ModesArgs) -> Result<ModeReport, CliError> {
    let (rule, m, t, h) = parse(args)?;
    Ok(report(&rule, &m, &t, h)?)
}

fn eig_text(eigs: &[(f64, f64)]) -> String {
    // `+ 0.0` turns a negative zero into a positive one (no "-0e0" in the output).
    eigs.iter()
        .map(|(re, im)| format!("{:.9e}{:+.9e}i", re + 0.0, im + 0.0))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `lro modes` and renders its output.
pub fn run(args: &ModesArgs) -> Result<String, CliError> {
    let r = compute(args)?;
    let j_eigs: Vec<(f64, f64)> = r.eigenvalues.iter().map(|e| (e.re, e.im)).collect();
    // M = −J: its eigenvalues are the negatives, listed in the same (ascending) order.
    let mut m_eigs: Vec<(f64, f64)> = j_eigs.iter().map(|(re, im)| (-re, -im)).collect();
    m_eigs.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1)));
    if args.json {
        let mut v = serde_json::to_value(&r)
            .map_err(|e| CliError::Failed(format!("could not serialise the report: {e}")))?;
        v["m_eigenvalues"] = serde_json::Value::Array(
            m_eigs
                .iter()
                .map(|(re, im)| serde_json::json!({"re": re, "im": im}))
                .collect(),
        );
        if !r.fixed_point {
            v["class"] = serde_json::Value::Null;
        }
        let mut s = serde_json::to_string_pretty(&v)
            .map_err(|e| CliError::Failed(format!("could not serialise the report: {e}")))?;
        s.push('\n');
        return Ok(s);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "rule {}  horizon {}  (per-mode formulas derived for this project: docs/theory/modes.md)",
        r.rule, r.horizon
    );
    let _ = writeln!(out, "loss      {:.12e}", r.loss);
    let _ = writeln!(
        out,
        "update    Δa = {:.12e}  Δb = {:.12e}  Δw = {:.12e}",
        r.update.a, r.update.b, r.update.w
    );
    let _ = writeln!(
        out,
        "jacobian  J = −M of the learning ODE dθ/dτ = −Δ, where M = ∂Δ/∂(a, b, w):"
    );
    for row in &r.jacobian {
        let _ = writeln!(
            out,
            "          [{:>16.9e} {:>16.9e} {:>16.9e}]",
            row[0], row[1], row[2]
        );
    }
    let _ = writeln!(out, "eigenvalues of M = ∂Δ/∂θ:  {}", eig_text(&m_eigs));
    let _ = writeln!(out, "eigenvalues of J = −M:     {}", eig_text(&j_eigs));
    let step = r.update.a.abs().max(r.update.b.abs()).max(r.update.w.abs());
    if r.fixed_point {
        let _ = writeln!(
            out,
            "fixed point (max |Δ| = {step:.3e}): stability class {}",
            r.class
        );
    } else {
        let _ = writeln!(
            out,
            "not a fixed point (max |Δ| = {step:.3e}): no stability class (it describes fixed points only)"
        );
    }
    Ok(out)
}
