#!/usr/bin/env python
"""Turn pytest-benchmark JSON (``--benchmark-json``) into the README's markdown table.

    python benchmarks/table.py bench.json [--stat median] [-o table.md]

Rows: one per case (kind, n, m, k). Columns: seconds and cells/s per library
(mpcore, stumpy, pyscamp), then the speed ratios mpcore vs stumpy and mpcore vs
pyscamp (time of the other library / time of mpcore: > 1 means mpcore is faster).
A header states the machine, library versions, threads and the exact command.
"""

from __future__ import annotations

import argparse
import json
import sys

LIBRARIES = ("mpcore", "stumpy", "pyscamp")
KIND_ORDER = {"self": 0, "ab": 1, "aamp": 2, "aamp_p3": 3, "topk": 4}
KIND_LABEL = {
    "self": "self-join",
    "ab": "AB-join",
    "aamp": "aamp self-join",
    "aamp_p3": "aamp self-join, p = 3",
    "topk": "self-join top-k",
}


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "-"
    if s >= 100:
        return f"{s:.0f}"
    if s >= 10:
        return f"{s:.1f}"
    if s >= 1:
        return f"{s:.2f}"
    return f"{s:.3g}"


def fmt_rate(r: float | None) -> str:
    return "-" if r is None else f"{r / 1e9:.2f}e9"


def fmt_ratio(a: float | None, b: float | None) -> str:
    """Speed ratio of mpcore over another library: t_other / t_mpcore."""
    if a is None or b is None or a <= 0:
        return "-"
    return f"{b / a:.2f}x"


def fmt_n(n: int) -> str:
    e = n.bit_length() - 1
    return f"2^{e}" if n == 1 << e else str(n)


def load(paths: list[str], stat: str):
    rows: dict[tuple, dict[str, dict]] = {}
    meta = {"machine": set(), "versions": {}, "threads": set(), "commands": [], "dates": []}
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        mi = data.get("machine_info", {})
        meta["dates"].append(data.get("datetime", "?"))
        if data.get("command"):
            meta["commands"].append(data["command"])
        for name, ver in (mi.get("library_versions") or {}).items():
            if ver:
                meta["versions"][name] = ver
        for b in data.get("benchmarks", []):
            ex = b.get("extra_info", {})
            if "library" not in ex:
                continue
            key = (ex["kind"], ex["n"], ex["m"], ex["k"])
            t = b["stats"][stat]
            rows.setdefault(key, {})[ex["library"]] = {
                "t": t,
                "rate": ex["cells"] / t if t > 0 else None,
                "rounds": b["stats"]["rounds"],
                "cells": ex["cells"],
            }
            meta["machine"].add(ex.get("machine", "?"))
            meta["threads"].add(f"{ex['library']}={ex.get('threads')}")
            meta["versions"].setdefault(ex["library"], ex.get("library_version"))
    return rows, meta


def render(rows, meta, stat: str) -> str:
    libs = [lib for lib in LIBRARIES if any(lib in r for r in rows.values())]
    out = []
    vers = ", ".join(
        f"{k} {v}" for k, v in sorted(meta["versions"].items()) if k in LIBRARIES + ("numba", "numpy", "python")
    )
    out.append(f"Machine: {'; '.join(sorted(meta['machine']))}.  ")
    out.append(f"Versions: {vers}.  ")
    out.append(f"Threads: {', '.join(sorted(meta['threads']))}. Date: {', '.join(meta['dates'])}.  ")
    out.append(
        f"Statistic: {stat} of the timed rounds (float64 input, random walk, fixed seed); "
        "cells = l*l/2 for a self-join of l = n-m+1 windows, l_A*l_B for an AB-join.  "
    )
    for cmd in meta["commands"] or ["(command not recorded)"]:
        out.append(f"Command: `{cmd}`  ")
    out.append("")

    head = ["case", "n", "m", "k"]
    for lib in libs:
        head += [f"{lib} s", f"{lib} cells/s"]
    ratio_libs = [lib for lib in ("stumpy", "pyscamp") if lib in libs and "mpcore" in libs]
    head += [f"mpcore vs {lib}" for lib in ratio_libs]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "|".join(["---"] * 4 + ["---:"] * (len(head) - 4)) + "|")

    def sort_key(key):
        kind, n, m, k = key
        return (KIND_ORDER.get(kind, 9), k, m != 100, m, n)

    for key in sorted(rows, key=sort_key):
        kind, n, m, k = key
        r = rows[key]
        cells = [KIND_LABEL.get(kind, kind), fmt_n(n), str(m), str(k)]
        for lib in libs:
            e = r.get(lib)
            cells += [fmt_seconds(e and e["t"]), fmt_rate(e and e["rate"])]
        tm = r.get("mpcore", {}).get("t")
        for lib in ratio_libs:
            cells.append(fmt_ratio(tm, r.get(lib, {}).get("t")))
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    out.append(
        "Ratios are t_other / t_mpcore from the same run (> 1: mpcore is faster). "
        "'-': library lacks the operation (pyscamp: no aamp, CPU top-k) or was not run."
    )
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("json", nargs="+", help="pytest-benchmark --benchmark-json file(s)")
    ap.add_argument("--stat", default="median", choices=["median", "min", "mean"])
    ap.add_argument("-o", "--output", help="write the table here instead of stdout")
    args = ap.parse_args(argv)
    rows, meta = load(args.json, args.stat)
    if not rows:
        sys.exit("no mpcore benchmark entries with extra_info found")
    text = render(rows, meta, args.stat)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
