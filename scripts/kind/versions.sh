# Versions of everything the Kind node image is built from (sourced by scripts/kind/*.sh). All of it is built
# from Go modules served by the Go module proxy; the cache keys below include these.
readonly CONTAINERD_VERSION="${TOOLGATE_CONTAINERD_VERSION:-v2.4.2}"
readonly RUNC_VERSION="${TOOLGATE_RUNC_VERSION:-v1.4.4}"
readonly CRICTL_VERSION="${TOOLGATE_CRICTL_VERSION:-v1.37.0}"
readonly CNI_PLUGINS_VERSION="${TOOLGATE_CNI_PLUGINS_VERSION:-v1.10.0}"
# CoreDNS at the version kubeadm pins (`kubeadm config images list`: registry.k8s.io/coredns/coredns:v1.14.6 for
# Kubernetes v1.37.1); node-image.sh derives it from kubeadm and exports TOOLGATE_COREDNS_VERSION.
readonly COREDNS_VERSION="${TOOLGATE_COREDNS_VERSION:-v1.14.6}"
readonly LOCAL_PATH_PROVISIONER_VERSION="${TOOLGATE_LOCAL_PATH_PROVISIONER_VERSION:-v0.0.30}"
readonly DEBIAN_SUITE="${TOOLGATE_DEBIAN_SUITE:-bookworm}"
