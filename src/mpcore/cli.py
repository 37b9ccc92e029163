"""The ``mpcore`` command line: matrix profiles, motifs, discords and regimes of a series in a file.

``mpcore profile data.csv -m 100 -o profile.npy`` and ``python -m mpcore ...`` run the same
:func:`main`.  The series comes from a CSV/text file (one column chosen by name or number), a
``.npy`` file, a Parquet file (with pyarrow) or standard input (``-``), or is one of the bundled
datasets by name (``ecg``, ``co2``).  Results go to CSV, NPY or Parquet by the ``-o`` suffix and
a short summary to stdout.

Exit codes: 0 success, 1 runtime failure (no GPU, a missing optional package, an unexpected
error), 2 bad usage or bad input, 130 interrupted (Ctrl-C).  Every error is one line on stderr,
``mpcore: error: ...``, never a traceback.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import io
import math
import os
import sys
import textwrap
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["main"]

PROG = "mpcore"


class UsageError(Exception):
    """Bad usage or bad input: reported in one line, exit code 2."""


class Failure(Exception):
    """A runtime failure (no GPU, a missing optional package): one line, exit code 1."""


# ---------------------------------------------------------------------------------------------
# Reading a series

@dataclass
class Series:
    """A series read from a file, with what to call it and how to say when a sample was taken."""

    values: np.ndarray
    label: str
    time_of: Callable[[int], str] | None = None


# Fields read as a missing value (NaN), as pandas does; compared in lower case.
_MISSING = frozenset({"", "nan", "-nan", "na", "n/a", "nat", "null", "none"})
_TEXT_DELIMITERS = (",", "\t", ";", "|")  # tried in this order on the first line; else blanks


def _number(field: str) -> float:
    field = field.strip()
    if field.lower() in _MISSING:
        return math.nan
    return float(field)  # ValueError when it is not a number


def _is_number(field: str) -> bool:
    try:
        _number(field)
    except ValueError:
        return False
    return True


def _input_format(path: str, fmt: str | None) -> str:
    if fmt is not None:
        return fmt
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".npy":
        return "npy"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    return "csv"


def _pick_column(names: list[str] | None, ncols: int, column: str | None, where: str) -> int:
    """The index of ``column`` (a name, or a number counted from 0; negative from the end)
    among ``ncols`` columns called ``names`` (None when the data have no names)."""
    shown = ", ".join(names) if names else f"numbered 0 to {ncols - 1}"
    if column is None:
        if ncols == 1:
            return 0
        raise UsageError(f"{where} has {ncols} columns ({shown}): choose one with --column "
                         "NAME or --column NUMBER (0 is the first)")
    if names and column in names:
        return names.index(column)
    try:
        number = int(column)
    except ValueError:
        if not names:
            raise UsageError(f"{where} has no column names (no header row), so --column must "
                             f"be a number from 0 to {ncols - 1}, got {column!r}") from None
        raise UsageError(f"{where} has no column {column!r} (columns: {shown})") from None
    if not -ncols <= number < ncols:
        raise UsageError(f"column {number} is out of range: {where} has {ncols} column"
                         f"{'s' if ncols > 1 else ''} ({shown})")
    return number % ncols


def _read_text(handle: io.TextIOBase, where: str, column: str | None, header: bool | None,
               delimiter: str | None) -> np.ndarray:
    """Read one column of a delimited text file; blank lines and lines starting with # are
    skipped, and a first row that is not all numbers is a header unless ``header`` says."""
    linenos, lines = [], []
    try:
        for n, line in enumerate(handle, 1):
            text = line.strip()
            if text and text[0] != "#":
                linenos.append(n)
                lines.append(text)
    except UnicodeDecodeError:
        raise UsageError(f"{where} is not a text (CSV) file; name a .npy or .parquet file by "
                         "its suffix, or give --format") from None
    if not lines:
        raise UsageError(f"{where} holds no values")
    if delimiter is None:
        delimiter = next((d for d in _TEXT_DELIMITERS if d in lines[0]), None)

    def split(line_list):
        if delimiter is None:  # blank-separated columns (or a single column)
            return [line.split() for line in line_list]
        return list(csv.reader(line_list, delimiter=delimiter))  # a row per line

    first_row = split(lines[:1])[0]
    if header is None:
        header = not all(_is_number(f) for f in first_row)
    names = [f.strip() for f in first_row] if header else None
    first = 1 if header else 0
    col = _pick_column(names, len(first_row), column, where)
    if len(lines) == first:
        raise UsageError(f"{where} holds no values (only a header row)")
    try:  # the usual case, fast (NumPy's C parser): every field of the column a number
        return np.loadtxt(lines[first:], dtype=np.float64, delimiter=delimiter, usecols=col,
                          quotechar='"', ndmin=1, comments=None)
    except ValueError:
        pass  # missing values, or a bad row, named below
    rows = split(lines[first:])
    label = names[col] if names else str(col)
    values = np.empty(len(rows), dtype=np.float64)
    for i, (n, fields) in enumerate(zip(linenos[first:], rows)):
        if col >= len(fields):
            raise UsageError(f"{where} line {n} has {len(fields)} field"
                             f"{'s' if len(fields) != 1 else ''}: column {label!r} is missing")
        try:
            values[i] = _number(fields[col])
        except ValueError:
            raise UsageError(f"{where} line {n}, column {label!r}: {fields[col].strip()!r} is "
                             "not a number") from None
    return values


def _numeric(a: np.ndarray, where: str) -> np.ndarray:
    if a.dtype.kind not in "iuf":
        raise UsageError(f"{where} holds {a.dtype} values, not real numbers")
    return np.asarray(a, dtype=np.float64)


def _read_npy(source, where: str, column: str | None) -> np.ndarray:
    try:
        a = np.load(source, allow_pickle=False)
    except (ValueError, OSError, EOFError):
        raise UsageError(f"{where} is not a readable .npy file") from None
    if not isinstance(a, np.ndarray):  # an .npz archive
        raise UsageError(f"{where} is not a .npy file (an .npz archive?)")
    if a.dtype.names:  # a structured array: columns by name
        names = list(a.dtype.names)
        return _numeric(a[names[_pick_column(names, len(names), column, where)]].ravel(), where)
    if a.ndim == 1:
        if column not in (None, "0", "-1"):
            raise UsageError(f"{where} holds one series (a 1-D array): --column {column} does "
                             "not apply")
        return _numeric(a, where)
    if a.ndim == 2:
        return _numeric(a[:, _pick_column(None, a.shape[1], column, where)], where)
    raise UsageError(f"{where} holds a {a.ndim}-D array; a series is 1-D (or one column of a "
                     "2-D array)")


def _pyarrow(why: str):
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise Failure(f"{why} needs pyarrow: pip install pyarrow") from None
    return pyarrow


def _read_parquet(source, where: str, column: str | None) -> np.ndarray:
    pa = _pyarrow(f"reading {where}")
    try:
        pf = pa.parquet.ParquetFile(source)
        names = list(pf.schema_arrow.names)
        if not names:
            raise UsageError(f"{where} holds no columns")
        name = names[_pick_column(names, len(names), column, where)]
        col = pf.read(columns=[name]).column(0)
    except (pa.ArrowException, OSError) as exc:
        raise UsageError(f"{where} is not a readable Parquet file ({exc})") from None
    t = col.type
    if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)):
        raise UsageError(f"column {name!r} of {where} holds {t} values, not numbers")
    # nulls become NaN (missing samples), as in a CSV file
    return np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def _dataset(name: str) -> Series | None:
    try:
        from . import datasets
    except ImportError:  # pragma: no cover - the datasets ship with the package
        return None
    if name.startswith("_") or name not in getattr(datasets, "__all__", ()) or name == "Dataset":
        return None
    ds = getattr(datasets, name)()
    return Series(np.array(ds.values, dtype=np.float64), f"the {name} dataset", ds.time_of)


def _dataset_names() -> list[str]:
    try:
        from . import datasets
    except ImportError:  # pragma: no cover
        return []
    return sorted(n for n in getattr(datasets, "__all__", ()) if n != "Dataset")


def read_series(path: str, column: str | None = None, fmt: str | None = None,
                header: bool | None = None, delimiter: str | None = None) -> Series:
    """Read one series from a file, stdin (``-``) or a bundled dataset's name."""
    fmt = _input_format(path, fmt)
    if path == "-":
        where = "standard input"
        if fmt == "csv":
            source = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig")
            values = _read_text(source, where, column, header, delimiter)
        else:
            data = io.BytesIO(sys.stdin.buffer.read())
            values = (_read_npy if fmt == "npy" else _read_parquet)(data, where, column)
        return _nonempty(Series(values, where))
    if not os.path.exists(path):
        ds = _dataset(path)
        if ds is not None:
            return _nonempty(ds)
        hint = "" if os.path.splitext(path)[1] else \
            f" (nor a bundled dataset: {', '.join(_dataset_names())})"
        raise UsageError(f"{path}: no such file{hint}")
    if os.path.isdir(path):
        raise UsageError(f"{path} is a directory, not a file")
    try:
        if fmt == "csv":
            with open(path, encoding="utf-8-sig", newline="") as handle:
                values = _read_text(handle, path, column, header, delimiter)
        elif fmt == "npy":
            values = _read_npy(path, path, column)
        else:
            values = _read_parquet(path, path, column)
    except PermissionError:
        raise UsageError(f"{path}: permission denied") from None
    return _nonempty(Series(values, path))


def _nonempty(series: Series) -> Series:
    if series.values.size == 0:
        raise UsageError(f"{series.label} holds no values")
    return series


# ---------------------------------------------------------------------------------------------
# Writing a table

_OUTPUT_SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".npy": "npy",
                    ".parquet": "parquet", ".pq": "parquet"}


def _output_format(path: str) -> str:
    """The format ``-o path`` asks for, checked before any work is done."""
    if path == "-":
        return "csv"
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in _OUTPUT_SUFFIXES:
        raise UsageError(f"cannot tell the output format of {path!r}: name it .csv, .tsv, "
                         ".npy or .parquet (or - for CSV on stdout)")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write {path}: folder {folder} does not exist")
    fmt = _OUTPUT_SUFFIXES[suffix]
    if fmt == "parquet":
        _pyarrow(f"writing {path}")
    return fmt


def write_table(path: str, columns: dict[str, np.ndarray]) -> None:
    """Write equal-length columns as CSV/TSV (text), NPY (a structured array) or Parquet."""
    fmt = _output_format(path)
    if fmt in ("csv", "tsv"):
        def emit(handle):
            w = csv.writer(handle, delimiter="," if fmt == "csv" else "\t",
                           lineterminator="\n")
            w.writerow(columns)
            # Python floats print the shortest text that reads back to the same float64
            w.writerows(zip(*(c.tolist() for c in columns.values())))
        if path == "-":
            emit(sys.stdout)
            sys.stdout.flush()
        else:
            with open(path, "w", newline="", encoding="utf-8") as handle:
                emit(handle)
    elif fmt == "npy":
        n = len(next(iter(columns.values())))
        table = np.empty(n, dtype=[(name, c.dtype) for name, c in columns.items()])
        for name, c in columns.items():
            table[name] = c
        np.save(path, table)
    else:
        pa = _pyarrow(f"writing {path}")
        pa.parquet.write_table(pa.table({k: pa.array(v) for k, v in columns.items()}), path)


# ---------------------------------------------------------------------------------------------
# Computing

def _check_window(m: int, series: Series) -> None:
    if m < 3:
        raise UsageError(f"-m (the window size) must be at least 3, got {m}")
    if m > series.values.size:
        raise UsageError(f"-m {m} is longer than {series.label} ({series.values.size} "
                         f"point{'s' if series.values.size != 1 else ''}); use -m "
                         f"{series.values.size} or less")


def _inputs(args) -> tuple[Series, Series | None]:
    """Read the series (and the --against one), checking every option first."""
    if args.m < 3:
        raise UsageError(f"-m (the window size) must be at least 3, got {args.m}")
    if args.threads is not None and args.threads < 1:
        raise UsageError(f"--threads must be at least 1, got {args.threads}")
    if args.p is not None and not (args.p > 0 and math.isfinite(args.p)):
        raise UsageError(f"-p (the p-norm) must be a finite number > 0, got {args.p}")
    if args.rate is not None and not (args.rate > 0 and math.isfinite(args.rate)):
        raise UsageError(f"--rate must be a positive number of samples per second, got "
                         f"{args.rate}")
    if args.output is not None:
        _output_format(args.output)
    if args.gpu:
        import mpcore

        if not mpcore.gpu_available():
            from . import _gpu

            reason = _gpu.gpu_unavailable_reason()
            raise Failure("--gpu: no usable CUDA GPU" + (f" ({reason})" if reason else ""))
    against = getattr(args, "against", None)
    if against == "-" and args.input == "-":
        raise UsageError("only one series can come from standard input (-)")
    A = read_series(args.input, args.column, args.format, args.header, args.delimiter)
    B = None
    if against is not None:
        B = read_series(against, args.against_column, None, args.header, args.delimiter)
    if args.rate is not None:  # both series sampled at this rate
        for series in (A, B) if B is not None else (A,):
            series.time_of = lambda i, r=args.rate: f"{i / r:.3f} s"
    _check_window(args.m, A)
    if B is not None:
        _check_window(args.m, B)
    return A, B


def _normalize(args) -> bool:
    return not (args.no_normalize or args.p is not None)


def _kind(args, B: Series | None) -> str:
    kind = "z-normalized" if _normalize(args) else f"non-normalized, p={_g(args.p or 2.0)}"
    return kind + (f", AB-join against {B.label}" if B is not None else ", self-join")


def _show_progress(args) -> bool:
    return not args.quiet and (args.progress or sys.stderr.isatty())


def compute_profile(args, A: Series, B: Series | None = None):
    """The matrix profile the options ask for (CPU or GPU, normalized or not, self or AB)."""
    import mpcore

    T_B = None if B is None else B.values
    ignore_trivial = B is None
    p = 2.0 if args.p is None else args.p
    if args.gpu:
        if _normalize(args):
            return mpcore.gpu_stump(A.values, args.m, T_B, ignore_trivial)
        return mpcore.gpu_aamp(A.values, args.m, T_B, ignore_trivial, p=p)
    kw = dict(n_threads=args.threads, progress=_show_progress(args))
    if _normalize(args):
        return mpcore.stump(A.values, args.m, T_B, ignore_trivial, **kw)
    return mpcore.aamp(A.values, args.m, T_B, ignore_trivial, p=p, **kw)


# ---------------------------------------------------------------------------------------------
# Reporting

def _g(x: float) -> str:
    """A number for people: 6 significant digits."""
    return f"{x:.6g}"


def _at(i: int, series: Series) -> str:
    return f"{i} ({series.time_of(i)})" if series.time_of is not None else str(i)


class _Report:
    """The summary: to stdout, or stderr when the table itself goes to stdout (``-o -``)."""

    def __init__(self, args):
        self.quiet = args.quiet
        self.stream = sys.stderr if args.output == "-" else sys.stdout

    def __call__(self, line: str = "") -> None:
        if not self.quiet:
            print(line, file=self.stream)


def _wrote(report: _Report, args, nrows: int, columns) -> None:
    if args.output not in (None, "-"):
        report(f"wrote {args.output}: {nrows} row{'s' if nrows != 1 else ''} "
               f"({', '.join(columns)})")


# ---------------------------------------------------------------------------------------------
# Subcommands

def cmd_profile(args) -> int:
    """``mpcore profile``: the matrix profile, its top motif pair and top discord."""
    A, B = _inputs(args)
    start = time.perf_counter()
    mp = compute_profile(args, A, B)
    seconds = time.perf_counter() - start
    P, I = mp.P_, mp.I_
    columns = {"P": P, "I": I, "left_I": mp.left_I_, "right_I": mp.right_I_}
    if args.output is not None:
        write_table(args.output, columns)
    report = _Report(args)
    report(f"matrix profile of {A.label}: {A.values.size} points, m={args.m}, {P.size} windows "
           f"({_kind(args, B)}), computed in {seconds:.3g} s")
    finite = np.flatnonzero(np.isfinite(P))
    if finite.size == 0:
        report("no finite distance: every window holds NaN or inf, or has no neighbour")
    else:
        lo = int(finite[np.argmin(P[finite])])
        hi = int(finite[np.argmax(P[finite])])
        other = B if B is not None else A
        report(f"nearest pair (top motif): window {_at(lo, A)} and window "
               f"{_at(int(I[lo]), other)}{' of ' + B.label if B is not None else ''}, "
               f"distance {_g(P[lo])}")
        report(f"farthest from its nearest neighbour (top discord): window {_at(hi, A)}, "
               f"distance {_g(P[hi])}")
    _wrote(report, args, P.size, columns)
    return 0


def cmd_discords(args) -> int:
    """``mpcore discords``: the top-k discords, each a distinct anomaly."""
    import mpcore

    if args.k < 1:
        raise UsageError(f"-k (the number of discords) must be at least 1, got {args.k}")
    if args.excl_zone is not None and args.excl_zone < 0:
        raise UsageError(f"--excl-zone must be >= 0, got {args.excl_zone}")
    A, B = _inputs(args)
    mp = compute_profile(args, A, B)
    distances, indices = mpcore.discords(A.values, args.m, k=args.k, mp=mp,
                                         excl_zone=args.excl_zone)
    columns = {"rank": np.arange(1, indices.size + 1, dtype=np.int64),
               "index": np.asarray(indices, dtype=np.int64),
               "distance": np.asarray(distances, dtype=np.float64)}
    if args.output is not None:
        write_table(args.output, columns)
    report = _Report(args)
    found = f"{indices.size} discord{'s' if indices.size != 1 else ''}"
    if indices.size < args.k:
        found += f" (of {args.k} asked: no more distinct windows with a finite distance)"
    report(f"{found} in {A.label}, m={args.m} ({_kind(args, B)}):")
    for r, (i, d) in enumerate(zip(indices.tolist(), distances.tolist()), 1):
        report(f"  {r}. window {_at(i, A)}, distance {_g(d)}")
    _wrote(report, args, indices.size, columns)
    return 0


def cmd_motifs(args) -> int:
    """``mpcore motifs``: the top motifs and their occurrences."""
    import mpcore

    if args.k < 1:
        raise UsageError(f"-k (the number of motifs) must be at least 1, got {args.k}")
    if args.max_matches < 1:
        raise UsageError(f"--max-matches must be at least 1, got {args.max_matches}")
    A, _ = _inputs(args)
    mp = compute_profile(args, A)
    kw = dict(min_neighbors=args.min_neighbors, max_distance=args.max_distance,
              cutoff=args.cutoff, max_matches=args.max_matches, max_motifs=args.k,
              progress=_show_progress(args))
    threads = mpcore.threads(args.threads) if args.threads else contextlib.nullcontext()
    with threads, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No motifs were found")  # said below
        if _normalize(args):
            distances, indices = mpcore.motifs(A.values, mp.P_, **kw)
        else:
            distances, indices = mpcore.aamp_motifs(A.values, mp.P_, p=args.p or 2.0, **kw)
    rows = [(r, j, int(i), float(d))
            for r, (irow, drow) in enumerate(zip(indices, distances), 1)
            for j, (i, d) in enumerate(zip(irow, drow), 1) if i >= 0]
    columns = {"motif": np.array([r[0] for r in rows], dtype=np.int64),
               "occurrence": np.array([r[1] for r in rows], dtype=np.int64),
               "index": np.array([r[2] for r in rows], dtype=np.int64),
               "distance": np.array([r[3] for r in rows], dtype=np.float64)}
    if args.output is not None:
        write_table(args.output, columns)
    report = _Report(args)
    nmotifs = len({r[0] for r in rows})
    report(f"{nmotifs} motif{'s' if nmotifs != 1 else ''} in {A.label}, m={args.m} "
           f"({_kind(args, None)})" + (":" if nmotifs else
                                       ": none within the cutoff (try --cutoff or "
                                       "--max-distance)"))
    for r in range(1, nmotifs + 1):
        occ = [row for row in rows if row[0] == r]
        report(f"  {r}. {len(occ)} occurrences at windows "
               f"{', '.join(_at(o[2], A) for o in occ)}; distances to the first: "
               f"{', '.join(_g(o[3]) for o in occ[1:]) or '-'}")
    _wrote(report, args, len(rows), columns)
    return 0


def cmd_regimes(args) -> int:
    """``mpcore regimes``: regime changes (FLUSS) and the corrected arc curve."""
    import mpcore

    if args.regimes < 1:
        raise UsageError(f"-r (the number of regimes) must be at least 1, got {args.regimes}")
    L = args.m if args.L is None else args.L
    if L < 1:
        raise UsageError(f"-L must be at least 1, got {L}")
    if args.excl_factor < 0:
        raise UsageError(f"--excl-factor must be >= 0, got {args.excl_factor}")
    A, _ = _inputs(args)
    mp = compute_profile(args, A)
    cac, locs = mpcore.fluss(mp.I_, L, args.regimes, excl_factor=args.excl_factor)
    locs = np.asarray(locs, dtype=np.int64)
    boundary = np.zeros(cac.size, dtype=np.int64)
    boundary[locs] = 1
    columns = {"index": np.arange(cac.size, dtype=np.int64),
               "cac": np.asarray(cac, dtype=np.float64), "boundary": boundary}
    if args.output is not None:
        write_table(args.output, columns)
    report = _Report(args)
    report(f"{args.regimes} regime{'s' if args.regimes != 1 else ''} in {A.label}, m={args.m}, "
           f"L={L} ({_kind(args, None)}): {locs.size} boundar{'ies' if locs.size != 1 else 'y'}"
           + (":" if locs.size else ""))
    for r, i in enumerate(locs.tolist(), 1):
        report(f"  {r}. at window {_at(i, A)}, corrected arc curve {_g(cac[i])}")
    _wrote(report, args, cac.size, columns)
    return 0


# ---------------------------------------------------------------------------------------------
# The parser

_EPILOG = """\
input: a CSV or text file (comma, tab, semicolon, | or blank separated; a header row is found
by itself; empty, NA and nan fields are missing values), a .npy file, a .parquet file (needs
pyarrow), - for standard input (CSV unless --format), or a bundled dataset's name ({datasets}).
output (-o): .csv, .tsv, .npy (a structured array) or .parquet, by the suffix; - for CSV on
stdout (the summary then goes to stderr).
exit codes: 0 success, 1 runtime failure, 2 bad usage or input, 130 interrupted.
"""


def _source_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("input", help="the series: a file, - for stdin, or a dataset name")
    g = p.add_argument_group("reading the input")
    g.add_argument("-c", "--column", metavar="COL",
                   help="the column, by name or number (0 is the first, -1 the last); needed "
                        "when the file has several")
    g.add_argument("--format", choices=["csv", "npy", "parquet"],
                   help="the input's format (default: by its suffix; CSV for stdin)")
    # not a mutually exclusive group: argparse's `parents=` would move it out of this group
    g.add_argument("--header", dest="header", action="store_true", default=None,
                   help="the first row is a header (default: found by itself)")
    g.add_argument("--no-header", dest="header", action="store_false",
                   help="the first row is data")
    g.add_argument("--delimiter", metavar="CHAR",
                   type=lambda s: "\t" if s in ("\\t", "tab") else s,
                   help="the field separator of a text file (default: found by itself; "
                        "'tab' for a tab)")
    return p


def _compute_options(ab_join: bool) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("computing")
    g.add_argument("-m", "--window", dest="m", type=int, required=True, metavar="M",
                   help="the window (subsequence) length, at least 3")
    g.add_argument("--no-normalize", action="store_true",
                   help="non-normalized (Euclidean) distances instead of z-normalized ones "
                        "(mpcore.aamp)")
    g.add_argument("-p", "--p-norm", dest="p", type=float, metavar="P",
                   help="non-normalized p-norm distances with this p (implies --no-normalize)")
    if ab_join:
        g.add_argument("--against", metavar="FILE",
                       help="AB-join: each window's nearest neighbour in this second series")
        g.add_argument("--against-column", metavar="COL",
                       help="the column of the --against file (by name or number)")
    g.add_argument("--threads", type=int, metavar="N", help="CPU threads (default: all cores)")
    g.add_argument("--gpu", action="store_true",
                   help="compute the profile on the GPU (mpcore.gpu_stump / gpu_aamp)")
    o = p.add_argument_group("output")
    o.add_argument("-o", "--output", metavar="FILE",
                   help="write the result table to FILE (.csv, .tsv, .npy, .parquet, or -)")
    o.add_argument("--rate", type=float, metavar="HZ",
                   help="samples per second: say when each window starts, in seconds")
    o.add_argument("--progress", action="store_true",
                   help="show progress on stderr (default: only when stderr is a terminal)")
    o.add_argument("-q", "--quiet", action="store_true", help="no summary and no progress")
    return p


def build_parser() -> argparse.ArgumentParser:
    """The ``mpcore`` argument parser, with one subparser per subcommand."""
    from . import __version__

    epilog = _EPILOG.format(datasets=", ".join(_dataset_names()) or "none")
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=fmt, epilog=epilog,
        description=textwrap.fill(
            "Exact matrix profiles of a time series: the profile itself, its motifs (repeated "
            "patterns), discords (anomalies) and regime changes. `mpcore COMMAND --help` says "
            "more.", 79))
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name, func, summary, example, ab_join=False):
        description = f"{textwrap.fill(summary, 79)}\n\nexample: {example}"
        sp = sub.add_parser(name, help=summary, description=description,
                            parents=[_source_options(), _compute_options(ab_join)],
                            formatter_class=fmt, epilog=epilog)
        sp.set_defaults(run=func)
        return sp.add_argument_group(name)

    add("profile", cmd_profile,
        "The matrix profile: each window's distance to its nearest neighbour (columns P, I, "
        "left_I, right_I).", "mpcore profile data.csv -m 100 -o profile.npy", ab_join=True)
    sp = add("motifs", cmd_motifs,
             "The top motifs: repeated patterns and all their occurrences (columns motif, "
             "occurrence, index, distance).", "mpcore motifs data.csv -m 100 -k 3")
    sp.add_argument("-k", "--max-motifs", dest="k", type=int, default=1, metavar="K",
                    help="how many motifs (default 1)")
    sp.add_argument("--max-matches", type=int, default=10, metavar="N",
                    help="occurrences kept per motif, the first included (default 10)")
    sp.add_argument("--min-neighbors", type=int, default=1, metavar="N",
                    help="a motif needs more than N occurrences (default 1)")
    sp.add_argument("--max-distance", type=float, metavar="D",
                    help="largest distance of an occurrence (default: from the distances)")
    sp.add_argument("--cutoff", type=float, metavar="D",
                    help="largest profile value of a motif (default: from the profile)")
    sp = add("discords", cmd_discords,
             "The top discords: the windows farthest from their nearest neighbour, each a "
             "distinct anomaly (columns rank, index, distance).",
             "mpcore discords data.csv -m 100 -k 3", ab_join=True)
    sp.add_argument("-k", type=int, default=1, metavar="K", help="how many discords (default 1)")
    sp.add_argument("--excl-zone", type=int, metavar="W",
                    help="windows within W of a discord are not discords too (default m)")
    sp = add("regimes", cmd_regimes,
             "Regime changes (FLUSS): where the series changes behaviour; -o writes the "
             "corrected arc curve (columns index, cac, boundary).",
             "mpcore regimes data.csv -m 100 -r 3 -o cac.csv")
    sp.add_argument("-r", "--regimes", type=int, default=2, metavar="N",
                    help="how many regimes (N - 1 boundaries; default 2)")
    sp.add_argument("-L", type=int, metavar="L",
                    help="arc length of about one period (default m)")
    sp.add_argument("--excl-factor", type=int, default=5, metavar="F",
                    help="no boundary within F*L of an end or another boundary (default 5)")
    return parser


# ---------------------------------------------------------------------------------------------
# Entry point

def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"{PROG}: warning: {_one_line(message)}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the ``mpcore`` command line.

    Parameters
    ----------
    argv : list of str, optional
        The arguments, without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit code: 0 success, 1 runtime failure (no GPU, a missing optional package such as
        pyarrow, an unexpected error), 2 bad usage or bad input, 130 interrupted by Ctrl-C.
        Every failure is reported in one line on stderr (``mpcore: error: ...``), without a
        traceback; argparse's usage errors and ``--help`` exit through ``SystemExit`` with 2
        and 0, as usual.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from mpcore.cli import main
    >>> path = os.path.join(tempfile.mkdtemp(), "walk.npy")
    >>> np.save(path, np.cumsum(np.random.default_rng(0).standard_normal(500)))
    >>> main(["discords", path, "-m", "20", "-k", "2", "--quiet"])
    0
    """
    try:
        args = build_parser().parse_args(argv)
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return args.run(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of stdout went away (`mpcore ... | head`): nothing more to say to it
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except Failure as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except (ValueError, TypeError) as exc:  # mpcore's checks of the input it was given
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except ImportError as exc:  # an optional package a function needs (scipy for regimes)
        name = exc.name or _one_line(exc)
        print(f"{PROG}: error: {name} is needed here and not installed: pip install {name}"
              if exc.name else f"{PROG}: error: {name}", file=sys.stderr)
        return 1
    except MemoryError:
        print(f"{PROG}: error: out of memory", file=sys.stderr)
        return 1
    except OSError as exc:
        name = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"{PROG}: error: {name}{exc.strerror or _one_line(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug or an unforeseen failure: still one line, no traceback
        print(f"{PROG}: error: {type(exc).__name__}: {_one_line(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
