#!/usr/bin/env python3
"""Expands ci/gpu-cases.json into one JSON case record per case and dtype, ready for
`flashcheck export`:

    python3 ci/gpu-cases.py ci/gpu-cases.json OUT_DIR

Writes OUT_DIR/<name>-<dtype>.json (format flashcheck-case-record, a recipe body). Any
malformed entry stops it with a message naming the entry; flashcheck export validates
each recipe again.
"""
import copy
import json
import os
import sys

DTYPE_FIELDS = ("q_type", "k_type", "v_type", "o_type")


def expand(spec):
    defaults = spec["defaults"]
    for n, entry in enumerate(spec["cases"]):
        unknown = set(entry) - {"name", "summary", "shape"} - set(defaults)
        if unknown:
            raise ValueError(f"case {n} ({entry.get('name')}): unknown fields {sorted(unknown)}")
        for dtype in spec["dtypes"]:
            recipe = copy.deepcopy(defaults)
            recipe["shape"].update(entry.get("shape", {}))
            recipe.update({k: v for k, v in entry.items() if k not in ("name", "summary", "shape")})
            recipe.update({f: dtype for f in DTYPE_FIELDS})
            name = f"{entry['name']}-{dtype}"
            yield name, {
                "format": "flashcheck-case-record",
                "version": 1,
                "notes": {"name": name, "summary": entry.get("summary", ""), "kills": []},
                "recipe": recipe,
            }


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    os.makedirs(sys.argv[2], exist_ok=True)
    count = 0
    for name, record in expand(spec):
        with open(os.path.join(sys.argv[2], name + ".json"), "w") as f:
            json.dump(record, f, indent=1)
        count += 1
    print(f"gpu-cases: {count} case records in {sys.argv[2]}")


if __name__ == "__main__":
    try:
        main()
    except (KeyError, ValueError, OSError, json.JSONDecodeError) as e:
        sys.exit(f"gpu-cases: {e}")
