#!/usr/bin/env bash
# Makes a Docker engine run on this machine (no-op when `docker info` already works).
#
#   scripts/kind/docker-engine.sh          install docker.io if needed, configure, start dockerd, wait for it
#   scripts/kind/docker-engine.sh --stop   stop the dockerd this script started (by its pid file)
#
# - Installs Debian's docker.io (dockerd 20.10, containerd 1.6, runc) when dockerd is missing.
# - Registers images/runc-wrapper as the default OCI runtime: this machine's capability bounding set lacks
#   CAP_SYS_RESOURCE, and runc fails any container asking for it ("unable to apply caps: operation not
#   permitted"), which every `docker run --privileged` (Kind nodes) does. The wrapper drops unavailable
#   capabilities from config.json / exec process files, then execs the real runc.
# - Starts dockerd in the background (no systemd here), logs to $TOOLGATE_CACHE/kind/dockerd.log.
# See docs/kind.md.
LOG_TAG=docker-engine
source "$(dirname "$0")/lib.sh"

readonly WRAPPER=/usr/local/sbin/toolgate-runc
readonly DAEMON_JSON=/etc/docker/daemon.json
readonly PID_FILE=/run/toolgate-dockerd.pid
readonly DOCKERD_LOG="$KIND_CACHE/dockerd.log"

if [[ ${1:-} == --stop ]]; then
  if [[ -f $PID_FILE ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    kill "$(cat "$PID_FILE")"
    for _ in $(seq 60); do kill -0 "$(cat "$PID_FILE")" 2>/dev/null || break; sleep 0.5; done
    log "dockerd stopped"
  fi
  exit 0
fi

if docker info >/dev/null 2>&1; then
  log "docker engine already running ($(docker info --format '{{.ServerVersion}} {{.Driver}} cgroup v{{.CgroupVersion}} runtime={{.DefaultRuntime}}'))"
  exit 0
fi
[[ $(id -u) == 0 ]] || die "run as root (installs packages and starts dockerd)"

if ! command -v dockerd >/dev/null; then
  log "installing docker.io from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io iptables >&2
fi
command -v docker >/dev/null || die "no docker CLI after installing docker.io"

wrapper_src="$(runc_wrapper_bin)"
if ! cmp -s "$wrapper_src" "$WRAPPER" 2>/dev/null; then
  install -D -m 0755 "$wrapper_src" "$WRAPPER"
  log "installed the runc wrapper at $WRAPPER"
fi

mkdir -p /etc/docker "$KIND_CACHE"
desired="$(cat <<JSON
{
  "runtimes": { "toolgate-runc": { "path": "$WRAPPER" } },
  "default-runtime": "toolgate-runc",
  "storage-driver": "overlay2",
  "log-driver": "json-file",
  "log-opts": { "max-size": "10m", "max-file": "2" }
}
JSON
)"
if [[ ! -f $DAEMON_JSON ]] || ! grep -q toolgate-runc "$DAEMON_JSON"; then
  [[ ! -f $DAEMON_JSON ]] || cp "$DAEMON_JSON" "$DAEMON_JSON.before-toolgate"
  printf '%s\n' "$desired" >"$DAEMON_JSON"
  log "wrote $DAEMON_JSON"
fi

# A stale socket or pid file from a dead daemon stops dockerd from starting.
if [[ -f /var/run/docker.pid ]] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then rm -f /var/run/docker.pid; fi
if ! pgrep -x dockerd >/dev/null; then
  log "starting dockerd (log: $DOCKERD_LOG)"
  # setsid: dockerd outlives this script's process group (and the caller's shell job).
  setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
fi
for _ in $(seq 120); do
  docker info >/dev/null 2>&1 && break
  sleep 0.5
done
docker info >/dev/null 2>&1 || { tail -n 30 "$DOCKERD_LOG" >&2; die "dockerd did not come up (log above)"; }
log "docker engine up ($(docker info --format '{{.ServerVersion}} {{.Driver}} cgroup v{{.CgroupVersion}} runtime={{.DefaultRuntime}}'))"
