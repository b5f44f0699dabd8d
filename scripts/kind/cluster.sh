#!/usr/bin/env bash
# A Kind cluster "toolgate" on this machine, from the node image scripts/kind/node-image.sh builds (offline).
# TOOLGATE_KIND_CLUSTER names another cluster (default toolgate); TOOLGATE_KIND_WORKERS adds that many worker nodes
# (default 0: the control-plane node alone runs everything).
#
#   scripts/kind/cluster.sh up      create it (or keep the running one): cgroup v1 patch, API server on 127.0.0.1;
#                                   waits for every node to be Ready and CoreDNS to run, runs NetworkPolicy
#                                   enforcement (netpol, below), then loads our images
#   scripts/kind/cluster.sh netpol  kube-router's network policy controller as DaemonSet kube-system/kube-router-netpol
#                                   (images.sh kube-router, kind load, apply images/kube-router/netpol-daemonset.yaml,
#                                   wait for the rollout); kindnetd-lite itself enforces no NetworkPolicy
#   scripts/kind/cluster.sh load    kind load docker-image (into every node): the sidecar, operator, init, server-everything and redis images
#                                   (images.sh builds them if missing)
#   scripts/kind/cluster.sh smoke   a server-everything pod + Service, and a client pod that calls MCP initialize on it
#   scripts/kind/cluster.sh down    delete the cluster
#   scripts/kind/cluster.sh env     print `export KUBECONFIG=...` and the kubectl path
#
# kubeconfig: $TOOLGATE_CACHE/kind/kubeconfig-<cluster> (never ~/.kube/config). See docs/kind.md.
LOG_TAG=cluster
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/versions.sh"
readonly here="$(cd "$(dirname "$0")" && pwd)"
readonly CLUSTER="${TOOLGATE_KIND_CLUSTER:-toolgate}"
readonly WORKERS="${TOOLGATE_KIND_WORKERS:-0}"
[[ $WORKERS =~ ^[0-9]+$ ]] || die "TOOLGATE_KIND_WORKERS must be a number of worker nodes (0, 1, ...), not '$WORKERS'"
export KUBECONFIG="$KIND_CACHE/kubeconfig-$CLUSTER"
readonly APP_VERSION="$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$KIND_ROOT/helm/toolgate/Chart.yaml")"
readonly LOAD_IMAGES=("ghcr.io/toolgate-dev/sidecar:$APP_VERSION" "ghcr.io/toolgate-dev/operator:$APP_VERSION"
  "ghcr.io/toolgate-dev/init:$APP_VERSION" "toolgate/server-everything:2026.8.31" "toolgate/redis:7.0")

kind_bin() { bash -c "source '$here/go-tools.sh'; tool_dir kind"; }
KIND="$(kind_bin)/kind"
kubectl_bin() { echo "$KIND_CACHE/kube/v$KUBE_VERSION/bin/kubectl"; }
k() { "$(kubectl_bin)" "$@"; }

# The node containers of the cluster (kind names them <cluster>-control-plane, <cluster>-worker, <cluster>-worker2, ...).
node_containers() { "$KIND" get nodes --name "$CLUSTER" 2>/dev/null; }
# Running: kind knows the cluster and every one of its node containers runs.
running() {
  "$KIND" get clusters 2>/dev/null | grep -qx "$CLUSTER" || return 1
  local nodes node; nodes="$(node_containers)"
  grep -qx "$CLUSTER-control-plane" <<<"$nodes" || return 1
  for node in $nodes; do docker inspect -f '{{.State.Running}}' "$node" 2>/dev/null | grep -q true || return 1; done
}

# After the node container restarts (a reboot, or dockerd killed with the session that started it) the API server
# answers before its RBAC bootstrap is done: "Forbidden" for the cluster admin for some seconds. Wait it out.
wait_api() {
  local deadline=$((SECONDS + 180))
  until k get --raw /readyz >/dev/null 2>&1 && k get nodes >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "the API server of cluster $CLUSTER did not become ready within 180 s (k get --raw /readyz)"
    sleep 2
  done
}

up() {
  docker info >/dev/null 2>&1 || "$here/docker-engine.sh"
  [[ -x $KIND ]] || "$here/go-tools.sh" kind
  # kind bind-mounts /lib/modules; this VM's kernel has none (docker would create it anyway)
  mkdir -p /lib/modules
  local node_image
  node_image="$("$here/node-image.sh" | tail -n1)"
  if running; then
    log "cluster $CLUSTER already running"
    local current; current="$(docker inspect -f '{{.Config.Image}}' "$CLUSTER-control-plane")"
    [[ $current == "$node_image" ]] ||
      log "note: it runs node image $current, not the current build $node_image (cluster.sh down && cluster.sh up to switch)"
    local have; have="$(node_containers | grep -c -- "^$CLUSTER-worker" || true)"
    [[ $have == "$WORKERS" ]] ||
      log "note: it has $have worker node(s), not TOOLGATE_KIND_WORKERS=$WORKERS (cluster.sh down && cluster.sh up to switch)"
    # the kubeconfig may be missing (cluster made with another TOOLGATE_CACHE) or stale
    "$KIND" export kubeconfig --name "$CLUSTER" --kubeconfig "$KUBECONFIG" >&2
  else
    "$KIND" get clusters 2>/dev/null | grep -qx "$CLUSTER" && "$KIND" delete cluster --name "$CLUSTER" >&2
    local cfg="$KIND_CACHE/kind-config-$CLUSTER.yaml"
    cat >"$cfg" <<YAML
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: $CLUSTER
networking:
  # the API server's port mapping binds loopback only
  apiServerAddress: "127.0.0.1"
nodes:
  - role: control-plane
    image: $node_image
$(for ((i = 0; i < WORKERS; i++)); do printf '  - role: worker\n    image: %s\n' "$node_image"; done)
kubeadmConfigPatches:
  # This host has cgroup v1; kubelet >= 1.35 refuses to start on it unless told not to. kind patches every node's
  # kubeadm config; a joining node's kubelet takes its config from the kubelet-config ConfigMap, which kubeadm init
  # wrote from this patched one, so workers get it too.
  - |
    kind: KubeletConfiguration
    failCgroupV1: false
YAML
    log "kind create cluster --name $CLUSTER --image $node_image (1 control-plane node, $WORKERS worker(s))"
    local t0=$SECONDS
    "$KIND" create cluster --config "$cfg" --kubeconfig "$KUBECONFIG" --wait 5m --retain >&2 ||
      { log "create failed; node logs: docker exec $CLUSTER-control-plane journalctl -u kubelet; $KIND export logs --name $CLUSTER"; exit 1; }
    log "created in $((SECONDS - t0)) s"
  fi
  wait_api
  k wait --for=condition=Ready node --all --timeout=300s >&2
  k -n kube-system rollout status deployment/coredns --timeout=300s >&2
  k -n kube-system rollout status daemonset/kindnet --timeout=300s >&2 # the pod network (kindnetd-lite) on every node
  netpol
  k get nodes -o wide >&2
  load
}

# NetworkPolicy enforcement: kube-router with only its network policy controller (--run-firewall; no routing, no
# service proxy), a DaemonSet in kube-system. Its image is kept in the engine (images.sh: rebuilt when its inputs
# change), loaded into the node like ours; the pod template carries the image's build key, so a rebuilt image rolls.
netpol() {
  local image key cidr manifest="$KIND_ROOT/images/kube-router/netpol-daemonset.yaml"
  image="$(bash "$here/kube-router.sh" image)"
  "$here/images.sh" kube-router
  key="$(docker image inspect -f '{{index .Config.Labels "dev.toolgate.build-key"}}' "$image")"
  cidr="$(k -n kube-system get configmap kubeadm-config -o jsonpath='{.data.ClusterConfiguration}' |
    sed -n 's/^ *serviceSubnet: *\([^ ]*\) *$/\1/p')"
  [[ -n $cidr ]] || die "no networking.serviceSubnet in kube-system/kubeadm-config (needed for --service-cluster-ip-range)"
  "$KIND" load docker-image --name "$CLUSTER" "$image" >&2
  sed -e "s|@IMAGE@|$image|g" -e "s|@IMAGE_KEY@|$key|g" -e "s|@SERVICE_CIDR@|$cidr|g" "$manifest" | k apply -f - >&2
  k -n kube-system rollout status daemonset/kube-router-netpol --timeout=180s >&2 || {
    k -n kube-system get pods -l k8s-app=kube-router-netpol -o wide >&2 || true
    k -n kube-system logs -l k8s-app=kube-router-netpol --tail 30 >&2 || true
    die "the kube-router-netpol DaemonSet did not roll out (NetworkPolicy enforcement)"
  }
  log "NetworkPolicy enforcement: kube-router $image (network policy controller only), service range $cidr"
}

load() {
  local missing=()
  for i in "${LOAD_IMAGES[@]}"; do docker_image_exists "$i" || missing+=("$i"); done
  [[ ${#missing[@]} -eq 0 ]] || "$here/images.sh" all
  log "kind load docker-image ${LOAD_IMAGES[*]}"
  "$KIND" load docker-image --name "$CLUSTER" "${LOAD_IMAGES[@]}" >&2
  prune_untagged
}

# Every reload leaves the previous build of an image on the node untagged, and they pile up on a kept cluster (disk,
# and the kubelet's 50-image node status): remove the untagged ones no container uses (crictl keeps those in use).
prune_untagged() {
  local node ids
  for node in $("$KIND" get nodes --name "$CLUSTER"); do
    ids=$(docker exec "$node" crictl images -o json | python3 -c '
import json, sys
print(" ".join(i["id"] for i in json.load(sys.stdin)["images"] if not i.get("repoTags")))')
    [[ -z $ids ]] && continue
    # shellcheck disable=SC2086
    docker exec "$node" crictl rmi $ids >/dev/null 2>&1 || true
    log "$node: removed untagged images no container uses ($(wc -w <<<"$ids") untagged before)"
  done
}

smoke() {
  running || die "cluster $CLUSTER is not running (scripts/kind/cluster.sh up)"
  local ns=toolgate-kind-smoke
  k create namespace "$ns" --dry-run=client -o yaml | k apply -f - >&2
  k -n "$ns" apply -f - >&2 <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: server-everything
  labels: { app: server-everything }
spec:
  securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: RuntimeDefault } }
  containers:
    - name: server
      image: toolgate/server-everything:2026.8.31
      imagePullPolicy: Never
      ports: [{ name: mcp, containerPort: 3001 }]
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
      volumeMounts: [{ name: tmp, mountPath: /tmp }]
      readinessProbe: { tcpSocket: { port: 3001 }, periodSeconds: 2 }
  volumes: [{ name: tmp, emptyDir: {} }]
---
apiVersion: v1
kind: Service
metadata:
  name: server-everything
spec:
  selector: { app: server-everything }
  ports: [{ name: mcp, port: 3001, targetPort: mcp }]
YAML
  k -n "$ns" wait --for=condition=Ready pod/server-everything --timeout=180s >&2
  k -n "$ns" delete pod mcp-client --ignore-not-found >&2
  # Another pod calls MCP initialize over the Service's cluster DNS name (CoreDNS + kube-proxy + pod network).
  k -n "$ns" apply -f - >&2 <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: mcp-client
spec:
  restartPolicy: Never
  securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: RuntimeDefault } }
  containers:
    - name: client
      image: toolgate/server-everything:2026.8.31
      imagePullPolicy: Never
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
      command: ["node", "-e"]
      args:
        - |
          const url = "http://server-everything.toolgate-kind-smoke.svc.cluster.local:3001/mcp";
          const body = { jsonrpc: "2.0", id: 1, method: "initialize",
            params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "kind-smoke", version: "1" } } };
          fetch(url, { method: "POST", body: JSON.stringify(body),
              headers: { "content-type": "application/json", accept: "application/json, text/event-stream" } })
            .then(async r => { const t = await r.text(); console.log("HTTP " + r.status + " " + t.slice(0, 400));
                               process.exit(r.ok && t.includes("serverInfo") ? 0 : 1); })
            .catch(e => { console.error(e); process.exit(1); });
YAML
  local phase=""
  for _ in $(seq 90); do
    phase="$(k -n "$ns" get pod mcp-client -o jsonpath='{.status.phase}')"
    [[ $phase == Succeeded || $phase == Failed ]] && break
    sleep 2
  done
  k -n "$ns" logs mcp-client >&2 || true
  k -n "$ns" get pods -o wide >&2
  [[ $phase == Succeeded ]] || die "smoke: the client pod ended $phase"
  log "smoke: server-everything passed (MCP initialize answered across pods through the Service)"
  smoke_sidecar "$ns"
}

# The sidecar image in the pod shape the operator's webhook injects (PodMutator): uid 10001, read-only root
# filesystem, all capabilities dropped, the policy ConfigMap at /etc/toolgate, /tmp an emptyDir, upstream on
# 127.0.0.1. A client pod then calls tools through it: echo is allowed, echo with "rm -rf /" and any other tool denied.
smoke_sidecar() {
  local ns="$1"
  k -n "$ns" delete pod guarded mcp-agent --ignore-not-found >&2
  k -n "$ns" apply -f - >&2 <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: guarded-policy
data:
  policy.json: |
    {"version": "1", "default": "deny",
     "tools": {"echo": {"args": {"type": "object", "required": ["message"], "properties": {"message": {"type": "string", "maxLength": 8192}}},
                        "deny_if": [{"conditions": [{"arg": "message", "op": "contains", "value": "rm -rf /"}], "on_deny": "No."}]}}}
---
apiVersion: v1
kind: Pod
metadata:
  name: guarded
  labels: { app: guarded }
spec:
  securityContext: { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }
  containers:
    - name: server
      image: toolgate/server-everything:2026.8.31
      imagePullPolicy: Never
      securityContext: { runAsUser: 1000, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
      volumeMounts: [{ name: server-tmp, mountPath: /tmp }]
    - name: toolgate-sidecar
      image: ghcr.io/toolgate-dev/sidecar:$APP_VERSION
      imagePullPolicy: Never
      env:
        - { name: TOOLGATE_UPSTREAM, value: "http://127.0.0.1:3001" }
        - { name: TOOLGATE_POLICY_FILE, value: /etc/toolgate/policy.json }
        - { name: QUARKUS_HTTP_PORT, value: "8090" }
      ports: [{ name: tg-proxy, containerPort: 8090 }, { name: tg-mgmt, containerPort: 9000 }]
      startupProbe: { httpGet: { path: /q/health/started, port: 9000 }, periodSeconds: 1, failureThreshold: 30 }
      readinessProbe: { httpGet: { path: /q/health/ready, port: 9000 }, periodSeconds: 5 }
      resources: { requests: { cpu: 50m, memory: 64Mi }, limits: { memory: 256Mi } }
      securityContext: { runAsUser: 10001, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: [ALL] } }
      volumeMounts: [{ name: policy, mountPath: /etc/toolgate, readOnly: true }, { name: toolgate-tmp, mountPath: /tmp }]
  volumes:
    - { name: policy, configMap: { name: guarded-policy } }
    - { name: toolgate-tmp, emptyDir: {} }
    - { name: server-tmp, emptyDir: {} }
---
apiVersion: v1
kind: Service
metadata:
  name: guarded
spec:
  selector: { app: guarded }
  ports: [{ name: mcp, port: 8090, targetPort: tg-proxy }]
YAML
  k -n "$ns" wait --for=condition=Ready pod/guarded --timeout=180s >&2
  k -n "$ns" apply -f - >&2 <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: mcp-agent
spec:
  restartPolicy: Never
  securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: RuntimeDefault } }
  containers:
    - name: agent
      image: toolgate/server-everything:2026.8.31
      imagePullPolicy: Never
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
      command: ["node", "-e"]
      args:
        - |
          const url = "http://guarded.toolgate-kind-smoke.svc.cluster.local:8090/mcp";
          let session;
          async function rpc(method, params, id) {
            const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
            if (session) headers["mcp-session-id"] = session;
            const r = await fetch(url, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", method, params, ...(id ? { id } : {}) }) });
            session = session || r.headers.get("mcp-session-id");
            const t = await r.text();
            console.log(method + (params && params.name ? " " + params.name + " " + JSON.stringify(params.arguments) : "") + " -> HTTP " + r.status + " " + t.replace(/\s+/g, " ").slice(0, 300));
            return t;
          }
          (async () => {
            const init = await rpc("initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "kind-smoke", version: "1" } }, 1);
            await rpc("notifications/initialized", {});
            const ok = await rpc("tools/call", { name: "echo", arguments: { message: "hello from kind" } }, 2);
            const bad = await rpc("tools/call", { name: "echo", arguments: { message: "please rm -rf / now" } }, 3);
            const other = await rpc("tools/call", { name: "get-env", arguments: {} }, 4);
            const pass = init.includes("serverInfo") && ok.includes("hello from kind") && !bad.includes("please rm") && !other.includes("PATH");
            console.log(pass ? "PASS" : "FAIL");
            process.exit(pass ? 0 : 1);
          })().catch(e => { console.error(e); process.exit(1); });
YAML
  local phase=""
  for _ in $(seq 90); do
    phase="$(k -n "$ns" get pod mcp-agent -o jsonpath='{.status.phase}')"
    [[ $phase == Succeeded || $phase == Failed ]] && break
    sleep 2
  done
  k -n "$ns" logs mcp-agent >&2 || true
  k -n "$ns" logs guarded -c toolgate-sidecar --tail 8 >&2 || true
  k -n "$ns" get pods -o wide >&2
  [[ $phase == Succeeded ]] || die "smoke: the agent pod ended $phase"
  log "smoke: sidecar passed (allowed echo reached server-everything; the deny_if call and an unlisted tool were refused)"
}

case "${1:-}" in
  up) up ;;
  load) load ;;
  netpol) running || die "cluster $CLUSTER is not running (scripts/kind/cluster.sh up)"; wait_api; netpol ;;
  smoke) smoke ;;
  down) "$KIND" delete cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG" >&2 ;;
  env) echo "export KUBECONFIG=$KUBECONFIG"; echo "# kubectl: $(kubectl_bin)" ;;
  *) sed -n '2,/^LOG_TAG/{/^LOG_TAG/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2 ;;
esac
