#!/usr/bin/env bash
# Installs what mcpauth needs on Debian 12: the apt packages (only those
# missing, after an apt-get update) and the npm peers, pinned by their
# package-lock.json files.
#
# Usage: scripts/install-deps.sh [--user] [--no-node]
#   (default)  everything building and testing needs: compilers and tools,
#              the libraries, the test frameworks, Chromium, the keyring,
#              Node.js and every npm peer (tests, conformance, e2e, bench).
#   --user     only what building and installing the binary needs, plus
#              Node.js and the test servers of tests/peers for the demo.
#   --no-node  with --user: no Node.js and no npm peers (no demo).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=dev
node=yes
for arg in "$@"; do
  case "$arg" in
    --user) profile=user ;;
    --no-node) node=no ;;
    -h | --help)
      sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "install-deps: unknown option $arg (see --help)" >&2
      exit 2
      ;;
  esac
done

# Building and installing mcpauth: the compiler, CMake, and the libraries it links.
BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config curl
  libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libcli11-dev libboost-dev libsqlite3-dev
  libsecret-1-dev libpq-dev
  help2man
)
# Developing and testing it as well.
TEST_PACKAGES=(
  git sqlite3 postgresql-15
  clang-14 libclang-rt-14-dev clang-format-14
  libc++-14-dev libc++abi-14-dev g++-mingw-w64-x86-64-posix python3
  gnome-keyring libsecret-tools dbus-daemon
  libgtest-dev libgmock-dev libbenchmark-dev
  chromium chromium-driver
  file zsh
  python3-yaml systemd
)
NODE_PACKAGES=(nodejs npm)

APT_PACKAGES=("${BUILD_PACKAGES[@]}")
if [ "$profile" = dev ]; then APT_PACKAGES+=("${TEST_PACKAGES[@]}"); fi
if [ "$profile" = dev ] || [ "$node" = yes ]; then APT_PACKAGES+=("${NODE_PACKAGES[@]}"); fi

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
peer_dirs=(tests/peers tests/peers/modern tests/conformance tests/e2e bench/peers)
if [ "$profile" = user ]; then peer_dirs=(tests/peers); fi
if [ "$profile" = user ] && [ "$node" = no ]; then peer_dirs=(); fi
for dir in "${peer_dirs[@]}"; do
  [ -f "$dir/package-lock.json" ] || continue
  # A node_modules that is a symlink is another checkout's install (a git
  # worktree sharing it): npm ci would empty it through the link. Left alone.
  if [ -L "$dir/node_modules" ]; then
    echo "install-deps: $dir/node_modules is a symlink to another checkout's install: not reinstalled"
    continue
  fi
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "install-deps: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
