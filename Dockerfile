# The healthprobe image: FROM scratch with only /healthprobe, for the eight
# Linux platforms Docker runs (linux/amd64, linux/arm64, linux/arm/v7,
# linux/arm/v6, linux/386, linux/ppc64le, linux/s390x, linux/riscv64), with
# TLS or without (-slim). Built from the release artifacts (bash
# scripts/release.sh VERSION puts them in dist/image/<arch>[-<variant>]/);
# users copy the probe out of it:
#
#     COPY --from=healthprobe:0.1.0 /healthprobe /healthprobe
#
# BuildKit picks the artifact from the platform it builds for, by
# TARGETARCH and, for arm, TARGETVARIANT (arm/v7 and arm/v6 are both
# TARGETARCH=arm):
#     docker buildx build --platform linux/amd64,linux/arm64,linux/arm/v7,linux/arm/v6,linux/386,linux/ppc64le,linux/s390x,linux/riscv64 -t healthprobe:0.1.0 .
#     docker buildx build --platform linux/arm/v7 --build-arg VARIANT=-slim -t healthprobe:0.1.0-slim .
# The classic builder sets neither: pass them (the engine's own architecture
# is `docker version -f '{{.Server.Arch}}'`), as .ci/run does:
#     DOCKER_BUILDKIT=0 docker build --build-arg TARGETARCH=amd64 -t healthprobe:0.1.0 .
#     DOCKER_BUILDKIT=0 docker build --platform linux/arm/v7 --build-arg TARGETARCH=arm --build-arg TARGETVARIANT=v7 .
# Without an architecture, or without the artifact for it (arm without its
# variant included), the COPY fails: the build never ships a binary for the
# wrong machine.
FROM scratch
ARG TARGETARCH
ARG TARGETVARIANT
ARG VARIANT=
# arm/v7 -> dist/image/arm-v7, arm/v6 -> arm-v6, the others by TARGETARCH
# alone (BuildKit normalises linux/arm64/v8 to linux/arm64; a platform with a
# variant the release does not build, such as amd64/v3, finds nothing).
COPY dist/image/${TARGETARCH}${TARGETVARIANT:+-}${TARGETVARIANT}${VARIANT}/healthprobe /healthprobe
ENTRYPOINT ["/healthprobe"]
