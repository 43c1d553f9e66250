#!/usr/bin/env python3
"""A bundle runner for PyTorch: torch.nn.functional.scaled_dot_product_attention with each
backend (math, flash, efficient, cudnn) chosen through torch.nn.attention.sdpa_kernel, on
the CPU or a CUDA GPU. See docs/bundle-protocol.md.

    python3 impls/external/torch_runner.py BUNDLE [--device cpu|cuda] [--backend math|flash|efficient|cudnn|all]
                                            [--contract NAME] [--case ID ...]

Each backend writes results/torch-<backend>-<device>/. What the call expresses: scale, GQA
(enable_gqa), is_causal where it means the bundle's causal mask (PyTorch aligns it top-left,
the bundle lower-right: the same only when lq = lk), otherwise a boolean mask (0 / -inf
bias) or an additive mask in the compute dtype (ALiBi's slope * bias per head, explicit
values; a value that dtype does not hold makes the case unsupported). Q, K and V of mixed
dtypes are computed in f32 (exact). Unsupported: sinks, softcap, block-quantized K/V, an O
dtype other than the compute dtype when that is 16-bit, and whatever the backend refuses
on the device (PyTorch's "no available kernel" message is the reason).
LSE: where a private op of the backend returns it with the same O
(aten._scaled_dot_product_flash_attention_for_cpu on the CPU,
aten._scaled_dot_product_flash_attention / _efficient_attention on CUDA).
"""
import argparse
import os
import platform
import re
import sys
import warnings

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bundle_io  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel
except ImportError as e:
    sys.exit(f"torch_runner: cannot import torch ({e}); see ci/setup-python-runners.sh --torch")

TYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}
NAMES = {v: k for k, v in TYPES.items()}
BACKENDS = {
    "math": SDPBackend.MATH,
    "flash": SDPBackend.FLASH_ATTENTION,
    "efficient": SDPBackend.EFFICIENT_ATTENTION,
    "cudnn": SDPBackend.CUDNN_ATTENTION,
}


def exact_in(values, dtype, device):
    t = torch.from_numpy(np.ascontiguousarray(values, dtype=np.float32)).to(dtype)
    back = t.to(torch.float32).numpy()
    same = (back == values) | (np.isnan(back) & np.isnan(values))
    return t.to(device) if bool(np.all(same)) else None


def mask_for(case, dtype, device):
    """(attn_mask, is_causal, None) or (None, False, why unsupported)."""
    s = case.shape
    kind, explicit, alibi = case.mask["kind"], case.mask["explicit"], case.max_bias > 0
    if kind == "none" and not explicit and not alibi:
        return None, False, None
    if kind == "causal" and not explicit and not alibi and s["lq"] == s["lk"]:
        return None, True, None
    bias = case.array("bias")
    if not alibi and bool(np.all(bias == 0)):
        return None, False, None  # hides no key (decode under a causal mask): no mask, which every backend takes
    if not alibi and bool(np.all((bias == 0) | (bias == -np.inf))):
        return torch.from_numpy(bias == 0).to(device), False, None
    values, why = bundle_io.additive_mask(case)
    if why:
        return None, False, why
    t = exact_in(values, dtype, device)
    if t is None:
        return None, False, f"the additive mask holds values {NAMES[dtype]} does not (the mask must be in the compute dtype)"
    return t, False, None


def private_lse(backend, device, q, k, v, mask, causal, scale, o):
    """The LSE from the backend's private op when it returns the same O bits; else None."""
    group = q.shape[1] // k.shape[1]
    kr, vr = (k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)) if group > 1 else (k, v)
    try:
        if backend == "flash" and device == "cpu":
            out, lse = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(
                q, kr, vr, 0.0, causal, attn_mask=mask, scale=scale)[:2]
        elif backend == "flash" and device == "cuda" and mask is None:
            r = torch.ops.aten._scaled_dot_product_flash_attention(q, kr, vr, 0.0, causal, False, scale=scale)
            out, lse = r[0], r[1]
        elif backend == "efficient" and device == "cuda":
            bias = None if mask is None else (mask if mask.dtype != torch.bool else
                                               torch.zeros(mask.shape, dtype=q.dtype, device=q.device).masked_fill(~mask, float("-inf")))
            if bias is not None:
                bias = bias.expand(q.shape[0], q.shape[1], q.shape[2], kr.shape[2])
            out, lse = torch.ops.aten._scaled_dot_product_efficient_attention(
                q, kr, vr, bias, True, 0.0, causal, scale=scale)[:2]
        else:
            return None
    except (RuntimeError, TypeError, NotImplementedError):
        return None
    if not torch.equal(torch.nan_to_num(out, nan=7.0), torch.nan_to_num(o, nan=7.0)):
        return None
    return lse[..., : q.shape[2]].to(torch.float32).cpu().numpy()


def run_case(case, backend, device):
    if case.has_sinks:
        return ("unsupported", "attention sinks: scaled_dot_product_attention has none")
    if case.softcap > 0:
        return ("unsupported", "logit soft-capping: scaled_dot_product_attention has none")
    if case.quantized:
        return ("unsupported", "block-quantized K/V: scaled_dot_product_attention reads dense K/V")
    types = {case.dtypes[x] for x in ("q", "k", "v")}
    dtype = TYPES[types.pop()] if len(types) == 1 else torch.float32
    if case.dtypes["o"] != NAMES[dtype] and dtype != torch.float32:
        return ("unsupported", f"the output is in the compute dtype {NAMES[dtype]}; the case asks {case.dtypes['o']}")
    q, k, v = (torch.from_numpy(case.f32(x)).to(dtype).to(device) for x in ("q", "k", "v"))
    mask, causal, why = mask_for(case, dtype, device)
    if why:
        return ("unsupported", why)
    gqa = q.shape[1] != k.shape[1]
    # PyTorch says why a backend declines only in warnings ("... not used because ..."): they
    # become the reason of an unsupported case.
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        try:
            with sdpa_kernel([BACKENDS[backend]]):
                o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal, scale=case.scale,
                                                   enable_gqa=gqa)
        except RuntimeError as e:
            if any(s in str(e) for s in ("No available kernel", "No viable backend")) or "not supported" in str(e).lower():
                why = [re.sub(r"\s*\(Triggered internally at [^)]*\)\.?", "", " ".join(str(w.message).split())) for w in said]
                why = [w for w in why if w and "runtime disabled" not in w]
                return ("unsupported", f"{backend} on {device}: " + " ".join(why or [" ".join(str(e).split())])[:400])
            raise
    lse = private_lse(backend, device, q, k, v, mask, causal, case.scale, o)
    o64 = o.to(torch.float32).cpu().numpy().astype(np.float64)
    return ("ok", bundle_io.round_to_storage(o64, case.dtypes["o"]), lse)


# PyTorch's conventions: a row with no visible key gives O = 0, masked K/V enter the
# products with weight 0 (inf or NaN there reach O), and 16-bit inputs go into the
# products as they are (the math backend upcasts on the CPU, which these allow).
AUTO_CONTRACTS = {"f32": "fp32-masked-kv-read", "f16": "fp16-operands-masked-kv-read",
                  "bf16": "bf16-operands-masked-kv-read"}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bundle")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--backend", choices=list(BACKENDS) + ["all"], default="all")
    p.add_argument("--contract", default="auto",
                   help="the contract it is graded under (auto: by the inputs' dtype, %s)" % AUTO_CONTRACTS)
    p.add_argument("--case", action="append", help="only these case ids")
    a = p.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        sys.exit("torch_runner: CUDA is not available to this torch")
    info = f"{a.device} ({platform.machine()})"
    if a.device == "cuda":
        info += f", {torch.cuda.get_device_name(0)}"
    versions = {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version()}
    if a.device == "cuda":
        versions["cuda"] = str(torch.version.cuda)
    for backend in BACKENDS if a.backend == "all" else [a.backend]:
        bundle_io.run_bundle(a.bundle, f"torch-{backend}-{a.device}", f"torch-sdpa-{backend}-{a.device}", a.contract,
                             AUTO_CONTRACTS, info, versions, lambda c, b=backend: run_case(c, b, a.device), a.case)


if __name__ == "__main__":
    main()
