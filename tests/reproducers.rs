//! Every catalogue entry's evidence carries the reproducer of its worst instance (instance index,
//! number kind, and the seed, sizes and parameters that define it), and rerunning that instance
//! alone (`lro reproduce ID --instance K`, i.e. `with_instance(K)`) gives the same measure.

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

/// Entries whose worst instance reruns alone: per-mode sweeps with an f64 error (P-RNN-14, 22,
/// 26), an exact certificate (P-RNN-14.a), fixed lists of runs (P-RNN-31, 33, 34), a low-rank
/// sweep (P-RNN-37), the root search (P-RNN-19, whose converged fraction pools the instances: its
/// worst instance's own fraction is at most the pooled one), and whole-setting entries whose
/// instance 0 is the entire check (P-CL-5, EXP-RNN-10).
const RERUN: [&str; 11] = [
    "P-RNN-14",
    "P-RNN-14.a",
    "P-RNN-19",
    "P-RNN-22",
    "P-RNN-26",
    "P-RNN-31",
    "P-RNN-33",
    "P-RNN-34",
    "P-RNN-37",
    "P-CL-5",
    "EXP-RNN-10",
];

#[test]
fn every_entry_carries_its_worst_instance_at_the_quick_budget() {
    let mut missing = Vec::new();
    let mut quick = Vec::new();
    // Every entry once at the quick budget, on all cores (entries are independent; the results
    // keep catalogue order).
    let entries = catalogue::all();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::Mutex::new(vec![None; entries.len()]);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(e) = entries.get(i) else { break };
                    let ev = run(e, Budget::Quick);
                    done.lock().expect("no worker panicked")[i] = Some(ev);
                }
            });
        }
    });
    let done = done.into_inner().expect("no worker panicked");
    for (e, ev) in entries.into_iter().zip(done) {
        let ev = ev.expect("every entry ran");
        match &ev.reproducer {
            Some(r) if !r.number_kind.trim().is_empty() => {}
            Some(r) => missing.push(format!("{}: reproducer without a number kind ({r})", e.id)),
            None => missing.push(format!("{}: no reproducer", e.id)),
        }
        if RERUN.contains(&e.id) {
            quick.push((e, ev));
        }
    }
    assert!(
        missing.is_empty(),
        "{} entries lack a reproducer:\n{}",
        missing.len(),
        missing.join("\n")
    );
    assert_eq!(
        quick.len(),
        RERUN.len(),
        "every sampled id is in the catalogue"
    );
    for (e, ev) in quick {
        let r = ev.reproducer.clone().expect("checked above");
        let alone = with_instance(r.instance, || run(&e, Budget::Quick));
        assert!(
            alone.instances > 0,
            "{}: instance {} did not run",
            e.id,
            r.instance
        );
        assert_eq!(
            alone.reproducer.as_ref(),
            Some(&r),
            "{}: instance {} rerun alone describes other inputs",
            e.id,
            r.instance
        );
        let (full, one) = (
            ev.headline().expect("findings"),
            alone.headline().expect("findings"),
        );
        if e.id == "P-RNN-19" {
            assert!(
                full.label == one.label && one.value <= full.value,
                "P-RNN-19: the least-converged instance ({one}) converged more often than the pool ({full})"
            );
            continue;
        }
        assert_eq!(
            (full.label.as_str(), full.value.to_bits()),
            (one.label.as_str(), one.value.to_bits()),
            "{}: the report's headline {full} is not the rerun instance's {one}",
            e.id
        );
    }
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
