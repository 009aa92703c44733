# syntax=docker/dockerfile:1
#
# The ctl image: one static binary on distroless, running as UID 65532. The kayenta
# chart (charts/kayenta) runs it as
#   ctl kayenta serve --config /etc/kayenta/kayenta.yml --listen 0.0.0.0:8090
#
# Build (BuildKit; add --platform linux/amd64,linux/arm64 with buildx for both):
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) \
#     -t ghcr.io/ctlproject/ctl:<version> .
# The tag should equal VERSION: the chart's default image tag is ctl's version.

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src

# Modules first, so a source change reuses the download layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .
ARG VERSION=dev
# Set by BuildKit for each --platform; empty means linux on the builder's architecture.
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -tags servicebinary -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/ctl ./cmd/ctl

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ctl /ctl
# Numeric, so the kubelet can verify runAsNonRoot.
USER 65532:65532
EXPOSE 8090
ENTRYPOINT ["/ctl"]
CMD ["kayenta", "serve", "--config", "/etc/kayenta/kayenta.yml"]
