#!/usr/bin/env bash
# Installs the OIDC provider the sidecar's verified-identity tests run against: Keycloak (its Quarkus distribution,
# from Maven Central through the Maven wrapper) under ~/.cache/toolgate/keycloak/, and prints its home directory.
# Idempotent: a no-op when that version is already unpacked. Keycloak needs a JDK >= 21 (found below, or set
# TOOLGATE_KEYCLOAK_JAVA_HOME); the tests run it with that JDK.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="26.5.6"
cache="${TOOLGATE_CACHE:-$HOME/.cache/toolgate}/keycloak"
home="$cache/keycloak-$version"

if [[ ! -x "$home/bin/kc.sh" ]]; then
  mkdir -p "$cache"
  zip="$cache/keycloak-quarkus-dist-$version.zip"
  if [[ ! -f "$zip" ]]; then
    echo "oidc-provider: fetching org.keycloak:keycloak-quarkus-dist:$version:zip into $cache" >&2
    "$root/mvnw" -B -ntp -q dependency:copy -Dartifact="org.keycloak:keycloak-quarkus-dist:$version:zip" -DoutputDirectory="$cache" >&2
  fi
  command -v unzip >/dev/null || { echo "oidc-provider: unzip not found (apt-get install -y unzip)" >&2; exit 1; }
  rm -rf "$home.partial" && mkdir -p "$home.partial"
  unzip -q "$zip" -d "$home.partial"
  mv "$home.partial/keycloak-$version" "$home" && rm -rf "$home.partial"
fi

java_home="${TOOLGATE_KEYCLOAK_JAVA_HOME:-}"
if [[ -z "$java_home" ]]; then
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64 /usr/lib/jvm/java-21-openjdk-amd64; do
    if [[ -n "$candidate" && -x "$candidate/bin/java" ]]; then
      major="$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
      if [[ "${major:-0}" -ge 21 ]]; then java_home="$candidate"; break; fi
    fi
  done
fi
[[ -n "$java_home" ]] || { echo "oidc-provider: Keycloak $version needs a JDK >= 21; set TOOLGATE_KEYCLOAK_JAVA_HOME" >&2; exit 1; }
ln -sfn "$java_home" "$cache/java-home"
echo "$home"
