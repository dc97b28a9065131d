# shellcheck shell=bash
# Sourced (bash) by scripts/demo.sh and tests/package/check_deb.sh, from the
# repository root: a throwaway directory, $scratch, and at most one test peer,
# both gone when the script exits (this sets the EXIT trap).
scratch=$(mktemp -d)
peer_pid=""
cleanup() {
  [ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

# start_peer LOG PEER.mjs [FLAGS...]: starts tests/peers/PEER.mjs with its
# stdin held open (it exits when the script does) and its stderr in LOG (a
# file: not /dev/stderr, which would truncate a log file stderr goes to), then
# reads its `LISTENING <port>` line: sets $peer_port, or returns 1 when no
# such line came within 30 s.
start_peer() {
  local log=$1 word
  shift
  coproc PEER { exec node "tests/peers/$1" "${@:2}" 2>"$log"; }
  peer_pid=$PEER_PID
  read -r -t 30 word peer_port <&"${PEER[0]}" || true
  [ "${word:-}" = LISTENING ]
}
