#!/usr/bin/env bash
# Provisions a real kube-apiserver, kube-controller-manager, kubectl and etcd for tests: builds them from the Kubernetes and etcd Go
# modules through the Go module proxy (no release downloads needed) and caches them where
# io.fabric8:kube-api-test looks for binaries: ${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/<version>-linux-<arch>/.
#
# Usage:
#   scripts/kube-binaries.sh          build (or reuse the cache); the last stdout line is the version, e.g. 1.37.1
#   scripts/kube-binaries.sh --smoke  also start etcd + kube-apiserver (RBAC) on loopback and check them with kubectl
#   scripts/kube-binaries.sh --help
# Progress goes to stderr. See docs/kube-binaries.md for the why and for kube-api-test usage.
#
# Environment:
#   KUBE_API_TEST_DIR         cache root shared with kube-api-test (default ~/.kubeapitest)
#   TOOLGATE_KUBE_VERSION     Kubernetes version to build (default below; all its modules must resolve via GOPROXY)
#   TOOLGATE_KUBE_BUILD_DIR   scratch Go module used for the build (default ~/.cache/toolgate/kube-build/v<version>)
#   TOOLGATE_GO_PARALLELISM   go build -p (default 2: the build machines are small and shared)
set -euo pipefail

readonly DEFAULT_KUBE_VERSION=1.37.1
# Bump when the build recipe changes (flags, sources) so cached binaries from an older recipe are rebuilt.
# 2: buildDate is a valid RFC 3339 time (fabric8's getKubernetesVersion() fails to parse anything else).
# 3: kube-controller-manager too (the operator IT runs its garbage collector).
readonly RECIPE=3
readonly STAMP_FILE=.toolgate-kube-binaries

log() { printf '[kube-binaries] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2; }

smoke=false
case "${1:-}" in
  "") ;;
  --smoke) smoke=true ;;
  -h|--help) usage; exit 0 ;;
  *) usage; die "unknown argument '$1'" ;;
esac

kube_version="${TOOLGATE_KUBE_VERSION:-$DEFAULT_KUBE_VERSION}"
kube_version="${kube_version#v}"
[[ $kube_version =~ ^1\.([0-9]+)\.([0-9]+)$ ]] || die "TOOLGATE_KUBE_VERSION must look like 1.37.1, got '$kube_version'"
readonly kube_minor="${BASH_REMATCH[1]}" kube_patch="${BASH_REMATCH[2]}"
# Kubernetes publishes its staging repositories (k8s.io/api, k8s.io/apiserver, ...) as v0.<minor>.<patch>.
readonly staging_version="v0.${kube_minor}.${kube_patch}"

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) arch=amd64 ;;
  Linux/aarch64|Linux/arm64) arch=arm64 ;;
  *) die "unsupported platform $(uname -s)/$(uname -m): kube-api-test binaries are built for linux amd64/arm64 only" ;;
esac

readonly api_test_dir="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}"
# kube-api-test resolves binaries from <root>/k8s/<version>-<os>-<arch>/ (version without a leading "v").
readonly target="$api_test_dir/k8s/${kube_version}-linux-${arch}"
readonly build_dir="${TOOLGATE_KUBE_BUILD_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/toolgate/kube-build/v${kube_version}}"
readonly parallelism="${TOOLGATE_GO_PARALLELISM:-2}"

# Complete = all four binaries plus a stamp from this recipe or a newer one (so an older checkout of this
# script, e.g. in another clone, accepts a newer build instead of rebuilding back and forth).
cache_complete() {
  [[ -x $target/kube-apiserver && -x $target/kube-controller-manager && -x $target/kubectl && -x $target/etcd &&
    -f $target/$STAMP_FILE ]] || return 1
  local built_recipe
  built_recipe="$(sed -n 's/^recipe=\([0-9][0-9]*\)$/\1/p' "$target/$STAMP_FILE")"
  [[ -n $built_recipe ]] && ((built_recipe >= RECIPE))
}

require_go() {
  command -v go >/dev/null || die "'go' not found on PATH: install Go >= 1.26 (Kubernetes $kube_version needs it)"
  local go_version
  go_version="$(go env GOVERSION)"
  log "using $go_version, GOPROXY=$(go env GOPROXY), GOMODCACHE=$(go env GOMODCACHE), GOCACHE=$(go env GOCACHE)"
}

# Path of k8s.io/kubernetes's go.mod in the module cache (downloads it through the proxy if needed).
kubernetes_go_mod() {
  local json
  json="$(go mod download -json "k8s.io/kubernetes@v${kube_version}")" ||
    die "k8s.io/kubernetes@v${kube_version} does not resolve through GOPROXY=$(go env GOPROXY)" \
      "($(sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")); pick another TOOLGATE_KUBE_VERSION"
  sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' <<<"$json"
}

# Writes the scratch module: k8s.io/kubernetes at the wanted tag, and every staging module it replaces with
# ./staging/src/... pinned to the matching published v0.<minor>.<patch> (non-main replaces are ignored by Go).
write_build_module() {
  local upstream_mod="$1" go_directive godebug staging_modules module
  go_directive="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$upstream_mod")"
  godebug="$(grep '^godebug ' "$upstream_mod" || true)"
  staging_modules="$(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\) => \./staging/src/.*$#\1#p' "$upstream_mod")"
  [[ -n $go_directive && -n $staging_modules ]] || die "unexpected layout of $upstream_mod (no go directive or staging replaces)"

  mkdir -p "$build_dir/cmd/etcd"
  {
    echo "// Generated by scripts/kube-binaries.sh: builds kube-apiserver, kube-controller-manager, kubectl and etcd for Kubernetes v${kube_version}."
    echo "module toolgate.dev/kube-binaries"
    echo
    echo "go ${go_directive}"
    [[ -z $godebug ]] || { echo; echo "$godebug"; }
    echo
    echo "require k8s.io/kubernetes v${kube_version}"
    echo
    echo "require ("
    for module in $staging_modules; do echo "	$module $staging_version"; done
    echo ")"
    echo
    echo "replace ("
    for module in $staging_modules; do echo "	$module => $module $staging_version"; done
    echo ")"
  } >"$build_dir/go.mod"
  # etcd's own main package is a one-liner around etcdmain; building it here uses the etcd server version that
  # Kubernetes itself pins (go.etcd.io/etcd/server/v3 in its go.mod), so client and server match.
  cat >"$build_dir/cmd/etcd/main.go" <<'EOF'
// Command etcd is the etcd server, built from go.etcd.io/etcd/server/v3 at the version Kubernetes pins.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
  [[ -f $build_dir/go.sum ]] || : >"$build_dir/go.sum"
}

build() {
  require_go
  local upstream_mod build_date etcd_version ldflags out started
  started=$SECONDS
  log "building Kubernetes v${kube_version} (staging modules $staging_version) into $target"
  log "the first build downloads ~1 GB of modules and compiles for 10-30 minutes; reruns reuse the Go caches"
  upstream_mod="$(kubernetes_go_mod)"
  [[ -f $upstream_mod ]] || die "could not locate go.mod of k8s.io/kubernetes@v${kube_version}"
  write_build_module "$upstream_mod"
  etcd_version="$(sed -n 's#^[[:space:]]*go\.etcd\.io/etcd/server/v3 \(v[^[:space:]]*\).*#\1#p' "$upstream_mod" | head -n1)"
  [[ -n $etcd_version ]] || die "k8s.io/kubernetes@v${kube_version} does not pin go.etcd.io/etcd/server/v3"

  cd "$build_dir"
  log "resolving modules (go mod download; etcd server $etcd_version)"
  # -mod=mod lets go add the transitive requirements and go.sum lines the scratch module needs.
  go get "go.etcd.io/etcd/server/v3@${etcd_version}" "k8s.io/kubernetes@v${kube_version}" >&2 ||
    die "resolving k8s.io/kubernetes@v${kube_version} failed (see above): a module may be missing from GOPROXY"

  # buildDate is the tag's publication time (from the proxy's .info file), so rebuilds are reproducible.
  local info_file
  info_file="$(go mod download -json "k8s.io/kubernetes@v${kube_version}" |
    sed -n 's/^[[:space:]]*"Info": "\(.*\)",\{0,1\}$/\1/p')"
  build_date="$(sed -n 's/.*"Time": *"\([0-9-]*T[0-9:]*\)[^"]*".*/\1Z/p' "$info_file")"
  [[ $build_date =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]] || die "no tag time in $info_file"
  ldflags="-s -w"
  local pkg
  # Same variables hack/lib/version.sh sets, so /version and `kubectl version` report the real release.
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X ${pkg}.gitVersion=v${kube_version} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${kube_minor}"
    ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=${build_date}"
  done

  out="$(mktemp -d "$api_test_dir/k8s/.build-${kube_version}.XXXXXX")"
  trap 'rm -rf "$out"' EXIT
  log "compiling kube-apiserver, kube-controller-manager, kubectl, etcd (go build -p $parallelism)"
  # One go build: the packages the commands share are compiled once.
  CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=mod" go build -p "$parallelism" -trimpath -ldflags "$ldflags" -o "$out/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl ./cmd/etcd ||
    die "go build failed (see above)"

  local reported
  reported="$("$out/kube-apiserver" --version)"
  [[ $reported == "Kubernetes v${kube_version}" ]] || die "built kube-apiserver reports '$reported', expected 'Kubernetes v${kube_version}'"
  reported="$("$out/kube-controller-manager" --version)"
  [[ $reported == "Kubernetes v${kube_version}" ]] ||
    die "built kube-controller-manager reports '$reported', expected 'Kubernetes v${kube_version}'"
  "$out/etcd" --version >&2
  "$out/kubectl" version --client >&2
  printf 'kubernetes=v%s\netcd=%s\nrecipe=%s\ngo=%s\n' "$kube_version" "$etcd_version" "$RECIPE" "$(go env GOVERSION)" \
    >"$out/$STAMP_FILE"

  # Swap in atomically so kube-api-test never sees a half-written version directory.
  chmod 755 "$out"
  rm -rf "$target"
  mv "$out" "$target"
  trap - EXIT
  log "built in $((SECONDS - started)) s: $(tr '\n' ' ' <"$target/$STAMP_FILE")"
}

# Smoke-test state is global: the EXIT trap runs after the function's locals are gone.
smoke_work=""
smoke_pids=()

stop_smoke_processes() {
  local p
  for p in "${smoke_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  # Graceful shutdown is quick; never hang the caller on a process that ignores SIGTERM.
  for _ in $(seq 50); do
    local alive=false
    for p in "${smoke_pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=true; done
    $alive || break
    sleep 0.2
  done
  for p in "${smoke_pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  smoke_pids=()
  [[ -z $smoke_work ]] || rm -rf "$smoke_work"
  smoke_work=""
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Retries a command for up to 15 s: RBAC changes reach the authorizer through an informer, not instantly.
eventually() {
  local deadline=$((SECONDS + 15))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

# Starts etcd and kube-apiserver (RBAC, token auth) on free loopback ports and checks them with kubectl.
smoke_test() {
  local etcd_port peer_port api_port
  command -v python3 >/dev/null || die "--smoke needs python3 (to pick free ports)"
  command -v openssl >/dev/null || die "--smoke needs openssl (for the service-account key)"
  trap stop_smoke_processes EXIT
  smoke_work="$(mktemp -d)"
  etcd_port="$(free_port)"; peer_port="$(free_port)"; api_port="$(free_port)"

  openssl genrsa -out "$smoke_work/sa.key" 2048 2>/dev/null
  # token,user,uid,"groups": an admin (system:masters bypasses RBAC) and a user without any binding.
  printf 'smoke-admin-token,smoke-admin,1,"system:masters"\nsmoke-user-token,smoke-user,2\n' >"$smoke_work/tokens.csv"

  log "smoke: starting etcd on 127.0.0.1:$etcd_port"
  "$target/etcd" --data-dir "$smoke_work/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" --initial-cluster "default=http://127.0.0.1:$peer_port" \
    --unsafe-no-fsync >"$smoke_work/etcd.log" 2>&1 &
  smoke_pids+=($!)

  log "smoke: starting kube-apiserver --authorization-mode RBAC on https://127.0.0.1:$api_port"
  "$target/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" --bind-address 127.0.0.1 \
    --secure-port "$api_port" --cert-dir "$smoke_work/certs" \
    --authorization-mode RBAC --token-auth-file "$smoke_work/tokens.csv" --service-cluster-ip-range 10.0.0.0/24 \
    --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$smoke_work/sa.key" \
    --service-account-signing-key-file "$smoke_work/sa.key" >"$smoke_work/apiserver.log" 2>&1 &
  smoke_pids+=($!)

  local server=(--server "https://127.0.0.1:$api_port" --insecure-skip-tls-verify)
  admin() { "$target/kubectl" "${server[@]}" --token smoke-admin-token "$@"; }
  user() { "$target/kubectl" "${server[@]}" --token smoke-user-token "$@"; }

  local started=$SECONDS
  until admin get --raw /readyz >/dev/null 2>&1; do
    if ((SECONDS - started > 120)) || ! kill -0 "${smoke_pids[1]}" 2>/dev/null; then
      tail -n 30 "$smoke_work/etcd.log" "$smoke_work/apiserver.log" >&2
      die "smoke: kube-apiserver did not become ready (logs above)"
    fi
    sleep 1
  done
  log "smoke: /readyz ok after $((SECONDS - started)) s"
  local version_json version build_date
  version_json="$(admin get --raw /version)"
  version="$(sed -n 's/.*"gitVersion": "\([^"]*\)".*/\1/p' <<<"$version_json")"
  [[ $version == "v$kube_version" ]] || die "smoke: server reports version '$version', expected v$kube_version"
  # Clients parse buildDate (fabric8's VersionInfo uses yyyy-MM-dd'T'HH:mm:ssX); a malformed one breaks them.
  build_date="$(sed -n 's/.*"buildDate": "\([^"]*\)".*/\1/p' <<<"$version_json")"
  [[ $build_date =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] ||
    die "smoke: server reports buildDate '$build_date', not an RFC 3339 UTC time"
  local resources
  resources="$(admin api-resources --no-headers | wc -l)"
  ((resources > 30)) || die "smoke: kubectl api-resources listed only $resources resources"
  log "smoke: server $version, kubectl api-resources lists $resources resources"
  admin create configmap smoke --from-literal=k=v >&2
  [[ "$(admin get configmap smoke -o 'jsonpath={.data.k}')" == v ]] || die "smoke: configmap did not round-trip"

  # RBAC is really enforced: a user without bindings is forbidden until a binding grants access.
  if user get configmaps >/dev/null 2>"$smoke_work/forbidden.txt"; then
    die "smoke: a user without bindings could list configmaps: RBAC is not enforced"
  fi
  grep -q Forbidden "$smoke_work/forbidden.txt" || die "smoke: expected Forbidden, got: $(cat "$smoke_work/forbidden.txt")"
  # A Role of our own: the built-in 'view' is an aggregated role, filled in only by kube-controller-manager.
  admin create role smoke-read-configmaps --verb get,list --resource configmaps >&2
  admin create rolebinding smoke-read-configmaps --role smoke-read-configmaps --user smoke-user >&2
  eventually user get configmaps >/dev/null 2>&1 || die "smoke: the role binding did not grant listing configmaps"
  if user get secrets >/dev/null 2>&1; then die "smoke: the role must not grant listing secrets"; fi
  log "smoke: RBAC enforced (forbidden without a binding, allowed by the Role, secrets still forbidden)"
  stop_smoke_processes
  trap - EXIT
  log "smoke: passed"
}

mkdir -p "$api_test_dir/k8s"
if cache_complete; then
  log "cached: $target ($(tr '\n' ' ' <"$target/$STAMP_FILE"))"
else
  # Concurrent callers (parallel Maven modules, CI steps) wait for one build instead of racing.
  exec 9>"$api_test_dir/k8s/.kube-binaries-${kube_version}.lock"
  log "waiting for the build lock"
  flock 9
  if cache_complete; then
    log "built by a concurrent run: $target"
  else
    build
  fi
  flock -u 9
fi

if $smoke; then
  smoke_test
fi
echo "$kube_version"
