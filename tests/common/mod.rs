//! Helpers shared by the integration tests that drive the `lro` binary.
use std::process::Command;

/// Runs the `lro` binary with `args`: (exit code, stdout, stderr); -1 when killed by a signal.
pub fn lro(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lro"))
        .args(args)
        .output()
        .expect("the lro binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
