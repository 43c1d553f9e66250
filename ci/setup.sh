#!/usr/bin/env bash
# Installs every build and test dependency of flashcheck from Debian packages.
# Idempotent: packages already present are skipped, so it is cheap to run before each build.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libgtest-dev libgmock-dev librapidcheck-dev
  libfmt-dev libboost-dev libmpfr-dev libgmp-dev
  libcli11-dev nlohmann-json3-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo
  gnuplot-nox
  python3 python3-venv
  g++-aarch64-linux-gnu qemu-user-static
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "ci/setup.sh: all ${#packages[@]} packages present"
else
  echo "ci/setup.sh: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The bundle runners' Python (numpy and MLX's CPU build in a venv: ~135 MB, ~10 s from PyPI);
# FLASHCHECK_SKIP_PYTHON_RUNNERS=1 skips it (their tests are then skipped, not failed).
if [ "${FLASHCHECK_SKIP_PYTHON_RUNNERS:-0}" != 1 ]; then
  bash "$(dirname "$0")/setup-python-runners.sh"
fi

# ggml (llama.cpp) from the pinned llama-cpp-python sdist, built once into the cache
# (about 6 minutes on 2 cores, then nothing); the build finds it (docs/ggml.md).
if [ "${FLASHCHECK_SKIP_GGML:-0}" != 1 ]; then
  bash "$(dirname "$0")/setup-ggml.sh"
fi
