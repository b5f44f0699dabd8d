#!/usr/bin/env bash
# The helm CLI, built once from its Go module (no release download): $TOOLGATE_CACHE/kind/bin/helm-<version>/helm.
#
#   scripts/kind/helm.sh      build it if missing; the last stdout line is its path
#
# scripts/demo.sh installs the chart with it (the KT tier uses helm-java instead). Kept out of go-tools.sh and
# versions.sh on purpose: those files are part of the Kind node image's cache key, and helm is not in the node.
LOG_TAG=helm
source "$(dirname "${BASH_SOURCE[0]}")/go-tools.sh"
readonly HELM_VERSION="${TOOLGATE_HELM_VERSION:-v3.22.0}"
readonly HELM_DIR="$KIND_CACHE/bin/helm-$HELM_VERSION"

b_helm() {
  # the version ldflag is what `helm version` prints
  GOBIN="$out" CGO_ENABLED=0 nice -n 10 go install -p "$GO_P" -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
}
command -v go >/dev/null || [[ -f $HELM_DIR/.done ]] || die "go is needed to build helm (Go >= 1.26; scripts/system-deps.sh)"
build_once "$HELM_DIR" b_helm
echo "$HELM_DIR/helm"
