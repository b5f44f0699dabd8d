# A Kubernetes component as a minimal image: one static Go binary on scratch (plus CA certificates), the way the
# upstream images are one binary on distroless-static. kubeadm's static pods name the command, so no ENTRYPOINT.
FROM scratch
ARG BIN
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY ${BIN} /usr/local/bin/${BIN}
ENV PATH=/usr/local/bin:/usr/bin:/bin
LABEL org.opencontainers.image.description="built offline by toolgate scripts/kind/node-image.sh"
