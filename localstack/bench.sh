#!/usr/bin/env bash
# Item 9 of the live-collection issue: `vigil scan` against LocalStack seeded at 1x, 2x
# and 4x (1x = 1,000 IAM users, 250 buckets, 500 security groups, 200 instances). Prints
# wall time, API calls by service and peak memory per scale. Arguments go to bench.py
# (e.g. --scales 1,2). Builds the release binary first; installs the emulators if needed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash localstack/install.sh
cargo build --release --locked -p vigil
exec localstack/.venv-moto/bin/python localstack/bench.py "$@"
