//! `lro modes`: per-mode loss, update, ODE Jacobian, eigenvalues and stability class at one point
//! (spec §4; formulas derived for this project).
//!
//! ```text
//! lro modes --rule bptt|tbptt:K|rflo --mode a,b,w --teacher a*,b*,w* [--feedback â,ŵ]
//!           [--horizon T|inf] [--json]
//! ```
//!
//! Numbers are decimals or fractions `p/q`. JSON keys: `rule`, `horizon` ("inf" or T as a string),
//! `loss`, `update` {a, b, w}, `jacobian` (3×3 rows of `J = −∂Δ/∂θ`), `eigenvalues` [{re, im}],
//! `class`. Bad arguments exit with code 2.
use super::CliError;
use crate::modes::jacobian::{ModeReport, report};
use crate::modes::{Horizon, ModeRule};
use crate::rnn::Mode;
use std::fmt::Write;

/// Arguments of `lro modes`.
#[derive(clap::Args, Debug, Clone)]
pub struct ModesArgs {
    /// Learning rule: bptt, tbptt:K (K ≥ 1) or rflo.
    #[arg(long)]
    pub rule: String,
    /// The student mode a,b,w.
    #[arg(long, allow_hyphen_values = true)]
    pub mode: String,
    /// The teacher mode a*,b*,w*.
    #[arg(long, allow_hyphen_values = true)]
    pub teacher: String,
    /// RFLO feedback â,ŵ (required for rflo, rejected otherwise).
    #[arg(long, allow_hyphen_values = true)]
    pub feedback: Option<String>,
    /// Horizon: a number of steps T ≥ 1, or inf (the default) for the T → ∞ forms.
    #[arg(long, default_value = "inf")]
    pub horizon: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
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

/// Parsed arguments: (rule, mode, teacher, horizon).
pub type Parsed = (ModeRule<f64>, Mode<f64>, Mode<f64>, Horizon);

/// Parses the arguments into (rule, mode, teacher, horizon).
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
            let k: usize = r["tbptt:".len()..].parse().map_err(|_| {
                usage(format!(
                    "malformed rule '{r}': use tbptt:K with an integer K ≥ 1"
                ))
            })?;
            if k == 0 {
                return Err(usage("tbptt:K needs K ≥ 1 (K = 1 is one-step tBPTT)"));
            }
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
        h => {
            let t: usize = h.parse().map_err(|_| {
                usage(format!(
                    "malformed horizon '{h}': use an integer T ≥ 1 or inf"
                ))
            })?;
            if t == 0 {
                return Err(usage("the horizon T must be at least 1"));
            }
            Horizon::Finite(t)
        }
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

/// Runs `lro modes` and renders its output.
pub fn run(args: &ModesArgs) -> Result<String, CliError> {
    let r = compute(args)?;
    if args.json {
        let mut s = serde_json::to_string_pretty(&r)
            .map_err(|e| CliError::Failed(format!("could not serialise the report: {e}")))?;
        s.push('\n');
        return Ok(s);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "rule {}  horizon {}  (per-mode formulas derived for this project, spec §4)",
        r.rule, r.horizon
    );
    let _ = writeln!(out, "loss      {:.12e}", r.loss);
    let _ = writeln!(
        out,
        "update    Δa = {:.12e}  Δb = {:.12e}  Δw = {:.12e}",
        r.update.a, r.update.b, r.update.w
    );
    let _ = writeln!(out, "jacobian  J = −∂Δ/∂(a, b, w) of the learning ODE:");
    for row in &r.jacobian {
        let _ = writeln!(
            out,
            "          [{:>16.9e} {:>16.9e} {:>16.9e}]",
            row[0], row[1], row[2]
        );
    }
    let eig: Vec<String> = r
        .eigenvalues
        .iter()
        .map(|e| format!("{:.9e}{:+.9e}i", e.re, e.im))
        .collect();
    let _ = writeln!(out, "eigenvalues of J: {}", eig.join(", "));
    let _ = writeln!(out, "class     {}", r.class);
    Ok(out)
}
