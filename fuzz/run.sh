#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) with cargo-fuzz on the nightly
# toolchain, installing cargo-fuzz if missing. A crash stops with its input saved under
# fuzz/artifacts/<target>/ and a non-zero exit. Corpora grow under fuzz/corpus/ (ignored).
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz/run.sh: installing cargo-fuzz" >&2
  cargo +nightly install cargo-fuzz --locked
fi
targets=(snapshot policy rule_file mutelist settings attestations daemon_config api_query)
cargo +nightly fuzz build
mkdir -p target
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  echo "== fuzz $target for ${seconds}s"
  status=0
  cargo +nightly fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -rss_limit_mb=4096 \
    > "target/fuzz-$target.log" 2>&1 || status=$?
  grep -E "^#[0-9]+ +DONE|Done [0-9]+ runs|ERROR|SUMMARY|panicked|deadly signal" "target/fuzz-$target.log" || true
  if [ "$status" -ne 0 ]; then
    echo "fuzz/run.sh: $target failed (exit $status); the end of its log:" >&2
    tail -30 "target/fuzz-$target.log" >&2
    exit 1
  fi
  if compgen -G "artifacts/$target/*" > /dev/null; then
    echo "fuzz/run.sh: $target found a failing input: $(ls artifacts/"$target")" >&2
    exit 1
  fi
done
echo "fuzz/run.sh: every target ran ${seconds}s without a failure"
