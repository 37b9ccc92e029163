import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import numpy as np
import numpy.typing as npt

from . import core as core
from . import datasets as datasets
from . import plot as plot

__version__: str

_IsConstant = npt.ArrayLike | Callable[[np.ndarray, int], np.ndarray] | None

class mparray(np.ndarray[Any, np.dtype[np.object_]]):
    def __new__(
        cls, input_array: npt.ArrayLike, m: int, k: int, excl_zone_denom: int
    ) -> mparray: ...
    @property
    def P_(self) -> npt.NDArray[np.float64]: ...
    @property
    def I_(self) -> npt.NDArray[np.int64]: ...
    @property
    def left_I_(self) -> npt.NDArray[np.int64]: ...
    @property
    def right_I_(self) -> npt.NDArray[np.int64]: ...

def stump(
    T_A: npt.ArrayLike,
    m: int,
    T_B: npt.ArrayLike | None = None,
    ignore_trivial: bool = True,
    normalize: bool = True,
    p: float = 2.0,
    k: int = 1,
    T_A_subseq_isconstant: _IsConstant = None,
    T_B_subseq_isconstant: _IsConstant = None,
    *,
    n_threads: int | None = None,
    progress: bool = False,
    cancel: threading.Event | None = None,
) -> mparray: ...
def aamp(
    T_A: npt.ArrayLike,
    m: int,
    T_B: npt.ArrayLike | None = None,
    ignore_trivial: bool = True,
    p: float = 2.0,
    k: int = 1,
    *,
    n_threads: int | None = None,
    progress: bool = False,
    cancel: threading.Event | None = None,
) -> mparray: ...
def mass(
    Q: npt.ArrayLike,
    T: npt.ArrayLike,
    M_T: npt.ArrayLike | None = None,
    Σ_T: npt.ArrayLike | None = None,
    normalize: bool = True,
    p: float = 2.0,
    T_subseq_isfinite: npt.ArrayLike | None = None,
    T_subseq_isconstant: _IsConstant = None,
    Q_subseq_isconstant: _IsConstant | bool = None,
    query_idx: int | None = None,
) -> npt.NDArray[np.float64]: ...
def gpu_stump(
    T_A: npt.ArrayLike,
    m: int,
    T_B: npt.ArrayLike | None = None,
    ignore_trivial: bool = True,
    device_id: int | list[int] = 0,
    normalize: bool = True,
    p: float = 2.0,
    k: int = 1,
    T_A_subseq_isconstant: _IsConstant = None,
    T_B_subseq_isconstant: _IsConstant = None,
) -> mparray: ...
def gpu_aamp(
    T_A: npt.ArrayLike,
    m: int,
    T_B: npt.ArrayLike | None = None,
    ignore_trivial: bool = True,
    device_id: int | list[int] = 0,
    p: float = 2.0,
    k: int = 1,
) -> mparray: ...
def gpu_available() -> bool: ...
def stumped(
    client: Any,
    T_A: npt.ArrayLike,
    m: int,
    T_B: npt.ArrayLike | None = None,
    ignore_trivial: bool = True,
    normalize: bool = True,
    p: float = 2.0,
    k: int = 1,
    T_A_subseq_isconstant: _IsConstant = None,
    T_B_subseq_isconstant: _IsConstant = None,
) -> mparray: ...
def aamped(
    client: Any,
    T_A: npt.ArrayLike,
    m: int,
    T_B: npt.ArrayLike | None = None,
    ignore_trivial: bool = True,
    p: float = 2.0,
    k: int = 1,
) -> mparray: ...
def get_num_threads() -> int: ...
def set_num_threads(n: int | None) -> int: ...
def threads(n: int) -> AbstractContextManager[None]: ...
def show_config(print_out: bool = True) -> dict[str, Any]: ...

# multi-dimensional profiles (mpcore._algos.multidim)
from typing import NamedTuple

_MIsConstant = _IsConstant | list[_IsConstant]

class _MultiProfile(NamedTuple):
    P_: npt.NDArray[np.float64]
    I_: npt.NDArray[np.int64]

def mstump(
    T: npt.ArrayLike,
    m: int,
    include: npt.ArrayLike | None = None,
    discords: bool = False,
    normalize: bool = True,
    p: float = 2.0,
    T_subseq_isconstant: _MIsConstant = None,
    *,
    n_threads: int | None = None,
    progress: bool = False,
    cancel: threading.Event | None = None,
) -> _MultiProfile: ...
def maamp(
    T: npt.ArrayLike,
    m: int,
    include: npt.ArrayLike | None = None,
    discords: bool = False,
    p: float = 2.0,
    *,
    n_threads: int | None = None,
    progress: bool = False,
    cancel: threading.Event | None = None,
) -> _MultiProfile: ...
def mstumped(
    client: Any,
    T: npt.ArrayLike,
    m: int,
    include: npt.ArrayLike | None = None,
    discords: bool = False,
    p: float = 2.0,
    normalize: bool = True,
    T_subseq_isconstant: _MIsConstant = None,
) -> _MultiProfile: ...
def maamped(
    client: Any,
    T: npt.ArrayLike,
    m: int,
    include: npt.ArrayLike | None = None,
    discords: bool = False,
    p: float = 2.0,
) -> _MultiProfile: ...
def subspace(
    T: npt.ArrayLike,
    m: int,
    subseq_idx: int,
    nn_idx: int,
    k: int,
    include: npt.ArrayLike | None = None,
    discords: bool = False,
    discretize_func: Callable[[np.ndarray], np.ndarray] | None = None,
    n_bit: int = 8,
    normalize: bool = True,
    p: float = 2.0,
    T_subseq_isconstant: _MIsConstant = None,
) -> npt.NDArray[np.int64]: ...
def maamp_subspace(
    T: npt.ArrayLike,
    m: int,
    subseq_idx: int,
    nn_idx: int,
    k: int,
    include: npt.ArrayLike | None = None,
    discords: bool = False,
    discretize_func: Callable[[np.ndarray], np.ndarray] | None = None,
    n_bit: int = 8,
    p: float = 2.0,
) -> npt.NDArray[np.int64]: ...
def mdl(
    T: npt.ArrayLike,
    m: int,
    subseq_idx: npt.ArrayLike,
    nn_idx: npt.ArrayLike,
    include: npt.ArrayLike | None = None,
    discords: bool = False,
    discretize_func: Callable[[np.ndarray], np.ndarray] | None = None,
    n_bit: int = 8,
    normalize: bool = True,
    p: float = 2.0,
    T_subseq_isconstant: _MIsConstant = None,
) -> tuple[npt.NDArray[np.float64], list[npt.NDArray[np.int64]]]: ...
def maamp_mdl(
    T: npt.ArrayLike,
    m: int,
    subseq_idx: npt.ArrayLike,
    nn_idx: npt.ArrayLike,
    include: npt.ArrayLike | None = None,
    discords: bool = False,
    discretize_func: Callable[[np.ndarray], np.ndarray] | None = None,
    n_bit: int = 8,
    p: float = 2.0,
) -> tuple[npt.NDArray[np.float64], list[npt.NDArray[np.int64]]]: ...
def mmotifs(
    T: npt.ArrayLike,
    P: npt.ArrayLike,
    I: npt.ArrayLike,
    min_neighbors: int = 1,
    max_distance: float | Callable[[np.ndarray], float] | None = None,
    cutoffs: float | npt.ArrayLike | None = None,
    max_matches: int | None = 10,
    max_motifs: int = 1,
    atol: float = 1e-8,
    k: int | None = None,
    include: npt.ArrayLike | None = None,
    normalize: bool = True,
    p: float = 2.0,
    T_subseq_isconstant: _MIsConstant = None,
) -> tuple[np.ndarray, np.ndarray, list[npt.NDArray[np.int64]], list[npt.NDArray[np.float64]]]: ...
def aamp_mmotifs(
    T: npt.ArrayLike,
    P: npt.ArrayLike,
    I: npt.ArrayLike,
    min_neighbors: int = 1,
    max_distance: float | Callable[[np.ndarray], float] | None = None,
    cutoffs: float | npt.ArrayLike | None = None,
    max_matches: int | None = 10,
    max_motifs: int = 1,
    atol: float = 1e-8,
    k: int | None = None,
    include: npt.ArrayLike | None = None,
    p: float = 2.0,
) -> tuple[np.ndarray, np.ndarray, list[npt.NDArray[np.int64]], list[npt.NDArray[np.float64]]]: ...
# analysis layer (issue 11)
_MaxDistance = float | Callable[[npt.NDArray[np.float64]], float] | None

def motifs(
    T: npt.ArrayLike,
    P: npt.ArrayLike,
    min_neighbors: int = 1,
    max_distance: _MaxDistance = None,
    cutoff: float | None = None,
    max_matches: int | None = 10,
    max_motifs: int = 1,
    atol: float = 1e-8,
    normalize: bool = True,
    p: float = 2.0,
    T_subseq_isconstant: _IsConstant = None,
    *,
    progress: bool = False,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...
def aamp_motifs(
    T: npt.ArrayLike,
    P: npt.ArrayLike,
    min_neighbors: int = 1,
    max_distance: _MaxDistance = None,
    cutoff: float | None = None,
    max_matches: int | None = 10,
    max_motifs: int = 1,
    atol: float = 1e-8,
    p: float = 2.0,
    *,
    progress: bool = False,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...
def match(
    Q: npt.ArrayLike,
    T: npt.ArrayLike,
    M_T: npt.ArrayLike | None = None,
    Σ_T: npt.ArrayLike | None = None,
    max_distance: _MaxDistance = None,
    max_matches: int | None = None,
    atol: float = 1e-8,
    query_idx: int | None = None,
    normalize: bool = True,
    p: float = 2.0,
    T_subseq_isfinite: npt.ArrayLike | None = None,
    T_subseq_isconstant: _IsConstant = None,
    Q_subseq_isconstant: _IsConstant | bool = None,
) -> npt.NDArray[np.object_]: ...
def aamp_match(
    Q: npt.ArrayLike,
    T: npt.ArrayLike,
    T_subseq_isfinite: npt.ArrayLike | None = None,
    max_distance: _MaxDistance = None,
    max_matches: int | None = None,
    atol: float = 1e-8,
    query_idx: int | None = None,
    p: float = 2.0,
) -> npt.NDArray[np.object_]: ...
def discords(
    T: npt.ArrayLike,
    m: int,
    k: int = 1,
    mp: npt.ArrayLike | None = None,
    excl_zone: int | None = None,
    normalize: bool = True,
    p: float = 2.0,
    T_subseq_isconstant: _IsConstant = None,
    *,
    n_threads: int | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...
def atsc(IL: npt.ArrayLike, IR: npt.ArrayLike, j: int) -> npt.NDArray[np.int64]: ...
def allc(
    IL: npt.ArrayLike, IR: npt.ArrayLike
) -> tuple[list[npt.NDArray[np.int64]], npt.NDArray[np.int64]]: ...
def fluss(
    I: npt.ArrayLike,
    L: int,
    n_regimes: int,
    excl_factor: int = 5,
    custom_iac: npt.ArrayLike | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...

class floss:
    def __init__(
        self,
        mp: npt.ArrayLike,
        T: npt.ArrayLike,
        m: int,
        L: int,
        excl_factor: int = 5,
        n_iter: int = 1000,
        n_samples: int = 1000,
        custom_iac: npt.ArrayLike | None = None,
        normalize: bool = True,
        p: float = 2.0,
        T_subseq_isconstant_func: Callable[[np.ndarray, int], np.ndarray] | None = None,
    ) -> None: ...
    def update(self, t: float) -> None: ...
    @property
    def cac_1d_(self) -> npt.NDArray[np.float64]: ...
    @property
    def P_(self) -> npt.NDArray[np.float64]: ...
    @property
    def I_(self) -> npt.NDArray[np.int64]: ...
    @property
    def T_(self) -> npt.NDArray[np.float64]: ...

# Comparing and summarizing series (issue 14)
_DeviceId = int | list[int]
_Snippets = tuple[
    npt.NDArray[np.float64],
    npt.NDArray[np.int64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.int64],
]
_Consensus = tuple[np.float64, int, np.int64]

def mpdist(
    T_A: npt.ArrayLike,
    T_B: npt.ArrayLike,
    m: int,
    percentage: float = 0.05,
    k: int | None = None,
    normalize: bool = True,
    p: float = 2.0,
    T_A_subseq_isconstant: _IsConstant = None,
    T_B_subseq_isconstant: _IsConstant = None,
) -> np.float64: ...
def aampdist(
    T_A: npt.ArrayLike,
    T_B: npt.ArrayLike,
    m: int,
    percentage: float = 0.05,
    k: int | None = None,
    p: float = 2.0,
) -> np.float64: ...
def mpdisted(
    client: Any,
    T_A: npt.ArrayLike,
    T_B: npt.ArrayLike,
    m: int,
    percentage: float = 0.05,
    k: int | None = None,
    normalize: bool = True,
    p: float = 2.0,
    T_A_subseq_isconstant: _IsConstant = None,
    T_B_subseq_isconstant: _IsConstant = None,
) -> np.float64: ...
def aampdisted(
    client: Any,
    T_A: npt.ArrayLike,
    T_B: npt.ArrayLike,
    m: int,
    percentage: float = 0.05,
    k: int | None = None,
    p: float = 2.0,
) -> np.float64: ...
def gpu_mpdist(
    T_A: npt.ArrayLike,
    T_B: npt.ArrayLike,
    m: int,
    percentage: float = 0.05,
    k: int | None = None,
    device_id: _DeviceId = 0,
    normalize: bool = True,
    p: float = 2.0,
    T_A_subseq_isconstant: _IsConstant = None,
    T_B_subseq_isconstant: _IsConstant = None,
) -> np.float64: ...
def gpu_aampdist(
    T_A: npt.ArrayLike,
    T_B: npt.ArrayLike,
    m: int,
    percentage: float = 0.05,
    k: int | None = None,
    device_id: _DeviceId = 0,
    p: float = 2.0,
) -> np.float64: ...
def snippets(
    T: npt.ArrayLike,
    m: int,
    k: int,
    percentage: float = 1.0,
    s: int | None = None,
    mpdist_percentage: float = 0.05,
    mpdist_k: int | None = None,
    normalize: bool = True,
    p: float = 2.0,
    mpdist_T_subseq_isconstant: _IsConstant = None,
) -> _Snippets: ...
def aampdist_snippets(
    T: npt.ArrayLike,
    m: int,
    k: int,
    percentage: float = 1.0,
    s: int | None = None,
    mpdist_percentage: float = 0.05,
    mpdist_k: int | None = None,
    p: float = 2.0,
) -> _Snippets: ...
def ostinato(
    Ts: list[npt.ArrayLike],
    m: int,
    normalize: bool = True,
    p: float = 2.0,
    Ts_subseq_isconstant: list[_IsConstant] | None = None,
) -> _Consensus: ...
def aamp_ostinato(Ts: list[npt.ArrayLike], m: int, p: float = 2.0) -> _Consensus: ...
def ostinatoed(
    client: Any,
    Ts: list[npt.ArrayLike],
    m: int,
    normalize: bool = True,
    p: float = 2.0,
    Ts_subseq_isconstant: list[_IsConstant] | None = None,
) -> _Consensus: ...
def aamp_ostinatoed(client: Any, Ts: list[npt.ArrayLike], m: int, p: float = 2.0) -> _Consensus: ...
def gpu_ostinato(
    Ts: list[npt.ArrayLike],
    m: int,
    device_id: _DeviceId = 0,
    normalize: bool = True,
    p: float = 2.0,
    Ts_subseq_isconstant: list[_IsConstant] | None = None,
) -> _Consensus: ...
def gpu_aamp_ostinato(
    Ts: list[npt.ArrayLike], m: int, device_id: _DeviceId = 0, p: float = 2.0
) -> _Consensus: ...

class _PanProfile:
    @property
    def PAN_(self) -> npt.NDArray[np.float64]: ...
    @property
    def M_(self) -> npt.NDArray[np.int64]: ...
    @property
    def P_(self) -> list[npt.NDArray[np.float64]]: ...
    def update(self) -> None: ...
    def pan(
        self,
        threshold: float = 0.2,
        normalize: bool = True,
        contrast: bool = True,
        binary: bool = True,
        clip: bool = True,
    ) -> npt.NDArray[np.float64]: ...

_IsConstantFunc = Callable[[np.ndarray, int], np.ndarray] | None

class stimp(_PanProfile):
    def __init__(
        self,
        T: npt.ArrayLike,
        min_m: int = 3,
        max_m: int | None = None,
        step: int = 1,
        percentage: float = 0.01,
        pre_scrump: bool = True,
        normalize: bool = True,
        p: float = 2.0,
        T_subseq_isconstant_func: _IsConstantFunc = None,
    ) -> None: ...

class aamp_stimp(_PanProfile):
    def __init__(
        self,
        T: npt.ArrayLike,
        min_m: int = 3,
        max_m: int | None = None,
        step: int = 1,
        percentage: float = 0.01,
        pre_scraamp: bool = True,
        p: float = 2.0,
    ) -> None: ...

class stimped(_PanProfile):
    def __init__(
        self,
        client: Any,
        T: npt.ArrayLike,
        min_m: int = 3,
        max_m: int | None = None,
        step: int = 1,
        normalize: bool = True,
        p: float = 2.0,
        T_subseq_isconstant_func: _IsConstantFunc = None,
    ) -> None: ...

class aamp_stimped(_PanProfile):
    def __init__(
        self,
        client: Any,
        T: npt.ArrayLike,
        min_m: int = 3,
        max_m: int | None = None,
        step: int = 1,
        p: float = 2.0,
    ) -> None: ...

class gpu_stimp(_PanProfile):
    def __init__(
        self,
        T: npt.ArrayLike,
        min_m: int = 3,
        max_m: int | None = None,
        step: int = 1,
        device_id: _DeviceId = 0,
        normalize: bool = True,
        p: float = 2.0,
        T_subseq_isconstant_func: _IsConstantFunc = None,
    ) -> None: ...

class gpu_aamp_stimp(_PanProfile):
    def __init__(
        self,
        T: npt.ArrayLike,
        min_m: int = 3,
        max_m: int | None = None,
        step: int = 1,
        device_id: _DeviceId = 0,
        p: float = 2.0,
    ) -> None: ...

# anytime and streaming profiles (issue 12)
class scrump:
    def __init__(
        self,
        T_A: npt.ArrayLike,
        m: int,
        T_B: npt.ArrayLike | None = None,
        ignore_trivial: bool = True,
        percentage: float = 0.01,
        pre_scrump: bool = False,
        s: int | None = None,
        normalize: bool = True,
        p: float = 2.0,
        k: int = 1,
        T_A_subseq_isconstant: _IsConstant = None,
        T_B_subseq_isconstant: _IsConstant = None,
        *,
        n_threads: int | None = None,
    ) -> None: ...
    def update(self) -> None: ...
    @property
    def P_(self) -> npt.NDArray[np.float64]: ...
    @property
    def I_(self) -> npt.NDArray[np.int64]: ...
    @property
    def left_I_(self) -> npt.NDArray[np.int64]: ...
    @property
    def right_I_(self) -> npt.NDArray[np.int64]: ...

class scraamp(scrump):
    def __init__(
        self,
        T_A: npt.ArrayLike,
        m: int,
        T_B: npt.ArrayLike | None = None,
        ignore_trivial: bool = True,
        percentage: float = 0.01,
        pre_scraamp: bool = False,
        s: int | None = None,
        p: float = 2.0,
        k: int = 1,
        *,
        n_threads: int | None = None,
    ) -> None: ...

def prescrump(
    T_A: npt.ArrayLike,
    m: int,
    T_B: npt.ArrayLike | None = None,
    s: int | None = None,
    normalize: bool = True,
    p: float = 2.0,
    k: int = 1,
    T_A_subseq_isconstant: _IsConstant = None,
    T_B_subseq_isconstant: _IsConstant = None,
    *,
    n_threads: int | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...
def prescraamp(
    T_A: npt.ArrayLike,
    m: int,
    T_B: npt.ArrayLike | None = None,
    s: int | None = None,
    p: float = 2.0,
    k: int = 1,
    *,
    n_threads: int | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...

class stumpi:
    def __init__(
        self,
        T: npt.ArrayLike,
        m: int,
        egress: bool = True,
        normalize: bool = True,
        p: float = 2.0,
        k: int = 1,
        mp: npt.ArrayLike | None = None,
        T_subseq_isconstant_func: Callable[[np.ndarray, int], np.ndarray] | None = None,
    ) -> None: ...
    def update(self, t: float | npt.ArrayLike) -> None: ...
    @property
    def P_(self) -> npt.NDArray[np.float64]: ...
    @property
    def I_(self) -> npt.NDArray[np.int64]: ...
    @property
    def left_P_(self) -> npt.NDArray[np.float64]: ...
    @property
    def left_I_(self) -> npt.NDArray[np.int64]: ...
    @property
    def T_(self) -> npt.NDArray[np.float64]: ...

class aampi(stumpi):
    def __init__(
        self,
        T: npt.ArrayLike,
        m: int,
        egress: bool = True,
        p: float = 2.0,
        k: int = 1,
        mp: npt.ArrayLike | None = None,
    ) -> None: ...

class stumpi_ab(stumpi):
    def __init__(
        self,
        T: npt.ArrayLike,
        m: int,
        T_ref: npt.ArrayLike,
        egress: bool = True,
        normalize: bool = True,
        p: float = 2.0,
        k: int = 1,
    ) -> None: ...
    @property
    def ref_P_(self) -> npt.NDArray[np.float64]: ...
    @property
    def ref_I_(self) -> npt.NDArray[np.int64]: ...
