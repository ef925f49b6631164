# The manager image for Docker users. `make image` (hack/image) builds the same image without a
# container engine; this file stays for those who have one:
#
#   docker build --build-arg VERSION=<tag> --build-arg REVISION=$(git rev-parse HEAD) -t <image> .
#   make docker-build IMG=<registry>/cyclr-token-operator:<tag>   # passes the Makefile's VERSION and REVISION
#
# Override BASE_IMAGE to build from another registry, e.g. docker.io/library/golang:1.26
ARG BASE_IMAGE=golang:1.26
FROM ${BASE_IMAGE} AS builder
ARG TARGETOS
ARG TARGETARCH

WORKDIR /workspace
# Copy the Go Modules manifests first: the downloaded modules stay cached in their own layer
# until go.mod or go.sum change.
COPY go.mod go.mod
COPY go.sum go.sum
RUN go mod download

# Copy the Go source (.dockerignore keeps only *.go outside tests, go.mod, go.sum and
# hack/image/rootfs).
COPY . .

# A static binary (no cgo), built for the platform being targeted: GOARCH has no default, so
# `docker build` on an arm64 host builds an arm64 image; docker buildx passes TARGETARCH.
# VERSION and REVISION are stamped into it as by `make build` and hack/image, so that
# `manager --version` says what the labels below say. (An ARG is per stage: the final stage
# declares them again.)
ARG VERSION=dev
ARG REVISION=unknown
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -o manager -ldflags="-s -w \
      -X github.com/cyclr-operator/cyclr-token-operator/internal/version.Version=${VERSION} \
      -X github.com/cyclr-operator/cyclr-token-operator/internal/version.Revision=${REVISION}" ./cmd

# Nothing under the manager: no shell, no package manager, and no base image to pull. The CA
# roots for Cyclr's https are compiled into the binary (golang.org/x/crypto/x509roots/fallback,
# imported by cmd/main.go), so no CA bundle is needed either. /etc/passwd and /etc/group name
# the nonroot user 65532; hack/image puts the same files in its layer.
FROM scratch
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="cyclr-token-operator" \
      org.opencontainers.image.description="Keeps Cyclr API tokens fresh in Kubernetes Secrets" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/cyclr-operator/cyclr-token-operator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY hack/image/rootfs/ /
COPY --from=builder /workspace/manager /manager
USER 65532:65532
WORKDIR /

ENTRYPOINT ["/manager"]
