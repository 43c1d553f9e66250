#!/usr/bin/env bash
# Installs dependencies, configures and builds flashcheck (Release with debug info, Ninja).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
cmake --preset default
cmake --build --preset default -j "$(nproc)"
