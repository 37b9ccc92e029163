"""mpdist/aampdist (and their -ed and gpu_ bindings) against a brute-force MPdist and STUMPY."""
import math
import warnings

import naive
import numpy as np
import pytest
from conftest import dask_client, random_walk

import mpcore
from mpcore import _gpu


def ref_select(P_ABBA, k):
    """STUMPY's rule written plainly: the k-th smallest; if that is not finite, the largest
    finite value among the k smallest (the smallest when none is)."""
    srt = np.sort(P_ABBA)
    if np.isfinite(srt[k]) or k == 0:
        return float(srt[k])
    finite = srt[:k][np.isfinite(srt[:k])]
    return float(finite[-1]) if len(finite) else float(srt[0])


def ref_P_ABBA(T_A, T_B, m, normalize=True, p=2.0, cA=None, cB=None):
    """Row and column minima of the brute-force distance matrix, concatenated."""
    D = naive.distance_matrix(T_A, m, T_B, normalize, p, cA, cB).astype(np.float64)
    return np.concatenate([D.min(axis=1), D.min(axis=0)])


def ref_mpdist(T_A, T_B, m, percentage=0.05, k=None, normalize=True, p=2.0, cA=None, cB=None,
               P_ABBA=None):
    if P_ABBA is None:
        P_ABBA = ref_P_ABBA(T_A, T_B, m, normalize, p, cA, cB)
    last = len(P_ABBA) - 1
    if k is None:
        k = min(math.ceil(min(max(percentage, 0.0), 1.0) * (len(T_A) + len(T_B))), last)
    return ref_select(P_ABBA, min(k, last))


def _cases():
    rng = np.random.default_rng(7)
    A, B = random_walk(160, 1), random_walk(120, 2)
    yield "walks", A, B, 12
    yield "tiny m", A, B, 3
    yield "large m", A, B, 110
    yield "short", random_walk(10, 3), random_walk(8, 4), 4
    Ac, Bc = A.copy(), B.copy()
    Ac[50:90] = 2.0
    Bc[10:40] = -1.0
    yield "constant stretches", Ac, Bc, 10
    An, Bn = A.copy(), B.copy()
    An[[5, 100]] = np.nan
    Bn[60] = np.inf
    yield "nan and inf", An, Bn, 8
    As = A.copy()
    As[80] += 1e4
    yield "spike", As, B, 16
    yield "shared motif", np.concatenate([A[:100], B[:80], A[100:]]), B, 20
    yield "offset and scale", 1e6 + 1e-3 * A, B, 10
    yield "noise", rng.standard_normal(150), rng.uniform(-5, 5, 130), 7
    nan_B = B.copy()
    nan_B[:] = np.nan
    yield "all of B nan", A, nan_B, 5


CASES = list(_cases())


SELECTIONS = [dict(), dict(percentage=0.3), dict(percentage=1.0), dict(percentage=-1.0),
              dict(k=0), dict(k=7), dict(k=10**6)]


@pytest.mark.parametrize("name,A,B,m", CASES, ids=[c[0] for c in CASES])
def test_mpdist_brute_force(name, A, B, m):
    P_ABBA = ref_P_ABBA(A, B, m)
    for sel in SELECTIONS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = mpcore.mpdist(A, B, m, **sel)
        want = ref_mpdist(A, B, m, P_ABBA=P_ABBA, **sel)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=str(sel))


@pytest.mark.parametrize("name,A,B,m", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_aampdist_brute_force(name, A, B, m, p):
    P_ABBA = ref_P_ABBA(A, B, m, normalize=False, p=p)
    for sel in SELECTIONS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = mpcore.aampdist(A, B, m, p=p, **sel)
            via_mpdist = mpcore.mpdist(A, B, m, normalize=False, p=p, **sel)
        want = ref_mpdist(A, B, m, P_ABBA=P_ABBA, **sel)
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-12, err_msg=str(sel))
        assert got == via_mpdist


def test_mpdist_isconstant_rules():
    A, B = random_walk(200, 5), random_walk(180, 6)
    cA = np.zeros(A.shape[0] - 9, dtype=bool)
    cA[::7] = True
    cB = np.zeros(B.shape[0] - 9, dtype=bool)
    cB[3::5] = True
    want = ref_mpdist(A, B, 10, percentage=0.2, cA=cA, cB=cB)
    assert mpcore.mpdist(A, B, 10, percentage=0.2, T_A_subseq_isconstant=cA,
                         T_B_subseq_isconstant=cB) == pytest.approx(want, rel=1e-12)
    # a function f(a, w) gives the same flags
    fA = lambda a, w: cA.copy()  # noqa: E731
    fB = lambda a, w: cB.copy()  # noqa: E731
    assert mpcore.mpdist(A, B, 10, percentage=0.2, T_A_subseq_isconstant=fA,
                         T_B_subseq_isconstant=fB) == pytest.approx(want, rel=1e-12)


def test_one_sweep_gives_both_joins():
    """The two profiles of one sweep are exactly those of two separate stump calls."""
    from mpcore._algos.mpdist import ab_ba_profiles, cpu_executor

    A, B = random_walk(700, 8), random_walk(555, 9)
    A[100:130] = 1.0
    for normalize in (True, False):
        P_AB, P_BA = ab_ba_profiles(A, B, 25, normalize, 2.0, None, None, cpu_executor())
        f = mpcore.stump if normalize else mpcore.aamp
        np.testing.assert_array_equal(P_AB, f(A, 25, B, ignore_trivial=False).P_)
        np.testing.assert_array_equal(P_BA, f(B, 25, A, ignore_trivial=False).P_)


@pytest.mark.slow  # STUMPY's first calls JIT-compile for minutes
@pytest.mark.parametrize("seed", range(3))
def test_against_stumpy(seed):
    stumpy = pytest.importorskip("stumpy")
    rng = np.random.default_rng(seed)
    A = np.cumsum(rng.standard_normal(int(rng.integers(50, 400))))
    B = np.cumsum(rng.standard_normal(int(rng.integers(50, 400))))
    m = int(rng.integers(3, 40))
    for kw in (dict(), dict(percentage=0.4), dict(k=5)):
        np.testing.assert_allclose(mpcore.mpdist(A, B, m, **kw), stumpy.mpdist(A, B, m, **kw),
                                   rtol=1e-7)
        np.testing.assert_allclose(mpcore.aampdist(A, B, m, p=1.0, **kw),
                                   stumpy.aampdist(A, B, m, p=1.0, **kw), rtol=1e-7)


def test_inputs_not_modified_and_list_input():
    A, B = random_walk(100, 1), random_walk(90, 2)
    A0, B0 = A.copy(), B.copy()
    d = mpcore.mpdist(A, B, 8)
    np.testing.assert_array_equal(A, A0)
    np.testing.assert_array_equal(B, B0)
    assert mpcore.mpdist(list(A), list(B), 8) == d
    assert isinstance(d, float)


@pytest.mark.parametrize("kw,err,word", [
    (dict(m=2), ValueError, "m"),
    (dict(m=500), ValueError, "m"),
    (dict(m=5.0), TypeError, "m"),
    (dict(m=5, k=-1), ValueError, "k"),
    (dict(m=5, k=1.5), TypeError, "k"),
    (dict(m=5, percentage="a"), TypeError, "percentage"),
    (dict(m=5, percentage=float("nan")), ValueError, "percentage"),
    (dict(m=5, p=0.0, normalize=False), ValueError, "p"),
    (dict(m=5, normalize="yes"), TypeError, "normalize"),
])
def test_bad_input(kw, err, word):
    with pytest.raises(err, match=word):
        mpcore.mpdist(random_walk(100, 1), random_walk(90, 2), **kw)


def test_bad_series():
    with pytest.raises(TypeError, match="T_B"):
        mpcore.mpdist(random_walk(100, 1), None, 5)
    with pytest.raises(ValueError, match="T_A"):
        mpcore.aampdist(np.zeros((3, 30)), random_walk(90, 2), 5)


@pytest.mark.skipif(_gpu.gpu_available(), reason="a GPU is available")
def test_gpu_without_gpu_raises():
    A, B = random_walk(100, 1), random_walk(90, 2)
    for f in (mpcore.gpu_mpdist, mpcore.gpu_aampdist):
        with pytest.raises(RuntimeError, match="GPU"):
            f(A, B, 8)


@pytest.mark.skipif(not _gpu.gpu_available(), reason="no CUDA GPU")
def test_gpu_matches_cpu():
    A, B = random_walk(2000, 1), random_walk(1500, 2)
    A[100:150] = 0.0
    assert mpcore.gpu_mpdist(A, B, 30) == mpcore.mpdist(A, B, 30)
    assert mpcore.gpu_aampdist(A, B, 30, p=1.0) == mpcore.aampdist(A, B, 30, p=1.0)
    assert mpcore.gpu_mpdist(A, B, 30, normalize=False) == mpcore.aampdist(A, B, 30)


@pytest.mark.slow
def test_dask_matches_cpu():
    A, B = random_walk(3000, 1), random_walk(2500, 2)
    A[100:150] = 0.0
    with dask_client() as client:
        assert mpcore.mpdisted(client, A, B, 30) == mpcore.mpdist(A, B, 30)
        assert mpcore.mpdisted(client, A, B, 30, k=11) == mpcore.mpdist(A, B, 30, k=11)
        assert mpcore.aampdisted(client, A, B, 30, p=1.0) == mpcore.aampdist(A, B, 30, p=1.0)
        assert mpcore.mpdisted(client, A, B, 30, normalize=False) == mpcore.aampdist(A, B, 30)


# The surface of this names (mpdist, snippets and ostinato families): STUMPY's
# signatures, typed in __init__.pyi with the same parameters and defaults.
SURFACE = ["mpdist", "aampdist", "mpdisted", "aampdisted", "gpu_mpdist", "gpu_aampdist",
           "snippets", "aampdist_snippets", "ostinato", "aamp_ostinato", "ostinatoed",
           "aamp_ostinatoed", "gpu_ostinato", "gpu_aamp_ostinato", "stimp", "aamp_stimp",
           "stimped", "aamp_stimped", "gpu_stimp", "gpu_aamp_stimp"]


@pytest.mark.parametrize("name", SURFACE)
def test_signature_stub_and_docs(name):
    import ast
    import inspect
    import pathlib

    fn = getattr(mpcore, name)
    assert name in mpcore.__all__
    is_class = isinstance(fn, type)
    assert fn.__doc__ and ("Attributes" if is_class else "Returns") in fn.__doc__
    sig = inspect.signature(fn)
    stub = ast.parse(pathlib.Path(mpcore.__file__).with_name("__init__.pyi").read_text())
    if is_class:  # the stub of a class: its __init__, without self
        (cls,) = [n for n in stub.body if isinstance(n, ast.ClassDef) and n.name == name]
        (node,) = [n for n in cls.body if isinstance(n, ast.FunctionDef)
                   and n.name == "__init__"]
        node.args.args = node.args.args[1:]
    else:
        (node,) = [n for n in stub.body if isinstance(n, ast.FunctionDef) and n.name == name]
    stub_params = [a.arg for a in node.args.args]
    stub_defaults = [ast.literal_eval(d) for d in node.args.defaults]
    assert stub_params == list(sig.parameters)
    assert stub_defaults == [p.default for p in sig.parameters.values()
                             if p.default is not inspect.Parameter.empty]


@pytest.mark.slow  # importing STUMPY compiles for a while
@pytest.mark.parametrize("name", SURFACE)
def test_signature_matches_stumpy(name):
    import inspect

    stumpy = pytest.importorskip("stumpy")
    sig = inspect.signature(getattr(mpcore, name))
    theirs = inspect.signature(getattr(stumpy, name))
    if list(theirs.parameters) != ["args", "kwargs"]:  # STUMPY's gpu_ names are wrapped
        assert list(sig.parameters) == list(theirs.parameters)
        assert [p.default for p in sig.parameters.values()] == [
            p.default for p in theirs.parameters.values()]


def test_result_type_is_stumpys():
    """A NumPy float, as STUMPY returns (``.item()``, ``.dtype`` work on it)."""
    A, B = random_walk(300, seed=1), random_walk(250, seed=2)
    for f in (mpcore.mpdist, mpcore.aampdist):
        d = f(A, B, 20)
        assert type(d) is np.float64
