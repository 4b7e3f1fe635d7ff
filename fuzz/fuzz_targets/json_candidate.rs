//! The JSON candidate reader and the check against a built-in case.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    lro::oracle::fuzzing::json_candidate(data);
});
