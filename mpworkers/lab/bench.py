"""A benchmark readers can run: pools, executors and their alternatives, side by side.

Run it from a shell::

    python -m mpworkers.lab.bench                  # full run: about 1.5 minutes on 2 cores
    python -m mpworkers.lab.bench --quick          # a few seconds, for a first look
    python -m mpworkers.lab.bench --json out.json  # also store every figure as JSON
    python -m mpworkers.lab.bench --help           # the other options

It times the same workloads with each implementation:

* ``sequential``: a plain loop, the baseline every speed-up refers to;
* ``threads``: ``concurrent.futures.ThreadPoolExecutor``;
* ``pool``: ``multiprocessing.Pool``;
* ``process-pool``: ``concurrent.futures.ProcessPoolExecutor``;
* ``loky``: ``loky.get_reusable_executor()``;
* ``joblib``: ``joblib.Parallel(n_jobs=..., backend="loky")``, used as a
  context manager (``with Parallel(...) as parallel:``), which joblib
  documents for making several calls on the same workers;
* ``mpire``: ``mpire.WorkerPool(..., keep_alive=True)``.

The last three are imported only when they run; one that is not installed is
recorded as skipped, with the reason, and the others run as usual.
``multiprocessing.Pool``, ``ProcessPoolExecutor`` and mpire use the default
start method of the process that runs the benchmark; loky and joblib use
loky's own, which starts every worker as a fresh interpreter (fork + exec on
POSIX).

How it measures, and why:

* **Warm pools.** Each implementation's workers are started, and given a
  round of no-op tasks, *before* the timed region, so the grid shows what a
  long-running program pays per batch of tasks. What a one-shot
  ``with Pool() as pool:`` pays on top is measured apart, in the pool
  start-up table: from creating the pool to the results of one no-op task
  per worker (start-up), such a call on the running pool (warm call), and
  the shutdown. The pool of the last start-up serves the grid, and its
  shutdown is timed after the grid.
* **Alternation, every repeat kept.** The cells of a workload are timed with
  :func:`mpworkers.lab.claims.alternate`: each round runs every cell once, in
  turns (forwards, then backwards, ...), so that a disturbance from another
  program spreads over all the cells instead of spoiling one implementation.
  Every round's time is stored; the report gives the best (the least
  disturbed), the median and the spread ((slowest - fastest) / median) of
  each cell. The CPU time that other programs used during each workload is
  measured with :func:`mpworkers.lab.claims.cpu_use` and stored with it, as is
  the load average before and after the run.
* **Speed-ups round by round.** A speed-up is the median of the per-round
  ratios (:meth:`Report.speedups`): the plain loop's time over the
  implementation's in the same round, which ran next to it. Dividing the
  best round by the best round, or the median by the median, would pair
  rounds that ran at different moments.
* **Impossible speed-ups are flagged.** A median speed-up above what the
  workers and the CPUs allow (see :meth:`Report.ceiling`) is a disturbed
  measurement, not a result: the report marks it as noise.
* **Tasks sized by time, counts sized by a budget.**
  :func:`~mpworkers.workloads.spin` tasks are sized with
  :func:`~mpworkers.workloads.calibrate_spin` to take about 10 us to 30 ms
  each; a GIL-releasing task (:func:`~mpworkers.workloads.hash_bytes`) and a
  waiting task (:func:`~mpworkers.workloads.wait`) of about 1 ms complete the
  grid. Each workload gets as many tasks as fit in ``budget`` seconds of
  sequential work, at most :data:`MAX_TASKS` and at least eight per worker,
  and every implementation runs the same tasks.
* **Chunking, named for what it is** (:class:`Chunking`). Every process pool
  runs with one task per message and with the same explicit chunk size
  (``ceil(tasks / (4 * workers))``, which is also ``Pool.map``'s default);
  joblib and mpire also run with their own policy (joblib's adaptive
  batches, mpire's 64 chunks per worker). Each result says whether it is the
  library's default.
* **Threads get a thread per wait.** On a waiting workload, threads also run
  with one thread per task, which is how they are used for waiting, beside
  the run with as many threads as process workers.
* **Process start-up.** For each of ``fork``, ``spawn`` and ``forkserver``
  that the platform offers, the time to ``start()`` and ``join()`` a
  ``Process`` running a no-op: the first one apart (``forkserver`` starts
  its server then), then ``repeat`` more. Run as ``python -m
  mpworkers.lab.bench``, every ``spawn`` and ``forkserver`` child imports
  this module again, as ``__mp_main__``, with everything it imports (about
  70 ms on the course's machine), so those start-ups are longer than a
  notebook's, whose main module a child does not import.
* **The machine.** The report records the CPU model, the CPUs this process
  may use (:func:`mpworkers.lab.cpus.effective_cpus`), the physical cores, and
  whether any two usable CPUs are SMT siblings (hyper-threads of one core).

Every result is checked against the plain loop's, so an implementation that
returned wrong or reordered results would stop the run. Timings are reported,
never asserted: a busy machine makes them slower, and that is all.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import datetime
import enum
import functools
import importlib
import importlib.metadata
import json
import math
import multiprocessing
import multiprocessing.pool
import os
import platform
import statistics
import sys
import time
import types
import typing
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar, Literal, TextIO

from mpworkers._validate import check_int, check_real
from mpworkers.basics import noop
from mpworkers.lab.claims import alternate, cpu_use
from mpworkers.lab.cpus import effective_cpus, visible_cpus
from mpworkers.lab.machine import default_start_method, gil_enabled, usable_cores
from mpworkers.lab.report import Table, format_seconds
from mpworkers.workloads import calibrate_spin, hash_bytes, spin, wait

__all__ = [
    "IMPLEMENTATIONS",
    "MAX_TASKS",
    "SCHEMA",
    "START_METHODS",
    "Chunking",
    "Implementation",
    "Machine",
    "PoolStartup",
    "ProcessStartup",
    "Report",
    "Result",
    "Settings",
    "Topology",
    "Workload",
    "WorkloadRecord",
    "auto_chunksize",
    "cpu_model",
    "cpu_topology",
    "format_report",
    "machine_info",
    "main",
    "make_workloads",
    "measure_process_startup",
    "read_report",
    "run_benchmark",
    "spread",
    "start_methods",
]

#: Identifies the layout of the report; it changes when the layout does.
SCHEMA = "mpworkers.bench/2"

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

#: The most tasks one workload gets, however short its tasks are.
MAX_TASKS = 2000

#: Size of the buffer that the GIL-releasing workload hashes, in bytes.
HASH_BUFFER = 65536

#: Calls on a running pool timed after each start-up (the "warm call").
WARM_CALLS = 3

DEFAULT_BUDGET = 0.25
DEFAULT_REPEAT = 5
QUICK_BUDGET = 0.03
QUICK_REPEAT = 3

# (kind, nominal seconds per task) of the workloads of the full and the quick run.
_FULL_WORKLOADS: tuple[tuple[str, float], ...] = (
    ("spin", 10e-6),
    ("spin", 100e-6),
    ("spin", 1e-3),
    ("spin", 10e-3),
    ("spin", 30e-3),
    ("hash", 1e-3),
    ("wait", 1e-3),
)
_QUICK_WORKLOADS: tuple[tuple[str, float], ...] = (
    ("spin", 100e-6),
    ("spin", 3e-3),
    ("wait", 1e-3),
)
_KINDS = {
    "spin": "CPU-bound pure Python, holds the GIL",
    "hash": "CPU-bound in C, releases the GIL",
    "wait": "waits (sleeps), uses no CPU",
}


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


def spread(times: Sequence[float]) -> float:
    """Return ``(max - min) / median`` of repeated timings: 0 when they all agree.

    >>> round(spread([1.0, 1.1, 1.3]), 2)
    0.27

    Raises:
        ValueError: if ``times`` is empty or its median is not positive.
    """
    if not times:
        raise ValueError("spread of no timings")
    middle = statistics.median(times)
    if not middle > 0:
        raise ValueError(f"the median of the timings must be > 0, got {middle!r}")
    return (max(times) - min(times)) / middle


def start_methods() -> list[str]:
    """Return the start methods of :data:`START_METHODS` this platform offers, default first.

    ``multiprocessing.get_all_start_methods()`` can list more: on Python 3.14
    and newer, once loky is imported, it also lists ``loky`` and
    ``loky_init_main``, which are loky's, not multiprocessing's.
    """
    return [m for m in multiprocessing.get_all_start_methods() if m in START_METHODS]


# --------------------------------------------------------------------------- the machine


def cpu_model() -> str:
    """Return the CPU's model name: from ``/proc/cpuinfo`` where it exists, else ``platform``."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Model", "Hardware", "cpu model"):
                    if value.strip():
                        return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _virtual_machine(path: str | os.PathLike[str] = "/proc/cpuinfo") -> bool | None:
    """Whether the CPU flags include ``hypervisor`` (x86 Linux); ``None`` where unknown."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "flags":
                    return "hypervisor" in value.split()
    except OSError:
        pass
    return None


@dataclass(frozen=True)
class Topology:
    """How the CPUs a process may use map onto cores."""

    physical_cores: int | None
    """Physical cores of the machine (``psutil.cpu_count(logical=False)``), if known."""
    smt_siblings: bool | None
    """Whether two of the usable CPUs are SMT siblings (hyper-threads of one core);
    ``None`` where the platform does not say (no ``/sys``)."""
    thread_siblings: tuple[str, ...]
    """The distinct ``thread_siblings_list`` entries of the usable CPUs, e.g. ``('0-1',)``."""


def _parse_cpu_list(text: str) -> set[int]:
    """``'0-2,8'`` -> ``{0, 1, 2, 8}``; raises ValueError on anything else."""
    cpus: set[int] = set()
    for part in text.strip().split(","):
        low, dash, high = part.partition("-")
        first, last = int(low), int(high) if dash else int(low)
        if first < 0 or last < first:
            raise ValueError(f"bad CPU range {part!r}")
        cpus.update(range(first, last + 1))
    return cpus


def cpu_topology(cpus: Collection[int] | None = None, *, root: str | Path = "/") -> Topology:
    """Return the physical cores, and whether two of ``cpus`` share a core (SMT).

    ``cpus`` defaults to this process's affinity mask (all CPUs where the
    platform has none). Siblings are read from
    ``/sys/devices/system/cpu/cpuN/topology/thread_siblings_list`` under
    ``root`` (tests pass a fake tree); where that cannot be read or parsed,
    ``smt_siblings`` is ``None``. A virtual machine shows the topology its
    hypervisor presents, which may hide that two virtual CPUs share a core.
    """
    import psutil  # here, not at the top: chapter 13's subinterpreters cannot import it

    try:
        physical: int | None = psutil.cpu_count(logical=False)
    except (psutil.Error, OSError):  # the system would not tell
        physical = None
    if cpus is None:
        getter = getattr(os, "sched_getaffinity", None)
        cpus = getter(0) if getter is not None else range(visible_cpus())
    usable = set(cpus)
    lists: set[str] = set()
    smt: bool | None = False
    for cpu in sorted(usable):
        path = Path(root, f"sys/devices/system/cpu/cpu{cpu}/topology/thread_siblings_list")
        try:
            text = path.read_text(encoding="utf-8").strip()
            siblings = _parse_cpu_list(text)
        except (OSError, ValueError):
            smt = None
            break
        lists.add(text)
        if len(siblings & usable) > 1:
            smt = True
    return Topology(physical, smt, tuple(sorted(lists)) if smt is not None else ())


def _library_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _load_average() -> tuple[float, ...] | None:
    """The 1, 5 and 15 minute load averages, where the platform has them."""
    try:
        return tuple(round(x, 2) for x in os.getloadavg())
    except (AttributeError, OSError):
        return None


@dataclass(frozen=True)
class Machine:
    """The machine and the Python that measured."""

    cpu_model: str
    visible_cpus: int
    """CPUs the operating system shows."""
    usable_cores: int
    """CPUs this process may use (affinity, quota, override), as
    :func:`mpworkers.lab.machine.usable_cores` counts them."""
    cpus: str
    """What :meth:`mpworkers.lab.cpus.CpuBudget.describe` says, e.g. ``'2 visible CPUs, ...'``."""
    physical_cores: int | None
    smt_siblings: bool | None
    thread_siblings: tuple[str, ...]
    virtual: bool | None
    """Whether the CPUs say they run under a hypervisor (a virtual machine);
    ``None`` where the platform does not say."""
    python_implementation: str
    python_version: str
    system: str
    machine: str
    start_method: str
    """The default start method of the process that ran the benchmark."""
    start_methods: tuple[str, ...]
    gil_enabled: bool
    libraries: dict[str, str | None]
    """Versions of loky, joblib and mpire, ``None`` for one that is not installed."""


def machine_info() -> Machine:
    """Describe the machine and the Python that measure, as stored in the report.

    It changes no state: the start method is read with
    :func:`mpworkers.lab.machine.default_start_method`.
    """
    budget = effective_cpus()
    topology = cpu_topology()
    return Machine(
        cpu_model=cpu_model(),
        visible_cpus=budget.visible,
        usable_cores=budget.count,
        cpus=budget.describe(),
        physical_cores=topology.physical_cores,
        smt_siblings=topology.smt_siblings,
        thread_siblings=topology.thread_siblings,
        virtual=_virtual_machine(),
        python_implementation=platform.python_implementation(),
        python_version=platform.python_version(),
        system=platform.system(),
        machine=platform.machine(),
        start_method=default_start_method(),
        start_methods=tuple(start_methods()),
        gil_enabled=gil_enabled(),
        libraries={name: _library_version(name) for name in ("loky", "joblib", "mpire")},
    )


# --------------------------------------------------------------------------- workloads


@dataclass(frozen=True)
class Workload:
    """One row of the grid: a task function, its argument and how many tasks.

    Attributes:
        name: a label such as ``'spin 1 ms'``.
        kind: ``'spin'``, ``'hash'`` or ``'wait'``.
        nominal_s: the duration one task was sized for, in seconds.
        func: a picklable function of one argument.
        arg: the argument every task gets.
        tasks: how many tasks each implementation runs.
    """

    name: str
    kind: str
    nominal_s: float
    func: Callable[[Any], Any]
    arg: Any
    tasks: int

    def args(self) -> list[Any]:
        """The argument list given to ``map``."""
        return [self.arg] * self.tasks


def _label(kind: str, seconds: float) -> str:
    return f"{kind} {format_seconds(seconds).replace('.00 ', ' ').replace('.0 ', ' ')}"


def _task_count(seconds: float, budget: float, workers: int) -> int:
    tasks = math.ceil(budget / seconds - 1e-9)  # 0.1 / 0.01 is 10.000000000000002
    tasks = max(8 * workers, min(MAX_TASKS, tasks))
    return -(-tasks // workers) * workers  # a multiple of workers


def _hash_rounds(seconds: float) -> int:
    probe = 16
    timings = alternate({"probe": functools.partial(hash_bytes, HASH_BUFFER, probe)}, rounds=3)
    return max(1, round(probe * seconds / timings.best("probe")))


def make_workloads(
    sizes: Iterable[tuple[str, float]], *, budget: float, workers: int
) -> list[Workload]:
    """Build the workloads of the grid, calibrated on this machine.

    Args:
        sizes: ``(kind, seconds)`` pairs, kind one of ``'spin'``, ``'hash'``, ``'wait'``.
        budget: seconds of sequential work that set each workload's task count.
        workers: the number of workers, so that the count is a multiple of it.

    Raises:
        TypeError: if ``budget`` or ``workers`` has the wrong type.
        ValueError: on an unknown kind, a size <= 0, ``budget`` <= 0 or ``workers`` < 1.
    """
    check_real("budget", budget, minimum=0.0)
    if budget == 0:
        raise ValueError("budget must be > 0")
    check_int("workers", workers, minimum=1)
    spin_per_second: int | None = None
    result = []
    for kind, seconds in sizes:
        if kind not in _KINDS:
            raise ValueError(f"unknown workload kind {kind!r}; expected one of {sorted(_KINDS)}")
        check_real("seconds", seconds, minimum=0.0)
        if seconds == 0:
            raise ValueError("a workload's seconds must be > 0")
        func: Callable[[Any], Any]
        arg: Any
        if kind == "spin":
            if spin_per_second is None:
                spin_per_second = calibrate_spin(1.0)
            func, arg = spin, max(1, round(spin_per_second * seconds))
        elif kind == "hash":
            func, arg = functools.partial(hash_bytes, HASH_BUFFER), _hash_rounds(seconds)
        else:
            func, arg = wait, seconds
        tasks = _task_count(seconds, budget, workers)
        result.append(Workload(_label(kind, seconds), kind, seconds, func, arg, tasks))
    return result


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


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class Settings:
    """How the benchmark was run."""

    workers: int
    budget_s: float
    repeat: int
    max_tasks: int
    process_startup_repeat: int
    pool_startup_repeat: int
    warm_calls: int


@dataclass(frozen=True)
class Implementation:
    """Whether an implementation ran, and which version."""

    name: str
    status: Literal["ok", "skipped"]
    reason: str | None
    """Why it was skipped."""
    version: str | None
    start_method: str | None
    """How it starts workers (a start method, or ``'loky'``); ``None`` without processes."""


@dataclass(frozen=True)
class WorkloadRecord:
    """A workload as stored in the report."""

    name: str
    kind: str
    description: str
    nominal_s: float
    measured_s: float
    """One task's time in the plain loop's best round."""
    tasks: int
    others_cpus: float | None
    """Average CPUs that other programs used while the workload was measured."""


@dataclass(frozen=True)
class ProcessStartup:
    """``start()`` + ``join()`` of a no-op process, for one start method."""

    start_method: str
    first_s: float
    times_s: tuple[float, ...]
    """The starts after the first."""


@dataclass(frozen=True)
class PoolStartup:
    """Start-up, warm call and shutdown of one implementation's pool, every repeat."""

    implementation: str
    start_method: str | None
    startup_s: tuple[float, ...]
    """From creating the pool to the results of one no-op task per worker."""
    warm_call_s: tuple[float, ...]
    """The same call on the running pool."""
    shutdown_s: tuple[float, ...]


@dataclass(frozen=True)
class Result:
    """Every timed round of one cell of the grid: a workload, an implementation, a chunking."""

    workload: str
    implementation: str
    chunking: Chunking
    policy: str
    """A short label, such as ``'1'``, a chunk size, ``'adaptive'`` or ``'64 per worker'``."""
    library_default: bool
    """Whether this chunking is what the library does when given no chunk size."""
    chunksize: int | None
    """Tasks per message, where every message carries the same number."""
    messages: int | None
    """Messages to the workers, where known in advance."""
    workers: int
    tasks: int
    times_s: tuple[float, ...]
    """Wall time of each round."""

    @property
    def best_s(self) -> float:
        """The shortest round, the least disturbed one."""
        return min(self.times_s)

    @property
    def median_s(self) -> float:
        """The median round."""
        return statistics.median(self.times_s)

    @property
    def spread(self) -> float:
        """``(slowest - fastest) / median`` of the rounds."""
        return spread(self.times_s)


@dataclass(frozen=True)
class Report:
    """Everything one run of the benchmark measured; :meth:`to_dict` gives its JSON form.

    Construction checks the layout: every implementation that ran has a result
    for every workload (in every chunking it runs), there is a plain loop to
    compare with, and every time is positive. It never checks how fast
    anything was.
    """

    schema: str
    mode: Literal["default", "quick"]
    created: str
    """When the run ended, ISO 8601 in UTC."""
    duration_s: float
    machine: Machine
    load_average_before: tuple[float, ...] | None
    load_average_after: tuple[float, ...] | None
    settings: Settings
    implementations: tuple[Implementation, ...]
    workloads: tuple[WorkloadRecord, ...]
    process_startup: tuple[ProcessStartup, ...]
    pool_startup: tuple[PoolStartup, ...]
    results: tuple[Result, ...]

    def __post_init__(self) -> None:
        if self.schema != SCHEMA:
            raise ValueError(f"report schema is {self.schema!r}, expected {SCHEMA!r}")
        ran = [i.name for i in self.implementations if i.status == "ok"]
        if "sequential" not in ran:
            raise ValueError("the sequential baseline did not run")
        for row in self.implementations:
            if row.status == "skipped" and not row.reason:
                raise ValueError(f"{row.name} is skipped without a reason")
        workloads = {w.name for w in self.workloads}
        for result in self.results:
            if result.workload not in workloads:
                raise ValueError(f"a result for the unknown workload {result.workload!r}")
            if result.implementation not in ran:
                raise ValueError(f"a result for {result.implementation}, which did not run")
            if not result.times_s or not all(t > 0 for t in result.times_s):
                raise ValueError(f"{result.implementation} on {result.workload}: times must be > 0")
        cells = [(r.workload, r.implementation, r.chunking, r.workers) for r in self.results]
        if len(set(cells)) != len(cells):
            raise ValueError("a cell of the grid appears twice in the results")
        for workload in self.workloads:
            for name in ran:
                chunkings = {r.chunking for r in self.results
                             if r.workload == workload.name and r.implementation == name}
                if chunkings != set(_RUNNERS[name].chunkings):
                    raise ValueError(f"no complete result for {name} on {workload.name}")
            if workload.kind == "wait" and "threads" in ran and not any(
                (r.workload, r.implementation, r.workers) == (workload.name, "threads",
                                                              workload.tasks)
                for r in self.results
            ):
                raise ValueError(f"no result for a thread per task on {workload.name}")
        for p in self.process_startup:
            if not (p.first_s > 0 and p.times_s and all(t > 0 for t in p.times_s)):
                raise ValueError(f"process start-up of {p.start_method}: times must be > 0")
        for q in self.pool_startup:
            if not all(t > 0 for t in (*q.startup_s, *q.warm_call_s, *q.shutdown_s)):
                raise ValueError(f"pool start-up of {q.implementation}: times must be > 0")
            if not q.startup_s or not q.warm_call_s or not q.shutdown_s:
                raise ValueError(f"pool start-up of {q.implementation}: no times")

    # ----------------------------------------------------------------- lookups

    def workload(self, name: str) -> WorkloadRecord:
        """The workload called ``name``."""
        for w in self.workloads:
            if w.name == name:
                return w
        raise KeyError(f"no workload {name!r}; measured: {[w.name for w in self.workloads]}")

    def result(
        self,
        workload: str,
        implementation: str,
        chunking: Chunking | None = None,
        *,
        workers: int | None = None,
    ) -> Result:
        """One cell of the grid.

        ``chunking`` defaults to the library's default (:attr:`Result.library_default`),
        ``workers`` to the run's number of workers.
        """
        if workers is None and implementation != "sequential":
            workers = self.settings.workers
        for r in self.results:
            if (r.workload, r.implementation) != (workload, implementation):
                continue
            if (r.chunking is chunking or (chunking is None and r.library_default)) and (
                workers is None or r.workers == workers
            ):
                return r
        raise KeyError((workload, implementation, chunking, workers))

    def results_for(self, workload: str) -> list[Result]:
        """Every result of one workload, in the order they were measured."""
        return [r for r in self.results if r.workload == workload]

    def pool(self, implementation: str) -> PoolStartup:
        """The pool start-up row of ``implementation``."""
        for p in self.pool_startup:
            if p.implementation == implementation:
                return p
        raise KeyError(implementation)

    def process(self, start_method: str) -> ProcessStartup:
        """The process start-up row of ``start_method``."""
        for p in self.process_startup:
            if p.start_method == start_method:
                return p
        raise KeyError(start_method)

    # ----------------------------------------------------------------- derived figures

    def speedups(self, result: Result) -> tuple[float, ...]:
        """The plain loop's time over ``result``'s, round by round.

        The cells of a workload are timed in alternation, so round ``i`` of
        the loop and round ``i`` of ``result`` ran next to each other, under
        the same conditions: their ratio is one measurement of the speed-up.

        Raises:
            ValueError: if the two have a different number of rounds.
        """
        loop = self.result(result.workload, "sequential", Chunking.NONE)
        if len(loop.times_s) != len(result.times_s):
            raise ValueError(f"{result.implementation} on {result.workload}: "
                             f"{len(result.times_s)} rounds against the loop's "
                             f"{len(loop.times_s)}")
        return tuple(a / b for a, b in zip(loop.times_s, result.times_s, strict=True))

    def speedup(self, result: Result) -> float:
        """The median of the per-round speed-ups (:meth:`speedups`).

        Not the best round over the best round, nor the median over the
        median: those pair rounds that did not run together, so a disturbance
        of one round of either side moves the figure.
        """
        return statistics.median(self.speedups(result))

    def ceiling(self, result: Result) -> int:
        """The highest speed-up ``result``'s implementation could reach on the machine measured.

        Tasks that wait need no CPU: as many can overlap as there are workers.
        CPU-bound tasks are limited by the workers and by the usable CPUs.
        The plain loop's is 1.
        """
        if result.implementation == "sequential":
            return 1
        if self.workload(result.workload).kind == "wait":
            return result.workers
        return min(result.workers, self.machine.usable_cores)

    def is_noise(self, result: Result) -> bool:
        """Whether ``result``'s speed-up (the median of its rounds) is above :meth:`ceiling`.

        Only a disturbed measurement gives such a figure: for CPU-bound work,
        a median above the usable CPUs says that most rounds of the plain
        loop were slowed by something else.
        """
        return self.speedup(result) > self.ceiling(result)

    # ----------------------------------------------------------------- JSON

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-serialisable dicts, lists and numbers."""
        value = _to_json(self)
        assert isinstance(value, dict)
        return value

    @classmethod
    def from_dict(cls, data: Any) -> Report:
        """Rebuild a report from :meth:`to_dict`'s output (for example read from JSON).

        Raises:
            ValueError: naming the first key that is missing, unknown or of the
                wrong type, or what is inconsistent.
        """
        report = _from_json(cls, data, "report")
        assert isinstance(report, Report)
        return report


def read_report(path: str | os.PathLike[str]) -> Report:
    """Read a report that ``python -m mpworkers.lab.bench --json PATH`` wrote.

    Raises:
        OSError: if the file cannot be read.
        ValueError: if it is not JSON or not a report of this layout.
    """
    with open(path, encoding="utf-8") as f:
        return Report.from_dict(json.load(f))


def _to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    return value


def _from_json(kind: Any, value: Any, where: str) -> Any:
    """Convert ``value`` (parsed JSON) to the type ``kind``, checking it on the way."""
    origin = typing.get_origin(kind)
    if kind is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(kind)
        if value is None and type(None) in options:
            return None
        (option,) = [o for o in options if o is not type(None)]
        return _from_json(option, value, where)
    if origin is Literal:
        if value not in typing.get_args(kind):
            raise ValueError(f"{where} must be one of {typing.get_args(kind)}, got {value!r}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise ValueError(f"{where} must be a list, got {value!r}")
        item = typing.get_args(kind)[0]
        return origin(_from_json(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise ValueError(f"{where} must be a dict with str keys, got {value!r}")
        item = typing.get_args(kind)[1]
        return {k: _from_json(item, v, f"{where}[{k!r}]") for k, v in value.items()}
    if dataclasses.is_dataclass(kind):
        return _record_from_json(kind, value, where)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(value)
        except ValueError:
            raise ValueError(f"{where} must be one of {[m.value for m in kind]}, "
                             f"got {value!r}") from None
    checks: dict[Any, Callable[[Any], bool]] = {
        bool: lambda v: isinstance(v, bool),
        int: lambda v: isinstance(v, int) and not isinstance(v, bool),
        float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
        and math.isfinite(v),
        str: lambda v: isinstance(v, str),
    }
    if kind not in checks:  # pragma: no cover - a field of a type the report does not use
        raise TypeError(f"{where}: cannot read a {kind!r}")
    if not checks[kind](value):
        raise ValueError(f"{where} must be a {kind.__name__}, got {value!r}")
    return float(value) if kind is float else value


def _record_from_json(kind: Any, value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be a dict, got {type(value).__name__}")
    hints = typing.get_type_hints(kind)
    names = [f.name for f in dataclasses.fields(kind)]
    unknown = sorted(set(value) - set(names))
    if unknown:
        raise ValueError(f"{where} has unknown keys {unknown}")
    missing = [n for n in names if n not in value]
    if missing:
        raise ValueError(f"{where} lacks the key {missing[0]!r}")
    fields = {n: _from_json(hints[n], value[n], f"{where}[{n!r}]") for n in names}
    return kind(**fields)


# --------------------------------------------------------------------------- measuring


def measure_process_startup(method: str, *, repeat: int = 5) -> ProcessStartup:
    """Time ``start()`` plus ``join()`` of a no-op :class:`multiprocessing.Process`.

    The first start is kept apart (with ``forkserver`` it also starts the
    server); then ``repeat`` more.

    Raises:
        ValueError: if ``method`` is not one of :func:`start_methods` or ``repeat`` < 1.
    """
    if method not in start_methods():
        raise ValueError(
            f"start method {method!r} is not available here; choose from {start_methods()}"
        )
    check_int("repeat", repeat, minimum=1)
    context: Any = multiprocessing.get_context(method)  # typeshed's BaseContext lacks Process

    def once() -> None:
        process = context.Process(target=noop)
        process.start()
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a no-op process under {method} exited with {process.exitcode}")

    times = alternate({"start": once}, rounds=repeat + 1).times["start"]
    return ProcessStartup(method, times[0], times[1:])


def _start_pool(runner: _Runner, repeat: int) -> tuple[list[float], list[float], list[float]]:
    """Time ``runner``'s start-up, warm calls and shutdown ``repeat`` times.

    The pool of the last start-up stays open, for the grid: its shutdown is
    timed when the grid is done. Returns the start-ups, warm calls and the
    shutdowns timed so far.
    """

    def start() -> None:
        runner.open()
        runner.warm_call()

    startup: list[float] = []
    warm: list[float] = []
    shutdown: list[float] = []
    for index in range(repeat):
        # alternate() with one round runs its callables once, in the given order
        try:
            startup += alternate({"start-up": start}, rounds=1).times["start-up"]
            warm += alternate({"warm call": runner.warm_call}, rounds=WARM_CALLS).times["warm call"]
        except BaseException:
            runner.close()
            raise
        if index < repeat - 1:
            shutdown += alternate({"shutdown": runner.close}, rounds=1).times["shutdown"]
    return startup, warm, shutdown


@dataclass
class _Cell:
    runner: _Runner
    chunking: Chunking

    @property
    def key(self) -> str:
        return f"{self.runner.name}/{self.chunking.value}/{self.runner.workers}"


def _measure_workload(
    workload: Workload, cells: Sequence[_Cell], repeat: int
) -> tuple[list[Result], WorkloadRecord]:
    """Time every cell on ``workload`` ``repeat`` times, in alternation; check every answer."""
    args = workload.args()
    expected = [workload.func(a) for a in args]  # the right answers; warms the loop up too

    def timed(cell: _Cell) -> Callable[[], None]:
        def call() -> None:
            if cell.runner.map(workload.func, args, cell.chunking) != expected:
                raise RuntimeError(f"{cell.runner.name} returned wrong results for "
                                   f"{workload.name}")
        return call

    for cell in cells:
        cell.runner.prepare(workload.tasks)
    with cpu_use() as use:
        timings = alternate({cell.key: timed(cell) for cell in cells}, rounds=repeat)
    results = [
        Result(
            workload=workload.name,
            implementation=cell.runner.name,
            chunking=cell.chunking,
            policy=cell.runner.policy(cell.chunking, workload.tasks),
            library_default=cell.chunking is cell.runner.default,
            chunksize=cell.runner.chunksize(cell.chunking, workload.tasks),
            messages=cell.runner.messages(cell.chunking, workload.tasks),
            workers=1 if cell.runner.name == "sequential" else cell.runner.workers,
            tasks=workload.tasks,
            times_s=timings.times[cell.key],
        )
        for cell in cells
    ]
    loop = next(r for r in results if r.implementation == "sequential")
    others = use.others_cpus
    record = WorkloadRecord(
        name=workload.name, kind=workload.kind, description=_KINDS[workload.kind],
        nominal_s=workload.nominal_s, measured_s=loop.best_s / workload.tasks,
        tasks=workload.tasks, others_cpus=None if math.isnan(others) else round(others, 3),
    )
    return results, record


def _measure_grid(
    runners: Sequence[_Runner], workloads: Sequence[Workload], repeat: int,
    say: Callable[[str], None],
) -> tuple[list[Result], list[WorkloadRecord]]:
    """Measure every workload on the open ``runners``."""
    results: list[Result] = []
    records: list[WorkloadRecord] = []
    cells = [_Cell(runner, chunking) for runner in runners for chunking in runner.chunkings]
    threads = any(r.name == "threads" for r in runners)
    for workload in workloads:
        # threads are how one waits on many things at once: one thread per wait
        many = _Threads(workload.tasks, runners[0].method) if workload.kind == "wait" and threads \
            else None
        extra = [] if many is None else [_Cell(many, Chunking.ONE)]
        try:
            if many is not None:
                many.open()
                many.start_all()
            measured, record = _measure_workload(workload, cells + extra, repeat)
        finally:
            if many is not None:
                many.close()
        results += measured
        records.append(record)
        say(f"{workload.name}: done")
    return results, records


def _measure_pools_and_grid(
    runners: Sequence[_Runner], workloads: Sequence[Workload], repeat: int, pool_repeat: int,
    say: Callable[[str], None],
) -> tuple[list[PoolStartup], list[Result], list[WorkloadRecord]]:
    """Time each pool's start-up, then the grid on the pools left open, then their shutdown."""
    pools = [r for r in runners if r.name != "sequential"]
    times: dict[str, tuple[list[float], list[float], list[float]]] = {}
    opened: list[_Runner] = []
    try:
        # Pools that use the program's start method start first: with fork,
        # they fork before the other pools start their threads.
        for runner in sorted(pools, key=lambda r: r.start_method() in ("loky", None)):
            times[runner.name] = _start_pool(runner, pool_repeat)
            opened.append(runner)
            say(f"pool start-up {runner.name}: done")
        results, records = _measure_grid(runners, workloads, repeat, say)
    except BaseException:
        for runner in reversed(opened):
            runner.close()
        raise
    for runner in reversed(opened):
        times[runner.name][2].extend(
            alternate({"shutdown": runner.close}, rounds=1).times["shutdown"])
    startups = [
        PoolStartup(r.name, r.start_method(), *(tuple(t) for t in times[r.name])) for r in pools
    ]
    return startups, results, records


def _resolve(
    workers: int | None, budget: float | None, repeat: int | None,
    implementations: Sequence[str] | None, quick: bool,
) -> tuple[int, float, int, list[str]]:
    if not isinstance(quick, bool):
        raise TypeError(f"quick must be a bool, got {type(quick).__name__}")
    workers = usable_cores() if workers is None else check_int("workers", workers, minimum=1)
    if budget is None:
        budget = QUICK_BUDGET if quick else DEFAULT_BUDGET
    budget = check_real("budget", budget, minimum=0.0)
    if budget == 0 or math.isinf(budget):
        raise ValueError("budget must be a finite number > 0")
    if repeat is None:
        repeat = QUICK_REPEAT if quick else DEFAULT_REPEAT
    check_int("repeat", repeat, minimum=1)
    if implementations is None:
        names = list(IMPLEMENTATIONS)
    else:
        if isinstance(implementations, str):
            raise TypeError("implementations must be a sequence of names, not a str")
        names = list(implementations)
        unknown = [n for n in names if n not in _RUNNERS]
        if unknown:
            raise ValueError(
                f"unknown implementation(s) {unknown}; choose from {list(IMPLEMENTATIONS)}"
            )
        if not names:
            raise ValueError("implementations must name at least one implementation")
        # the baseline always runs, and the order is the canonical one
        names = [n for n in IMPLEMENTATIONS if n in names or n == "sequential"]
    return workers, budget, repeat, names


def _load_runners(
    names: Sequence[str], workers: int, method: str
) -> tuple[list[_Runner], list[Implementation]]:
    runners: list[_Runner] = []
    rows: list[Implementation] = []
    for name in names:
        runner = _RUNNERS[name](workers, method)
        try:
            runner.load()
        except ImportError as exc:
            reason = f"{runner.library} is not installed ({type(exc).__name__}: {exc})"
            rows.append(Implementation(name, "skipped", reason, None, runner.start_method()))
            continue
        version = _library_version(runner.library) if runner.library else None
        rows.append(Implementation(name, "ok", None, version, runner.start_method()))
        runners.append(runner)
    return runners, rows


def run_benchmark(
    *,
    workers: int | None = None,
    quick: bool = False,
    budget: float | None = None,
    repeat: int | None = None,
    implementations: Sequence[str] | None = None,
    progress: TextIO | None = None,
) -> Report:
    """Run the benchmark and return its :class:`Report`.

    Args:
        workers: worker processes or threads per pool; default
            :func:`mpworkers.lab.machine.usable_cores` (which reads CPU quotas too).
        quick: a short run (three workloads, three repeats, small budget) for a first look.
        budget: seconds of sequential work per workload, which set the task counts
            (default 0.25, quick 0.03).
        repeat: timed rounds per cell, all of them stored (default 5, quick 3).
        implementations: names from :data:`IMPLEMENTATIONS` to run (``sequential``
            always runs: it is the baseline); default all of them.
        progress: a stream to write a line to after each step (start-up
            measurements, each workload), or ``None`` for silence.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``workers`` < 1, ``budget`` <= 0, ``repeat`` < 1 or an
            implementation is unknown.
    """
    workers, budget, repeat, names = _resolve(workers, budget, repeat, implementations, quick)
    began = time.perf_counter()
    load_before = _load_average()
    method = default_start_method()

    def say(line: str) -> None:
        if progress is not None:
            print(line, file=progress, flush=True)

    process_repeat = 1 if quick else 10
    pool_repeat = 1 if quick else 3
    process_startup = []
    for name in start_methods():
        process_startup.append(measure_process_startup(name, repeat=process_repeat))
        say(f"process start-up {name}: done")

    workloads = make_workloads(
        _QUICK_WORKLOADS if quick else _FULL_WORKLOADS, budget=budget, workers=workers
    )
    runners, rows = _load_runners(names, workers, method)
    for row in rows:
        if row.status != "ok":
            say(f"{row.name}: skipped, {row.reason}")
    pool_startup, results, records = _measure_pools_and_grid(
        runners, workloads, repeat, pool_repeat, say
    )
    return Report(
        schema=SCHEMA,
        mode="quick" if quick else "default",
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        duration_s=time.perf_counter() - began,
        machine=machine_info(),
        load_average_before=load_before,
        load_average_after=_load_average(),
        settings=Settings(
            workers=workers, budget_s=budget, repeat=repeat, max_tasks=MAX_TASKS,
            process_startup_repeat=process_repeat, pool_startup_repeat=pool_repeat,
            warm_calls=WARM_CALLS,
        ),
        implementations=tuple(rows),
        workloads=tuple(records),
        process_startup=tuple(process_startup),
        pool_startup=tuple(pool_startup),
        results=tuple(results),
    )


# --------------------------------------------------------------------------- printing


def _spread_text(times: Sequence[float]) -> str:
    """The spread as a percentage, or ``-`` for a single time, which has none."""
    return f"{spread(times):.0%}" if len(times) > 1 else "-"


def _speedup_text(report: Report, result: Result) -> str:
    return "noise" if report.is_noise(result) else f"{report.speedup(result):.2f}x"


def _machine_lines(report: Report) -> list[str]:
    machine, settings = report.machine, report.settings
    if machine.smt_siblings is None:
        smt = "SMT siblings unknown"
    else:
        smt = "some are SMT siblings" if machine.smt_siblings else "no two are SMT siblings"
    physical = "?" if machine.physical_cores is None else machine.physical_cores
    load = report.load_average_before
    virtual = " (virtual machine)" if machine.virtual else ""
    lines = [
        f"CPU: {machine.cpu_model}{virtual}; {machine.cpus}; {physical} physical cores; "
        f"of the usable CPUs, {smt}",
        f"Python: {machine.python_implementation} {machine.python_version} on "
        f"{machine.system} {machine.machine}, default start method {machine.start_method}, "
        f"GIL {'enabled' if machine.gil_enabled else 'disabled'}",
        f"Run: {report.mode} mode on {report.created}, {settings.workers} workers, "
        f"{settings.repeat} rounds per cell, took {format_seconds(report.duration_s)}",
    ]
    if load is not None and report.load_average_after is not None:
        lines.append(f"Load average (1 min): {load[0]:.2f} before, "
                     f"{report.load_average_after[0]:.2f} after")
    return lines


def format_report(report: Report) -> str:
    """Return the report as the text the command line prints: a header and tables."""
    parts = _machine_lines(report)
    for row in report.implementations:
        if row.status != "ok":
            parts.append(f"Skipped {row.name}: {row.reason}")
    parts += ["", "Process start-up (start + join of a no-op Process)"]
    parts.append(str(Table(
        ["start method", "first", "best", "median", "spread"],
        [[p.start_method, format_seconds(p.first_s), format_seconds(min(p.times_s)),
          format_seconds(statistics.median(p.times_s)), _spread_text(p.times_s)]
         for p in report.process_startup])))
    if report.pool_startup:
        parts += ["", "Pool start-up (create, one no-op task per worker), warm call, "
                  "shutdown (medians)"]
        parts.append(str(Table(
            ["implementation", "start method", "start-up", "warm call", "spread", "shutdown"],
            [[p.implementation, p.start_method or "-",
              format_seconds(statistics.median(p.startup_s)),
              format_seconds(statistics.median(p.warm_call_s)), _spread_text(p.warm_call_s),
              format_seconds(statistics.median(p.shutdown_s))]
             for p in report.pool_startup], left=2)))
    noise = False
    for workload in report.workloads:
        others = ("" if workload.others_cpus is None
                  else f"; other programs used {workload.others_cpus:.2f} CPUs")
        parts += ["", f"{workload.name} ({workload.description}): {workload.tasks} tasks "
                  f"of {format_seconds(workload.measured_s)} each{others}"]
        rows = []
        for r in report.results_for(workload.name):
            noise = noise or report.is_noise(r)
            rows.append([
                r.implementation, r.workers, r.policy + (" (default)" if r.library_default
                                                         and r.chunking is not Chunking.NONE
                                                         else ""),
                format_seconds(r.best_s), format_seconds(r.median_s), _spread_text(r.times_s),
                _speedup_text(report, r),
            ])
        parts.append(str(Table(
            ["implementation", "workers", "tasks per message", "best", "median", "spread",
             "speed-up"], rows)))
    parts += ["", "speed-up: the median over the rounds of the plain loop's time over the "
              "implementation's in the same round; "
              "spread: (slowest - fastest) / median of the rounds"]
    if noise:
        parts.append("noise: a median speed-up above what the workers and the usable CPUs "
                     "allow, which only a disturbed measurement gives; run again, with more "
                     "--repeat")
    return "\n".join(parts)


# --------------------------------------------------------------------------- command line


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or math.isinf(value):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in _RUNNERS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown implementation(s) {unknown or text!r}; choose from "
            f"{','.join(IMPLEMENTATIONS)}")
    return names


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mpworkers.lab.bench",
        description="Time sequential code, threads, multiprocessing.Pool, "
        "ProcessPoolExecutor, loky, joblib and mpire on the same workloads.",
    )
    parser.add_argument("--workers", type=_positive_int, default=None,
                        help="workers per pool (default: the usable cores, "
                        f"{usable_cores()} here)")
    parser.add_argument("--quick", action="store_true",
                        help="a short run: three workloads, three rounds, small task counts")
    parser.add_argument("--json", metavar="PATH", help="also write the report as JSON to PATH")
    parser.add_argument("--budget", type=_positive_float, default=None, metavar="SECONDS",
                        help=f"sequential work per workload (default {DEFAULT_BUDGET}, "
                        f"quick {QUICK_BUDGET})")
    parser.add_argument("--repeat", type=_positive_int, default=None,
                        help=f"timed rounds per cell, all stored (default {DEFAULT_REPEAT}, "
                        f"quick {QUICK_REPEAT})")
    parser.add_argument("--only", type=_names, default=None, metavar="NAMES",
                        help="comma-separated implementations to run "
                        f"({','.join(IMPLEMENTATIONS)}); sequential always runs")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress lines on stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark from the command line; return the exit status.

    Args:
        argv: the arguments, without the program name; default ``sys.argv[1:]``.
    """
    args = _parser().parse_args(argv)
    report = run_benchmark(
        workers=args.workers, quick=args.quick, budget=args.budget, repeat=args.repeat,
        implementations=args.only, progress=None if args.quiet else sys.stderr,
    )
    print(format_report(report))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report.to_dict(), f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
