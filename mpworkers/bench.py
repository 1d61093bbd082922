"""A benchmark readers can run: pools, executors and their alternatives, side by side.

Run it from a shell::

    python -m mpworkers.bench                  # full run: about 1.5 minutes on 2 cores
    python -m mpworkers.bench --quick          # a few seconds, for a first look
    python -m mpworkers.bench --json out.json  # also store every figure as JSON
    python -m mpworkers.bench --help           # the other options

It times the same workloads with each implementation:

* ``sequential``: a plain loop, the baseline every speed-up refers to;
* ``threads``: ``concurrent.futures.ThreadPoolExecutor``;
* ``pool``: ``multiprocessing.Pool``;
* ``process-pool``: ``concurrent.futures.ProcessPoolExecutor``;
* ``loky``: ``loky.get_reusable_executor()``;
* ``joblib``: ``joblib.Parallel(n_jobs=..., backend="loky")``;
* ``mpire``: ``mpire.WorkerPool(..., keep_alive=True)``.

The last three are imported only when they run; one that is not installed is
recorded as skipped, with the reason, and the others run as usual.
``multiprocessing.Pool``, ``ProcessPoolExecutor`` and mpire use the default
start method of the process that runs the benchmark; loky and joblib use
loky's own, which starts every worker as a fresh interpreter (fork + exec on
POSIX).

How it measures, and why:

* **Warm pools.** Each implementation's workers are started, and given a
  round of no-op tasks, *before* the timed region; every cell of the grid is
  the best of ``repeat`` timed calls of ``map`` over the same tasks. The
  grid therefore shows what a long-running program pays per batch of tasks.
  What a one-shot ``with Pool() as pool:`` pays on top is measured apart, in
  the pool start-up table: from creating the pool to the results of one
  no-op task per worker (``startup_s``), a second such call on the running
  pool (``warm_call_s``) and the shutdown (``shutdown_s``).
* **Round robin.** The repeats of a workload run every cell once, then every
  cell again, so that a disturbance from another program spreads over all
  the cells instead of spoiling one implementation. The share of the CPUs
  that other programs used during each workload is measured (with
  ``psutil``) and stored with it, as is the load average before and after.
  All the pools stay open during the grid, so with the ``fork`` start method
  some of them fork while others' threads run: Python 3.12 and newer then
  issue a ``DeprecationWarning`` (hidden by the default warning filters), as
  for any program that uses several such pools at once.
* **Tasks sized by time, counts sized by a budget.**
  :func:`~mpworkers.workloads.spin` tasks are sized with
  :func:`~mpworkers.workloads.calibrate_spin` to take about 10 us to 30 ms
  each; a GIL-releasing task (:func:`~mpworkers.workloads.hash_bytes`) and a
  waiting task (:func:`~mpworkers.workloads.wait`) of about 1 ms complete the
  grid. Each workload gets as many tasks as fit in ``budget`` seconds of
  sequential work, at most :data:`MAX_TASKS` and at least eight per worker
  (so the largest tasks take longer on a machine with many cores), and every
  implementation runs the same tasks. The time a task really took is
  measured by the sequential run and stored beside the nominal one.
* **Chunking.** Where an implementation can send several tasks per message,
  it runs twice: one task per message (``"1"``) and ``"auto"``: for ``Pool``
  its own default (``len / (4 * workers)``, rounded up), the same formula
  passed explicitly to ``ProcessPoolExecutor`` and loky (whose default is
  1), joblib's adaptive auto-batching, and mpire's default (about
  ``len / (64 * workers)``).
* **Process start-up.** For each start method that
  ``multiprocessing.get_all_start_methods()`` lists, the time to ``start()``
  and ``join()`` a ``Process`` running a no-op: the first one apart
  (``forkserver`` starts its server then) and the minimum and median of the
  following ones.

Every result is checked against the sequential one, so an implementation
that returned wrong or reordered results would stop the run. Timings are
reported, never asserted: a busy machine makes them slower, and that is all.
"""

from __future__ import annotations

import argparse
import concurrent.futures
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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar, TextIO

from mpworkers._validate import check_int, check_real
from mpworkers.basics import noop
from mpworkers.machine import best_time, gil_enabled, usable_cores
from mpworkers.report import format_seconds
from mpworkers.workloads import calibrate_spin, hash_bytes, spin, wait

__all__ = [
    "IMPLEMENTATIONS",
    "MAX_TASKS",
    "SCHEMA",
    "Workload",
    "auto_chunksize",
    "check_report",
    "cpu_model",
    "format_report",
    "format_seconds",
    "machine_info",
    "main",
    "make_workloads",
    "measure_process_startup",
    "run_benchmark",
]

#: Identifies the layout of the report; it changes when the layout does.
SCHEMA = "mpworkers.bench/1"

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

#: The most tasks one workload gets, however short its tasks are.
MAX_TASKS = 2000

#: Size of the buffer that the GIL-releasing workload hashes, in bytes.
HASH_BUFFER = 65536

DEFAULT_BUDGET = 0.25
DEFAULT_REPEAT = 5
QUICK_BUDGET = 0.04
QUICK_REPEAT = 1

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
    ("spin", 10e-3),
    ("wait", 1e-3),
)
_KINDS = {
    "spin": "CPU-bound pure Python, holds the GIL",
    "hash": "CPU-bound in C, releases the GIL",
    "wait": "waits (sleeps), uses no CPU",
}


def auto_chunksize(tasks: int, workers: int) -> int:
    """Return the chunk size ``multiprocessing.Pool.map`` picks by default (at least 1).

    ``Pool.map`` splits the tasks into about four chunks per worker:
    ``ceil(tasks / (4 * workers))``. The benchmark passes the same value to
    ``ProcessPoolExecutor.map`` and loky, whose default chunk size is 1.

    >>> auto_chunksize(100, 2)
    13

    Raises:
        TypeError: if an argument is not an int.
        ValueError: if ``tasks`` < 0 or ``workers`` < 1.
    """
    check_int("tasks", tasks, minimum=0)
    check_int("workers", workers, minimum=1)
    return max(1, -(-tasks // (4 * workers)))


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


def _library_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages, where the platform has them."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def machine_info() -> dict[str, Any]:
    """Describe the machine and the Python that measure, as stored in the report."""
    return {
        "cpu_model": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cores": usable_cores(),
        "python_implementation": platform.python_implementation(),
        "python_version": platform.python_version(),
        "system": platform.system(),
        "machine": platform.machine(),
        "start_method": multiprocessing.get_start_method(),
        "start_methods": multiprocessing.get_all_start_methods(),
        "gil_enabled": gil_enabled(),
        "libraries": {name: _library_version(name) for name in ("loky", "joblib", "mpire")},
    }


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
    best = best_time(hash_bytes, HASH_BUFFER, probe, repeat=3)
    return max(1, round(probe * seconds / best))


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
    chunkings: ClassVar[tuple[str | None, ...]] = ("1", "auto")

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

    def map(self, func: Callable[[Any], Any], args: list[Any], chunking: str | None) -> list[Any]:
        raise NotImplementedError

    def close(self) -> None:
        """Shut the pool down and wait for its workers to exit."""

    def chunksize(self, chunking: str | None, tasks: int) -> int | None:
        """The tasks per message, where every message carries the same number."""
        if chunking == "1":
            return 1
        if chunking == "auto":
            return auto_chunksize(tasks, self.workers)
        return None

    def messages(self, chunking: str | None, tasks: int) -> int | None:
        """How many messages carry the tasks to the workers, where it is known in advance."""
        size = self.chunksize(chunking, tasks)
        return None if size is None else -(-tasks // size)


class _Sequential(_Runner):
    name = "sequential"
    chunkings = (None,)

    def start_method(self) -> str | None:
        return None

    def map(self, func: Callable[[Any], Any], args: list[Any], chunking: str | None) -> list[Any]:
        return [func(a) for a in args]


class _Threads(_Runner):
    name = "threads"
    chunkings = ("1",)  # ThreadPoolExecutor.map ignores chunksize

    def start_method(self) -> str | None:
        return None

    def open(self) -> None:
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=self.workers)

    def map(self, func: Callable[[Any], Any], args: list[Any], chunking: str | None) -> list[Any]:
        return list(self.executor.map(func, args))

    def close(self) -> None:
        self.executor.shutdown(wait=True)


class _Pool(_Runner):
    name = "pool"

    def open(self) -> None:
        context = multiprocessing.get_context(self.method)
        self.pool: multiprocessing.pool.Pool = context.Pool(self.workers)

    def map(self, func: Callable[[Any], Any], args: list[Any], chunking: str | None) -> list[Any]:
        return self.pool.map(func, args, chunksize=1 if chunking == "1" else None)

    def close(self) -> None:
        self.pool.close()
        self.pool.join()


class _ProcessPool(_Runner):
    name = "process-pool"

    def open(self) -> None:
        context = multiprocessing.get_context(self.method)
        self.executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context
        )

    def map(self, func: Callable[[Any], Any], args: list[Any], chunking: str | None) -> list[Any]:
        size = self.chunksize(chunking, len(args)) or 1
        return list(self.executor.map(func, args, chunksize=size))

    def close(self) -> None:
        self.executor.shutdown(wait=True)


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

    def start_method(self) -> str | None:
        return "loky"

    def chunksize(self, chunking: str | None, tasks: int) -> int | None:
        return 1 if chunking == "1" else None  # "auto" adapts while it runs

    def map(self, func: Callable[[Any], Any], args: list[Any], chunking: str | None) -> list[Any]:
        joblib = self.mod
        parallel = joblib.Parallel(
            n_jobs=self.workers, backend="loky", batch_size=1 if chunking == "1" else "auto"
        )
        return list(parallel(joblib.delayed(func)(a) for a in args))

    def close(self) -> None:
        # joblib keeps its loky executor for the next Parallel call. Asking
        # joblib's loky for a default executor replaces joblib's (the arguments
        # differ, so it shuts joblib's down); shutting that one down leaves none.
        executor = importlib.import_module("joblib.externals.loky").get_reusable_executor()
        executor.shutdown(wait=True)


class _Mpire(_Runner):
    name = "mpire"
    library = "mpire"

    def chunksize(self, chunking: str | None, tasks: int) -> int | None:
        # "auto" makes 64 chunks per worker, whose sizes differ by one when
        # the tasks do not divide evenly
        if chunking == "1":
            return 1
        size, extra = divmod(tasks, 64 * self.workers)
        return max(1, size) if extra == 0 or size == 0 else None

    def messages(self, chunking: str | None, tasks: int) -> int | None:
        return tasks if chunking == "1" else min(tasks, 64 * self.workers)

    def open(self) -> None:
        # keep_alive=True keeps the workers between map calls (the default
        # starts fresh workers for every map).
        self.pool = self.mod.WorkerPool(
            n_jobs=self.workers, start_method=self.method, keep_alive=True
        )

    def map(self, func: Callable[[Any], Any], args: list[Any], chunking: str | None) -> list[Any]:
        return list(self.pool.map(func, args, chunk_size=1 if chunking == "1" else None))

    def close(self) -> None:
        self.pool.stop_and_join()


_RUNNERS: dict[str, type[_Runner]] = {
    cls.name: cls
    for cls in (_Sequential, _Threads, _Pool, _ProcessPool, _Loky, _Joblib, _Mpire)
}


# --------------------------------------------------------------------------- measuring


def measure_process_startup(method: str, *, repeat: int = 5) -> dict[str, Any]:
    """Time ``start()`` plus ``join()`` of a no-op :class:`multiprocessing.Process`.

    The first start is timed apart (with ``forkserver`` it also starts the
    server); then ``repeat`` more give the minimum and the median.

    Raises:
        ValueError: if ``method`` is not a start method of this platform or ``repeat`` < 1.
    """
    if method not in multiprocessing.get_all_start_methods():
        raise ValueError(
            f"start method {method!r} is not available here; "
            f"choose from {multiprocessing.get_all_start_methods()}"
        )
    check_int("repeat", repeat, minimum=1)
    context: Any = multiprocessing.get_context(method)  # typeshed's BaseContext lacks Process

    def once() -> float:
        start = time.perf_counter()
        process = context.Process(target=noop)
        process.start()
        process.join()
        elapsed = time.perf_counter() - start
        if process.exitcode != 0:
            raise RuntimeError(f"a no-op process under {method} exited with {process.exitcode}")
        return elapsed

    first = once()
    times = [once() for _ in range(repeat)]
    return {
        "start_method": method,
        "first_s": first,
        "min_s": min(times),
        "median_s": statistics.median(times),
        "repeat": repeat,
    }


def _cpu_clock() -> tuple[float, float] | None:
    """Return (busy CPU seconds of the whole machine, CPU seconds of this process tree).

    Both are running totals: the difference between two readings, divided
    by the wall time and the number of CPUs, gives the share of the machine
    that other programs used in between. ``None`` without :mod:`psutil`.
    """
    try:
        psutil = importlib.import_module("psutil")
    except ImportError:  # pragma: no cover - psutil is a dependency of mpworkers
        return None
    machine = psutil.cpu_times()
    # idle and iowait are the only times no program ran (guest times are
    # already counted in user and nice); steal is time the hypervisor gave
    # to another machine, which disturbs a measurement as much.
    busy = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
    busy -= getattr(machine, "guest", 0.0) + getattr(machine, "guest_nice", 0.0)
    me = psutil.Process()
    own = sum(me.cpu_times()[:4])  # user, system, reaped children's user and system
    for child in me.children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:
            continue
        own += times.user + times.system
    return busy, own


def _foreign_share(
    before: tuple[float, float] | None, after: tuple[float, float] | None, wall: float
) -> float | None:
    if before is None or after is None or wall <= 0:
        return None
    foreign = (after[0] - before[0]) - (after[1] - before[1])
    return round(min(1.0, max(0.0, foreign / (wall * (os.cpu_count() or 1)))), 3)


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = call()
    return time.perf_counter() - start, value


def _pool_startup(runner: _Runner, repeat: int) -> dict[str, Any]:
    noop_args = list(range(runner.workers))
    startups, warm_calls, shutdowns = [], [], []
    for _ in range(repeat):
        start = time.perf_counter()
        runner.open()
        try:
            runner.map(noop, noop_args, "1")
            startups.append(time.perf_counter() - start)
            warm_calls.append(min(_timed(lambda: runner.map(noop, noop_args, "1"))[0]
                                  for _ in range(3)))
        finally:
            shutdowns.append(_timed(runner.close)[0])
    return {
        "implementation": runner.name,
        "start_method": runner.start_method(),
        "startup_s": min(startups),
        "warm_call_s": min(warm_calls),
        "shutdown_s": min(shutdowns),
        "repeat": repeat,
    }


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
    if budget == 0:
        raise ValueError("budget must be > 0")
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


def run_benchmark(
    *,
    workers: int | None = None,
    quick: bool = False,
    budget: float | None = None,
    repeat: int | None = None,
    implementations: Sequence[str] | None = None,
    progress: TextIO | None = None,
) -> dict[str, Any]:
    """Run the benchmark and return its report, a JSON-serialisable dict.

    Args:
        workers: worker processes or threads per pool; default
            :func:`~mpworkers.machine.usable_cores`.
        quick: a short run (three workloads, one repeat, small budget) for a first look.
        budget: seconds of sequential work per workload, which set the task counts
            (default 0.25, quick 0.04).
        repeat: timed calls per cell, of which the best counts (default 5, quick 1).
        implementations: names from :data:`IMPLEMENTATIONS` to run (``sequential``
            always runs: it is the baseline); default all of them.
        progress: a stream to write a line to after each step (start-up
            measurements, each workload), or ``None`` for silence.

    Returns:
        A dict that :func:`check_report` accepts, with these keys:

        * ``schema`` (:data:`SCHEMA`), ``mode`` (``"default"`` or ``"quick"``),
          ``duration_s``;
        * ``machine``: CPU model, logical CPUs, usable cores, Python, system,
          start methods, GIL, versions of loky, joblib and mpire;
        * ``load_average``: ``before`` and ``after`` the run (or ``None``);
        * ``settings``: workers, budget, repeats, task cap;
        * ``implementations``: per implementation its ``status`` (``"ok"`` or
          ``"skipped"``), the ``reason`` for a skip, ``version`` and ``start_method``;
        * ``workloads``: ``name``, ``kind``, ``nominal_s`` and ``measured_s``
          (one task's time in the sequential run), ``tasks``, and
          ``foreign_cpu_share``, the share of the CPUs other programs used;
        * ``process_startup``: per start method ``first_s``, ``min_s``, ``median_s``;
        * ``pool_startup``: per implementation ``startup_s``, ``warm_call_s``,
          ``shutdown_s``;
        * ``results``: per workload, implementation and ``chunking`` (``None``,
          ``"1"`` or ``"auto"``): ``chunksize`` and ``messages`` where known
          in advance, ``tasks``, ``wall_s``, ``throughput`` (tasks per
          second), ``speedup`` over sequential and ``efficiency``
          (speed-up per worker).

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``workers`` < 1, ``budget`` <= 0, ``repeat`` < 1 or an
            implementation is unknown.
    """
    workers, budget, repeat, names = _resolve(workers, budget, repeat, implementations, quick)
    began = time.perf_counter()
    load_before = _load_average()
    method = multiprocessing.get_start_method()

    def say(line: str) -> None:
        if progress is not None:
            print(line, file=progress, flush=True)

    startup_repeat = 2 if quick else 10
    process_startup = []
    for name in multiprocessing.get_all_start_methods():
        row = measure_process_startup(name, repeat=startup_repeat)
        process_startup.append(row)
        say(f"process start-up {name}: {format_seconds(row['median_s'])}")

    workloads = make_workloads(
        _QUICK_WORKLOADS if quick else _FULL_WORKLOADS, budget=budget, workers=workers
    )
    pool_repeat = 1 if quick else 3
    impl_rows: list[dict[str, Any]] = []
    pool_startup: list[dict[str, Any]] = []
    runners: list[_Runner] = []
    for name in names:
        runner = _RUNNERS[name](workers, method)
        try:
            runner.load()
        except ImportError as exc:
            reason = f"{runner.library} is not installed ({type(exc).__name__}: {exc})"
            impl_rows.append({"name": name, "status": "skipped", "reason": reason,
                              "version": None, "start_method": runner.start_method()})
            say(f"{name}: skipped, {reason}")
            continue
        impl_rows.append({
            "name": name, "status": "ok", "reason": None,
            "version": _library_version(runner.library) if runner.library else None,
            "start_method": runner.start_method(),
        })
        runners.append(runner)
        if name != "sequential":
            row = _pool_startup(runner, pool_repeat)
            pool_startup.append(row)
            say(f"pool start-up {name}: {format_seconds(row['startup_s'])}")

    best: dict[tuple[str, str, str | None], float] = {}
    baseline: dict[str, list[Any]] = {}
    foreign: dict[str, float | None] = {}
    opened: list[_Runner] = []
    try:
        # Pools that fork open first, before the others start their threads.
        for runner in sorted(runners, key=lambda r: r.start_method() == "loky"
                             or r.name == "threads"):
            runner.open()
            opened.append(runner)
            runner.map(noop, list(range(4 * workers)), "1")  # warm-up, not timed
        # Round robin: each repeat runs every cell once, so that a disturbance
        # (another program, a frequency change) spreads over all the cells of
        # a workload instead of spoiling one implementation; the best counts.
        for workload in workloads:
            args = workload.args()
            row_began, clock = time.perf_counter(), _cpu_clock()
            for _ in range(repeat):
                for runner in runners:
                    for chunking in runner.chunkings:
                        elapsed, values = _timed(
                            functools.partial(runner.map, workload.func, args, chunking))
                        if runner.name == "sequential":
                            baseline[workload.name] = values
                        elif values != baseline[workload.name]:
                            raise RuntimeError(
                                f"{runner.name} returned wrong results for {workload.name}")
                        key = (workload.name, runner.name, chunking)
                        best[key] = min(best.get(key, math.inf), elapsed)
            foreign[workload.name] = _foreign_share(
                clock, _cpu_clock(), time.perf_counter() - row_began)
            say(f"{workload.name}: done")
    finally:
        for runner in reversed(opened):
            runner.close()

    results: list[dict[str, Any]] = []
    for workload in workloads:
        sequential = best[(workload.name, "sequential", None)]
        for runner in runners:
            for chunking in runner.chunkings:
                wall = best[(workload.name, runner.name, chunking)]
                results.append({
                    "workload": workload.name,
                    "implementation": runner.name,
                    "chunking": chunking,
                    "chunksize": runner.chunksize(chunking, workload.tasks),
                    "messages": runner.messages(chunking, workload.tasks),
                    "tasks": workload.tasks,
                    "wall_s": wall,
                    "throughput": workload.tasks / wall,
                    "speedup": sequential / wall,
                    "efficiency": sequential / wall / workers,
                })

    workload_rows = [{
        "name": w.name, "kind": w.kind, "description": _KINDS[w.kind],
        "nominal_s": w.nominal_s,
        "measured_s": best[(w.name, "sequential", None)] / w.tasks,
        "tasks": w.tasks, "foreign_cpu_share": foreign[w.name],
    } for w in workloads]
    return {
        "schema": SCHEMA,
        "mode": "quick" if quick else "default",
        "duration_s": time.perf_counter() - began,
        "machine": machine_info(),
        "load_average": {"before": load_before, "after": _load_average()},
        "settings": {
            "workers": workers, "budget_s": budget, "repeat": repeat,
            "max_tasks": MAX_TASKS, "process_startup_repeat": startup_repeat,
            "pool_startup_repeat": pool_repeat,
        },
        "implementations": impl_rows,
        "workloads": workload_rows,
        "process_startup": process_startup,
        "pool_startup": pool_startup,
        "results": results,
    }


# --------------------------------------------------------------------------- checking and printing

_REPORT_KEYS = {
    "schema": str, "mode": str, "duration_s": float, "machine": dict, "settings": dict,
    "implementations": list, "workloads": list, "process_startup": list,
    "pool_startup": list, "results": list,
}
_ROW_KEYS: dict[str, dict[str, Any]] = {
    "implementations": {"name": str, "status": str},
    "workloads": {"name": str, "kind": str, "nominal_s": float, "measured_s": float,
                  "tasks": int},
    "process_startup": {"start_method": str, "first_s": float, "min_s": float,
                        "median_s": float},
    "pool_startup": {"implementation": str, "startup_s": float, "warm_call_s": float,
                     "shutdown_s": float},
    "results": {"workload": str, "implementation": str, "tasks": int, "wall_s": float,
                "throughput": float, "speedup": float, "efficiency": float},
}
# keys of a result whose value may also be None
_NULLABLE_RESULT_KEYS = {"chunking": str, "chunksize": int, "messages": int}
_MACHINE_KEYS = {"cpu_model": str, "usable_cores": int, "python_version": str,
                 "start_method": str, "libraries": dict}


def _check_keys(where: str, mapping: Any, keys: dict[str, Any]) -> None:
    if not isinstance(mapping, dict):
        raise ValueError(f"{where} must be a dict, got {type(mapping).__name__}")
    for key, kind in keys.items():
        if key not in mapping:
            raise ValueError(f"{where} lacks the key {key!r}")
        value = mapping[key]
        ok = isinstance(value, (int, float)) if kind is float else isinstance(value, kind)
        if not ok or (kind is not bool and isinstance(value, bool)):
            raise ValueError(f"{where}[{key!r}] must be {kind.__name__}, got {value!r}")


def check_report(report: Any) -> None:
    """Check that ``report`` has the layout :func:`run_benchmark` produces; raise if not.

    It checks keys and types, that every implementation that ran has a result
    for every workload, and that every time is positive. It never checks how
    fast anything was.

    Raises:
        ValueError: naming the first thing that is missing or wrong.
    """
    _check_keys("report", report, _REPORT_KEYS)
    if report["schema"] != SCHEMA:
        raise ValueError(f"report schema is {report['schema']!r}, expected {SCHEMA!r}")
    _check_keys("report['machine']", report["machine"], _MACHINE_KEYS)
    for section, keys in _ROW_KEYS.items():
        for i, row in enumerate(report[section]):
            _check_keys(f"report[{section!r}][{i}]", row, keys)
    for i, row in enumerate(report["results"]):
        where = f"report['results'][{i}]"
        present = {k: v for k, v in _NULLABLE_RESULT_KEYS.items() if row.get(k) is not None}
        missing = [k for k in _NULLABLE_RESULT_KEYS if k not in row]
        if missing:
            raise ValueError(f"{where} lacks the key {missing[0]!r}")
        _check_keys(where, row, present)
    ran = [r["name"] for r in report["implementations"] if r["status"] == "ok"]
    if "sequential" not in ran:
        raise ValueError("the sequential baseline did not run")
    for row in report["implementations"]:
        if row["status"] not in ("ok", "skipped"):
            raise ValueError(f"unknown status {row['status']!r} of {row['name']}")
        if row["status"] == "skipped" and not row.get("reason"):
            raise ValueError(f"{row['name']} is skipped without a reason")
    for workload in report["workloads"]:
        for name in ran:
            if not any(r["workload"] == workload["name"] and r["implementation"] == name
                       for r in report["results"]):
                raise ValueError(f"no result for {name} on {workload['name']}")
    for section, key in (("results", "wall_s"), ("process_startup", "median_s"),
                         ("pool_startup", "startup_s")):
        for row in report[section]:
            if not row[key] > 0:
                raise ValueError(f"{section}: {key} must be > 0, got {row[key]!r}")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=False)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))))
    return "\n".join(lines)


def format_report(report: dict[str, Any]) -> str:
    """Return the report as the text tables the command line prints."""
    machine, settings = report["machine"], report["settings"]
    parts = [
        f"CPU: {machine['cpu_model']}, {machine['usable_cores']} usable cores "
        f"({machine['logical_cpus']} logical CPUs)",
        f"Python: {machine['python_implementation']} {machine['python_version']} on "
        f"{machine['system']} {machine['machine']}, default start method "
        f"{machine['start_method']}, GIL {'enabled' if machine['gil_enabled'] else 'disabled'}",
        f"Run: {report['mode']} mode, {settings['workers']} workers, best of "
        f"{settings['repeat']}, took {format_seconds(report['duration_s'])}",
    ]
    skipped = [r for r in report["implementations"] if r["status"] != "ok"]
    for row in skipped:
        parts.append(f"Skipped {row['name']}: {row['reason']}")
    parts += ["", "Process start-up (start + join of a no-op Process)"]
    parts.append(_table(
        ["start method", "first", "min", "median"],
        [[r["start_method"], format_seconds(r["first_s"]), format_seconds(r["min_s"]),
          format_seconds(r["median_s"])] for r in report["process_startup"]]))
    if report["pool_startup"]:
        parts += ["", "Pool start-up (create, one no-op task per worker), warm call, shutdown"]
        parts.append(_table(
            ["implementation", "start method", "start-up", "warm call", "shutdown"],
            [[r["implementation"], r["start_method"] or "-", format_seconds(r["startup_s"]),
              format_seconds(r["warm_call_s"]), format_seconds(r["shutdown_s"])]
             for r in report["pool_startup"]]))
    for workload in report["workloads"]:
        share = workload.get("foreign_cpu_share")
        busy = "" if share is None else f"; other programs used {share:.0%} of the CPUs"
        parts += ["", f"{workload['name']} ({workload['description']}): {workload['tasks']} "
                  f"tasks of {format_seconds(workload['measured_s'])} each{busy}"]
        rows = [r for r in report["results"] if r["workload"] == workload["name"]]
        parts.append(_table(
            ["implementation", "chunks", "wall", "tasks/s", "speed-up"],
            [[r["implementation"], r["chunking"] or "-", format_seconds(r["wall_s"]),
              f"{r['throughput']:.0f}", f"{r['speedup']:.2f}x"] for r in rows]))
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
        prog="python -m mpworkers.bench",
        description="Time sequential code, threads, multiprocessing.Pool, "
        "ProcessPoolExecutor, loky, joblib and mpire on the same workloads.",
    )
    parser.add_argument("--workers", type=_positive_int, default=None,
                        help="workers per pool (default: the usable cores, "
                        f"{usable_cores()} here)")
    parser.add_argument("--quick", action="store_true",
                        help="a short run: three workloads, one repeat, small task counts")
    parser.add_argument("--json", metavar="PATH", help="also write the report as JSON to PATH")
    parser.add_argument("--budget", type=_positive_float, default=None, metavar="SECONDS",
                        help=f"sequential work per workload (default {DEFAULT_BUDGET}, "
                        f"quick {QUICK_BUDGET})")
    parser.add_argument("--repeat", type=_positive_int, default=None,
                        help=f"timed calls per cell, best counts (default {DEFAULT_REPEAT}, "
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
            json.dump(report, f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
