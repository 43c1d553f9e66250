#!/usr/bin/env bash
# Grades ggml_flash_attn_ext on ggml's CUDA backend, on a machine with an NVIDIA GPU and nvcc
# but no network: builds ggml from the pinned llama-cpp-python source that ci/gpu-prepare.sh
# brought along (.gpu-deps/ggml/ggml-src-<version>.tar.xz) with GGML_CUDA=ON for one
# architecture, builds flashcheck's ggml plugins against it (impls/ggml: subjects ggml-cuda and
# ggml-cpu, one libggml-base), then runs
#   - flashcheck check on ggml-cuda (the default case matrix),
#   - a case table (ci/gpu-ggml-cuda.sh's recipes: f16, bf16, f32, q8_0, q4_0 and mixed K/V;
#     decode and prefill; masks, GQA, ALiBi, softcap, sinks, long sums),
#   - a replay of corpus/third_party/ggml-cpu and corpus/third_party/ggml-cuda on ggml-cuda,
#   - every MXFP4 code under every E8M0 scale through CUDA's dequantizer (get_rows), vs OCP MX.
#
#   bash ci/gpu-ggml-cuda.sh [--out DIR] [--build-dir DIR] [--jobs N] [--arch SM]
#
#   --out DIR        results (default gpu-results/ggml-cuda): summary.md, build-times.txt,
#                    logs/, json/, failures/
#   --build-dir DIR  flashcheck build with the ggml plugins (default build-ggml-cuda/); the ggml
#                    CUDA build and its staged root go to DIR/ggml-cuda/
#   --jobs N         parallel compile jobs (default: all cores)
#   --arch SM        CUDA architecture (default: the GPU's compute capability, else 90)
#   --quick          flashcheck check --quick (the smoke subset) instead of the whole matrix
#   --build-only     stop after the builds (ggml, CLI, plugins, probe)
#
# Library dependencies of flashcheck come from .gpu-deps/debs (unpacked with dpkg -x) or the
# system. Exit status: 0 when everything built and ran (the grades themselves are findings,
# written to summary.md), 1 when a build or a run broke, 2 on usage errors.
set -uo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$repo/gpu-results/ggml-cuda"
build="$repo/build-ggml-cuda"
jobs="$(nproc)"
arch=""
check_args=()
build_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --build-dir) build="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --arch) arch="$2"; shift 2 ;;
    --quick) check_args+=(--quick); shift ;;
    --build-only) build_only=1; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "ci/gpu-ggml-cuda.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"/{logs,json,failures} "$build"
out="$(cd "$out" && pwd)"
build="$(cd "$build" && pwd)"
log() { echo "ci/gpu-ggml-cuda.sh: $*"; }
fail() { log "$*"; echo "FAILED: $*" >>"$out/summary.md"; exit 1; }
: >"$out/summary.md"
: >"$out/build-times.txt"

version="$(cat "$repo/impls/ggml/PINNED_VERSION")"
tarball="$repo/.gpu-deps/ggml/ggml-src-$version.tar.xz"
[ -f "$tarball" ] || fail "no $tarball: run ci/gpu-prepare.sh (after ci/setup-ggml.sh) on a networked machine"
[ -n "$arch" ] || arch="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')"
[ -n "$arch" ] || arch=90
nvcc="$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)"
[ -x "$nvcc" ] || fail "nvcc not found"
# libggml-cuda needs the toolkit's libcudart and libcublas at run time.
cuda_lib="$(cd "$(dirname "$nvcc")/.." && pwd)/lib64"
[ -d "$cuda_lib" ] && export LD_LIBRARY_PATH="$cuda_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# ---- flashcheck's CLI, built while ggml builds ------------------------------------------------
deps="$build/deps-prefix"
cmake_args=(-S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLASHCHECK_CUDA=OFF
  -DFLASHCHECK_BUILD_BENCH=OFF -DFLASHCHECK_OPENCL=OFF -DFLASHCHECK_BUILD_NEON_RUNNER=OFF)
if [ -d "$repo/.gpu-deps/debs" ]; then
  if [ ! -d "$deps/usr" ]; then
    mkdir -p "$deps"
    for deb in "$repo"/.gpu-deps/debs/*.deb; do dpkg -x "$deb" "$deps" || fail "dpkg -x $deb"; done
  fi
  libdir="$deps/usr/lib/x86_64-linux-gnu"
  export PKG_CONFIG_LIBDIR="$libdir/pkgconfig:$deps/usr/share/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$deps"
  export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  cmake_args+=("-DCMAKE_PREFIX_PATH=$deps/usr" "-DCMAKE_CXX_FLAGS=-isystem $deps/usr/include/x86_64-linux-gnu"
    "-DCMAKE_C_FLAGS=-isystem $deps/usr/include/x86_64-linux-gnu")
  command -v pkg-config >/dev/null || cmake_args+=("-DPKG_CONFIG_EXECUTABLE=$deps/usr/bin/pkgconf")
fi
fc_start=$SECONDS
( cmake "${cmake_args[@]}" -DFLASHCHECK_GGML=OFF && cmake --build "$build" -j "$jobs" --target flashcheck flashcheck-plugin-worker ) \
  >"$out/logs/flashcheck-build.log" 2>&1 &
fc_pid=$!

# ---- ggml with GGML_CUDA -------------------------------------------------------------------
# Only the flash-attention vector kernels can be trimmed: GGML_CUDA_FA_QUANTS picks the K-V
# type pairs that get a vec instance (the others are converted to f16 first); the MMA, tile,
# mmq and mmf template instances are compiled unconditionally and ggml-cuda.cu references
# them, so leaving their files out leaves undefined symbols in libggml-cuda.so.
fa_quants="f16-f16;q8_0-q8_0;q4_0-q4_0;bf16-bf16"
work="$build/ggml-cuda"
root="$work/root"   # the layout impls/ggml/GgmlCache.cmake reads: lib/, src/ggml, stamp
stamp_text="ggml $version GGML_CUDA=ON arch=$arch fa_quants=$fa_quants nvcc=$("$nvcc" --version | tail -1)"
if [ -f "$root/stamp" ] && [ "$(cat "$root/stamp")" = "$stamp_text" ]; then
  log "ggml CUDA build up to date ($root)"
else
  # An interrupted build resumes: the source is unpacked once, so ninja keeps its objects.
  rm -f "$root/stamp"
  mkdir -p "$root/lib" "$root/src" || fail "cannot write $root"
  if [ ! -f "$root/src/ggml/CMakeLists.txt" ]; then
    tar -C "$root/src" -xJf "$tarball" || fail "cannot unpack $tarball"
  fi
  # The sdist leaves out ggml.pc.in, the pkg-config template a standalone ggml configures
  # for `make install` only: an empty one lets the standalone project configure.
  [ -f "$root/src/ggml/ggml.pc.in" ] || : >"$root/src/ggml/ggml.pc.in"
  start=$SECONDS
  cmake -S "$root/src/ggml" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
    -DGGML_CUDA=ON "-DCMAKE_CUDA_COMPILER=$nvcc" "-DCMAKE_CUDA_ARCHITECTURES=$arch" \
    "-DGGML_CUDA_FA_QUANTS=$fa_quants" -DGGML_CUDA_NCCL=OFF -DGGML_NATIVE=ON -DGGML_BUILD_TESTS=OFF -DGGML_BUILD_EXAMPLES=OFF \
    >"$out/logs/ggml-configure.log" 2>&1 || fail "ggml configure failed (logs/ggml-configure.log)"
  echo "ggml configure: $((SECONDS - start)) s" >>"$out/build-times.txt"
  start=$SECONDS
  cmake --build "$work/build" -j "$jobs" >"$out/logs/ggml-build.log" 2>&1 \
    || fail "ggml build failed (logs/ggml-build.log)"
  echo "ggml build (GGML_CUDA=ON, sm_$arch, FA quants $fa_quants, -j $jobs): $((SECONDS - start)) s" \
    >>"$out/build-times.txt"
  find "$work/build" -name 'libggml*.so*' -exec cp -a {} "$root/lib/" \;
  [ -f "$root/lib/libggml-cuda.so" ] || fail "the ggml build made no libggml-cuda.so"
  grep -c '\.cu\.o$' <(ninja -C "$work/build" -t targets all 2>/dev/null | cut -d: -f1) \
    | sed 's/^/CUDA translation units compiled: /' >>"$out/build-times.txt"
  echo "$stamp_text" >"$root/stamp"
fi

# ---- the ggml plugins ----------------------------------------------------------------------
wait "$fc_pid" || fail "flashcheck configure or build failed (logs/flashcheck-build.log)"
echo "flashcheck CLI (alongside the ggml build): $((SECONDS - fc_start)) s since its start" >>"$out/build-times.txt"
start=$SECONDS
{ cmake "${cmake_args[@]}" -DFLASHCHECK_GGML=ON "-DFLASHCHECK_GGML_ROOT=$root" "-DFLASHCHECK_GGML_CUDA_ROOT=$root" &&
  cmake --build "$build" -j "$jobs" --target flashcheck flashcheck-plugin-worker flashcheck_ggml_cuda \
    flashcheck_ggml_cpu flashcheck-ggml-mxfp4; } >>"$out/logs/flashcheck-build.log" 2>&1 \
  || fail "the ggml plugins failed to build (logs/flashcheck-build.log)"
echo "ggml plugins + CLI relink: $((SECONDS - start)) s" >>"$out/build-times.txt"
cat "$out/build-times.txt"
fc="$build/cli/flashcheck"
plugin="$build/impls/ggml/libflashcheck_ggml_cuda.so"
cpu_plugin="$build/impls/ggml/libflashcheck_ggml_cpu.so"
[ -f "$plugin" ] || fail "no $plugin"
[ $build_only -eq 1 ] && exit 0

# ---- grading -------------------------------------------------------------------------------
rc=0
{
  echo "# ggml-cuda: ggml_flash_attn_ext on ggml's CUDA backend (llama-cpp-python $version, sm_$arch)"
  echo
  echo '```'
  cat "$out/build-times.txt"
  nvidia-smi --query-gpu=name,driver_version,compute_cap --format=csv,noheader 2>/dev/null
  "$nvcc" --version | tail -1
  echo '```'
} >>"$out/summary.md"

# The case table: name, then `flashcheck run` recipe flags. Vec kernels need Lk % 256 == 0
# (else MMA); quantized K/V use the vec kernel for Lq <= 2 and MMA (K/V converted to f16) above.
recipes=(
  "dec-f16-d128-lk1024-causal-gqa4|--hq 8 --hkv 2 --lq 1 --lk 1024 --dk 128 --dv 128 --mask causal"
  "dec-f16-d64-lk4096-same-sign-v|--lq 1 --lk 4096 --dk 64 --dv 64 --dist same_sign_v"
  "dec-f16-d128-lk512-alibi|--hq 4 --hkv 4 --lq 1 --lk 512 --dk 128 --dv 128 --max-bias 8 --mask causal"
  "dec-f16-d128-lk512-softcap-sinks|--hq 4 --hkv 2 --lq 1 --lk 512 --dk 128 --dv 128 --softcap 30 --sinks"
  "dec-f16-d256-lk768-window|--hq 2 --hkv 1 --lq 1 --lk 768 --dk 256 --dv 256 --mask window --window 128"
  "dec-f16-d128-lk300-mma|--hq 2 --hkv 1 --lq 1 --lk 300 --dk 128 --dv 128 --mask causal"
  "dec-f16-d128-lk1024-large-v|--hq 2 --hkv 1 --lq 1 --lk 1024 --dk 128 --dv 128 --dist large_v"
  "dec-f16-d128-lk512-special-window|--hq 2 --hkv 1 --lq 1 --lk 512 --dk 128 --dv 128 --dist special --mask window --window 64"
  "dec-f32kv-d128-lk512|--hq 2 --hkv 1 --lq 1 --lk 512 --dk 128 --dv 128 --k-type f32 --v-type f32"
  "dec-bf16kv-d128-lk512|--hq 2 --hkv 1 --lq 1 --lk 512 --dk 128 --dv 128 --k-type bf16 --v-type bf16"
  "dec-batch2-f16-d128-lk512|--batch 2 --hq 4 --hkv 2 --lq 1 --lk 512 --dk 128 --dv 128 --mask causal"
  "dec-q8_0-d128-lk1024-causal-gqa4|--hq 8 --hkv 2 --lq 1 --lk 1024 --dk 128 --dv 128 --mask causal --k-quant ggml_q8_0 --v-quant ggml_q8_0"
  "dec-q4_0-d128-lk1024-causal-gqa4|--hq 8 --hkv 2 --lq 1 --lk 1024 --dk 128 --dv 128 --mask causal --k-quant ggml_q4_0 --v-quant ggml_q4_0"
  "dec-q8_0-d64-lk512-alibi-sinks|--hq 4 --hkv 4 --lq 1 --lk 512 --dk 64 --dv 64 --max-bias 8 --mask causal --sinks --k-quant ggml_q8_0 --v-quant ggml_q8_0"
  "dec-q8_0K-f16V-d128-lk512|--hq 2 --hkv 1 --lq 1 --lk 512 --dk 128 --dv 128 --k-quant ggml_q8_0"
  "dec-f16K-q4_0V-d128-lk512|--hq 2 --hkv 1 --lq 1 --lk 512 --dk 128 --dv 128 --v-quant ggml_q4_0"
  "dec-q8_0-d128-lk4096-same-sign-v|--lq 1 --lk 4096 --dk 128 --dv 128 --dist same_sign_v --k-quant ggml_q8_0 --v-quant ggml_q8_0"
  "lq2-q4_0-d128-lk512-causal|--hq 2 --hkv 1 --lq 2 --lk 512 --dk 128 --dv 128 --mask causal --k-quant ggml_q4_0 --v-quant ggml_q4_0"
  "pre-f16-d128-lq64-lk256-causal-gqa4|--hq 8 --hkv 2 --lq 64 --lk 256 --dk 128 --dv 128 --mask causal"
  "pre-f16-d128-lq128-lk512-random|--hq 4 --hkv 2 --lq 128 --lk 512 --dk 128 --dv 128 --mask random"
  "pre-f16-d64-lq64-lk300-masked-rows|--hq 2 --hkv 1 --lq 64 --lk 300 --dk 64 --dv 64 --mask masked_rows"
  "pre-f16-d128-lq64-lk512-alibi|--hq 4 --hkv 4 --lq 64 --lk 512 --dk 128 --dv 128 --max-bias 8 --mask causal"
  "pre-f16-d128-lq96-lk512-softcap-sinks|--hq 4 --hkv 2 --lq 96 --lk 512 --dk 128 --dv 128 --softcap 30 --sinks --mask causal"
  "pre-f16-d80-lq64-lk256|--hq 2 --hkv 1 --lq 64 --lk 256 --dk 80 --dv 80 --mask causal"
  "pre-f16-d256-lq64-lk512-window|--hq 2 --hkv 1 --lq 64 --lk 512 --dk 256 --dv 256 --mask window --window 100"
  "pre-f16-d128-lq64-lk4096-same-sign-v|--lq 64 --lk 4096 --dk 128 --dv 128 --dist same_sign_v"
  "pre-f16-d128-lq64-lk256-special-causal|--hq 2 --hkv 1 --lq 64 --lk 256 --dk 128 --dv 128 --dist special --mask causal"
  "pre-f16-d128-lq64-lk512-huge-scores|--hq 2 --hkv 1 --lq 64 --lk 512 --dk 128 --dv 128 --dist huge_scores --mask causal"
  "pre-q8_0-d128-lq64-lk512-causal|--hq 4 --hkv 2 --lq 64 --lk 512 --dk 128 --dv 128 --mask causal --k-quant ggml_q8_0 --v-quant ggml_q8_0"
  "pre-q4_0-d128-lq64-lk512-causal|--hq 4 --hkv 2 --lq 64 --lk 512 --dk 128 --dv 128 --mask causal --k-quant ggml_q4_0 --v-quant ggml_q4_0"
  "pre-f32kv-d64-lq64-lk256|--hq 2 --hkv 1 --lq 64 --lk 256 --dk 64 --dv 64 --k-type f32 --v-type f32 --mask causal"
  "lq8-f16-d128-lk512-causal|--hq 4 --hkv 2 --lq 8 --lk 512 --dk 128 --dv 128 --mask causal"
  "pre-f16-h64-lq64-lk4096-same-sign-v|--hq 64 --hkv 64 --lq 64 --lk 4096 --dk 64 --dv 64 --dist same_sign_v"
  "pre-f32kv-d64-lq5-lk37-softcap|--hq 4 --hkv 2 --lq 5 --lk 37 --dk 64 --dv 64 --k-type f32 --v-type f32 --softcap 30 --dist large_scores --mask causal"
)
{
  echo
  echo "## Case table (\`flashcheck run --plugin <ggml-cuda plugin> --backend ggml-cuda ...\`, seed 3)"
  echo
  echo "ggml-cpu: the same case on ggml's CPU backend from the same build (all cores), for comparison."
  echo
  echo "| case | ggml-cuda verdict | worst error/budget | ggml-cpu | first ggml-cuda failure |"
  echo "| --- | --- | --- | --- | --- |"
} >>"$out/summary.md"
for r in "${recipes[@]}"; do
  name="${r%%|*}"
  # shellcheck disable=SC2086 # the recipe's flags are words
  timeout 300 "$fc" run --plugin "$plugin" --backend ggml-cuda ${r#*|} --seed 3 --json "$out/json/case-$name.json" \
    --save-failures "$out/failures" >"$out/logs/case-$name.log" 2>&1
  case_rc=$?
  [ $case_rc -gt 1 ] && rc=1
  verdict="$(grep -m1 '^verdict:' "$out/logs/case-$name.log" | sed 's/^verdict: //')"
  worst="$(grep -m1 '^worst budget use:' "$out/logs/case-$name.log" | sed 's/^worst budget use: //; s/ (.*//')"
  why="$(grep -m1 '^failed:\|^unsupported\|^error' "$out/logs/case-$name.log" | cut -c1-160 | tr '|' '/')"
  # shellcheck disable=SC2086
  timeout 300 "$fc" run --plugin "$cpu_plugin" --backend ggml-cpu ${r#*|} --seed 3 >"$out/logs/case-$name-cpu.log" 2>&1
  cpu="$(grep -m1 '^verdict:' "$out/logs/case-$name-cpu.log" | sed 's/^verdict: //') $(grep -m1 '^worst budget use:' \
    "$out/logs/case-$name-cpu.log" | sed 's/^worst budget use: //; s/ (.*//')"
  echo "| $name | ${verdict:-rc $case_rc} | ${worst:--} | $cpu | ${why:-} |" >>"$out/summary.md"
  echo "case $name: ${verdict:-rc $case_rc} ${worst:-}"
done

run_step() {  # NAME CMD...: output in logs/NAME.log, its RESULT line in the summary
  local name="$1"; shift
  local start=$SECONDS
  timeout 900 "$@" >"$out/logs/$name.log" 2>&1
  local step_rc=$?
  [ $step_rc -gt 1 ] && rc=1
  echo "- $name (rc $step_rc, $((SECONDS - start)) s): $(grep -m1 '^RESULT' "$out/logs/$name.log" | cut -c1-300)" \
    >>"$out/summary.md"
  echo "$name: rc $step_rc"
}
{ echo; echo "## Runs"; echo; } >>"$out/summary.md"
run_step mxfp4-cuda "$build/impls/ggml/flashcheck-ggml-mxfp4" cuda
run_step mxfp4-cpu "$build/impls/ggml/flashcheck-ggml-mxfp4" cpu
run_step replay-ggml-cpu-corpus "$fc" replay "$repo/corpus/third_party/ggml-cpu" --plugin "$plugin" --backend ggml-cuda \
  --json "$out/json/replay-ggml-cpu-corpus.json" --artifacts "$out/failures"
if [ -d "$repo/corpus/third_party/ggml-cuda" ]; then
  run_step replay-ggml-cuda-corpus "$fc" replay "$repo/corpus/third_party/ggml-cuda" --plugin "$plugin" \
    --backend ggml-cuda --json "$out/json/replay-ggml-cuda-corpus.json" --artifacts "$out/failures"
fi
run_step check "$fc" check --plugin "$plugin" --backend ggml-cuda "${check_args[@]}" --json "$out/json/check.json" --artifacts "$out/failures"
grep -A3 '^RESULT\|FAIL \[' "$out/logs/check.log" | head -40 | sed 's/^/    /' >>"$out/summary.md"
log "summary: $out/summary.md"
exit $rc
