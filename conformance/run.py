#!/usr/bin/env python3
"""Run STUMPY 1.14.1's own test modules against mpcore and print a table per module.

    python conformance/run.py                  # every module whose STUMPY names mpcore provides
    python conformance/run.py test_stump.py    # some modules (or names: `stump`)
    python conformance/run.py --quick 2        # at most 2 parametrizations per test function
    python conformance/run.py --list           # which modules run, which names are missing
    python conformance/run.py test_stump.py -- -k self_join -x   # extra pytest arguments

STUMPY's sdist is fetched with pip into $MPCORE_CONFORMANCE_CACHE (default
~/.cache/mpcore-conformance) and checked against its pinned SHA-256; $MPCORE_CONFORMANCE_SDIST
may point at an already downloaded copy of the same file. Every public STUMPY name that mpcore
provides (``mpcore.__all__``) is resolved to mpcore's; STUMPY's internals (``stumpy.core``,
``stumpy.config``, the tests' ``naive.py``) stay STUMPY's (see mpcore_conformance.py).
Deliberate deviations (deviations.py) run as strict expected failures.

Exit status: 0 when every module run passes (deviations failing as expected), 1 otherwise.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from mpcore_conformance import names_used, provided_names, stumpy_public_names  # noqa: E402

STUMPY_VERSION = "1.14.1"
SDIST = f"stumpy-{STUMPY_VERSION}.tar.gz"
SDIST_SHA256 = "1cb13696724ddab4b512b16843d37ccf4047aee19e072d1ad83024e1fa6fde96"


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch_stumpy():
    """The unpacked STUMPY sdist (downloaded once, then reused from the cache)."""
    cache = os.environ.get("MPCORE_CONFORMANCE_CACHE", "~/.cache/mpcore-conformance")
    cache = Path(cache).expanduser()
    root = cache / f"stumpy-{STUMPY_VERSION}"
    if (root / "tests" / "naive.py").exists():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    tarball = Path(os.environ.get("MPCORE_CONFORMANCE_SDIST") or cache / SDIST)
    if not tarball.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
             "-d", str(cache), f"stumpy=={STUMPY_VERSION}"],
            check=True,
        )
        tarball = cache / SDIST
    digest = _sha256(tarball)
    if digest != SDIST_SHA256:
        sys.exit(f"{tarball}: SHA-256 {digest}, expected {SDIST_SHA256} "
                 f"(STUMPY {STUMPY_VERSION}'s sdist)")
    with tempfile.TemporaryDirectory(dir=cache) as tmp, tarfile.open(tarball) as tar:
        tar.extractall(tmp, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
        os.replace(Path(tmp) / f"stumpy-{STUMPY_VERSION}", root)
    return root


def plan(root, wanted, run_partial):
    """(module, used names, missing names) for each STUMPY test module, and which to run."""
    public = stumpy_public_names(root / "stumpy")
    provided = set(provided_names(public))
    rows = []
    for path in sorted((root / "tests").glob("test_*.py")):
        used = names_used(path, public)
        missing = sorted(used - provided)
        wanted_here = not wanted or any(
            w in (path.name, path.stem, path.stem[len("test_") :]) for w in wanted
        )
        selected = wanted_here and bool(used & provided) and (not missing or run_partial)
        rows.append((path.name, sorted(used), missing, selected, wanted_here))
    return rows, sorted(provided)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("modules", nargs="*",
                    help="test modules or STUMPY names (default: all runnable)")
    ap.add_argument("--quick", type=int, default=0, metavar="K",
                    help="keep at most K evenly spaced parametrizations of each test function")
    ap.add_argument("--partial", action="store_true",
                    help="also run modules using names mpcore lacks (those stay STUMPY's)")
    ap.add_argument("--list", action="store_true", help="show the plan and stop")
    ap.add_argument("--break", dest="break_", default="", metavar="NAMES",
                    help="break these mpcore names on purpose (self-test of the harness)")
    argv = sys.argv[1:] if argv is None else argv
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    args = ap.parse_args(argv)

    root = fetch_stumpy()
    rows, provided = plan(root, args.modules, args.partial)
    print(f"STUMPY {STUMPY_VERSION} tests from {root}")
    print(f"mpcore provides {len(provided)} STUMPY names: {', '.join(provided)}")
    to_run = [row[0] for row in rows if row[3]]
    if args.list or not to_run:
        _print_plan(rows)
        return 0 if args.list else 1

    with tempfile.TemporaryDirectory() as tmp:
        report_path = Path(tmp) / "report.json"
        env = dict(os.environ)
        # The sdist's `stumpy` and its tests' `naive` shadow any installed STUMPY.
        env["PYTHONPATH"] = os.pathsep.join(
            [str(HERE), str(root), str(root / "tests")] + [p for p in [env.get("PYTHONPATH")] if p]
        )
        env["MPCORE_CONFORMANCE_REPORT"] = str(report_path)
        env["MPCORE_CONFORMANCE_QUICK"] = str(args.quick)
        env["MPCORE_CONFORMANCE_BREAK"] = args.break_
        cmd = [sys.executable, "-m", "pytest", "-p", "mpcore_conformance", "-p", "no:cacheprovider",
               "-q", "--no-header", "-rfE", "-W", "ignore::DeprecationWarning",
               *[f"tests/{m}" for m in to_run], *extra]
        print("+", " ".join(cmd), flush=True)
        proc = subprocess.run(cmd, cwd=root, env=env)
        if not report_path.exists():
            print(f"pytest exited with {proc.returncode} and wrote no report", file=sys.stderr)
            return 1
        report = json.loads(report_path.read_text())
    ok = _print_table(rows, report, proc.returncode)
    return 0 if ok else 1


def _print_plan(rows):
    for name, used, missing, selected, _ in rows:
        if selected:
            state = "run"
        else:
            state = "not yet provided: " + ", ".join(missing) if missing else "uses no public name"
        print(f"  {name:<36} {state}")


def _print_table(rows, report, returncode):
    per_module, seconds = {}, Counter()
    for nodeid, outcome in report["outcomes"].items():
        module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
        per_module.setdefault(module, Counter())[outcome] += 1
        seconds[module] += report["durations"].get(nodeid, 0.0)
    cols = ["passed", "failed", "error", "xfailed", "xpassed", "skipped"]
    print()
    print(f"{'module':<36} " + " ".join(f"{c:>7}" for c in cols) + f" {'seconds':>8}  names")
    total, ok = Counter(), True
    for name, used, missing, selected, _ in rows:
        if not selected:
            continue
        c = per_module.get(name, Counter())
        total.update(c)
        bad = c["failed"] + c["error"] + c["xpassed"]
        skipped_module = report["module_skips"].get(name)
        if name in report["collect_errors"] or not (c or skipped_module):
            bad += 1
        ok &= bad == 0
        note = ", ".join(used) + (f" (STUMPY's: {', '.join(missing)})" if missing else "")
        if skipped_module:
            note += f"; module skipped: {skipped_module}"
        counts = " ".join(f"{c[k]:>7}" for k in cols)
        print(f"{name:<36} {counts} {seconds[name]:>8.1f}  {note}")
    counts = " ".join(f"{total[k]:>7}" for k in cols)
    print(f"{'total':<36} {counts} {sum(seconds.values()):>8.1f}")
    waiting = [(n, m) for n, u, m, s, wanted in rows if wanted and not s and m]
    if waiting:
        print(f"\nnot yet provided ({len(waiting)} modules, not run):")
        for name, missing in waiting:
            print(f"  {name:<36} {', '.join(missing)}")
    print("\nmpcore calls:", ", ".join(f"{k}={v}" for k, v in sorted(report["calls"].items())))
    for name, text in report["collect_errors"].items():
        print(f"\nCOLLECTION ERROR in {name}:\n{text}")
    if report["stale_deviations"]:
        ok = False
        print("\nSTALE DEVIATIONS (listed in deviations.py, no such test):")
        print("\n".join(f"  {key}" for key in report["stale_deviations"]))
    if report["leaks"]:
        ok = False
        print("\nLEAKS (a test module kept STUMPY's object for a name mpcore provides):")
        print("\n".join(f"  {leak}" for leak in report["leaks"]))
    failed = sorted(k for k, v in report["outcomes"].items() if v in ("failed", "error", "xpassed"))
    if failed:
        print("\nnot passing:\n" + "\n".join(f"  {report['outcomes'][k]:<8} {k}" for k in failed))
    if returncode not in (0, 1) and not failed:
        ok = False
        print(f"\npytest exited with status {returncode}")
    print("\nCONFORMANCE:", "PASS" if ok else "FAIL")
    return ok


if __name__ == "__main__":
    sys.exit(main())
