"""The implementations the benchmark compares, each behind one small interface.

A runner opens an implementation's pool, maps a function with it in one of
the :class:`Chunking` policies, and closes it; the plain loop is a runner too.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import enum
import importlib
import multiprocessing
import multiprocessing.pool
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any, ClassVar

from mpworkers._validate import check_int
from mpworkers.basics import noop
from mpworkers.workloads import wait

#: The implementations, in the order they run and are reported.
IMPLEMENTATIONS: tuple[str, ...] = (
    "sequential",
    "threads",
    "pool",
    "process-pool",
    "loky",
    "joblib",
    "mpire",
)


#: The start methods of :mod:`multiprocessing` whose process start-up is timed.
START_METHODS: tuple[str, ...] = ("fork", "spawn", "forkserver")

#: Calls on a running pool timed after each start-up (the "warm call").
WARM_CALLS = 3


class Chunking(enum.Enum):
    """How an implementation groups the tasks of one ``map`` into messages to its workers."""

    NONE = "none"
    """The plain loop, which sends no messages."""
    ONE = "one"
    """One task per message (``chunksize=1``, joblib's ``batch_size=1``)."""
    EQUAL = "equal"
    """The same explicit chunk size for every implementation, :func:`auto_chunksize`."""
    LIBRARY = "library"
    """The library's own policy where it differs from both others, such as joblib's
    adaptive batches (``batch_size="auto"``) and mpire's 64 chunks per worker."""


def auto_chunksize(tasks: int, workers: int) -> int:
    """Return the chunk size ``multiprocessing.Pool.map`` picks by default (at least 1).

    ``Pool.map`` splits the tasks into about four chunks per worker:
    ``ceil(tasks / (4 * workers))``. The benchmark passes this value
    explicitly to every implementation for :attr:`Chunking.EQUAL`.

    >>> auto_chunksize(100, 2)
    13

    Raises:
        TypeError: if an argument is not an int.
        ValueError: if ``tasks`` < 0 or ``workers`` < 1.
    """
    check_int("tasks", tasks, minimum=0)
    check_int("workers", workers, minimum=1)
    return max(1, -(-tasks // (4 * workers)))


def start_methods() -> list[str]:
    """Return the start methods of :data:`START_METHODS` this platform offers, default first.

    ``multiprocessing.get_all_start_methods()`` can list more: on Python 3.14
    and newer, once loky is imported, it also lists ``loky`` and
    ``loky_init_main``, which are loky's, not multiprocessing's.
    """
    return [m for m in multiprocessing.get_all_start_methods() if m in START_METHODS]


# --------------------------------------------------------------------------- the machine

# --------------------------------------------------------------------------- implementations


class _Runner:
    """One implementation: how to open it, map a function with it, and close it."""

    name: ClassVar[str]
    library: ClassVar[str | None] = None
    chunkings: ClassVar[tuple[Chunking, ...]] = (Chunking.ONE, Chunking.EQUAL)
    #: the chunking the library uses when ``map`` is given no chunk size
    default: ClassVar[Chunking] = Chunking.ONE

    def __init__(self, workers: int, method: str) -> None:
        self.workers = workers
        self.method = method
        self.module: ModuleType | None = None

    def load(self) -> None:
        """Import the implementation's library; raises ImportError if it is missing."""
        if self.library is not None:
            self.module = importlib.import_module(self.library)

    @property
    def mod(self) -> ModuleType:
        assert self.module is not None, "load() first"
        return self.module

    def start_method(self) -> str | None:
        return self.method

    def open(self) -> None:
        """Create the pool (workers may start here or on first use)."""

    def prepare(self, tasks: int) -> None:
        """Get ready, untimed, for maps of ``tasks`` tasks in each of :attr:`chunkings`."""

    def map(self, func: Callable[[Any], Any], args: list[Any], chunking: Chunking) -> list[Any]:
        raise NotImplementedError

    def warm_call(self) -> None:
        """One no-op task per worker, one per message: starts idle workers, times a call."""
        self.map(noop, list(range(self.workers)), Chunking.ONE)

    def close(self) -> None:
        """Shut the pool down and wait for its workers to exit."""

    def chunksize(self, chunking: Chunking, tasks: int) -> int | None:
        """The tasks per message, where every message carries the same number."""
        if chunking is Chunking.ONE:
            return 1
        if chunking is Chunking.EQUAL:
            return auto_chunksize(tasks, self.workers)
        return None

    def messages(self, chunking: Chunking, tasks: int) -> int | None:
        """How many messages carry the tasks to the workers, where it is known in advance."""
        size = self.chunksize(chunking, tasks)
        return None if size is None else -(-tasks // size)

    def policy(self, chunking: Chunking, tasks: int) -> str:
        """A short label of the chunking, e.g. ``'1'`` or ``'250'``."""
        size = self.chunksize(chunking, tasks)
        return "-" if chunking is Chunking.NONE else str(size)


class _Sequential(_Runner):
    name = "sequential"
    chunkings = (Chunking.NONE,)
    default = Chunking.NONE

    def start_method(self) -> str | None:
        return None

    def map(self, func: Callable[[Any], Any], args: list[Any], chunking: Chunking) -> list[Any]:
        return [func(a) for a in args]


class _Threads(_Runner):
    name = "threads"
    chunkings = (Chunking.ONE,)  # ThreadPoolExecutor.map ignores chunksize

    def __init__(self, workers: int, method: str) -> None:
        super().__init__(workers, method)
        self.executor: concurrent.futures.ThreadPoolExecutor | None = None

    def start_method(self) -> str | None:
        return None

    def open(self) -> None:
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=self.workers)

    def map(self, func: Callable[[Any], Any], args: list[Any], chunking: Chunking) -> list[Any]:
        assert self.executor is not None, "open() first"
        return list(self.executor.map(func, args))

    def start_all(self) -> None:
        """Start every thread: an executor starts a thread per task only while none is idle."""
        assert self.executor is not None, "open() first"
        list(self.executor.map(wait, [0.05] * self.workers))

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True)
            self.executor = None


class _Pool(_Runner):
    name = "pool"
    default = Chunking.EQUAL  # Pool.map's own chunk size is auto_chunksize

    def __init__(self, workers: int, method: str) -> None:
        super().__init__(workers, method)
        self.pool: multiprocessing.pool.Pool | None = None

    def open(self) -> None:
        self.pool = multiprocessing.get_context(self.method).Pool(self.workers)

    def map(self, func: Callable[[Any], Any], args: list[Any], chunking: Chunking) -> list[Any]:
        assert self.pool is not None, "open() first"
        return self.pool.map(func, args, chunksize=self.chunksize(chunking, len(args)))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool.join()
            self.pool = None


class _ProcessPool(_Runner):
    name = "process-pool"

    def __init__(self, workers: int, method: str) -> None:
        super().__init__(workers, method)
        self.executor: concurrent.futures.Executor | None = None

    def open(self) -> None:
        context = multiprocessing.get_context(self.method)
        self.executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context
        )

    def map(self, func: Callable[[Any], Any], args: list[Any], chunking: Chunking) -> list[Any]:
        assert self.executor is not None, "open() first"
        size = self.chunksize(chunking, len(args)) or 1
        return list(self.executor.map(func, args, chunksize=size))

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True)
            self.executor = None


class _Loky(_ProcessPool):
    """loky's reusable executor has the interface of a ``ProcessPoolExecutor``."""

    name = "loky"
    library = "loky"

    def start_method(self) -> str | None:
        return "loky"

    def open(self) -> None:
        # The reusable executor outlives this call; close() shuts it down.
        # loky stops workers idle for `timeout` seconds (default 10); a longer
        # one keeps them between the cells of a long run.
        self.executor = self.mod.get_reusable_executor(max_workers=self.workers, timeout=300)


class _Joblib(_Runner):
    name = "joblib"
    library = "joblib"
    chunkings = (Chunking.ONE, Chunking.EQUAL, Chunking.LIBRARY)
    default = Chunking.LIBRARY

    def __init__(self, workers: int, method: str) -> None:
        super().__init__(workers, method)
        self.stack: contextlib.ExitStack | None = None
        self.parallels: dict[int | str, Any] = {}

    def start_method(self) -> str | None:
        return "loky"

    def policy(self, chunking: Chunking, tasks: int) -> str:
        return "adaptive" if chunking is Chunking.LIBRARY else super().policy(chunking, tasks)

    def _batch_size(self, chunking: Chunking, tasks: int) -> int | str:
        return self.chunksize(chunking, tasks) or "auto"

    def _enter(self, batch_sizes: Iterable[int | str]) -> None:
        # Each Parallel is used as a context manager, which joblib documents
        # for several calls on the same workers: it then keeps its backend
        # between calls. They all share joblib's reusable loky executor, so
        # leaving them (to make new ones) keeps the workers running.
        if self.stack is not None:
            self.stack.close()
        self.stack = contextlib.ExitStack()
        self.parallels = {}
        for size in batch_sizes:
            if size not in self.parallels:
                parallel = self.mod.Parallel(n_jobs=self.workers, backend="loky", batch_size=size)
                self.parallels[size] = self.stack.enter_context(parallel)

    def open(self) -> None:
        self._enter([1])

    def prepare(self, tasks: int) -> None:
        # New Parallel objects for each workload: batch_size="auto" learns the
        # batch size from the calls of one Parallel, and should not carry
        # what it learned from one workload to the next.
        self._enter([1] + [self._batch_size(c, tasks) for c in self.chunkings])

    def map(self, func: Callable[[Any], Any], args: list[Any], chunking: Chunking) -> list[Any]:
        parallel = self.parallels[self._batch_size(chunking, len(args))]
        delayed = self.mod.delayed
        return list(parallel(delayed(func)(a) for a in args))

    def close(self) -> None:
        if self.stack is None:
            return
        self.stack.close()
        self.stack, self.parallels = None, {}
        # joblib keeps its loky executor for the next Parallel. Asking joblib's
        # loky for a default executor replaces joblib's (the arguments differ,
        # so it shuts joblib's down); shutting that one down leaves none.
        executor = importlib.import_module("joblib.externals.loky").get_reusable_executor()
        executor.shutdown(wait=True)


class _Mpire(_Runner):
    name = "mpire"
    library = "mpire"
    chunkings = (Chunking.ONE, Chunking.EQUAL, Chunking.LIBRARY)
    default = Chunking.LIBRARY

    def __init__(self, workers: int, method: str) -> None:
        super().__init__(workers, method)
        self.pool: Any = None

    def chunksize(self, chunking: Chunking, tasks: int) -> int | None:
        if chunking is not Chunking.LIBRARY:
            return super().chunksize(chunking, tasks)
        # mpire's own policy makes 64 chunks per worker, whose sizes differ by
        # one when the tasks do not divide evenly
        size, extra = divmod(tasks, 64 * self.workers)
        return max(1, size) if extra == 0 or size == 0 else None

    def messages(self, chunking: Chunking, tasks: int) -> int | None:
        if chunking is not Chunking.LIBRARY:
            return super().messages(chunking, tasks)
        return min(tasks, 64 * self.workers)

    def policy(self, chunking: Chunking, tasks: int) -> str:
        return "64 per worker" if chunking is Chunking.LIBRARY else super().policy(chunking, tasks)

    def open(self) -> None:
        # keep_alive=True keeps the workers between map calls (the default
        # starts fresh workers for every map).
        self.pool = self.mod.WorkerPool(
            n_jobs=self.workers, start_method=self.method, keep_alive=True
        )

    def map(self, func: Callable[[Any], Any], args: list[Any], chunking: Chunking) -> list[Any]:
        size = None if chunking is Chunking.LIBRARY else self.chunksize(chunking, len(args))
        return list(self.pool.map(func, args, chunk_size=size))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.stop_and_join()
            self.pool = None


_RUNNERS: dict[str, type[_Runner]] = {
    cls.name: cls
    for cls in (_Sequential, _Threads, _Pool, _ProcessPool, _Loky, _Joblib, _Mpire)
}
