#!/usr/bin/env bash
# What the release builds for the six platforms beyond amd64 and arm64 need,
# installed from Debian packages and built from rust-src, so that one
# `bash scripts/release.sh VERSION` works on a fresh Debian machine. Called
# by scripts/release.sh; idempotent (a second run only checks).
#
#   bash scripts/cross-toolchains.sh            # everything for all targets
#   bash scripts/cross-toolchains.sh --print    # the table below, nothing installed
#   PLATFORMS="arm-v7 s390x" bash scripts/cross-toolchains.sh   # only these
#
# Why so much: rustup offers this toolchain's rust-std for none of
# armv7-/arm-unknown-linux-musleabi(hf), powerpc64le-, riscv64gc- and
# s390x-unknown-linux-musl (the download is refused; s390x is tier 3), so
# release.sh builds their std with -Z build-std, as it already does for the
# others. What rust-std would have brought must then come from elsewhere:
#   - musl's start files and libc.a: Debian's multiarch musl-dev for armhf,
#     armel, ppc64el and s390x; bookworm has no riscv64 port, so musl for
#     riscv64 is built here from Debian's musl source package.
#   - an unwinder (std's unwind crate links -lunwind on musl): LLVM's
#     libunwind from rust-src, compiled against musl's headers. Debian's
#     libgcc_eh.a is no substitute on s390x, ppc64le and riscv64: it calls
#     glibc's _dl_find_object, which musl does not have.
#   - a linker and C compiler (ring's C and assembly): Debian's cross gcc.
# arm/v6 is built soft-float (arm-unknown-linux-musleabi, ARMv6) against
# Debian's armel (ARMv5TE) musl and gcc: Debian's armhf objects (crtbegin.o,
# libc.a) are ARMv7 Thumb-2 and would fault on an ARMv6 CPU; a static
# binary's float ABI is its own business, so it runs on hard-float ARMv6
# systems (Raspberry Pi 1 and Zero) all the same.
# i686 (linux/386) gets its rust-std from rustup like amd64 and arm64.
#
# Output, per target without rust-std: target/cross/<triple>/lib with
# crt1.o, crti.o, crtn.o, libc.a and libunwind.a (release.sh links with
# -B and -L there).
set -euo pipefail
cd "$(dirname "$0")/.."

# docker platform dir | rust triple | Debian arch ("-": none needed) | gcc prefix | musl multiarch
TARGETS="
amd64   x86_64-unknown-linux-musl          -       -                    -
arm64   aarch64-unknown-linux-musl         -       aarch64-linux-gnu    -
386     i686-unknown-linux-musl            -       i686-linux-gnu       -
arm-v7  armv7-unknown-linux-musleabihf     armhf   arm-linux-gnueabihf  arm-linux-musleabihf
arm-v6  arm-unknown-linux-musleabi         armel   arm-linux-gnueabi    arm-linux-musleabi
ppc64le powerpc64le-unknown-linux-musl     ppc64el powerpc64le-linux-gnu powerpc64le-linux-musl
s390x   s390x-unknown-linux-musl           s390x   s390x-linux-gnu      s390x-linux-musl
riscv64 riscv64gc-unknown-linux-musl       riscv64 riscv64-linux-gnu    riscv64-linux-musl
"
if [ "${1:-}" = --print ]; then
  echo "$TARGETS" | grep .
  exit 0
fi
if [ -n "${PLATFORMS:-}" ]; then
  TARGETS=$(awk -v want=" $PLATFORMS " 'NF && index(want, " " $1 " ")' <<<"$TARGETS")
fi

log() { echo "cross-toolchains: $*" >&2; }
apt_install() {
  [ "$(id -u)" = 0 ] || { log "need root to install: $*"; exit 1; }
  # Some index (a port's security updates) may be missing: apt still works.
  apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# --- Debian packages: cross compilers, musl for the architectures that have it
need=()
command -v musl-gcc >/dev/null || need+=(musl-tools)
foreign=$(dpkg --print-foreign-architectures)
added=""
while read -r _ triple arch prefix musl; do
  [ -n "$triple" ] || continue
  [ "$prefix" = - ] || command -v "$prefix-gcc" >/dev/null || need+=("gcc-$prefix")
  # libunwind is partly C++: g++ for the targets it is built for.
  [ "$musl" = - ] || command -v "$prefix-g++" >/dev/null || need+=("g++-$prefix")
  [ "$musl" = - ] || [ "$arch" = riscv64 ] || [ -f "/usr/lib/$musl/libc.a" ] || {
    grep -qx "$arch" <<<"$foreign" || { dpkg --add-architecture "$arch"; added=yes; }
    need+=("musl-dev:$arch")
  }
done <<<"$TARGETS"
# riscv64 musl is built from source: its Debian source package, and make.
src_dir=target/cross/src
[ -f "$src_dir/musl.tar.gz" ] || command -v dpkg-source >/dev/null || need+=(dpkg-dev)
if [ ${#need[@]} -gt 0 ] || [ -n "$added" ]; then
  log "installing ${need[*]}"
  apt_install "${need[@]}"
fi

rustup target add x86_64-unknown-linux-musl aarch64-unknown-linux-musl i686-unknown-linux-musl >/dev/null 2>&1 \
  || rustup target add x86_64-unknown-linux-musl aarch64-unknown-linux-musl i686-unknown-linux-musl
rust_src="$(rustc --print sysroot)/lib/rustlib/src/rust"
[ -d "$rust_src/library" ] || rustup component add rust-src
unwind_src="$rust_src/src/llvm-project/libunwind"
[ -d "$unwind_src/src" ] || { log "rust-src has no src/llvm-project/libunwind"; exit 1; }

# --- musl for riscv64, from Debian's source package ---------------------------
musl_source() {
  [ -f "$src_dir/musl.tar.gz" ] && return
  mkdir -p "$src_dir/dl"
  if ! (cd "$src_dir/dl" && apt-get source -qq --download-only musl >/dev/null 2>&1); then
    # No deb-src entry: add one for each configured deb entry (same hosts,
    # same suites), then ask again.
    [ "$(id -u)" = 0 ] || { log "need root to add deb-src entries"; exit 1; }
    for f in /etc/apt/sources.list.d/*.sources; do
      case $f in */healthprobe-src-*) continue ;; esac
      [ -f "$f" ] || continue
      sed 's/^Types: deb$/Types: deb-src/' "$f" >"/etc/apt/sources.list.d/healthprobe-src-$(basename "$f")"
    done
    if [ -f /etc/apt/sources.list ]; then
      sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >/etc/apt/sources.list.d/healthprobe-src.list
    fi
    apt-get update -qq || true
    (cd "$src_dir/dl" && apt-get source -qq --download-only musl >/dev/null)
  fi
  mv "$src_dir"/dl/musl_*.orig.tar.gz "$src_dir/musl.tar.gz"
  rm -rf "$src_dir/dl"
}

build_musl() { # build_musl TRIPLE GCC-PREFIX ARCH -> target/cross/TRIPLE/musl
  local out=$PWD/target/cross/$1/musl work
  [ -f "$out/lib/libc.a" ] && return
  musl_source
  log "building musl for $1"
  work=$(mktemp -d /tmp/healthprobe-musl.XXXXXX)
  tar -xzf "$src_dir/musl.tar.gz" -C "$work" --strip-components=1
  (cd "$work" && ./configure -q --target="$3" --prefix="$out" --disable-shared \
    CC="$2-gcc" CROSS_COMPILE="$2-" >/dev/null && make -s -j"$(nproc)" >/dev/null 2>"$work/make.log" && make -s install >/dev/null) \
    || { tail -20 "$work/make.log"; exit 1; }
  rm -rf "$work"
}

# --- libunwind from rust-src, against musl's headers --------------------------
build_unwind() { # build_unwind TRIPLE GCC-PREFIX MUSL-INCLUDE OUT-LIB EXTRA-CFLAGS...
  local triple=$1 cc=$2-gcc cxx=$2-g++ ar=$2-ar inc=$3 out=$4 work f o objs=()
  shift 4
  [ -f "$out/libunwind.a" ] && return
  log "building libunwind for $triple"
  work=$(mktemp -d /tmp/healthprobe-unwind.XXXXXX)
  local flags=(-O2 -nostdinc -I "$unwind_src/include" -isystem "$inc" -isystem "$($cc -print-file-name=include)"
    -D_LIBUNWIND_IS_NATIVE_ONLY -D_LIBUNWIND_DISABLE_VISIBILITY_ANNOTATIONS -DNDEBUG
    -fno-exceptions -funwind-tables -fvisibility=hidden -fstrict-aliasing "$@")
  for f in libunwind.cpp Unwind-EHABI.cpp UnwindLevel1.c UnwindLevel1-gcc-ext.c \
    UnwindRegistersRestore.S UnwindRegistersSave.S; do
    o="$work/${f%.*}.o"
    case $f in
      *.cpp) $cxx "${flags[@]}" -std=c++17 -nostdinc++ -fno-rtti -c "$unwind_src/src/$f" -o "$o" ;;
      *.c) $cc "${flags[@]}" -std=c99 -c "$unwind_src/src/$f" -o "$o" ;;
      *.S) $cc "${flags[@]}" -c "$unwind_src/src/$f" -o "$o" ;;
    esac
    objs+=("$o")
  done
  "$ar" crsD "$work/libunwind.a" "${objs[@]}"
  mkdir -p "$out"
  mv "$work/libunwind.a" "$out/libunwind.a"
  rm -rf "$work"
}

while read -r _ triple arch prefix musl; do
  [ -n "$triple" ] && [ "$musl" != - ] || continue
  lib=target/cross/$triple/lib
  extra=()
  case $triple in
    # musl's headers on powerpc64 insist on a 64-bit long double.
    powerpc64le-*) extra=(-mlong-double-64) ;;
  esac
  if [ "$arch" = riscv64 ]; then
    build_musl "$triple" "$prefix" riscv64
    musl_lib=$PWD/target/cross/$triple/musl/lib musl_inc=$PWD/target/cross/$triple/musl/include
  else
    musl_lib=/usr/lib/$musl musl_inc=/usr/include/$musl
  fi
  build_unwind "$triple" "$prefix" "$musl_inc" "$lib" "${extra[@]}"
  for f in crt1.o crti.o crtn.o libc.a; do
    cmp -s "$musl_lib/$f" "$lib/$f" || cp "$musl_lib/$f" "$lib/$f"
  done
done <<<"$TARGETS"
log "ready: $(echo "$TARGETS" | awk 'NF {print $2}' | tr '\n' ' ')"
