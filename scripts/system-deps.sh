#!/usr/bin/env bash
# Debian packages the tests need: prometheus (the server and promtool, for the metrics and dashboard tests) and
# redis-server (the shared counter store's tests start their own servers from it).
# Idempotent: installs only what is missing. Needs root (or sudo) when something is missing.
set -euo pipefail
need=()
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v unzip >/dev/null 2>&1 || need+=(unzip) # scripts/oidc-provider.sh unpacks Keycloak's distribution
((${#need[@]} == 0)) && exit 0
sudo=""
[[ $(id -u) == 0 ]] || sudo="sudo"
echo "system-deps: installing ${need[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
# The Debian packages start Prometheus and Redis services where an init system runs; the tests start their own.
