#!/usr/bin/env bash
# Parley's main job, end to end: installs what is missing, builds, and runs the offline
# walk-through on a fresh temporary data directory.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh"
exec "$top/scripts/walkthrough.sh" "${PARLEY_BUILD_DIR:-$top/build}/apps/parley/parley"
