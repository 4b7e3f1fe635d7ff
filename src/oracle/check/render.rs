//! The verdict: what makes a check pass, the first divergence, and the human-readable table.
use super::super::fixture::SCHEMA_VERSION;
use super::{CheckReport, TensorResult};
use std::fmt::Write;

fn sci(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else {
        format!("{x:.2e}")
    }
}

impl CheckReport {
    /// Whether every compared tensor matches, some learning rule was compared (unless
    /// forward-only was asked for) and every required rule was supplied.
    pub fn passed(&self) -> bool {
        self.tensors_agree() && self.problems().is_empty()
    }

    /// Whether every compared tensor is within tolerance.
    pub fn tensors_agree(&self) -> bool {
        self.results.iter().all(TensorResult::passed)
    }

    /// Why the verdict fails although no tensor differs (no rule compared, required rules
    /// missing); empty when there is no such reason.
    pub fn problems(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.rules_compared.is_empty() && !self.forward_only {
            v.push(
                "no learning rule was checked: the candidate holds no rule's updates (give at least \
                 one rule, or pass --forward-only to check only the forward pass)"
                    .to_string(),
            );
        }
        if !self.required_missing.is_empty() {
            v.push(format!(
                "required rules not supplied: {}",
                self.required_missing.join(", ")
            ));
        }
        v
    }

    /// The earliest diverging time step and the tensors diverging there.
    pub fn first_divergence(&self) -> Option<(usize, Vec<&str>)> {
        let step = self.results.iter().filter_map(|r| r.first_step).min()?;
        let names = self
            .results
            .iter()
            .filter(|r| r.first_step == Some(step))
            .map(|r| r.name.as_str())
            .collect();
        Some((step, names))
    }

    /// A result by tensor name.
    pub fn result(&self, name: &str) -> Option<&TensorResult> {
        self.results.iter().find(|r| r.name == name)
    }

    /// The human-readable report (errors rounded to 3 significant digits).
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "lro check: {} against case {} (convention {}, schema_version {SCHEMA_VERSION})",
            self.candidate, self.case, self.convention
        );
        let _ = writeln!(
            s,
            "entrywise |candidate - reference| <= atol + rtol |reference|, rtol = {:e}, atol = {:e}\n",
            self.tol.rtol, self.tol.atol
        );
        let _ = writeln!(
            s,
            "{:<26} {:<10} {:>11} {:>11} {:>10}  status",
            "tensor", "shape", "max abs err", "max rel err", "first step"
        );
        for r in &self.results {
            let shape = if r.shape.is_empty() {
                "scalar".to_string()
            } else {
                r.shape
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join("x")
            };
            let step = r.first_step.map_or("-".to_string(), |t| format!("t = {t}"));
            let status = if r.passed() && r.float32 {
                format!("ok (float32, rtol {:.1e})", r.tol.rtol)
            } else if r.passed() {
                "ok".to_string()
            } else {
                format!(
                    "MISMATCH ({} of {} entries; first at {:?})",
                    r.mismatches,
                    r.shape.iter().product::<usize>(),
                    r.first_index.clone().unwrap_or_default()
                )
            };
            let _ = writeln!(
                s,
                "{:<26} {:<10} {:>11} {:>11} {:>10}  {status}",
                r.name,
                shape,
                sci(r.max_abs),
                sci(r.max_rel),
                step
            );
        }
        let _ = writeln!(
            s,
            "\nrules compared: {}",
            if self.rules_compared.is_empty() {
                "none".to_string()
            } else {
                self.rules_compared.join(", ")
            }
        );
        if !self.not_supplied.is_empty() {
            let parts: Vec<String> = self
                .not_supplied
                .iter()
                .map(|(g, n)| format!("{g} ({n})"))
                .collect();
            let _ = writeln!(s, "rules not supplied, not compared: {}", parts.join(", "));
        }
        if !self.optional_not_supplied.is_empty() {
            let _ = writeln!(
                s,
                "traces not supplied (optional), not compared: {}",
                self.optional_not_supplied.join(", ")
            );
        }
        if self.given_not_echoed > 0 {
            let _ = writeln!(
                s,
                "given tensors not echoed (optional): {}",
                self.given_not_echoed
            );
        }
        if let Some(note) = &self.float32_note {
            let _ = writeln!(s, "{note}");
        }
        let failed = self.results.iter().filter(|r| !r.passed()).count();
        let problems = self.problems();
        if failed == 0 && problems.is_empty() {
            let what = if self.rules_compared.is_empty() {
                " (forward pass only, as asked)"
            } else {
                ""
            };
            let _ = writeln!(
                s,
                "\nverdict: MATCH, all {} compared tensors agree{what}",
                self.results.len()
            );
        } else if failed == 0 {
            let _ = writeln!(s, "\nverdict: NOT CHECKED, {}", problems.join("; "));
        } else {
            let _ = write!(
                s,
                "\nverdict: MISMATCH, {failed} of {} compared tensors differ",
                self.results.len()
            );
            match self.first_divergence() {
                Some((t, names)) => {
                    let sample = self
                        .results
                        .iter()
                        .find(|r| r.first_step == Some(t) && r.first_batch.is_some())
                        .and_then(|r| r.first_batch)
                        .map_or(String::new(), |b| format!(" in batch sample b = {b}"));
                    let _ = writeln!(
                        s,
                        "; first diverging step t = {t}{sample} ({})",
                        names.join(", ")
                    );
                }
                None => {
                    let _ = writeln!(s);
                }
            }
            for p in problems {
                let _ = writeln!(s, "also: {p}");
            }
        }
        s
    }
}
