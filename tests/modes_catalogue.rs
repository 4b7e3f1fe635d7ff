//! Every per-mode catalogue entry passes at the quick and full budgets (ignored: heavy; the test
//! budget is the catalogue's own entry tests), with its time printed (`-- --nocapture`).
use lro::catalogue::{self, Area, Budget};

fn run(budget: Budget) {
    let mut failures = Vec::new();
    for e in catalogue::all()
        .into_iter()
        .filter(|e| e.area == Area::RnnModes)
    {
        let t0 = std::time::Instant::now();
        let ev = (e.check)(budget);
        match &ev {
            Ok(ev) => {
                let f: Vec<String> = ev.findings.iter().map(|f| f.to_string()).collect();
                eprintln!(
                    "{budget} {} {:?}: {} | {}",
                    e.id,
                    t0.elapsed(),
                    f.join("; "),
                    ev.detail
                );
            }
            Err(err) => eprintln!("{budget} {} {:?}: error {err}", e.id, t0.elapsed()),
        }
        match ev {
            Ok(ev) if ev.passed && ev.instances > 0 => {}
            Ok(ev) => failures.push(format!("{}: {ev:?}", e.id)),
            Err(err) => failures.push(format!("{}: error {err}", e.id)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The heavy run (n up to 8 in P-RNN-13, T up to 7 in the certificates):
/// `cargo test --release --test modes_catalogue -- --ignored`.
#[test]
#[ignore]
fn modes_entries_pass_at_quick_and_full_budget() {
    run(Budget::Quick);
    run(Budget::Full);
}
