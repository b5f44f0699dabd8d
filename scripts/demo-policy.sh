#!/usr/bin/env bash
# Demo of the policy engine, offline: decides sample tool calls against the three seed policies, then runs the example policy tests.
# Builds the policy checker jar if it is missing. Usage: scripts/demo-policy.sh [--json]
set -euo pipefail
cd "$(dirname "$0")/.."

format=--text
if [[ "${1:-}" == "--json" ]]; then
  format=
fi

version=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' policy-cli/pom.xml | head -1)
jar="policy-cli/target/toolgate-policy-cli-${version}.jar"
if [[ ! -f "$jar" ]]; then
  echo "building $jar ..." >&2
  ./mvnw -B -ntp -q package -pl policy-cli -am -DskipTests
fi

run() {
  local title=$1 policy=$2 calls=$3
  echo
  echo "== ${title}"
  echo "   policy: ${policy}"
  echo "   calls:  ${calls}"
  echo
  # shellcheck disable=SC2086
  java -jar "$jar" $format "$policy" "$calls"
}

run "Stripe: update_customer, 30 per minute per grant; everything else denied" \
  policy-cli/examples/stripe-update_customer.json policy-cli/examples/calls-stripe.jsonl
run "Aksjah: a tool name with spaces, 30 per minute per grant" \
  policy-cli/examples/aksjah-wizcommerce-postcustomers.json policy-cli/examples/calls-aksjah.jsonl
run "AP2: update_amount always needs a human" \
  policy-cli/examples/ap2-update_amount.json policy-cli/examples/calls-ap2.jsonl

echo
echo "== An invalid policy: every error, with its path (exit status 2)"
bad=$(mktemp)
trap 'rm -f "$bad"' EXIT
cat > "$bad" <<'JSON'
{
  "version": "1",
  "default": "deny",
  "tools": {
    "update_amount": {
      "deny-if": [],
      "deny_if": [{ "conditions": [{ "arg": "amount", "op": "gtt", "value": 1000 }] }],
      "limits": [{ "counter": "writes", "window": "90x", "max": 0, "scope": "grant" }]
    },
    "get_*": {}, "*_amt": {}
  }
}
JSON
java -jar "$jar" "$bad" /dev/null || echo "(exit status $?)"

echo
echo "== Policy tests: the example suites, McpPolicies read as applied (exit status 0 when every case passes)"
java -jar "$jar" test policy-cli/examples/policy-tests/*.yaml
