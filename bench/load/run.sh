#!/usr/bin/env bash
# Toolgate load benchmark: installs what it needs (idempotent), then runs every scenario once and writes
# bench/results/latest.{md,json}. See bench/load/README.md. Quick smoke run: BENCH_QUICK=1 bash bench/load/run.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

FORTIO_VERSION="v1.68.2"   # newest whose dependencies all resolve from the module proxy here (1.69+ need grol.io)
JDK25="${BENCH_JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}"
tools_bin="$root/tools/bin"
say() { echo "[run.sh] $*" >&2; }

# --- Fortio, pinned, cached in tools/bin (gitignored)
if [[ "$("$tools_bin/fortio" version 2>/dev/null || true)" != "${FORTIO_VERSION#v}" ]]; then
  command -v go >/dev/null || { echo "run.sh: go not found; Fortio is installed with 'go install'" >&2; exit 1; }
  say "installing fortio $FORTIO_VERSION into $tools_bin"
  mkdir -p "$tools_bin"
  GOBIN="$tools_bin" GOFLAGS=-buildvcs=false timeout 900 go install "fortio.org/fortio@$FORTIO_VERSION"
fi

# --- nginx and curl from Debian
missing=()
command -v nginx >/dev/null || missing+=(nginx)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
  say "installing ${missing[*]} with apt-get"
  timeout 600 apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v python3 >/dev/null || { echo "run.sh: python3 is required" >&2; exit 1; }

# --- server-everything and friends in tools/node
bash "$root/scripts/mcp-deps.sh"

# --- the sidecar (JDK 17 build, fast-jar), built only when missing or when BENCH_REBUILD=1
app="$root/sidecar/target/quarkus-app"
if [[ ! -f "$app/quarkus-run.jar" || "${BENCH_REBUILD:-0}" == 1 ]]; then
  say "building the sidecar"
  timeout 1200 ./mvnw -B -ntp -q package -pl sidecar -am -DskipTests
fi

# --- the JVM floor proxies (bench/floor): benchmark fixtures, not shipped, so no Maven module; compiled every run
# against the sidecar's runtime classpath, so they use exactly its Vert.x and Netty
floor_classes="$root/tools/bench/floor-classes"
bash bench/floor/compile.sh "$floor_classes" "$app"

# --- the sidecar with a JDK 25 AOT cache: Quarkus's aot-jar packaging, cache recorded at build time
# (quarkus.package.jar.aot.phase=build). Built in a private copy of the sources so the sidecar's own target/ and
# ~/.m2 are untouched; cached under tools/bench/aot/<hash of the sources>.
aot_app=""
if [[ ",${BENCH_SKIP:-}," != *",aot,"* && ",${BENCH_SKIP:-}," != *",startup,"* ]]; then
  if [[ ! -x "$JDK25/bin/java" ]]; then
    echo "run.sh: JDK 25 not found at $JDK25 (set BENCH_JDK25, or BENCH_SKIP=aot)" >&2; exit 1
  fi
  src_hash="$( { find pom.xml policy/pom.xml policy-redis/pom.xml sidecar/pom.xml policy/src/main policy-redis/src/main sidecar/src/main bench/load/make_policy.py -type f -print0 \
    | sort -z | xargs -0 sha256sum; "$JDK25/bin/java" -version 2>&1; } | sha256sum | cut -c1-16)"
  aot_dir="$root/tools/bench/aot/$src_hash"
  if [[ ! -f "$aot_dir/quarkus-app/app.aot" ]]; then
    say "building the sidecar with a JDK 25 AOT cache into $aot_dir (about a minute)"
    rm -rf "$aot_dir"
    mkdir -p "$aot_dir/src"
    # the reactor reads every module's pom, so copy the others' poms (only) too
    other_poms=()
    for m in $(sed -n 's:.*<module>\(.*\)</module>.*:\1:p' pom.xml); do
      [[ "$m" == policy || "$m" == policy-redis || "$m" == sidecar || ! -f "$m/pom.xml" ]] || other_poms+=("$m/pom.xml")
    done
    tar -cf - --exclude=target --exclude=src/test pom.xml mvnw .mvn policy policy-redis sidecar "${other_poms[@]}" \
      | tar -xf - -C "$aot_dir/src"
    # The build's recording run starts the sidecar once; with the benchmark policy loaded, the policy engine, the
    # schema validator and RE2J are in the cache too (without a policy file: ~0.1 s slower to ready, bench/load/README.md).
    mkdir -p "$aot_dir/train" && python3 bench/load/make_policy.py "$aot_dir/train" >/dev/null
    (cd "$aot_dir/src" && TOOLGATE_POLICY_FILE="$aot_dir/train/policy.json" TOOLGATE_UPSTREAM=http://127.0.0.1:9 \
      JAVA_HOME="$JDK25" timeout 1200 ./mvnw -B -ntp -q package -pl sidecar -am -DskipTests -Dmaven.test.skip=true \
      -Dquarkus.package.jar.aot.enabled=true -Dquarkus.package.jar.aot.phase=build -Dquarkus.package.jar.aot.type=AOT)
    mv "$aot_dir/src/sidecar/target/quarkus-app" "$aot_dir/quarkus-app"
    rm -rf "$aot_dir/src"
  fi
  aot_app="$aot_dir/quarkus-app"
fi

# --- run; the trap ends whatever the orchestrator started, even if it dies hard
work="$(mktemp -d /tmp/toolgate-loadbench.XXXXXX)"
cleanup() {
  if [[ -f "$work/pids" ]]; then
    while read -r pid; do kill -KILL -- "-$pid" 2>/dev/null || true; done < "$work/pids"
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
BENCH_WORK="$work" BENCH_AOT_APP="$aot_app" FORTIO="$tools_bin/fortio" BENCH_JDK25="$JDK25" BENCH_FLOOR_CLASSES="$floor_classes" \
  python3 "$root/bench/load/loadbench.py"
