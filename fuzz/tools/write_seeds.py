#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_codecs, fuzz_mx_block and fuzz_lse_merge, and the
dictionaries of fuzz_codecs and fuzz_mx_block, from the tables below. Deterministic:
running it again rewrites the same bytes. Usage: fuzz/tools/write_seeds.py [REPO_ROOT]

Each seed follows its target's input layout (the comment at the top of fuzz/<target>.cpp);
little-endian throughout. Files are named after what they cover, so a failing replay names it.
"""
import math
import os
import struct
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))


def f32(x):
    return struct.pack("<f", x)


def f32_bits(bits):
    return struct.pack("<I", bits)


def f64(x):
    return struct.pack("<d", x)


def u16(v):
    return struct.pack("<H", v)


def write(folder, name, data):
    path = os.path.join(ROOT, "corpus", folder, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- element formats
# The rows of oracle/formats/element_format.cpp, in table order (the target's format byte).
# name, mant_bits, max finite, min subnormal, has inf, has nan, has zero, signed
FORMATS = [
    ("fp8_e4m3", 3, 448.0, 2.0**-9, False, True, True, True),
    ("fp8_e5m2", 2, 57344.0, 2.0**-16, True, True, True, True),
    ("fp6_e2m3", 3, 7.5, 2.0**-3, False, False, True, True),
    ("fp6_e3m2", 2, 28.0, 2.0**-4, False, False, True, True),
    ("fp4_e2m1", 1, 6.0, 0.5, False, False, True, True),
    ("e8m0", 0, 2.0**127, 2.0**-127, False, True, False, False),
]
ROUNDINGS = ["nearest_even", "toward_zero", "toward_pos_inf", "toward_neg_inf", "nearest_away"]
OVERFLOWS = ["saturate", "to_inf_or_nan"]
NAN_POLICIES = ["to_nan", "to_zero", "to_max"]


def legal_policies(fmt):
    """exhaustive::legal_policies: check_policy's rules, in the same nested order."""
    _, _, _, _, has_inf, has_nan, has_zero, _ = fmt
    out = []
    for r in ROUNDINGS:
        for o in OVERFLOWS:
            for n in NAN_POLICIES:
                if o == "to_inf_or_nan" and not has_inf and not has_nan:
                    continue
                if n == "to_nan" and not has_nan:
                    continue
                if n == "to_zero" and not has_zero:
                    continue
                out.append((r, o, n))
    return out


def covering_policies(fmt):
    """Indices of a subset of the legal policies naming every rounding, overflow and NaN policy."""
    seen, chosen = set(), []
    for i, (r, o, n) in enumerate(legal_policies(fmt)):
        if r not in seen or (o, n) not in seen:
            chosen.append((i, (r, o, n)))
            seen.update([r, (o, n)])
    return chosen


def format_specials(fmt):
    """Values where encoders tend to differ: ties, the overflow threshold, the underflow midpoint."""
    name, mant, max_finite, min_sub, *_ = fmt
    spacing_at_max = max_finite * 2.0**-mant / (2.0 - 2.0**-mant) if mant else max_finite
    if name == "e8m0":
        return [1.5, 3.0, 1.5 * 2.0**127, 2.0**-128, -1.0]
    return [
        max_finite + spacing_at_max / 2,  # overflow threshold (nearest modes)
        1.0 + 2.0 ** -(mant + 1),  # tie between 1 and its successor
        min_sub / 2,  # midpoint between 0 and the smallest subnormal
        -(1.0 + 3 * 2.0 ** -(mant + 1)),  # negative tie rounding to the even neighbour above
        max_finite,
    ]


F32_SPECIALS = {
    "zero": 0x00000000, "neg_zero": 0x80000000, "min_subnormal": 0x00000001, "max_subnormal": 0x007FFFFF,
    "min_normal": 0x00800000, "one": 0x3F800000, "max_finite": 0x7F7FFFFF, "inf": 0x7F800000,
    "neg_inf": 0xFF800000, "qnan": 0x7FC00000, "snan": 0x7F800001, "neg_qnan": 0xFFC00000,
}


def codec_seed(target, policy, x, y, d, code=0):
    return bytes([target, policy]) + f32(x) + f32(y) + f64(d) + u16(code)


def codec_seed_bits(target, policy, xbits, ybits, d, code=0):
    return bytes([target, policy]) + f32_bits(xbits) + f32_bits(ybits) + f64(d) + u16(code)


def clamp_f32(x):
    return max(-3.4028234663852886e38, min(3.4028234663852886e38, x))


def write_codec_seeds():
    for t, fmt in enumerate(FORMATS):
        specials = format_specials(fmt)
        for k, (i, (r, o, n)) in enumerate(covering_policies(fmt)):
            x = clamp_f32(specials[k % len(specials)])
            y = clamp_f32(specials[(k + 1) % len(specials)])
            # The tie itself as a double, one double step above it, and NaN for the NaN policies.
            d = specials[(k + 2) % len(specials)]
            if k % 3 == 2:
                d = math.nextafter(d, math.inf)
            name = f"{fmt[0]}_{r}_{o}_{n}"
            write("fuzz_codecs", name, codec_seed(t, i, x, y, d))
        write("fuzz_codecs", f"{fmt[0]}_nan_input",
              codec_seed_bits(t, 0, F32_SPECIALS["snan"], F32_SPECIALS["neg_qnan"], math.nan))
        write("fuzz_codecs", f"{fmt[0]}_inf_input",
              codec_seed_bits(t, len(legal_policies(fmt)) - 1, F32_SPECIALS["inf"], F32_SPECIALS["neg_inf"], -math.inf))
    f16, bf16, fp32 = len(FORMATS), len(FORMATS) + 1, len(FORMATS) + 2
    half_seeds = {  # name: (x, d, code)
        "overflow_threshold": (65520.0, 65519.99999999999, 0x7C00),
        "max_finite": (65504.0, 65505.0, 0x7BFF),
        "subnormal_midpoint": (2.0**-25, 2.0**-25 * (1 + 2.0**-40), 0x0001),
        "tie_even": (1.0 + 2.0**-11, 1.0 + 3 * 2.0**-11, 0x03FF),
        "min_normal": (2.0**-14, -(2.0**-14), 0x0400),
        "neg_zero": (-0.0, -0.0, 0x8000),
    }
    for name, (x, d, code) in half_seeds.items():
        write("fuzz_codecs", f"f16_{name}", codec_seed(f16, 0, x, 0.0, d, code))
    write("fuzz_codecs", "f16_nan", codec_seed_bits(f16, 0, F32_SPECIALS["snan"], 0, math.nan, 0x7C01))
    bf16_seeds = {
        "tie_even": (1.0 + 2.0**-8, 1.0 + 3 * 2.0**-8, 0x7F7F),
        "overflow": (3.3961776e38, 3.4e38, 0x7F80),
        "subnormal": (2.0**-133 * 1.5, 2.0**-140, 0x0001),
        "neg_zero": (-0.0, -0.0, 0x8000),
    }
    for name, (x, d, code) in bf16_seeds.items():
        write("fuzz_codecs", f"bf16_{name}", codec_seed(bf16, 0, x, 0.0, d, code))
    write("fuzz_codecs", "bf16_nan", codec_seed_bits(bf16, 0, F32_SPECIALS["snan"], 0, math.nan, 0x7FC1))
    f32_seeds = {
        "tie_even": 1.0 + 2.0**-24,
        "overflow_threshold": 3.4028235677973366e38,
        "subnormal_midpoint": 2.0**-150,
        "subnormal_tie": 3 * 2.0**-150,
        "min_normal_boundary": 2.0**-126 - 2.0**-150,
    }
    for name, d in f32_seeds.items():
        write("fuzz_codecs", f"f32_{name}", codec_seed(fp32, 0, 0.0, 0.0, d))


# ---------------------------------------------------------------- block schemes
# oracle/blocks/block_scheme.cpp, in table order.
SCHEMES = ["mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e2m3", "mxfp6_e3m2", "mxfp4_e2m1", "ggml_q8_0", "ggml_q4_0", "ggml_mxfp4"]
SCALE_RULES = ["ocp_floor", "round", "ceil"]
# flags: bit0 SoA, bit1 other nibble order, bit2 FP6 msb_first, bit3 Hadamard
LAYOUTS = {"aos": 0, "soa": 1, "aos_swapped": 6, "soa_swapped": 7, "aos_hadamard": 8, "soa_hadamard": 9}
# flags bits 4-5: the cpu-scalar flag build an input grades
BUILDS = ["standard", "finite_math", "fast_math"]


def block_values(kind):
    if kind == "ramp":
        return [(i - 15.5) * 0.375 for i in range(32)]
    if kind == "outlier":
        return [1.0 if i != 7 else -3.0e4 for i in range(32)]
    if kind == "tiny":
        return [2.0**-130 * (i + 1) for i in range(32)]
    if kind == "ties":
        return [(-1) ** i * (1.0 + (i % 8) * 0.25 + 0.125) for i in range(32)]
    if kind == "zero":
        return [0.0] * 32
    if kind == "wide":
        return [(-1) ** i * 2.0 ** (i * 4 - 60) for i in range(32)]
    raise ValueError(kind)


KINDS = ["ramp", "outlier", "tiny", "ties", "zero", "wide"]


def write_block_seeds():
    n = 0
    for s, scheme in enumerate(SCHEMES):
        for layout, flags in LAYOUTS.items():
            rule = n % len(SCALE_RULES)
            kind = KINDS[n % len(KINDS)]
            policy = n * 7 % 30
            build = n % len(BUILDS)
            data = bytes([s, rule, policy, flags | build << 4]) + b"".join(f32(v) for v in block_values(kind))
            write("fuzz_mx_block", f"{scheme}_{layout}_{SCALE_RULES[rule]}_{kind}_{BUILDS[build]}", data)
            n += 1
    # Non-finite elements on the MX path (the oracle's NaN scale; saturation of inf).
    specials = [F32_SPECIALS[k] for k in ("qnan", "inf", "neg_inf", "max_finite", "min_subnormal", "neg_zero")]
    for s in range(5):
        data = bytes([s, 0, 0, 0]) + b"".join(f32_bits(specials[i % len(specials)]) for i in range(32))
        write("fuzz_mx_block", f"{SCHEMES[s]}_specials", data)


# ---------------------------------------------------------------- split-KV merge
MASK_MODES = {"none": 0, "per_key": 1, "all_keys": 2, "one_chunk": 3}


def merge_seed(lk, dk, dv, chunks, sink, max_sum, magnitude, mask, cuts, mask_bits, masked_chunk, seed):
    flags = (1 if sink else 0) | (2 if max_sum else 0) | (magnitude << 2) | (MASK_MODES[mask] << 4)
    # The target reads eight cut bytes (each mod lk + 1) and uses the first chunks - 1.
    head = bytes([lk - 1, dk - 1, dv - 1, chunks - 1, flags]) + bytes((cuts + [0] * 8)[:8])
    head += struct.pack("<Q", mask_bits) + bytes([masked_chunk])
    # Values: f32 bit patterns from a fixed linear congruential sequence (reproducible).
    state = seed
    words = []
    for _ in range(1 + dk + lk * dk + lk * dv):
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        words.append(struct.pack("<I", state >> 32))
    return head + b"".join(words)


def write_merge_seeds():
    cases = {
        "one_chunk_no_mask": (16, 4, 4, 1, False, False, 1, "none", [], 0, 0),
        "four_chunks_per_key_mask": (32, 4, 8, 4, False, True, 2, "per_key", [5, 13, 20], 0x00FF00F0F0F0F0F0, 0),
        "empty_chunks_repeated_cuts": (24, 2, 4, 6, False, False, 1, "none", [0, 0, 9, 9, 24], 0, 0),
        "all_keys_masked": (12, 3, 3, 3, False, False, 0, "all_keys", [4, 8], 0, 0),
        "all_keys_masked_sink": (12, 3, 3, 3, True, False, 0, "all_keys", [4, 8], 0, 0),
        "whole_chunk_masked": (40, 4, 4, 5, False, True, 1, "one_chunk", [8, 16, 24, 32], 0, 2),
        "whole_chunk_masked_sink": (40, 4, 4, 5, True, False, 1, "one_chunk", [8, 16, 24, 32], 0, 0),
        "eight_chunks_sink": (64, 8, 8, 8, True, True, 2, "per_key", [8, 16, 24, 32, 40, 48, 56],
                              0x8421084210842108, 0),
        "large_scores": (20, 8, 2, 4, False, False, 3, "none", [3, 11, 17], 0, 0),
        "large_scores_sink": (20, 8, 2, 4, True, True, 3, "per_key", [3, 11, 17], 0xF0F0F, 0),
        "single_key": (1, 1, 1, 2, False, False, 0, "none", [1], 0, 0),
        "single_key_empty_first": (1, 1, 1, 2, False, True, 0, "none", [0], 0, 0),
    }
    for i, (name, args) in enumerate(cases.items()):
        write("fuzz_lse_merge", name, merge_seed(*args, seed=1000 + i))


# ---------------------------------------------------------------- dictionaries

def dict_entry(name, data):
    return f'{name}="' + "".join(f"\\x{b:02x}" for b in data) + '"\n'


def write_dictionaries():
    lines = ["# f32 / f16 / bf16 / FP8 special bit patterns (little-endian), written by fuzz/tools/write_seeds.py\n"]
    for name, bits in F32_SPECIALS.items():
        lines.append(dict_entry(f"f32_{name}", f32_bits(bits)))
    for fmt in FORMATS:
        for k, v in enumerate(format_specials(fmt)):
            if abs(v) <= 3.4028234663852886e38 and v != 0.0:
                lines.append(dict_entry(f"{fmt[0]}_special{k}", f32(v)))
    half = {"f16_inf": 0x7C00, "f16_qnan": 0x7E00, "f16_snan": 0x7C01, "f16_max": 0x7BFF, "f16_min_normal": 0x0400,
            "f16_max_subnormal": 0x03FF, "f16_min_subnormal": 0x0001, "f16_neg_zero": 0x8000,
            "bf16_inf": 0x7F80, "bf16_qnan": 0x7FC0, "bf16_max": 0x7F7F, "bf16_min_normal": 0x0080,
            "bf16_max_subnormal": 0x007F}
    for name, bits in half.items():
        lines.append(dict_entry(name, u16(bits)))
    for name, v in {"f16_overflow_threshold": 65520.0, "f16_tie": 1.0 + 2.0**-11, "f16_underflow_mid": 2.0**-25,
                    "bf16_tie": 1.0 + 2.0**-8}.items():
        lines.append(dict_entry(name, f32(v)))
    for name, v in {"f64_f32_tie": 1.0 + 2.0**-24, "f64_f32_overflow": 3.4028235677973366e38,
                    "f64_f32_underflow_mid": 2.0**-150, "f64_nan": math.nan, "f64_inf": math.inf}.items():
        lines.append(dict_entry(name, f64(v)))
    codec_dict = "".join(lines)
    with open(os.path.join(ROOT, "fuzz", "fuzz_codecs.dict"), "w") as f:
        f.write(codec_dict)
    # Blocks: the same element specials, plus values at E8M0 scale boundaries.
    block_lines = lines[:]
    for e in (-127, -126, -1, 0, 1, 127):
        block_lines.append(dict_entry(f"pow2_{e}".replace("-", "m"), f32(2.0**e) if e > -127 else f32_bits(0x00200000)))
    with open(os.path.join(ROOT, "fuzz", "fuzz_mx_block.dict"), "w") as f:
        f.write("".join(block_lines))
    # Merge: magnitudes of scores and sinks, in the folded-exponent encoding of the target.
    merge_lines = ["# fuzz_lse_merge: f32 patterns (the target folds exponents into a small range)\n"]
    for name in ("zero", "neg_zero", "one", "max_finite", "inf", "qnan"):
        merge_lines.append(dict_entry(f"f32_{name}", f32_bits(F32_SPECIALS[name])))
    merge_lines.append(dict_entry("mask_all", struct.pack("<Q", 2**64 - 1)))
    merge_lines.append(dict_entry("mask_alternate", struct.pack("<Q", 0xAAAAAAAAAAAAAAAA)))
    with open(os.path.join(ROOT, "fuzz", "fuzz_lse_merge.dict"), "w") as f:
        f.write("".join(merge_lines))


def main():
    for folder in ("fuzz_codecs", "fuzz_mx_block", "fuzz_lse_merge"):
        path = os.path.join(ROOT, "corpus", folder)
        if os.path.isdir(path):  # regenerate the seeds; regressions/ is kept
            for name in os.listdir(path):
                if os.path.isfile(os.path.join(path, name)):
                    os.remove(os.path.join(path, name))
    write_codec_seeds()
    write_block_seeds()
    write_merge_seeds()
    write_dictionaries()


if __name__ == "__main__":
    main()
