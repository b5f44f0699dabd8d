# The helper pod image: sh, mkdir, rm (kind's images/local-path-helper stages exactly these); the Debian base has them.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.description="local-path-provisioner helper (sh, mkdir, rm), built offline"
