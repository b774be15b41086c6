#!/usr/bin/env bash
# Stops what start.sh started, by the PIDs in localstack/state/*.pid: SIGTERM to each
# process group, then SIGKILL to what is left after STOP_TIMEOUT seconds (default 15;
# LocalStack takes ~13 s in its shutdown hooks and can hang there). Safe to run when
# nothing is running. Leaves state/ (logs) in place; start.sh wipes it.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
state="$here/state"
timeout="${STOP_TIMEOUT:-15}"

log() { printf 'stop.sh: %s\n' "$*" >&2; }
# Running, and not a zombie waiting to be reaped by whoever adopted it.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local st
  st="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)"
  [[ -n "$st" && "$st" != Z ]]
}

# start.sh runs each emulator with setsid, so its PID leads a process group: signal the
# group (helpers included) and the PID itself.
signal() {
  kill "-$1" -- "-$2" 2>/dev/null
  kill "-$1" "$2" 2>/dev/null
  return 0
}

names=() pids=()
for name in localstack moto; do
  pidfile="$state/$name.pid"
  [[ -f "$pidfile" ]] || continue
  pid="$(cat "$pidfile")"
  rm -f "$pidfile"
  [[ "$pid" =~ ^[0-9]+$ ]] || continue
  if ! alive "$pid"; then
    # The leader is gone; make sure nothing of its group lingers.
    pgrep -g "$pid" >/dev/null 2>&1 && signal KILL "$pid"
    continue
  fi
  # Only ever signal our own emulators (a stale PID file could name a reused PID).
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  if [[ "$cmd" != *localstack* && "$cmd" != *moto* ]]; then
    log "$name: pid $pid is not an emulator ($cmd); leaving it alone"
    continue
  fi
  log "$name: SIGTERM to $pid"
  signal TERM "$pid"
  names+=("$name") pids+=("$pid")
done

if ((${#pids[@]} == 0)); then
  log "nothing was running"
  exit 0
fi

deadline=$((SECONDS + timeout))
while ((SECONDS < deadline)); do
  any=0
  for pid in "${pids[@]}"; do alive "$pid" && any=1; done
  ((any)) || break
  sleep 0.5
done
for i in "${!pids[@]}"; do
  pid="${pids[$i]}"
  if alive "$pid"; then
    log "${names[$i]}: still running after ${timeout}s, SIGKILL"
    signal KILL "$pid"
    sleep 1
    alive "$pid" && log "${names[$i]}: WARNING: pid $pid survived SIGKILL"
  fi
  pgrep -g "$pid" >/dev/null 2>&1 && signal KILL "$pid"
done
log "stopped"
exit 0
