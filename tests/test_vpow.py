"""The powers |x|^p of a general p-norm's kernel (``_kernels/vpow.h``): their error against
40-digit decimals, the special values, and each lane's independence of its neighbours."""

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest

import mpcore
from mpcore import _engine


U = 2.0**-53  # the unit roundoff
P_VALUES = [0.5, 1.0001, 1.5, 3.0, 4.0, 7.3, 20.0, 32.0, 33.0, 100.0]


def _index(name):
    return mpcore._config.kernel_names().index(name)


def _inputs():
    rng = np.random.default_rng(11)
    sqrt2 = math.sqrt(2.0)
    return np.concatenate([
        np.exp(rng.uniform(-40.0, 40.0, 1500)),  # a wide range of magnitudes
        rng.uniform(0.5, 2.0, 600),
        1.0 + rng.uniform(-1e-9, 1e-9, 200),  # ln x near 0
        sqrt2 * (1.0 + rng.uniform(-1e-12, 1e-12, 200)),  # the reduction's edge
        rng.integers(1, 1000, 200).astype(float),
        np.exp(rng.uniform(-700.0, 700.0, 300)),
    ])


def _libm_pow(x, p):
    try:
        return math.pow(x, p)
    except OverflowError:
        return math.inf


def _exact_power(x, p):
    with localcontext() as ctx:
        ctx.prec = 40
        return Decimal(x) ** Decimal(p)


@pytest.mark.parametrize("p", P_VALUES)
def test_powers_are_within_their_stated_error(kernel, p):
    """Relative error below (0.05 p + 1.6) u wherever the result is normal, (p - 1) u for an
    integer p <= 32 (products; vpow.h's bounds, inside what the kernels' rounding bookkeeping
    allows a term): a lost low part of ln x showed as hundreds of u at p = 100."""
    x = _inputs()
    got = _engine.kernel_powers(_index(kernel), x, p)
    worst = 0.0
    for xi, yi in zip(x.tolist(), got.tolist()):
        ref = _libm_pow(xi, p)
        if not (2.2250738585072014e-308 <= ref < math.inf):
            continue
        exact = _exact_power(xi, p)
        worst = max(worst, float(abs((Decimal(yi) - exact) / exact)) / U)
    bound = p - 1.0 if p == int(p) and 2 <= p <= 32 and kernel != "baseline" else 0.05 * p + 1.6
    assert worst <= bound, f"worst error {worst:.3f} u"
    assert worst > 0.0  # (the comparison saw rounded results, not only exact ones)


@pytest.mark.parametrize("p", [0.5, 3.0, 20.0])
def test_special_values_are_libm_pow(kernel, p):
    """0, subnormals, inf, NaN, and results outside the normal range: libm's pow's values."""
    x = np.array([0.0, 5e-324, 1e-310, 2.2250738585072014e-308, np.inf, np.nan,
                  1.7976931348623157e308, 1e-200, 1e200, 3.855532159687164e-16, 1.0])
    got = _engine.kernel_powers(_index(kernel), x, p)
    for xi, yi in zip(x.tolist(), got.tolist()):
        ref = _libm_pow(xi, p)
        if math.isnan(ref):
            assert math.isnan(yi)
        elif abs(math.log2(ref) if ref > 0 else 0) > 1000 or ref == 0 or math.isinf(ref):
            assert yi == ref, (xi, yi, ref)  # the fast path leaves these to libm
        else:
            assert abs(yi - ref) <= 4 * U * ref, (xi, yi, ref)


def test_each_lane_depends_on_its_own_x_alone(kernel):
    """A value has the same bits in any lane, beside any neighbours (zeros, NaN, huge), and
    alone in the scalar tail: a diagonal's terms must not depend on which lanes it shares."""
    rng = np.random.default_rng(3)
    x = np.abs(rng.standard_normal(37)) * 10.0 ** rng.integers(-5, 5, 37)
    x[[3, 10, 17]] = [0.0, np.nan, 1e300]
    k = _index(kernel)
    whole = _engine.kernel_powers(k, x, 2.7)
    for shift in range(1, 9):
        moved = _engine.kernel_powers(k, np.concatenate([np.full(shift, 0.5), x]), 2.7)
        np.testing.assert_array_equal(moved[shift:], whole)
    alone = np.array([_engine.kernel_powers(k, x[i:i + 1], 2.7)[0] for i in range(len(x))])
    np.testing.assert_array_equal(alone, whole)


def test_baseline_is_libm_pow():
    """The baseline kernel (SSE2, NEON, plain C) calls libm's pow, as it always did."""
    x = _inputs()[:500]
    got = _engine.kernel_powers(_index("baseline"), x, 3.3)
    np.testing.assert_array_equal(got, [math.pow(v, 3.3) for v in x.tolist()])
