"""Packaging: one CMake minimum everywhere, a missing/broken/old nvcc never fails a CPU-only
build (a warning instead, an error only with MPCORE_REQUIRE_CUDA=ON), and the LICENSE."""
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CMAKE_LISTS = ["CMakeLists.txt", "cuda/CMakeLists.txt", "cuda/check/CMakeLists.txt"]


def test_one_cmake_minimum():
    pattern = r"cmake_minimum_required\(VERSION ([0-9.]+)\)"
    versions = {f: re.findall(pattern, (ROOT / f).read_text()) for f in CMAKE_LISTS}
    assert all(len(v) == 1 for v in versions.values()), versions
    assert len({v[0] for v in versions.values()}) == 1, versions


def test_license_is_bsd3_as_declared():
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("BSD 3-Clause License") and "the mpcore developers" in text
    assert 'license = "BSD-3-Clause"' in (ROOT / "pyproject.toml").read_text()


def _fake_nvcc(tmp_path, body):
    path = tmp_path / "nvcc"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def _configure(tmp_path, nvcc, *flags):
    cmake = shutil.which("cmake")
    if cmake is None:
        pytest.skip("no cmake on PATH")
    env = dict(os.environ, CUDACXX=str(nvcc))
    proc = subprocess.run(
        [cmake, "-S", str(ROOT), "-B", str(tmp_path / "build"),
         f"-DPython_EXECUTABLE={sys.executable}", *flags],
        env=env, capture_output=True, text=True, timeout=600)
    return proc.returncode, " ".join((proc.stdout + proc.stderr).split())  # CMake wraps messages


needs_posix = pytest.mark.skipif(sys.platform == "win32", reason="fake nvcc is a shell script")


@pytest.mark.slow
@needs_posix
def test_broken_nvcc_warns_and_builds_cpu_only(tmp_path):
    nvcc = _fake_nvcc(tmp_path, 'echo "nvcc fatal: broken" >&2\nexit 1\n')
    rc, out = _configure(tmp_path, nvcc)
    assert rc == 0, out
    assert "building WITHOUT GPU support" in out and "CMake Warning" in out, out
    assert "building CUDA kernels" not in out
    rc, out = _configure(tmp_path / "req", nvcc, "-DMPCORE_REQUIRE_CUDA=ON")
    assert rc != 0 and "MPCORE_REQUIRE_CUDA is ON" in out, out
    rc, out = _configure(tmp_path / "off", nvcc, "-DMPCORE_DISABLE_CUDA=ON")
    assert rc == 0 and "WITHOUT GPU" not in out, out


@pytest.mark.slow
@needs_posix
@pytest.mark.parametrize("case", ["old", "cannot-build-ours"])
def test_unusable_real_nvcc_warns_and_builds_cpu_only(tmp_path, case):
    real = shutil.which("nvcc")
    if real is None:
        pytest.skip("needs a real nvcc to wrap (check_language must succeed)")
    if case == "old":  # identifies fine, but reports a release older than the kernels need
        body = ('case "$*" in *--version*) echo "Cuda compilation tools, release 10.2, V10.2.89"; '
                f'exit 0;; esac\nexec "{real}" "$@"\n')
        expected = "nvcc 10.2 is older than"
    else:  # identifies fine, fails on the test kernel (as an nvcc too old for our C++ would)
        body = (f'case "$*" in *check.cu*) echo "error: fake" >&2; exit 2;; esac\n'
                f'exec "{real}" "$@"\n')
        expected = "failed to compile a test kernel"
    rc, out = _configure(tmp_path, _fake_nvcc(tmp_path, body))
    assert rc == 0, out
    assert expected in out and "building CUDA kernels" not in out, out
