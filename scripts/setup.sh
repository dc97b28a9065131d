#!/usr/bin/env bash
# The first command on a fresh Debian 12 machine.
#
# Usage: scripts/setup.sh [--user [--prefix DIR] [--no-demo]] [--help]
#
#   (default)     for developing mcpauth: installs every package building and
#                 testing need (apt, and the npm test servers), builds build/
#                 with the tests, and shows mcpauth authorizing against a
#                 local OAuth test server. Then scripts/test.sh runs every test.
#   --user        for using mcpauth: installs only what building it needs,
#                 makes a Release build without tests (build-release/),
#                 installs it stripped into DIR (the mcpauth command, its
#                 man page, the C++ library, headers, CMake and pkg-config
#                 files), then shows the installed command authorizing.
#   --prefix DIR  where --user installs (default: ~/.local, so the command
#                 is ~/.local/bin/mcpauth)
#   --no-demo     with --user: no demo, and so no Node.js (the demo's local
#                 OAuth test server is a Node.js program)
#
# apt-get runs under sudo when this is not run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }

mode=dev
prefix="${HOME:-}/.local"
demo=yes
while (($#)); do
  case "$1" in
    --user) mode=user ;;
    --prefix)
      [ $# -ge 2 ] || { echo "setup: --prefix needs a directory" >&2; exit 2; }
      prefix=$2
      shift
      ;;
    --prefix=*) prefix=${1#--prefix=} ;;
    --no-demo) demo=no ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      echo "setup: unknown option $1" >&2
      usage >&2
      exit 2
      ;;
  esac
  shift
done
if [ "$mode" = dev ] && { [ "$demo" = no ] || [ "$prefix" != "${HOME:-}/.local" ]; }; then
  echo "setup: --prefix and --no-demo go with --user" >&2
  exit 2
fi

if [ "$mode" = dev ]; then
  scripts/install-deps.sh
  scripts/build.sh build
  echo
  echo "== build/mcpauth --version"
  build/mcpauth --version
  scripts/demo.sh build/mcpauth
  echo
  echo "Built: build/mcpauth. Run every test with: scripts/test.sh"
  exit 0
fi

[ -n "$prefix" ] || { echo "setup: HOME is not set; give --prefix DIR" >&2; exit 2; }
if [ "$demo" = yes ]; then scripts/install-deps.sh --user; else scripts/install-deps.sh --user --no-node; fi
BUILD_TYPE=Release scripts/build.sh build-release -DMCPAUTH_BUILD_TESTS=OFF -DMCPAUTH_BUILD_EXAMPLES=OFF
cmake --install build-release --prefix "$prefix" --strip
bin="$prefix/bin/mcpauth"
echo
echo "== installed: $bin ($("$bin" --version))"
if [ "$demo" = yes ]; then scripts/demo.sh "$bin"; fi
echo
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "Add $prefix/bin to your PATH (e.g. in ~/.profile: export PATH=\"$prefix/bin:\$PATH\")." ;;
esac
echo "Next: mcpauth probe URL, then mcpauth login URL (see the README's quick start; man mcpauth)."
