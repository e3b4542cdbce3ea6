# The healthprobe image: FROM scratch with only /healthprobe, for linux/amd64
# and linux/arm64, with TLS or without (-slim). Built from the release
# artifacts (bash scripts/release.sh VERSION puts them in dist/); users copy
# the probe out of it:
#
#     COPY --from=healthprobe:0.1.0 /healthprobe /healthprobe
#
# BuildKit picks the artifact from the platform it builds for:
#     docker buildx build --platform linux/amd64,linux/arm64 -t healthprobe:0.1.0 .
#     docker buildx build --platform linux/arm64 --build-arg VARIANT=-slim -t healthprobe:0.1.0-slim .
# The classic builder sets no TARGETARCH: pass the architecture to build for
# (the engine's own is `docker version -f '{{.Server.Arch}}'`), as .ci/run does:
#     DOCKER_BUILDKIT=0 docker build --build-arg TARGETARCH=amd64 -t healthprobe:0.1.0 .
#     DOCKER_BUILDKIT=0 docker build --platform linux/arm64 --build-arg TARGETARCH=arm64 .
# Without an architecture, or without the artifact for it, the COPY fails:
# the build never ships a binary for the wrong machine.
FROM scratch
ARG TARGETARCH
ARG VARIANT=
COPY dist/image/${TARGETARCH}${VARIANT}/healthprobe /healthprobe
ENTRYPOINT ["/healthprobe"]
