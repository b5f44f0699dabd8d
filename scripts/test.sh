#!/usr/bin/env bash
# The README's test command: provisions what the tests need on a fresh machine, then builds and tests everything.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -ntp verify
