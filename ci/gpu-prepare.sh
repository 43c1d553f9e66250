#!/usr/bin/env bash
# Gathers into .gpu-deps/ what ci/gpu-check.sh needs on a GPU machine that has nvcc,
# CMake, ninja, a C++ compiler and PyTorch but no network and none of flashcheck's
# library dependencies. Runs on a networked Debian/Ubuntu dev machine, no root needed.
#
#   bash ci/gpu-prepare.sh            # writes .gpu-deps/ (kept out of git)
#
# .gpu-deps/debs/    the .deb files of the build and test dependencies (apt-get download);
#                    gpu-check.sh unpacks them with dpkg -x into a private prefix
# .gpu-deps/ggml/    the pinned ggml source (headers and sources of the sdist that
#                    ci/setup-ggml.sh keeps in ${FLASHCHECK_CACHE:-$HOME/.cache/flashcheck}),
#                    for the ggml-cuda step; absent when that cache is absent
# .gpu-deps/MANIFEST what was gathered, from where, with sizes and sha256 sums
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
dest="${FLASHCHECK_GPU_DEPS:-$repo/.gpu-deps}"
max_mib=40

# Build and test dependencies of a FLASHCHECK_CUDA=ON build with tests (CMakeLists.txt's
# find_package / pkg_check_modules), with the runtime libraries the -dev packages link to.
# Benchmarks (libbenchmark) are not built there. pkgconf: the GPU image may lack pkg-config.
packages=(
  libfmt-dev libfmt9
  libmpfr-dev libmpfr6
  libgmp-dev libgmp10 libgmpxx4ldbl
  nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev librapidcheck-dev
  pkgconf pkgconf-bin libpkgconf3
)

command -v apt-get >/dev/null || { echo "ci/gpu-prepare.sh: apt-get not found (a Debian/Ubuntu machine is needed)" >&2; exit 1; }

rm -rf "$dest/debs" "$dest/ggml"
mkdir -p "$dest/debs"

# A private apt state: no root, and the system's lists stay untouched.
apt_state="$(mktemp -d)"
trap 'rm -rf "$apt_state"' EXIT
mkdir -p "$apt_state/lists/partial" "$apt_state/cache/archives/partial"
apt_opts=(-o "Dir::State::Lists=$apt_state/lists" -o "Dir::Cache=$apt_state/cache" -o "Debug::NoLocking=1")
echo "ci/gpu-prepare.sh: apt-get update (private lists)"
apt-get "${apt_opts[@]}" update -qq
(cd "$dest/debs" && apt-get "${apt_opts[@]}" download "${packages[@]}")

# The ggml source for the ggml-cuda step (the CUDA backend is built from it there).
ggml_version="$(cat "$repo/impls/ggml/PINNED_VERSION" 2>/dev/null || true)"
ggml_src="${FLASHCHECK_CACHE:-$HOME/.cache/flashcheck}/ggml/$ggml_version/src"
if [ -n "$ggml_version" ] && [ -d "$ggml_src/ggml" ]; then
  mkdir -p "$dest/ggml"
  tar -C "$ggml_src" -cJf "$dest/ggml/ggml-src-$ggml_version.tar.xz" .
  echo "$ggml_version" >"$dest/ggml/VERSION"
else
  echo "ci/gpu-prepare.sh: no ggml source in $ggml_src (run ci/setup-ggml.sh for the ggml-cuda step); skipped"
fi

{
  # shellcheck disable=SC1091 # the running system's release file
  echo "# gathered by ci/gpu-prepare.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ) from $(. /etc/os-release && echo "$PRETTY_NAME")"
  (cd "$dest" && find debs ggml -type f 2>/dev/null | sort | while read -r f; do
    echo "$(sha256sum "$f" | cut -d' ' -f1)  $(stat -c %s "$f")  $f"
  done)
} >"$dest/MANIFEST"

size_kib="$(du -sk "$dest" | cut -f1)"
echo "ci/gpu-prepare.sh: $dest holds $((size_kib / 1024)) MiB ($(find "$dest/debs" -name '*.deb' | wc -l) debs)"
if [ "$size_kib" -gt $((max_mib * 1024)) ]; then
  echo "ci/gpu-prepare.sh: over the ${max_mib} MiB budget for carried files" >&2
  exit 1
fi
