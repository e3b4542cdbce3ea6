#!/usr/bin/env bash
# Fuzz every parser healthprobe owns with libFuzzer (cargo fuzz), SECONDS each.
#   bash fuzz/run.sh          # 60 s per target
#   bash fuzz/run.sh 600      # longer, by hand
# Works on the stable toolchain (no sanitizer). Crashes land in
# fuzz/artifacts/<target>/; turn each into a regression test.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
for target in targets cli report hpack h2 json serve state login replies; do
  echo "== fuzz $target for ${seconds}s"
  cargo fuzz run --sanitizer none "$target" -- -max_total_time="$seconds" -max_len=4096 2>&1 | tail -3
done
