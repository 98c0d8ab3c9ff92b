#!/usr/bin/env bash
# Configures and builds Parley into build/ (or $PARLEY_BUILD_DIR). Extra args go to cmake.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${PARLEY_BUILD_DIR:-$top/build}
jobs=${PARLEY_JOBS:-$(nproc)}
cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARLEY_WARNINGS_AS_ERRORS=ON "$@" >/dev/null
cmake --build "$build" -j "$jobs"
