#!/usr/bin/env bash
# Runs the `lro modes` argument fuzz target for a set time (default 600 s) on one job, from the
# committed seed corpus; new corpus entries go to a scratch copy. Not part of CI (needs nightly
# and cargo-fuzz: `cargo install cargo-fuzz`).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-600}"
work="$(mktemp -d)"
cp fuzz_modes/corpus/modes_args/* "$work"/
cargo +nightly fuzz run --fuzz-dir fuzz_modes modes_args "$work" -- -max_total_time="$secs" -jobs=1 -workers=1 \
    -max_len=256 -timeout=10 -rss_limit_mb=2048
