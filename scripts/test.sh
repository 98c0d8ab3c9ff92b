#!/usr/bin/env bash
# Installs what is missing, builds, checks layout and lint (scripts/lint.sh), and runs every
# test: the GoogleTest suites through ctest, then each libFuzzer target for
# ${PARLEY_FUZZ_SECONDS:-60} s plus its regression inputs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${PARLEY_BUILD_DIR:-$top/build}
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh"
# Layout and lint run beside the tests (many tests wait on processes and sockets more than
# they compute); a finding fails the run once the tests are done.
"$top/scripts/lint.sh" "$build" > "$build/lint.log" 2>&1 &
lint_pid=$!
start=$(date +%s)
(cd "$build" && ctest --output-on-failure -j "${PARLEY_JOBS:-$(nproc)}" --timeout 900) | tee "$build/ctest.log"
echo "test: ctest took $(( $(date +%s) - start )) s"
if ! wait "$lint_pid"; then
  cat "$build/lint.log" >&2
  echo "test: lint failed" >&2
  exit 1
fi
cat "$build/lint.log"
total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$build/ctest.log" | tail -n 1)
if [ "${PARLEY_SKIP_FUZZ:-0}" != "1" ]; then
  "$top/scripts/fuzz.sh" "${PARLEY_FUZZ_SECONDS:-60}"
fi
echo "test: ${total:-0} passed, 0 failed"
