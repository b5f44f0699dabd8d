#!/usr/bin/env bash
# kube-router's network policy controller for the Kind cluster (kindnetd-lite, the pod network, enforces no
# NetworkPolicy): the binary, built once from its Go module (no release download), cached per version:
#   $TOOLGATE_CACHE/kind/bin/kube-router-<version>/kube-router
#
#   scripts/kind/kube-router.sh          build it if missing; the last stdout line is its path
#   scripts/kind/kube-router.sh image    print the image name images.sh builds around it (toolgate/kube-router:<version>)
#
# images.sh kube-router builds the image, cluster.sh up loads it and applies images/kube-router/netpol-daemonset.yaml.
# Kept out of go-tools.sh and versions.sh on purpose (as helm.sh): those files are part of the Kind node image's cache
# key, and kube-router is not in the node image. See docs/kind.md.
LOG_TAG=kube-router
source "$(dirname "${BASH_SOURCE[0]}")/go-tools.sh"
LOG_TAG=kube-router # go-tools.sh set its own
# v2.1.0 is the newest version the Go module proxy here serves (later ones answer "not available"). Its advisory
# GHSA-phqm-jgc3-qf8g is in the service proxy (externalIPs), which this cluster does not run (--run-service-proxy=false).
readonly KUBE_ROUTER_VERSION="${TOOLGATE_KUBE_ROUTER_VERSION:-v2.1.0}"
readonly KUBE_ROUTER_DIR="$KIND_CACHE/bin/kube-router-$KUBE_ROUTER_VERSION"

b_kube_router() {
  # the version ldflag is what `kube-router --version` prints (and what its start-up version check parses)
  GOBIN="$out" CGO_ENABLED=0 nice -n 10 go install -p "$GO_P" -trimpath \
    -ldflags "-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER_VERSION" \
    "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$KUBE_ROUTER_VERSION"
}

case "${1:-bin}" in
  bin)
    command -v go >/dev/null || [[ -f $KUBE_ROUTER_DIR/.done ]] || die "go is needed to build kube-router (Go >= 1.26; scripts/system-deps.sh)"
    build_once "$KUBE_ROUTER_DIR" b_kube_router
    echo "$KUBE_ROUTER_DIR/kube-router"
    ;;
  image) echo "toolgate/kube-router:$KUBE_ROUTER_VERSION" ;;
  *) sed -n '2,/^LOG_TAG/{/^LOG_TAG/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2 ;;
esac
