#!/usr/bin/env bash
# The release artifacts: static binaries for the eight Linux platforms
# Docker runs (amd64, arm64, 386, arm/v7, arm/v6, ppc64le, s390x, riscv64),
# with TLS and without (-slim), each carrying its dependency list (cargo
# auditable), a CycloneDX SBOM, and their SHA256SUMS, in dist/; and the
# binaries under dist/image/<docker arch>[-<variant>][-slim]/ for the
# Dockerfile (arm/v7 -> arm-v7).
#
#   bash scripts/release.sh 0.1.0
#   PLATFORMS="amd64 s390x" bash scripts/release.sh 0.1.0   # only these
#
# VERSION must be the version in Cargo.toml (it is what --version prints).
# Reproducible: the same source and toolchain give the same bytes, wherever
# the checkout and the cargo home are (their paths are remapped out of the
# binaries) and however often it runs (each run builds from a clean target
# directory). Needs: the toolchain rust-toolchain.toml pins (with rust-src),
# cargo-auditable and cargo-cyclonedx (cargo install) and jq (apt); what the
# cross builds need (rustup targets, Debian's cross compilers and musl,
# libunwind) scripts/cross-toolchains.sh installs or builds first; see there
# for why each piece. .ci/run installs the rest.
#
# Smaller than `cargo build --release`: std is rebuilt for the probe without
# its backtrace printer (gimli, addr2line, miniz: a probe built with
# panic=abort never prints a backtrace) and without unwind tables, which
# takes the slim x86_64 binary from 1,098,000 to 735,096 bytes. That takes
# cargo's -Z build-std, which the stable toolchain allows with
# RUSTC_BOOTSTRAP=1 (as the Linux kernel builds its Rust code); the result is
# tested like any build: CI runs the whole suite against these artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: scripts/release.sh VERSION}
crate_version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
if [ "$version" != "$crate_version" ]; then
  echo "release.sh: VERSION $version is not Cargo.toml's $crate_version" >&2
  exit 1
fi

build_dir=target/release-build
rm -rf "$build_dir" dist
mkdir -p dist
cargo_home=${CARGO_HOME:-$HOME/.cargo}
rust_src="$(rustc --print sysroot)/lib/rustlib/src/rust"
[ -d "$rust_src/library" ] || rustup component add rust-src
remap="\"--remap-path-prefix=$PWD=/healthprobe\", \"--remap-path-prefix=$cargo_home=/cargo\""
remap="$remap, \"--remap-path-prefix=$rust_src=/rust\""
# cargo build through cargo-auditable (cargo install --locked cargo-auditable):
# it embeds the dependency list, compressed JSON in a .dep-v0 section, where
# Trivy, Grype and syft read it (a FROM scratch image has no package
# database) and rust-audit-info reads it back. It costs each binary 840
# bytes (632 in -slim: fewer crates), in a section not loaded at run time.
cargo_build() { RUSTC_BOOTSTRAP=1 cargo auditable build "$@"; }
# dist/healthprobe-VERSION.cdx.json: a CycloneDX SBOM of the crates in the
# build (default features: the -slim binaries hold a subset; the same crates
# for every Linux target), by cargo-cyclonedx (cargo install --locked
# cargo-cyclonedx), offline (it reads cargo metadata), and listed in
# SHA256SUMS. Reproducible: its timestamp is the commit's (SOURCE_DATE_EPOCH),
# it has no random serial number, and the checkout's path is replaced as in
# the binaries.
sbom() {
  local name=healthprobe-$version.cdx
  SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)} \
    cargo cyclonedx --quiet --format json --spec-version 1.5 \
    --target x86_64-unknown-linux-musl --override-filename "$name"
  jq --arg here "path+file://$PWD#" 'del(.serialNumber)
    | walk(if type == "string" then (split($here) | join("path+file:///healthprobe#")) else . end)' \
    "$name.json" >"dist/$name.json"
  rm "$name.json"
  (cd dist && sha256sum "$name.json" >>SHA256SUMS)
}

bash scripts/cross-toolchains.sh
all=$(bash scripts/cross-toolchains.sh --print)
platforms=${PLATFORMS:-$(awk '{print $1}' <<<"$all" | tr '\n' ' ')}
for platform in $platforms; do
  read -r _ triple _ _ musl < <(awk -v p="$platform" '$1 == p' <<<"$all")
  [ -n "${triple:-}" ] || { echo "release.sh: no platform $platform" >&2; exit 1; }
  # The file's name: the triple without its vendor; arm/v6 says armv6.
  arch=${triple/-unknown/}
  [ "$platform" = arm-v6 ] && arch=armv6${arch#arm}
  flags="$remap"
  if [ "$musl" != - ]; then
    # musl, its start files and libunwind that cross-toolchains.sh put there.
    lib="$PWD/target/cross/$triple/lib"
    flags="$flags, \"-L\", \"native=$lib\", \"-C\", \"link-arg=-B$lib\""
  fi
  for variant in "" -slim; do
    features=()
    [ "$variant" = -slim ] && features=(--no-default-features)
    name="healthprobe-$version-$arch$variant"
    echo "== $name"
    start=$(date +%s)
    # --config adds to the rustflags of .cargo/config.toml (arrays are joined).
    cargo_build --quiet --release --locked --target "$triple" "${features[@]}" \
      -Z build-std=std,panic_abort -Z build-std-features= \
      --target-dir "$build_dir" --config "target.$triple.rustflags = [$flags]"
    cp "$build_dir/$triple/release/healthprobe" "dist/$name"
    echo "   $(stat -c %s "dist/$name") bytes in $(($(date +%s) - start))s"
    # The same file where the Dockerfile looks for it: Docker's name for the
    # architecture, and its variant (TARGETARCH-TARGETVARIANT: arm-v7).
    mkdir -p "dist/image/$platform$variant"
    cp "dist/$name" "dist/image/$platform$variant/healthprobe"
  done
done
# The man page and the shell completions, generated from the option table
# by tests/generated.rs and checked in under docs/ (dist/ is rebuilt from
# nothing above), shipped beside the binaries and listed in SHA256SUMS.
cp docs/man/healthprobe.1 dist/healthprobe.1
mkdir -p dist/completions
cp docs/completions/healthprobe.bash docs/completions/_healthprobe docs/completions/healthprobe.fish dist/completions/
(cd dist && sha256sum healthprobe-* healthprobe.1 completions/* > SHA256SUMS)
sbom
ls -l dist
cat dist/SHA256SUMS
