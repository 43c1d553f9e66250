#!/usr/bin/env bash
# Python for the bundle runners (impls/external/*.py, docs/bundle-protocol.md): a venv with
# numpy and MLX's CPU build (~135 MB, ~5 s from PyPI wheels), which props/bundle_tests.cmake
# finds by itself. --torch adds PyTorch's CPU wheel (from PyTorch's CPU index: PyPI's
# Linux torch pulls the CUDA libraries, GBs). Idempotent: installed packages are kept.
# Usage: ci/setup-python-runners.sh [--torch] [--no-mlx]
# Venv: ${FLASHCHECK_CACHE:-$HOME/.cache/flashcheck}/venv-runners (FLASHCHECK_RUNNER_VENV overrides).
set -euo pipefail

# Pinned: the versions docs/findings.md reports on.
MLX_VERSION=0.32.4
TORCH_VERSION=2.15.0
with_torch=0
with_mlx=1
for arg in "$@"; do
  case "$arg" in
    --torch) with_torch=1 ;;
    --no-mlx) with_mlx=0 ;;
    *) echo "usage: $0 [--torch] [--no-mlx]" >&2; exit 2 ;;
  esac
done

venv="${FLASHCHECK_RUNNER_VENV:-${FLASHCHECK_CACHE:-$HOME/.cache/flashcheck}/venv-runners}"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python3" ]; then
  echo "ci/setup-python-runners.sh: creating $venv"
  "$python" -m venv "$venv"
fi
pip=("$venv/bin/python3" -m pip install --quiet --disable-pip-version-check)

"${pip[@]}" numpy
if [ "$with_mlx" = 1 ]; then
  case "$(uname -s)" in
    Darwin) "${pip[@]}" "mlx==$MLX_VERSION" ;;        # Metal and CPU
    Linux) "${pip[@]}" "mlx[cpu]==$MLX_VERSION" ;;    # the CPU backend only
  esac
fi
if [ "$with_torch" = 1 ]; then
  # PyPI's Linux wheel carries CUDA's libraries (about 5 GB installed); it runs on the CPU too.
  "${pip[@]}" "torch==$TORCH_VERSION"
fi
"$venv/bin/python3" - <<'PY'
import importlib
for m in ("numpy", "mlx.core", "torch"):
    try:
        mod = importlib.import_module(m)
        print(f"  {m} {getattr(mod, '__version__', '?')}")
    except ImportError:
        print(f"  {m}: not installed")
PY
echo "ci/setup-python-runners.sh: runners' python: $venv/bin/python3"
