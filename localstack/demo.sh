#!/usr/bin/env bash
# The README's first command: a full live scan of a deliberately misconfigured account,
# on a machine that has never seen the project. Installs LocalStack and moto (into
# localstack/.venv-*, once), starts them with a fresh state, seeds the account
# (seed.py: the planted problems and clean resources of expected.yaml), runs the real
# `vigil scan` through the AWS SDK against them, prints the summary, and stops the
# emulators again (unless KEEP_RUNNING=1, to poke at the account afterwards).
#
# The scan is the same command a real account takes; only the endpoint variables in
# localstack/state/env.sh differ. Extra arguments go to `vigil scan`, for example
#   bash localstack/demo.sh --format ocsf -o findings.json
#
# The dev profile is used on purpose: it shares the build with `bash tests/run`, and the
# time of a scan this size is the emulators', not the evaluator's.
set -euo pipefail
cd "$(dirname "$0")/.."

# The emulators install (pip, about a minute, once) while vigil builds; the build
# shows cargo's progress rather than nothing for ten minutes.
mkdir -p localstack/state
bash localstack/install.sh >localstack/state/install.log 2>&1 &
installing=$!
if [[ ! -x target/debug/vigil ]]; then
  echo "== building vigil: the first build compiles the AWS SDK crates (about 27 CPU-minutes:" >&2
  echo "   some 15 minutes on 2 idle cores; cargo shows each crate as it goes). Later runs take" >&2
  echo "   seconds, and bash tests/run reuses this build." >&2
fi
started=$SECONDS
cargo build --locked -p vigil
echo "== built in $((SECONDS - started)) s" >&2
if ! wait "$installing"; then
  tail -n 30 localstack/state/install.log >&2
  exit 1
fi
bash localstack/start.sh
if [[ "${KEEP_RUNNING:-0}" != 1 ]]; then
  trap 'bash localstack/stop.sh' EXIT
fi
set -a
# shellcheck disable=SC1091
. localstack/state/env.sh
set +a
echo "== seeding the account (log: localstack/state/seed.log)" >&2
if ! localstack/.venv-moto/bin/python localstack/seed.py >localstack/state/seed.log 2>&1; then
  tail -n 30 localstack/state/seed.log >&2
  exit 1
fi
grep -E '^(Planted problems|Clean resources)' localstack/state/seed.log >&2 || true
echo "== vigil scan (live, against the seeded LocalStack/moto account)" >&2
status=0
target/debug/vigil scan "$@" || status=$?
# Exit 1 means "the scan found failures", which is what the seeded account is for.
if [[ $status -le 1 ]]; then
  exit 0
fi
exit "$status"
