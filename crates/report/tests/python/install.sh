#!/usr/bin/env bash
# Installs the Python checkers of vigil-report's format tests into a venv beside this
# script (crates/report/tests/python/.venv, ignored by git):
#   py-ocsf-models  the OCSF model library Prowler uses; every OCSF finding event Vigil
#                   writes must load with it (check_py_ocsf_models.py)
#   xmlschema       an XSD 1.0 validator, for the JUnit XML output against the Jenkins
#                   junit-10.xsd (check_junit_xsd.py); no Rust XSD validator is usable
# The Rust tests (crates/report/tests/formats.rs) run them with this venv's python.
# Idempotent: a venv whose marker holds the hash of its interpreter and pins is kept.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
REQS=(
  "py-ocsf-models==0.10.0"
  "xmlschema==4.3.2"
)
CHECK='import py_ocsf_models.events.findings.compliance_finding, xmlschema'

log() { printf 'report/install.sh: %s\n' "$*" >&2; }
die() { printf 'report/install.sh: ERROR: %s\n' "$*" >&2; exit 1; }

# py-ocsf-models 0.10.0 needs Python >= 3.10 and < 3.15.
find_python() {
  local v py
  for v in python3.13 python3.12 python3.11 python3.10 python3; do
    py="$(command -v "$v" 2>/dev/null || true)"
    [[ -n "$py" ]] || continue
    # Resolve pyenv shims to the real interpreter so the venv does not depend on them.
    py="$("$py" -c 'import sys; print(sys.executable)' 2>/dev/null || true)"
    [[ -n "$py" ]] || continue
    if "$py" -c 'import sys, venv, ensurepip; sys.exit(0 if (3, 10) <= sys.version_info[:2] < (3, 15) else 1)' 2>/dev/null; then
      printf '%s\n' "$py"
      return 0
    fi
  done
  return 1
}

py="$(find_python)" || die "no Python 3.10-3.14 with venv found (Debian: apt-get install python3 python3-venv)"
want="$(printf '%s\n' "$("$py" -c 'import sys; print(sys.version)')" "${REQS[@]}" | sha256sum | cut -d' ' -f1)"
marker="$venv/.vigil-install-marker"
if [[ "${FORCE:-0}" != 1 && "$want" == "$(cat "$marker" 2>/dev/null || true)" ]] \
  && "$venv/bin/python" -c "$CHECK" >/dev/null 2>&1; then
  log "up to date ($("$venv/bin/python" --version)), skipping"
  exit 0
fi
log "creating $venv with $py"
rm -rf "$venv"
"$py" -m venv "$venv" || die "cannot create a venv at $venv with $py"
"$venv/bin/python" -m pip install --disable-pip-version-check --no-input --quiet "${REQS[@]}" \
  || die "pip install failed (${REQS[*]})"
"$venv/bin/python" -c "$CHECK" || die "installed, but '$CHECK' fails"
printf '%s\n' "$want" >"$marker"
log "done: ${REQS[*]}"
