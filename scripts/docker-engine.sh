#!/usr/bin/env bash
# A local Docker engine for the docker path of role node: start | stop | status.
#
# There is no systemd here, so dockerd is run in the background, with a pidfile, and stopped by
# that PID only. The flags keep it off the network: no docker0 bridge (never 172.17.0.0/16), no
# iptables rules. Containers must use network_mode host (loopback addresses) or none.
#
# Environment:
#   POA_DOCKER_ROOT   state directory (default /var/lib/poa-docker): data-root, exec-root,
#                     pidfile and log live below it
#   POA_DOCKER_SOCK   the API socket (default /var/run/docker.sock, where the docker CLI and
#                     community.docker look by default)
#   POA_DOCKER_WAIT   seconds to wait for the engine to answer (default 60)
#
# Exit codes: 0 ok (status: running), 1 usage, 2 cannot install (not root / apt failed),
#             3 engine did not come up, 4 engine did not stop, 5 status: stopped.
set -euo pipefail

root="${POA_DOCKER_ROOT:-/var/lib/poa-docker}"
sock="${POA_DOCKER_SOCK:-/var/run/docker.sock}"
wait_s="${POA_DOCKER_WAIT:-60}"
pidfile="$root/dockerd.pid"
logfile="$root/dockerd.log"
# exec-root holds unix sockets (path limit 108 bytes): keep it short.
exec_root="$root/exec"
data_root="$root/data"

log() { echo "docker-engine: $*"; }
err() { echo "docker-engine: error: $*" >&2; }

engine_answers() {
  DOCKER_HOST="unix://$sock" timeout 10 docker info --format '{{.ServerVersion}}' >/dev/null 2>&1
}

our_pid() {
  # The PID from our pidfile, if that process is alive and is a dockerd.
  local pid
  [ -f "$pidfile" ] || return 1
  pid="$(cat "$pidfile")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -d "/proc/$pid" ] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "dockerd" ] || return 1
  echo "$pid"
}

ensure_installed() {
  if command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    err "dockerd is not installed and installing it needs root (apt-get install docker.io)"
    exit 2
  fi
  log "installing docker.io from apt"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null; }; then
    err "apt-get install docker.io failed"
    exit 2
  fi
}

cmd_status() {
  local pid
  if pid="$(our_pid)" && engine_answers; then
    log "running (pid $pid, socket $sock, root $root, server $(DOCKER_HOST="unix://$sock" docker info --format '{{.ServerVersion}}' 2>/dev/null))"
    return 0
  fi
  if engine_answers; then
    log "running, but not started by this script (socket $sock answers, no live pidfile in $root)"
    return 0
  fi
  if pid="$(our_pid)"; then
    log "dockerd pid $pid is alive but $sock does not answer (starting up, or stuck: see $logfile)"
    return 3
  fi
  log "stopped"
  return 5
}

cmd_start() {
  local pid i
  if engine_answers; then
    if pid="$(our_pid)"; then log "already running (pid $pid)"; else log "already running (socket $sock answers; not started by this script)"; fi
    return 0
  fi
  ensure_installed
  if [ "$(id -u)" -ne 0 ]; then
    err "dockerd needs root to run"
    exit 2
  fi
  if pid="$(our_pid)"; then
    log "dockerd pid $pid exists but does not answer yet; waiting"
  else
    mkdir -p "$data_root" "$exec_root" "$(dirname "$sock")"
    chmod 0711 "$root"
    # A stale socket from an unclean stop makes dockerd refuse to start.
    if [ -S "$sock" ]; then rm -f "$sock"; fi
    log "starting dockerd (root $root, socket $sock, log $logfile)"
    # setsid: the engine must outlive this script and the caller's process group.
    setsid dockerd \
      --bridge=none --iptables=false --ip6tables=false \
      --data-root "$data_root" --exec-root "$exec_root" \
      --pidfile "$pidfile" --host "unix://$sock" \
      >>"$logfile" 2>&1 </dev/null &
    # No fork here (the background child is no process-group leader), so $! is dockerd itself;
    # dockerd writes the pidfile on its own (writing it first would make it refuse to start).
    pid=$!
  fi
  for ((i = 0; i < wait_s * 2; i++)); do
    if engine_answers; then
      log "running (pid $pid) after ~$((i / 2)) s"
      return 0
    fi
    if ! [ -d "/proc/$pid" ]; then
      err "dockerd exited during start-up; last lines of $logfile:"
      tail -n 20 "$logfile" >&2 || true
      exit 3
    fi
    sleep 0.5
  done
  err "dockerd (pid $pid) did not answer within ${wait_s}s; see $logfile"
  exit 3
}

cmd_stop() {
  local pid i
  if ! pid="$(our_pid)"; then
    rm -f "$pidfile"
    if engine_answers; then
      log "an engine answers on $sock but was not started by this script; leaving it alone"
    else
      log "already stopped"
    fi
    return 0
  fi
  log "stopping dockerd (pid $pid)"
  kill -TERM "$pid"
  # dockerd gives containers up to 15 s to stop, then shuts itself down.
  for ((i = 0; i < 60; i++)); do
    if ! [ -d "/proc/$pid" ]; then
      rm -f "$pidfile"
      log "stopped"
      return 0
    fi
    sleep 0.5
  done
  err "dockerd (pid $pid) still alive 30 s after SIGTERM; see $logfile"
  exit 4
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 1
    ;;
esac
