#!/usr/bin/env bash
# Builds the node's Go tools from their modules (no git clones, no release downloads), cached per version:
#   $TOOLGATE_CACHE/kind/bin/<name>-<version>/...
#
#   scripts/kind/go-tools.sh [containerd|runc|crictl|cni|coredns|local-path-provisioner|kind|all]...
# Prints nothing on stdout; progress on stderr.
LOG_TAG=go-tools
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/versions.sh"

# build_once <cache dir> <function>: runs the function with $out = a temp dir, then moves it in place.
build_once() {
  local dir="$1" fn="$2"
  [[ -f $dir/.done ]] && return 0
  # one build per tool at a time (parallel callers wait, then find it done)
  mkdir -p "$(dirname "$dir")"
  exec 8>"$dir.lock"
  flock 8
  if [[ -f $dir/.done ]]; then flock -u 8; return 0; fi
  log "building $(basename "$dir")"
  local started=$SECONDS
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  out="$dir.tmp" "$fn"
  date -u +%FT%TZ >"$dir.tmp/.done"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  flock -u 8
  log "built $(basename "$dir") in $((SECONDS - started)) s"
}

b_containerd() {
  local src; src="$(mod_dir "github.com/containerd/containerd/v2@$CONTAINERD_VERSION")"
  local pkg=github.com/containerd/containerd/v2
  # Same tags kind's base image uses; CGO off: static binaries that run in any base.
  (cd "$src" && CGO_ENABLED=0 gobuild -tags "no_aufs no_zfs no_btrfs no_devmapper urfave_cli_no_docs" \
    -ldflags "-s -w -X $pkg/version.Version=$CONTAINERD_VERSION -X $pkg/version.Revision=toolgate -X $pkg/version.Package=github.com/containerd/containerd/v2" \
    -o "$out/" ./cmd/containerd ./cmd/containerd-shim-runc-v2 ./cmd/ctr)
}
b_runc() {
  # cgo + libseccomp (seccomp profiles); links libseccomp2 dynamically, which the Debian base has.
  dpkg -s libseccomp-dev >/dev/null 2>&1 || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libseccomp-dev pkg-config >&2; }
  local src; src="$(mod_dir "github.com/opencontainers/runc@$RUNC_VERSION")"
  (cd "$src" && CGO_ENABLED=1 gobuild -buildmode=pie -tags "seccomp urfave_cli_no_docs" \
    -ldflags "-s -w -X main.gitCommit=toolgate -X main.version=${RUNC_VERSION#v}" -o "$out/runc" .)
}
b_crictl() {
  local src; src="$(mod_dir "sigs.k8s.io/cri-tools@$CRICTL_VERSION")"
  (cd "$src" && CGO_ENABLED=0 gobuild -ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION" \
    -o "$out/crictl" ./cmd/crictl)
}
b_cni() {
  local src; src="$(mod_dir "github.com/containernetworking/plugins@$CNI_PLUGINS_VERSION")"
  # kind's set (host-local, loopback, ptp, portmap) plus bridge, which our single-node kindnetd stand-in uses.
  (cd "$src" && CGO_ENABLED=0 gobuild -ldflags "-s -w -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=$CNI_PLUGINS_VERSION" \
    -o "$out/" ./plugins/ipam/host-local ./plugins/main/loopback ./plugins/main/ptp ./plugins/meta/portmap ./plugins/main/bridge)
}
b_coredns() {
  local src; src="$(mod_dir "github.com/coredns/coredns@$COREDNS_VERSION")"
  (cd "$src" && CGO_ENABLED=0 gobuild -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=toolgate" -o "$out/coredns" .)
}
b_local_path_provisioner() {
  local src; src="$(mod_dir "github.com/rancher/local-path-provisioner@$LOCAL_PATH_PROVISIONER_VERSION")"
  # its module zip keeps vendor/modules.txt but not the vendored code: resolve modules instead
  (cd "$src" && CGO_ENABLED=0 GOFLAGS="$GOFLAGS -mod=mod" gobuild -ldflags "-s -w -X main.VERSION=$LOCAL_PATH_PROVISIONER_VERSION" -o "$out/local-path-provisioner" .)
}
b_kind() {
  GOBIN="$out" CGO_ENABLED=0 nice -n 10 go install -p "$GO_P" -trimpath -ldflags "-s -w" "sigs.k8s.io/kind@$KIND_VERSION"
}

tool_dir() {
  case "$1" in
    containerd) echo "$KIND_CACHE/bin/containerd-$CONTAINERD_VERSION" ;;
    runc) echo "$KIND_CACHE/bin/runc-$RUNC_VERSION" ;;
    crictl) echo "$KIND_CACHE/bin/crictl-$CRICTL_VERSION" ;;
    cni) echo "$KIND_CACHE/bin/cni-plugins-$CNI_PLUGINS_VERSION" ;;
    coredns) echo "$KIND_CACHE/bin/coredns-$COREDNS_VERSION" ;;
    local-path-provisioner) echo "$KIND_CACHE/bin/local-path-provisioner-$LOCAL_PATH_PROVISIONER_VERSION" ;;
    kind) echo "$KIND_CACHE/bin/kind-$KIND_VERSION" ;;
    *) die "unknown tool '$1'" ;;
  esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  tools=("$@")
  [[ ${#tools[@]} -gt 0 && ${tools[0]} != all ]] || tools=(kind containerd runc crictl cni coredns local-path-provisioner)
  for t in "${tools[@]}"; do
    build_once "$(tool_dir "$t")" "b_${t//-/_}"
  done
fi
