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
# PARLEY_SKIP_INSTALL=1 (skip step 1, e.g. without root).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${PARLEY_ARM64_BUILD_DIR:-$top/build-arm64}
host=${PARLEY_ARM64_HOST_BUILD_DIR:-$top/build-arm64-host}
type=${PARLEY_ARM64_BUILD_TYPE:-Release}
jobs=${PARLEY_JOBS:-2}
triple=aarch64-linux-gnu
start=$(date +%s)
step() { echo "arm64: $* ($(( $(date +%s) - start )) s)"; }

# The test suites that run under qemu-aarch64 (ctest labels are the folders under tests/).
# Left out: cli, cli_text, qr (the `parley` program: they run it, or its text rendering),
# relay (the relay is a server, not what a phone runs).
suites=(crypto noise platform support_json store log model sync)
# Tests that start another arm64 program as a child process: qemu-user runs the test program,
# but without binfmt_misc the kernel cannot start an arm64 child (ENOEXEC).
#   StoreCrashTest   kills parley_store_crash_child at random points
#   RealProcesses    runs `parley` processes
# The tests that start parley-relay start this machine's own (PARLEY_RELAY, below).
excluded='StoreCrashTest\.|RealProcesses\.'
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
c_tests=()
if [ -f "$top/bindings/c/tests/CMakeLists.txt" ]; then
  # The C ABI test programs (bindings/c/tests), whatever their number.
  mapfile -t c_tests < <(ninja -C "$build" -t targets all 2>/dev/null |
                         sed -n 's|^bindings/c/tests/\([A-Za-z0-9_]*\): C_EXECUTABLE_LINKER.*|\1|p' | sort -u)
fi
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
  step "running the C ABI test under qemu-aarch64, syncing through the $(uname -m) parley-relay"
  (cd "$build" && PARLEY_RELAY="$relay" ctest -L '^capi$' -j 1 --timeout 900 --output-on-failure) |
    tee "$build/ctest-arm64-capi.log" || status=1
  c_summary=$(grep -E 'tests passed|tests failed' "$build/ctest-arm64-capi.log" | tail -n 1)
fi

size_of() {  # size_of STRIP LIBRARY: bytes of a stripped copy
  local copy
  copy=$(mktemp)
  cp "$2" "$copy"
  "$1" --strip-unneeded "$copy"
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
