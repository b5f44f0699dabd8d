# CoreDNS (github.com/coredns/coredns Go module, the version kubeadm pins) on scratch, like the upstream image.
FROM scratch
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY coredns /coredns
EXPOSE 53 53/udp
ENTRYPOINT ["/coredns"]
