"""How many threads a call uses: per call (``n_threads=``), per context, or process-wide.

Oversubscription: each call starts its own ``n_threads`` workers, so an application whose own
thread pool calls mpcore should give each call ``n_threads=1`` (or wrap the pool's work in
``with mpcore.threads(1):``); the total is then the pool's size.
"""
from __future__ import annotations

import contextlib
import contextvars
import operator
import os
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_process_default: int | None = None
_context: contextvars.ContextVar[int | None] = contextvars.ContextVar("mpcore_threads", default=None)


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _check(n: object, name: str) -> int:
    if isinstance(n, bool):
        raise TypeError(f"{name} must be an int, got bool")
    try:
        value = operator.index(n)
    except TypeError:
        raise TypeError(f"{name} must be an int (or None), got {type(n).__name__}") from None
    if value == -1:
        return _cpu_count()
    if value < 1:
        raise ValueError(f"{name} must be >= 1 (or -1 for all cores), got {value}")
    return value


def get_num_threads() -> int:
    """Return the number of threads a call uses when it is not given ``n_threads``.

    Returns
    -------
    int
        The innermost :func:`threads` setting of this context, else the process-wide value from
        :func:`set_num_threads`, else the number of cores this process may use.

    Examples
    --------
    >>> import mpcore
    >>> with mpcore.threads(3):
    ...     mpcore.get_num_threads()
    3
    """
    ctx = _context.get()
    if ctx is not None:
        return ctx
    with _lock:
        return _process_default if _process_default is not None else _cpu_count()


def set_num_threads(n: int | None) -> int:
    """Set the process-wide default number of threads per call.

    Parameters
    ----------
    n : int or None
        Threads per call; -1 or None restores the default (all cores).

    Returns
    -------
    int
        The previous default.

    Examples
    --------
    >>> import mpcore
    >>> previous = mpcore.set_num_threads(1)  # every call now runs on one thread
    >>> mpcore.get_num_threads()
    1
    >>> mpcore.set_num_threads(previous)  # restore; returns the setting it replaces
    1
    """
    global _process_default
    value = None if n is None else _check(n, "n")
    with _lock:
        previous = _process_default if _process_default is not None else _cpu_count()
        _process_default = value
    return previous


@contextlib.contextmanager
def threads(n: int) -> Iterator[None]:
    """Use ``n`` threads per call inside a ``with`` block, in this thread (context) only.

    Parameters
    ----------
    n : int
        Threads per call; -1 for all cores.

    Yields
    ------
    None
        The setting holds inside the ``with`` block and is restored when it ends.

    Examples
    --------
    >>> import mpcore
    >>> with mpcore.threads(1):
    ...     mpcore.get_num_threads()  # calls made here run on one thread each
    1
    """
    token = _context.set(_check(n, "n"))
    try:
        yield
    finally:
        _context.reset(token)


def resolve(n_threads: int | None) -> int:
    """Threads for one call: the argument if given, else :func:`get_num_threads`."""
    return get_num_threads() if n_threads is None else _check(n_threads, "n_threads")
