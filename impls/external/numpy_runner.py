#!/usr/bin/env python3
"""The reference runner: exact float64 attention with numpy, the always-available runner of
a bundle (docs/bundle-protocol.md). Every feature of a case is expressed, so it runs every
case; O is rounded once into the case's O dtype, the LSE into float32.

    python3 impls/external/numpy_runner.py BUNDLE [--name numpy] [--case ID ...] [--bug swap-heads]

--bug swap-heads writes a deliberately wrong output (query heads in reverse order; the rows
of the one head when hq = 1), for testing that verify catches it.
"""
import argparse
import os
import platform
import sys

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bundle_io  # noqa: E402


def attention(case):
    s = case.shape
    b, hq, hkv, lq, lk = s["batch"], s["hq"], s["hkv"], s["lq"], s["lk"]
    q = case.array("q_rotated") if "q_rotated" in case.entry["files"] else case.f32("q")
    q = q.astype(np.float64)
    k = case.f32("k").astype(np.float64)
    v = case.f32("v").astype(np.float64)
    bias = case.array("bias").astype(np.float64)  # [lq][lk], -inf where hidden
    slopes = case.array("slopes") if case.max_bias > 0 else np.ones(hq, dtype=np.float32)
    sinks = case.array("sinks") if case.has_sinks else None
    group = hq // hkv
    k = np.repeat(k, group, axis=1)  # query head h reads KV head h // group
    v = np.repeat(v, group, axis=1)
    hidden = bias == -np.inf  # keys a row must never read: their K/V may hold inf or NaN
    with np.errstate(invalid="ignore", over="ignore"):
        scores = np.einsum("bhid,bhjd->bhij", q, k) * np.float64(case.scale)  # each (i, j) on its own
        if case.softcap > 0:
            scores = case.softcap * np.tanh(scores / case.softcap)
        scores = scores + slopes.astype(np.float64)[None, :, None, None] * np.where(hidden, 0.0, bias)[None, None]
    scores = np.where(hidden[None, None], -np.inf, scores)
    m = np.max(scores, axis=-1, keepdims=True)
    if sinks is not None:
        m = np.maximum(m, sinks.astype(np.float64)[None, :, None, None])
    m_safe = np.where(np.isfinite(m), m, 0.0)
    w = np.exp(scores - m_safe)
    denom = np.sum(w, axis=-1, keepdims=True)
    if sinks is not None:
        denom = denom + np.exp(sinks.astype(np.float64)[None, :, None, None] - m_safe)
    # A sum over keys would turn 0 * inf at a hidden key into NaN: non-finite V enters only
    # the elements whose row sees it, summed key by key there.
    finite_v = np.isfinite(v)
    o = np.einsum("bhij,bhjd->bhid", w, np.where(finite_v, v, 0.0))
    touched = np.einsum("bhij,bhjd->bhid", (w > 0).astype(np.float64), (~finite_v).astype(np.float64)) > 0
    for b_, h_, i_, d_ in zip(*np.nonzero(touched)):
        seen = w[b_, h_, i_] > 0
        with np.errstate(invalid="ignore", over="ignore"):
            o[b_, h_, i_, d_] = np.sum(w[b_, h_, i_][seen] * v[b_, h_, seen, d_])
    with np.errstate(invalid="ignore", divide="ignore"):
        o = o / denom
        lse = (np.log(denom) + m_safe)[..., 0]
    empty = denom[..., 0] == 0  # no visible key and no sink: O = 0, LSE = -inf
    o[empty] = 0.0
    lse[empty] = -np.inf
    assert o.shape == (b, hq, lq, s["dv"])
    return o, lse


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bundle")
    p.add_argument("--name", default="numpy", help="results/<name>/ (default: numpy)")
    p.add_argument("--case", action="append", help="only these case ids")
    p.add_argument("--bug", choices=["swap-heads"], help="write a deliberately wrong output")
    a = p.parse_args()
    subject = "numpy-float64" + (f"@{a.bug}" if a.bug else "")
    def run(case):
        o, lse = attention(case)
        if a.bug == "swap-heads":
            o, lse = (o[:, ::-1], lse[:, ::-1]) if o.shape[1] > 1 else (o[:, :, ::-1], lse[:, :, ::-1])
        return ("ok", bundle_io.round_to_storage(o, case.dtypes["o"]), lse.astype(np.float32))

    versions = {"numpy": np.__version__, "python": platform.python_version()}
    bundle_io.run_bundle(a.bundle, a.name, subject, "fp32", None, f"cpu ({platform.machine()})", versions, run, a.case)


if __name__ == "__main__":
    main()
