#!/usr/bin/env bash
# Checks the layout and the lint of Parley's sources; CI runs it (scripts/test.sh) and fails on
# any finding.
#   scripts/lint.sh [--fix] [BUILD_DIR]
# - Layout: every tracked .c/.cc/.h file as clang-format lays it out (.clang-format). --fix
#   rewrites the files in place instead of failing.
# - Lint: clang-tidy (.clang-tidy) over the sources of the libraries, the programs and the
#   bindings (not the tests, the bench or the fuzzers), from BUILD_DIR's compile_commands.json
#   (default build/, or $PARLEY_BUILD_DIR; scripts/build.sh writes it). Generated sources
#   (the protobuf code) are not linted.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
fix=0
if [ "${1:-}" = "--fix" ]; then fix=1; shift; fi
build=${1:-${PARLEY_BUILD_DIR:-$top/build}}
jobs=${PARLEY_JOBS:-$(nproc)}
cd "$top"

mapfile -t sources < <(git ls-files '*.c' '*.cc' '*.h')
if [ "$fix" = 1 ]; then
  clang-format -i "${sources[@]}"
  echo "lint: formatted ${#sources[@]} files"
else
  if ! clang-format --dry-run --Werror "${sources[@]}"; then
    echo "lint: files above are not laid out as .clang-format says (scripts/lint.sh --fix)" >&2
    exit 1
  fi
  echo "lint: layout of ${#sources[@]} files checked"
fi

if [ ! -f "$build/compile_commands.json" ]; then
  echo "lint: $build/compile_commands.json is missing (configure with scripts/build.sh)" >&2
  exit 1
fi
mapfile -t linted < <(python3 - "$build/compile_commands.json" "$top" <<'PY'
import json, os, sys
top = os.path.realpath(sys.argv[2])
for entry in json.load(open(sys.argv[1])):
    path = os.path.realpath(os.path.join(entry["directory"], entry["file"]))
    rel = os.path.relpath(path, top)
    if rel.split(os.sep)[0] in ("core", "sync", "platform", "apps", "bindings"):
        print(rel)
PY
)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
if ! printf '%s\n' "${linted[@]}" | sort -u |
    xargs -P "$jobs" -n 4 clang-tidy -p "$build" --quiet >"$log" 2>&1; then
  grep -E "(warning|error):" "$log" | sort -u >&2 || cat "$log" >&2
  echo "lint: clang-tidy found the problems above" >&2
  exit 1
fi
echo "lint: clang-tidy checked ${#linted[@]} files in $(( $(date +%s) - start )) s"
