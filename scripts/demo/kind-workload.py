# Reads `kubectl create --dry-run=client -o json` of k8s-examples/demo/20-server-everything.yaml or 40-payments.yaml (one JSON object
# per document) and prints one v1 List for `kubectl apply -f -`, with the server container switched to the image
# built and kind-loaded here: the example runs node:22-alpine + npx, which pulls, and the Kind cluster pulls nothing.
import json
import sys

text, items, dec = sys.stdin.read(), [], json.JSONDecoder()
pos = 0
while True:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos >= len(text):
        break
    obj, pos = dec.raw_decode(text, pos)
    items.extend(obj.get("items", []) if obj.get("kind") == "List" else [obj])
for item in items:
    if item["kind"] == "Deployment":
        spec = item["spec"]["template"]["spec"]
        for c in spec["containers"]:
            if c["name"] == "server":
                c["image"] = sys.argv[1] if len(sys.argv) > 1 else "toolgate/server-everything:2026.8.31"
                c["imagePullPolicy"] = "Never"
                if item["metadata"]["name"] == "payments":
                    # the image holds the payments server beside the SDK it imports; no npm install, no ConfigMap
                    c["command"] = ["/usr/local/bin/node", "/opt/server-everything/payments-server.mjs"]
                    c["volumeMounts"] = [m for m in c.get("volumeMounts", []) if m["name"] != "scripts"]
                else:
                    c.pop("command", None)  # the image's entrypoint runs server-everything streamableHttp
        spec["volumes"] = [v for v in spec.get("volumes", []) if v["name"] != "scripts" or item["metadata"]["name"] != "payments"]
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, sys.stdout)
