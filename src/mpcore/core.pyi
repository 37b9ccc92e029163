import numpy as np
import numpy.typing as npt

from . import mass as mass

__all__ = ["mass", "mass_absolute"]

def mass_absolute(
    Q: npt.ArrayLike,
    T: npt.ArrayLike,
    T_subseq_isfinite: npt.ArrayLike | None = ...,
    p: float = ...,
    query_idx: int | None = ...,
) -> np.ndarray: ...
