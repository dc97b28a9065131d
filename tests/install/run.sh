#!/bin/sh
# Installs the build tree into a temporary prefix, then builds
# examples/list_tools.cpp against it twice, the two ways the README gives:
# find_package(mcpauth) + mcpauth::mcpauth, and pkg-config. Each program must
# run (no URL: it prints its usage and exits 2, so it linked and started).
#   run.sh BUILD_DIR SOURCE_DIR "EXTRA_FLAGS"   (EXTRA_FLAGS: the build's sanitizer flags, if any)
set -eu
build=$1
source=$2
flags=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

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
