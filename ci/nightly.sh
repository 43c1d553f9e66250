#!/usr/bin/env bash
# Nightly: the whole test suite (every label) with a fresh random RapidCheck seed and
# more cases per property. The seed is printed first so any failure can be replayed with
#   cmake -B build-nightly -DFLASHCHECK_RC_SEED=<seed> && ctest --test-dir build-nightly
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${FLASHCHECK_RC_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "nightly RapidCheck seed: $seed"
bash ci/setup.sh
cmake -S . -B build-nightly -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLASHCHECK_RC_SEED="$seed" \
  -DFLASHCHECK_RC_EXTRA="max_success=1000"
cmake --build build-nightly -j "$(nproc)"
ctest --test-dir build-nightly --output-on-failure -j "$(nproc)"
echo "nightly RapidCheck seed: $seed"
