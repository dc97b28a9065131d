#!/usr/bin/env bash
# Fails when a POSIX or Windows system header is included outside
# src/platform/ (issue 17: the operating system behind one seam, so the rest
# of the tree compiles for macOS and Windows as it is). Files that include one
# today are listed in system-header-debt.txt; that list may only shrink: a file
# on it that no longer includes such a header must leave it, and a new include
# anywhere else fails. Scans every tracked C/C++ file (tests and bench too:
# their harness has to run on the other systems as well).
#
# The one other place allowed is tests/platform/: the test harness's own seam
# (processes with pipes and signals, /proc, users, named pipes), one file per
# concern and system like src/platform/. It is separate so that the library's
# seam stays the library's: src/platform/ serves what mcpauth itself does,
# and a test's need for fork() or /proc never becomes part of it.
set -euo pipefail
cd "$(dirname "$0")/../.."
debt_file=tests/portability/system-header-debt.txt

# The headers: POSIX and Linux (C-library ones the C++ standard does not
# have), Windows (case-insensitive, as MinGW's are lower-case and MSVC's are
# not), and macOS frameworks.
posix='(unistd|fcntl|poll|signal|pwd|grp|dlfcn|spawn|termios|pthread|netdb|ifaddrs|dirent|syslog|semaphore|sched|libproc|utmpx|strings|aio|mqueue|glob|wordexp|langinfo|iconv|fnmatch|regex|libgen|ftw|fstab|mntent|utime|paths|resolv|ucontext|execinfo|malloc|endian|features|crypt|shadow|link|elf)\.h|(sys|netinet|arpa|net|linux|asm|mach|CoreFoundation|Security|CoreServices)/[^>"]+'
windows='(windows|winsock|winsock2|ws2tcpip|mswsock|afunix|io|direct|process|conio|shlobj|shellapi|knownfolders|wincrypt|dpapi|wincred|bcrypt|ntsecapi|winbase|winnt|winternl|iphlpapi|userenv|objbase|combaseapi)\.h'
pattern="^\\s*#\\s*include\\s*[<\"](${posix}|${windows})[>\"]"

mapfile -t debt < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$debt_file" | grep -v '^$')
in_debt() {
  local f
  for f in "${debt[@]}"; do [ "$f" = "$1" ] && return 0; done
  return 1
}

status=0
declare -A offending=()
while IFS=: read -r file line text; do
  offending[$file]=1
  case "$file" in src/platform/* | tests/platform/*) continue ;; esac
  in_debt "$file" && continue
  header=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*//' <<<"$text")
  echo "$file:$line: includes the system header $header outside src/platform/ and tests/platform/." >&2
  echo "  Put the call behind a function in src/platform/<concern>_<os>.cpp (tests and bench:" >&2
  echo "  tests/platform/; docs/platforms.md) and include that file's header instead; $debt_file only shrinks." >&2
  status=1
done < <(git grep --untracked -n -i -P "$pattern" -- '*.cpp' '*.hpp' '*.h' '*.cc' '*.cpp.in' || true)

for file in "${debt[@]}"; do
  if [ -z "${offending[$file]:-}" ]; then
    echo "$debt_file: $file includes no POSIX or Windows header any more (or is gone): remove it from the list." >&2
    status=1
  fi
done

if [ "$status" = 0 ]; then
  echo "system headers: none outside src/platform/ and tests/platform/ beyond the ${#debt[@]} files of $debt_file"
fi
exit "$status"
