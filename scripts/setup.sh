#!/usr/bin/env bash
# The first command on a fresh Debian machine: installs what is missing,
# builds mcpauth, and shows it at work: it starts a local MCP test server
# and lists its tools with `mcpauth tools`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build

echo
echo "== build/mcpauth --version"
build/mcpauth --version

echo "== starting a local MCP test server (tests/peers/streamable-server.mjs)"
coproc PEER { exec node tests/peers/streamable-server.mjs; }
trap 'kill "$PEER_PID" 2>/dev/null || true' EXIT
read -r -t 20 word port <&"${PEER[0]}"
[ "$word" = LISTENING ] || { echo "the test server did not start" >&2; exit 1; }

echo "== build/mcpauth tools http://127.0.0.1:$port/mcp"
build/mcpauth tools "http://127.0.0.1:$port/mcp"
echo "== build/mcpauth call http://127.0.0.1:$port/mcp echo '{\"text\":\"hello from mcpauth\"}'"
build/mcpauth call "http://127.0.0.1:$port/mcp" echo '{"text":"hello from mcpauth"}'
echo
echo "Built: build/mcpauth. Run every test with: scripts/test.sh"
