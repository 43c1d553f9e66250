#!/usr/bin/env bash
# Grades CUDA kernels on a machine with an NVIDIA GPU, nvcc and PyTorch, with no network:
# builds flashcheck with CUDA, runs the CUDA subjects' GPU suites (ctest -L gpu), `flashcheck
# check` and `flashcheck drift` on them, and grades PyTorch's SDPA backends (math, flash,
# efficient, cudnn) on the case set ci/gpu-cases.json through impls/external/torch_runner.py
# and `flashcheck verify`. Results: docs/gpu-results.md.
#
#   bash ci/gpu-prepare.sh                 # once, on a networked machine: fills .gpu-deps/
#   bash ci/gpu-check.sh [--out DIR] [--build-dir DIR] [--steps LIST] [--jobs N]
#
#   --out DIR        results (default gpu-results/): summary.md, summary.json, versions.*,
#                    commands.txt, logs/, junit/, json/, plots/
#   --build-dir DIR  CUDA build and the SDPA bundle (default build-gpu-check/)
#   --steps LIST     comma-separated subset of: build,ctest,check,drift,sdpa,ggml (default all;
#                    every step after build needs the build, which is incremental). Results of
#                    steps run by an earlier call into the same --out stay in the summary.
#
# Library dependencies come from .gpu-deps/debs (unpacked with dpkg -x into a private prefix
# under the build dir) or, without that folder, from the system. Every step runs under a
# timeout (FLASHCHECK_GPU_TIMEOUT_<STEP> seconds overrides the default). Exit status: 0 when
# every step that ran passed, or when there is no GPU (the summary then says "skipped");
# 1 otherwise. The summary is written in every case.
set -uo pipefail

invocation="bash ci/gpu-check.sh${*:+ $*}"
started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$repo/gpu-results"
build="$repo/build-gpu-check"
steps="build,ctest,check,drift,sdpa,ggml"
jobs="$(nproc)"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --build-dir) build="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "ci/gpu-check.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for s in ${steps//,/ }; do
  case "$s" in build|ctest|check|drift|sdpa|ggml) ;; *) echo "ci/gpu-check.sh: unknown step '$s'" >&2; exit 2 ;; esac
done
mkdir -p "$out"/{logs,junit,json,plots,status}
out="$(cd "$out" && pwd)"
python="${PYTHON:-python3}"
flashcheck="$build/cli/flashcheck"
# The CUDA subjects, and what `flashcheck drift` is expected to say of each: cuda-fp16acc
# holds its accumulator in fp16 on purpose (docs/subjects.md), so its drift is the expected
# diagnosis; the fp32 kernels must show none.
cuda_subjects=(cuda-fp32 cuda-splitkv cuda-fp16acc)
declare -A drift_expected=([cuda-fp32]="no drift" [cuda-splitkv]="no drift" [cuda-fp16acc]="DRIFT")
sdpa_runners=(torch-math-cuda torch-flash-cuda torch-efficient-cuda torch-cudnn-cuda)

wants() { [[ ",$steps," == *",$1,"* ]]; }
timeout_for() { local v="FLASHCHECK_GPU_TIMEOUT_${1^^}"; echo "${!v:-$2}"; }
summarize() {
  "$python" -c 'import json, sys; json.dump(dict(zip(("command", "started", "seconds"), sys.argv[1:4])), open(sys.argv[4], "w"))' \
    "$invocation" "$started" "$SECONDS" "$out/run.json"
  "$python" "$repo/ci/gpu-summary.py" "$out" || echo "ci/gpu-check.sh: the summary could not be written" >&2
}

# record NAME STATUS RC SECONDS COMMAND: one step's outcome, read by ci/gpu-summary.py.
record() {
  "$python" - "$out/status/$1.json" "$1" "$2" "$3" "$4" "$5" <<'EOF'
import json, sys
path, name, status, rc, seconds, command = sys.argv[1:]
json.dump({"step": name, "status": status, "rc": int(rc), "seconds": float(seconds), "command": command},
          open(path, "w"), indent=1)
EOF
}

# amend NAME STATUS NOTE: a step's status decided by what its output says rather than its exit
# status (drift exits 1 on the drift it is expected to find in cuda-fp16acc).
amend() {
  "$python" - "$out/status/$1.json" "$2" "$3" <<'EOF'
import json, sys
path, status, note = sys.argv[1:]
s = json.load(open(path))
s.update(status=status, note=note)
json.dump(s, open(path, "w"), indent=1)
EOF
}

# step NAME TIMEOUT CMD...: runs CMD under a timeout, its output in logs/NAME.log, its
# command line in commands.txt; status pass (exit 0), timeout, or fail.
step() {
  local name="$1" limit="$2"; shift 2
  local cmd; cmd="$(printf '%q ' "$@")"
  echo "[$name] $cmd" >>"$out/commands.txt"
  echo "== $name (timeout ${limit}s): $cmd"
  local start=$SECONDS rc
  timeout --kill-after=30 "$limit" "$@" >"$out/logs/$name.log" 2>&1
  rc=$?
  local status=pass
  [ $rc -eq 124 ] || [ $rc -eq 137 ] && status=timeout
  [ $rc -ne 0 ] && [ "$status" = pass ] && status=fail
  record "$name" "$status" "$rc" "$((SECONDS - start))" "$cmd"
  echo "   $status (rc $rc, $((SECONDS - start)) s); log: logs/$name.log"
  tail -n 3 "$out/logs/$name.log" | sed 's/^/   | /'
  return $rc
}

# ---- GPU present? ------------------------------------------------------------------------
if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >"$out/logs/nvidia-smi.log" 2>&1 \
   || ! grep -q '^GPU ' "$out/logs/nvidia-smi.log"; then
  echo "ci/gpu-check.sh: no NVIDIA GPU here (nvidia-smi absent or lists none): skipped"
  record gpu skipped 0 0 "nvidia-smi -L"
  summarize
  exit 0
fi
rm -f "$out/status/gpu.json"
mkdir -p "$build"
build="$(cd "$build" && pwd)"
flashcheck="$build/cli/flashcheck"

# ---- versions ----------------------------------------------------------------------------
compute_cap="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')"
cuda_arch="${FLASHCHECK_CUDA_ARCH:-${compute_cap:-90}}"
nvcc="$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)"
{
  nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv
  nvidia-smi | grep -m1 'CUDA Version' || true
  "$nvcc" --version | tail -2
  cmake --version | head -1
  c++ --version | head -1
  echo "cpus: $(nproc)"
  uname -srm
  grep -m1 PRETTY_NAME /etc/os-release 2>/dev/null || true
} >"$out/versions.txt" 2>&1
"$python" - "$out/versions.json" "$cuda_arch" "$nvcc" <<'EOF' 2>>"$out/versions.txt"
import json, os, platform, subprocess, sys
def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        return f"unavailable ({e})"
gpu = sh("nvidia-smi", "--query-gpu=name,driver_version,memory.total,compute_cap", "--format=csv,noheader").splitlines()
smi = sh("nvidia-smi")
v = {"gpu": gpu, "cuda_driver_api": next((l.split("CUDA Version:")[1].strip(" |") for l in smi.splitlines() if "CUDA Version" in l), ""),
     "nvcc": sh(sys.argv[3], "--version").splitlines()[-2:], "cuda_arch": sys.argv[2],
     "cmake": sh("cmake", "--version").splitlines()[:1], "cxx": sh("c++", "--version").splitlines()[:1],
     "python": platform.python_version(), "cpus": os.cpu_count(), "kernel": platform.release()}
try:
    import torch
    v["torch"] = torch.__version__
    v["torch_cuda"] = str(torch.version.cuda)
    v["cudnn"] = str(torch.backends.cudnn.version())
    v["torch_device"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CUDA not available to torch"
except Exception as e:  # torch absent or broken: the SDPA step will say so
    v["torch"] = f"unavailable ({e})"
json.dump(v, open(sys.argv[1], "w"), indent=1)
EOF
cat "$out/versions.txt"

# ---- dependencies, configure, build -------------------------------------------------------
deps_prefix="$build/deps-prefix"
cmake_args=(-S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
  -DFLASHCHECK_CUDA=ON "-DCMAKE_CUDA_COMPILER=$nvcc" "-DCMAKE_CUDA_ARCHITECTURES=$cuda_arch"
  -DFLASHCHECK_BUILD_BENCH=OFF -DFLASHCHECK_OPENCL=OFF -DFLASHCHECK_BUILD_NEON_RUNNER=OFF)
# Hook for the ggml-cuda step: the pinned ggml source that ci/gpu-prepare.sh brought along.
ggml_tarball="$(find "$repo/.gpu-deps/ggml" -maxdepth 1 -name 'ggml-src-*.tar.xz' 2>/dev/null | sort | head -1)"
cmake_args+=(-DFLASHCHECK_GGML=OFF)

# shellcheck disable=SC2016 # expanded by the inner bash
unpack_debs='rm -rf "$2" && mkdir -p "$2" || exit 1
for deb in "$1"/*.deb; do dpkg -x "$deb" "$2" || exit 1; echo "unpacked $deb"; done'

build_rc=0
if wants build || [ ! -x "$flashcheck" ]; then
  if [ -d "$repo/.gpu-deps/debs" ]; then
    step deps "$(timeout_for deps 120)" bash -c "$unpack_debs" _ "$repo/.gpu-deps/debs" "$deps_prefix" || build_rc=1
    libdir="$deps_prefix/usr/lib/x86_64-linux-gnu"
    export PKG_CONFIG_LIBDIR="$libdir/pkgconfig:$deps_prefix/usr/share/pkgconfig"
    export PKG_CONFIG_SYSROOT_DIR="$deps_prefix"
    export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    # Debian keeps gmp.h in the multiarch folder, which gmp.pc does not name.
    cmake_args+=("-DCMAKE_PREFIX_PATH=$deps_prefix/usr"
      "-DCMAKE_CXX_FLAGS=-isystem $deps_prefix/usr/include/x86_64-linux-gnu"
      "-DCMAKE_C_FLAGS=-isystem $deps_prefix/usr/include/x86_64-linux-gnu")
    command -v pkg-config >/dev/null || cmake_args+=("-DPKG_CONFIG_EXECUTABLE=$deps_prefix/usr/bin/pkgconf")
  fi
  [ $build_rc -eq 0 ] && { step configure "$(timeout_for configure 300)" cmake "${cmake_args[@]}" || build_rc=1; }
  # The CLI and the executables of the tests labelled gpu (props/cuda_tests.cmake).
  [ $build_rc -eq 0 ] && { step build "$(timeout_for build 1200)" \
    cmake --build "$build" -j "$jobs" --target flashcheck test_cuda_kernels test_cuda_matrix || build_rc=1; }
fi
export LD_LIBRARY_PATH="$deps_prefix/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ $build_rc -ne 0 ] || [ ! -x "$flashcheck" ]; then
  echo "ci/gpu-check.sh: no CUDA build of flashcheck; the other steps cannot run"
  summarize
  exit 1
fi

# ---- ctest -L gpu -------------------------------------------------------------------------
if wants ctest; then
  step ctest "$(timeout_for ctest 1800)" ctest --test-dir "$build" -L gpu --output-on-failure \
    --output-junit "$out/junit/ctest-gpu.xml" --timeout 1800 -j 4
fi

# ---- flashcheck check on the CUDA subjects ------------------------------------------------
if wants check; then
  check_args=()
  for b in "${cuda_subjects[@]}"; do check_args+=(--backend "$b"); done
  step check "$(timeout_for check 900)" "$flashcheck" check "${check_args[@]}" \
    --json "$out/json/check.json" --artifacts "$out/check-artifacts"
fi

# ---- flashcheck drift ---------------------------------------------------------------------
# drift draws through gnuplot, absent on GPU images: it writes the table as JSON here and
# ci/gpu-drift-plot.py draws the PNG with matplotlib.
if wants drift; then
  for b in "${cuda_subjects[@]}"; do
    step "drift-$b" "$(timeout_for drift 600)" "$flashcheck" drift --backend "$b" --max-lk 131072 --plot "" \
      --json "$out/json/drift-$b.json"
    said="$(grep -m1 '^RESULT:' "$out/logs/drift-$b.log" | sed 's/^RESULT: //')"
    if [ -n "$said" ]; then
      verdict=fail; [ "$said" = "${drift_expected[$b]}" ] && verdict=pass
      amend "drift-$b" "$verdict" "drift said '$said'; expected '${drift_expected[$b]}'"
    fi
    [ -f "$out/json/drift-$b.json" ] && "$python" "$repo/ci/gpu-drift-plot.py" "$out/json/drift-$b.json" "$out/plots/drift-$b.png" \
      >>"$out/logs/drift-$b.log" 2>&1
  done
fi

# ---- PyTorch SDPA backends ----------------------------------------------------------------
if wants sdpa; then
  bundle="$build/sdpa-bundle"
  if step sdpa-cases 60 "$python" "$repo/ci/gpu-cases.py" "$repo/ci/gpu-cases.json" "$build/sdpa-cases" &&
     step sdpa-export "$(timeout_for export 600)" "$flashcheck" export --force --out "$bundle" "$build/sdpa-cases" &&
     step sdpa-run "$(timeout_for sdpa_run 1200)" env PYTHONUNBUFFERED=1 "$python" \
       "$repo/impls/external/torch_runner.py" "$bundle" --device cuda --backend all; then
    # One verify per runner, side by side: the contract budget is computed per runner and case
    # on one core, so the runners in parallel divide the wall time by four.
    threads=$(( $(nproc) / ${#sdpa_runners[@]} )); [ $threads -lt 1 ] && threads=1
    for r in "${sdpa_runners[@]}"; do
      cp "$bundle/results/$r/results.json" "$out/json/results-$r.json" 2>/dev/null
      step "verify-$r" "$(timeout_for verify 1200)" "$flashcheck" verify "$bundle" --runner "$r" --threads "$threads" \
        --json "$out/json/verify-$r.json" --junit "$out/junit/verify-$r.xml" &
    done
    wait
    # The records of failing cases, for replay elsewhere (large ones stay in the bundle).
    "$python" - "$out" "$bundle" <<'EOF'
import glob, json, os, shutil, sys
out, bundle = sys.argv[1:]
for path in glob.glob(os.path.join(out, "json", "verify-*.json")):
    for r in json.load(open(path)).get("results", []):
        if r.get("status") in ("fail", "error") and os.path.getsize(r["file"]) <= 8 << 20:
            dest = os.path.join(out, "failures", r["backend"])
            os.makedirs(dest, exist_ok=True)
            shutil.copy(r["file"], os.path.join(dest, r["case_name"] + ".fcase"))
EOF
  fi
fi

# ---- ggml-cuda ----------------------------------------------------------------------------
# ggml_flash_attn_ext on ggml's CUDA backend: ci/gpu-ggml-cuda.sh builds ggml (GGML_CUDA=ON)
# from the pinned source in .gpu-deps/ggml (ci/gpu-prepare.sh) and its own flashcheck build
# with the ggml plugins, then grades them; its summary is ggml-cuda/summary.md.
if wants ggml; then
  if [ -n "$ggml_tarball" ]; then
    step ggml-cuda "$(timeout_for ggml 2400)" bash "$repo/ci/gpu-ggml-cuda.sh" --out "$out/ggml-cuda" \
      --build-dir "$repo/build-ggml-cuda" --jobs "$jobs" --arch "$cuda_arch"
  else
    record ggml-cuda skipped 0 0 "needs .gpu-deps/ggml (ci/gpu-prepare.sh after ci/setup-ggml.sh)"
  fi
fi

summarize
"$python" - "$out" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1] + "/summary.json"))
sys.exit(0 if s["result"] in ("pass", "skipped") else 1)
EOF
