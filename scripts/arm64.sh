#!/usr/bin/env bash
# The arm64 (aarch64) build, tested on this x86-64 machine (docs/architecture.md "arm64"):
#   1. installs the cross toolchain, qemu-user and the :arm64 libraries (install-arm64-deps.sh);
#   2. cross-builds the core, the sync client, the C ABI (libparley.so) and the core test
#      suites in build-arm64 (cmake/toolchains/aarch64-linux-gnu.cmake);
#   3. builds parley-relay and libparley.so for this machine in build-arm64-host: the relay the
#      arm64 tests sync through, and the x86-64 size to compare with;
#   4. runs the test suites and the C ABI host test under qemu-aarch64 (ctest; the toolchain
#      file makes qemu the emulator of every test program);
#   5. prints the sizes of libparley.so, stripped, for arm64 and x86-64.
# Not part of CI (.ci/run): the first cross build takes long on a small machine.
#
# Environment: PARLEY_ARM64_BUILD_DIR, PARLEY_ARM64_HOST_BUILD_DIR (build directories),
# PARLEY_ARM64_BUILD_TYPE (Release; MinSizeRel for the smallest library), PARLEY_JOBS (2),
# PARLEY_ARM64_SUITES (the test suites, below),
# PARLEY_SKIP_INSTALL=1 (skip step 1, e.g. without root).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${PARLEY_ARM64_BUILD_DIR:-$top/build-arm64}
host=${PARLEY_ARM64_HOST_BUILD_DIR:-$top/build-arm64-host}
type=${PARLEY_ARM64_BUILD_TYPE:-Release}
jobs=${PARLEY_JOBS:-2}
triple=aarch64-linux-gnu
emulator=(qemu-aarch64 -L /)   # as in the toolchain file
start=$(date +%s)
step() { echo "arm64: $* ($(( $(date +%s) - start )) s)"; }

# The test suites that run under qemu-aarch64 (ctest labels are the folders under tests/;
# PARLEY_ARM64_SUITES replaces the list). Left out by default: capi, sync and relay (their
# build needs the arm64 parley-relay, and sync the arm64 `parley`, besides the tests: long on a
# small machine; add them with PARLEY_ARM64_SUITES), cli, cli_text and qr (the `parley`
# program).
read -ra suites <<< "${PARLEY_ARM64_SUITES:-crypto noise platform support_json store log model}"
# Tests that start another arm64 program as a child process: qemu-user runs the test program,
# but without binfmt_misc the kernel cannot start an arm64 child (ENOEXEC).
#   StoreCrashTest   kills parley_store_crash_child at random points
#   RealProcesses    runs `parley` processes
# The tests that start parley-relay start this machine's own (PARLEY_RELAY, below).
# And the tests with a wall-clock bound, meaningless under emulation, or too long under it
# (minutes natively; far more under qemu):
#   RecordsScale                 lists 2,000 notes within 5 s
#   Convergence.Random*          random schedules of edits, syncs and membership changes
#   StoreTamperTest.FlippedByte* a byte flipped at every offset of the database and the WAL
excluded='StoreCrashTest\.|RealProcesses\.|RecordsScale\.|Convergence\.Random|StoreTamperTest\.FlippedByte'
test_targets=()
for s in "${suites[@]}"; do test_targets+=("parley_${s}_tests"); done

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

if [ "${PARLEY_SKIP_INSTALL:-0}" != "1" ]; then
  step "installing the cross toolchain and the arm64 libraries"
  "$top/scripts/install-arm64-deps.sh"
fi

step "configuring $build ($type, $triple)"
cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="$type" \
      -DCMAKE_TOOLCHAIN_FILE="$top/cmake/toolchains/$triple.cmake" "${launcher[@]}" \
      -DPARLEY_BUILD_TESTS=ON -DPARLEY_BUILD_BENCH=OFF -DPARLEY_BUILD_FUZZ=OFF >/dev/null
# The C ABI tests (bindings/c/tests): programs that link only libparley.so.
c_tests=()
if [ -f "$top/bindings/c/tests/c_host_test.c" ]; then c_tests=(parley_header_check parley_c_host_test); fi
step "building parley_c ${test_targets[*]} ${c_tests[*]}"
cmake --build "$build" -j "$jobs" --target parley_c "${test_targets[@]}" "${c_tests[@]}"

step "building parley-relay and parley_c for $(uname -m) in $host"
cmake -S "$top" -B "$host" -G Ninja -DCMAKE_BUILD_TYPE="$type" "${launcher[@]}" \
      -DPARLEY_BUILD_TESTS=OFF -DPARLEY_BUILD_BENCH=OFF -DPARLEY_BUILD_FUZZ=OFF >/dev/null
cmake --build "$host" -j "$jobs" --target parley-relay parley_c
# The relay the arm64 tests start (tests/support/relay_process.h): qemu-user hands the exec
# of an x86-64 program to the kernel, which runs it natively.
relay="$host/apps/parley-relay/parley-relay"

labels="^($(IFS='|'; echo "${suites[*]}"))\$"
step "running the test suites under qemu-aarch64 (ctest -L '$labels')"
status=0
(cd "$build" && PARLEY_RELAY="$relay" ctest -L "$labels" -E "$excluded" -j "$jobs" --timeout 900 --output-on-failure) |
  tee "$build/ctest-arm64.log" || status=1
summary=$(grep -E 'tests passed|tests failed' "$build/ctest-arm64.log" | tail -n 1)

c_summary="no C ABI test in this tree"
if [ ${#c_tests[@]} -gt 0 ]; then
  step "running the C ABI tests under qemu-aarch64, syncing through the $(uname -m) parley-relay"
  # parley_header_check through ctest (qemu is its emulator); the C host test directly: its
  # ctest entry runs it through a CMake script, which knows no emulator, with the arm64 relay.
  scratch="$build/c_host_test.d"
  rm -rf "$scratch" && mkdir -p "$scratch"
  passed=0 failed=0
  if (cd "$build" && ctest -R '^parley_header_check$' --output-on-failure); then
    passed=$(( passed + 1 )); else failed=$(( failed + 1 )); fi
  if env -u PARLEY_KEYSTORE "${emulator[@]}" "$build/bindings/c/tests/parley_c_host_test" "$relay" "$scratch" \
       2>&1 | tee "$build/c-host-test-arm64.log"; then
    passed=$(( passed + 1 )); rm -rf "$scratch"
  else
    failed=$(( failed + 1 )); echo "arm64: parley_c_host_test failed; its files are in $scratch"
  fi
  [ "$failed" -eq 0 ] || status=1
  c_summary="$passed passed, $failed failed (parley_header_check, parley_c_host_test)"
fi

size_of() {  # size_of STRIP LIBRARY: bytes of a stripped copy
  local copy
  copy=$(mktemp)
  cp "$2" "$copy"
  "$1" --strip-all "$copy"
  stat -c %s "$copy"
  rm -f "$copy"
}
arm_lib=$(readlink -f "$build/bindings/c/libparley.so")
host_lib=$(readlink -f "$host/bindings/c/libparley.so")
step "done"
echo "arm64: test suites ($(IFS=' '; echo "${suites[*]}")): $summary"
echo "arm64: C ABI test: $c_summary"
echo "arm64: libparley.so $type stripped: arm64 $(size_of "$triple-strip" "$arm_lib") bytes," \
     "$(uname -m) $(size_of strip "$host_lib") bytes (unstripped: $(stat -c %s "$arm_lib"), $(stat -c %s "$host_lib"))"
echo "arm64: libparley.so (arm64) needs: $("$triple-readelf" -d "$arm_lib" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')"
deps=0
for lib in libprotobuf-lite.so.32 libsodium.so.23 libsqlite3.so.0 libzxcvbn.so.0; do
  f=$(readlink -f "/usr/lib/$triple/$lib" 2>/dev/null || true)
  if [ -n "$f" ] && [ -f "$f" ]; then deps=$(( deps + $(size_of "$triple-strip" "$f") )); fi
done
echo "arm64: its Debian arm64 libraries (protobuf-lite, sodium, sqlite3, zxcvbn), stripped: $deps bytes"
echo "arm64: took $(( $(date +%s) - start )) s"
exit $status
