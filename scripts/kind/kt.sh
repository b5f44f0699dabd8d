#!/usr/bin/env bash
# The *KT tier (e2e/): Toolgate on the Kind cluster "toolgate" (TOOLGATE_KIND_CLUSTER names another), end to end.
#   1. cluster.sh up                     the cluster (kept when it runs)
#   2. mvnw package sidecar,operator,helm   the apps and the packaged chart, from this work tree (no tests)
#   3. images.sh all + cluster.sh load   images rebuilt when their inputs changed, loaded into every node
#   4. mvnw verify -pl e2e -am -Pkind    the KT classes (upstream modules: -DskipTests; the KTs ignore it)
# Extra arguments go to the last Maven run, e.g. scripts/kind/kt.sh -Dit.test=ToolgateKT
# TOOLGATE_KT_SKIP_BUILD=1 skips steps 2-3 (images already current); TOOLGATE_KT_SKIP_PACKAGE=1 skips step 2 only (the
# apps and chart were just built, as scripts/test.sh does). See e2e/README.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
t0=$SECONDS
step() { echo "[kt] $* ($((SECONDS - t0)) s)" >&2; }

step "cluster up"
"$here/cluster.sh" up
bash "$root/scripts/mcp-deps.sh" # the MCP SDK clients some KTs drive from this machine (quick when installed)
# One user of the cluster's release at a time: scripts/demo.sh installs the same release (toolgate in
# toolgate-system) and takes the same lock.
cache="${TOOLGATE_CACHE:-$HOME/.cache/toolgate}/kind"
exec 9>"$cache/cluster-${TOOLGATE_KIND_CLUSTER:-toolgate}.lock"
if ! flock -n 9; then
  step "waiting for another run on the cluster (scripts/demo.sh or kt.sh) to finish"
  flock -w 1800 9 || { echo "[kt] the cluster stayed busy (lock $cache/cluster-${TOOLGATE_KIND_CLUSTER:-toolgate}.lock)" >&2; exit 1; }
fi
# What an interrupted scripts/demo.sh left: its namespace (an McpPolicy's ConfigMap there would fail the uninstall
# test). ToolgateKT itself removes the release and toolgate-system.
kubectl=("$cache/kube/v$(bash -c "source '$here/lib.sh'; echo \$KUBE_VERSION")/bin/kubectl"
  --kubeconfig "$cache/kubeconfig-${TOOLGATE_KIND_CLUSTER:-toolgate}")
if "${kubectl[@]}" get namespace toolgate-demo >/dev/null 2>&1; then
  step "deleting namespace toolgate-demo (left by an interrupted scripts/demo.sh)"
  "${kubectl[@]}" delete namespace toolgate-demo --timeout=180s >&2
fi
if [[ ${TOOLGATE_KT_SKIP_BUILD:-0} != 1 ]]; then
  if [[ ${TOOLGATE_KT_SKIP_PACKAGE:-0} != 1 ]]; then
    step "package sidecar, operator, helm chart"
    (cd "$root" && nice -n 10 ./mvnw -B -ntp -q package -pl sidecar,operator,helm -am -DskipTests)
  fi
  step "images"
  "$here/images.sh" all
  "$here/cluster.sh" load
fi
step "KT tier"
cd "$root"
export KUBECTL="${kubectl[0]}" # the plugin scripts/kubectl-toolgate, run by the KT tier, uses this kubectl
./mvnw -B -ntp verify -pl e2e -am -Pkind -DskipTests \
  -Dtoolgate.kind.cluster="${TOOLGATE_KIND_CLUSTER:-toolgate}" \
  -Dtoolgate.kubeconfig="$cache/kubeconfig-${TOOLGATE_KIND_CLUSTER:-toolgate}" "$@"
step "done"
