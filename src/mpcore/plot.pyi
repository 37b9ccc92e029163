from collections.abc import Sequence
from typing import Any

import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .datasets import Dataset

__all__ = ["discords", "motifs", "multidim", "profile", "regimes"]

_Series = npt.ArrayLike | Dataset

def profile(
    T: _Series,
    mp: npt.ArrayLike,
    *,
    m: int | None = None,
    motifs: int = 1,
    discords: int = 1,
    ax: Sequence[Axes] | None = None,
    title: str | None = None,
) -> Figure: ...
def motifs(
    T: _Series,
    m: int,
    mp: npt.ArrayLike | None = None,
    *,
    max_motifs: int = 3,
    ax: Sequence[Axes] | None = None,
    normalize: bool = True,
    p: float = 2.0,
    min_neighbors: int = 1,
    max_distance: float | Any | None = None,
    cutoff: float | None = None,
    max_matches: int | None = 10,
    title: str | None = None,
) -> Figure: ...
def discords(
    T: _Series,
    m: int,
    mp: npt.ArrayLike | None = None,
    *,
    k: int = 3,
    ax: Sequence[Axes] | None = None,
    normalize: bool = True,
    p: float = 2.0,
    excl_zone: int | None = None,
    title: str | None = None,
) -> Figure: ...
def regimes(
    T: _Series,
    m: int,
    *,
    mp: npt.ArrayLike | None = None,
    n_regimes: int = 2,
    L: int | None = None,
    excl_factor: int = 5,
    ax: Sequence[Axes] | None = None,
) -> Figure: ...
def multidim(
    T: npt.ArrayLike,
    m: int,
    *,
    P: npt.ArrayLike | Any | None = None,
    ax: Sequence[Axes] | npt.ArrayLike | None = None,
) -> Figure: ...
