#!/usr/bin/env bash
# Builds the node-side Kubernetes binaries (kubelet, kubeadm, kube-scheduler, kube-proxy) from the k8s.io/kubernetes
# Go module, the way scripts/kube-binaries.sh builds kube-apiserver, kube-controller-manager, kubectl and etcd:
# same scratch-module recipe, same flags, same GOCACHE, so only the packages those four do not share are compiled.
# Then it takes the other four from scripts/kube-binaries.sh's cache (building them first if needed).
#
#   scripts/kind/kube-node-binaries.sh     prints the directory holding all eight binaries (cached per version)
LOG_TAG=kube-node-binaries
source "$(dirname "$0")/lib.sh"

readonly RECIPE=1
readonly out_dir="$KIND_CACHE/kube/v$KUBE_VERSION/bin"
readonly stamp="$out_dir/.done-recipe-$RECIPE"
if [[ -f $stamp ]]; then echo "$out_dir"; exit 0; fi

[[ $KUBE_VERSION =~ ^1\.([0-9]+)\.([0-9]+)$ ]] || die "bad TOOLGATE_KUBE_VERSION '$KUBE_VERSION'"
readonly kube_minor="${BASH_REMATCH[1]}"

# 1. the control-plane binaries + etcd (scripts/kube-binaries.sh: cached in ~/.kubeapitest; waits on its lock if a
#    build is under way elsewhere, so the same packages are never compiled twice at once)
TOOLGATE_KUBE_VERSION="$KUBE_VERSION" bash "$KIND_ROOT/scripts/kube-binaries.sh" >/dev/null
readonly api_dir="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/${KUBE_VERSION}-linux-amd64"
[[ -x $api_dir/kube-apiserver ]] || die "scripts/kube-binaries.sh left no kube-apiserver in $api_dir"

# 2. the node binaries, in a scratch module of our own (a copy of kube-binaries.sh's go.mod/go.sum, so `go build`
#    adding go.sum lines for kubelet's extra dependencies never touches that script's module)
readonly shared_mod="${XDG_CACHE_HOME:-$HOME/.cache}/toolgate/kube-build/v${KUBE_VERSION}"
readonly build_dir="$KIND_CACHE/kube/v$KUBE_VERSION/module"
[[ -f $shared_mod/go.mod ]] || die "no $shared_mod/go.mod (scripts/kube-binaries.sh writes it)"
mkdir -p "$build_dir"
sed 's#^module .*#module toolgate.dev/kind-kube-node-binaries#' "$shared_mod/go.mod" >"$build_dir/go.mod"
cp "$shared_mod/go.sum" "$build_dir/go.sum"
rm -rf "$build_dir/cmd" && cp -r "$shared_mod/cmd" "$build_dir/cmd"

info_file="$(GOFLAGS= go mod download -json "k8s.io/kubernetes@v${KUBE_VERSION}" | sed -n 's/^[[:space:]]*"Info": "\(.*\)",\{0,1\}$/\1/p')"
build_date="$(sed -n 's/.*"Time": *"\([0-9-]*T[0-9:]*\)[^"]*".*/\1Z/p' "$info_file")"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X ${pkg}.gitVersion=v${KUBE_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${kube_minor}"
  ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=${build_date}"
done
tmp="$out_dir.tmp"
rm -rf "$tmp" && mkdir -p "$tmp"
log "compiling kubelet, kubeadm, kube-scheduler, kube-proxy v$KUBE_VERSION (go build -p $GO_P, nice 10)"
started=$SECONDS
(cd "$build_dir" && CGO_ENABLED=0 GOFLAGS="$GOFLAGS -mod=mod" gobuild -ldflags "$ldflags" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kubeadm k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kube-proxy) ||
  die "go build failed"
log "compiled in $((SECONDS - started)) s"
for b in kube-apiserver kube-controller-manager kubectl etcd; do cp "$api_dir/$b" "$tmp/"; done
reported="$("$tmp/kubelet" --version)"
[[ $reported == "Kubernetes v$KUBE_VERSION" ]] || die "kubelet reports '$reported'"
touch "$tmp/.done-recipe-$RECIPE"
rm -rf "$out_dir" && mv "$tmp" "$out_dir"
echo "$out_dir"
