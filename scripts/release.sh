#!/usr/bin/env bash
# The release artifacts: static binaries for the eight Linux platforms
# Docker runs (amd64, arm64, 386, arm/v7, arm/v6, ppc64le, s390x, riscv64),
# with TLS and without (-slim), and their SHA256SUMS, in dist/; and the same
# files under dist/image/<docker arch>[-<variant>][-slim]/ for the Dockerfile
# (arm/v7 -> arm-v7).
#
#   bash scripts/release.sh 0.1.0
#   PLATFORMS="amd64 s390x" bash scripts/release.sh 0.1.0   # only these
#
# VERSION must be the version in Cargo.toml (it is what --version prints).
# Reproducible: the same source and toolchain give the same bytes, wherever
# the checkout and the cargo home are (their paths are remapped out of the
# binaries) and however often it runs (each run builds from a clean target
# directory). What it needs (rustup targets, rust-src, Debian's cross
# compilers and musl, libunwind) scripts/cross-toolchains.sh installs or
# builds first; see there for why each piece.
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
    RUSTC_BOOTSTRAP=1 cargo build --quiet --release --locked --target "$triple" "${features[@]}" \
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
(cd dist && sha256sum healthprobe-* > SHA256SUMS)
ls -l dist
cat dist/SHA256SUMS
