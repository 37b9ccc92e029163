"""Threads per call (-1 = all cores), MPCORE_KERNEL, and what show_config reports."""
import os
import subprocess
import sys
from pathlib import Path

import checks
import numpy as np
import pytest
from conftest import kernel_params, random_walk, require_kernel

import mpcore
from mpcore import _config, _gpu


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count()


def test_threads_minus_one_means_all_cores():
    previous = mpcore.set_num_threads(1)
    try:
        assert mpcore.get_num_threads() == 1
        with mpcore.threads(-1):
            assert mpcore.get_num_threads() == _cores()
            with mpcore.threads(1):
                assert mpcore.get_num_threads() == 1
            assert mpcore.get_num_threads() == _cores()
        assert mpcore.get_num_threads() == 1
        mpcore.set_num_threads(-1)
        assert mpcore.get_num_threads() == _cores()
    finally:
        mpcore.set_num_threads(previous)
    T = random_walk(500, seed=1)
    np.testing.assert_array_equal(mpcore.stump(T, 20, n_threads=-1).I_, mpcore.stump(T, 20).I_)
    for bad in (0, -2):
        with pytest.raises(ValueError, match="-1 for all cores"):
            with mpcore.threads(bad):
                pass


def _in_subprocess(code, kernel):
    env = dict(os.environ, MPCORE_KERNEL=kernel)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("kernel_name", kernel_params())
def test_mpcore_kernel_environment_variable(kernel_name, tmp_path):
    """MPCORE_KERNEL picks the kernel of a new process.  The parameter is not the ``kernel``
    fixture, so `-m kernels` leaves this out: the CI job running those under Intel SDE need
    not emulate child processes."""
    require_kernel(kernel_name)
    T = random_walk(400, seed=2)
    np.save(tmp_path / "T.npy", T)
    code = ("import numpy as np, mpcore; "
            "print(mpcore.show_config(print_out=False)['cpu_kernel_in_use']); "
            f"np.save({str(tmp_path / 'P.npy')!r}, "
            f"mpcore.stump(np.load({str(tmp_path / 'T.npy')!r}), 16).P_)")
    proc = _in_subprocess(code, kernel_name)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == kernel_name
    # that kernel's result is right (distances are refined exactly, so equal to in-process ones)
    P = np.load(tmp_path / "P.npy")
    checks.assert_profile(mpcore.stump(T, 16), T, 16)
    np.testing.assert_allclose(P, mpcore.stump(T, 16).P_, rtol=0, atol=1e-12 * np.sqrt(16))


def test_mpcore_kernel_unknown_name_is_a_clear_error():
    proc = _in_subprocess("import mpcore; mpcore.stump([1., 2, 4, 3, 5, 4, 6], 3)", "avx9000")
    assert proc.returncode != 0
    assert "RuntimeError" in proc.stderr and "MPCORE_KERNEL='avx9000'" in proc.stderr
    assert "baseline" in proc.stderr  # it lists the available ones


def test_show_config_reports_gpu_support_truthfully():
    info = mpcore.show_config(print_out=False)
    assert info["cpu_kernel_in_use"] == _config.kernel_names()[0]  # the best, unless forced
    assert info["threads_per_call"] == mpcore.get_num_threads()
    assert type(info["gpu_available"]) is bool
    built = any(p.name.startswith("_mpcore_cuda") for p in Path(mpcore.__file__).parent.iterdir())
    if not built:
        assert info["gpu_available"] is False
        assert "without CUDA" in _gpu.gpu_unavailable_reason()
        with pytest.raises(RuntimeError, match="no CUDA GPU available"):
            mpcore.gpu_stump(random_walk(100), 10)
    elif info["gpu_available"]:
        assert _gpu.device_count() > 0 and _gpu.gpu_unavailable_reason() == ""
    else:
        assert _gpu.device_count() == 0 and _gpu.gpu_unavailable_reason()
