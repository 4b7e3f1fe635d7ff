//! The NPZ/NPY reader: any bytes give arrays or an error, never a panic, a hang or an unbounded
//! allocation.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    lro::oracle::fuzzing::npz(data);
});
