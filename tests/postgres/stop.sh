#!/usr/bin/env bash
# Stops the cluster that start.sh started and deletes its temporary folder. Safe to run
# when nothing is running.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
state="$here/state"
[[ -f "$state/data_dir" ]] || exit 0
data="$(cat "$state/data_dir")"
bin="$(cat "$state/bin_dir" 2>/dev/null || true)"
if [[ -n "$bin" && -f "$data/cluster/postmaster.pid" ]]; then
  as_user=()
  if [[ "$(id -u)" == 0 ]]; then
    as_user=(runuser -u postgres --)
  fi
  "${as_user[@]}" "$bin/pg_ctl" -D "$data/cluster" -m fast -w -t 30 stop >/dev/null 2>&1 \
    || "${as_user[@]}" "$bin/pg_ctl" -D "$data/cluster" -m immediate stop >/dev/null 2>&1
fi
case "$data" in
  */vigil-postgres.*) rm -rf "$data" ;;
esac
rm -f "$state/data_dir" "$state/bin_dir" "$state/env.sh"
