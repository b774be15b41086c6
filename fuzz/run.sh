#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) with cargo-fuzz on the nightly
# toolchain, installing cargo-fuzz if missing. A crash stops with its input saved under
# fuzz/artifacts/<target>/ and a non-zero exit. Corpora grow under fuzz/corpus/ (ignored).
#
# FUZZ_SANITIZER picks the sanitizer (default `address`, as cargo-fuzz has it). Every
# crate of ours forbids `unsafe`, so AddressSanitizer watches only the dependencies'
# unsafe code; tests/run's short run uses `none`: its build takes 9 min instead of 13.5
# (16.8 CPU-min instead of 29.6) and it runs 4 to 9 times as many inputs a second
# (10 s each, empty corpora: snapshot 1.05M runs instead of 208k, settings 41k
# instead of 4.7k).
# Panics, overflow checks, timeouts and memory limits work the same without it.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
sanitizer="${FUZZ_SANITIZER:-address}"
# Fuzzing builds with the nightly toolchain: a workspace wrapper set for the stable one
# (tests/run lints as it builds) must not reach it.
unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz/run.sh: installing cargo-fuzz" >&2
  cargo +nightly install cargo-fuzz --locked
fi
targets=(snapshot policy rule_file mutelist settings attestations daemon_config api_query)
cargo +nightly fuzz build -s "$sanitizer"
mkdir -p target
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  echo "== fuzz $target for ${seconds}s"
  status=0
  cargo +nightly fuzz run -s "$sanitizer" "$target" "corpus/$target" -- -max_total_time="$seconds" -rss_limit_mb=4096 \
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
