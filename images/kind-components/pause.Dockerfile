# The pod sandbox: kubernetes' build/pause/linux/pause.c from the k8s.io/kubernetes module, linked statically.
FROM scratch
COPY pause /pause
USER 65535:65535
ENTRYPOINT ["/pause"]
