#!/usr/bin/env bash
# Installs the two emulators the live-collector tests run against, each in its own venv
# beside this script (both ignored by git: /localstack/.venv*/):
#   .venv-localstack  LocalStack community 2026.3.0, host mode (no Docker), Python >= 3.12
#   .venv-moto        moto server 5.2.5 (+ boto3, used by seed.py), for what LocalStack
#                     community does not emulate (CloudTrail, GuardDuty, RDS, ...)
# Idempotent: a venv whose marker holds the hash of its interpreter and pins is left alone.
# Re-run with FORCE=1 to rebuild both.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

# The pins are part of the contract (see README.md): localstack-core 2026.3.0 does not
# start without the four constraints after it.
LOCALSTACK_REQS=(
  "localstack-core[runtime]==2026.3.0"
  "cbor2<5.7"
  "pyopenssl<24.3"
  "cryptography>=43,<44"
  "service_identity<25"
)
MOTO_REQS=(
  "moto[server]==5.2.5"
  "boto3"
)

log() { printf 'install.sh: %s\n' "$*" >&2; }
die() { printf 'install.sh: ERROR: %s\n' "$*" >&2; exit 1; }

# Prints the interpreter if it exists, runs, and is at least major.minor ($2).
check_python() {
  local py="$1" min="$2"
  [[ -n "$py" && -x "$py" ]] || return 1
  "$py" - "$min" <<'EOF' >/dev/null 2>&1 || return 1
import sys
want = tuple(int(x) for x in sys.argv[1].split("."))
sys.exit(0 if sys.version_info[:2] >= want else 1)
EOF
  # venv and ensurepip must be there to build a venv.
  "$py" -c 'import venv, ensurepip' >/dev/null 2>&1 || return 1
  printf '%s\n' "$py"
}

find_python312() {
  local py v
  if command -v pyenv >/dev/null 2>&1; then
    for v in 3.13.0 $(pyenv versions --bare 2>/dev/null | grep -E '^3\.1[23]\.[0-9]+$' | sort -t. -k2,2nr -k3,3nr); do
      py="$(PYENV_VERSION="$v" pyenv which python3 2>/dev/null || true)"
      check_python "$py" 3.12 && return 0
    done
  fi
  for v in python3.13 python3.12 python3; do
    py="$(command -v "$v" 2>/dev/null || true)"
    # Resolve pyenv shims to the real interpreter so the venv does not depend on them.
    [[ -n "$py" ]] && py="$("$py" -c 'import sys; print(sys.executable)' 2>/dev/null || true)"
    check_python "$py" 3.12 && return 0
  done
  return 1
}

find_python_moto() {
  local py v
  for v in python3.11 python3.12 python3.13 python3; do
    py="$(command -v "$v" 2>/dev/null || true)"
    [[ -n "$py" ]] && py="$("$py" -c 'import sys; print(sys.executable)' 2>/dev/null || true)"
    check_python "$py" 3.9 && return 0
  done
  return 1
}

# make_venv DIR PYTHON IMPORT-CHECK REQS...
make_venv() {
  local dir="$1" py="$2" check="$3"; shift 3
  local marker="$dir/.vigil-install-marker" want have started
  want="$(printf '%s\n' "$("$py" -c 'import sys; print(sys.version)')" "$@" | sha256sum | cut -d' ' -f1)"
  have="$(cat "$marker" 2>/dev/null || true)"
  if [[ "${FORCE:-0}" != 1 && "$want" == "$have" ]] && "$dir/bin/python" -c "$check" >/dev/null 2>&1; then
    log "$(basename "$dir"): up to date ($("$dir/bin/python" --version)), skipping"
    return 0
  fi
  log "$(basename "$dir"): creating with $py ($("$py" --version 2>&1))"
  rm -rf "$dir"
  "$py" -m venv "$dir" || die "cannot create a venv at $dir with $py"
  started=$SECONDS
  log "$(basename "$dir"): pip install $*"
  "$dir/bin/python" -m pip install --disable-pip-version-check --no-input --quiet "$@" \
    || die "pip install failed for $(basename "$dir") (requirements: $*)"
  "$dir/bin/python" -c "$check" || die "$(basename "$dir"): installed, but '$check' fails"
  printf '%s\n' "$want" >"$marker"
  log "$(basename "$dir"): installed in $((SECONDS - started)) s"
}

py312="$(find_python312)" || die "no Python >= 3.12 found (localstack-core 2026.x needs it).
  Tried: PYENV_VERSION=3.13.0 pyenv which python3, the pyenv 3.12.x/3.13.x versions, then
  python3.13, python3.12 and python3 on PATH. Install one (e.g. 'pyenv install 3.13.0', or
  Debian's python3.12 with python3.12-venv) and re-run."
pymoto="$(find_python_moto)" || die "no Python >= 3.9 with venv found for moto (python3.11 is fine)"

make_venv "$here/.venv-localstack" "$py312" \
  'import localstack.runtime.main, localstack.services.iam.provider' "${LOCALSTACK_REQS[@]}"
make_venv "$here/.venv-moto" "$pymoto" \
  'import moto.server, boto3, flask' "${MOTO_REQS[@]}"

log "done: $("$here/.venv-localstack/bin/python" -m pip show localstack-core 2>/dev/null | sed -n 's/^Version: /localstack-core /p'), $("$here/.venv-moto/bin/python" -m pip show moto 2>/dev/null | sed -n 's/^Version: /moto /p')"
