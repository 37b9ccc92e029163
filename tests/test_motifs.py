"""motifs / aamp_motifs: against the brute-force definition, against STUMPY, and on bad input."""
import sys
import warnings

import numpy as np
import pytest
from conftest import finish_or_dump, random_walk, start_interruptible
from reference import analysis as ref
from test_match import TOL, series

import mpcore
import naive


def profile(T, m, normalize=True, p=2.0):
    P = naive.stump(T, m, normalize=normalize, p=p)[0][:, 0]
    return P.astype(np.float64)


def check(ours, expected):
    dist, idx = ours
    if not expected:
        assert dist.shape == idx.shape == (1, 0)
        return
    width = max(len(e) for e in expected)
    assert dist.shape == idx.shape == (len(expected), width)
    assert dist.dtype == np.float64 and idx.dtype == np.int64
    for row, e in enumerate(expected):
        np.testing.assert_array_equal(idx[row, : len(e)], [i for _, i in e])
        np.testing.assert_array_equal(idx[row, len(e) :], -1)
        np.testing.assert_allclose(dist[row, : len(e)], [d for d, _ in e], rtol=TOL, atol=TOL)
        assert np.all(np.isnan(dist[row, len(e) :]))


@pytest.mark.parametrize("kind", ["walk", "nan", "constant", "spikes", "periodic"])
@pytest.mark.parametrize("m", [4, 20])
@pytest.mark.parametrize("normalize", [True, False])
def test_motifs_vs_reference(kind, m, normalize):
    T = series(kind, 240, seed=5)
    P = profile(T, m, normalize)
    for kw in (
        {},
        {"max_motifs": 3, "max_distance": np.inf, "cutoff": np.inf},
        {"max_motifs": 4, "max_matches": None, "min_neighbors": 2},
        {"max_motifs": 2, "max_matches": 3, "max_distance": lambda D: float(np.min(D) + 1.0)},
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no motifs" where the rules leave none
            ours = mpcore.motifs(T, P, normalize=normalize, **kw)
            if not normalize:
                check(mpcore.aamp_motifs(T, P, **kw), ref.motifs(T, P, m, normalize=False, **kw))
        check(ours, ref.motifs(T, P, m, normalize=normalize, **kw))


@pytest.mark.parametrize("p", [1.0, 3.0])
def test_aamp_motifs_p(p):
    T, m = series("spikes", 200, 2), 10
    P = profile(T, m, False, p)
    kw = {"max_motifs": 2, "max_distance": np.inf, "cutoff": np.inf}
    check(mpcore.aamp_motifs(T, P, p=p, **kw), ref.motifs(T, P, m, normalize=False, p=p, **kw))


def test_planted_motif_is_found():
    T = random_walk(2000, 4)
    T[300:350] = T[1500:1550] = np.sin(np.linspace(0, 6, 50)) * 5
    mp = mpcore.stump(T, 50)
    dist, idx = mpcore.motifs(T, mp[:, 0], max_distance=2.0)
    assert sorted(idx[0, :2]) == [300, 1500] and dist[0, 0] == 0.0 and dist[0, 1] < 1e-6


def test_profile_and_series_not_modified():
    T = series("nan", 200)
    P = profile(T, 10)
    T0, P0 = T.copy(), P.copy()
    d, i = mpcore.motifs(T, P, max_motifs=3, cutoff=np.inf, max_distance=np.inf)
    assert i.shape == (3, 10)
    np.testing.assert_array_equal(T, T0)
    np.testing.assert_array_equal(P, P0)


def test_no_motif_warns_and_is_empty():
    T = random_walk(100)
    P = profile(T, 10)
    with pytest.warns(UserWarning, match="No motifs"):
        d, i = mpcore.motifs(T, P, cutoff=-1.0)
    assert d.shape == i.shape == (1, 0)
    with pytest.warns(UserWarning, match="max_motifs"):
        mpcore.motifs(T, P, max_motifs=0)


def test_bad_input():
    T = random_walk(100)
    P = profile(T, 10)
    with pytest.raises(ValueError, match="1-dimensional"):
        mpcore.motifs(T, np.stack([P, P]))
    with pytest.raises(ValueError, match="1-dimensional"):
        mpcore.motifs(np.stack([T, T]), P)
    with pytest.raises(ValueError, match="window"):
        mpcore.motifs(T[:5], P)
    with pytest.raises(TypeError, match="max_motifs"):
        mpcore.motifs(T, P, max_motifs=1.5)
    with pytest.raises(TypeError, match="P"):
        mpcore.motifs(T, np.array(["x"] * 91))


@pytest.mark.slow  # STUMPY's JIT compilation takes tens of seconds
@pytest.mark.parametrize("kind", ["walk", "nan", "constant"])
def test_motifs_vs_stumpy(kind):
    stumpy = pytest.importorskip("stumpy")
    T, m = series(kind, 400, 8), 12
    for normalize in (True, False):
        P = profile(T, m, normalize)
        kw = {"max_motifs": 3, "max_matches": 5, "normalize": normalize}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = mpcore.motifs(T, P, **kw)
            theirs = stumpy.motifs(T, P, **kw)
        np.testing.assert_array_equal(ours[1], theirs[1])
        np.testing.assert_allclose(ours[0], theirs[0], atol=1e-6)


ANALYSIS_NAMES = ["motifs", "aamp_motifs", "match", "aamp_match", "allc", "atsc", "fluss",
                  "floss", "discords"]


def _params(fn, stumpy_only=False):
    """(name, default) of each parameter; ``stumpy_only`` leaves out mpcore's keyword-only
    extras (``progress``, ``n_threads``), as in stump."""
    import inspect

    fn = fn.__init__ if isinstance(fn, type) else fn
    return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()
            if p.name != "self" and not (stumpy_only and p.kind == p.KEYWORD_ONLY)]


def test_stubs_list_the_same_parameters():
    import ast
    import pathlib

    stub = pathlib.Path(mpcore.__file__).with_name("__init__.pyi")
    tree = ast.parse(stub.read_text())
    defs = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    for name in ANALYSIS_NAMES:
        assert name in mpcore.__all__
        node = defs[name]
        if isinstance(node, ast.ClassDef):
            node = next(f for f in node.body if getattr(f, "name", "") == "__init__")
        args = node.args
        stub_names = [a.arg for a in args.args + args.kwonlyargs if a.arg != "self"]
        assert stub_names == [p for p, _ in _params(getattr(mpcore, name))], name


@pytest.mark.slow  # importing STUMPY (numba) takes seconds
def test_signatures_are_stumpys():
    stumpy = pytest.importorskip("stumpy")
    for name in ANALYSIS_NAMES[:-1]:  # discords is new
        ours, theirs = _params(getattr(mpcore, name), True), _params(getattr(stumpy, name))
        assert len(ours) == len(theirs), name
        for (a, da), (b, db) in zip(ours, theirs):
            assert a == b and (da == db or (da is db)), (name, a, da, db)


@pytest.mark.slow
def test_ctrl_c_stops_a_long_motifs_call():
    import signal
    import subprocess
    import sys
    import time

    child = (
        "import numpy as np, mpcore\n"
        "T = np.random.default_rng(0).standard_normal(2**16).cumsum()\n"
        "P = np.random.default_rng(1).random(2**16 - 99)\n"
        "print('ready', flush=True)\n"
        "try:\n"
        "    mpcore.motifs(T, P, max_motifs=10**6, cutoff=np.inf, max_distance=np.inf)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', flush=True)\n"
    )
    p = start_interruptible([sys.executable, "-c", child], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    t = time.perf_counter()
    p.send_signal(signal.SIGINT)
    out = finish_or_dump(p, 30)[0]
    assert out.strip() == "interrupted" and time.perf_counter() - t < 5.0


@pytest.mark.parametrize("tqdm_installed", [True, False])
def test_progress_bar(capsys, monkeypatch, tqdm_installed):
    if tqdm_installed:
        pytest.importorskip("tqdm")
    else:  # the plain stderr bar
        monkeypatch.setitem(sys.modules, "tqdm", None)
        monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    T = random_walk(500, 3)
    P = profile(T, 10)
    a = mpcore.motifs(T, P, max_motifs=3, progress=True)
    b = mpcore.motifs(T, P, max_motifs=3)
    np.testing.assert_array_equal(a[1], b[1])
    c = mpcore.aamp_motifs(T, profile(T, 10, False), max_motifs=2, progress=True)
    assert c[1].shape[0] >= 1
    assert "motifs" in capsys.readouterr().err
