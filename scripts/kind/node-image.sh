#!/usr/bin/env bash
# Builds a Kind node image for Kubernetes v$TOOLGATE_KUBE_VERSION (default 1.37.1) without any container registry:
#   1. Go builds: kind, containerd 2.x, runc, crictl, CNI plugins, CoreDNS, local-path-provisioner (go-tools.sh),
#      kubelet/kubeadm/kube-scheduler/kube-proxy (+ kube-apiserver/controller-manager/kubectl/etcd from
#      scripts/kube-binaries.sh) (kube-node-binaries.sh), the runc wrapper (images/runc-wrapper), pause (gcc);
#   2. the Kind base image toolgate/kind-base:<key>: a Debian rootfs from mmdebstrap + kind's own files + those builds;
#   3. component images tagged exactly as kubeadm and kind expect (registry.k8s.io/kube-apiserver:v1.37.1, ...,
#      registry.k8s.io/pause:3.10.2, registry.k8s.io/etcd:3.7.0-0, registry.k8s.io/coredns/coredns:v1.14.6,
#      docker.io/kindest/kindnetd:..., docker.io/kindest/local-path-provisioner:..., .../local-path-helper:...);
#   4. a release-style kubernetes-server-linux-amd64.tar.gz and `kind build node-image --type file` from it.
#
#   scripts/kind/node-image.sh          build (or reuse); the last stdout line is the node image name
#
# Cached by a key of every version and every recipe file: $TOOLGATE_CACHE/kind/node/<key>/ (tarball, stamp) and
# the docker image toolgate/kind-node:v<kube>-<key> (also tagged toolgate/kind-node:v<kube>). See docs/kind.md.
LOG_TAG=node-image
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/versions.sh"

readonly RECIPE=1
readonly here="$(cd "$(dirname "$0")" && pwd)"
readonly IMAGES_DIR="$KIND_ROOT/images"
# kind's image names (sigs.k8s.io/kind/pkg/build/nodeimage const_cni.go / const_storage.go): the node image build
# loads these, and kind's manifests reference them.
kind_const() { sed -n "s/^const $1 = \"\\(.*\\)\"$/\\1/p" "$KIND_SRC/pkg/build/nodeimage/$2"; }

started_all=$SECONDS
docker info >/dev/null 2>&1 || "$here/docker-engine.sh"
for pkg in mmdebstrap pigz gcc; do
  command -v "$pkg" >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >&2; }
done
dpkg -s libc6-dev >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libc6-dev >&2

readonly KIND_SRC="$(mod_dir "sigs.k8s.io/kind@$KIND_VERSION")"
readonly KINDNETD_IMAGE="$(kind_const kindnetdImage const_cni.go)"
readonly LPP_IMAGE="$(kind_const storageProvisionerImage const_storage.go)"
readonly LPH_IMAGE="$(kind_const storageHelperImage const_storage.go)"
[[ -n $KINDNETD_IMAGE && -n $LPP_IMAGE && -n $LPH_IMAGE ]] || die "could not read kind's image names from $KIND_SRC"

# --- 1. binaries
kube_bin="$("$here/kube-node-binaries.sh")"
mapfile -t kubeadm_images < <("$kube_bin/kubeadm" config images list --kubernetes-version "v$KUBE_VERSION" 2>/dev/null)
img_for() { printf '%s\n' "${kubeadm_images[@]}" | grep -m1 "/$1:" || die "kubeadm lists no $1 image"; }
readonly ETCD_IMAGE="$(img_for etcd)" COREDNS_IMAGE="$(img_for coredns)" PAUSE_IMAGE="$(img_for pause)"
export TOOLGATE_COREDNS_VERSION="${COREDNS_IMAGE##*:}"
"$here/go-tools.sh" kind containerd runc crictl cni
tool() { TOOLGATE_COREDNS_VERSION="$TOOLGATE_COREDNS_VERSION" bash -c "source '$here/go-tools.sh'; tool_dir $1"; }
wrapper="$(runc_wrapper_bin)"
kind_bin="$(tool kind)/kind"
grep -q "sandbox_image = \"$PAUSE_IMAGE\"" "$IMAGES_DIR/kind-base/files/etc/containerd/config.toml" ||
  die "images/kind-base/files/etc/containerd/config.toml must set sandbox_image = \"$PAUSE_IMAGE\" (what kubeadm lists)"

# --- cache key: every version and every recipe file
recipe_files=()
while IFS= read -r -d '' f; do recipe_files+=("$f"); done < <(find "$IMAGES_DIR/kind-base" "$IMAGES_DIR/kind-components" \
  "$IMAGES_DIR/runc-wrapper" "$here/node-image.sh" "$here/go-tools.sh" "$here/versions.sh" "$here/kube-node-binaries.sh" \
  "$here/lib.sh" -type f -print0 | sort -z)
readonly KEY="$(key_of "recipe=$RECIPE" "kube=$KUBE_VERSION" "kind=$KIND_VERSION" "containerd=$CONTAINERD_VERSION" \
  "runc=$RUNC_VERSION" "crictl=$CRICTL_VERSION" "cni=$CNI_PLUGINS_VERSION" "coredns=$TOOLGATE_COREDNS_VERSION" \
  "lpp=$LOCAL_PATH_PROVISIONER_VERSION" "debian=$DEBIAN_SUITE" "${kubeadm_images[@]}" "${recipe_files[@]}")"
readonly NODE_IMAGE="toolgate/kind-node:v$KUBE_VERSION-$KEY"
readonly BASE_IMAGE="toolgate/kind-base:$KEY"
readonly WORK="$KIND_CACHE/node/$KEY"
# the image name carries the key, so an image of that name is this recipe's build
if docker_image_exists "$NODE_IMAGE"; then
  log "cached: $NODE_IMAGE"
  docker tag "$NODE_IMAGE" "toolgate/kind-node:v$KUBE_VERSION"
  echo "$NODE_IMAGE"
  exit 0
fi
mkdir -p "$WORK"
export DOCKER_BUILDKIT=0 # legacy builder: no buildx here; it uses local base images without pulling

build_image() { # <tag> <context> [docker build args...]
  local tag="$1" ctx="$2"; shift 2
  docker build -q --force-rm -t "$tag" "$@" "$ctx" >/dev/null 2>"$WORK/build.err" || { cat "$WORK/build.err" >&2; die "docker build $tag failed"; }
}

# --- 2a. the node's Debian rootfs: the packages kind's base installs (minus nfs/iscsi/fuse-overlayfs: unused here)
readonly ROOTFS_PACKAGES="systemd,dbus,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,e2fsprogs,bash,ca-certificates,curl,jq,procps,socat,ebtables,less"
rootfs_key="$(key_of "$DEBIAN_SUITE" "$ROOTFS_PACKAGES" rootfs-1)"
readonly ROOTFS_IMAGE="toolgate/kind-rootfs:$DEBIAN_SUITE-$rootfs_key"
if ! docker_image_exists "$ROOTFS_IMAGE"; then
  log "mmdebstrap the node rootfs ($DEBIAN_SUITE: $ROOTFS_PACKAGES)"
  t0=$SECONDS
  mmdebstrap --quiet --format=tar --variant=minbase --include="$ROOTFS_PACKAGES" \
    --customize-hook='rm -rf "$1"/usr/share/doc/* "$1"/usr/share/man/* "$1"/var/cache/apt/*.bin' \
    "$DEBIAN_SUITE" "$WORK/rootfs.tar" >&2
  docker import "$WORK/rootfs.tar" "$ROOTFS_IMAGE" >/dev/null
  rm -f "$WORK/rootfs.tar"
  log "rootfs image $ROOTFS_IMAGE in $((SECONDS - t0)) s"
fi

# --- 2b. the Kind base image
if ! docker_image_exists "$BASE_IMAGE"; then
  log "building $BASE_IMAGE"
  t0=$SECONDS
  ctx="$WORK/base-ctx"
  rm -rf "$ctx" && mkdir -p "$ctx/bin" "$ctx/cni"
  cp -r "$KIND_SRC/images/base/files" "$ctx/kind-files"
  chmod -R u+w "$ctx/kind-files"
  # rootless-only pieces we do not build
  rm -rf "$ctx/kind-files/LICENSES" "$ctx/kind-files/etc/systemd/system/containerd-fuse-overlayfs.service" \
    "$ctx/kind-files/etc/containerd" "$ctx/kind-files/usr/local/bin/clean-install"
  cp -r "$IMAGES_DIR/kind-base/files" "$ctx/files"
  cp "$(tool containerd)"/{containerd,containerd-shim-runc-v2,ctr} "$(tool crictl)/crictl" "$(tool runc)/runc" "$ctx/bin/"
  cp "$wrapper" "$ctx/bin/toolgate-runc"
  cp "$(tool cni)"/{host-local,loopback,ptp,portmap,bridge} "$ctx/cni/"
  cp "$IMAGES_DIR/kind-base/Dockerfile" "$ctx/"
  # modes as kind's Dockerfile sets them with COPY --chmod
  find "$ctx/kind-files" "$ctx/files" -type d -exec chmod 0755 {} +
  find "$ctx/kind-files" "$ctx/files" -type f -exec chmod 0644 {} +
  chmod 0755 "$ctx"/kind-files/usr/local/bin/* "$ctx"/kind-files/kind/bin/* "$ctx"/bin/* "$ctx"/cni/*
  build_image "$BASE_IMAGE" "$ctx" --build-arg "ROOTFS_IMAGE=$ROOTFS_IMAGE" --build-arg "KEY=$KEY"
  rm -rf "$ctx"
  log "built $BASE_IMAGE in $((SECONDS - t0)) s"
fi

# --- 3. component images (tags as kubeadm / kind name them)
"$here/go-tools.sh" coredns local-path-provisioner
# kube-proxy, kindnetd and the local-path helper build on the Debian base; on a new machine nothing has built it yet.
"$here/images.sh" debian-base
t0=$SECONDS
comp="$WORK/components"
rm -rf "$comp" && mkdir -p "$comp"
cp /etc/ssl/certs/ca-certificates.crt "$comp/"
cp "$IMAGES_DIR"/kind-components/* "$comp/"
static_image() { # <tag> <binary path>
  cp "$2" "$comp/$(basename "$2")"
  build_image "$1" "$comp" -f "$comp/static.Dockerfile" --build-arg "BIN=$(basename "$2")"
}
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  static_image "registry.k8s.io/$c:v$KUBE_VERSION" "$kube_bin/$c"
done
static_image "$ETCD_IMAGE" "$kube_bin/etcd"
cp "$kube_bin/kube-proxy" "$comp/"
build_image "registry.k8s.io/kube-proxy:v$KUBE_VERSION" "$comp" -f "$comp/kube-proxy.Dockerfile" --build-arg "BASE_IMAGE=toolgate/debian-base:$DEBIAN_SUITE"
cp "$(tool coredns)/coredns" "$comp/"
build_image "$COREDNS_IMAGE" "$comp" -f "$comp/coredns.Dockerfile"
pause_src="$(mod_dir "k8s.io/kubernetes@v$KUBE_VERSION")/build/pause/linux/pause.c"
gcc -Os -Wall -Werror -static -DVERSION="${PAUSE_IMAGE##*:}" -o "$comp/pause" "$pause_src"
strip "$comp/pause"
build_image "$PAUSE_IMAGE" "$comp" -f "$comp/pause.Dockerfile"
build_image "$KINDNETD_IMAGE" "$comp" -f "$comp/kindnetd.Dockerfile" --build-arg "BASE_IMAGE=toolgate/debian-base:$DEBIAN_SUITE"
cp "$(tool local-path-provisioner)/local-path-provisioner" "$comp/"
build_image "$LPP_IMAGE" "$comp" -f "$comp/local-path-provisioner.Dockerfile"
build_image "$LPH_IMAGE" "$comp" -f "$comp/local-path-helper.Dockerfile" --build-arg "BASE_IMAGE=toolgate/debian-base:$DEBIAN_SUITE"
rm -rf "$comp"
log "component images in $((SECONDS - t0)) s"

# --- 4a. the release-style tarball. kind's tarball builder loads only the four kube-*.tar archives, and pulls
# (ctr content fetch) every other image kubeadm and its manifests need; nothing can be pulled here, so
# kube-proxy.tar also carries pause, etcd, CoreDNS, kindnetd and the local-path images. kind reads an archive's
# tags from the first of manifest.json / repositories it meets (and of manifest.json only the first image), so
# the archive is rewritten with `repositories` (all images' tags) first; ctr imports every image in it.
t0=$SECONDS
rel="$WORK/release"
rm -rf "$rel" && mkdir -p "$rel/kubernetes/server/bin"
echo "v$KUBE_VERSION" >"$rel/kubernetes/version"
cp "$kube_bin"/{kubeadm,kubelet,kubectl} "$rel/kubernetes/server/bin/"
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  docker save "registry.k8s.io/$c:v$KUBE_VERSION" -o "$rel/kubernetes/server/bin/$c.tar"
done
docker save -o "$rel/kube-proxy-all.tar" "registry.k8s.io/kube-proxy:v$KUBE_VERSION" "$PAUSE_IMAGE" "$ETCD_IMAGE" \
  "$COREDNS_IMAGE" "$KINDNETD_IMAGE" "$LPP_IMAGE" "$LPH_IMAGE"
python3 - "$rel/kube-proxy-all.tar" "$rel/kubernetes/server/bin/kube-proxy.tar" <<'PY'
import io, json, sys, tarfile
src, dst = sys.argv[1], sys.argv[2]

def qualified(repo):
    # docker save shortens docker.io/kindest/x to kindest/x; kind compares against the full name
    first = repo.split("/")[0]
    return repo if "/" in repo and ("." in first or ":" in first or first == "localhost") else "docker.io/" + repo

with tarfile.open(src) as t:
    members = t.getmembers()
    repos = [m for m in members if m.name == "repositories"]
    assert repos, "docker save wrote no repositories file"
    data = json.load(t.extractfile(repos[0]))
    data = {qualified(k): v for k, v in data.items()}
    blob = json.dumps(data).encode()
    info = tarfile.TarInfo("repositories"); info.size = len(blob); info.mode = 0o644
    with tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as out:
        out.addfile(info, io.BytesIO(blob))
        for m in members:
            if m.name != "repositories":
                out.addfile(m, t.extractfile(m) if m.isfile() else None)
    print("kube-proxy.tar carries:", ", ".join(f"{r}:{tag}" for r, tags in data.items() for tag in tags), file=sys.stderr)
PY
rm -f "$rel/kube-proxy-all.tar"
tarball="$WORK/kubernetes-server-linux-amd64.tar.gz"
tar -C "$rel" -cf - kubernetes | pigz -1 >"$tarball.tmp" && mv "$tarball.tmp" "$tarball"
rm -rf "$rel"
log "release tarball $tarball ($(du -h "$tarball" | cut -f1)) in $((SECONDS - t0)) s"

# --- 4b. kind build node-image
t0=$SECONDS
log "kind build node-image --type file ... --base-image $BASE_IMAGE --image $NODE_IMAGE"
"$kind_bin" build node-image --type file "$tarball" --base-image "$BASE_IMAGE" --image "$NODE_IMAGE" >&2 ||
  die "kind build node-image failed"
docker tag "$NODE_IMAGE" "toolgate/kind-node:v$KUBE_VERSION"
rm -f "$tarball" # the node image holds everything; the tarball is ~1 GB
date -u +%FT%TZ >"$WORK/.done"
log "node image $NODE_IMAGE in $((SECONDS - t0)) s (all steps: $((SECONDS - started_all)) s)"
echo "$NODE_IMAGE"
