//! The built-in fixtures: exact identities that hold bit for bit in the exported numbers, and a
//! rounded digest snapshot so that any change of a reference number shows up in review.
use lro::oracle::{Fixture, cases};
use std::fmt::Write;

fn builtin(name: &str) -> Fixture {
    cases::builtin(name).unwrap().build().unwrap()
}

fn data<'a>(f: &'a Fixture, name: &str) -> &'a [f64] {
    &f.tensors[name].data
}

#[test]
fn exact_identities_hold_bit_for_bit_in_linear_fixtures() {
    // The linear fixtures are exact rationals rounded once, so identities of `docs/theory/linear-rnn.md#identities` that hold
    // in exact arithmetic give identical f64 numbers.
    for name in ["linear", "aligned-linear"] {
        let f = builtin(name);
        let horizon = f.tensors["x"].shape[0];
        assert!(horizon <= 6, "tbptt{{k}} with k >= T needs T <= 6 here");
        for loss in ["final", "seq"] {
            for blk in ["dA", "dW", "dB"] {
                let b = data(&f, &format!("bptt.{loss}.{blk}"));
                // 7. Per sample, RTRL equals BPTT.
                assert_eq!(
                    b,
                    data(&f, &format!("rtrl.{loss}.{blk}")),
                    "{name} {loss} {blk}"
                );
                // 6. dA is the same for every rule.
                if blk == "dA" {
                    for r in [
                        "tbptt1",
                        "tbptt3",
                        "rflo",
                        "eprop_random",
                        "eprop_symmetric",
                    ] {
                        assert_eq!(b, data(&f, &format!("{r}.{loss}.dA")), "{name} {r}");
                    }
                }
            }
        }
        // Linear RFLO: every row of the trace is the same vector (one trace serves all neurons).
        for tr in ["rflo.trace_h", "rflo.trace_x"] {
            let t = &f.tensors[tr];
            let cols = t.shape[2];
            for chunk in t.data.chunks(t.shape[1] * cols) {
                for row in chunk.chunks(cols) {
                    assert_eq!(row, &chunk[..cols], "{name} {tr}");
                }
            }
        }
        // Loss at step 1 has no past: every rule's first per-step contribution equals BPTT's.
        for r in ["tbptt1", "rtrl", "eprop_symmetric"] {
            let n =
                f.tensors["bptt.seq.dB_steps"].shape[1] * f.tensors["bptt.seq.dB_steps"].shape[2];
            assert_eq!(
                &data(&f, "bptt.seq.dB_steps")[..n],
                &data(&f, &format!("{r}.seq.dB_steps"))[..n],
                "{name} {r}"
            );
        }
    }
}

#[test]
fn eprop_traces_carry_the_eprop_updates() {
    use lro::faults::{self, Fault};
    use lro::linalg::rel_diff;
    use lro::tolerances::{F64_IDENTITY_ABS_FLOOR, F64_IDENTITY_REL};
    use nalgebra::DMatrix;
    // seq.dW = (1/T) sum_t diag(F^T err_t) e^h_t, seq.dB likewise with e^x_t, F = R or A: the
    // exported traces (computed on their own) against the rule's updates (computed by the rules).
    let mismatch = |f: &Fixture| -> f64 {
        let err = f.matrix("err").unwrap();
        let horizon = err.nrows();
        let mut worst = 0.0f64;
        for (group, fb) in [("eprop_random", "R"), ("eprop_symmetric", "A")] {
            let fbm = f.matrix(fb).unwrap();
            for (tr, blk) in [("trace_h", "dW"), ("trace_x", "dB")] {
                let t = &f.tensors[&format!("{group}.{tr}")];
                let (rows, cols) = (t.shape[1], t.shape[2]);
                let mut acc = DMatrix::<f64>::zeros(rows, cols);
                for step in 0..horizon {
                    let sig = fbm.transpose() * err.row(step).transpose();
                    let e = DMatrix::from_row_slice(
                        rows,
                        cols,
                        &t.data[step * rows * cols..][..rows * cols],
                    );
                    for i in 0..rows {
                        for j in 0..cols {
                            acc[(i, j)] += sig[i] * e[(i, j)] / horizon as f64;
                        }
                    }
                }
                let want = f.matrix(&format!("{group}.seq.{blk}")).unwrap();
                worst = worst.max(rel_diff(&acc, &want, F64_IDENTITY_ABS_FLOOR));
            }
        }
        worst
    };
    for name in ["linear", "aligned-linear", "leaky-tanh"] {
        let f = builtin(name);
        assert_eq!(
            f.tensors["eprop_random.trace_h"].data,
            f.tensors["eprop_symmetric.trace_h"].data
        );
        let r = mismatch(&f);
        assert!(
            r < F64_IDENTITY_REL,
            "{name}: e-prop traces vs updates {r:e}"
        );
    }
    // The rules without e-prop's derivative in the decay no longer match the exported traces.
    let bad = faults::inject(Fault::EpropMissingDerivative, || builtin("leaky-tanh"));
    let r = mismatch(&bad);
    assert!(r > 1e3 * F64_IDENTITY_REL, "fault not visible: {r:e}");
}

fn digest(f: &Fixture) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "== {} (convention {}, {} tensors)",
        f.case,
        f.conventions.convention,
        f.tensors.len()
    );
    for (name, t) in &f.tensors {
        let norm = t.data.iter().map(|v| v * v).sum::<f64>().sqrt();
        let sum: f64 = t.data.iter().sum();
        let shape: Vec<String> = t.shape.iter().map(|d| d.to_string()).collect();
        let _ = writeln!(
            s,
            "{name:<28} {:<9} {:<15} norm {norm:.6e}  sum/norm {:+.6}",
            if shape.is_empty() {
                "scalar".into()
            } else {
                shape.join("x")
            },
            t.group,
            if norm > 0.0 { sum / norm } else { 0.0 }
        );
    }
    s
}

#[test]
fn builtin_fixture_digest_snapshot() {
    // Norms to 7 significant digits and sum/norm (which sees sign flips) to 6 decimals: the
    // references are exact or 256-bit values rounded once, and neither figure cancels, so the
    // digest does not depend on the platform.
    let text: String = cases::builtin_names()
        .into_iter()
        .map(|n| digest(&builtin(n)))
        .collect();
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("oracle_fixture_digest", text)
    });
}
