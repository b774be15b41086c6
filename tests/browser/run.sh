#!/usr/bin/env bash
# The HTML report in headless Chromium: installs Chromium and playwright-core when
# missing, writes the example report and a 50,000-finding one (printing their size and
# render time), then runs the browser checks with node's test runner. Screenshots and a
# PDF of the printed report are kept in target/browser-artefacts/.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash tests/browser/install.sh
out=target/report-artefacts
cargo run --locked -q -p vigil-report --example html_report -- "$out" --findings 50000
cd tests/browser
REPORT="../../$out/report.html" REPORT_50K="../../$out/report-50k.html" \
  ARTEFACTS=../../target/browser-artefacts node --test report.test.mjs
