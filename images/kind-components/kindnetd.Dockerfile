# kindnetd-lite (kindnetd-lite.sh): the pod network for kind's kindnet DaemonSet, from standard CNI plugins.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      curl jq iproute2 ca-certificates iptables && rm -rf /var/lib/apt/lists/*
# the iptables backend (legacy or nft) the node's rules are in, as for kube-proxy
COPY iptables-wrapper /usr/sbin/iptables-wrapper
RUN for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do \
      ln -sf /usr/sbin/iptables-wrapper /usr/sbin/$t; done
COPY kindnetd-lite.sh /bin/kindnetd
ENTRYPOINT ["/bin/kindnetd"]
LABEL org.opencontainers.image.description="toolgate kindnetd-lite: stand-in for kindest/kindnetd, built offline"
