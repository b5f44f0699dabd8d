#!/usr/bin/env bash
# Compiles the floor proxies (bench/floor/*.java) into OUT_DIR against a Quarkus app's libraries, so they use exactly
# the sidecar's Vert.x and Netty. Used by bench/load/run.sh (every run) and scripts/test.sh (so they cannot rot).
# usage: bash bench/floor/compile.sh OUT_DIR QUARKUS_APP_DIR
set -euo pipefail
out="$1"
app="$2"
here="$(cd "$(dirname "$0")" && pwd)"
command -v javac >/dev/null || { echo "bench/floor/compile.sh: javac (JDK 17) not found" >&2; exit 1; }
rm -rf "$out" && mkdir -p "$out"
if ! javac --release 17 -proc:none -Xlint:all -cp "$app/lib/main/*" -d "$out" "$here"/*.java; then
  echo "bench/floor/compile.sh: compiling bench/floor/*.java failed (see above)" >&2
  exit 1
fi
