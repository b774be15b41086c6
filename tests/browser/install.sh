#!/usr/bin/env bash
# Installs what the browser test needs: Debian's Chromium (apt) and playwright-core
# (npm, into tests/browser/node_modules, which git ignores). playwright-core drives the
# system Chromium through executablePath; it downloads no browser of its own
# (`npx playwright install` cannot work on a machine without general network access).
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ]; then
  echo "tests/browser: installing Debian's chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
if ! command -v node >/dev/null 2>&1; then
  echo "tests/browser: node is not installed" >&2
  exit 2
fi
if [ ! -d node_modules/playwright-core ]; then
  echo "tests/browser: installing playwright-core" >&2
  npm ci --no-audit --no-fund --silent
fi
