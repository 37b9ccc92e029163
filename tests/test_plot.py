"""mpcore.plot: every figure holds the data it claims (lines equal to the series and profiles,
highlights at the windows mpcore's own functions find), ``ax=`` is honoured, bad input raises a
clear error, the inputs are left alone, and one image per function matches a stored baseline.

Baselines (``tests/baseline/<function>.png``) are drawn headless (Agg) from small deterministic
series with matplotlib's default style, at 40 dpi, with all text removed (tick labels, axis
labels, titles, legends: fonts differ between machines and would make the comparison flaky).
After a deliberate change of a drawing, regenerate them with::

    MPCORE_REGEN_BASELINES=1 python -m pytest tests/test_plot.py -k baseline

look at the new images, and commit them.
"""
import ast
import doctest
import inspect
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.testing.compare import compare_images  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402

import mpcore  # noqa: E402
from mpcore import plot  # noqa: E402
from mpcore.datasets import Dataset  # noqa: E402

BASELINE = pathlib.Path(__file__).with_name("baseline")
REGEN = os.environ.get("MPCORE_REGEN_BASELINES") == "1"
TOL = 2.0  # RMS difference of 0-255 pixel values; a moved highlight scores far above it


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def sine_with_bump(n=600, bump=380):
    """Two frequencies and a bump: deterministic (no random generator), with clear motifs and
    one clear discord."""
    t = np.arange(n, dtype=np.float64)
    T = np.sin(2 * np.pi * t / 50) + 0.3 * np.sin(2 * np.pi * t / 17)
    T[bump : bump + 12] += np.hanning(12)
    return T


def planted(n=600):
    """Two shapes, each planted twice in chaotic noise (a logistic map: deterministic, no
    random generator)."""
    x, noise = 0.3, []
    for _ in range(n):
        x = 3.9 * x * (1 - x)
        noise.append(x)
    T = 0.3 * (np.array(noise) - 0.5)
    a = 1.5 * np.sin(np.linspace(0, 2 * np.pi, 40))
    b = 1.5 * np.linspace(-1, 1, 40) ** 2
    T[50:90] += a
    T[300:340] += a
    T[150:190] += b
    T[450:490] += b
    return T


def two_regimes(n=1000):
    """A sine, then a square wave: one regime change at n // 2 (the same length as the regimes
    doctest, so fluss's idealized arc curve is fitted once per test run)."""
    t = np.arange(n, dtype=np.float64)
    return np.where(t < n // 2, np.sin(t / 5), np.sign(np.sin(t / 9)))


def multichannel(d=2, n=300):
    t = np.arange(n, dtype=np.float64)
    return np.stack([np.sin(2 * np.pi * t / (30 + 7 * k)) + 0.2 * np.cos(t / (3 + k))
                     for k in range(d)])


def by_gid(ax, gid, kind):
    return [a for a in getattr(ax, kind) if a.get_gid() == gid]


def span_x(patch):
    """x extent of an axvspan: a Rectangle since matplotlib 3.9, a Polygon before."""
    if hasattr(patch, "get_width"):
        return patch.get_x(), patch.get_x() + patch.get_width()
    xy = np.asarray(patch.get_xy())
    return xy[:, 0].min(), xy[:, 0].max()


def spans(ax, gid):
    return sorted(span_x(p) for p in by_gid(ax, gid, "patches"))


def znorm(w):
    return (w - w.mean()) / w.std()


def reference_pairs(P, I, count, m):
    """The lowest profile values with their neighbours, no window within m of a pair taken:
    each round the lowest-index minimum among windows whose neighbour is also still free."""
    free = np.ones(len(P), dtype=bool)
    pairs = []
    idx = np.arange(len(P))
    for _ in range(count):
        ok = free & free[I]
        if not ok.any():
            break
        i = int(np.flatnonzero(ok)[np.argmin(P[ok])])
        j = int(I[i])
        pairs.append((i, j))
        free &= (np.abs(idx - i) > m) & (np.abs(idx - j) > m)
    return pairs


# ----------------------------------------------------------------------------- import behaviour

def run_python(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)


def test_importing_mpcore_does_not_import_matplotlib():
    r = run_python("import sys, mpcore\n"
                   "assert 'matplotlib' not in sys.modules, 'import mpcore loaded matplotlib'\n"
                   "mpcore.plot.profile\n"
                   "assert 'matplotlib' in sys.modules\n")
    assert r.returncode == 0, r.stderr


def test_missing_matplotlib_says_how_to_install():
    r = run_python("import sys\n"
                   "sys.modules['matplotlib'] = None  # as if not installed\n"
                   "import mpcore\n"
                   "try:\n"
                   "    mpcore.plot\n"
                   "except ImportError as e:\n"
                   "    print(e)\n"
                   "else:\n"
                   "    raise SystemExit('no ImportError')\n")
    assert r.returncode == 0, r.stderr
    assert "pip install mpcore[plot]" in r.stdout


def test_docstring_examples_run_headless():
    result = doctest.testmod(plot, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 5 and result.failed == 0


def test_stub_lists_the_same_parameters():
    stub = ast.parse(pathlib.Path(plot.__file__).with_suffix(".pyi").read_text())
    defs = {n.name: n for n in stub.body if isinstance(n, ast.FunctionDef)}
    assert sorted(defs) == sorted(plot.__all__)
    for name, node in defs.items():
        sig = inspect.signature(getattr(plot, name))
        params = list(sig.parameters.values())
        args = node.args
        assert [a.arg for a in args.args] == [p.name for p in params
                                              if p.kind == p.POSITIONAL_OR_KEYWORD], name
        assert [a.arg for a in args.kwonlyargs] == [p.name for p in params
                                                    if p.kind == p.KEYWORD_ONLY], name
        stub_defaults = [ast.literal_eval(d) for d in args.defaults] + [
            ast.literal_eval(d) for d in args.kw_defaults if d is not None]
        assert stub_defaults == [p.default for p in params if p.default is not p.empty], name
        assert getattr(plot, name).__doc__.count("Examples\n") == 1, name


# ----------------------------------------------------------------------------- profile

def test_profile_draws_series_profile_motifs_and_discords():
    T, m = sine_with_bump(), 40
    T_before = T.copy()
    mp = mpcore.stump(T, m)
    P, I = mp.P_, mp.I_
    fig = plot.profile(T, mp, motifs=2, discords=2)
    assert isinstance(fig, matplotlib.figure.Figure)
    ax_T, ax_P = fig.axes
    assert ax_T.get_shared_x_axes().joined(ax_T, ax_P)
    (series,) = by_gid(ax_T, "series", "lines")
    np.testing.assert_array_equal(series.get_xdata(), np.arange(len(T)))
    np.testing.assert_array_equal(series.get_ydata(), T)
    (prof,) = by_gid(ax_P, "profile", "lines")
    np.testing.assert_array_equal(prof.get_xdata(), np.arange(len(P)))
    np.testing.assert_array_equal(prof.get_ydata(), P)

    pairs = reference_pairs(P, I, 2, m)
    assert len(pairs) == 2
    for k, (i, j) in enumerate(pairs):
        assert spans(ax_T, f"motif-{k}") == sorted([(i, i + m - 1), (j, j + m - 1)])
        (markers,) = by_gid(ax_P, f"motif-{k}", "lines")
        np.testing.assert_array_equal(markers.get_xdata(), [i, j])
        np.testing.assert_array_equal(markers.get_ydata(), P[[i, j]])
        # the window itself redrawn in the motif's colour over the series
        segments = sorted(int(line.get_xdata()[0]) for line in by_gid(ax_T, f"motif-{k}", "lines"))
        assert segments == sorted([i, j])
    assert pairs[0][0] == int(np.argmin(P))

    _, d_idx = mpcore.discords(T, m, k=2)
    assert 340 <= d_idx[0] <= 392  # the bump at 380..391
    assert spans(ax_T, "discord") == sorted((w, w + m - 1) for w in d_idx)
    (dmark,) = by_gid(ax_P, "discord", "lines")
    np.testing.assert_array_equal(dmark.get_xdata(), d_idx)
    assert [t.get_text() for t in ax_P.get_legend().get_texts()] == ["motif", "discord"]
    np.testing.assert_array_equal(T, T_before)


def test_profile_accepts_every_profile_layout():
    T, m = sine_with_bump(), 40
    mp = mpcore.stump(T, m)
    P, I = mp.P_, mp.I_
    layouts = [mp, np.asarray(mp), np.column_stack([P, I]), mpcore.stump(T, m, k=3)]
    for layout in layouts:
        before = np.array(layout, copy=True)
        fig = plot.profile(T, layout)
        (prof,) = by_gid(fig.axes[1], "profile", "lines")
        np.testing.assert_array_equal(prof.get_ydata(), P)
        i, j = reference_pairs(P, I, 1, m)[0]
        assert spans(fig.axes[0], "motif-0") == sorted([(i, i + m - 1), (j, j + m - 1)])
        np.testing.assert_array_equal(np.asarray(layout), before)  # not modified
    # a 1-D profile has no neighbours: the motif window alone
    fig = plot.profile(T, P, motifs=1, discords=0)
    i = int(np.argmin(P))
    assert spans(fig.axes[0], "motif-0") == [(i, i + m - 1)]
    assert by_gid(fig.axes[0], "discord", "patches") == []
    assert fig.axes[1].get_legend().get_texts()[0].get_text() == "motif"


def test_profile_with_a_dataset_uses_its_time_and_unit():
    ecg = mpcore.datasets.ecg()
    n, m = 1800, 180
    ds = Dataset("ecg", ecg.values[:n], ecg.time[:n], "mV", "360 Hz", "", "", "")
    mp = mpcore.stump(ds, m)
    fig = plot.profile(ds, mp, title="five seconds")
    ax_T, ax_P = fig.axes
    (series,) = by_gid(ax_T, "series", "lines")
    np.testing.assert_array_equal(series.get_xdata(), ecg.time[:n])
    np.testing.assert_array_equal(series.get_ydata(), ecg.values[:n])
    assert ax_T.get_ylabel() == "mV" and ax_P.get_xlabel() == "time (s)"
    assert ax_T.get_title() == "five seconds"
    i = int(np.argmin(mp.P_))
    assert (ecg.time[i], ecg.time[i + m - 1]) in spans(ax_T, "motif-0")

    # dated records: the x axis holds the dates
    co2 = mpcore.datasets.co2()
    fig = plot.profile(co2, mpcore.stump(co2, 52))
    (series,) = by_gid(fig.axes[0], "series", "lines")
    assert np.issubdtype(np.asarray(series.get_xdata()).dtype, np.datetime64)
    assert fig.axes[0].get_ylabel() == "ppmv"


def test_profile_draws_infinite_distances_as_gaps():
    T, m = sine_with_bump(), 40
    T[100] = np.nan
    mp = mpcore.stump(T, m)
    fig = plot.profile(T, mp)
    (prof,) = by_gid(fig.axes[1], "profile", "lines")
    y = prof.get_ydata()
    np.testing.assert_array_equal(np.isnan(y), ~np.isfinite(mp.P_))
    assert np.isinf(mp.P_[61:101]).all()


def test_profile_draws_into_given_axes():
    T, m = sine_with_bump(), 40
    mp = mpcore.stump(T, m)
    fig, axes = plt.subplots(3)
    out = plot.profile(T, mp, ax=(axes[2], axes[0]))
    assert out is fig
    assert by_gid(axes[2], "series", "lines") and by_gid(axes[0], "profile", "lines")
    assert not axes[1].lines and not axes[1].patches


def test_profile_bad_input():
    T, m = sine_with_bump(), 40
    mp = mpcore.stump(T, m)
    with pytest.raises(ValueError, match="mp must have len"):
        plot.profile(T, mp, m=41)
    with pytest.raises(ValueError, match="mp has 600 rows"):
        plot.profile(T[:100], np.zeros(600))
    with pytest.raises(ValueError, match="mp must be a matrix profile"):
        plot.profile(T, np.zeros((561, 2, 2)))
    with pytest.raises(TypeError, match="mp must hold numbers"):
        plot.profile(T, np.array(["a"] * 561))
    with pytest.raises(TypeError, match="mp must be a matrix profile"):
        plot.profile(T, None)
    with pytest.raises(ValueError, match="motifs must be at least 0"):
        plot.profile(T, mp, motifs=-1)
    with pytest.raises(TypeError, match="discords must be an int"):
        plot.profile(T, mp, discords=1.5)
    with pytest.raises(TypeError, match="title must be a str"):
        plot.profile(T, mp, title=3)
    with pytest.raises(ValueError, match="T is 2-dimensional"):
        plot.profile(np.ones((2, 600)), mp)
    with pytest.raises(TypeError, match="T has dtype"):
        plot.profile(np.array(["x"] * 600), mp)
    _, ax = plt.subplots()
    with pytest.raises(TypeError, match="ax must be None or a sequence of 2 matplotlib Axes"):
        plot.profile(T, mp, ax=ax)
    with pytest.raises(TypeError, match="ax must be None"):
        plot.profile(T, mp, ax=[ax, "not an Axes"])


# ----------------------------------------------------------------------------- motifs

def test_motifs_overlays_every_occurrence():
    T, m = planted(), 40
    T_before = T.copy()
    mp = mpcore.stump(T, m)
    _, indices = mpcore.motifs(T, mp.P_, max_motifs=2, cutoff=np.inf)
    fig = plot.motifs(T, m, mp, max_motifs=2, cutoff=np.inf, title="motifs")
    ax_T, ax_W = fig.axes
    np.testing.assert_array_equal(by_gid(ax_T, "series", "lines")[0].get_ydata(), T)
    assert ax_T.get_title() == "motifs"
    assert len(indices) == 2
    colors = set()
    for k, row in enumerate(indices):
        row = row[row >= 0]
        assert spans(ax_T, f"motif-{k}") == sorted((w, w + m - 1) for w in row)
        overlaid = by_gid(ax_W, f"motif-{k}", "lines")
        assert len(overlaid) == len(row)
        for line, w in zip(overlaid, row):
            np.testing.assert_array_equal(line.get_xdata(), np.arange(m))
            np.testing.assert_allclose(line.get_ydata(), znorm(T[w : w + m]), atol=1e-12)
        colors |= {line.get_color() for line in overlaid}
    assert len(colors) == 2  # one colour per motif
    assert ax_W.get_ylabel() == "z-normalized"
    # computed here when mp is None: the same picture
    again = plot.motifs(T, m, max_motifs=2, cutoff=np.inf)
    assert spans(again.axes[0], "motif-1") == spans(ax_T, "motif-1")
    np.testing.assert_array_equal(T, T_before)


def test_motifs_non_normalized_draws_raw_windows():
    T, m = sine_with_bump(), 40
    _, indices = mpcore.aamp_motifs(T, mpcore.aamp(T, m).P_, max_motifs=1)
    fig = plot.motifs(T, m, max_motifs=1, normalize=False)
    overlaid = by_gid(fig.axes[1], "motif-0", "lines")
    row = indices[0][indices[0] >= 0]
    assert len(overlaid) == len(row) > 1
    for line, w in zip(overlaid, row):
        np.testing.assert_array_equal(line.get_ydata(), T[w : w + m])


def test_motifs_with_none_found_draws_the_series_alone():
    T, m = planted(), 40
    with pytest.warns(UserWarning, match="No motifs were found"):
        fig = plot.motifs(T, m, max_distance=1e-9, cutoff=1e-9)
    ax_T, ax_W = fig.axes
    assert [line.get_gid() for line in ax_T.lines] == ["series"]
    assert not ax_T.patches and not ax_W.lines


def test_motifs_draws_into_given_axes_and_checks_input():
    T, m = sine_with_bump(), 40
    fig, axes = plt.subplots(1, 2)
    assert plot.motifs(T, m, ax=axes) is fig
    assert by_gid(axes[0], "series", "lines") and by_gid(axes[1], "motif-0", "lines")
    with pytest.raises(ValueError, match="max_motifs must be at least 1"):
        plot.motifs(T, m, max_motifs=0)
    with pytest.raises(TypeError, match="normalize must be True or False"):
        plot.motifs(T, m, normalize="yes")
    with pytest.raises(ValueError, match="m=601 is longer than T"):
        plot.motifs(T, 601)
    with pytest.raises(ValueError, match="mp must have len"):
        plot.motifs(T, m, mpcore.stump(T, 30))
    with pytest.raises(ValueError, match="p .the p-norm."):
        plot.motifs(T, m, normalize=False, p=-1.0)


# ----------------------------------------------------------------------------- discords

def test_discords_shows_each_discord_beside_its_neighbour():
    T, m = sine_with_bump(), 40
    T_before = T.copy()
    mp = mpcore.stump(T, m)
    I = mp.I_
    _, idx = mpcore.discords(T, m, k=3, mp=mp)
    fig = plot.discords(T, m, mp, k=3)
    assert len(fig.axes) == 1 + len(idx) == 4
    ax_T, panels = fig.axes[0], fig.axes[1:]
    np.testing.assert_array_equal(by_gid(ax_T, "series", "lines")[0].get_ydata(), T)
    assert spans(ax_T, "discord") == sorted((w, w + m - 1) for w in idx)
    for a, w in zip(panels, idx):
        (disc,) = by_gid(a, "discord", "lines")
        (nn,) = by_gid(a, "neighbour", "lines")
        np.testing.assert_allclose(disc.get_ydata(), znorm(T[w : w + m]), atol=1e-12)
        np.testing.assert_allclose(nn.get_ydata(), znorm(T[I[w] : I[w] + m]), atol=1e-12)
    np.testing.assert_array_equal(T, T_before)
    # a 1-D profile has no neighbours: the discords alone
    fig = plot.discords(T, m, mp.P_, k=1)
    assert by_gid(fig.axes[1], "discord", "lines") and not by_gid(fig.axes[1], "neighbour", "lines")


def test_discords_draws_into_given_axes_and_checks_input():
    T, m = sine_with_bump(), 40
    fig, axes = plt.subplots(3)
    assert plot.discords(T, m, k=2, ax=axes) is fig
    assert by_gid(axes[0], "series", "lines")
    assert by_gid(axes[1], "discord", "lines") and by_gid(axes[2], "discord", "lines")
    with pytest.raises(TypeError, match="ax must be None or a sequence of 4 matplotlib Axes"):
        plot.discords(T, m, k=3, ax=axes)
    with pytest.raises(ValueError, match="k must be at least 1"):
        plot.discords(T, m, k=0)
    with pytest.raises(ValueError, match="excl_zone must be >= 0"):
        plot.discords(T, m, excl_zone=-1)


# ----------------------------------------------------------------------------- regimes

def test_regimes_draws_fluss_boundaries_and_arc_curve():
    T, m = two_regimes(), 40
    T_before = T.copy()
    mp = mpcore.stump(T, m)
    cac, locs = mpcore.fluss(mp.I_, m, 2)
    assert abs(int(locs[0]) - 500) < 50
    fig = plot.regimes(T, m)
    ax_T, ax_C = fig.axes
    assert ax_T.get_shared_x_axes().joined(ax_T, ax_C)
    np.testing.assert_array_equal(by_gid(ax_T, "series", "lines")[0].get_ydata(), T)
    (curve,) = by_gid(ax_C, "cac", "lines")
    np.testing.assert_array_equal(curve.get_ydata(), cac)
    for a in (ax_T, ax_C):
        assert [line.get_xdata()[0] for line in by_gid(a, "regime", "lines")] == list(locs)
    np.testing.assert_array_equal(T, T_before)

    cac3, locs3 = mpcore.fluss(mp.I_, 20, 3, excl_factor=2)
    fig = plot.regimes(T, m, mp=mp, n_regimes=3, L=20, excl_factor=2)
    np.testing.assert_array_equal(by_gid(fig.axes[1], "cac", "lines")[0].get_ydata(), cac3)
    assert [ln.get_xdata()[0] for ln in by_gid(fig.axes[0], "regime", "lines")] == list(locs3)


def test_regimes_draws_into_given_axes_and_checks_input():
    T, m = two_regimes(), 40
    mp = mpcore.stump(T, m)
    fig, axes = plt.subplots(2)
    assert plot.regimes(T, m, mp=mp, ax=axes) is fig
    assert by_gid(axes[1], "cac", "lines")
    with pytest.raises(ValueError, match="mp must hold the nearest-neighbour indices"):
        plot.regimes(T, m, mp=mp.P_)
    with pytest.raises(ValueError, match="n_regimes must be at least 1"):
        plot.regimes(T, m, mp=mp, n_regimes=0)
    with pytest.raises(TypeError, match="L must be an int"):
        plot.regimes(T, m, mp=mp, L=2.5)


# ----------------------------------------------------------------------------- multidim

def test_multidim_draws_each_channel_and_profile():
    T, m = multichannel(3), 20
    T_before = T.copy()
    P, _ = mpcore.mstump(T, m)
    fig = plot.multidim(T, m)
    assert len(fig.axes) == 6
    for k in range(3):
        ax_T, ax_P = fig.axes[2 * k], fig.axes[2 * k + 1]
        np.testing.assert_array_equal(by_gid(ax_T, "series", "lines")[0].get_ydata(), T[k])
        np.testing.assert_array_equal(by_gid(ax_P, "profile", "lines")[0].get_ydata(), P[k])
        (best,) = by_gid(ax_P, "motif-0", "lines")
        np.testing.assert_array_equal(best.get_xdata(), [np.argmin(P[k])])
        assert ax_T.get_ylabel() == f"T[{k}]" and ax_P.get_ylabel() == f"P[{k}]"
        assert ax_T.get_shared_x_axes().joined(ax_T, ax_P)
    # P given (array or mstump's result): the same profiles
    for given in (P, mpcore.mstump(T, m)):
        fig = plot.multidim(T, m, P=given)
        np.testing.assert_array_equal(by_gid(fig.axes[5], "profile", "lines")[0].get_ydata(), P[2])
    np.testing.assert_array_equal(T, T_before)


def test_multidim_draws_into_given_axes_and_checks_input():
    T, m = multichannel(2), 20
    fig, axes = plt.subplots(2, 2)
    assert plot.multidim(T, m, ax=axes) is fig
    assert by_gid(axes[1, 1], "profile", "lines")
    with pytest.raises(TypeError, match="ax must be None or a sequence of 4 matplotlib Axes"):
        plot.multidim(T, m, ax=axes[0])
    with pytest.raises(ValueError, match=r"P must have shape \(d, n - m \+ 1\) = \(2, 281\)"):
        plot.multidim(T, m, P=np.zeros((2, 280)))
    with pytest.raises(TypeError, match="P must hold numbers"):
        plot.multidim(T, m, P=np.full((2, 281), "a"))
    with pytest.raises(ValueError, match="T is 1-dimensional"):
        plot.multidim(T[0], m)


# ----------------------------------------------------------------------------- baseline images

def _figures():
    """One small deterministic figure per plot function."""
    T, m = sine_with_bump(), 40
    mp = mpcore.stump(T, m)
    return {
        "profile": lambda: plot.profile(T, mp, motifs=2, discords=1, title="x"),
        "motifs": lambda: plot.motifs(planted(), m, max_motifs=2, cutoff=np.inf),
        "discords": lambda: plot.discords(T, m, mp, k=2),
        "regimes": lambda: plot.regimes(two_regimes(), 40),
        "multidim": lambda: plot.multidim(multichannel(2), 20),
    }


def _save_without_text(fig, path):
    for ax in fig.axes:
        ax.set_title("")
        ax.set_xlabel("")
        ax.set_ylabel("")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(NullFormatter())
            axis.set_minor_formatter(NullFormatter())
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    fig.savefig(path, dpi=40)


def _draw(name, path):
    with matplotlib.rc_context():
        matplotlib.style.use("default")
        fig = _figures()[name]()
        _save_without_text(fig, path)


@pytest.mark.parametrize("name", ["profile", "motifs", "discords", "regimes", "multidim"])
def test_baseline_image(name, tmp_path):
    expected = BASELINE / f"{name}.png"
    if REGEN:
        BASELINE.mkdir(exist_ok=True)
        _draw(name, expected)
        pytest.skip(f"regenerated {expected}")
    actual = tmp_path / f"{name}.png"
    _draw(name, actual)
    assert compare_images(str(expected), str(actual), tol=TOL) is None


def test_baseline_comparison_catches_a_changed_picture(tmp_path):
    """The comparison is strict enough to see a highlight move: the same profile with the
    second motif pair left out differs from the baseline."""
    T, m = sine_with_bump(), 40
    mp = mpcore.stump(T, m)
    actual = tmp_path / "profile.png"
    with matplotlib.rc_context():
        matplotlib.style.use("default")
        _save_without_text(plot.profile(T, mp, motifs=1, discords=1), actual)
    assert compare_images(str(BASELINE / "profile.png"), str(actual), tol=TOL) is not None
