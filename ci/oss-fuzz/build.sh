#!/usr/bin/env bash
# Builds flashcheck's fuzz targets the way OSS-Fuzz and ClusterFuzzLite expect: with the
# compilers and flags the infrastructure passes in ($CC, $CXX, $CFLAGS, $CXXFLAGS,
# $LIB_FUZZING_ENGINE), writing into $OUT each target, its dictionary, its options file
# and its seed corpus as <target>_seed_corpus.zip. Shared libraries the targets need at
# run time (MPFR, GMP, fmt) are copied into $OUT/lib, found through an $ORIGIN rpath,
# because the runner image does not have them installed.
#
# Try it without the infrastructure (see docs/fuzzing.md):
#   CC=clang-14 CXX=clang++-14 CFLAGS="-fsanitize=address,fuzzer-no-link" CXXFLAGS="$CFLAGS" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/fc-out WORK=/tmp/fc-work bash ci/oss-fuzz/build.sh
set -euo pipefail
src=${SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
: "${CC:?set CC}" "${CXX:?set CXX}" "${OUT:?set OUT}" "${LIB_FUZZING_ENGINE:?set LIB_FUZZING_ENGINE}"
CFLAGS=${CFLAGS:-}
CXXFLAGS=${CXXFLAGS:-}
work=${WORK:-$(mktemp -d)}
build="$work/flashcheck-fuzz-build"
mkdir -p "$OUT" "$OUT/lib"

cmake -S "$src" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DCMAKE_C_FLAGS_RELEASE="-O1" -DCMAKE_CXX_FLAGS_RELEASE="-O1" \
  -DFLASHCHECK_FUZZ_ENGINE=libfuzzer \
  -DFLASHCHECK_FUZZ_LINK_FLAGS="$LIB_FUZZING_ENGINE" \
  -DFLASHCHECK_BUILD_TESTS=OFF -DFLASHCHECK_BUILD_BENCH=OFF -DFLASHCHECK_CUDA=OFF -DFLASHCHECK_OPENCL=OFF \
  -DCMAKE_BUILD_RPATH='$ORIGIN/lib'
targets=$(cd "$src/fuzz" && ls fuzz_*.cpp | sed 's/\.cpp$//')
cmake --build "$build" -j "$(nproc)" --target $targets

for t in $targets; do
  cp "$build/fuzz/$t" "$OUT/$t"
  [ -f "$src/fuzz/$t.dict" ] && cp "$src/fuzz/$t.dict" "$OUT/$t.dict"
  {
    echo "[libfuzzer]"
    [ -f "$src/fuzz/$t.dict" ] && echo "dict = $t.dict"
    echo "timeout = 30"
  } >"$OUT/$t.options"
  rm -f "$OUT/${t}_seed_corpus.zip"
  if [ -d "$src/corpus/$t" ]; then
    # Flat zip (-j): names are unique within a target's corpus (content hashes or descriptive names).
    (cd "$src/corpus/$t" && find . -type f ! -name '*.md' -print0 | xargs -0 zip -q -j "$OUT/${t}_seed_corpus.zip")
  fi
  # Non-system shared libraries the target links, for the runner image.
  # (Once copied, the rpath already resolves them to $OUT/lib: those are skipped.)
  ldd "$OUT/$t" | awk '/=> \// {print $3}' | grep -E 'lib(mpfr|gmp|fmt)\.so' | while read -r lib; do
    case "$(realpath "$lib")" in "$(realpath "$OUT")"/*) continue ;; esac
    cp -L "$lib" "$OUT/lib/"
  done
done
echo "built: $targets"
echo "into:  $OUT"
