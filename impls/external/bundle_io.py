"""Reading a flashcheck bundle and writing a runner's results (docs/bundle-protocol.md).

Needs only numpy. Runners import it from the same folder:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
"""
import json
import os
import sys
import traceback

import numpy as np

FORMAT = "flashcheck-bundle"
RESULTS_FORMAT = "flashcheck-bundle-results"
VERSION = 1


def load_manifest(bundle):
    with open(os.path.join(bundle, "manifest.json")) as f:
        m = json.load(f)
    if m.get("format") != FORMAT or m.get("version") != VERSION:
        raise ValueError(f"{bundle}: not a version {VERSION} flashcheck bundle")
    return m


def bf16_bits_to_f32(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16_bits(x):
    """Round float32 values to bf16 (nearest even; NaN stays NaN) and return the bits as uint16."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(x)
    return np.where(nan, ((u >> 16) | 0x40).astype(np.uint16), rounded)


def round_f64(x, mantissa_bits, min_exponent, max_finite):
    """Round float64 values once, to nearest even, into a binary format with that many significand
    bits (implicit bit included), smallest normal exponent and largest finite value."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        _, e = np.frexp(x)  # x = m * 2^e, 0.5 <= |m| < 1
        q = np.maximum(e - mantissa_bits, min_exponent - mantissa_bits + 1).astype(np.float64)
        r = np.round(np.ldexp(x, (-q).astype(np.int64))) * np.exp2(q)
        r = np.where(np.abs(r) > max_finite, np.copysign(np.inf, x), r)
    return np.where(np.isfinite(x), r, x)


def round_to_storage(o, dtype):
    """float64 O values rounded once into the case's O dtype, as the .npy array verify reads."""
    o = np.asarray(o, dtype=np.float64)
    if dtype == "f32":
        return o.astype(np.float32)  # numpy rounds double -> float to nearest even
    if dtype == "f16":
        return o.astype(np.float16)  # double -> half directly, nearest even
    if dtype == "bf16":
        r = round_f64(o, 8, -126, float(np.float32(3.3895313892515355e38)))
        return f32_to_bf16_bits(r.astype(np.float32))
    raise ValueError(f"unknown dtype {dtype}")


class Case:
    """One case of the bundle: the manifest entry and its arrays, loaded on demand."""

    def __init__(self, bundle, entry):
        self.bundle = bundle
        self.entry = entry
        self.id = entry["id"]
        self.dir = os.path.join(bundle, entry["dir"])
        self.shape = entry["shape"]
        self.dtypes = entry["dtypes"]
        self.scale = float(entry["scale"])
        self.mask = entry["mask"]
        self.max_bias = float(entry["max_bias"] or 0.0)
        self.softcap = float(entry["softcap"] or 0.0)
        self.has_sinks = bool(entry["sinks"])
        self.quantized = entry["k_quant"] is not None or entry["v_quant"] is not None

    def array(self, key):
        files = self.entry["files"]
        if key not in files:
            return None
        return np.load(os.path.join(self.dir, files[key]["file"]), allow_pickle=False)

    def f32(self, key):
        """q, k, v as float32 values (exact: every storage dtype fits in f32)."""
        return self.array(key + "_f32")

    def storage(self, key):
        """q, k, v in their storage dtype: float32 / float16 arrays, bf16 as uint16 bits."""
        return self.array(key)


def additive_mask(case):
    """The additive mask a framework adds to the scores: the bias [lq][lk], or under ALiBi
    slope * bias per head as [1][hq][lq][lk] f32. (values, None), or (None, why) when the
    products are not exact in f32."""
    bias = case.array("bias")
    if case.max_bias <= 0:
        return bias, None
    slopes = case.array("slopes").astype(np.float64)
    with np.errstate(invalid="ignore"):
        per_head = slopes[:, None, None] * bias.astype(np.float64)[None]
    values = per_head.astype(np.float32)
    finite = np.isfinite(per_head)
    if not np.array_equal(values[finite].astype(np.float64), per_head[finite]):
        return None, "ALiBi's slope * bias is not exact in f32"
    return values[None], None


def compute_dtype(case):
    """The dtype a framework computes in: the inputs' common storage dtype, f32 when they differ."""
    types = {case.dtypes[x] for x in ("q", "k", "v")}
    return types.pop() if len(types) == 1 else "f32"


def run_bundle(bundle, runner, subject, contract, auto_contracts, device, versions, fn, only=None):
    """Runs fn(case) on every case (or those in only) into results/<runner>/ and saves it.
    contract "auto": each "ok" result names the contract of its compute dtype
    (auto_contracts: {"f32": ..., "f16": ..., "bf16": ...}), since 16-bit inputs promise
    16-bit operands; any other name grades every case under that contract."""
    auto = contract == "auto"
    results = Results(bundle, runner, subject, auto_contracts["f32"] if auto else contract, device, versions)

    def run(case):
        r = fn(case)
        if auto and r[0] == "ok" and len(r) == 3:
            return r + (auto_contracts[compute_dtype(case)],)
        return r

    for case in cases(bundle, only):
        results.run(case, run)
    results.save()


def cases(bundle, only=None):
    m = load_manifest(bundle)
    for entry in m["cases"]:
        if only and entry["id"] not in only:
            continue
        yield Case(bundle, entry)


class Results:
    """results/<runner>/: one o.npy (and lse.npy) per case and results.json at the end."""

    def __init__(self, bundle, runner, subject, contract, device, versions):
        self.dir = os.path.join(bundle, "results", runner)
        os.makedirs(self.dir, exist_ok=True)
        self.doc = {
            "format": RESULTS_FORMAT,
            "version": VERSION,
            "subject": subject,
            "contract": contract,
            "device": device,
            "versions": versions,
            "command": " ".join(sys.argv),
            "cases": {},
        }

    def ok(self, case, o, lse=None, contract=None):
        """o: the output already in the case's O storage dtype (round_to_storage); lse: float32 or None."""
        d = os.path.join(self.dir, case.id)
        os.makedirs(d, exist_ok=True)
        np.save(os.path.join(d, "o.npy"), np.ascontiguousarray(o))
        lse_path = os.path.join(d, "lse.npy")
        if lse is not None:
            np.save(lse_path, np.ascontiguousarray(lse, dtype=np.float32))
        elif os.path.exists(lse_path):
            os.remove(lse_path)
        self.doc["cases"][case.id] = {"status": "ok", "contract": contract} if contract else "ok"

    def unsupported(self, case, why):
        self.doc["cases"][case.id] = "unsupported: " + why

    def error(self, case, what):
        self.doc["cases"][case.id] = "error: " + what

    def run(self, case, fn):
        """Runs fn(case) -> ("ok", o, lse[, contract]) | ("unsupported", why); an exception is an error."""
        try:
            r = fn(case)
        except Exception as e:  # a runner must report every case, never stop at one
            traceback.print_exc()
            self.error(case, f"{type(e).__name__}: {e}".replace("\n", " "))
            return
        if r[0] == "unsupported":
            self.unsupported(case, r[1])
        else:
            self.ok(case, *r[1:])

    def save(self):
        with open(os.path.join(self.dir, "results.json"), "w") as f:
            json.dump(self.doc, f, indent=2)
            f.write("\n")
        counts = {}
        for v in self.doc["cases"].values():
            k = (v if isinstance(v, str) else v["status"]).split(":")[0]
            counts[k] = counts.get(k, 0) + 1
        print(f"{self.doc['subject']}: {counts} -> {self.dir}")
