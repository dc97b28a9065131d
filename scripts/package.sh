#!/usr/bin/env bash
# Builds the Debian package of mcpauth: a Release build without tests in
# BUILD_DIR (default build-package), then cpack. Prints the package's path.
# Usage: scripts/package.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build-package}
# Configured for /usr, so that GNUInstallDirs puts the library in the
# multiarch directory (/usr/lib/x86_64-linux-gnu) as Debian does.
BUILD_TYPE=Release scripts/build.sh "$build_dir" -DCMAKE_INSTALL_PREFIX=/usr -DMCPAUTH_BUILD_TESTS=OFF \
  -DMCPAUTH_BUILD_EXAMPLES=OFF >&2
rm -f "$build_dir"/mcpauth_*.deb
(cd "$build_dir" && cpack -G DEB >&2)
ls "$PWD/$build_dir"/mcpauth_*.deb
