# The manager image: a static binary on distroless, running as the nonroot user.
#
#   make docker-build IMG=<registry>/cyclr-token-operator:<tag>
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

# Copy the Go source (.dockerignore keeps only *.go outside tests, go.mod and go.sum).
COPY . .

# A static binary (no cgo), built for the platform being targeted: GOARCH has no default, so
# `docker build` on an arm64 host builds an arm64 image; docker buildx passes TARGETARCH.
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o manager ./cmd

# distroless/static: no shell, no package manager, CA certificates included (Cyclr is https).
# Refer to https://github.com/GoogleContainerTools/distroless for more details
FROM gcr.io/distroless/static:nonroot
WORKDIR /
COPY --from=builder /workspace/manager .
USER 65532:65532

ENTRYPOINT ["/manager"]
