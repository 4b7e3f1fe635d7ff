//! `lro rules`: every rule's expected update for a built-in aligned teacher and student, as text
//! or (`--json`) as numbers.
use super::CliError;
use crate::rnn::{AlignedBasis, Mode, StudentTeacher};
use crate::rules::{Feedback, Loss, Rule, expected};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::fmt::Write;

/// The built-in example: a 3-mode aligned teacher and student (o = n = d = 3), seed 7, horizon 20,
/// RFLO feedback gains â = (1, −1/2, 1/4) and ŵ = 1/2; settings chosen by the project.
pub fn default_problem() -> crate::Result<(StudentTeacher<f64>, Vec<Rule<f64>>, usize)> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let basis = AlignedBasis::<f64>::random(3, 3, 3, &mut rng)?;
    let teacher = basis.build(&[
        Mode::new(1.0, 1.0, 0.5),
        Mode::new(-0.8, 0.6, -0.3),
        Mode::new(0.5, 0.4, 0.8),
    ])?;
    let student = basis.build(&[
        Mode::new(0.3, 0.2, 0.1),
        Mode::new(0.2, -0.1, 0.0),
        Mode::new(0.1, 0.1, -0.2),
    ])?;
    let r = basis.feedback(&[1.0, -0.5, 0.25])?;
    let rules = vec![
        Rule::Bptt,
        Rule::Tbptt { k: 1 },
        Rule::Tbptt { k: 5 },
        Rule::Rtrl,
        Rule::Rflo {
            feedback: r.clone(),
            w_hat: 0.5,
        },
        Rule::Eprop {
            feedback: Feedback::Random(r),
        },
        Rule::Eprop {
            feedback: Feedback::Symmetric,
        },
    ];
    Ok((StudentTeacher::new(student, teacher)?, rules, 20))
}

/// A matrix as JSON rows.
fn rows(m: &nalgebra::DMatrix<f64>) -> serde_json::Value {
    serde_json::Value::Array(
        m.row_iter()
            .map(|r| serde_json::json!(r.iter().copied().collect::<Vec<f64>>()))
            .collect(),
    )
}

/// Every rule's expected final-step update as JSON: `horizon`, `seed`, `loss` (`E[L_T]`) and
/// `rules`, a list of `{rule, dA, dW, dB}` with each matrix as rows.
pub fn run_json() -> Result<String, CliError> {
    let (st, rules, horizon) = default_problem()?;
    let loss = expected::loss(&st, horizon, Loss::Final)?;
    let mut list = Vec::new();
    for rule in &rules {
        let u = expected::update(rule, &st, horizon, Loss::Final)?;
        list.push(serde_json::json!({
            "rule": rule.name(),
            "dA": rows(&u.a),
            "dW": rows(&u.w),
            "dB": rows(&u.b),
        }));
    }
    let v = serde_json::json!({
        "horizon": horizon,
        "seed": 7,
        "loss": loss,
        "rules": list,
    });
    let mut s = serde_json::to_string_pretty(&v)
        .map_err(|e| CliError::Failed(format!("could not serialise the updates: {e}")))?;
    s.push('\n');
    Ok(s)
}

/// Renders every rule's expected final-step update (ΔA, ΔW, ΔB) and the expected loss.
pub fn run() -> Result<String, CliError> {
    let (st, rules, horizon) = default_problem()?;
    let mut out = String::new();
    let loss = expected::loss(&st, horizon, Loss::Final)?;
    let _ = writeln!(
        out,
        "lro: expected updates over white input (h_0 = 0, T = {horizon}, final-step loss)"
    );
    let _ = writeln!(
        out,
        "built-in 3-mode aligned teacher and student (seed 7); E[L_T] = {loss:.6}\n"
    );
    for rule in &rules {
        let u = expected::update(rule, &st, horizon, Loss::Final)?;
        let _ = writeln!(out, "== {} ==", rule.name());
        for (name, m) in [("dA", &u.a), ("dW", &u.w), ("dB", &u.b)] {
            let _ = writeln!(out, "{name} ={m:.6}");
        }
    }
    Ok(out)
}
