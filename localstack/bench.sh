#!/usr/bin/env bash
# Item 9 of the live-collection issue, item 4 of the performance one: `vigil scan` against
# LocalStack seeded at 1x, 2x and 4x (1x = 1,000 IAM users, 250 buckets, 500 security
# groups, 200 instances). Prints wall time, CPU time, peak memory and API calls by service
# per scale. With --with-prowler, also runs Prowler (installed here, once, into
# localstack/.venv-prowler, which git ignores) against the same freshly seeded account
# and prints the ratios Prowler/Vigil. Arguments go to bench.py (e.g. --scales 1,2).
# Builds the release binary first; installs the emulators if needed.
# FORCE=1 reinstalls Prowler.
set -euo pipefail
cd "$(dirname "$0")/.."

# The version the README's figures were measured with. Prowler 5.x needs Python 3.10-3.13.
PROWLER_REQ="prowler==5.46.0"
prowler_venv=localstack/.venv-prowler

log() { printf 'bench.sh: %s\n' "$*" >&2; }

# Prints a Python 3.10-3.13 interpreter with venv (the pyenv 3.11 first: the machine's).
find_python_prowler() {
  local py v minor candidates=()
  if command -v pyenv >/dev/null 2>&1; then
    for minor in 11 12 13 10; do
      for v in $(pyenv versions --bare 2>/dev/null | grep -E "^3\.$minor\.[0-9]+\$" | sort -t. -k3,3nr); do
        candidates+=("$(PYENV_VERSION="$v" pyenv which python3 2>/dev/null || true)")
      done
    done
  fi
  for v in python3.11 python3.12 python3.13 python3.10 python3; do
    py="$(command -v "$v" 2>/dev/null || true)"
    [[ -n "$py" ]] && candidates+=("$("$py" -c 'import sys; print(sys.executable)' 2>/dev/null || true)")
  done
  for py in "${candidates[@]}"; do
    [[ -n "$py" && -x "$py" ]] || continue
    "$py" -c 'import sys, venv, ensurepip; sys.exit(0 if (3, 10) <= sys.version_info[:2] < (3, 14) else 1)' \
      >/dev/null 2>&1 && { printf '%s\n' "$py"; return 0; }
  done
  return 1
}

# Idempotent like install.sh: a marker holds the interpreter's version and the pin; the
# venv is rebuilt only when they change, the import fails, or FORCE=1. The first install
# takes about 11 minutes here (PyPI, on 2 cores).
install_prowler() {
  local py marker="$prowler_venv/.vigil-install-marker" want have started
  py="$(find_python_prowler)" || { log "ERROR: no Python 3.10-3.13 with venv for Prowler"; exit 1; }
  want="$(printf '%s\n' "$("$py" -c 'import sys; print(sys.version)')" "$PROWLER_REQ" | sha256sum | cut -d' ' -f1)"
  have="$(cat "$marker" 2>/dev/null || true)"
  if [[ "${FORCE:-0}" != 1 && "$want" == "$have" ]] && "$prowler_venv/bin/prowler" --version >/dev/null 2>&1; then
    log "$(basename "$prowler_venv"): up to date ($("$prowler_venv/bin/prowler" --version)), skipping"
    return 0
  fi
  log "$(basename "$prowler_venv"): creating with $py; pip install $PROWLER_REQ"
  rm -rf "$prowler_venv"
  "$py" -m venv "$prowler_venv"
  started=$SECONDS
  "$prowler_venv/bin/python" -m pip install --disable-pip-version-check --no-input --quiet "$PROWLER_REQ" \
    || { log "ERROR: pip install $PROWLER_REQ failed"; exit 1; }
  "$prowler_venv/bin/prowler" --version >/dev/null || { log "ERROR: prowler installed but does not run"; exit 1; }
  printf '%s\n' "$want" >"$marker"
  log "$(basename "$prowler_venv"): installed in $((SECONDS - started)) s"
}

bash localstack/install.sh
for arg in "$@"; do
  [[ "$arg" == --with-prowler ]] && install_prowler
done
cargo build --release --locked -p vigil
exec localstack/.venv-moto/bin/python localstack/bench.py "$@"
