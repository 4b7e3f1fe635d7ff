//! Reproducers name their instance's inputs: sweep parameters are the draws of the named seed,
//! certificate instances are their identities, and `lro reproduce` prints a fixed setting's inputs.
//! (That every entry carries its worst instance and that rerunning it alone gives the headline is
//! checked in `tests/report.rs`, on the quick report that file runs anyway.)

use lro::catalogue::{self, Budget, Entry};
use lro::evidence::{Evidence, Reproducer, with_instance};
use lro::modes::sample;
use lro::rnn::Mode;
use lro::scalar::Rational;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::process::Command;

fn entry(id: &str) -> Entry {
    catalogue::find(id).unwrap_or_else(|| panic!("no entry {id}"))
}

fn run(e: &Entry, b: Budget) -> Evidence {
    (e.check)(b).unwrap_or_else(|err| panic!("{} did not run: {err}", e.id))
}

fn param<'a>(r: &'a Reproducer, name: &str) -> &'a str {
    r.params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("reproducer {r} has no parameter {name}"))
}

/// A sweep's reproducer names the seed its instance drew from: the parameters it lists are the
/// ones a fresh generator with that seed draws (student mode, then teacher, as P-RNN-15 draws
/// them), for the worst instance and for another selected one.
#[test]
fn sweep_parameters_are_the_draws_of_the_named_seed() {
    let e = entry("P-RNN-15");
    let worst = run(&e, Budget::Test)
        .reproducer
        .expect("P-RNN-15 reproducer");
    let other = with_instance(7, || run(&e, Budget::Test))
        .reproducer
        .expect("P-RNN-15 instance 7 reproducer");
    assert_eq!(other.instance, 7);
    for r in [worst, other] {
        let seed = r.seed.expect("a sweep names its seed");
        let mut g = ChaCha8Rng::seed_from_u64(seed);
        let m: Mode<Rational> = sample::mode(&mut g);
        let t: Mode<Rational> = sample::teacher(&mut g);
        let drawn = [
            ("a", &m.a),
            ("b", &m.b),
            ("w", &m.w),
            ("a*", &t.a),
            ("b*", &t.b),
            ("w*", &t.w),
        ];
        for (name, value) in drawn {
            assert_eq!(param(&r, name), value.to_string(), "{name} of {r}");
        }
        assert_eq!(r.number_kind, "rational");
    }
}

/// A certificate's reproducer names its identity and grid, and rerunning its instance certifies
/// that identity alone.
#[test]
fn certificate_instances_are_their_identities() {
    let e = entry("P-RNN-16.a");
    let all = run(&e, Budget::Test);
    let n = lro::certify::modes::p16a(Budget::Test).len();
    assert!(n > 1);
    let last = with_instance(n - 1, || run(&e, Budget::Test));
    let r = last.reproducer.expect("certificate reproducer");
    assert_eq!(r.instance, n - 1);
    assert_eq!(
        param(&r, "identity"),
        lro::certify::modes::p16a(Budget::Test)[n - 1].name
    );
    assert!(
        last.instances < all.instances,
        "one identity's grid, not all of them"
    );
    let none = with_instance(n, || run(&e, Budget::Test));
    assert_eq!(none.instances, 0, "no identity {n}");
}

#[test]
fn reproduce_prints_the_inputs_of_a_fixed_setting() {
    let out = Command::new(env!("CARGO_BIN_EXE_lro"))
        .args(["reproduce", "P-RNN-33", "--instance", "4"])
        .output()
        .expect("lro runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("reproducer: instance 4 on rational, seed 33")
            && stdout.contains("quantity = d(AᵀA − BBᵀ)/dτ"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("none recorded") && !stdout.contains("note:"),
        "{stdout}"
    );
}
