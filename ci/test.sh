#!/usr/bin/env bash
# Builds and runs the default test suite (slow, GPU and device-only suites are opt-in
# by label: `ctest --preset all` or `ctest --test-dir build -L slow`), then, where clang
# and libFuzzer are installed (ci/setup.sh installs them), the sanitizer build of the fuzz
# targets: every corpus replayed under ASan+UBSan and a 10 s smoke run of each fuzzer.
# FLASHCHECK_SKIP_FUZZ=1 skips that second part.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/build.sh
ctest --preset default "$@"

if [ "${FLASHCHECK_SKIP_FUZZ:-0}" = 1 ]; then
  echo "ci/test.sh: FLASHCHECK_SKIP_FUZZ=1: fuzz build skipped"
elif command -v clang++-14 >/dev/null && compgen -G "/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null; then
  cmake --preset fuzz
  cmake --build --preset fuzz -j "$(nproc)"
  ctest --preset fuzz
else
  echo "ci/test.sh: clang-14 with libFuzzer not found: fuzz build skipped (run ci/setup.sh)"
fi
