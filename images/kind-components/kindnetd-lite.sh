#!/bin/bash
# kindnetd-lite: stands in for kind's kindnetd (docker.io/kindest/kindnetd), whose source is not in any Go module
# the proxy serves. It does what kindnetd does for a Kind cluster's pod network, with the standard CNI plugins:
#  - writes /etc/cni/net.d/10-kindnet.conflist: bridge (kindnet0) + host-local over this node's podCIDR, portmap,
#    loopback;
#  - masquerades what pods send outside the cluster's pod subnet (POD_SUBNET), and only that: traffic to another
#    node's pods keeps its pod source address, so NetworkPolicies that admit pods by label hold across nodes (the
#    bridge plugin's own ipMasq would rewrite everything leaving this node's podCIDR);
#  - routes every other node's podCIDR via that node's InternalIP (multi-node clusters).
# It runs in kind's kindnet DaemonSet (hostNetwork, NET_ADMIN) with HOST_IP from the manifest and
# reads Nodes with the pod's service account (kind's kindnet ClusterRole allows it).
set -uo pipefail
api="https://${KUBERNETES_SERVICE_HOST}:${KUBERNETES_SERVICE_PORT}"
sa=/var/run/secrets/kubernetes.io/serviceaccount
conf=/etc/cni/net.d/10-kindnet.conflist
log() { echo "$(date -u +%FT%TZ) kindnetd-lite: $*"; }

write_conf() {
  local subnet="$1" tmp="$conf.tmp"
  cat >"$tmp" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "kindnet",
  "plugins": [
    { "type": "bridge", "bridge": "kindnet0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$subnet" }]], "routes": [{ "dst": "0.0.0.0/0" }] } },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON
  if ! cmp -s "$tmp" "$conf"; then mv "$tmp" "$conf"; log "wrote $conf (subnet $subnet)"; else rm -f "$tmp"; fi
}

masquerade() {
  local rule=(-s "$POD_SUBNET" ! -d "$POD_SUBNET" -m comment --comment "kindnetd-lite: pods to outside the pod subnet" -j MASQUERADE)
  iptables -t nat -C POSTROUTING "${rule[@]}" 2>/dev/null || { iptables -t nat -A POSTROUTING "${rule[@]}" && log "masquerading $POD_SUBNET to outside it"; }
}

while true; do
  masquerade
  if nodes="$(curl -sS --fail --max-time 10 --cacert "$sa/ca.crt" -H "Authorization: Bearer $(cat "$sa/token")" "$api/api/v1/nodes")"; then
    # one line per node: <InternalIP> <podCIDR>
    while read -r ip cidr; do
      [[ -n $cidr && $cidr != null ]] || continue
      if [[ $ip == "$HOST_IP" ]]; then
        write_conf "$cidr"
      else
        ip route replace "$cidr" via "$ip" 2>/dev/null && true
      fi
    done < <(jq -r '.items[] | [(.status.addresses[] | select(.type=="InternalIP") | .address), (.spec.podCIDR // "null")] | @tsv' <<<"$nodes" | awk -F'\t' '{print $1, $NF}')
  else
    log "cannot list nodes yet (API server via ${KUBERNETES_SERVICE_HOST}); retrying"
  fi
  sleep 10
done
