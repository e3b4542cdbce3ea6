#!/usr/bin/env bash
# Benchmark (not a test): the release artifacts against an empty Rust program
# built the same way (the floor), busybox wget and curl, side by side against
# a real nginx (and a grpcio server) on loopback. Prints Markdown tables and
# exits non-zero when a target of issue 14 is missed.
#
#   bash benches/compare.sh               # 3 rounds x 300 runs per command
#   ROUNDS=5 RUNS=1000 bash benches/compare.sh
#
# Shared machines drift: every round runs every command (hyperfine, -N, in a
# rotated order), and a command's time is the median of its round medians;
# the spread is the lowest and highest round median. Ratios are taken within
# a round, so drift between rounds does not enter them.
#
# Placement: on a VM, whether the client and nginx share a CPU changed every
# loopback exchange's cost by half or more (waking an idle virtual CPU is
# slow), and the scheduler changed its mind between rounds. So the servers
# and every command run on one CPU (the last), the same placement for all;
# PIN=0 leaves placement to the scheduler.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
RUNS=${RUNS:-300}
pin=()
if [ "${PIN:-1}" != 0 ]; then pin=(taskset -c "$(($(nproc) - 1))"); fi

need=()
command -v nginx >/dev/null || need+=(nginx-light)
command -v hyperfine >/dev/null || need+=(hyperfine)
[ -x /bin/busybox ] || need+=(busybox-static)
command -v curl >/dev/null || need+=(curl)
command -v musl-gcc >/dev/null || need+=(musl-tools)
command -v strace >/dev/null || need+=(strace)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

work=$(mktemp -d)
grpc_pid=""
cleanup() {
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
  [ -n "$grpc_pid" ] && kill "$grpc_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The artifacts as users get them, and the floor built the same way.
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
[ -f "dist/healthprobe-$version-x86_64-linux-musl" ] || bash scripts/release.sh "$version" >/dev/null
hp="$PWD/dist/healthprobe-$version-x86_64-linux-musl"
slim="$PWD/dist/healthprobe-$version-x86_64-linux-musl-slim"
(cd benches/empty && RUSTC_BOOTSTRAP=1 cargo build -q --release --locked --target x86_64-unknown-linux-musl \
  -Z build-std=std,panic_abort -Z build-std-features=)
empty="$PWD/benches/empty/target/x86_64-unknown-linux-musl/release/empty"
# The exchange alone, in C: what the loopback round trip costs here.
exchange="$work/exchange"
musl-gcc -O2 -static -o "$exchange" benches/exchange.c

# The reference gRPC server (grpcio), for the gRPC row.
python=${HEALTHPROBE_TEST_PYTHON:-$PWD/target/grpc-venv/bin/python}
if ! "$python" -c 'import grpc, grpc_health.v1' 2>/dev/null; then
  python3 -m venv target/grpc-venv && target/grpc-venv/bin/pip install -q grpcio grpcio-health-checking
  python=$PWD/target/grpc-venv/bin/python
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
mkdir -p "$work/logs" "$work/www"
head -c 100000000 /dev/zero >"$work/www/big"
cat >"$work/nginx.conf" <<CONF
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
"${pin[@]}" nginx -c "$work/nginx.conf" -p "$work"
for _ in $(seq 50); do "$hp" -q "tcp://127.0.0.1:$port" && break; sleep 0.1; done
gport=$(free_port)
HEALTH_SERVER_FOREVER=1 "${pin[@]}" "$python" tests/support/grpc_health_server.py "$gport" >/dev/null </dev/null &
grpc_pid=$!
for _ in $(seq 100); do "$hp" -q "grpc://127.0.0.1:$gport" && break; sleep 0.1; done

url="http://127.0.0.1:$port/health"
names=(empty-rust-floor c-http-exchange version http http-slim tcp grpc 3-targets busybox-wget curl)
cmds=("$empty" "$exchange $port" "$hp --version" "$hp $url" "$slim $url" "$hp tcp 127.0.0.1:$port" "$hp grpc 127.0.0.1:$gport"
  "$hp $url tcp://127.0.0.1:$port $url" "busybox wget -q -O /dev/null $url" "curl -fsS -o /dev/null $url")
for round in $(seq "$ROUNDS"); do
  args=()
  n=${#names[@]}
  for i in $(seq 0 $((n - 1))); do
    j=$(((i + round) % n)) # each round starts with another command
    args+=(-n "${names[$j]}" "${cmds[$j]}")
  done
  "${pin[@]}" hyperfine -N --warmup 30 --runs "$RUNS" --export-json "$work/round$round.json" "${args[@]}" >/dev/null 2>&1
done

rss() { # median peak RSS (KiB) of 21 runs, measured by GNU time (a small forker)
  for _ in $(seq 21); do /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; done | sort -n | sed -n 11p
}
{
  echo "empty-rust-floor $(rss "$empty")"
  echo "version $(rss "$hp" --version)"
  echo "http $(rss "$hp" "$url")"
  echo "http-slim $(rss "$slim" "$url")"
  echo "tcp $(rss "$hp" tcp "127.0.0.1:$port")"
  echo "http-100MB-body $(rss "$hp" "http://127.0.0.1:$port/big")"
  echo "http-100MB-body-contains $(rss "$hp" --body-contains NOPE "http://127.0.0.1:$port/big")"
  echo "busybox-wget $(rss busybox wget -q -O /dev/null "$url")"
  echo "curl $(rss curl -fsS -o /dev/null "$url")"
} >"$work/rss.txt"

forks() { # processes and threads started by one run (clone/fork/vfork), and system calls
  strace -f -c -o "$work/strace.txt" "$@" >/dev/null 2>&1 || true
  awk '$NF ~ /^(clone|clone3|fork|vfork)$/ {n += $4} $NF == "total" {t = $4} END {print n+0, t+0}' "$work/strace.txt"
}
{
  echo "version $(forks "$hp" --version)"
  echo "http $(forks "$hp" "$url")"
  echo "tcp $(forks "$hp" tcp "127.0.0.1:$port")"
} >"$work/strace-summary.txt"

sizes=""
for f in dist/healthprobe-"$version"-*-linux-musl*; do sizes="$sizes $(basename "$f")=$(stat -c %s "$f")"; done

python3 - "$work" "$ROUNDS" "$sizes" "${PIN:-1}" <<'PY'
import json, statistics, sys
work, rounds, sizes = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
per_round = []
for r in range(1, rounds + 1):
    results = json.load(open(f"{work}/round{r}.json"))["results"]
    per_round.append({x["command"]: x["median"] * 1000 for x in results})
names = list(per_round[0])
def med(name):
    return statistics.median(r[name] for r in per_round)
def spread(name):
    v = [r[name] for r in per_round]
    return f"{min(v):.3f}-{max(v):.3f}"
def ratio(a, b):  # median over rounds of the within-round ratio
    return statistics.median(r[a] / r[b] for r in per_round)
rss = dict((l.split()[0], int(l.split()[1])) for l in open(f"{work}/rss.txt"))
sc = {l.split()[0]: (int(l.split()[1]), int(l.split()[2])) for l in open(f"{work}/strace-summary.txt")}
pinned = "every command and server on one CPU" if sys.argv[4] != "0" else "placement left to the scheduler"
print(f"{rounds} rounds; per command: median of round medians (spread: lowest-highest round median); {pinned}")
print()
print("| command | median ms | spread ms | x empty Rust | x busybox wget | x curl | peak RSS KiB |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for n in names:
    print(f"| {n} | {med(n):.3f} | {spread(n)} | {ratio(n, 'empty-rust-floor'):.2f} | "
          f"{ratio(n, 'busybox-wget'):.2f} | {ratio(n, 'curl'):.3f} | {rss.get(n, '')} |")
print()
print("| other measure | value |")
print("| --- | ---: |")
for k in ("http-100MB-body", "http-100MB-body-contains"):
    print(f"| peak RSS {k} | {rss[k]} KiB |")
for k, (f, s) in sc.items():
    print(f"| {k}: threads/processes started, system calls | {f}, {s} |")
size = {}
for item in sizes:
    name, n = item.split("=")
    size[name] = int(n)
    print(f"| {name} | {int(n)} bytes ({int(n) / 1024:.0f} KiB) |")
slim = [n for k, n in size.items() if k.endswith("-slim")]
tls = [n for k, n in size.items() if not k.endswith("-slim")]
checks = [
    ("--version <= 1.5x the empty Rust program", ratio("version", "empty-rust-floor") <= 1.5, f"{ratio('version', 'empty-rust-floor'):.2f}x"),
    ("http <= 2.5x the empty Rust program", ratio("http", "empty-rust-floor") <= 2.5, f"{ratio('http', 'empty-rust-floor'):.2f}x"),
    ("http <= 0.9x busybox wget", ratio("http", "busybox-wget") <= 0.9, f"{ratio('http', 'busybox-wget'):.2f}x"),
    ("tcp <= 2.0x the empty Rust program", ratio("tcp", "empty-rust-floor") <= 2.0, f"{ratio('tcp', 'empty-rust-floor'):.2f}x"),
    ("curl >= 10x slower than http", ratio("curl", "http") >= 10, f"{ratio('curl', 'http'):.1f}x"),
    ("binaries without TLS <= 800 KiB", bool(slim) and max(slim) <= 800 * 1024, f"{max(slim) / 1024:.0f} KiB"),
    ("binaries with TLS <= 1.7 MiB", bool(tls) and max(tls) <= 1.7 * 1024 * 1024, f"{max(tls) / 1024:.0f} KiB"),
    ("peak RSS http without TLS <= 800 KiB", rss["http-slim"] <= 800, f"{rss['http-slim']} KiB"),
    ("peak RSS http with TLS <= 1.2 MiB", rss["http"] <= 1.2 * 1024, f"{rss['http']} KiB"),
    ("peak RSS bounded with a 100 MB body", rss["http-100MB-body-contains"] <= rss["http"] + 256, f"{rss['http-100MB-body-contains']} KiB"),
    ("no thread or child for one http/tcp target", sc["http"][0] == 0 and sc["tcp"][0] == 0, f"{sc['http'][0]}, {sc['tcp'][0]}"),
]
print()
print(f"The HTTP exchange alone (benches/exchange.c: connect, send, read, exit) takes "
      f"{ratio('c-http-exchange', 'empty-rust-floor'):.2f}x the empty Rust program here; "
      f"the probe's http check takes {ratio('http', 'c-http-exchange'):.2f}x the exchange alone.")
print()
print("| target | met | measured |")
print("| --- | --- | --- |")
for name, ok, got in checks:
    print(f"| {name} | {'yes' if ok else 'NO'} | {got} |")
sys.exit(0 if all(ok for _, ok, _ in checks) else 1)
PY
