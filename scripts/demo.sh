#!/usr/bin/env bash
# Parley's main job, end to end: installs what is missing, builds, then
#  1. the sync story on loopback (scripts/demo-sync.sh): a relay with its SQLite storage,
#     three devices enrolled through it, two phones working while the relay is down, then
#     everything syncs and the office prints the bottom-line report; the relay's files are
#     checked for plaintext;
#  2. the offline walk-through (scripts/walkthrough.sh): two devices with no network at all,
#     exchanging encrypted bundles, a conflict resolved, lock and panic wipe.
# Every step runs in a fresh temporary directory that is removed afterwards.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${PARLEY_BUILD_DIR:-$top/build}
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh"
"$top/scripts/demo-sync.sh" "$build"
echo
"$top/scripts/walkthrough.sh" "$build/apps/parley/parley"
