#!/usr/bin/env python3
"""Writes the summary of a ci/gpu-check.sh run from what its steps left in OUT:

    python3 ci/gpu-summary.py OUT

Reads OUT/status/*.json (one per step), versions.json, json/check.json, json/drift-*.json,
json/verify-*.json and junit/ctest-gpu.xml, whichever exist; writes OUT/summary.md,
OUT/summary.json and OUT/junit/check.xml (flashcheck check has no JUnit output of its own).
Result: "skipped" without a GPU, "fail" when a step failed or timed out, else "pass".
"""
import glob
import json
import os
import sys
import xml.etree.ElementTree as ET

STEP_ORDER = ["gpu", "deps", "configure", "build", "ctest", "check", "drift-", "sdpa-cases", "sdpa-export",
              "sdpa-run", "verify-", "ggml-cuda"]


def load(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def step_rank(name):
    for n, prefix in enumerate(STEP_ORDER):
        if name == prefix or (prefix.endswith("-") and name.startswith(prefix)):
            return n, name
    return len(STEP_ORDER), name


def ratio(v):
    return "-" if v is None else f"{v:.3g}"


def md_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(lines)


def versions_section(v):
    if not v:
        return []
    rows = [("GPU", "; ".join(v.get("gpu", []))), ("CUDA (driver API)", v.get("cuda_driver_api", "")),
            ("nvcc", " ".join(v.get("nvcc", []))), ("CUDA architectures built", v.get("cuda_arch", "")),
            ("torch", v.get("torch", "")), ("torch CUDA", v.get("torch_cuda", "")), ("cuDNN", v.get("cudnn", "")),
            ("python", v.get("python", "")), ("cmake", " ".join(v.get("cmake", []))),
            ("C++ compiler", " ".join(v.get("cxx", []))), ("CPUs", v.get("cpus", "")), ("kernel", v.get("kernel", ""))]
    return ["## Versions", "", md_table(["what", "version"], [r for r in rows if r[1] != ""]), ""]


def ctest_section(out):
    path = os.path.join(out, "junit", "ctest-gpu.xml")
    if not os.path.exists(path):
        return [], None
    try:
        suite = ET.parse(path).getroot()
    except ET.ParseError as e:
        return [f"ctest JUnit unreadable: {e}", ""], None
    cases = suite.findall(".//testcase")
    failed = [c.get("name") for c in cases if c.find("failure") is not None or c.get("status") == "fail"]
    skipped = [c.get("name") for c in cases if c.find("skipped") is not None]
    info = {"tests": len(cases), "failed": failed, "skipped": len(skipped), "seconds": float(suite.get("time", 0))}
    lines = ["## ctest -L gpu", "",
             f"{len(cases)} tests, {len(cases) - len(failed) - len(skipped)} passed, {len(failed)} failed, "
             f"{len(skipped)} skipped, {info['seconds']:.1f} s"]
    lines += [f"- FAILED: {n}" for n in failed]
    return lines + [""], info


def check_summary(results):
    per = {}
    for r in results:
        b = per.setdefault(r["backend"], {"pass": 0, "fail": 0, "unsupported": 0, "error": 0, "ratios": [],
                                          "seconds": 0.0, "failures": []})
        b[r["status"] if r["status"] in b else "error"] += 1
        b["seconds"] += r.get("backend_seconds") or 0.0
        v = r.get("verdict")
        if v and v.get("worst_budget_ratio") is not None:
            b["ratios"].append(v["worst_budget_ratio"])
        if r["status"] in ("fail", "error"):
            b["failures"].append({"family": r.get("family"), "message": r.get("message") or (v or {}).get("summary"),
                                  "replay": r.get("replay")})
    return per


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else None


def check_section(out):
    j = load(os.path.join(out, "json", "check.json"))
    if not j:
        return [], None
    per = check_summary(j["results"])
    rows = [(b, s["pass"], s["fail"], s["unsupported"], s["error"], ratio(max(s["ratios"], default=None)),
             ratio(median(s["ratios"])), f"{s['seconds']:.2f} s") for b, s in per.items()]
    lines = ["## flashcheck check (default matrix)", "",
             md_table(["backend", "pass", "fail", "unsupported", "error", "worst error/budget", "median error/budget",
                       "kernel time"], rows), ""]
    for b, s in per.items():
        lines += [f"- {b} FAIL {f['family']}: {f['message']} (`{f['replay']}`)" for f in s["failures"][:5]]
    write_check_junit(out, j["results"])
    return lines + [""], {b: {k: v for k, v in s.items() if k != "ratios"} for b, s in per.items()}


def write_check_junit(out, results):
    suite = ET.Element("testsuite", name="flashcheck check", tests=str(len(results)))
    failures = 0
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=r["backend"], name=r.get("family", ""),
                             time=f"{(r.get('backend_seconds') or 0) + (r.get('oracle_seconds') or 0):.3f}")
        if r["status"] in ("fail", "error"):
            failures += 1
            ET.SubElement(case, "failure", message=(r.get("message") or r["status"])[:300]).text = r.get("replay", "")
        elif r["status"] == "unsupported":
            ET.SubElement(case, "skipped", message=(r.get("message") or "")[:300])
    suite.set("failures", str(failures))
    ET.ElementTree(suite).write(os.path.join(out, "junit", "check.xml"), encoding="utf-8", xml_declaration=True)


def drift_section(out):
    rows, info = [], {}
    for path in sorted(glob.glob(os.path.join(out, "json", "drift-*.json"))):
        d = load(path)
        if not d:
            continue
        cells, info[d["backend"]] = [], []
        for s in d["series"]:
            pts = [p for p in s["points"] if not p.get("problem")]
            last = pts[-1] if pts else None
            ks, rs = s.get("kernel_slope"), s.get("reference_slope")
            cells.append(f"{'-' if ks is None else f'{ks:.3f}'} ({'-' if rs is None else f'{rs:.3f}'})")
            info[d["backend"]].append({"distribution": s["distribution"], "kernel_slope": ks, "reference_slope": rs,
                                       "drift": s["drift"], "diagnosis": s["diagnosis"],
                                       "error_at_max_lk": last and last["kernel_error"], "max_lk": last and last["lk"]})
        diag = "; ".join(f"{s['distribution']}: {s['diagnosis']}" for s in d["series"] if s["drift"]) or "no drift"
        rows.append([d["backend"]] + cells + [diag])
    if not rows:
        return [], None
    dists = [s["distribution"] for s in load(sorted(glob.glob(os.path.join(out, "json", "drift-*.json")))[0])["series"]]
    lines = ["## flashcheck drift (B=1 Hq=4 Hkv=1 Lq=1 D=64, f32 K/V, Lk 64..131072)", "",
             "Slope of log(error) against log(Lk), the fp32 contract reference's in brackets.", "",
             md_table(["backend"] + [f"{x} slope (reference)" for x in dists] + ["diagnosis"], rows), ""]
    lines += [f"![drift {b}](plots/drift-{b}.png)" for b in info if os.path.exists(os.path.join(out, "plots", f"drift-{b}.png"))]
    return lines + [""], info


def verify_section(out):
    per_runner, cells = {}, {}
    for path in sorted(glob.glob(os.path.join(out, "json", "verify-*.json"))):
        runner = os.path.basename(path)[len("verify-"):-len(".json")]
        j = load(path)
        if not j:
            continue
        per_runner[runner] = dict(j.get("totals", {}), backends=j.get("backends", []))
        for r in j["results"]:
            o = r.get("outcome") or {}
            v = o.get("verdict") or {}
            status = o.get("status", r.get("status"))
            cell = {"status": status, "ratio": v.get("worst_budget_ratio"), "contract": v.get("contract"),
                    "message": o.get("message") or r.get("detail") or "", "replay": r.get("replay")}
            cells.setdefault(r["case_name"], {})[runner] = cell
    if not per_runner:
        return [], None
    runners = list(per_runner)
    rows = [(r, t.get("pass", 0), t.get("fail", 0), t.get("unsupported", 0), t.get("error", 0)) for r, t in per_runner.items()]
    lines = ["## PyTorch SDPA (ci/gpu-cases.json through torch_runner.py, graded by flashcheck verify)", "",
             md_table(["runner", "pass", "fail", "unsupported", "error"], rows), "",
             "Worst error/budget per case (pass <= 1); contracts by dtype: f16 fp16-operands-masked-kv-read, bf16 bf16-operands-masked-kv-read.", ""]

    def show(c):
        if c is None:
            return "-"
        if c["status"] == "pass":
            return ratio(c["ratio"])
        if c["status"] == "unsupported":
            return "unsupported"
        return f"**{c['status'].upper()}** {ratio(c['ratio'])}"
    lines.append(md_table(["case"] + runners, [[case] + [show(cs.get(r)) for r in runners] for case, cs in sorted(cells.items())]))
    notes = sorted({(r, c["message"][:260]) for cs in cells.values() for r, c in cs.items()
                    if c["status"] == "unsupported" and c["message"]})
    if notes:
        lines += ["", "Unsupported, as the backend said:"] + [f"- {r}: {m}" for r, m in notes[:12]]
    bad = [(case, r, c) for case, cs in sorted(cells.items()) for r, c in cs.items() if c["status"] in ("fail", "error")]
    if bad:
        lines += ["", "Failures:"] + [f"- {case} on {r}: {c['message'][:200]} (`{c['replay']}`)" for case, r, c in bad]
    return lines + [""], {"runners": per_runner, "cases": cells}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "junit"), exist_ok=True)
    steps = sorted((s for s in (load(p) for p in glob.glob(os.path.join(out, "status", "*.json"))) if s),
                   key=lambda s: step_rank(s["step"]))
    if any(s["step"] == "gpu" and s["status"] == "skipped" for s in steps):
        result = "skipped"
    elif any(s["status"] in ("fail", "timeout") for s in steps):
        result = "fail"
    else:
        result = "pass" if steps else "fail"
    summary = {"result": result, "steps": steps, "versions": load(os.path.join(out, "versions.json"), {})}
    run = load(os.path.join(out, "run.json"), {})
    summary["run"] = run
    lines = [f"# ci/gpu-check.sh: {result.upper()}", ""]
    if run:
        lines += [f"`{run.get('command')}`, started {run.get('started')}, {run.get('seconds')} s wall time.", ""]
    if result == "skipped":
        lines += ["No NVIDIA GPU on this machine (nvidia-smi absent or lists none): nothing was run.", ""]
    lines += versions_section(summary["versions"])
    step_rows = [(s["step"], s["status"] if s["status"] == "pass" else f"**{s['status']}**", f"{s['seconds']:.0f} s",
                  f"`{s['command'].strip()}`" + (f" ({s['note']})" if s.get("note") else "")) for s in steps]
    lines += ["## Steps", "", md_table(["step", "status", "wall time", "command"], step_rows), ""]
    for key, section in (("ctest", ctest_section), ("check", check_section), ("drift", drift_section),
                         ("sdpa", verify_section)):
        text, info = section(out)
        lines += text
        if info is not None:
            summary[key] = info
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(f"gpu-summary: {result}; {os.path.join(out, 'summary.md')}")


if __name__ == "__main__":
    main()
