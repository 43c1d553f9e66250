#!/usr/bin/env bash
# Builds the ggml that the pinned llama-cpp-python vendors, once, into a cache outside the
# tree; flashcheck's ggml subject (impls/ggml) and ggml tests (props/ggml_tests.cmake) build
# against it. The source is never copied into the repository.
#
#   bash ci/setup-ggml.sh          # prints the cache directory (builds it on first use)
#
# Cache layout, ${FLASHCHECK_CACHE:-$HOME/.cache/flashcheck}/ggml/<version>/:
#   lib/    libggml*.so from the installed package's llama_cpp/lib
#   src/    ggml/ of the unpacked sdist (public and internal headers, and the source the
#           findings cite) and the licenses; the rest of the 200 MB sdist is dropped
#   stamp   written last: what was built and for which CPU; a complete cache has it
# A second run with a matching stamp does nothing. GGML_NATIVE (the package's default)
# tunes for this CPU, so a cache restored on a CPU with other flags is rebuilt.
set -euo pipefail

# The pin lives in impls/ggml/PINNED_VERSION, which the CMake side reads too.
version="${FLASHCHECK_GGML_VERSION:-$(cat "$(dirname "$0")/../impls/ggml/PINNED_VERSION")}"
cache_root="${FLASHCHECK_CACHE:-$HOME/.cache/flashcheck}"
dest="$cache_root/ggml/$version"
python="${PYTHON:-python3}"

# mtmd (multimodal) is part of the package but not of ggml: skipping it halves the build.
cmake_args="-DLLAVA_BUILD=OFF"
cpu_flags="$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cksum | cut -d' ' -f1 || echo unknown)"
stamp_text="llama-cpp-python==$version cmake_args=$cmake_args cpu=$cpu_flags layout=2"

if [ -f "$dest/stamp" ] && [ "$(cat "$dest/stamp")" = "$stamp_text" ]; then
  echo "ci/setup-ggml.sh: cached: $dest" >&2
  echo "$dest"
  exit 0
fi

command -v "$python" >/dev/null || { echo "ci/setup-ggml.sh: $python not found (set PYTHON)" >&2; exit 1; }
mkdir -p "$cache_root/ggml"
# Debian's python3 has no pip; its venv module (python3-venv) brings one along.
if ! "$python" -m pip --version >/dev/null 2>&1; then
  venv="$cache_root/ggml/.venv"
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv" ||
    { echo "ci/setup-ggml.sh: $python has neither pip nor venv (install python3-venv)" >&2; exit 1; }
  python="$venv/bin/python"
fi

work="$(mktemp -d "$cache_root/ggml/.build-$version.XXXXXX")"
trap 'rm -rf "$work"' EXIT
start=$SECONDS

echo "ci/setup-ggml.sh: downloading the llama-cpp-python==$version sdist" >&2
phase=$SECONDS
"$python" -m pip download --quiet --no-deps --no-binary :all: "llama-cpp-python==$version" -d "$work/sdist" >&2
sdist="$(ls "$work"/sdist/llama_cpp_python-*.tar.gz)"

echo "ci/setup-ggml.sh: downloaded in $((SECONDS - phase)) s; building it with pip (CMAKE_ARGS=$cmake_args)" >&2
phase=$SECONDS
CMAKE_ARGS="$cmake_args" CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" \
  "$python" -m pip wheel --quiet --no-deps "$sdist" -w "$work/wheel" >&2
wheel="$(ls "$work"/wheel/llama_cpp_python-*.whl)"
echo "ci/setup-ggml.sh: built the wheel in $((SECONDS - phase)) s" >&2

mkdir -p "$work/out/lib" "$work/out/src" "$work/unzipped" "$work/unpacked"
"$python" -m zipfile -e "$wheel" "$work/unzipped"
cp -a "$work"/unzipped/llama_cpp/lib/libggml*.so* "$work/out/lib/"
tar -xzf "$sdist" -C "$work/unpacked"
unpacked="$(ls -d "$work"/unpacked/llama_cpp_python-*)"
[ -f "$unpacked/vendor/llama.cpp/ggml/include/ggml.h" ] ||
  { echo "ci/setup-ggml.sh: the sdist has no vendor/llama.cpp/ggml" >&2; exit 1; }
mv "$unpacked/vendor/llama.cpp/ggml" "$work/out/src/ggml"
cp "$unpacked/LICENSE.md" "$work/out/src/LICENSE-llama-cpp-python.md"
cp "$unpacked/vendor/llama.cpp/LICENSE" "$work/out/src/LICENSE-llama.cpp"
echo "$stamp_text" >"$work/out/stamp"

rm -rf "$dest"
mv "$work/out" "$dest"
echo "ci/setup-ggml.sh: built in $((SECONDS - start)) s: $dest" >&2
echo "$dest"
