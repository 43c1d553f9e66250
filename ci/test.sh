#!/usr/bin/env bash
# Builds and runs the default test suite (slow, GPU and device-only suites are opt-in
# by label: `ctest --preset all` or `ctest --test-dir build -L slow`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/build.sh
ctest --preset default "$@"
