#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan), runs each for SECONDS (default 60), then
# replays every input kept in fuzz/regressions/<target>/ and the seed corpus.
#
#   scripts/fuzz.sh [SECONDS]        fuzz each target, then replay
#   scripts/fuzz.sh --replay-only    only replay regressions and seeds (fast)
#   scripts/fuzz.sh --seeds          regenerate fuzz/corpus/ with fuzz_seed_gen
#
# Build directory: $PARLEY_FUZZ_BUILD_DIR (default build-fuzz/). Inputs the fuzzer finds
# interesting accumulate in <build>/corpus/<target>/; a crash leaves its input in
# <build>/artifacts/<target>/ and fails the script: fix it, then keep the input in
# fuzz/regressions/<target>/ so every later run replays it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${PARLEY_FUZZ_BUILD_DIR:-$top/build-fuzz}
jobs=${PARLEY_JOBS:-$(nproc)}
targets=(fuzz_change_decode fuzz_bundle_import fuzz_store_open fuzz_invite
         fuzz_frame_length fuzz_handshake_responder fuzz_relay_frames)

# Flags a target needs on every run. fuzz_relay_frames runs a real relay whose structured
# log lines go to stderr: libFuzzer closes the target's stderr and keeps its own output
# (and the sanitizers' reports) on a copy.
target_flags() {
  case "$1" in
    fuzz_relay_frames) echo "-close_fd_mask=2" ;;
  esac
}

mode=fuzz
seconds=60
case "${1:-}" in
  --replay-only) mode=replay ;;
  --seeds) mode=seeds ;;
  "") ;;
  *[!0-9]*) echo "usage: $0 [SECONDS | --replay-only | --seeds]" >&2; exit 2 ;;
  *) seconds=$1 ;;
esac

CC=clang CXX=clang++ cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPARLEY_BUILD_FUZZ=ON -DPARLEY_BUILD_TESTS=OFF -DPARLEY_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target "${targets[@]}" fuzz_seed_gen
# The C ABI under ASan+UBSan (libparley.so, its plain-C host test, a relay of this build).
if [ "$mode" != seeds ]; then
  cmake --build "$build" -j "$jobs" --target parley_c_host_test parley_header_check parley-relay
fi

if [ "$mode" = seeds ]; then
  "$build/fuzz/fuzz_seed_gen" "$top/fuzz/corpus"
  echo "fuzz: seed corpora written to fuzz/corpus/"
  exit 0
fi

# Scratch stores live in memory when possible: fsync on tmpfs costs nothing.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0

if [ "$mode" = fuzz ]; then
  for t in "${targets[@]}"; do
    mkdir -p "$build/corpus/$t" "$build/artifacts/$t"
    echo "fuzz: $t for ${seconds} s"
    # shellcheck disable=SC2046
    if ! "$build/fuzz/$t" $(target_flags "$t") -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=30 \
        -print_final_stats=1 -artifact_prefix="$build/artifacts/$t/" \
        "$build/corpus/$t" "$top/fuzz/corpus/$t" >"$build/artifacts/$t.log" 2>&1; then
      echo "fuzz: $t FAILED; see $build/artifacts/$t.log and the input in $build/artifacts/$t/" >&2
      tail -n 40 "$build/artifacts/$t.log" >&2
      status=1
    else
      grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done)' "$build/artifacts/$t.log" || true
    fi
  done
fi

for t in "${targets[@]}"; do
  inputs=()
  for dir in "$top/fuzz/regressions/$t" "$top/fuzz/corpus/$t"; do
    [ -d "$dir" ] || continue
    while IFS= read -r -d '' f; do inputs+=("$f"); done < <(find "$dir" -type f ! -name '.*' -print0)
  done
  [ ${#inputs[@]} -gt 0 ] || continue
  # shellcheck disable=SC2046
  if "$build/fuzz/$t" $(target_flags "$t") -rss_limit_mb=4096 -timeout=30 "${inputs[@]}" \
      >"$build/$t.replay.log" 2>&1; then
    echo "fuzz: $t replayed ${#inputs[@]} kept inputs: ok"
  else
    echo "fuzz: $t FAILED on a kept input; see $build/$t.replay.log" >&2
    tail -n 40 "$build/$t.replay.log" >&2
    status=1
  fi
done

# The plain-C host test through libparley.so, under the sanitizers, against a real relay.
capi_scratch=$(mktemp -d)
if "$build/bindings/c/tests/parley_header_check" >"$build/capi_asan.log" 2>&1 &&
   "$build/bindings/c/tests/parley_c_host_test" "$build/apps/parley-relay/parley-relay" "$capi_scratch" \
     >>"$build/capi_asan.log" 2>&1; then
  echo "fuzz: C ABI host test under ASan+UBSan: ok"
else
  echo "fuzz: C ABI host test under ASan+UBSan FAILED; see $build/capi_asan.log" >&2
  tail -n 60 "$build/capi_asan.log" >&2
  status=1
fi
rm -rf "$capi_scratch"
exit $status
