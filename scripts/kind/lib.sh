# Shared helpers for scripts/kind/*.sh (sourced, not run).
# Cache layout: everything lives under ONE directory, keyed on versions and recipes:
#   ${TOOLGATE_CACHE:-$HOME/.cache/toolgate}/kind/...
set -euo pipefail

readonly KIND_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly TOOLGATE_CACHE="${TOOLGATE_CACHE:-$HOME/.cache/toolgate}"
readonly KIND_CACHE="$TOOLGATE_CACHE/kind"
readonly KIND_VERSION="${TOOLGATE_KIND_VERSION:-v0.33.0}"
readonly KUBE_VERSION="${TOOLGATE_KUBE_VERSION:-1.37.1}"
# go build -p: the machines are small and shared.
readonly GO_P="${TOOLGATE_GO_PARALLELISM:-2}"
export PATH="$PATH:/usr/local/go/bin:$HOME/go/bin"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

log() { printf '[%s] %s\n' "${LOG_TAG:-kind}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Short content hash of files and strings (cache keys).
# A file counts by its name and contents (not its directory, so every clone computes the same key).
key_of() { { for a in "$@"; do if [[ -f $a ]]; then printf '%s %s\n' "$(basename "$a")" "$(sha256sum <"$a" | cut -c1-64)"; else printf '%s\n' "$a"; fi; done; } | sha256sum | cut -c1-16; }

# nice'd go, so builds yield the CPU to the Maven tests other people run on this machine.
gobuild() { nice -n 10 go build -p "$GO_P" -trimpath "$@"; }

# Directory of a module in GOMODCACHE (downloads it through GOPROXY).
mod_dir() {
  local json
  json="$(GOFLAGS= go mod download -json "$1")" || die "go mod download $1 failed: $json"
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json"
}

# The runc wrapper binary (images/runc-wrapper), built once per source hash.
runc_wrapper_bin() {
  local src="$KIND_ROOT/images/runc-wrapper" k out
  k="$(key_of "$src/main.go" "$src/go.mod")"
  out="$KIND_CACHE/bin/runc-wrapper-$k"
  if [[ ! -x $out ]]; then
    command -v go >/dev/null || die "go is needed to build the runc wrapper (images/runc-wrapper)"
    mkdir -p "$KIND_CACHE/bin"
    (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$out.tmp" .) && mv "$out.tmp" "$out"
  fi
  echo "$out"
}

docker_image_exists() { docker image inspect "$1" >/dev/null 2>&1; }
