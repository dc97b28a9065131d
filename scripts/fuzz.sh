#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz/ (clang, ASan + UBSan) and runs
# each one for a while on a scratch copy of its seed corpus (fuzz/corpus/ in
# git is never modified). Exits non-zero if any target crashes.
#
#   scripts/fuzz.sh [seconds-per-target]     (default 60)
#
# Environment: FUZZ_TARGETS="fuzz_jsonrpc ..." to run a subset,
#              FUZZ_JOBS (default 2) for the build.
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [[ "$seconds" -eq 0 ]]; then
  echo "usage: $0 [seconds-per-target]" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-fuzz"
targets=(${FUZZ_TARGETS:-fuzz_sse_parser fuzz_jsonrpc fuzz_response_reader fuzz_www_authenticate fuzz_oauth_metadata fuzz_callback fuzz_device_response fuzz_gateway_request fuzz_json fuzz_retry_after fuzz_printable fuzz_redact fuzz_tool_headers fuzz_input_required})
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
if [[ -f "$build/CMakeCache.txt" ]]; then generator=(); fi  # keep the generator it was made with

CC=clang CXX=clang++ cmake -S "$root" -B "$build" "${generator[@]}" \
  -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMCPAUTH_BUILD_FUZZERS=ON \
  -DMCPAUTH_BUILD_TESTS=OFF
cmake --build "$build" -j "${FUZZ_JOBS:-2}" --target "${targets[@]}"

work="$build/fuzz-run"
failed=()
for target in "${targets[@]}"; do
  corpus="$work/$target/corpus"
  artifacts="$work/$target/artifacts"
  rm -rf "$work/$target"
  mkdir -p "$corpus" "$artifacts"
  cp -R "$root/fuzz/corpus/$target/." "$corpus/"

  echo "=== $target: ${seconds}s, corpus copy in $corpus"
  status=0
  "$build/fuzz/$target" "$corpus" \
    -max_total_time="$seconds" \
    -max_len=65536 \
    -timeout=10 \
    -rss_limit_mb=2048 \
    -print_final_stats=1 \
    -artifact_prefix="$artifacts/" \
    >"$work/$target/log.txt" 2>&1 || status=$?
  tail -n 15 "$work/$target/log.txt"
  if [[ $status -ne 0 ]] || compgen -G "$artifacts/*" >/dev/null; then
    echo "!!! $target FAILED (exit $status); log: $work/$target/log.txt" >&2
    ls -l "$artifacts" >&2 || true
    echo "    reproduce: $build/fuzz/$target <artifact>" >&2
    failed+=("$target")
  else
    echo "--- $target: no crash"
  fi
done

if ((${#failed[@]})); then
  echo "fuzzing found problems in: ${failed[*]}" >&2
  exit 1
fi
echo "all fuzz targets ran ${seconds}s without a crash"
