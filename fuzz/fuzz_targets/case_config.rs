//! The case-config parser, the limits and (for small cases) the build.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    lro::oracle::fuzzing::case_config(data);
});
