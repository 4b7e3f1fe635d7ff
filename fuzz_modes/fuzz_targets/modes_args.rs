//! Fuzz target: the `lro modes` argument parser and computation. The input is split at newlines
//! into the rule, mode, teacher, feedback (empty = none) and horizon fields. Whatever the input,
//! `run` must return (no panic, no hang: horizons are capped at a fuzz-sized limit) either a usage
//! error (exit code 2) or output whose every number is finite.
#![no_main]
use libfuzzer_sys::fuzz_target;
use lro::cli::modes::{ModesArgs, compute, run};

/// Horizon limit while fuzzing: small enough that every accepted input runs in milliseconds.
const FUZZ_MAX_HORIZON: u64 = 5_000;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let f: Vec<&str> = text.split('\n').collect();
    let field = |i: usize| f.get(i).copied().unwrap_or("");
    let mut args = ModesArgs::new(field(0), field(1), field(2));
    args.feedback = (!field(3).is_empty()).then(|| field(3).to_string());
    if !field(4).is_empty() {
        args.horizon = field(4).to_string();
    }
    args.max_horizon = FUZZ_MAX_HORIZON;
    args.json = field(5) == "json";
    match compute(&args) {
        Ok(r) => {
            let numbers = [r.loss, r.update.a, r.update.b, r.update.w]
                .into_iter()
                .chain(r.jacobian.iter().flatten().copied())
                .chain(r.eigenvalues.iter().flat_map(|e| [e.re, e.im]));
            for x in numbers {
                assert!(x.is_finite(), "non-finite value {x} in a success for {args:?}");
            }
            run(&args).expect("renders what computes");
        }
        Err(e) => assert_eq!(e.exit_code(), 2, "{args:?}: {e}"),
    }
});
