import numpy as np
import pytest

import mpcore


def random_walk(n, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.standard_normal(n)).astype(dtype)


@pytest.fixture(params=mpcore._config.kernel_names())
def kernel(request):
    """Run a test once for every band kernel this CPU has (avx512, avx2, baseline)."""
    mpcore._config.set_kernel(request.param)
    yield request.param
    mpcore._config.set_kernel(None)
