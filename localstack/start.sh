#!/usr/bin/env bash
# Starts LocalStack community (host mode, 127.0.0.1:4566) and moto server (127.0.0.1:5000)
# in the background, each with a fresh, empty state under localstack/state/ (wiped first),
# waits until both answer, checks the IAM credential-report fix, and writes
# localstack/state/env.sh, which points the AWS SDKs (the scanner, boto3, the AWS CLI) at
# them:   source localstack/state/env.sh
# Logs: state/localstack.log, state/moto.log. PIDs: state/localstack.pid, state/moto.pid.
# Stop with stop.sh. Needs install.sh first.
#
# Environment: STARTUP_TIMEOUT (seconds, default 120), LOCALSTACK_PORT (4566), MOTO_PORT
# (5000).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
state="$here/state"
ls_port="${LOCALSTACK_PORT:-4566}"
moto_port="${MOTO_PORT:-5000}"
timeout="${STARTUP_TIMEOUT:-120}"
ls_py="$here/.venv-localstack/bin/python"
moto_bin="$here/.venv-moto/bin/moto_server"
moto_py="$here/.venv-moto/bin/python"

log() { printf 'start.sh: %s\n' "$*" >&2; }
die() {
  printf 'start.sh: ERROR: %s\n' "$*" >&2
  for f in "$state/localstack.log" "$state/moto.log"; do
    [[ -s "$f" ]] && { printf -- '--- last lines of %s\n' "$f" >&2; tail -n 25 "$f" >&2; }
  done
  "$here/stop.sh" >&2 || true
  exit 1
}

[[ -x "$ls_py" && -x "$moto_bin" ]] || { echo "start.sh: ERROR: emulators not installed; run $here/install.sh first" >&2; exit 1; }

# A previous run still up (by its PID files): stop it, so that every start is fresh.
if [[ -f "$state/localstack.pid" || -f "$state/moto.pid" ]]; then
  log "stopping the previous run first"
  "$here/stop.sh" >&2
fi
for port in "$ls_port" "$moto_port"; do
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; then
    echo "start.sh: ERROR: something already listens on 127.0.0.1:$port (not started by this script); stop it first" >&2
    exit 1
  fi
done

rm -rf "$state"
mkdir -p "$state/localstack-volume" "$state/localstack-fs" "$state/localstack-s3-storage" "$state/tmp" "$state/aws"
# Empty profile files (env.sh points the SDKs at them): no real profile leaks in, and
# the SDKs do not warn about missing files.
: >"$state/aws/config"
: >"$state/aws/credentials"
started=$SECONDS

# Neither emulator may see real credentials or endpoint overrides from the caller.
clean_env=(env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_ENDPOINT_URL
  -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u PYTHONPATH -u PYTHONHOME)

# LocalStack, host mode. OVERRIDE_IN_DOCKER=0: machines of this kind have /.dockerenv,
# which would make LocalStack use /var/lib/localstack instead of FILESYSTEM_ROOT.
# DISABLE_EVENTS=1: no analytics calls (there is no network). The hook folder on
# PYTHONPATH loads sitecustomize.py: the credential-report fix, the harness clock shift
# for tagged IAM users, and S3 object data under state/ instead of /tmp (see hook/).
# TMPDIR keeps LocalStack's other temporary files under state/ too.
(
  cd "$state"
  exec "${clean_env[@]}" \
    PYTHONPATH="$here/hook" \
    PYTHONDONTWRITEBYTECODE=1 \
    VIGIL_S3_TMP_DIR="$state/localstack-s3-storage" \
    TMPDIR="$state/tmp" \
    GATEWAY_LISTEN="127.0.0.1:$ls_port" \
    DNS_ADDRESS=0 \
    OVERRIDE_IN_DOCKER=0 \
    DISABLE_EVENTS=1 \
    SKIP_SSL_CERT_DOWNLOAD=1 \
    PERSISTENCE=0 \
    LOCALSTACK_VOLUME_DIR="$state/localstack-volume" \
    FILESYSTEM_ROOT="$state/localstack-fs" \
    setsid "$ls_py" -m localstack.runtime.main </dev/null >"$state/localstack.log" 2>&1
) &
echo $! >"$state/localstack.pid"

# moto server, with LocalStack's account id so that ARNs line up across the two.
(
  cd "$state"
  exec "${clean_env[@]}" \
    MOTO_ACCOUNT_ID=000000000000 \
    setsid "$moto_bin" -H 127.0.0.1 -p "$moto_port" </dev/null >"$state/moto.log" 2>&1
) &
echo $! >"$state/moto.pid"
log "LocalStack pid $(cat "$state/localstack.pid"), moto pid $(cat "$state/moto.pid"); waiting up to ${timeout}s"

ls_up=0 moto_up=0
while ((SECONDS - started < timeout)); do
  kill -0 "$(cat "$state/localstack.pid")" 2>/dev/null || die "LocalStack exited during start-up"
  kill -0 "$(cat "$state/moto.pid")" 2>/dev/null || die "moto exited during start-up"
  if ((!ls_up)) && curl -sf --max-time 3 "http://127.0.0.1:$ls_port/_localstack/health" 2>/dev/null | grep -q '"iam"'; then
    ls_up=1; log "LocalStack answers after $((SECONDS - started)) s"
  fi
  if ((!moto_up)) && curl -sf --max-time 3 -o /dev/null "http://127.0.0.1:$moto_port/moto-api/"; then
    moto_up=1; log "moto answers after $((SECONDS - started)) s"
  fi
  ((ls_up && moto_up)) && break
  sleep 1
done
((ls_up && moto_up)) || die "not ready after ${timeout}s (LocalStack: $ls_up, moto: $moto_up)"

# The environment for the scanner and seed.py.
ls_url="http://127.0.0.1:$ls_port"
moto_url="http://127.0.0.1:$moto_port"
cat >"$state/env.sh" <<EOF
# Written by localstack/start.sh: points the AWS SDKs at the local emulators.
# Usage: source localstack/state/env.sh
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE AWS_DEFAULT_PROFILE
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
# No profile files, no instance metadata: nothing real can leak in.
export AWS_CONFIG_FILE="$state/aws/config"
export AWS_SHARED_CREDENTIALS_FILE="$state/aws/credentials"
export AWS_EC2_METADATA_DISABLED=true
# Everything goes to LocalStack ...
export AWS_ENDPOINT_URL=$ls_url
# ... except what LocalStack community does not emulate and moto does.
export AWS_ENDPOINT_URL_CLOUDTRAIL=$moto_url
export AWS_ENDPOINT_URL_GUARDDUTY=$moto_url
export AWS_ENDPOINT_URL_SECURITYHUB=$moto_url
export AWS_ENDPOINT_URL_ORGANIZATIONS=$moto_url
export AWS_ENDPOINT_URL_RDS=$moto_url
export AWS_ENDPOINT_URL_ACCOUNT=$moto_url
export AWS_ENDPOINT_URL_MACIE2=$moto_url
export AWS_ENDPOINT_URL_EFS=$moto_url
export AWS_ENDPOINT_URL_BACKUP=$moto_url
export AWS_ENDPOINT_URL_ECR=$moto_url
export AWS_ENDPOINT_URL_CODEBUILD=$moto_url
export AWS_ENDPOINT_URL_INSPECTOR2=$moto_url
export AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING=$moto_url
export AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2=$moto_url
export AWS_ENDPOINT_URL_CLOUDFRONT=$moto_url
export AWS_ENDPOINT_URL_APIGATEWAYV2=$moto_url
export AWS_ENDPOINT_URL_WAFV2=$moto_url
export AWS_ENDPOINT_URL_DYNAMODB=$moto_url
export AWS_ENDPOINT_URL_ECS=$moto_url
export AWS_ENDPOINT_URL_EKS=$moto_url
export AWS_ENDPOINT_URL_AUTO_SCALING=$moto_url
export AWS_ENDPOINT_URL_ELASTICACHE=$moto_url
export AWS_ENDPOINT_URL_OPENSEARCH=$moto_url
export AWS_ENDPOINT_URL_REDSHIFT=$moto_url
export AWS_ENDPOINT_URL_DATABASE_MIGRATION_SERVICE=$moto_url
export AWS_ENDPOINT_URL_NETWORK_FIREWALL=$moto_url
export AWS_ENDPOINT_URL_KAFKA=$moto_url
export AWS_ENDPOINT_URL_EMR=$moto_url
export AWS_ENDPOINT_URL_APPSYNC=$moto_url
export AWS_ENDPOINT_URL_ATHENA=$moto_url
export AWS_ENDPOINT_URL_MQ=$moto_url
export AWS_ENDPOINT_URL_TRANSFER=$moto_url
export AWS_ENDPOINT_URL_FIREHOSE=$moto_url
# Security Lake: neither emulates it (moto answers HTTP 500); it stays on LocalStack,
# which answers 501 InternalFailure, so its type is a gap.
# IAM Access Analyzer: neither emulates it; it stays on LocalStack, which answers
# 501 InternalFailure ("not included in your current license plan or not yet emulated").
# S3 Control puts the account id in front of the host (000000000000.<host>), which cannot
# resolve for 127.0.0.1. "0" is the IPv4 address 0.0.0.0 in short form, so the prefixed
# host 000000000000.0 is too (getaddrinfo reads it as 0.0.0.0), and Linux delivers a
# connection to 0.0.0.0 to the loopback interface, where LocalStack listens.
export AWS_ENDPOINT_URL_S3_CONTROL=http://0:$ls_port
# For seed.py and tests: the two emulators by name.
export VIGIL_LOCALSTACK_ENDPOINT=$ls_url
export VIGIL_MOTO_ENDPOINT=$moto_url
export VIGIL_LOCALSTACK_STATE=$state
EOF

# First IAM call: loads the IAM provider, which must come through the hook. ListUsers
# does not touch the credential report (GenerateCredentialReport would cache an empty one
# for four hours).
(
  # shellcheck disable=SC1091
  source "$state/env.sh"
  "$moto_py" - <<'EOF'
import boto3, sys
boto3.client("iam").list_users()
boto3.client("sts").get_caller_identity()
EOF
) || die "LocalStack does not answer IAM/STS calls"
for _ in $(seq 1 20); do
  grep -q 'vigil-hook: patched localstack.services.iam.provider: the credential report' "$state/localstack.log" && break
  sleep 0.5
done
if ! grep -q 'vigil-hook: patched localstack.services.iam.provider: the credential report' "$state/localstack.log"; then
  grep 'vigil-hook' "$state/localstack.log" >&2 || true
  die "the IAM credential-report fix was not applied (see hook/sitecustomize.py)"
fi

log "ready in $((SECONDS - started)) s; LocalStack $ls_url, moto $moto_url"
log "environment: source $state/env.sh"
