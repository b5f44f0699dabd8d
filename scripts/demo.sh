#!/usr/bin/env bash
# The README's demo: Toolgate on a local Kind cluster, built offline (docs/kind.md).
#   1. scripts/kind/cluster.sh up: the Docker engine, the images and the Kind node image are built the first time
#      (cached under ${TOOLGATE_CACHE:-~/.cache/toolgate}/kind), then the one-node cluster "toolgate" (kept running)
#   2. packages the sidecar, the operator and the Helm chart (mvnw package -DskipTests, when the sources changed),
#      rebuilds the images whose inputs changed and loads them into the node
#   3. helm install of the packaged chart (a helm CLI built from its Go module, cached) and the operator Ready
#   4. applies k8s-examples/demo (injection-enabled namespace, server-everything, the McpPolicy): the webhook
#      injects the sidecar into the real pod
#   5. two scripted agents (the MCP TypeScript SDK), each with its own service-account token and its own rights, call
#      tools through the Service (kubectl port-forward on 127.0.0.1); a request without a token gets 401
#   6. the sidecar's audit log (kubectl logs) and its Prometheus metrics
#   7. removes what it installed (helm uninstall, the demo namespace); the cluster stays for the next run
# Fallback: where no Docker engine can run, or with TOOLGATE_DEMO_NO_CLUSTER=1, scripts/demo-local.sh runs instead
# (a local kube-apiserver, the operator and the sidecar as host processes). KEEP_DEMO_WORKDIR=1 keeps the logs.
# TOOLGATE_KIND_CLUSTER picks another cluster name (default toolgate, the one the KT tier uses).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
T0=$SECONDS

say() { printf '\n\033[1m== %s\033[0m  (%d s)\n' "$*" "$((SECONDS - T0))"; }
log() { printf '   %s\n' "$*"; }
indent() { sed -u 's/^/   | /'; }

if [[ ${TOOLGATE_DEMO_NO_CLUSTER:-0} == 1 ]]; then
  say "Demo path: local processes, no cluster (TOOLGATE_DEMO_NO_CLUSTER=1)"
  exec bash scripts/demo-local.sh
fi
say "Checking for a Docker engine (the Kind cluster runs in it)"
if ! bash scripts/kind/docker-engine.sh 2>&1 | indent; then
  say "Demo path: local processes, no cluster - no Docker engine can run here (scripts/kind/docker-engine.sh failed above)"
  exec bash scripts/demo-local.sh
fi

CACHE=${TOOLGATE_CACHE:-$HOME/.cache/toolgate}
CLUSTER=${TOOLGATE_KIND_CLUSTER:-toolgate}
export TOOLGATE_KIND_CLUSTER=$CLUSTER
export KUBECONFIG=$CACHE/kind/kubeconfig-$CLUSTER
APP_VERSION=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' helm/toolgate/Chart.yaml)
CHART_VERSION=$(sed -n 's/^version: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' helm/toolgate/Chart.yaml)
KUBE_VERSION=$(bash -c 'source scripts/kind/lib.sh; echo "$KUBE_VERSION"')
KUBECTL=$CACHE/kind/kube/v$KUBE_VERSION/bin/kubectl
RELEASE=toolgate SYSTEM=toolgate-system NS=toolgate-demo
WORK=$(mktemp -d -t toolgate-demo.XXXXXX)
PIDS=()
INSTALLED=0
say "Demo path: Toolgate on the Kind cluster \"$CLUSTER\" (a Docker engine runs here; TOOLGATE_DEMO_NO_CLUSTER=1 for the local one)"

die() { printf 'demo: %s\n' "$*" >&2; exit 1; }
k() { "$KUBECTL" "$@"; }
helm() { "$HELM" "$@"; }
stop_pids() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
# Removes the release and the demo namespace: at the end, and at the start (what an interrupted demo left).
remove_demo() {
  # the namespace first (as the KT does), its pods with a short grace period: server-everything ignores SIGTERM
  if k get namespace "$NS" >/dev/null 2>&1; then
    k -n "$NS" delete pods --all --grace-period=1 --wait=false >/dev/null 2>&1 || true
    k delete namespace "$NS" --timeout=180s 2>&1 | indent || true
  fi
  if helm status "$RELEASE" -n "$SYSTEM" >/dev/null 2>&1; then
    helm uninstall "$RELEASE" -n "$SYSTEM" --wait --timeout 3m 2>&1 | indent || true
  fi
  k delete namespace "$SYSTEM" --ignore-not-found --timeout=180s 2>&1 | indent || true
}
cleanup() {
  local rc=$?
  stop_pids
  if ((rc != 0)); then
    echo "demo: failed (exit $rc) after $((SECONDS - T0)) s; state at the failure:" >&2
    if [[ -x $KUBECTL && -f $KUBECONFIG ]]; then
      k get pods -A -o wide >&2 2>/dev/null || true
      k -n "$NS" get events --sort-by=.lastTimestamp 2>/dev/null | tail -n 15 >&2 || true
    fi
  fi
  if ((INSTALLED)); then
    say "Cleaning up: helm uninstall $RELEASE, deleting namespaces $NS and $SYSTEM"
    remove_demo
    ((${DEMO_DONE:-0})) && log "done in $((SECONDS - T0)) s"
    log "the cluster \"$CLUSTER\" keeps running for the next run (delete it: TOOLGATE_KIND_CLUSTER=$CLUSTER scripts/kind/cluster.sh down)"
  fi
  if [[ ${KEEP_DEMO_WORKDIR:-} == 1 ]]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_for() { # wait_for <what> <seconds> <command...>
  local what=$1 limit=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$what did not come up within ${limit}s (logs in $WORK; rerun with KEEP_DEMO_WORKDIR=1)"
    sleep 0.5
  done
}
# port_forward <log name> <resource> <remote port>: a kubectl port-forward on 127.0.0.1; sets FORWARDED (local port)
port_forward() {
  FORWARDED=$(free_port)
  # kubectl itself in the background (not the k function: $! would be a subshell), without the cluster lock's fd
  "$KUBECTL" -n "$NS" port-forward --address 127.0.0.1 "$2" "$FORWARDED:$3" >"$WORK/$1.log" 2>&1 9>&- &
  PIDS+=($!)
  wait_for "kubectl port-forward $2" 30 grep -q "Forwarding from 127.0.0.1:$FORWARDED" "$WORK/$1.log"
}

# --- 1. the cluster ---------------------------------------------------------------------------------------------
if ! docker image inspect "toolgate/kind-node:v$KUBE_VERSION" >/dev/null 2>&1; then
  say "Bringing up the Kind cluster \"$CLUSTER\" - first run: building everything offline (cached under $CACHE/kind)"
  log "it builds kind and the node's tools from Go modules (containerd, runc, crictl, CNI, CoreDNS, local-path),"
  log "the Kubernetes $KUBE_VERSION node binaries, Debian base images (mmdebstrap), the JRE, sidecar, operator, init"
  log "and server-everything images, then the Kind node image: ~10 min with warm Go/Maven caches, 25-45 min on a"
  log "bare machine (most of it compiling Kubernetes once). Later runs reuse all of it."
else
  say "Bringing up the Kind cluster \"$CLUSTER\" (kept running between runs; the node image is cached in the Docker engine and rebuilt only when its recipe changed)"
fi
bash scripts/kind/cluster.sh up 2>&1 | indent

# One user of the cluster's release at a time: the KT tier (scripts/kind/kt.sh) takes the same lock.
exec 9>"$CACHE/kind/cluster-$CLUSTER.lock"
if ! flock -n 9; then
  log "another run (the KT tier or a demo) is using cluster \"$CLUSTER\"; waiting for it (up to 15 min)"
  flock -w 900 9 || die "cluster \"$CLUSTER\" stayed busy (lock $CACHE/kind/cluster-$CLUSTER.lock)"
fi

# --- 2. apps, chart, images -------------------------------------------------------------------------------------
CHART=helm/target/toolgate-$CHART_VERSION.tgz
stale() { # stale <built file> <sources...>: missing, or a source file newer than it
  local out=$1; shift
  [[ ! -f $out ]] || [[ -n $(find "$@" -newer "$out" -type f -print -quit 2>/dev/null) ]]
}
if stale sidecar/target/quarkus-app/quarkus-run.jar sidecar/src sidecar/pom.xml policy/src policy/pom.xml pom.xml ||
   stale operator/target/quarkus-app/quarkus-run.jar operator/src operator/pom.xml policy/src policy/pom.xml pom.xml ||
   stale "$CHART" helm/toolgate helm/pom.xml crds; then
  say "Packaging the sidecar, the operator and the Helm chart (mvnw package -DskipTests; nothing is installed)"
  nice -n 10 ./mvnw -B -ntp -q package -pl sidecar,operator,helm -am -DskipTests 2>&1 | indent
else
  say "The sidecar, the operator and the chart are packaged and current (target/ is newer than the sources)"
fi
[[ -f $CHART ]] || die "no packaged chart at $CHART"
say "Container images: rebuilt when their inputs changed, then loaded into the node (kind load)"
bash scripts/kind/images.sh all 2>&1 | indent
bash scripts/kind/cluster.sh load 2>&1 | indent

# --- 3. helm ----------------------------------------------------------------------------------------------------
say "The helm CLI (built from its Go module helm.sh/helm/v3 the first time, ~2 min; cached under $CACHE/kind/bin)"
HELM=$(bash scripts/kind/helm.sh 2> >(grep --line-buffered -v '^go: downloading' | indent >&2) | tail -n1)
[[ -x $HELM ]] || die "no helm CLI (scripts/kind/helm.sh)"
log "$("$HELM" version --short)"

say "Removing what an interrupted demo or KT run left (release $RELEASE, namespaces $NS and $SYSTEM)"
remove_demo
INSTALLED=1

# Helm installs the chart's crds/ only while the CRD is absent and never upgrades it: apply this build's CRD first, as
# an upgrade of Toolgate does (docs: helm/README.md), so a cluster kept from an older run gets the current schema.
say "kubectl apply --server-side -f crds/ (Helm never upgrades a CRD it finds)"
k apply --server-side --force-conflicts --field-manager=toolgate-demo -f crds/ 2>&1 | indent
k wait --for condition=established --timeout=60s crd/mcppolicies.toolgate.dev crd/mcpapprovals.toolgate.dev >/dev/null
say "helm install $RELEASE $CHART -n $SYSTEM (images as loaded: pullPolicy Never)"
helm install "$RELEASE" "$CHART" -n "$SYSTEM" --create-namespace \
  --set operator.image.pullPolicy=Never --set sidecar.image.pullPolicy=Never --wait --timeout 5m 2>&1 |
  sed '/^NOTES:/,$d' | indent
k -n "$SYSTEM" rollout status deployment/toolgate-operator --timeout=180s 2>&1 | indent
wait_for "the webhook's CA bundle" 60 bash -c "[[ -n \$('$KUBECTL' get mutatingwebhookconfiguration toolgate-injector -o jsonpath='{.webhooks[0].clientConfig.caBundle}') ]]"
k -n "$SYSTEM" get deployments,pods 2>&1 | indent
log "operator Ready; it issued the webhook's certificate and wrote the CA bundle into toolgate-injector"

# --- 4. the demo workload ---------------------------------------------------------------------------------------
say "Applying k8s-examples/demo: namespace (injection enabled), server-everything, and an McpPolicy"
# The example runs node:22-alpine + npx (a registry pull); this cluster pulls nothing, so the Deployment runs the
# same package from the image built here (toolgate/server-everything, loaded, imagePullPolicy Never).
k apply -f k8s-examples/demo/00-namespace.yaml -f k8s-examples/demo/10-mcppolicy.yaml 2>&1 | indent
k create --dry-run=client -o json -f k8s-examples/demo/20-server-everything.yaml |
  python3 scripts/demo/kind-workload.py toolgate/server-everything:2026.8.31 | k apply -f - 2>&1 | indent
log "(server container: image toolgate/server-everything:2026.8.31, imagePullPolicy Never, the image's own command)"
say "Applying the payments MCP server (list_payments, get_payment, update_amount) and its McpPolicy: update_amount needs a human"
# the policy first: a pod created before any policy selects it starts without the sidecar (and its status says so)
k apply -f k8s-examples/demo/30-payments-mcppolicy.yaml 2>&1 | indent
k create --dry-run=client -o json -f k8s-examples/demo/40-payments.yaml |
  python3 scripts/demo/kind-workload.py toolgate/server-everything:2026.8.31 | k apply -f - 2>&1 | indent
wait_for "the McpPolicy to be accepted" 90 bash -c "[[ \$('$KUBECTL' -n $NS get mcppolicy server-everything -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}') == True ]]"
k -n "$NS" rollout status deployment/server-everything --timeout=240s 2>&1 | indent
k -n "$NS" rollout status deployment/payments --timeout=240s 2>&1 | indent
POD=$(k -n "$NS" get pods -l app.kubernetes.io/name=server-everything --field-selector=status.phase=Running \
  -o jsonpath='{.items[0].metadata.name}')
[[ -n $POD ]] || die "no running server-everything pod"
k -n "$NS" wait --for=condition=Ready "pod/$POD" --timeout=120s >/dev/null
say "The pod the webhook injected (READY 2/2: server + toolgate-sidecar)"
k -n "$NS" get pods -o wide 2>&1 | indent
k -n "$NS" get pod "$POD" -o json >"$WORK/pod.json"
python3 - "$WORK/pod.json" <<'EOF' | indent
import json, sys
pod = json.load(open(sys.argv[1]))
meta, spec = pod["metadata"], pod["spec"]
status = {s["name"]: s for s in pod["status"].get("initContainerStatuses", []) + pod["status"].get("containerStatuses", [])}
for kind in ("initContainers", "containers"):
    for c in spec.get(kind, []):
        ports = ", ".join(f'{p.get("name", "?")}={p["containerPort"]}' for p in c.get("ports", []))
        role = " (native sidecar: restartPolicy Always)" if c.get("restartPolicy") == "Always" else ""
        st = status.get(c["name"], {})
        name, detail = next(iter(st.get("state", {"unknown": {}}).items()))
        state = f"{name} ({detail.get('reason', '')}, exit {detail.get('exitCode')})" if name == "terminated" else name
        state += ", ready" if name == "running" and st.get("ready") else ""
        print(f"{kind[:-1]} {c['name']}: {c['image']} [{ports}]{role} - {state}")
for k, v in sorted(meta.get("annotations", {}).items()):
    if k.startswith("toolgate.dev/"):
        print(f"annotation {k}: {v}")
EOF
k -n "$NS" get pod "$POD" -o yaml >"$WORK/injected-pod.yaml"
wait_for "the McpPolicy status to count the pod" 90 bash -c "[[ \$('$KUBECTL' -n $NS get mcppolicy server-everything -o jsonpath='{.status.podsWithSidecar}') == 1 ]]"
k -n "$NS" get mcppolicies 2>&1 | indent
log "status: $(k -n "$NS" get mcppolicy server-everything -o jsonpath='{.status}' | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(", ".join(f"{k}={s[k]}" for k in ("podsWithSidecar", "podsWithoutSidecar", "policyHash") if k in s))')"

# --- 5. the agent -----------------------------------------------------------------------------------------------
bash scripts/mcp-deps.sh >"$WORK/mcp-deps.log" 2>&1 || { cat "$WORK/mcp-deps.log"; die "installing the npm peers (MCP SDK) failed"; }
port_forward svc svc/server-everything 80; MCP_PORT=$FORWARDED
MCP_URL=http://127.0.0.1:$MCP_PORT/mcp
say "Without a token: 401 with a Bearer challenge, and nothing reaches the server (an X-Agent-Id header names nobody)"
curl -sS -o "$WORK/401.json" -D "$WORK/401.headers" -X POST -H 'Content-Type: application/json' \
  -H 'Accept: application/json, text/event-stream' -H 'X-Agent-Id: ops-agent' \
  --data '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get-env","arguments":{}}}' "$MCP_URL"
grep -i -E '^(HTTP/|www-authenticate)' "$WORK/401.headers" | tr -d '\r' | indent
grep -q '^HTTP/1.1 401' "$WORK/401.headers" || die "a request without a token was not refused with 401"
# Each agent's token: a service-account token the API server issues for the audience "toolgate", as a pod of that
# service account would have it projected.
SUPPORT_TOKEN=$(k -n "$NS" create token support-agent --audience toolgate --duration 10m)
OPS_TOKEN=$(k -n "$NS" create token ops-agent --audience toolgate --duration 10m)
say "The support agent (token of ServiceAccount support-agent) calls tools through the Service (kubectl port-forward svc/server-everything, 127.0.0.1:$MCP_PORT)"
TOOLGATE_DEMO_TOKEN=$SUPPORT_TOKEN node scripts/demo/agent.mjs "$MCP_URL" scripts/demo/scenario.json support-agent 2>&1 | indent
say "The ops agent (token of ServiceAccount ops-agent): the policy's grant \"ops\" gives it get-tiny-image as well"
TOOLGATE_DEMO_TOKEN=$OPS_TOKEN node scripts/demo/agent.mjs "$MCP_URL" scripts/demo/scenario-ops.json ops-agent 2>&1 | indent

# --- 5b. a human approves ---------------------------------------------------------------------------------------
wait_for "the payments McpPolicy to be accepted" 90 bash -c "[[ \$('$KUBECTL' -n $NS get mcppolicy payments -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}') == True ]]"
wait_for "the payments pod to run with the sidecar" 120 bash -c "[[ \$('$KUBECTL' -n $NS get mcppolicy payments -o jsonpath='{.status.podsWithSidecar}') == 1 && \$('$KUBECTL' -n $NS get mcppolicy payments -o jsonpath='{.status.podsWithoutSidecar}') == 0 ]]"
k -n "$NS" get pods -l app.kubernetes.io/name=payments 2>&1 | indent
port_forward payments svc/payments 80; PAY_PORT=$FORWARDED
PAY_URL=http://127.0.0.1:$PAY_PORT/mcp
say "The support agent on the payments server (kubectl port-forward svc/payments, 127.0.0.1:$PAY_PORT): update_amount waits for a human"
TOOLGATE_DEMO_TOKEN=$SUPPORT_TOKEN node scripts/demo/agent.mjs "$PAY_URL" scripts/demo/scenario-payments.json support-agent 2>&1 | indent
APPROVAL=$(k -n "$NS" get mcpapprovals -o json | python3 -c '
import json, sys
items = [a for a in json.load(sys.stdin)["items"] if a["spec"]["tool"] == "update_amount" and a.get("status", {}).get("state") == "Pending"]
print(items[-1]["metadata"]["name"] if items else "")')
[[ -n $APPROVAL ]] || die "no pending McpApproval for update_amount"
say "The call filed McpApproval $APPROVAL; a person looks at it (scripts/kubectl-toolgate is the kubectl plugin)"
k -n "$NS" get mcpapprovals 2>&1 | indent
KUBECTL=$KUBECTL bash scripts/kubectl-toolgate show "$APPROVAL" -n "$NS" 2>&1 | indent
say "kubectl toolgate approve $APPROVAL -n $NS --reason 'invoice checked' (RBAC decides who may; the webhook records who did)"
KUBECTL=$KUBECTL bash scripts/kubectl-toolgate approve "$APPROVAL" -n "$NS" --reason "invoice checked" 2>&1 | indent
wait_for "the approval to be Approved" 30 bash -c "[[ \$('$KUBECTL' -n $NS get mcpapproval $APPROVAL -o jsonpath='{.status.state}') == Approved ]]"
k -n "$NS" get mcpapproval "$APPROVAL" 2>&1 | indent
say "The agent retries the same call: it runs once; the next one needs a new approval"
TOOLGATE_DEMO_TOKEN=$SUPPORT_TOKEN node scripts/demo/agent.mjs "$PAY_URL" scripts/demo/scenario-payments-approved.json support-agent 2>&1 | indent
k -n "$NS" get mcpapprovals -l toolgate.dev/policy=payments 2>&1 | indent

# --- 6. audit log and metrics -----------------------------------------------------------------------------------
say "The sidecar's audit log: kubectl logs $POD -c toolgate-sidecar (one JSON line per decided call; arguments only as a SHA-256)"
sleep 0.5 # the audit writer flushes every 5 ms; kubectl logs reads what the kubelet has
k -n "$NS" logs "$POD" -c toolgate-sidecar >"$WORK/sidecar.log"
grep -h '"decision"' "$WORK/sidecar.log" >"$WORK/audit.jsonl" || true
cut -c1-230 "$WORK/audit.jsonl" | sed -n '1,4p' | indent
log "... $(wc -l <"$WORK/audit.jsonl") lines in all"

port_forward mgmt "pod/$POD" 9000; MGMT_PORT=$FORWARDED
say "Prometheus metrics from the sidecar's management port (kubectl port-forward pod/$POD 9000, /q/metrics)"
curl -fsS "http://127.0.0.1:$MGMT_PORT/q/metrics" >"$WORK/metrics.txt"
grep -E '^toolgate_(tool_calls_total|policy_info)' "$WORK/metrics.txt" | grep -v ' 0.0$' | sort | indent || true
stop_pids

DEMO_DONE=1
say "The demo ran in $((SECONDS - T0)) s; cleaning up"
