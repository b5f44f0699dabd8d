#!/usr/bin/env bash
# The README's demo command. For now: the policy engine's command-line check of the three seed policies
# against scripted calls (the full Kubernetes demo lands with the Helm/demo issue).
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash scripts/demo-policy.sh "$@"
