import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import numpy as np
import numpy.typing as npt

__version__: str

_IsConstant = npt.ArrayLike | Callable[[np.ndarray, int], np.ndarray] | None

class mparray(np.ndarray[Any, np.dtype[np.object_]]):
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
    *,
    use_float32: bool = False,
) -> mparray: ...
def gpu_aamp(
    T_A: npt.ArrayLike,
    m: int,
    T_B: npt.ArrayLike | None = None,
    ignore_trivial: bool = True,
    device_id: int | list[int] = 0,
    p: float = 2.0,
    k: int = 1,
    *,
    use_float32: bool = False,
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
_Consensus = tuple[float, int, int]

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
) -> float: ...
def aampdist(
    T_A: npt.ArrayLike,
    T_B: npt.ArrayLike,
    m: int,
    percentage: float = 0.05,
    k: int | None = None,
    p: float = 2.0,
) -> float: ...
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
) -> float: ...
def aampdisted(
    client: Any,
    T_A: npt.ArrayLike,
    T_B: npt.ArrayLike,
    m: int,
    percentage: float = 0.05,
    k: int | None = None,
    p: float = 2.0,
) -> float: ...
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
) -> float: ...
def gpu_aampdist(
    T_A: npt.ArrayLike,
    T_B: npt.ArrayLike,
    m: int,
    percentage: float = 0.05,
    k: int | None = None,
    device_id: _DeviceId = 0,
    p: float = 2.0,
) -> float: ...
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
