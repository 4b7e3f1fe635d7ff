//! Smoke versions of the fuzz targets (`fuzz/`): the committed seeds, and random mutations of
//! them, go through the NPZ/NPY reader, the JSON candidate reader and the case-config parser
//! without a panic. The seeds that are valid must be accepted, so the targets are not vacuous.
use lro::oracle::fuzzing;
use proptest::prelude::*;
use std::path::Path;

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        // The committed seeds have an extension; the files `cargo fuzz` adds to the corpus are
        // bare hashes (and need not be valid), so they are left out.
        .filter(|p| {
            p.extension()
                .is_some_and(|e| matches!(e.to_str(), Some("json" | "npz" | "npy")))
        })
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn valid_seeds_are_accepted_and_invalid_ones_refused() {
    let npz = seeds("npz");
    assert!(npz.len() >= 4);
    for (name, b) in &npz {
        assert!(fuzzing::npz(b), "npz seed {name} should be readable");
    }
    for (name, b) in seeds("case_config") {
        assert!(fuzzing::case_config(&b), "config seed {name} should build");
    }
    let cands = seeds("json_candidate");
    let accepted: Vec<bool> = cands
        .iter()
        .map(|(_, b)| fuzzing::json_candidate(b))
        .collect();
    // seed0: wrong shapes and NaN; seed1: no forward pass; seed2: a top-level array; seed3: a
    // string schema version; seed4: the forward pass of `linear`, usable (forward-only).
    assert_eq!(accepted, vec![false, false, false, false, true]);
    assert!(!fuzzing::npz(b"PK\x05\x06 not a zip"));
    assert!(!fuzzing::case_config(b"{\"convention\": \"lro\"}"));
}

fn mutate(seed: &[u8], edits: &[(usize, u8)], cut: usize) -> Vec<u8> {
    let mut b = seed.to_vec();
    for &(i, v) in edits {
        if !b.is_empty() {
            let k = i % b.len();
            b[k] = v;
        }
    }
    b.truncate(b.len().saturating_sub(cut % 8));
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn mutated_npz_never_panics(which in 0usize..4, edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..6), cut in any::<usize>()) {
        let s = seeds("npz");
        let b = mutate(&s[which % s.len()].1, &edits, cut);
        fuzzing::npz(&b);
    }

    #[test]
    fn mutated_json_candidates_never_panic(which in 0usize..5, edits in prop::collection::vec((any::<usize>(), 32u8..127), 0..4), cut in any::<usize>()) {
        let s = seeds("json_candidate");
        let b = mutate(&s[which % s.len()].1, &edits, cut);
        fuzzing::json_candidate(&b);
    }

    #[test]
    fn mutated_case_configs_never_panic(which in 0usize..6, edits in prop::collection::vec((any::<usize>(), 32u8..127), 0..4), cut in any::<usize>()) {
        let s = seeds("case_config");
        let b = mutate(&s[which % s.len()].1, &edits, cut);
        fuzzing::case_config(&b);
    }

    #[test]
    fn random_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..512)) {
        fuzzing::npz(&b);
        fuzzing::json_candidate(&b);
        fuzzing::case_config(&b);
    }
}
