"""Packaging: one CMake minimum everywhere, a missing/broken/old nvcc never fails a CPU-only
build (a warning instead, an error only with MPCORE_REQUIRE_CUDA=ON), CUDA kernels that need no
toolkit at run time, and the LICENSE."""
import os
import re
import shutil
import stat
import struct
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


def _elf_needed(path):
    """The DT_NEEDED entries of a 64-bit little-endian ELF shared library (its .dynamic
    section's, read through the section headers)."""
    data = Path(path).read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "not a 64-bit LE ELF"
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
                for i in range(shnum)]
    needed = []
    for _, kind, _, _, offset, size, link, _, _, _ in sections:
        if kind != 6:  # SHT_DYNAMIC
            continue
        strtab = sections[link][4]
        for at in range(offset, offset + size, 16):
            tag, val = struct.unpack_from("<qQ", data, at)
            if tag == 1:  # DT_NEEDED
                end = data.index(b"\0", strtab + val)
                needed.append(data[strtab + val:end].decode())
    return needed


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF shared libraries")
def test_cuda_kernels_need_no_toolkit_at_run_time():
    """The CUDA library (built wherever nvcc is, as in CI and the Linux wheels) links the CUDA
    runtime statically and loads the driver itself: it needs neither libcudart nor libcuda to
    load, so it loads on a machine without a driver and only then finds no GPU."""
    from mpcore import _gpu

    lib = _gpu._find_library()
    if lib is None:
        pytest.skip("mpcore was built without CUDA (no usable nvcc at build time)")
    needed = _elf_needed(lib)
    assert "libc.so.6" in needed  # (the parser read the section)
    assert not [n for n in needed if n.startswith(("libcudart", "libcuda.", "libnvrtc"))], needed
    assert not _gpu.gpu_unavailable_reason().startswith("cannot load"), \
        _gpu.gpu_unavailable_reason()
