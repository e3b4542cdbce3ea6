#!/usr/bin/env bash
# End-to-end: a real Docker engine judges real FROM scratch images that carry
# the static healthprobe binary and busybox as the app; the root Dockerfile's
# image is built for all eight platforms, and emulated arm64, arm/v7 (32-bit)
# and s390x (big-endian) containers turn healthy and unhealthy under Docker
# and (arm/v7, s390x) Podman. Run by .ci/run.
#
#   bash tests/docker-e2e.sh
#
# Uses the engine at $DOCKER_HOST if one answers, else starts its own
# (docker.io from apt; vfs storage, host networking only). Under CI=true an
# engine that cannot start is a failure; elsewhere the suite skips.
# Everything it starts it removes again, by id, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=x86_64-unknown-linux-musl
WORK=$(mktemp -d /tmp/healthprobe-e2e.XXXXXX)
T0=$(date +%s)

log() { printf '[e2e %3ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
fail() {
  log "FAIL: $*"
  exit 1
}

containers=() images=() services=() compose_files=() joined_swarm="" engine_pid=""
cleanup() {
  set +e
  for f in "${compose_files[@]}"; do docker-compose -f "$f" -p hpe2e down -t 1 >/dev/null 2>&1; done
  for s in "${services[@]}"; do
    docker service rm "$s" >/dev/null 2>&1
    docker ps -aq --filter "label=com.docker.swarm.service.name=$s" | xargs -r docker rm -f >/dev/null 2>&1
  done
  [ -n "$joined_swarm" ] && docker swarm leave --force >/dev/null 2>&1
  for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1; done
  for i in "${images[@]}"; do docker rmi -f "$i" >/dev/null 2>&1; done
  if [ -n "$engine_pid" ]; then
    kill "$engine_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$engine_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$engine_pid" 2>/dev/null
  fi
  rm -rf "$WORK" 2>/dev/null
}
trap cleanup EXIT

skip_or_fail() {
  if [ "${CI:-}" = "true" ]; then fail "$*"; fi
  log "SKIPPED: $* (set CI=true to make this a failure)"
  exit 0
}

# --- engine -------------------------------------------------------------------
engine_ok() { timeout 10 docker info >/dev/null 2>&1; }
if ! command -v docker >/dev/null || ! command -v dockerd >/dev/null || ! command -v docker-compose >/dev/null \
  || [ ! -x /bin/busybox ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing docker.io, docker-compose, busybox-static"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io docker-compose busybox-static >/dev/null
  fi
fi
command -v docker >/dev/null || skip_or_fail "no docker client"
if [ -z "${DOCKER_HOST:-}" ] || ! engine_ok; then
  export DOCKER_HOST=unix:///tmp/healthprobe-e2e-docker.sock
  if ! engine_ok; then
    [ "$(id -u)" = 0 ] || skip_or_fail "no Docker engine, and starting one needs root"
    log "starting dockerd"
    dockerd --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none \
      --host="$DOCKER_HOST" --data-root=/tmp/healthprobe-e2e-docker \
      --exec-root=/tmp/healthprobe-e2e-docker-exec --pidfile=/tmp/healthprobe-e2e-docker.pid \
      >"$WORK/dockerd.log" 2>&1 &
    engine_pid=$!
    for _ in $(seq 60); do engine_ok && break; sleep 0.5; done
    engine_ok || { tail -20 "$WORK/dockerd.log"; skip_or_fail "the Docker engine did not start"; }
  fi
fi
log "engine: $(docker version --format '{{.Server.Version}}') at $DOCKER_HOST"

# --- the binary and the images ------------------------------------------------
rustup target add "$TARGET"
cargo build -q --release --locked --target "$TARGET"
BIN="$ROOT/target/$TARGET/release/healthprobe"
file_type=$(head -c 4 "$BIN" | od -An -c | tr -d ' ')
[ "$file_type" = "177ELF" ] || fail "not an ELF binary: $BIN"
if readelf -l "$BIN" 2>/dev/null | grep -q INTERP; then fail "$BIN is dynamically linked"; fi
BIN_SIZE=$(stat -c %s "$BIN")
BUSYBOX_SIZE=$(stat -c %s /bin/busybox)
log "static binary: $BIN_SIZE bytes"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# build_image TAG USER HEALTHCHECK-JSON [HEALTHCHECK OPTIONS]: FROM scratch with
# busybox as the app, /www for httpd, healthprobe, and the given HEALTHCHECK.
build_image() {
  local tag=$1 user=$2 check=$3 opts=$4 ctx="$WORK/ctx-$1"
  mkdir -p "$ctx/www/cgi-bin" "$ctx/tmp"
  cp /bin/busybox "$ctx/busybox"
  cp "$BIN" "$ctx/healthprobe"
  printf '#!/bin/busybox sh\n/bin/busybox sleep 300\n' >"$ctx/www/cgi-bin/silent"
  chmod 755 "$ctx/www/cgi-bin/silent"
  chmod 1777 "$ctx/tmp"
  cat >"$ctx/Dockerfile" <<EOF
FROM scratch
COPY busybox /bin/busybox
COPY healthprobe /healthprobe
COPY --chown=65534:65534 www /www
COPY tmp /tmp
USER $user
HEALTHCHECK $opts CMD $check
ENTRYPOINT ["/bin/busybox"]
EOF
  DOCKER_BUILDKIT=0 docker build -q -t "hpe2e-$tag:latest" "$ctx" >/dev/null 2>"$WORK/build.log" \
    || { cat "$WORK/build.log"; fail "docker build $tag"; }
  images+=("hpe2e-$tag:latest")
}

run_container() { # run_container IMAGE ARGS... -> container id
  local id
  id=$(docker run -d --network host "$@")
  containers+=("$id")
  echo "$id"
}

status() { docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$1"; }

wait_status() { # wait_status ID WANT SECONDS
  local id=$1 want=$2 limit=$3 s
  for _ in $(seq $((limit * 5))); do
    s=$(status "$id")
    [ "$s" = "$want" ] && return 0
    sleep 0.2
  done
  docker inspect --format '{{json .State.Health}}' "$id" | head -c 3000
  echo
  fail "container ${id:0:12} is '$s', expected '$want' within ${limit}s"
}

last_log() { # the newest Health.Log entry: "<ExitCode> <Output>"
  docker inspect --format '{{json .State.Health.Log}}' "$1" | python3 -c '
import json, sys
log = json.load(sys.stdin)
e = log[-1]
print(e["ExitCode"], e["Output"].rstrip("\n"))'
}

check_log_entries() { # every Health.Log entry: exit code 0 or 1, output one line of the probe
  docker inspect --format '{{json .State.Health.Log}}' "$1" | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    out = e["Output"]
    assert e["ExitCode"] in (0, 1), e
    assert out.count("\n") == 1 and out.endswith("\n"), e
    assert out.startswith(("healthy: ", "unhealthy: ")), e
    assert len(out.encode()) <= 4096, e
' || fail "a Health.Log entry of ${1:0:12} is not the probe's one line with exit 0/1"
}

expect_last() { # expect_last ID CODE TEXT
  local got
  got=$(last_log "$1")
  case "$got" in
    "$2 "*"$3"*) log "  log: $got" ;;
    *) fail "last health log of ${1:0:12} is '$got', expected exit $2 and '$3'" ;;
  esac
}

# --- M. memory across runs: --restart-after, --start-interval (issue 29) ------
# HEALTHPROBE_E2E_ONLY=memory runs this part alone (after the images are built).
log "M. --restart-after restarts a container whose PID 1 handles SIGTERM, not one whose PID 1 would ignore it; --start-interval"
health_json() { docker inspect --format '{{json .State}}' "$1"; }
# restart: PID 1 is a shell that exits on SIGTERM; the app makes /www/health at start.
P=$(free_port)
build_image restart 0:0 "[\"/healthprobe\", \"--restart-after\", \"3\", \"--timeout\", \"2s\", \"http://localhost:$P/health\"]" \
  "--interval=1s --timeout=4s --retries=3"
c=$(run_container --restart unless-stopped hpe2e-restart sh -c \
  "echo ok > /www/health; trap 'exit 0' TERM; /bin/busybox httpd -f -p 127.0.0.1:$P -h /www & wait")
wait_status "$c" healthy 20
docker exec "$c" /bin/busybox rm /www/health
t=0
until [ "$(docker inspect --format '{{.RestartCount}}' "$c")" -ge 1 ]; do
  t=$((t + 1))
  [ $t -le 100 ] || { health_json "$c" | head -c 3000; fail "the engine did not restart ${c:0:12} within 20s"; }
  sleep 0.2
done
log "  restarted after $((t / 5))s of failing (RestartCount $(docker inspect --format '{{.RestartCount}}' "$c"))"
wait_status "$c" healthy 20
expect_last "$c" 0 "healthy: GET http://localhost:$P/health -> 200 OK"
docker rm -f "$c" >/dev/null
# no handler: PID 1 is busybox sleep, the app a daemon; the probe does not signal and says why.
P=$(free_port)
build_image nohandler 0:0 "[\"/healthprobe\", \"--restart-after\", \"3\", \"--timeout\", \"2s\", \"http://localhost:$P/health\"]" \
  "--interval=1s --timeout=4s --retries=3"
c=$(run_container --restart unless-stopped hpe2e-nohandler sh -c \
  "echo ok > /www/health; /bin/busybox httpd -p 127.0.0.1:$P -h /www; exec /bin/busybox sleep 1000")
wait_status "$c" healthy 20
docker exec "$c" /bin/busybox rm /www/health
wait_status "$c" unhealthy 20
sleep 2
expect_last "$c" 1 "failures in a row: PID 1 (busybox) has no SIGTERM handler and would not stop: not sent (run the container with --init, or handle SIGTERM in the app)"
[ "$(docker inspect --format '{{.RestartCount}} {{.State.Running}}' "$c")" = "0 true" ] \
  || fail "${c:0:12} without a SIGTERM handler was signalled or restarted"
docker rm -f "$c" >/dev/null
# start-up: interval 5s, the app ready at 6.5s; healthy at ~6.5s with --start-interval, at the 10s check without.
P1=$(free_port) P2=$(free_port)
build_image fast 0:0 "[\"/healthprobe\", \"--start-interval\", \"100ms\", \"--timeout\", \"3s\", \"http://localhost:$P1/health\"]" \
  "--interval=5s --timeout=4s"
build_image slow 0:0 "[\"/healthprobe\", \"--timeout\", \"3s\", \"http://localhost:$P2/health\"]" \
  "--interval=5s --timeout=4s"
app() { echo "echo ok > /www/health; /bin/busybox sleep 6.5; exec /bin/busybox httpd -f -p 127.0.0.1:$1 -h /www"; }
fast=$(run_container hpe2e-fast sh -c "$(app "$P1")")
slow=$(run_container hpe2e-slow sh -c "$(app "$P2")")
wait_status "$slow" healthy 20
wait_status "$fast" healthy 1
healthy_after() { # seconds from the container's start to the end of its first healthy check
  health_json "$1" | python3 -c '
import json, sys, datetime
s = json.load(sys.stdin)
t = lambda v: datetime.datetime.fromisoformat(v[:26].rstrip("Z") if "." in v else v.rstrip("Z"))
start = t(s["StartedAt"])
ok = [e for e in s["Health"]["Log"] if e["ExitCode"] == 0]
print("%.2f" % (t(ok[0]["End"]) - start).total_seconds())'
}
tf=$(healthy_after "$fast") ts=$(healthy_after "$slow")
log "  healthy after ${tf}s with --start-interval 100ms, ${ts}s without (app ready at 6.5s, interval 5s)"
expect_last "$fast" 0 "attempts"
python3 -c "import sys; f, s = $tf, $ts; sys.exit(0 if 6.4 <= f <= 7.5 and s >= 9.5 else 1)" \
  || fail "time to healthy: ${tf}s with --start-interval (want 6.5-7.5s), ${ts}s without (want >= 10s)"
docker rm -f "$fast" "$slow" >/dev/null
if [ "${HEALTHPROBE_E2E_ONLY:-}" = memory ]; then
  log "memory across runs passed in $(($(date +%s) - T0))s"
  exit 0
fi

# --- 1. http in a scratch image: starting -> unhealthy (404) -> healthy -> unhealthy
log "1. http probe: starting -> unhealthy -> healthy -> unhealthy"
P=$(free_port)
build_image http 0:0 "[\"/healthprobe\", \"--timeout\", \"2s\", \"http://localhost:$P/health\"]" \
  "--interval=1s --timeout=4s --retries=1"
c=$(run_container hpe2e-http httpd -f -p "127.0.0.1:$P" -h /www)
s=$(status "$c")
[ "$s" = starting ] || fail "a new container should be 'starting', is '$s'"
wait_status "$c" unhealthy 20
expect_last "$c" 1 "-> 404 Not Found in "
docker exec "$c" /bin/busybox sh -c 'echo ok > /www/health'
wait_status "$c" healthy 20
expect_last "$c" 0 "healthy: GET http://localhost:$P/health -> 200 OK in "
docker exec "$c" /bin/busybox rm /www/health
wait_status "$c" unhealthy 20
expect_last "$c" 1 "404 Not Found"
check_log_entries "$c"
docker rm -f "$c" >/dev/null

# --- 2. tcp (configured through the environment) and exec -------------------
log "2. tcp probe via HEALTHPROBE_URL, and exec probe"
P=$(free_port)
build_image env 0:0 '["/healthprobe"]' "--interval=1s --timeout=4s --retries=1"
c=$(run_container -e HEALTHPROBE_URL="tcp://localhost:$P" -e HEALTHPROBE_TIMEOUT=2s hpe2e-env \
  sh -c "/bin/busybox sleep 4; exec /bin/busybox httpd -f -p 127.0.0.1:$P -h /www")
wait_status "$c" unhealthy 20
expect_last "$c" 1 "tcp localhost:$P -> connection refused"
wait_status "$c" healthy 20
expect_last "$c" 0 "tcp localhost:$P -> connected to 127.0.0.1:$P"
check_log_entries "$c"
docker rm -f "$c" >/dev/null

build_image exec 0:0 '["/healthprobe", "--timeout", "2s", "exec", "--", "/bin/busybox", "test", "-f", "/tmp/ready"]' \
  "--interval=1s --timeout=4s --retries=1"
c=$(run_container hpe2e-exec sleep 300)
wait_status "$c" unhealthy 20
expect_last "$c" 1 "exec /bin/busybox test -f /tmp/ready -> exit 1"
docker exec "$c" /bin/busybox touch /tmp/ready
wait_status "$c" healthy 20
expect_last "$c" 0 "-> exit 0"
check_log_entries "$c"
docker rm -f "$c" >/dev/null

# --- 3. the probe's own deadline wins over Docker's ---------------------------
log "3. a silent app: the probe's --timeout 1s, not Docker's --timeout 5s"
P=$(free_port)
build_image silent 0:0 "[\"/healthprobe\", \"--timeout\", \"1s\", \"http://localhost:$P/cgi-bin/silent\"]" \
  "--interval=1s --timeout=5s --retries=1"
c=$(run_container hpe2e-silent httpd -f -p "127.0.0.1:$P" -h /www)
wait_status "$c" unhealthy 30
expect_last "$c" 1 "timed out after 1s"
docker inspect --format '{{json .State.Health.Log}}' "$c" | grep -q 'Health check exceeded timeout' \
  && fail "Docker's own timeout struck: the probe did not end by itself"
check_log_entries "$c"
docker rm -f "$c" >/dev/null

# --- 4. non-root --------------------------------------------------------------
log "4. USER 65534:65534 and a read-only root filesystem"
P=$(free_port)
build_image nonroot 65534:65534 "[\"/healthprobe\", \"--timeout\", \"2s\", \"http://localhost:$P/health\"]" \
  "--interval=1s --timeout=4s --retries=1"
c=$(run_container --read-only --tmpfs /www:uid=65534,gid=65534 hpe2e-nonroot httpd -f -p "127.0.0.1:$P" -h /www)
docker exec "$c" /bin/busybox sh -c 'echo ok > /www/health'
wait_status "$c" healthy 20
[ "$(docker exec "$c" /bin/busybox id -u)" = 65534 ] || fail "not running as 65534"
expect_last "$c" 0 "200 OK"
docker rm -f "$c" >/dev/null

# --- 5. no zombies where PID 1 does not reap ----------------------------------
log "5. exec probe leaving a grandchild and timing out, PID 1 = sleep (no init): no leftovers"
build_image zombie 0:0 \
  '["/healthprobe", "--timeout", "500ms", "exec", "--", "/bin/busybox", "sh", "-c", "/bin/busybox sleep 77 & /bin/busybox sleep 78; true"]' \
  "--interval=1s --timeout=3s --retries=1"
c=$(run_container hpe2e-zombie sleep 300)
wait_status "$c" unhealthy 20
sleep 6 # several more intervals
expect_last "$c" 1 "timed out after 500ms; killed its process group"
ps_out=$(docker exec "$c" /bin/busybox ps -o pid,stat,args)
zombies=$(echo "$ps_out" | awk '$2 ~ /^Z/' | wc -l)
# The sleeps themselves, not the command lines that mention them.
leftovers=$(echo "$ps_out" | awk '$3 == "/bin/busybox" && $4 == "sleep" && $5 ~ /^7[78]$/' | wc -l)
log "  processes: $(echo "$ps_out" | tail -n +2 | tr '\n' ';')"
[ "$zombies" -eq 0 ] || fail "$zombies zombie(s) in the container: $ps_out"
# At most one probe may be running right now (its sleeps 77 and 78).
[ "$leftovers" -le 2 ] || fail "$leftovers sleeps left behind by earlier probes: $ps_out"
check_log_entries "$c"
docker rm -f "$c" >/dev/null

# --- 6. Compose: depends_on service_healthy ----------------------------------
log "6. docker-compose: the client starts after the app turns healthy"
P=$(free_port)
build_image compose 0:0 "[\"/healthprobe\", \"--timeout\", \"2s\", \"http://localhost:$P/health\"]" \
  "--interval=1s --timeout=4s --retries=1"
cat >"$WORK/compose.yml" <<EOF
version: "2.4"
services:
  app:
    image: hpe2e-compose:latest
    network_mode: host
    command: ["sh", "-c", "/bin/busybox sleep 3; echo ok > /www/health; exec /bin/busybox httpd -f -p 127.0.0.1:$P -h /www"]
    healthcheck:
      test: ["CMD", "/healthprobe", "--timeout", "2s", "http://localhost:$P/health"]
      interval: 1s
      timeout: 4s
      retries: 3
      start_period: 20s
  client:
    image: hpe2e-compose:latest
    network_mode: host
    command: ["sleep", "300"]
    depends_on:
      app:
        condition: service_healthy
EOF
compose_files+=("$WORK/compose.yml")
docker-compose -f "$WORK/compose.yml" -p hpe2e up -d >"$WORK/compose.log" 2>&1 || { cat "$WORK/compose.log"; fail "compose up"; }
app=$(docker-compose -f "$WORK/compose.yml" -p hpe2e ps -q app)
client=$(docker-compose -f "$WORK/compose.yml" -p hpe2e ps -q client)
[ -n "$client" ] || fail "compose did not start the client"
[ "$(status "$app")" = healthy ] || fail "client started while the app is $(status "$app")"
python3 - "$(docker inspect --format '{{json .State.Health.Log}}' "$app")" \
  "$(docker inspect --format '{{.State.StartedAt}}' "$client")" <<'PY' || fail "the client started before the app's first healthy check"
import json, sys
log, client_start = json.loads(sys.argv[1]), sys.argv[2]
first_ok = min(e["End"] for e in log if e["ExitCode"] == 0)
trim = lambda t: t[:26]  # RFC 3339 with nanoseconds -> comparable prefix
assert trim(client_start) >= trim(first_ok), (client_start, first_ok)
print(f"[e2e] first healthy check ended {first_ok}; client started {client_start}")
PY
docker-compose -f "$WORK/compose.yml" -p hpe2e down -t 1 >/dev/null 2>&1

# --- 7. Swarm: an unhealthy task is replaced; a healthy one converges --------
log "7. swarm: failing task replaced, passing service converges"
if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null || fail "swarm init"
  joined_swarm=yes
fi
P=$(free_port)
build_image swarm 0:0 "[\"/healthprobe\", \"--timeout\", \"1s\", \"http://localhost:$P/health\"]" \
  "--interval=1s --timeout=3s --retries=2"
DEAD=$(free_port) # nothing ever listens here
build_image swarmfail 0:0 "[\"/healthprobe\", \"--timeout\", \"1s\", \"http://localhost:$DEAD/health\"]" \
  "--interval=1s --timeout=3s --retries=2"
docker service create -d -q --name hpe2e-fail --network host hpe2e-swarmfail:latest sleep 300 >/dev/null 2>&1 \
  || fail "service create (failing)"
services+=(hpe2e-fail)
docker service create -d -q --name hpe2e-pass --network host hpe2e-swarm:latest \
  sh -c "echo ok > /www/health; exec /bin/busybox httpd -f -p 127.0.0.1:$P -h /www" >/dev/null 2>&1 \
  || fail "service create (passing)"
services+=(hpe2e-pass)
replaced=""
for _ in $(seq 60); do
  n=$(docker service ps -q hpe2e-fail | wc -l)
  [ "$n" -ge 2 ] && { replaced=$n; break; }
  sleep 1
done
[ -n "$replaced" ] || fail "swarm did not replace the unhealthy task: $(docker service ps hpe2e-fail)"
log "  failing service: $replaced tasks so far ($(docker service ps --format '{{.Error}}' hpe2e-fail | grep -m1 . || true))"
converged=""
for _ in $(seq 60); do
  cid=$(docker ps -q --filter label=com.docker.swarm.service.name=hpe2e-pass | head -1)
  if [ -n "$cid" ] && [ "$(status "$cid")" = healthy ]; then converged=$cid; break; fi
  sleep 1
done
[ -n "$converged" ] || fail "passing service never became healthy: $(docker service ps hpe2e-pass)"
[ "$(docker service ps -q hpe2e-pass | wc -l)" -eq 1 ] || fail "passing service had tasks replaced"
expect_last "$converged" 0 "200 OK"
for s in hpe2e-fail hpe2e-pass; do
  docker service rm "$s" >/dev/null
  docker ps -aq --filter "label=com.docker.swarm.service.name=$s" | xargs -r docker rm -f >/dev/null
done
services=()
if [ -n "$joined_swarm" ]; then docker swarm leave --force >/dev/null && joined_swarm=""; fi

# --- 8. size ------------------------------------------------------------------
log "8. image size"
img_size=$(docker image inspect --format '{{.Size}}' hpe2e-http:latest)
extra=$((img_size - BIN_SIZE - BUSYBOX_SIZE))
log "  binary $BIN_SIZE bytes + busybox $BUSYBOX_SIZE bytes; image $img_size bytes (other files: $extra bytes)"
[ "$extra" -lt 4096 ] || fail "the image holds $extra bytes besides the binary and the app"

# --- 9. the distributable image (root Dockerfile), all eight platforms --------
log "9. the root Dockerfile's scratch image for eight platforms; arm64, arm/v7 and s390x containers judged"
VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
# Docker platform -> the artifact's directory in dist/image.
PLATFORMS="linux/amd64:amd64 linux/arm64:arm64 linux/arm/v7:arm-v7 linux/arm/v6:arm-v6 linux/386:386
linux/ppc64le:ppc64le linux/s390x:s390x linux/riscv64:riscv64"
for pd in $PLATFORMS; do
  [ -f "dist/image/${pd#*:}/healthprobe" ] && [ -f "dist/image/${pd#*:}-slim/healthprobe" ] && continue
  bash scripts/release.sh "$VERSION" >/dev/null
  break
done
# BuildKit picks the artifact by TARGETARCH and TARGETVARIANT. The engine's
# own BuildKit is reached through buildx, or through the 20.10 client Debian
# ships with it.
if docker buildx version >/dev/null 2>&1; then
  kit_build() { docker buildx build --load "$@"; }
elif [ -x /usr/bin/docker ] && /usr/bin/docker version --format '{{.Client.Version}}' | grep -q '^20\.'; then
  kit_build() { DOCKER_BUILDKIT=1 /usr/bin/docker build "$@"; }
else
  fail "no BuildKit client (docker buildx, or Debian's docker.io client)"
fi
for q in aarch64 arm ppc64le s390x riscv64; do
  [ -e "/proc/sys/fs/binfmt_misc/qemu-$q" ] || skip_or_fail "no qemu-$q binfmt handler for its containers"
done
for pd in $PLATFORMS; do
  platform=${pd%%:*} dir=${pd#*:}
  for variant in "" -slim; do
    tag="hpe2e-dist:$dir$variant"
    # --no-cache: this engine's BuildKit reuses a cached COPY whose source is gone.
    kit_build -q --no-cache --platform "$platform" --build-arg "VARIANT=$variant" -t "$tag" . >/dev/null \
      || fail "build $tag from the root Dockerfile"
    images+=("$tag")
    got=$(docker image inspect --format '{{.Os}}/{{.Architecture}}{{if .Variant}}/{{.Variant}}{{end}} {{.Size}}' "$tag")
    want=$(stat -c %s "dist/image/$dir$variant/healthprobe")
    [ "$got" = "$platform $want" ] || fail "$tag is '$got', expected '$platform $want' (the binary alone)"
    # The very artifact, not another platform's (arm/v6 and arm/v7 share TARGETARCH).
    c=$(docker create --platform "$platform" "$tag")
    containers+=("$c")
    docker cp "$c:/healthprobe" "$WORK/healthprobe.$dir$variant" >/dev/null
    docker rm "$c" >/dev/null
    cmp -s "$WORK/healthprobe.$dir$variant" "dist/image/$dir$variant/healthprobe" \
      || fail "$tag holds another binary than dist/image/$dir$variant"
    out=$(docker run --rm --network host --platform "$platform" "$tag" --version)
    [ "$out" = "healthprobe $VERSION" ] || fail "$tag --version said '$out'"
    log "  $tag: $got bytes, runs: $out"
  done
done
# A missing artifact fails the build rather than ship another platform's.
for dir in arm64 arm-v6; do
  case $dir in arm64) platform=linux/arm64 ;; arm-v6) platform=linux/arm/v6 ;; esac
  mv "dist/image/$dir" "$WORK/$dir-hidden"
  if kit_build -q --no-cache --platform "$platform" -t hpe2e-dist:missing . >/dev/null 2>&1; then
    mv "$WORK/$dir-hidden" "dist/image/$dir"
    images+=(hpe2e-dist:missing)
    fail "the image built without its $dir artifact"
  fi
  mv "$WORK/$dir-hidden" "dist/image/$dir"
done

# An app image FROM it, as users write it, for an emulated platform; the
# probe itself is the (sleeping) app, since busybox here is x86_64. The
# engine runs its health check through binfmt and records the probe's line
# and exit code: healthy while httpd serves /health, unhealthy once it is gone.
cycle() { # cycle PLATFORM DIR
  local platform=$1 dir=$2 P ctx c httpd_pid
  P=$(free_port)
  ctx="$WORK/ctx-app-$dir"
  mkdir -p "$ctx/www"
  cat >"$ctx/Dockerfile" <<EOT
FROM hpe2e-dist:$dir
HEALTHCHECK --interval=1s --timeout=10s --retries=1 CMD ["/healthprobe", "--timeout", "5s", "http://127.0.0.1:$P/health"]
ENTRYPOINT ["/healthprobe", "-q", "wait", "--timeout", "24h", "--interval", "1h", "tcp://127.0.0.1:1"]
EOT
  kit_build -q --platform "$platform" -t "hpe2e-app:$dir" "$ctx" >/dev/null || fail "build the $platform app image"
  images+=("hpe2e-app:$dir")
  echo ok >"$ctx/www/health"
  /bin/busybox httpd -f -p "127.0.0.1:$P" -h "$ctx/www" &
  httpd_pid=$!
  c=$(run_container --platform "$platform" "hpe2e-app:$dir")
  wait_status "$c" healthy 60
  expect_last "$c" 0 "healthy: GET http://127.0.0.1:$P/health -> 200 OK in "
  kill "$httpd_pid"
  wait "$httpd_pid" 2>/dev/null || true
  wait_status "$c" unhealthy 60
  expect_last "$c" 1 "-> connection refused (127.0.0.1:$P)"
  check_log_entries "$c"
  log "  $platform probe in $(docker exec "$c" /healthprobe --version): healthy, then unhealthy, as its line says"
  docker rm -f "$c" >/dev/null
}
cycle linux/arm64 arm64
cycle linux/arm/v7 arm-v7 # 32-bit
cycle linux/s390x s390x   # big-endian

# --- 10. Podman: the same Dockerfile, all eight platforms in one manifest list;
# emulated containers judged by `podman healthcheck run` ------------------------
log "10. podman: the eight-platform image as one manifest list; arm/v7 and s390x judged by podman healthcheck run"
command -v podman >/dev/null || skip_or_fail "no podman (apt install podman)"
PODMAN_ROOT="$WORK/podman"
pm() { podman --root "$PODMAN_ROOT/root" --runroot "$PODMAN_ROOT/run" --storage-driver vfs "$@"; }
podman_cleanup() {
  set +e
  pm rm -af -t 0 >/dev/null 2>&1
  pm manifest rm hpe2e-multi >/dev/null 2>&1
  pm rmi -af >/dev/null 2>&1
}
trap 'podman_cleanup; cleanup' EXIT
all=$(for pd in $PLATFORMS; do printf '%s,' "${pd%%:*}"; done)
# Docker format: Podman drops HEALTHCHECK from OCI images.
pm build -q --format docker --platform "${all%,}" --manifest hpe2e-multi . >"$WORK/podman-build.log" 2>&1 \
  || { tail -20 "$WORK/podman-build.log"; fail "podman build of the eight-platform manifest list"; }
listed=$(pm manifest inspect hpe2e-multi | python3 -c '
import json, sys
m = json.load(sys.stdin)
# Podman 4.3 stamps the last variant it saw on every entry: only arm'"'"'s counts.
def name(p):
    v = p.get("variant") if p["architecture"] == "arm" else None
    return "/".join(filter(None, (p["os"], p["architecture"], v)))
print(" ".join(sorted(name(e["platform"]) for e in m["manifests"])))')
want=$(for pd in $PLATFORMS; do echo "${pd%%:*}"; done | sort | tr '\n' ' ')
[ "$listed " = "$want" ] || fail "the manifest list holds '$listed', expected '$want'"
log "  manifest list: $listed"
# No systemd here: Podman's health check timers cannot run, so the checks run
# on demand, as `podman healthcheck run` (which is what the timer calls).
# This machine's rlimits are below Podman's defaults: ask for less.
podman_cycle() { # podman_cycle PLATFORM DIR
  local platform=$1 dir=$2 P ctx c httpd_pid out
  P=$(free_port)
  ctx="$WORK/pctx-$dir"
  mkdir -p "$ctx/www"
  # --no-cache: Podman 4.3 stamps one variant (v7) on every entry of the
  # manifest list built above, and a cached s390x layer brought it into this
  # image, which `FROM ... --platform linux/s390x` then did not find.
  pm build -q --no-cache --format docker --platform "$platform" -t "localhost/hpe2e-dist:$dir" . >/dev/null 2>"$WORK/podman-build.log" \
    || { tail -20 "$WORK/podman-build.log"; fail "podman build $platform"; }
  cat >"$ctx/Dockerfile" <<EOT
FROM localhost/hpe2e-dist:$dir
HEALTHCHECK --interval=1s --timeout=10s --retries=1 CMD ["/healthprobe", "--timeout", "5s", "http://127.0.0.1:$P/health"]
ENTRYPOINT ["/healthprobe", "-q", "wait", "--timeout", "24h", "--interval", "1h", "tcp://127.0.0.1:1"]
EOT
  pm build -q --pull=never --format docker --platform "$platform" -t "localhost/hpe2e-app:$dir" "$ctx" >/dev/null 2>"$WORK/podman-build.log" \
    || { tail -20 "$WORK/podman-build.log"; fail "podman build the $platform app image"; }
  echo ok >"$ctx/www/health"
  /bin/busybox httpd -f -p "127.0.0.1:$P" -h "$ctx/www" &
  httpd_pid=$!
  c=$(pm run -d --network host --platform "$platform" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
    --health-interval disable "localhost/hpe2e-app:$dir" 2>"$WORK/podman-run.log") \
    || { cat "$WORK/podman-run.log"; fail "podman run $platform"; }
  [ "$(pm image inspect --format '{{.Architecture}}' "localhost/hpe2e-app:$dir")" = "$(echo "$platform" | cut -d/ -f2)" ] \
    || fail "the podman app image is not $platform"
  out=$(pm healthcheck run "$c" 2>/dev/null) || fail "podman healthcheck run said '$out' while httpd serves /health"
  podman_last "$c" 0 "healthy: GET http://127.0.0.1:$P/health -> 200 OK in "
  kill "$httpd_pid"
  wait "$httpd_pid" 2>/dev/null || true
  if out=$(pm healthcheck run "$c" 2>/dev/null); then fail "podman healthcheck run said '$out' with httpd gone"; fi
  [ "$out" = unhealthy ] || fail "podman healthcheck run said '$out', expected 'unhealthy'"
  podman_last "$c" 1 "-> connection refused (127.0.0.1:$P)"
  log "  podman $platform: healthy, then unhealthy"
  pm rm -f -t 0 "$c" >/dev/null 2>&1
}
podman_last() { # podman_last ID CODE TEXT: the newest health log entry
  local got
  got=$(pm inspect --format '{{json .State.Health.Log}}' "$1" | python3 -c '
import json, sys
e = json.load(sys.stdin)[-1]
print(e["ExitCode"], e["Output"].rstrip("\n"))')
  case "$got" in
    "$2 "*"$3"*) log "  podman log: $got" ;;
    *) fail "last podman health log of ${1:0:12} is '$got', expected exit $2 and '$3'" ;;
  esac
}
podman_cycle linux/arm/v7 arm-v7
podman_cycle linux/s390x s390x

log "all scenarios passed in $(($(date +%s) - T0))s"
