#!/usr/bin/env bash
# The HTML report and the daemon's dashboard in headless Chromium: installs Chromium and
# playwright-core when missing, writes the example report and a 50,000-finding one
# (printing their size and render time) and runs the report's browser checks; then
# builds the vigil binary, installs the emulators' venv when missing and runs the
# dashboard's checks against a real daemon that scanned its own moto server twice
# (tests/browser/dashboard.sh). Screenshots and a PDF of the printed report are kept in
# target/browser-artefacts/.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash tests/browser/install.sh
out=target/report-artefacts
cargo run --locked -q -p vigil-report --example html_report -- "$out" --findings 50000
(
  cd tests/browser
  REPORT="../../$out/report.html" REPORT_50K="../../$out/report-50k.html" \
    ARTEFACTS=../../target/browser-artefacts node --test report.test.mjs
)

started=$SECONDS
bash localstack/install.sh
# The binary as the test stage builds it (same profile and features, so nothing is
# recompiled after nextest): `cargo build -p vigil` unifies features differently and
# would recompile every AWS SDK crate.
cargo test --workspace --locked --no-run -q
bash tests/browser/dashboard.sh
echo "tests/browser: the dashboard stage took $((SECONDS - started)) s"
