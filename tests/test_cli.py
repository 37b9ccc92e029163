"""The ``mpcore`` command line, end to end in subprocesses.

Every subcommand on CSV, NPY, Parquet and stdin, its tables checked against mpcore's Python API
(the profile also against the brute-force reference); every bad input (its exit code, one line
naming the problem, no traceback); Ctrl-C; ``--help``; the console script.  The many one-line
checks of bad input and ``--help`` call ``cli.main`` in this process (a new interpreter costs
~0.3 s each); one of each also runs as ``python -m mpcore``.
"""
import csv
import io
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import finish_or_dump, random_walk, start_interruptible

import mpcore
import naive
from mpcore import cli

M = 12


def start(args, cwd, env=None, exe=None):
    """Start ``python -m mpcore ARGS`` (or the console script ``exe``)."""
    cmd = [exe] if exe else [sys.executable, "-m", "mpcore"]
    return subprocess.Popen(cmd + [str(a) for a in args], cwd=cwd, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def finish(proc, stdin=b"", timeout=120):
    """Wait for a started command; its exit code and text stdout/stderr."""
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out.decode(), err.decode())


def run(args, cwd, stdin=b"", env=None, exe=None, timeout=120):
    """Run ``python -m mpcore ARGS`` (or the console script ``exe``); text stdout/stderr."""
    return finish(start(args, cwd, env, exe), stdin, timeout)


def run_here(args, cwd, monkeypatch, capfd, stdin=b""):
    """``run`` in this process: ``cli.main(ARGS)`` in ``cwd``, with fd-level stdout/stderr
    captured and ``stdin`` as standard input.  An exception escaping main fails the test, as
    a traceback would fail ``run``'s callers."""
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    capfd.readouterr()
    try:
        code = cli.main([str(a) for a in args])
    except SystemExit as exc:  # argparse: usage errors and --help
        code = 0 if exc.code is None else exc.code
    out, err = capfd.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)


def ok(proc):
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return {name: np.array([float(r[j]) for r in rows[1:]]) for j, name in enumerate(rows[0])}


def read_parquet(path):
    pq = pytest.importorskip("pyarrow.parquet")
    return {k: np.asarray(v) for k, v in pq.read_table(path).to_pydict().items()}


def write_csv(path, header, *columns):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        if header:
            w.writerow(header)
        w.writerows(zip(*(c.tolist() for c in columns)))


@pytest.fixture
def walk():
    return random_walk(300, seed=11)


# --- every subcommand, every input format --------------------------------------------------

def test_profile_csv_by_name_against_brute_force(tmp_path, walk):
    write_csv(tmp_path / "data.csv", ["time", "value"], np.arange(walk.size) / 10.0, walk)
    proc = ok(run(["profile", "data.csv", "--column", "value", "-m", M, "-o", "out.csv"],
                  tmp_path))
    out = read_csv(tmp_path / "out.csv")
    assert list(out) == ["P", "I", "left_I", "right_I"]
    mp = mpcore.stump(walk, M)
    # the CSV keeps every float64 digit: the API's values exactly
    np.testing.assert_array_equal(out["P"], mp.P_)
    for name, want in [("I", mp.I_), ("left_I", mp.left_I_), ("right_I", mp.right_I_)]:
        np.testing.assert_array_equal(out[name], want)
    P, I, left, right, _ = naive.stump(walk, M)
    np.testing.assert_allclose(out["P"], P[:, 0].astype(np.float64), rtol=1e-12, atol=0)
    np.testing.assert_array_equal(out["I"], I[:, 0])
    np.testing.assert_array_equal(out["left_I"], left)
    np.testing.assert_array_equal(out["right_I"], right)
    lo, hi = int(np.argmin(mp.P_)), int(np.argmax(mp.P_))
    assert f"window {lo} and window {mp.I_[lo]}" in proc.stdout
    assert f"(top discord): window {hi}," in proc.stdout
    assert "wrote out.csv: 289 rows" in proc.stdout
    assert proc.stderr == ""  # no progress: stderr is not a terminal and no --progress


@pytest.mark.parametrize("p", [1.0, 3.0])
def test_profile_npy_column_p_norm(tmp_path, walk, p):
    np.save(tmp_path / "two.npy", np.c_[np.zeros_like(walk), walk])
    proc = ok(run(["profile", "two.npy", "-c", "-1", "-m", M, "-p", p, "-o", "out.npy",
                   "--progress"], tmp_path))
    out = np.load(tmp_path / "out.npy")
    assert out.dtype.names == ("P", "I", "left_I", "right_I")
    assert out["P"].dtype == np.float64 and out["I"].dtype == np.int64
    mp = mpcore.aamp(walk, M, p=p)
    np.testing.assert_array_equal(out["P"], mp.P_)
    np.testing.assert_array_equal(out["I"], mp.I_)
    P, I, _, _, _ = naive.stump(walk, M, normalize=False, p=p)
    np.testing.assert_allclose(out["P"], P[:, 0].astype(np.float64), rtol=1e-12, atol=0)
    assert f"non-normalized, p={p:g}" in proc.stdout
    assert "mpcore" in proc.stderr and "%" in proc.stderr  # --progress: a bar on stderr


def test_profile_parquet_ab_join_against_csv(tmp_path, walk):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    B = random_walk(200, seed=12)
    pq.write_table(pa.table({"x": np.arange(walk.size), "ecg": walk}), tmp_path / "a.parquet")
    write_csv(tmp_path / "b.csv", None, np.arange(B.size), B)  # no header: columns by number
    proc = ok(run(["profile", "a.parquet", "-c", "ecg", "-m", M, "--against", "b.csv",
                   "--against-column", "1", "--threads", "2", "-o", "out.parquet"], tmp_path))
    out = read_parquet(tmp_path / "out.parquet")
    mp = mpcore.stump(walk, M, B, ignore_trivial=False)
    np.testing.assert_array_equal(out["P"], mp.P_)
    np.testing.assert_array_equal(out["I"], mp.I_)
    assert (out["left_I"] == -1).all() and (out["right_I"] == -1).all()
    P, I, _, _, _ = naive.stump(walk, M, B)
    np.testing.assert_allclose(out["P"], P[:, 0].astype(np.float64), rtol=1e-12, atol=0)
    assert "AB-join against b.csv" in proc.stdout


def test_discords_csv(tmp_path, walk):
    write_csv(tmp_path / "d.csv", ["v"], walk)
    proc = ok(run(["discords", "d.csv", "-m", M, "-k", 3, "--rate", 100, "-o", "d_out.csv"],
                  tmp_path))
    d, i = mpcore.discords(walk, M, k=3)
    out = read_csv(tmp_path / "d_out.csv")
    assert list(out) == ["rank", "index", "distance"]
    np.testing.assert_array_equal(out["rank"], [1, 2, 3])
    np.testing.assert_array_equal(out["index"], i)
    np.testing.assert_array_equal(out["distance"], d)
    for r, j in enumerate(i, 1):  # the summary names each with its time at 100 Hz
        assert f"{r}. window {j} ({j / 100:.3f} s)" in proc.stdout


def test_discords_stdin_to_stdout_quiet_and_dataset(tmp_path, walk):
    text = "\n".join(repr(x) for x in walk.tolist()).encode()  # one column, no header
    proc = ok(run(["discords", "-", "-m", M, "-k", 2, "-o", "-"], tmp_path, stdin=text))
    d, i = mpcore.discords(walk, M, k=2)
    lines = proc.stdout.splitlines()
    assert lines[0] == "rank,index,distance"
    assert [tuple(map(float, ln.split(","))) for ln in lines[1:]] == list(zip([1, 2], i, d))
    assert f"1. window {i[0]}," in proc.stderr  # the summary moved to stderr
    quiet = ok(run(["discords", "-", "-m", M, "--quiet"], tmp_path, stdin=text))
    assert quiet.stdout == "" and quiet.stderr == ""
    # a bundled dataset by name, with its own dates
    co2 = mpcore.datasets.co2()
    proc = ok(run(["discords", "co2", "-m", 52], tmp_path))
    _, i = mpcore.discords(co2.values, 52)
    assert f"1. window {i[0]} ({co2.time_of(i[0])})" in proc.stdout


@pytest.mark.parametrize("normalize", [True, False])
def test_motifs_npy_stdin(tmp_path, normalize):
    rng = np.random.default_rng(5)
    T = np.cumsum(rng.standard_normal(400))
    shape = np.sin(np.linspace(0, 3 * np.pi, 30)) * 4
    for at in (40, 150, 300):  # one pattern, three times, in a random walk
        T[at:at + 30] = shape + rng.standard_normal(30) * 0.05
    f = tmp_path / "t.npy"
    np.save(f, T)
    args = ["motifs", "-", "--format", "npy", "-m", 30, "-k", 2, "--max-distance", 1.0,
            "-o", "mo.npy"] + ([] if normalize else ["--no-normalize"])
    proc = ok(run(args, tmp_path, stdin=f.read_bytes()))
    mp = mpcore.stump(T, 30) if normalize else mpcore.aamp(T, 30)
    kw = dict(max_distance=1.0, max_motifs=2)
    dist, idx = (mpcore.motifs(T, mp.P_, **kw) if normalize
                 else mpcore.aamp_motifs(T, mp.P_, **kw))
    out = np.load(tmp_path / "mo.npy")
    assert out.dtype.names == ("motif", "occurrence", "index", "distance")
    want = [(r + 1, j + 1, idx[r, j], dist[r, j]) for r in range(idx.shape[0])
            for j in range(idx.shape[1]) if idx[r, j] >= 0]
    assert out.tolist() == want
    assert set(out["index"]) == {40, 150, 300}  # the planted pattern, nothing else
    first = ", ".join(str(j) for j in idx[0][idx[0] >= 0])
    assert f"1. {(idx[0] >= 0).sum()} occurrences at windows {first};" in proc.stdout


def test_regimes_parquet(tmp_path):
    pytest.importorskip("scipy")  # fluss fits its idealized arc curve with scipy.stats
    pytest.importorskip("pyarrow")
    t = np.arange(1000)  # a sine, then a square wave of another period
    T = np.where(t < 500, np.sin(2 * np.pi * t / 20), np.sign(np.sin(2 * np.pi * t / 33)))
    T = T + np.random.default_rng(2).standard_normal(t.size) * 0.05
    np.save(tmp_path / "r.npy", T)
    proc = start(["regimes", "r.npy", "-m", 25, "-r", 2, "-o", "cac.parquet"], tmp_path)
    # fluss fits its idealized arc curve (seconds): here while the command fits its own
    cac, locs = mpcore.fluss(mpcore.stump(T, 25).I_, 25, 2)
    proc = ok(finish(proc))
    out = read_parquet(tmp_path / "cac.parquet")
    assert list(out) == ["index", "cac", "boundary"]
    np.testing.assert_array_equal(out["index"], np.arange(cac.size))
    np.testing.assert_array_equal(out["cac"], cac)
    np.testing.assert_array_equal(np.flatnonzero(out["boundary"]), np.sort(locs))
    assert abs(int(locs[0]) - 500) < 25  # the change FLUSS finds is the planted one
    assert f"1. at window {locs[0]}, corrected arc curve" in proc.stdout


def test_missing_values_are_nan(tmp_path, walk):
    T = walk.copy()
    T[[20, 100]] = np.nan
    text = "\n".join("NA" if np.isnan(x) else repr(x) for x in T.tolist())
    (tmp_path / "na.txt").write_text("# a comment line\nvalue\n" + text + "\n\n")
    ok(run(["profile", "na.txt", "-m", M, "-o", "p.tsv"], tmp_path))
    with open(tmp_path / "p.tsv", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    mp = mpcore.stump(T, M)
    np.testing.assert_array_equal([float(r[0]) for r in rows[1:]], mp.P_)
    assert math.isinf(float(rows[1 + 20][0]))


def test_header_and_delimiter_options(tmp_path, walk):
    # numbers in the first row: data, unless --header says it names the columns
    rows = "\n".join(f"{j}\t{x!r}" for j, x in enumerate(walk.tolist()))
    (tmp_path / "t.txt").write_text("1\t2\n" + rows + "\n")
    ok(run(["discords", "t.txt", "--header", "-c", "2", "--delimiter", "tab", "-m", M,
            "-o", "named.npy"], tmp_path))
    ok(run(["discords", "t.txt", "--no-header", "-c", "1", "-m", M, "-o", "all.npy"], tmp_path))
    d, i = mpcore.discords(walk, M)
    np.testing.assert_array_equal(np.load(tmp_path / "named.npy")["index"], i)
    d, i = mpcore.discords(np.r_[2.0, walk], M)
    np.testing.assert_array_equal(np.load(tmp_path / "all.npy")["index"], i)


def test_console_script(tmp_path, walk):
    exe = Path(sys.executable).with_name("mpcore")
    exe = str(exe) if exe.exists() else shutil.which("mpcore")
    if exe is None:
        pytest.skip("the mpcore console script is not installed next to this Python")
    np.save(tmp_path / "w.npy", walk)
    script = ok(run(["discords", "w.npy", "-m", M, "-k", 2], tmp_path, exe=exe))
    module = ok(run(["discords", "w.npy", "-m", M, "-k", 2], tmp_path))
    assert script.stdout == module.stdout and "2 discords in w.npy" in script.stdout


def test_gpu(tmp_path, walk):
    np.save(tmp_path / "w.npy", walk)
    proc = run(["profile", "w.npy", "-m", M, "--gpu", "-o", "g.npy"], tmp_path)
    if mpcore.gpu_available():
        ok(proc)
        mp = mpcore.gpu_stump(walk, M)
        np.testing.assert_array_equal(np.load(tmp_path / "g.npy")["I"], mp.I_)
        np.testing.assert_array_equal(np.load(tmp_path / "g.npy")["P"], mp.P_)
    else:
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        assert proc.stderr.count("\n") == 1
        assert proc.stderr.startswith("mpcore: error: --gpu: no usable CUDA GPU")
        assert not (tmp_path / "g.npy").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
@pytest.mark.parametrize("quiet", [False, True])
def test_progress_when_stderr_is_a_terminal(tmp_path, walk, quiet):
    import fcntl
    import pty
    import struct
    import termios
    import threading

    np.save(tmp_path / "w.npy", walk)
    master, slave = pty.openpty()
    # a terminal 80 columns wide (a new pty has none, and tqdm would draw an empty bar)
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "mpcore", "profile", "w.npy", "-m", str(M)]
                            + (["--quiet"] if quiet else []), cwd=tmp_path,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []

    def drain():  # read the terminal as the command writes, so it never blocks on it
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the command closed its end
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
        reader.join(10)
        os.close(master)
    err = b"".join(chunks).decode()
    assert proc.returncode == 0 and "Traceback" not in err
    if quiet:
        assert err == "" and out == b""
    else:
        assert "mpcore" in err and "%" in err and b"matrix profile of w.npy" in out


@pytest.mark.parametrize("command, where", [(None, "subprocess")] + [
    (command, "here") for command in (None, "profile", "motifs", "discords", "regimes")])
def test_help(tmp_path, command, where, monkeypatch, capfd):
    args = [command, "--help"] if command else ["--help"]
    proc = ok(run(args, tmp_path) if where == "subprocess"
              else run_here(args, tmp_path, monkeypatch, capfd))
    assert proc.stdout.startswith(f"usage: mpcore {command or ''}".rstrip())
    if command:
        # argparse writes "-m M, --window M" up to Python 3.12, "-m, --window M" from 3.13
        assert re.search(r"-m( M)?, --window M", proc.stdout), proc.stdout
        assert f"example: mpcore {command}" in proc.stdout
    else:
        assert all(c in proc.stdout for c in ["profile", "motifs", "discords", "regimes"])
    assert "exit codes: 0 success, 1 runtime failure, 2 bad usage or input" in proc.stdout


# --- bad input: one line, the right exit code, no traceback, no output file ----------------

def _bad_files(tmp):
    write_csv(tmp / "two.csv", ["time", "value"], np.arange(50.0), random_walk(50))
    (tmp / "text.csv").write_text("value\n1.5\n2.5\nabc\n4\n")
    (tmp / "empty.csv").write_text("")
    (tmp / "header_only.csv").write_text("value\n")
    np.save(tmp / "w.npy", random_walk(50))
    np.save(tmp / "words.npy", np.array(["a", "b", "c", "d"]))
    (tmp / "fake.parquet").write_bytes(b"PAR1 this is no parquet file")


BAD = [
    # (args, exit code, words the one line must hold)
    (["profile", "missing.csv", "-m", 10], 2, ["missing.csv", "no such file"]),
    (["profile", "two.csv", "-c", "speed", "-m", 10], 2, ["no column 'speed'", "time, value"]),
    (["profile", "two.csv", "-c", 7, "-m", 10], 2, ["column 7 is out of range", "2 columns"]),
    (["profile", "two.csv", "-m", 10], 2, ["2 columns", "--column"]),
    (["profile", "text.csv", "-m", 3], 2, ["text.csv line 4", "'abc' is not a number"]),
    (["profile", "words.npy", "-m", 3], 2, ["words.npy holds <U1 values, not real numbers"]),
    (["profile", "w.npy", "-m", 51], 2, ["-m 51 is longer than w.npy (50 points)"]),
    (["profile", "w.npy", "-m", 2], 2, ["-m (the window size) must be at least 3, got 2"]),
    (["discords", "empty.csv", "-m", 3], 2, ["empty.csv holds no values"]),
    (["motifs", "header_only.csv", "-m", 3], 2, ["header_only.csv holds no values"]),
    (["regimes", "-", "-m", 3], 2, ["standard input holds no values"]),
    (["profile", "w.npy", "-m", 10, "-o", "out.xlsx"], 2, ["output format", "out.xlsx"]),
    (["profile", "w.npy", "-m", 10, "-o", "nowhere/out.csv"], 2, ["nowhere", "does not exist"]),
    (["profile", "w.npy", "-m", 10, "--against", "missing.npy"], 2, ["missing.npy"]),
    (["profile", "two.csv", "-c", "value", "-m", 10, "--format", "npy"], 2,
     ["not a readable .npy file"]),
]


@pytest.mark.parametrize("args, code, words", BAD, ids=[" ".join(map(str, b[0])) for b in BAD])
def test_bad_input(tmp_path, args, code, words, monkeypatch, capfd):
    _bad_files(tmp_path)
    before = set(os.listdir(tmp_path))
    proc = run_here(args, tmp_path, monkeypatch, capfd)
    _check_bad(proc, code, words)
    assert set(os.listdir(tmp_path)) == before  # nothing written


def test_bad_input_in_a_subprocess(tmp_path):
    """A bad input's exit code reaches the shell (``python -m mpcore`` exits with main's)."""
    _bad_files(tmp_path)
    before = set(os.listdir(tmp_path))
    args, code, words = BAD[1]
    _check_bad(run(args, tmp_path), code, words)
    assert set(os.listdir(tmp_path)) == before


def _check_bad(proc, code, words):
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("mpcore: error: ")
    for w in words:
        assert w in proc.stderr


def test_parquet_without_pyarrow(tmp_path):
    """With pyarrow unimportable, reading or writing Parquet says how to get it."""
    _bad_files(tmp_path)
    block = tmp_path / "block" / "pyarrow"
    block.mkdir(parents=True)
    (block / "__init__.py").write_text("raise ImportError('pyarrow is blocked by this test')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(block.parent)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    for args in (["profile", "fake.parquet", "-m", 10],
                 ["profile", "w.npy", "-m", 10, "-o", "out.parquet"]):
        proc = run(args, tmp_path, env=env)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr and proc.stdout == ""
        assert proc.stderr.count("\n") == 1
        assert proc.stderr.startswith("mpcore: error: ") and "pip install pyarrow" in proc.stderr
    assert not (tmp_path / "out.parquet").exists()


def test_unreadable_parquet(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    _bad_files(tmp_path)
    pq.write_table(pa.table({"name": ["a", "b", "c", "d"]}), tmp_path / "words.parquet")
    for args, line in [
        (["profile", "fake.parquet", "-m", 10], "fake.parquet is not a readable Parquet file"),
        (["profile", "words.parquet", "-m", 3], "column 'name' of words.parquet holds string"),
    ]:
        proc = run(args, tmp_path)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stdout == ""
        assert proc.stderr.count("\n") == 1
        assert proc.stderr.startswith(f"mpcore: error: {line}")


def test_usage_errors_exit_2(tmp_path):
    for args in (["profile", "w.npy"], ["nosuchcommand"], ["motifs", "w.npy", "-m", "ten"]):
        proc = run(args, tmp_path)
        assert proc.returncode == 2 and "usage: mpcore" in proc.stderr
        assert "Traceback" not in proc.stderr


# --- Ctrl-C ---------------------------------------------------------------------------------

@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is a POSIX signal")
def test_ctrl_c_stops_cleanly(tmp_path):
    # 200,000 points on one thread: ~2e10 cells, many seconds; stopped as soon as it starts
    np.save(tmp_path / "long.npy", random_walk(200_000, seed=3))
    proc = start_interruptible([sys.executable, "-m", "mpcore", "profile", "long.npy", "-m",
                                "50", "--threads", "1", "--progress"], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.set_blocking(proc.stderr.fileno(), False)
    seen = b""
    deadline = time.monotonic() + 60
    try:
        while b"%" not in seen:  # the progress bar: the computation has started
            assert proc.poll() is None and time.monotonic() < deadline, seen
            seen += proc.stderr.read() or b""
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        os.set_blocking(proc.stderr.fileno(), True)
        out, err = finish_or_dump(proc, 60)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = (seen + err).decode()
    assert proc.returncode == 130, err
    assert out == b"" and "Traceback" not in err
    # what is not the progress bar is one line
    lines = [ln for ln in err.splitlines() if ln.strip() and "%" not in ln]
    assert lines == ["mpcore: interrupted"]
    assert err.endswith("\nmpcore: interrupted\n")
