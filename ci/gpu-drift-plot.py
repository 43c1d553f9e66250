#!/usr/bin/env python3
"""Draws `flashcheck drift --json` output as a PNG with matplotlib, for machines without
gnuplot (the drift command's own plot needs it): log-log error against Lk for the kernel,
the fp32 contract reference and the budget, one panel per distribution.

    python3 ci/gpu-drift-plot.py drift-BACKEND.json OUT.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def series_points(series, key):
    pts = [(p["lk"], p[key]) for p in series["points"] if not p.get("problem") and p[key] is not None and p[key] > 0]
    return [x for x, _ in pts], [y for _, y in pts]


def slope_text(s):
    k, r = s.get("kernel_slope"), s.get("reference_slope")
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    return f"slope {fmt(k)} (reference {fmt(r)})"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        drift = json.load(f)
    panels = drift["series"]
    if not panels:
        sys.exit("gpu-drift-plot: no series in " + sys.argv[1])
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.8), squeeze=False)
    for ax, s in zip(axes[0], panels):
        for key, label, style, color in (("kernel_error", drift["backend"], "o-", "tab:blue"),
                                         ("reference_error", "fp32 contract reference", "s--", "tab:orange"),
                                         ("budget", "budget (median)", ":", "tab:green")):
            x, y = series_points(s, key)
            if x:
                ax.loglog(x, y, style, color=color, label=label, markersize=4)
        failed = [p["lk"] for p in s["points"] if not p.get("problem") and not p["verdict_pass"]]
        # An error that is not a finite number (fp16 overflow gives inf, written as null) has no point.
        if any(p["kernel_error"] is None for p in s["points"] if not p.get("problem")):
            ax.text(0.5, 0.5, "kernel error not finite\n(overflow)", transform=ax.transAxes, ha="center", fontsize=9)
        title = f"{s['distribution']}{' (DRIFT)' if s['drift'] else ''}\n{slope_text(s)}"
        ax.set_title(title, fontsize=9)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("Lk" + (f"  (fails at {failed[0]}..)" if failed else ""), fontsize=9)
        ax.set_ylabel("max |O - exact| / max|V|", fontsize=9)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle(f"flashcheck drift: {drift['backend']}", fontsize=11)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=72)
    print(f"gpu-drift-plot: {sys.argv[2]}")


if __name__ == "__main__":
    try:
        main()
    except (OSError, KeyError, ValueError, json.JSONDecodeError) as e:
        sys.exit(f"gpu-drift-plot: {e}")
