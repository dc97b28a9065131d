#!/usr/bin/env bash
# Checks a built mcpauth .deb the way a user meets it: dpkg installs it into
# a temporary root (its own dpkg database; the dependencies are this Debian
# system's own libraries), the installed binary runs, answers --version,
# probes a local MCP server, and the library's headers, CMake package,
# pkg-config file and man page are where a Debian user looks for them.
# Usage: tests/package/check_deb.sh PACKAGE.deb
set -euo pipefail
cd "$(dirname "$0")/../.."
deb=$1
# shellcheck source=tests/peers/start-peer.sh
. tests/peers/start-peer.sh
root=$scratch
fail() {
  echo "check_deb: $*" >&2
  exit 1
}

echo "== package metadata"
dpkg-deb --field "$deb" Package Version Architecture Depends
depends=$(dpkg-deb --field "$deb" Depends)
for lib in libcurl4 libssl3 libsqlite3-0 libpq5; do
  [[ "$depends" == *"$lib"* ]] || fail "Depends does not name $lib: $depends"
done
# Every dependency is installed on this system, so the package would install
# here without --force-depends (the temporary root's database cannot know).
IFS=',' read -ra deps <<<"$depends"
for dep in "${deps[@]}"; do
  name=$(sed -E 's/^ *([^ (|]+).*/\1/' <<<"$dep")
  dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q 'install ok installed' ||
    fail "this system lacks $name, a dependency of the package"
done

echo "== dpkg --install into $root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status"
# The temporary root's database knows none of the system's packages: the
# dependencies were checked against the real system above.
if ! dpkg --root="$root" --force-depends --force-not-root --install "$deb" >"$root/dpkg.log" 2>&1; then
  cat "$root/dpkg.log" >&2
  fail "dpkg could not install the package"
fi
dpkg --root="$root" --status mcpauth | grep -q '^Status: install ok installed' || fail "dpkg did not record the package as installed"

bin="$root/usr/bin/mcpauth"
for file in "$bin" \
  "$root/usr/include/mcpauth/mcpauth.hpp" \
  "$root/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/libmcpauth.a" \
  "$root/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/cmake/mcpauth/mcpauthConfig.cmake" \
  "$root/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/pkgconfig/mcpauth.pc" \
  "$root/usr/share/man/man1/mcpauth.1.gz" \
  "$root/usr/share/bash-completion/completions/mcpauth" \
  "$root/usr/share/zsh/vendor-completions/_mcpauth"; do
  [ -e "$file" ] || fail "the package installs no $file"
done
file "$bin" | grep -q 'stripped' && ! file "$bin" | grep -q 'not stripped' || fail "the installed binary is not stripped"
zcat "$root/usr/share/man/man1/mcpauth.1.gz" | grep -q '^\.TH MCPAUTH' || fail "the man page has no title"

echo "== $bin --version"
version=$("$bin" --version)
expected="mcpauth $(dpkg-deb --field "$deb" Version)"
[ "$version" = "$expected" ] || fail "--version printed '$version', the package is '$expected'"

echo "== $bin probe (a local MCP test server)"
# The server's log goes to a file (shown if it does not start): naming
# /dev/stderr here would reopen, and so truncate, a log file this runs under.
if ! start_peer "$scratch/server.log" streamable-server.mjs; then
  cat "$scratch/server.log" >&2
  fail "the test server did not start"
fi
probe=$("$bin" probe --json "http://127.0.0.1:$peer_port/mcp")
echo "$probe"
node -e 'const p = JSON.parse(process.argv[1]); if (p.needs !== "none" || p.transport !== "streamable-http") { console.error("probe says needs=" + p.needs + ", transport=" + p.transport); process.exit(1); }' "$probe" ||
  fail "the installed binary's probe did not find the open test server"
echo "check_deb: ok"
