#!/usr/bin/env python3
"""A bundle runner for MLX: mx.fast.scaled_dot_product_attention on the CPU (Linux: pip install
"mlx[cpu]") or, on a Mac, the GPU (Metal). See docs/bundle-protocol.md.

    python3 impls/external/mlx_runner.py BUNDLE [--device cpu|gpu] [--mask-form auto|additive|bool]
                                          [--name NAME] [--contract NAME] [--case ID ...]

What the call expresses: scale, GQA (K/V keep their hkv heads), sinks (in the compute dtype),
masks: "causal" (MLX aligns it lower-right, as the bundle does), a boolean mask (0 / -inf
bias), or an additive mask (ALiBi's slope * bias per head, explicit mask values). MLX needs
mask and sinks in the compute dtype (the promoted Q/K/V dtype): a value that dtype does not
hold exactly makes the case unsupported rather than silently rounded. Unsupported too:
softcap, block-quantized K/V, an O dtype other than the compute dtype (MLX returns O in it;
a 16-bit O from f32 inputs is rounded here, once, as a kernel's output write would). MLX
returns no LSE.

--mask-form auto: "causal" for a plain causal case, a boolean mask when the bias holds only
0 and -inf, an additive mask otherwise; additive / bool force one form (bool refuses biases).
The default contract fp32-masked-nan is MLX's fused-kernel convention (a row with no
visible key gives 0/0 = NaN).
"""
import argparse
import os
import platform
import sys

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bundle_io  # noqa: E402

try:
    import mlx.core as mx
except ImportError as e:  # the runner is optional: say how to get MLX
    sys.exit(f"mlx_runner: cannot import mlx ({e}); install it with: pip install 'mlx[cpu]' (Linux) or pip install mlx (macOS)")

MX_TYPES = {"f32": mx.float32, "f16": mx.float16, "bf16": mx.bfloat16}
NAMES = {mx.float32: "f32", mx.float16: "f16", mx.bfloat16: "bf16"}


def to_mx(case, key):
    # The f32 copy holds the storage values exactly; casting back to the storage dtype is exact.
    return mx.array(case.f32(key)).astype(MX_TYPES[case.dtypes[key]])


def promoted(*dtypes):
    """MLX's promotion of the float types: one type stays, a mix of 16-bit types is f32."""
    return dtypes[0] if len(set(dtypes)) == 1 else mx.float32


def exact_in(values, dtype):
    """values (float32 numpy) as an mx array of dtype, or None when the dtype does not hold them."""
    a = mx.array(values).astype(dtype)
    back = np.array(a.astype(mx.float32))
    same = (back == values) | (np.isnan(back) & np.isnan(values))
    return a if bool(np.all(same)) else None


def mask_for(case, form, dtype):
    """("causal" | mx array | None, None) or (None, why unsupported)."""
    s = case.shape
    kind, explicit = case.mask["kind"], case.mask["explicit"]
    alibi = case.max_bias > 0
    bias = case.array("bias")
    if kind == "none" and not explicit and not alibi:
        return None, None
    if form == "auto" and kind == "causal" and not explicit and not alibi:
        return "causal", None
    only_hide = bool(np.all((bias == 0) | (bias == -np.inf)))
    if form == "bool" or (form == "auto" and only_hide and not alibi):
        if not only_hide or alibi:
            return None, "the bias holds values other than 0 and -inf: a boolean mask cannot express it"
        return mx.array(bias == 0), None
    values, why = bundle_io.additive_mask(case)
    if why:
        return None, why
    a = exact_in(values, dtype)
    if a is None:
        return None, f"the additive mask holds values {NAMES[dtype]} does not (MLX wants the mask in the compute dtype)"
    return a, None


def run_case(case, args):
    if case.softcap > 0:
        return ("unsupported", "logit soft-capping: mx.fast.scaled_dot_product_attention has no softcap")
    if case.quantized:
        return ("unsupported", "block-quantized K/V: mx.fast.scaled_dot_product_attention reads dense K/V")
    q, k, v = to_mx(case, "q"), to_mx(case, "k"), to_mx(case, "v")
    dtype = promoted(q.dtype, k.dtype, v.dtype)
    if case.dtypes["o"] != NAMES[dtype] and NAMES[dtype] != "f32":
        return ("unsupported", f"MLX returns O in the compute dtype {NAMES[dtype]}; the case asks {case.dtypes['o']}")
    mask, why = mask_for(case, args.mask_form, dtype)
    if why:
        return ("unsupported", why)
    kwargs = {"scale": case.scale}
    if mask is not None:
        kwargs["mask"] = mask
    if case.has_sinks:
        sinks = exact_in(case.array("sinks"), dtype)
        if sinks is None:
            return ("unsupported", f"sinks not exact in {NAMES[dtype]} (MLX wants sinks in the compute dtype)")
        kwargs["sinks"] = sinks
    o = mx.fast.scaled_dot_product_attention(q, k, v, **kwargs)
    o = np.array(o.astype(mx.float32)).astype(np.float64)  # exact: every MLX float fits in f32
    return ("ok", bundle_io.round_to_storage(o, case.dtypes["o"]), None)


# MLX's conventions: a row with no visible key is 0/0 = NaN, masked K/V enter the matmuls
# with weight 0, and 16-bit inputs go into the products as they are.
AUTO_CONTRACTS = {"f32": "fp32-masked-nan", "f16": "fp16-operands-masked-nan", "bf16": "bf16-operands-masked-nan"}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bundle")
    p.add_argument("--device", choices=["cpu", "gpu"], default=None, help="default: MLX's default device")
    p.add_argument("--mask-form", choices=["auto", "additive", "bool"], default="auto")
    p.add_argument("--name", help="results/<name>/ (default: mlx-<device>[-<mask form>])")
    p.add_argument("--contract", default="auto",
                   help="the contract it is graded under (auto: by the inputs' dtype, %s)" % AUTO_CONTRACTS)
    p.add_argument("--case", action="append", help="only these case ids")
    args = p.parse_args()
    if args.device:
        mx.set_default_device(mx.cpu if args.device == "cpu" else mx.gpu)
    device = "gpu" if mx.default_device() == mx.gpu else "cpu"
    suffix = "" if args.mask_form == "auto" else f"-{args.mask_form}"
    name = args.name or f"mlx-{device}{suffix}"
    info = f"{device} ({platform.system()} {platform.machine()})"
    if device == "gpu":
        info += f", {mx.metal.device_info().get('device_name', 'Metal')}" if hasattr(mx, "metal") else ""
    versions = {"mlx": mx.__version__, "numpy": np.__version__, "python": platform.python_version()}
    bundle_io.run_bundle(args.bundle, name, f"mlx-sdpa-{device}{suffix}", args.contract, AUTO_CONTRACTS, info, versions,
                         lambda c: run_case(c, args), args.case)


if __name__ == "__main__":
    main()
