#!/usr/bin/env bash
# Runs each fuzz target for a set time on one core (not in CI):
#   fuzz/run.sh [SECONDS_PER_TARGET]   (default 600)
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Crashes land in
# fuzz/artifacts/<target>/; the corpus grows in fuzz/corpus/<target>/ (seeds are committed).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-600}"
for t in npz json_candidate case_config; do
  echo "== $t: ${secs} s"
  cargo +nightly fuzz run "$t" "fuzz/corpus/$t" -- -jobs=1 -workers=1 \
    -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 2>&1 | tail -n 5
done
