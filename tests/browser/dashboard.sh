#!/usr/bin/env bash
# The dashboard in headless Chromium against a REAL daemon: starts its own moto server
# (not the shared emulators of localstack/start.sh), seeds it, runs `vigil daemon` with a
# SQLite store and a scan on start, changes the resources, asks the daemon for a second
# scan through its API, then runs dashboard.test.mjs against the daemon. Everything it
# starts is stopped on exit; its files are in target/dashboard-run/ (the daemon's log
# included), its screenshots in target/browser-artefacts/.
#
# Needs: tests/browser/install.sh done, localstack/.venv-moto (localstack/install.sh),
# and the vigil binary (VIGIL_BIN, default target/debug/vigil).
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
run="$root/target/dashboard-run"
rm -rf "$run"
mkdir -p "$run"
vigil="${VIGIL_BIN:-$root/target/debug/vigil}"
moto_bin="$root/localstack/.venv-moto/bin/moto_server"
moto_py="$root/localstack/.venv-moto/bin/python"
[[ -x "$vigil" ]] || { echo "dashboard.sh: no vigil binary at $vigil" >&2; exit 2; }
[[ -x "$moto_bin" ]] || { echo "dashboard.sh: no moto ($moto_bin): run localstack/install.sh" >&2; exit 2; }

free_port() { "$moto_py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
moto_port="${DASHBOARD_MOTO_PORT:-5088}"
api_port="$(free_port)"
# A fresh random token for this run; it goes to the daemon through a file and to the
# test through the environment, never on a command line or in a log.
umask 077
"$moto_py" -c 'import secrets; print(secrets.token_urlsafe(32))' >"$run/token"
umask 022

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# Fake credentials and no profile files: nothing of this machine's AWS setup leaks in.
mkdir -p "$run/aws"
: >"$run/aws/config"
: >"$run/aws/credentials"
aws_env=(env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_ROLE_ARN -u AWS_WEB_IDENTITY_TOKEN_FILE
  -u AWS_DEFAULT_PROFILE -u PYTHONPATH -u PYTHONHOME
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  AWS_CONFIG_FILE="$run/aws/config" AWS_SHARED_CREDENTIALS_FILE="$run/aws/credentials"
  AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port")

started=$SECONDS
(cd "$run" && exec "${aws_env[@]}" "$moto_bin" -H 127.0.0.1 -p "$moto_port" </dev/null >"$run/moto.log" 2>&1) &
pids+=($!)
for _ in $(seq 1 100); do
  curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$moto_port/moto-api/" && break
  sleep 0.2
done
curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$moto_port/moto-api/" \
  || { echo "dashboard.sh: moto did not start on $moto_port" >&2; cat "$run/moto.log" >&2; exit 1; }
"${aws_env[@]}" "$moto_py" tests/browser/dashboard_seed.py seed

cat >"$run/mutelist.yaml" <<'YAML'
mutes:
  - rule: s3_bucket_mfa_delete_enabled
    resource: "arn:aws:s3:::vigil-dash-*"
    reason: MFA delete needs the root user; accepted for the dashboard test's buckets.
    expires: 2099-12-31
YAML
cat >"$run/vigil.toml" <<TOML
[store]
path = "$run/vigil.db"

[api]
listen = "127.0.0.1:$api_port"
token_file = "$run/token"

[scan]
services = ["s3", "ec2"]
regions = ["us-east-1"]
mutelist = "$run/mutelist.yaml"

[[accounts]]
name = "moto"

[[schedules]]
cron = "0 0 3 1 1 *"
TOML

("${aws_env[@]}" "$vigil" --log-format json daemon --config "$run/vigil.toml" --scan-on-start \
  </dev/null >/dev/null 2>"$run/daemon.log") &
pids+=($!)

api() { curl -sf --max-time 5 -H @"$run/auth-header" "$@"; }
printf 'Authorization: Bearer %s\n' "$(cat "$run/token")" >"$run/auth-header"
chmod 600 "$run/auth-header"
succeeded() {
  api "http://127.0.0.1:$api_port/api/v1/scans" 2>/dev/null \
    | "$moto_py" -c 'import json,sys; print(sum(s["status"] == "succeeded" for s in json.load(sys.stdin)["items"]))' \
    2>/dev/null || echo 0
}
wait_scans() {
  for _ in $(seq 1 600); do
    [[ "$(succeeded)" -ge "$1" ]] && return 0
    sleep 0.2
  done
  echo "dashboard.sh: scan $1 did not succeed; the daemon's log:" >&2
  tail -n 40 "$run/daemon.log" >&2
  exit 1
}
wait_scans 1
first=$SECONDS
"${aws_env[@]}" "$moto_py" tests/browser/dashboard_seed.py mutate
api -X POST "http://127.0.0.1:$api_port/api/v1/scans" >/dev/null
wait_scans 2
echo "dashboard.sh: moto, seed and two daemon scans in $((SECONDS - started)) s (first scan done after $((first - started)) s)"

cd tests/browser
DASHBOARD_URL="http://127.0.0.1:$api_port" VIGIL_TOKEN_FILE="$run/token" \
  ARTEFACTS="$root/target/browser-artefacts" node --test dashboard.test.mjs
