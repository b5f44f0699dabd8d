#!/usr/bin/env bash
# Starts a throwaway Redis for the tests: loopback only, nothing persisted, in the foreground (exec, so the caller's
# process handle is Redis itself). Installs Debian's redis-server first when it is missing.
# Usage: scripts/redis-server.sh <port> [redis-server options...]
set -euo pipefail
port="${1:?usage: redis-server.sh <port> [options...]}"
shift
command -v redis-server >/dev/null 2>&1 || bash "$(dirname "$0")/system-deps.sh"
exec redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no --loglevel warning "$@"
