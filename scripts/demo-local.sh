#!/usr/bin/env bash
# The demo's fallback path, for machines where no Docker engine can run (scripts/demo.sh runs it then, or with
# TOOLGATE_DEMO_NO_CLUSTER=1; it can also be run directly): Toolgate end to end on this machine, no cluster.
#   1. starts a local control plane (the same kube-apiserver + etcd the tests use),
#   2. installs the CRD, the operator's RBAC and the chart's webhook configurations, runs the operator,
#   3. applies k8s-examples/demo (namespace, server-everything, an McpPolicy) and shows the injected pod spec,
#   4. runs the sidecar locally with the ConfigMap the operator rendered, in front of a real server-everything,
#   5. drives a scripted agent (the MCP TypeScript SDK) through allowed, denied, invalid and rate-limited calls,
#   6. prints each decision, the audit log and the metrics, and cleans up.
# scripts/demo.sh's main path does the same on a Kind cluster, with the Helm chart and real injected pods.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$(mktemp -d -t toolgate-demo.XXXXXX)
PIDS=()

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
log() { printf '   %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }
cleanup() {
  local pid i
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for i in $(seq 50); do
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && { sleep 0.2; continue 2; }; done
    break
  done
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  if [[ ${KEEP_DEMO_WORKDIR:-} == 1 ]]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_for() { # wait_for <what> <seconds> <command...>
  local what=$1 limit=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$what did not come up within ${limit}s (logs in $WORK; rerun with KEEP_DEMO_WORKDIR=1)"
    sleep 0.3
  done
}

say "Preparing (first run builds the project, the Kubernetes binaries and installs the npm peers)"
jars_stale() {
  local jar=$1 module=$2
  [[ ! -f $jar ]] || [[ -n $(find "$module/src" policy/src -newer "$jar" -type f -print -quit) ]]
}
if jars_stale sidecar/target/quarkus-app/quarkus-run.jar sidecar || jars_stale operator/target/quarkus-app/quarkus-run.jar operator \
   || [[ ! -f helm/target/chart/toolgate/Chart.yaml ]] || [[ -n $(find helm/toolgate -newer helm/target/chart/toolgate/Chart.yaml -type f -print -quit) ]]; then
  log "building policy, sidecar, operator and the chart (skipping tests)"
  ./mvnw -B -ntp -q package -DskipTests -pl sidecar,operator,helm -am
fi
bash scripts/mcp-deps.sh >"$WORK/mcp-deps.log" 2>&1 || { cat "$WORK/mcp-deps.log"; die "installing the npm peers failed"; }
KUBE_VERSION=$(bash scripts/kube-binaries.sh 2>"$WORK/kube-binaries.log" | tail -n1) || { cat "$WORK/kube-binaries.log"; die "building the Kubernetes binaries failed"; }
BIN=${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/${KUBE_VERSION}-linux-amd64
log "Kubernetes $KUBE_VERSION binaries in $BIN"

say "Starting a local control plane: etcd + kube-apiserver $KUBE_VERSION with RBAC"
ETCD_PORT=$(free_port); PEER_PORT=$(free_port); API_PORT=$(free_port)
openssl genrsa -out "$WORK/sa.key" 2048 2>/dev/null
echo 'demo-admin-token,demo-admin,1,"system:masters"' >"$WORK/tokens.csv"
"$BIN/etcd" --data-dir "$WORK/etcd" --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" --listen-peer-urls "http://127.0.0.1:$PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$PEER_PORT" --initial-cluster "default=http://127.0.0.1:$PEER_PORT" \
  --unsafe-no-fsync >"$WORK/etcd.log" 2>&1 &
PIDS+=($!)
"$BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" --bind-address 127.0.0.1 \
  --advertise-address 127.0.0.1 --endpoint-reconciler-type none --secure-port "$API_PORT" --cert-dir "$WORK/certs" \
  --authorization-mode RBAC --token-auth-file "$WORK/tokens.csv" --service-cluster-ip-range 10.0.0.0/24 \
  --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$WORK/sa.key" \
  --service-account-signing-key-file "$WORK/sa.key" >"$WORK/apiserver.log" 2>&1 &
PIDS+=($!)
export KUBECONFIG=$WORK/kubeconfig
cat >"$KUBECONFIG" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: demo, cluster: {server: "https://127.0.0.1:$API_PORT", insecure-skip-tls-verify: true}}]
users: [{name: demo-admin, user: {token: demo-admin-token}}]
contexts: [{name: demo, context: {cluster: demo, user: demo-admin}}]
current-context: demo
EOF
K="$BIN/kubectl"
wait_for "kube-apiserver" 90 "$K" get --raw /readyz
log "kube-apiserver ready on https://127.0.0.1:$API_PORT"

say "Installing Toolgate's CRDs, the operator's RBAC and the chart's webhook configurations"
"$K" create namespace toolgate-system >/dev/null
"$K" apply -f crds/ >/dev/null
"$K" wait --for condition=established --timeout=60s crd/mcppolicies.toolgate.dev crd/mcpapprovals.toolgate.dev >/dev/null
"$K" apply -n toolgate-system -f operator/src/main/kubernetes/rbac.yaml >/dev/null
log "CRDs mcppolicies.toolgate.dev and mcpapprovals.toolgate.dev established; ClusterRole and ServiceAccount toolgate-operator created"
WEBHOOK_PORT=$(free_port)
# The chart's own webhook configurations (the pod injector with the McpApproval admission, and the McpPolicy validator),
# rendered by the helm CLI; in a cluster they call the operator's Service, here the operator on this machine, by URL.
HELM=$(bash scripts/kind/helm.sh 2>"$WORK/helm.log" | tail -n1) || { cat "$WORK/helm.log"; die "building the helm CLI failed"; }
"$HELM" template toolgate helm/target/chart/toolgate -n toolgate-system --kube-version "$KUBE_VERSION" \
    --show-only templates/mutatingwebhookconfiguration.yaml --show-only templates/validatingwebhookconfiguration.yaml \
  | awk -v base="https://127.0.0.1:$WEBHOOK_PORT" '
      /^ *service:$/ { match($0, /^ */); indent = substr($0, 1, RLENGTH); service = 1; next }
      service { match($0, /^ */); if (RLENGTH > length(indent)) { if ($1 == "path:") path = $2; next }
                print indent "url: " base path; service = 0 }
      { print }' >"$WORK/webhooks.yaml"
grep -q "url: https://127.0.0.1:$WEBHOOK_PORT/mutate-pods" "$WORK/webhooks.yaml" || die "the chart's webhooks did not render as expected ($WORK/webhooks.yaml)"
"$K" apply -f "$WORK/webhooks.yaml" >/dev/null
log "webhook configurations toolgate-injector and toolgate-policy-validator from the chart, pointed at https://127.0.0.1:$WEBHOOK_PORT"

say "Running the operator as its ServiceAccount (exactly the chart's RBAC)"
OPERATOR_MGMT=$(free_port)
# The operator authenticates as the admin but impersonates its ServiceAccount, so it holds only the shipped RBAC.
KUBECONFIG_OPERATOR=$WORK/kubeconfig-operator
cat >"$KUBECONFIG_OPERATOR" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: demo, cluster: {server: "https://127.0.0.1:$API_PORT", insecure-skip-tls-verify: true}}]
users:
  - name: toolgate-operator
    user:
      token: demo-admin-token
      as: system:serviceaccount:toolgate-system:toolgate-operator
      as-groups: [system:serviceaccounts, "system:serviceaccounts:toolgate-system", system:authenticated]
contexts: [{name: operator, context: {cluster: demo, user: toolgate-operator, namespace: toolgate-system}}]
current-context: operator
EOF
KUBECONFIG=$KUBECONFIG_OPERATOR java -Dquarkus.http.port="$(free_port)" -Dquarkus.management.port="$OPERATOR_MGMT" \
  -Dtoolgate.operator.namespace=toolgate-system -Dtoolgate.operator.webhook.port="$WEBHOOK_PORT" \
  -Dtoolgate.operator.webhook.extra-sans=127.0.0.1,localhost \
  -jar operator/target/quarkus-app/quarkus-run.jar >"$WORK/operator.log" 2>&1 &
PIDS+=($!)
wait_for "the operator" 90 curl -fsS "http://127.0.0.1:$OPERATOR_MGMT/q/health/ready"
wait_for "the webhook's CA bundle" 30 bash -c "[[ -n \$('$K' get mutatingwebhookconfiguration toolgate-injector -o jsonpath='{.webhooks[0].clientConfig.caBundle}') ]]"
log "operator ready; it issued the webhook's certificate and patched the CA bundle"

say "Applying k8s-examples/demo: namespace (injection enabled), server-everything, and an McpPolicy"
"$K" apply -f k8s-examples/demo/ | sed 's/^/   /'
wait_for "the McpPolicy to be accepted" 60 bash -c "[[ \$('$K' -n toolgate-demo get mcppolicy server-everything -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}') == True ]]"
"$K" -n toolgate-demo get mcppolicies | sed 's/^/   /'

say "Creating a server-everything pod (this control plane has no scheduler, so the pod is created directly)"
# Same labels and containers as the Deployment's template: what a ReplicaSet would create. Without a
# controller-manager nobody creates the namespace's default ServiceAccount either, so the demo does.
"$K" -n toolgate-demo create serviceaccount default >/dev/null
"$K" -n toolgate-demo get deployment server-everything -o json | python3 -c '
import json, sys
d = json.load(sys.stdin)
t = d["spec"]["template"]
print(json.dumps({"apiVersion": "v1", "kind": "Pod",
                  "metadata": {"name": "server-everything-demo", "namespace": "toolgate-demo", "labels": t["metadata"]["labels"]},
                  "spec": t["spec"]}))' | "$K" create -f - >/dev/null
"$K" -n toolgate-demo get pod server-everything-demo -o json >"$WORK/pod.json"
python3 - "$WORK/pod.json" <<'EOF'
import json, sys
pod = json.load(open(sys.argv[1]))
meta, spec = pod["metadata"], pod["spec"]
print("   annotations:")
for k, v in sorted(meta.get("annotations", {}).items()):
    print(f"     {k}: {v}")
for kind in ("initContainers", "containers"):
    for c in spec.get(kind, []):
        ports = ", ".join(f'{p.get("name", "?")}={p["containerPort"]}' for p in c.get("ports", []))
        extra = " (native sidecar: restartPolicy Always)" if c.get("restartPolicy") == "Always" else ""
        print(f"   {kind[:-1]} {c['name']}: image {c['image']}, ports [{ports}]{extra}")
        for e in c.get("env", []):
            if e["name"].startswith("TOOLGATE_"):
                print(f"     env {e['name']}={e.get('value', '(from ' + str(e.get('valueFrom')) + ')')}")
for v in spec.get("volumes", []):
    if "configMap" in v:
        print(f"   volume {v['name']}: ConfigMap {v['configMap']['name']}")
EOF
"$K" -n toolgate-demo get pod server-everything-demo -o yaml >"$WORK/injected-pod.yaml"
log "(full injected pod spec: rerun with KEEP_DEMO_WORKDIR=1 and see injected-pod.yaml)"

say "The policy the operator rendered (ConfigMap server-everything-toolgate-policy, key policy.json)"
mkdir -p "$WORK/policy"
"$K" -n toolgate-demo get configmap server-everything-toolgate-policy -o jsonpath='{.data.policy\.json}' >"$WORK/policy/policy.json"
# (no `| head` on a producer under pipefail: it would die of SIGPIPE and end the demo)
python3 -m json.tool "$WORK/policy/policy.json" >"$WORK/policy-pretty.json"
sed -n '1,12s/^/   /p' "$WORK/policy-pretty.json"
log "... (hash $("$K" -n toolgate-demo get mcppolicy server-everything -o jsonpath='{.status.policyHash}'))"

say "Running server-everything and the sidecar in front of it, with that policy file mounted"
MCP_PORT=$(free_port); PROXY_PORT=$(free_port); MGMT_PORT=$(free_port)
PORT=$MCP_PORT node tools/node/node_modules/@modelcontextprotocol/server-everything/dist/index.js streamableHttp \
  >"$WORK/server-everything.log" 2>&1 &
PIDS+=($!)
TOOLGATE_UPSTREAM=http://127.0.0.1:$MCP_PORT TOOLGATE_POLICY_FILE=$WORK/policy/policy.json \
  TOOLGATE_IDENTITY_HEADER=X-Agent-Id \
  java -Dquarkus.http.port="$PROXY_PORT" -Dquarkus.management.port="$MGMT_PORT" \
  -jar sidecar/target/quarkus-app/quarkus-run.jar >"$WORK/sidecar.log" 2>&1 &
PIDS+=($!)
wait_for "the sidecar" 60 curl -fsS "http://127.0.0.1:$MGMT_PORT/q/health/ready"
log "server-everything on 127.0.0.1:$MCP_PORT, sidecar proxy on 127.0.0.1:$PROXY_PORT, metrics on :$MGMT_PORT"

say "A scripted agent (MCP TypeScript SDK) calls tools through the sidecar"
# Without a cluster there is no service-account issuer to verify tokens against: this sidecar trusts the X-Agent-Id
# header instead (TOOLGATE_IDENTITY_HEADER above), and the agents name their service accounts in it.
node scripts/demo/agent.mjs "http://127.0.0.1:$PROXY_PORT/mcp" scripts/demo/scenario.json system:serviceaccount:toolgate-demo:support-agent
say "The ops agent: the policy's grant \"ops\" gives it get-tiny-image as well"
node scripts/demo/agent.mjs "http://127.0.0.1:$PROXY_PORT/mcp" scripts/demo/scenario-ops.json system:serviceaccount:toolgate-demo:ops-agent

say "The sidecar's audit log (one JSON line per decided call; arguments only as a SHA-256)"
sleep 0.2 # the sidecar's audit writer flushes queued lines every 5 ms
grep -h '"decision"' "$WORK/sidecar.log" >"$WORK/audit.jsonl" || true
cut -c1-220 "$WORK/audit.jsonl" | sed -n '1,4s/^/   /p'
log "... $(wc -l <"$WORK/audit.jsonl") lines in all"

say "Prometheus metrics from the management port"
curl -fsS "http://127.0.0.1:$MGMT_PORT/q/metrics" | grep -E '^toolgate_(tool_calls_total|policy_info)' | grep -v ' 0.0$' | sort | sed 's/^/   /'

say "Done: everything started here is being stopped"
