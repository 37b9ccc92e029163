"""The conformance harness (conformance/run.py): it sees every import form STUMPY's tests use,
and it really calls mpcore (a deliberately broken mpcore function makes its module fail)."""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "conformance"))
from mpcore_conformance import names_used, stumpy_public_names  # noqa: E402

PUBLIC = {"stump": "stump", "aamp": "aamp", "mass": "core", "gpu_stump": "gpu_stump",
          "scrump": "scrump", "prescrump": "scrump", "mparray": "mparray"}


def _used(tmp_path, source):
    path = tmp_path / "test_x.py"
    path.write_text(textwrap.dedent(source))
    return names_used(path, PUBLIC)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from stumpy import stump, aamp\n", {"stump", "aamp"}),
        ("from stumpy import (\n    stump,\n    aamp as a,\n)\n", {"stump", "aamp"}),
        ("from stumpy.stump import stump\n", {"stump"}),
        ("from stumpy.scrump import prescrump, scrump\n", {"prescrump", "scrump"}),
        ("from stumpy.mparray import mparray\n", {"mparray"}),
        ("from numba import cuda\nif cuda.is_available():\n"
         "    from stumpy.gpu_stump import gpu_stump\n"
         "else:\n"
         "    from stumpy.core import _gpu_stump_driver_not_found as gpu_stump\n", {"gpu_stump"}),
        ("import stumpy\n\ndef test():\n    stumpy.stump(T, 3)\n", {"stump"}),
        ("import stumpy as sp\nsp.aamp(T, 3)\n", {"aamp"}),
        ("from stumpy import config, core\ncore.mass(Q, T)\n", {"mass"}),
        # internals and names defined elsewhere are not public uses
        ("from stumpy import config, core\ncore._mass(Q, T)\ncore.stump\n", set()),
        ("from stumpy.stump import _stump\nfrom stumpy.core import mass_absolute\n", set()),
    ],
)
def test_names_used_sees_every_import_form(tmp_path, source, expected):
    assert _used(tmp_path, source) == expected


def test_public_names_include_gpu_and_mparray(tmp_path):
    pkg = tmp_path / "stumpy"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(textwrap.dedent("""
        _lazy_imports = {"stump": "stump", "mass": "core"}
        if cuda.is_available():
            _lazy_imports.update({"gpu_stump": "gpu_stump"})
    """))
    assert stumpy_public_names(pkg) == {"stump": "stump", "mass": "core", "gpu_stump": "gpu_stump",
                                        "mparray": "mparray"}


def _run_harness(*args):
    pytest.importorskip("numba")
    pytest.importorskip("scipy")
    proc = subprocess.run([sys.executable, str(ROOT / "conformance" / "run.py"), *args],
                          capture_output=True, text=True, timeout=900)
    return proc.returncode, proc.stdout + proc.stderr


def _module_row(output, module):
    row = next(line for line in output.splitlines() if line.startswith(module + " "))
    passed, failed, error, xfailed, xpassed, skipped = map(int, row.split()[1:7])
    return dict(passed=passed, failed=failed, error=error, xfailed=xfailed, xpassed=xpassed)


@pytest.mark.slow
def test_harness_passes_aamp_and_fails_when_mpcore_aamp_is_broken():
    rc, out = _run_harness("test_aamp.py", "--quick", "2")
    row = _module_row(out, "test_aamp.py")
    assert rc == 0, out
    assert row["passed"] > 10 and row["failed"] == row["error"] == 0, out
    assert row["xfailed"] == 1, out  # test_aamp_int_input: the listed deliberate deviation
    calls = dict(kv.split("=") for kv in out.split("mpcore calls: ")[1].splitlines()[0].split(", "))
    assert int(calls["aamp"]) > 10, out  # the tests reached mpcore's aamp, not STUMPY's

    rc, out = _run_harness("test_aamp.py", "--quick", "2", "--break", "aamp")
    row = _module_row(out, "test_aamp.py")
    assert rc == 1, out
    assert row["failed"] > 10, out
    assert "CONFORMANCE: FAIL" in out
