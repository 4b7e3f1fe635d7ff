//! Reviewed snapshot: eigenvalues of the learning-ODE Jacobian J = −M and the stability class along
//! the optimal manifold (s, c*/s, w*), for BPTT, one-step tBPTT and RFLO on a fixed grid of s
//! (teacher c* = 1/2, w* = 1/2; RFLO â = 1, ŵ = 1/4). Rounded to 4 significant digits; exact values
//! are asserted elsewhere (P-RNN-20 … 26).
use lro::modes::jacobian::report;
use lro::modes::{Horizon, ModeRule, optimal_point};
use lro::rnn::Mode;
use std::fmt::Write;

fn r4(x: f64) -> String {
    if x == 0.0 || x.abs() < 1e-12 {
        "0".into()
    } else {
        format!("{:.4e}", x)
    }
}

#[test]
fn manifold_eigenvalue_table() {
    let teacher = Mode::new(1.0, 0.5, 0.5);
    let rules = [
        ModeRule::Bptt,
        ModeRule::Tbptt { k: 1 },
        ModeRule::Rflo {
            a_hat: 1.0,
            w_hat: 0.25,
        },
    ];
    let grid = [-4.0, -2.0, -1.0, -0.5, -0.25, 0.25, 0.5, 1.0, 2.0, 4.0];
    let mut text = String::from(
        "teacher c* = 0.5, w* = 0.5; RFLO â = 1, ŵ = 0.25; eigenvalues of J = −∂Δ/∂θ at (s, c*/s, w*)\n",
    );
    for rule in &rules {
        let _ = writeln!(text, "== {} ==", rule.name());
        for &s in &grid {
            let p = optimal_point(&s, &teacher).expect("s ≠ 0");
            let rep = report(rule, &p, &teacher, Horizon::Infinite).expect("in domain");
            let eig: Vec<String> = rep
                .eigenvalues
                .iter()
                .map(|z| {
                    if z.im.abs() < 1e-12 {
                        r4(z.re)
                    } else {
                        format!(
                            "{}{}{}i",
                            r4(z.re),
                            if z.im < 0.0 { "-" } else { "+" },
                            r4(z.im.abs())
                        )
                    }
                })
                .collect();
            let _ = writeln!(text, "s = {s:>5}: [{}]  {}", eig.join(", "), rep.class);
        }
    }
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("modes_manifold_table", text);
    });
}
