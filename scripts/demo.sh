#!/usr/bin/env bash
# Shows mcpauth authorizing, end to end, on this machine alone: starts a local
# OAuth-protected MCP test server (tests/peers/oauth-server.mjs: the MCP SDK's
# authorization server, which approves at once, and a resource server that
# requires its tokens), then runs probe, login, tools and call against it.
# The token store is a throwaway directory: the user's own store is never
# touched. A stand-in browser (tests/peers/browser-follow.sh, curl following
# the redirects) plays the user's click on "Approve".
# Usage: scripts/demo.sh [MCPAUTH_BINARY]   (default: build/mcpauth)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/mcpauth}
[ -x "$bin" ] || { echo "demo: no mcpauth binary at $bin (build first, or pass its path)" >&2; exit 1; }
[ -d tests/peers/node_modules ] || { echo "demo: the test servers are not installed (run: cd tests/peers && npm ci)" >&2; exit 1; }

# shellcheck source=tests/peers/start-peer.sh
. tests/peers/start-peer.sh
home=$scratch
# MCPAUTH_KEYRING=off: the throwaway store's key goes in a file beside it, not in
# the desktop keyring, so nothing of the demo outlives it.
export XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" MCPAUTH_KEYRING=off
unset MCPAUTH_STORE MCPAUTH_STORE_URL MCPAUTH_CONFIG MCPAUTH_KEY MCPAUTH_KEY_FILE
export BROWSER="$PWD/tests/peers/browser-follow.sh"

echo "== starting a local OAuth-protected MCP server (tests/peers/oauth-server.mjs)"
# The server's own log goes to a file (shown if it does not start): its
# lines about clients it turns away would read as mcpauth's here.
if ! start_peer "$home/server.log" oauth-server.mjs; then
  cat "$home/server.log" >&2
  echo "demo: the test server did not start" >&2
  exit 1
fi
server="http://127.0.0.1:$peer_port/mcp"

run() {
  echo
  echo "\$ mcpauth $*"
  "$bin" "$@"
}
run probe "$server"
run login "$server"
run tools "$server"
run call "$server" echo '{"text":"hello from mcpauth"}'
run status
