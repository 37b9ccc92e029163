"""Identical windows ("twins"): their classes, and the neighbours they settle before the pass.

A window with an identical window among its eligible neighbours is at exact distance 0 from
it, the least any distance can be; among several such, STUMPY's order (the nearest in time on
each side of a self-join, else the lowest index) decides.  So that side of its profile is
known before any diagonal is searched.  Left to the kernels it is not cheap: every identical
pair scores exactly the row's best, and a tie takes the kernels' rare path (a tie with a lower
index wins), so a long constant stretch in a non-normalized profile, or an exactly periodic
series (a square wave), sent a quadratic number of cells there: ten times the time of a
random walk.  Here each such side's threshold starts at +inf instead (the kernels then never
offer it a cell, on the CPU or the GPU: the thresholds are the GPU's hints), and ``finalize``
offers the side the first k identical windows in STUMPY's order (:func:`class_members`).

Classes are those of ``_exact.window_classes``: bitwise equal values, each class named by its
lowest index.  In a z-normalized profile constant windows have rules of their own and belong
to no class.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import _exact

if TYPE_CHECKING:
    from ._prepare import Job, Series


def usable(s: Series) -> np.ndarray:
    """Windows that can have twins: finite, and (z-normalized) not constant."""
    return s.valid & (s.const == 0)


def find_twins(job: Job) -> None:
    """Set ``job.classes`` and ``job.twins`` (:func:`twin_classes`): the rows those twins
    settle before the pass get no cell, and ``finalize`` offers them their twins."""
    job.classes, job.twins = twin_classes(job)


def twin_classes(job: Job) -> tuple[tuple[np.ndarray, int], np.ndarray | None]:
    """The classes of the column series' windows (``(cls, repeats)`` as
    ``_exact.window_classes(..., count=True)`` gives them), and for each row window the class
    of the column series' windows identical to it (-1 if none; None if no row has one).  One
    hashing pass over the series (an AB-join's two in one, so that A's windows meet B's)."""
    X, m = job.series[0], job.m
    if job.self_join:
        cls, repeats = _exact.window_classes(X.exact, m, usable(X), True)
        return (cls, repeats), (cls if repeats else None)
    Y = job.series[1]
    both = np.concatenate([X.exact, Y.exact])
    # the m - 1 windows that straddle the junction belong to neither series
    ok = np.concatenate([usable(X), np.zeros(m - 1, dtype=bool), usable(Y)])
    joint, repeats = _exact.window_classes(both, m, ok, True)
    if not repeats:  # every window unique: each of Y's is its own class
        return (np.where(usable(Y), np.arange(Y.l), -1), 0), None
    at = X.l + m - 1  # Y's first window
    jy = joint[at:]
    ys = np.flatnonzero(jy >= 0)
    # each joint class named by its lowest window of Y (windows in order: the first seen)
    labels, first = np.unique(jy[ys], return_index=True)
    low = np.full(len(joint), -1, dtype=np.int64)
    low[labels] = ys[first]
    cls = np.full(Y.l, -1, dtype=np.int64)
    cls[ys] = low[jy[ys]]
    jx = joint[: X.l]
    twins = np.where(jx >= 0, low[np.maximum(jx, 0)], -1)
    return (cls, int(len(ys) - len(labels))), (twins if (twins >= 0).any() else None)


def sorted_members(cls: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The usable windows sorted by class, then index; their keys ``class * (l + 1) + index``
    (increasing); and each class's size."""
    lb = len(cls)
    members = np.flatnonzero(cls >= 0)
    members = members[np.argsort(cls[members], kind="stable")]  # (stable: index order kept)
    key = cls[members] * (lb + 1) + members
    return members, key, np.bincount(cls[members], minlength=lb)


def class_index(cls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The usable windows sorted by class, then index, and where each class starts among them:
    class j's members are ``members[starts[j]:starts[j + 1]]``."""
    members, _, size = sorted_members(cls)
    starts = np.zeros(len(cls) + 1, dtype=np.int64)
    np.cumsum(size, out=starts[1:])
    return members, starts


def class_members(c: np.ndarray, cls: np.ndarray, side: str, excl: int, k: int,
                  sizes: tuple | None = None, r0: int = 0) -> np.ndarray:
    """For each row ``r`` and each class ``c[r, j]`` (-1: none), the first ``k`` windows of
    that class in STUMPY's order on this side of row ``r``: the nearest after ``r + excl``
    ("right"), the nearest before ``r - excl`` ("left"), the lowest indices ("all"); -1 where
    fewer.  Returns an ``(l, j * k)`` array.  ``sizes``: sorted_members(cls), if known.
    ``r0``: the row of ``c``'s first line (a range of rows, finalized apart)."""
    l, nj = c.shape
    lb = len(cls)
    members, key, size = sorted_members(cls) if sizes is None else sizes
    base = np.maximum(c, 0) * (lb + 1)
    rows = np.arange(r0, r0 + l)[:, None]
    if side == "right":
        start = np.searchsorted(key, base + rows + excl + 1)
        step = 1
    elif side == "left":
        start = np.searchsorted(key, base + rows - excl) - 1
        step = -1
    else:
        start = np.searchsorted(key, base)
        step = 1
    pos = start[:, :, None] + step * np.arange(k)
    ok = (pos >= 0) & (pos < len(key)) & (c[:, :, None] >= 0)
    found = members[np.clip(pos, 0, max(len(key) - 1, 0))] if len(key) else np.full(pos.shape, -1)
    ok &= cls[np.maximum(found, 0)] == c[:, :, None]
    if side == "right":
        ok &= found > rows[:, :, None] + excl
    elif side == "left":
        ok &= found < rows[:, :, None] - excl
    return np.where(ok, found, -1).reshape(l, nj * k)


def settled(job: Job) -> list[np.ndarray]:
    """For each target table, the rows whose k best the twins settle (bool, one array per
    table: a self-join's right and left, an AB-join's rows)."""
    cls, _ = job.classes
    lb, k = len(cls), job.k
    members, key, size = sorted_members(cls)
    c = job.twins
    has = c >= 0
    cc = np.maximum(c, 0)
    start = np.searchsorted(key, cc * (lb + 1))
    end = start + size[cc]
    if not job.self_join:
        return [has & (size[cc] >= k)]
    r = np.arange(len(c))
    right = end - np.searchsorted(key, cc * (lb + 1) + np.minimum(r + job.excl_zone + 1, lb))
    left = np.searchsorted(key, cc * (lb + 1) + np.maximum(r - job.excl_zone, 0)) - start
    return [has & (right >= k), has & (left >= k)]


def settle_thresholds(job: Job, seeds: list | None) -> list | None:
    """``seeds`` (one lower bound per row of each target table, or None) with +inf where the
    twins settle a row: the kernels never offer those rows a cell."""
    if job.twins is None:
        return seeds
    out = []
    for t, done in enumerate(settled(job)):
        s = np.full(len(done), -np.inf) if seeds is None else np.array(seeds[t], dtype=np.float64)
        s[done] = np.inf
        out.append(s)
    return out
