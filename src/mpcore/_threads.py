"""How many threads a call uses (per call ``n_threads=``, per context, or process-wide), and
the pool of worker threads that runs them.

Oversubscription: each call runs on its own ``n_threads`` workers, so an application whose own
thread pool calls mpcore should give each call ``n_threads=1`` (or wrap the pool's work in
``with mpcore.threads(1):``); the total is then the pool's size.

The workers are kept between calls (:func:`run`): starting a thread costs tens of microseconds,
and ``Thread.start`` waits until the new thread is scheduled, which on a busy machine can take
milliseconds, more than a whole small call.  A call hands each worker its share without
waiting, and a share that no worker has begun when the caller has finished is dropped.
:func:`each` maps a function over items on the pool; every parallel loop in mpcore runs
through these two, so that a Ctrl-C or an error behaves the same way everywhere.
"""
from __future__ import annotations

import _thread
import contextlib
import contextvars
import functools
import operator
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

_lock = threading.Lock()
_process_default: int | None = None
_context: contextvars.ContextVar[int | None] = contextvars.ContextVar("mpcore_threads", default=None)


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _check(n: object, name: str, none_ok: bool = True) -> int:
    if isinstance(n, bool):
        raise TypeError(f"{name} must be an int, got bool")
    try:
        value = operator.index(n)
    except TypeError:
        what = "an int (or None)" if none_ok else "an int"
        raise TypeError(f"{name} must be {what}, got {type(n).__name__}") from None
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
    token = _context.set(_check(n, "n", none_ok=False))
    try:
        yield
    finally:
        _context.reset(token)


def resolve(n_threads: int | None) -> int:
    """Threads for one call: the argument if given, else :func:`get_num_threads`."""
    return get_num_threads() if n_threads is None else _check(n_threads, "n_threads")


# ---------------------------------------------------------------------------------------------
# the worker pool
#
# Ctrl-C: Python runs a signal handler in the main thread between two bytecodes, even inside
# threading's own Python code (Condition.wait, Event.set, Thread.start), where a
# KeyboardInterrupt can leave a lock released twice or a waiter behind (CPython 3.11 to 3.14).
# So the caller's thread only ever touches the pool through single C calls on raw locks
# (acquire, release: a signal interrupts them whole or not at all), and the workers are started
# with ``_thread.start_new_thread``, which does not wait for the new thread.  The pool's threads
# are therefore not ``threading.Thread`` objects (``threading.enumerate`` does not list them;
# :func:`pool_threads` counts them); like daemon threads they never delay the interpreter's exit.

POOL_IDLE_SECONDS = 30.0  # a worker with nothing to do for this long exits

_PENDING, _RUNNING, _DONE, _DROPPED = range(4)


class _Task:
    """One share of a call's work, handed to one pool thread."""

    __slots__ = ("fn", "state", "_end")

    def __init__(self, fn: Callable[[], None]):
        self.fn = fn
        self.state = _PENDING  # changed under the pool's lock only
        self._end = _thread.allocate_lock()
        self._end.acquire()  # released once, when the task has run or been dropped

    def ended(self) -> bool:
        """Whether the task has run to its end or been dropped."""
        return self.state >= _DONE

    def wait(self, timeout: float = -1) -> bool:
        """Wait up to ``timeout`` seconds (-1: as long as it takes) for the task to end; True
        once it has.  One C-level lock acquire: a Ctrl-C interrupts it cleanly."""
        if self.state >= _DONE:  # set before _end is released: also covers a waiter that
            return True          # was interrupted between its acquire and its release
        if not self._end.acquire(True, timeout):
            return False
        self._end.release()  # for any other waiter
        return True


class _Sleeper:
    """An idle worker: ``task`` is handed over under the pool's lock, then ``wake`` released."""

    __slots__ = ("wake", "task")

    def __init__(self):
        self.wake = _thread.allocate_lock()
        self.wake.acquire()  # held while there is nothing to do
        self.task: _Task | None = None


class _Pool:
    """Worker threads kept between calls.  Each task goes straight to an idle worker or to a
    new one, never into a queue, so a call always gets as many threads running at once as it
    asks for, whatever other Python threads are doing with the pool (as when every call
    started its own threads)."""

    def __init__(self):
        self.lock = _thread.allocate_lock()
        self.sleepers: list[_Sleeper] = []
        self.count = 0  # threads alive
        self.busy = 0  # threads running a task
        self.idents: set[int] = set()  # the live workers' thread identifiers

    def start(self, task: _Task) -> None:
        """Hand ``task`` to an idle worker, or to a new one."""
        with self.lock:
            if self.sleepers:
                sleeper = self.sleepers.pop()  # the most recently idle: its cache is warm
                sleeper.task = task
                sleeper.wake.release()
                return
        _thread.start_new_thread(self._loop, (task,))  # the new thread counts itself

    def drop(self, task: _Task) -> bool:
        """Take back a task no worker has begun; False if one has (it then runs to its end)."""
        with self.lock:
            if task.state != _PENDING:
                return False
            task.state = _DROPPED
        task._end.release()
        return True

    def _loop(self, task: _Task | None) -> None:
        me = _Sleeper()
        ident = _thread.get_ident()
        with self.lock:
            self.idents.add(ident)
            self.count += 1
        while True:
            if task is not None:
                with self.lock:
                    run = task.state == _PENDING
                    if run:
                        task.state = _RUNNING
                        self.busy += 1
                if run:
                    try:
                        task.fn()
                    except BaseException:  # the callers' shares report their own errors
                        pass
                    finally:
                        with self.lock:
                            task.state = _DONE
                            self.busy -= 1
                        task._end.release()
                task = None
            with self.lock:
                me.task = None
                self.sleepers.append(me)
            if not me.wake.acquire(True, POOL_IDLE_SECONDS):
                with self.lock:
                    if me.task is None:  # still idle: leave (nobody can hand us a task now)
                        if me in self.sleepers:  # (a hand-over cut short by Ctrl-C took it)
                            self.sleepers.remove(me)
                        self.idents.discard(ident)
                        self.count -= 1
                        return
                me.wake.acquire()  # handed a task as the wait ended: take that hand-over
            task = me.task


_pool = _Pool()


def _after_fork() -> None:
    # a forked child has none of the parent's threads: start from an empty pool
    global _pool
    _pool = _Pool()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def pool_threads() -> tuple[int, int]:
    """``(alive, busy)``: the pool's worker threads, and those running a task now."""
    with _pool.lock:
        return _pool.count, _pool.busy


def in_pool() -> bool:
    """Whether the calling thread is one of the pool's workers."""
    with _pool.lock:
        return _thread.get_ident() in _pool.idents


def run(work: Callable[[int], None], n: int, *, inline: bool = True, shared: bool = True,
        cancel=None, poll: Callable[[], None] | None = None, interval: float = 0.05) -> None:
    """Call ``work(i)`` for ``i`` in ``range(n)``, each on its own thread, and wait for all.

    ``inline``: ``work(0)`` runs in the caller's thread (one thread fewer, none at all for
    ``n == 1``); otherwise the caller only waits, calling ``poll`` every ``interval`` seconds,
    so a Ctrl-C (KeyboardInterrupt) reaches it at once.  ``shared``: the calls take their work
    from one shared supply (the next band, the next block of rows) until none is left, so once
    the caller's own share has returned, the calls that no worker has begun have nothing left
    to do and are dropped instead of waited for.  ``work`` reports its own errors (and raises
    ``cancel``, the flag the kernels poll): whatever it raises on a pool thread is discarded.

    On any exception in the caller's thread (Ctrl-C, possibly between two hand-overs)
    ``cancel[0]`` is set if given, the calls not begun are dropped, the running ones waited
    for, and the exception propagates.
    """
    pool = _pool
    tasks: list[_Task] = []
    try:
        for i in range(int(inline), n):
            task = _Task(functools.partial(work, i))
            tasks.append(task)  # listed before it is handed over: an interrupt drops it
            pool.start(task)
        if inline:
            work(0)
            if shared:
                tasks = [t for t in tasks if not pool.drop(t)]
        for t in tasks:
            while not t.wait(interval):
                if poll is not None:
                    poll()
    except BaseException:
        if cancel is not None:
            cancel[0] = 1
        for t in tasks:
            if not pool.drop(t):
                t.wait()
        raise


def each(fn: Callable[[T], R], items: Iterable[T], n_threads: int) -> list[R]:
    """``[fn(x) for x in items]`` on up to ``n_threads`` threads, the caller's among them.

    Each thread takes the next item as it frees up, so a thread slowed by other load on the
    machine, or a pool thread that starts late, holds nobody back; ``fn`` must not depend on
    which thread runs it.  The first error (a Ctrl-C included) stops the others taking new
    items and is re-raised in the caller's thread once the calls running have returned.
    """
    items = list(items)
    n = max(1, min(int(n_threads), len(items)))
    if n == 1:
        return [fn(x) for x in items]
    out: list = [None] * len(items)
    lock = _thread.allocate_lock()
    taken = [0]
    stop = [0]
    errors: list[BaseException] = []

    def work(_: int) -> None:
        while not stop[0]:
            with lock:
                i = taken[0]
                taken[0] = i + 1
            if i >= len(items):
                return
            try:
                out[i] = fn(items[i])
            except BaseException as exc:  # re-raised in the caller's thread
                errors.append(exc)
                stop[0] = 1

    run(work, n, cancel=stop)
    if errors:
        raise errors[0]
    return out


class Guarded:
    """One lock per object (``self._lock``), for the objects that keep a computation's state
    between calls (stumpi, scrump, stimp, floss): their updates and the reads of their results
    take it (:func:`locked`), so that two threads sharing one object neither lose points nor
    see an update half applied (two threads updating one stumpi lost points silently in an
    audit; STUMPY's objects fail there too, with errors).  The lock is made with the object,
    also by unpickling and copying, and is left out of its pickle."""

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        self._lock = threading.Lock()
        return self

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if "_lock" not in self.__dict__:  # (a pickle of protocol 0 or 1 bypasses __new__)
            self._lock = threading.Lock()


def locked(method: Callable[..., R]) -> Callable[..., R]:
    """A method of a :class:`Guarded` object, run holding its lock."""

    @functools.wraps(method)
    def run_locked(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return run_locked
