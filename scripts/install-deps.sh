#!/usr/bin/env bash
# Installs everything building and testing mcpauth needs on Debian 12:
# the apt packages (only those missing, after an apt-get update) and the
# npm test peers, pinned by their package-lock.json files.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git curl
  clang-14 libclang-rt-14-dev clang-format-14
  libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libcli11-dev libboost-dev libsqlite3-dev sqlite3
  libpq-dev postgresql-15
  libsecret-1-dev gnome-keyring libsecret-tools dbus-daemon
  libgtest-dev libgmock-dev libbenchmark-dev
  nodejs npm
  chromium chromium-driver
)

missing=()
for package in "${APT_PACKAGES[@]}"; do
  # Another npm (e.g. NodeSource's, bundled with its nodejs) serves as well.
  if [ "$package" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm peers: reinstall only when the lock file changed since the last install.
for dir in tests/peers tests/peers/modern tests/conformance tests/e2e bench/peers; do
  [ -f "$dir/package-lock.json" ] || continue
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "install-deps: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
