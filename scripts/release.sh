#!/usr/bin/env bash
# The release artifacts: static binaries for x86_64 and aarch64, with TLS and
# without (-slim), and their SHA256SUMS, in dist/; and the same files under
# dist/image/<docker arch>[-slim]/ for the Dockerfile.
#
#   bash scripts/release.sh 0.1.0
#
# VERSION must be the version in Cargo.toml (it is what --version prints).
# Reproducible: the same source and toolchain give the same bytes, wherever
# the checkout and the cargo home are (their paths are remapped out of the
# binaries) and however often it runs (each run builds from a clean target
# directory). Needs: rustup targets x86_64- and aarch64-unknown-linux-musl,
# the rust-src component, musl-tools and gcc-aarch64-linux-gnu (apt);
# .ci/run installs them.
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

for arch in x86_64 aarch64; do
  triple=$arch-unknown-linux-musl
  for variant in "" -slim; do
    features=()
    [ "$variant" = -slim ] && features=(--no-default-features)
    echo "== healthprobe-$version-$arch-linux-musl$variant"
    # --config adds to the rustflags of .cargo/config.toml (arrays are joined).
    RUSTC_BOOTSTRAP=1 cargo build --quiet --release --locked --target "$triple" "${features[@]}" \
      -Z build-std=std,panic_abort -Z build-std-features= \
      --target-dir "$build_dir" --config "target.$triple.rustflags = [$remap]"
    cp "$build_dir/$triple/release/healthprobe" "dist/healthprobe-$version-$arch-linux-musl$variant"
    # The same file where the Dockerfile looks for it, by Docker's name for
    # the architecture.
    case $arch in x86_64) docker_arch=amd64 ;; aarch64) docker_arch=arm64 ;; esac
    mkdir -p "dist/image/$docker_arch$variant"
    cp "dist/healthprobe-$version-$arch-linux-musl$variant" "dist/image/$docker_arch$variant/healthprobe"
  done
done
(cd dist && sha256sum healthprobe-* > SHA256SUMS)
ls -l dist
cat dist/SHA256SUMS
