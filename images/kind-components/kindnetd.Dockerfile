# kindnetd-lite (kindnetd-lite.sh): the pod network for kind's kindnet DaemonSet, from standard CNI plugins.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      curl jq iproute2 ca-certificates && rm -rf /var/lib/apt/lists/*
COPY kindnetd-lite.sh /bin/kindnetd
ENTRYPOINT ["/bin/kindnetd"]
LABEL org.opencontainers.image.description="toolgate kindnetd-lite: stand-in for kindest/kindnetd, built offline"
