"""mpcore: exact matrix profiles, compiled ahead of time; a drop-in for STUMPY.

``import mpcore as stumpy`` works for STUMPY 1.14's public API: same names, signatures,
semantics and result layouts (``mpcore.core`` adds the two functions of ``stumpy.core`` that
packages built on STUMPY call).
"""
from ._api import aamp, mass, stump
from ._config import show_config
from ._mparray import mparray
from ._threads import get_num_threads, set_num_threads, threads
from ._algos.multidim import (aamp_mmotifs, maamp, maamp_mdl, maamp_subspace, mdl, mmotifs,
                              mstump, subspace)
# analysis layer (issue 11)
from ._algos.chains import allc, atsc
from ._algos.motifs import aamp_motifs, discords, motifs
from ._algos.regimes import floss, fluss
from ._algos.search import aamp_match, match

# anytime and streaming profiles (issue 12)
from ._algos.anytime import prescraamp, prescrump, scraamp, scrump  # noqa: E402
from ._algos.streaming import aampi, stumpi, stumpi_ab  # noqa: E402
from . import core  # noqa: E402  (stumpy.core.mass and mass_absolute)

__version__ = "0.1.0"

__all__ = [
    "aamp",
    "aamped",
    "get_num_threads",
    "gpu_aamp",
    "gpu_available",
    "gpu_stump",
    "mass",
    "mparray",
    "set_num_threads",
    "show_config",
    "stump",
    "stumped",
    "threads",
    # multi-dimensional profiles
    "aamp_mmotifs",
    "maamp",
    "maamp_mdl",
    "maamp_subspace",
    "maamped",
    "mdl",
    "mmotifs",
    "mstump",
    "mstumped",
    "subspace",
    # analysis layer (issue 11)
    "aamp_match",
    "aamp_motifs",
    "allc",
    "atsc",
    "discords",
    "floss",
    "fluss",
    "match",
    "motifs",
    # anytime and streaming profiles (issue 12)
    "aampi",
    "prescraamp",
    "prescrump",
    "scraamp",
    "scrump",
    "stumpi",
    "stumpi_ab",
]


def __getattr__(name):
    # GPU and Dask support load on first use, so `import mpcore` never touches CUDA or Dask
    if name in ("gpu_stump", "gpu_aamp", "gpu_available"):
        from . import _gpu_api

        return getattr(_gpu_api, name)
    if name in ("stumped", "aamped"):
        from . import _dask

        return getattr(_dask, name)
    if name in ("mstumped", "maamped"):
        from ._algos import multidim

        return getattr(multidim, name)
    if name in ("datasets", "plot"):
        # subpackages load on first use: `mpcore.plot` imports matplotlib
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'mpcore' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


# Comparing and summarizing series (issue 14).  The gpu_ and -ed names import their executor
# (CUDA, Dask) only when called.
from ._algos.mpdist import (  # noqa: E402
    aampdist, aampdisted, gpu_aampdist, gpu_mpdist, mpdist, mpdisted,
)
from ._algos.ostinato import (  # noqa: E402
    aamp_ostinato, aamp_ostinatoed, gpu_aamp_ostinato, gpu_ostinato, ostinato, ostinatoed,
)
from ._algos.snippets import aampdist_snippets, snippets  # noqa: E402
from ._algos.stimp import (  # noqa: E402
    aamp_stimp, aamp_stimped, gpu_aamp_stimp, gpu_stimp, stimp, stimped,
)

__all__ += [
    "aamp_ostinato", "aamp_ostinatoed", "aamp_stimp", "aamp_stimped", "aampdist",
    "aampdist_snippets", "aampdisted", "gpu_aamp_ostinato", "gpu_aamp_stimp", "gpu_aampdist",
    "gpu_mpdist", "gpu_ostinato", "gpu_stimp", "mpdist", "mpdisted", "ostinato", "ostinatoed",
    "snippets", "stimp", "stimped",
]
