#!/usr/bin/env bash
# Benchmark (not a test): healthprobe against busybox wget and curl, side by side
# in one run, against a real nginx on loopback. Prints a Markdown table and
# exits non-zero when a target of the performance issue is missed.
#
#   bash benches/compare.sh            # RUNS=1000 by default
#   RUNS=300 bash benches/compare.sh   # quicker, noisier
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-1000}
TARGET=x86_64-unknown-linux-musl

need=()
command -v nginx >/dev/null || need+=(nginx-light)
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v busybox >/dev/null || need+=(busybox-static)
command -v curl >/dev/null || need+=(curl)
command -v strace >/dev/null || need+=(strace)
[ -x /usr/bin/time ] || need+=(time)
command -v musl-gcc >/dev/null || need+=(musl-tools)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
rustup target add "$TARGET" >/dev/null 2>&1 || true

work=$(mktemp -d)
grpc_pid=""
cleanup() {
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
  [ -n "$grpc_pid" ] && kill "$grpc_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The reference gRPC server (grpcio), for the gRPC row.
python=${HEALTHPROBE_TEST_PYTHON:-$PWD/target/grpc-venv/bin/python}
if ! "$python" -c 'import grpc, grpc_health.v1' 2>/dev/null; then
  python3 -m venv target/grpc-venv && target/grpc-venv/bin/pip install -q grpcio grpcio-health-checking
  python=$PWD/target/grpc-venv/bin/python
fi

cargo build -q --release --target "$TARGET" --no-default-features
cp "target/$TARGET/release/healthprobe" "$work/healthprobe-notls"
cargo build -q --release --target "$TARGET"
cp "target/$TARGET/release/healthprobe" "$work/healthprobe"
hp="$work/healthprobe"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/logs" "$work/www"
head -c 100000000 /dev/zero > "$work/www/big"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
error_log $work/logs/error.log;
pid $work/nginx.pid;
events { worker_connections 256; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$port;
    root $work/www;
    location = /health { return 200 "ok\n"; }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work"
for _ in $(seq 50); do "$hp" -q "tcp://127.0.0.1:$port" && break; sleep 0.1; done
gport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HEALTH_SERVER_FOREVER=1 "$python" tests/support/grpc_health_server.py "$gport" >/dev/null </dev/null &
grpc_pid=$!
for _ in $(seq 100); do "$hp" -q "grpc://127.0.0.1:$gport" && break; sleep 0.1; done

url="http://127.0.0.1:$port/health"
hyperfine -N --warmup 100 --runs "$RUNS" --export-json "$work/times.json" \
  -n healthprobe-http "$hp $url" \
  -n healthprobe-tcp "$hp tcp 127.0.0.1:$port" \
  -n healthprobe-grpc "$hp grpc 127.0.0.1:$gport" \
  -n healthprobe-3-targets "$hp $url tcp://127.0.0.1:$port $url" \
  -n busybox-wget "busybox wget -q -O /dev/null $url" \
  -n curl "curl -fsS -o /dev/null $url" \
  -n healthprobe-version-floor "$hp --version" >/dev/null 2>&1

rss() { # median peak RSS (KiB) of 21 runs
  for _ in $(seq 21); do /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; done | sort -n | sed -n 11p
}
{
  echo "healthprobe-http $(rss "$hp" "$url")"
  echo "healthprobe-tcp $(rss "$hp" tcp "127.0.0.1:$port")"
  echo "healthprobe-notls-http $(rss "$work/healthprobe-notls" "$url")"
  echo "healthprobe-100MB-body $(rss "$hp" "http://127.0.0.1:$port/big")"
  echo "healthprobe-100MB-body-contains $(rss "$hp" --body-contains NOPE "http://127.0.0.1:$port/big")"
  echo "busybox-wget $(rss busybox wget -q -O /dev/null "$url")"
  echo "curl $(rss curl -fsS -o /dev/null "$url")"
} > "$work/rss.txt"

forks() { # processes and threads started by one run (clone/fork/vfork)
  strace -f -c -o "$work/strace.txt" "$@" >/dev/null 2>&1 || true
  awk '$NF ~ /^(clone|clone3|fork|vfork)$/ {n += $4} END {print n+0}' "$work/strace.txt"
}
syscalls() { strace -f -c -o "$work/strace.txt" "$@" >/dev/null 2>&1 || true; awk '$NF == "total" {print $4}' "$work/strace.txt"; }
{
  echo "healthprobe-http $(forks "$hp" "$url") $(syscalls "$hp" "$url")"
  echo "healthprobe-tcp $(forks "$hp" tcp "127.0.0.1:$port") $(syscalls "$hp" tcp "127.0.0.1:$port")"
} > "$work/strace-summary.txt"

python3 - "$work" "$(stat -c %s "$hp")" "$(stat -c %s "$work/healthprobe-notls")" <<'PY'
import json, sys
work, size_tls, size_plain = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
times = {r["command"]: r["median"] * 1000 for r in json.load(open(f"{work}/times.json"))["results"]}
rss = dict((l.split()[0], int(l.split()[1])) for l in open(f"{work}/rss.txt"))
sc = {l.split()[0]: (int(l.split()[1]), int(l.split()[2])) for l in open(f"{work}/strace-summary.txt")}
wget, curl, floor = times["busybox-wget"], times["curl"], times["healthprobe-version-floor"]
print("| command | median ms | × busybox wget | × curl | peak RSS KiB |")
print("| --- | ---: | ---: | ---: | ---: |")
for name, t in times.items():
    print(f"| {name} | {t:.3f} | {t / wget:.2f} | {t / curl:.3f} | {rss.get(name, '')} |")
print()
print("| other measure | value |")
print("| --- | ---: |")
for k in ("healthprobe-notls-http", "healthprobe-100MB-body", "healthprobe-100MB-body-contains"):
    print(f"| peak RSS {k} | {rss[k]} KiB |")
for k, (f, s) in sc.items():
    print(f"| {k}: threads/processes started, syscalls | {f}, {s} |")
print(f"| static binary, tls | {size_tls} bytes ({size_tls / 1024:.0f} KiB) |")
print(f"| static binary, no tls | {size_plain} bytes ({size_plain / 1024:.0f} KiB) |")
http = times["healthprobe-http"]
slowest_single = max(times["healthprobe-http"], times["healthprobe-tcp"])
checks = [
    ("http <= 0.6x busybox wget", http <= 0.6 * wget, f"{http / wget:.2f}x"),
    ("http <= 0.1x curl", http <= 0.1 * curl, f"{http / curl:.3f}x"),
    ("http within 1.3x of --version floor", http <= 1.3 * floor, f"{http / floor:.2f}x"),
    ("peak RSS http <= 1 MiB (tls build)", rss["healthprobe-http"] <= 1024, f"{rss['healthprobe-http']} KiB"),
    ("peak RSS tcp <= 1 MiB (tls build)", rss["healthprobe-tcp"] <= 1024, f"{rss['healthprobe-tcp']} KiB"),
    ("peak RSS bounded with a 100 MB body", rss["healthprobe-100MB-body-contains"] <= rss["healthprobe-http"] + 256, f"{rss['healthprobe-100MB-body-contains']} KiB"),
    ("no thread or child for one http/tcp target", all(f == 0 for f, _ in sc.values()), str([f for f, _ in sc.values()])),
    ("binary <= 900 KiB without tls", size_plain <= 900 * 1024, f"{size_plain / 1024:.0f} KiB"),
    ("binary <= 2 MiB with tls", size_tls <= 2 * 1024 * 1024, f"{size_tls / 1024:.0f} KiB"),
    ("3 targets ~ the slowest one (<= 1.5x)", times["healthprobe-3-targets"] <= 1.5 * slowest_single, f"{times['healthprobe-3-targets'] / slowest_single:.2f}x"),
]
print()
print("| target | met | measured |")
print("| --- | --- | --- |")
for name, ok, got in checks:
    print(f"| {name} | {'yes' if ok else 'NO'} | {got} |")
sys.exit(0 if all(ok for _, ok, _ in checks) else 1)
PY
