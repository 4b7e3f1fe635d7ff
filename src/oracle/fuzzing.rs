//! Entry points of the fuzz targets (`fuzz/`) and of their proptest smoke versions
//! (`tests/oracle_fuzz_smoke.rs`): each takes arbitrary bytes and must return without a panic, a
//! hang or an unbounded allocation, whatever the bytes are. Each returns whether the input was
//! accepted, so that a smoke test can see both outcomes.
use super::check::{self, CheckOptions};
use super::config::CaseConfig;
use super::limits::Limits;
use super::{cases, npz};

/// Limits small enough that every accepted fuzz input builds in milliseconds.
fn fuzz_limits() -> Limits {
    Limits {
        n: 4,
        horizon: 8,
        batch: 1,
        fixture_bytes: 1 << 20,
        candidate_bytes: 1 << 20,
    }
}

/// The NPZ reader on `data`: as a candidate, and as a fixture.
pub fn npz(data: &[u8]) -> bool {
    let a = npz::read_zip_limited(data, 1 << 24).is_ok();
    let b = check::candidate_from_npz(data, "fuzz").is_ok();
    let c = npz::read_fixture(data).is_ok();
    // A bare .npy as well: the same bytes through the NPY parser.
    let d = npz::parse_npy(data).is_ok();
    a || b || c || d
}

/// The JSON candidate reader on `data`, then a check against the `linear` case when it parses.
pub fn json_candidate(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(cand) = check::candidate_from_json(text, "fuzz") else {
        return false;
    };
    thread_local! {
        static LINEAR: Option<super::Fixture> =
            cases::builtin("linear").ok().and_then(|c| c.build_with(&Limits::default()).ok());
    }
    LINEAR.with(|f| {
        f.as_ref().is_some_and(|f| {
            let opts = CheckOptions {
                forward_only: true,
                ..CheckOptions::default()
            };
            check::check_with(f, &cand, &opts).is_ok()
        })
    })
}

/// The case-config parser on `data`, the limits, and the build of cases within small limits.
pub fn case_config(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(c) = CaseConfig::from_json(text) else {
        return false;
    };
    let _ = c.estimate();
    c.build_with(&fuzz_limits()).is_ok()
}
