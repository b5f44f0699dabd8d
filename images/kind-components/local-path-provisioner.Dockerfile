# rancher/local-path-provisioner (Go module) on scratch, as kind's images/local-path-provisioner (distroless-static).
FROM scratch
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY local-path-provisioner /usr/local/bin/local-path-provisioner
ENV PATH=/usr/local/bin:/usr/bin:/bin
ENTRYPOINT ["/usr/local/bin/local-path-provisioner"]
