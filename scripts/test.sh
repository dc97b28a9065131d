#!/usr/bin/env bash
# The second command: runs every test. Installs what is missing first, then
#  1. checks formatting (clang-format) and that no POSIX or Windows header
#     is included outside src/platform/ beyond the listed debt,
#  2. builds with AddressSanitizer + UndefinedBehaviorSanitizer and runs the
#     unit and integration tests (real MCP servers on 127.0.0.1) with ctest,
#  3. compiles (syntax only) every file again with clang + libc++ and the
#     library's layers with MinGW (docs/platforms.md, "Portability checks"),
#  4. runs each libFuzzer target for a short while (FUZZ_SECONDS, default 20),
#  5. builds the Debian package (Release), installs it into a temporary root
#     and runs the installed binary; runs the set-up's demo (an OAuth login
#     against a local test server) with that build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

echo "== clang-format check"
mapfile -t sources < <(git ls-files '*.cpp' '*.hpp' '*.cpp.in')
clang-format-14 --dry-run -Werror "${sources[@]}"

echo "== system headers outside src/platform/"
tests/portability/system_headers.sh

echo "== build (ASan + UBSan) and ctest"
BUILD_TYPE=Debug scripts/build.sh build-asan -DMCPAUTH_SANITIZE=ON -DMCPAUTH_WERROR=ON
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-asan --output-on-failure -j 2 --timeout 300

echo "== portability: clang + libc++ over the tree, MinGW over the library's layers, the command and the gateway"
tests/portability/compile_check.py libcxx build-asan
tests/portability/compile_check.py mingw build-asan \
  mcpauth_core mcpauth_net mcpauth_store mcpauth_mcp mcpauth_auth mcpauth_consent_loopback mcpauth_client \
  mcpauth_app mcpauth_gateway mcpauth_cli

echo "== fuzz smoke run"
scripts/fuzz.sh "${FUZZ_SECONDS:-20}"

echo "== Debian package and the demo"
deb=$(scripts/package.sh build-package)
tests/package/check_deb.sh "$deb"
scripts/demo.sh build-package/mcpauth
