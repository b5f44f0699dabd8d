# kube-proxy with the iptables/conntrack tools it execs, on the Debian base, and an iptables-wrapper that picks the
# legacy or nft backend the node already uses (as the upstream distroless-iptables image does).
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      iptables conntrack ipset kmod nftables && rm -rf /var/lib/apt/lists/*
COPY iptables-wrapper /usr/sbin/iptables-wrapper
RUN for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do \
      ln -sf /usr/sbin/iptables-wrapper /usr/sbin/$t; done
COPY kube-proxy /usr/local/bin/kube-proxy
LABEL org.opencontainers.image.description="built offline by toolgate scripts/kind/node-image.sh"
