#!/usr/bin/env bash
# The main job: build, then grade every available backend with `flashcheck check`.
# Extra arguments go to `flashcheck check` (e.g. --quick, --backend cpu-textbook, --json out.json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/build.sh
exec build/cli/flashcheck check "$@"
