#!/usr/bin/env bash
# The README's test command. On a fresh machine it provisions everything the tests need (Debian packages,
# the npm MCP peers, a kube-apiserver/etcd/kubectl built from the Kubernetes Go modules, a Docker engine and an
# offline-built Kind cluster — the first builds take a while, later runs use the caches), then builds and tests every
# module against those real peers, and runs the *KT tier on the Kind cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/system-deps.sh
bash scripts/mcp-deps.sh
bash scripts/oidc-provider.sh >/dev/null   # Keycloak, the OIDC provider of the sidecar's verified-identity tests
bash scripts/kube-binaries.sh >/dev/null

# Native readiness of the sidecar: generate the native-image sources (no GraalVM here) so it cannot rot.
# Every Maven step builds the modules it needs in its own reactor (-am) and installs nothing, so no step depends on
# what an earlier build left in ~/.m2 (a policy jar installed without its parent pom broke this on new machines).
./mvnw -B -ntp package -pl sidecar -am -DskipTests -Dquarkus.native.enabled=true -Dquarkus.native.sources-only=true

./mvnw -B -ntp verify

# The load benchmark's floor proxies (bench/floor) are compiled by bench/load/run.sh against the sidecar's libraries;
# compile them here too, so a Vert.x or Netty upgrade that breaks them shows up in CI rather than in the next benchmark.
floor_classes="$(mktemp -d)"
bash bench/floor/compile.sh "$floor_classes" sidecar/target/quarkus-app
rm -rf "$floor_classes"

# The *KT tier: the packaged chart, the images built here and the injected sidecar on real pods of a Kind cluster
# (Docker engine, node image and cluster provisioned by scripts/kind/, cached under ~/.cache/toolgate/kind).
TOOLGATE_KT_SKIP_PACKAGE=1 bash scripts/kind/kt.sh

python3 scripts/test-summary.py
