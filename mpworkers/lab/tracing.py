"""Record which worker ran which task, and when: the recording side of a timeline.

:func:`trace_map` runs a function over an iterable through a
``multiprocessing.Pool`` (or ``ThreadPool``), a ``ProcessPoolExecutor`` or a
``ThreadPoolExecutor`` and returns a :class:`~mpworkers.lab.traces.Trace`:
one :class:`~mpworkers.lab.traces.TaskRecord` per task, saying which worker
ran it, when it started and ended, how much CPU time it used, and when its
result reached the caller.
:func:`~mpworkers.lab.traces.plot_timeline` draws a trace as a Gantt chart,
one row per worker. What a trace holds and says, and how it is drawn, live in
:mod:`mpworkers.lab.traces`; those names can be imported from here too.

How it works: :class:`TracedCall` wraps the function. It is a top-level class
whose instances hold only a reference to the function, so they pickle under
every start method (the function must itself be importable, as for any pool
task). In the worker it reads the clock before and after the call and returns
``(result, raw record)``, the record as a plain tuple of six ints, which
pickles faster than any class instance; :func:`trace_map` unwraps the pairs
in the parent and makes :class:`~mpworkers.lab.traces.TaskRecord` objects of the tuples.
Workers are identified by ``(process id, thread id)`` and numbered 0, 1, 2,
... in the order in which they started their first task, so that what you
print or draw from a trace need not show a raw process id.

The clock: a timeline needs time stamps that can be compared between
processes, so every time stamp, in the workers and in the parent alike, comes
from one clock, :data:`clock_ns`, named by :data:`CLOCK`:

* ``time.monotonic_ns()`` everywhere except on Windows before Python 3.13.
  The Python documentation calls ``time.monotonic()`` system-wide (always
  since 3.5; on macOS since 3.10), and it cannot go backwards. It reads
  ``CLOCK_MONOTONIC`` on Linux, ``mach_absolute_time()`` on macOS and, from
  3.13, ``QueryPerformanceCounter()`` on Windows.
* ``time.perf_counter_ns()`` on Windows with Python 3.10 to 3.12. There
  ``time.monotonic()`` reads ``GetTickCount64()``, which ticks every 15.6 ms
  or so: coarser than the tasks a chapter traces. ``time.perf_counter()``
  reads ``QueryPerformanceCounter()`` (microsecond resolution) and has been
  system-wide on Windows since 3.10; from 3.13 it is the same clock as
  ``time.monotonic()``.

``time.time_ns()`` is shared too, but it is the adjustable wall clock: NTP or
an administrator can step it, even backwards, in the middle of a run. The CPU
time of each task is ``time.thread_time_ns()``, the CPU time of the thread
that ran it.

Overhead, measured with the first version of :func:`measure_overhead`
(which kept the best of 9 runs of each, where it now reports every round)
on the course's 2-core Linux machine (CPython 3.11, 400 tasks of 1 ms on 2
workers, ``Pool.map`` with ``chunksize`` 1 and 10 and
``ProcessPoolExecutor.map``, under ``fork``, ``spawn`` and ``forkserver``,
27 measurements): a traced run
took a median 0.8% longer than the same run untraced; single measurements
ranged from -4% to +8%, because that machine was shared with other jobs and
its noise is larger than the cost. The target is at most 5%. The cost
itself: the wrapper adds about 1 us per call in the worker (two clock
readings, two CPU-time readings), each result travels about 40 bytes
larger, and building the trace takes about 2 us per task in the caller,
after the last result is in (so it is not part of ``Trace.wall``).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing.pool
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Literal

from mpworkers._validate import check_int, check_real, check_str
from mpworkers.lab.timing import Timings, alternate

# what a trace holds and how it is drawn live in mpworkers.lab.traces; the
# names are reachable from here too, as the chapters import them
from mpworkers.lab.traces import RawRecord as RawRecord
from mpworkers.lab.traces import TaskRecord as TaskRecord
from mpworkers.lab.traces import Trace as Trace
from mpworkers.lab.traces import plot_timeline as plot_timeline
from mpworkers.workloads import spin_for

__all__ = [
    "CLOCK",
    "EXECUTOR_METHODS",
    "POOL_METHODS",
    "TracedCall",
    "best_trace",
    "clock_ns",
    "measure_overhead",
    "trace_map",
    "warm_up",
]


def _pick_clock() -> tuple[str, Callable[[], int]]:
    """The trace clock for this platform and Python (see the module's docstring)."""
    if sys.platform == "win32" and sys.version_info < (3, 13):
        # time.monotonic() reads GetTickCount64() here: ticks of about 15.6 ms
        return "time.perf_counter_ns", time.perf_counter_ns
    return "time.monotonic_ns", time.monotonic_ns


_CLOCK_NAME, _CLOCK_FUNC = _pick_clock()

#: Name of the function behind :data:`clock_ns`: ``"time.monotonic_ns"``, or
#: ``"time.perf_counter_ns"`` on Windows with Python 3.10 to 3.12.
CLOCK: str = _CLOCK_NAME

#: The clock of every time stamp in a trace, in nanoseconds: system-wide and monotonic.
clock_ns: Callable[[], int] = _CLOCK_FUNC

# CPU time of the calling thread; every supported platform has it, but fall
# back to the process's CPU time rather than fail where it is missing.
_cpu_ns: Callable[[], int] = getattr(time, "thread_time_ns", time.process_time_ns)

#: The values of :func:`trace_map`'s ``method`` for a ``multiprocessing`` pool.
POOL_METHODS: tuple[str, ...] = ("map", "imap", "imap_unordered", "apply_async")
#: The values of :func:`trace_map`'s ``method`` for a ``concurrent.futures`` executor.
EXECUTOR_METHODS: tuple[str, ...] = ("map", "submit")

_RunnerKind = Literal["pool", "executor"]


def _runner_kind(runner: Any) -> _RunnerKind:
    """Say whether ``runner`` is a pool or an executor; raise ``TypeError`` otherwise."""
    if isinstance(runner, multiprocessing.pool.Pool):
        return "pool"
    if isinstance(runner, concurrent.futures.Executor):
        return "executor"
    raise TypeError(
        "runner must be a multiprocessing Pool or a concurrent.futures Executor, "
        f"got {type(runner).__name__}"
    )


class TracedCall:
    """A picklable wrapper that times each call of ``func`` where it runs.

    Call it with ``(task_id, argument)``; it returns ``(func(argument),
    raw)``, or with ``star=True`` ``(func(*argument), raw)``, where ``raw`` is
    the tuple ``(task, pid, thread, start_ns, end_ns, cpu_ns)``: the first six
    fields of a :class:`~mpworkers.lab.traces.TaskRecord`, sent as a plain
    tuple because that pickles fastest. ``TaskRecord(*raw)`` makes a record
    of it. Pass the wrapper to any pool or executor in place of ``func``;
    :func:`trace_map` does that for you.

    >>> from mpworkers import square
    >>> result, raw = TracedCall(square)((3, 7))
    >>> record = TaskRecord(*raw)
    >>> result, record.task, record.start_ns <= record.end_ns
    (49, 3, True)

    Args:
        func: the function to run. For a process pool it must be picklable:
            defined at the top level of an importable module.
        star: unpack each argument into positional arguments.

    Raises:
        TypeError: if ``func`` is not callable or ``star`` is not a bool.
    """

    def __init__(self, func: Callable[..., Any], *, star: bool = False) -> None:
        if not callable(func):
            raise TypeError(f"func must be callable, got {type(func).__name__}")
        if not isinstance(star, bool):
            raise TypeError(f"star must be a bool, got {type(star).__name__}")
        self.func = func
        self.star = star

    def __repr__(self) -> str:
        name = getattr(self.func, "__qualname__", repr(self.func))
        return f"TracedCall({name}, star={self.star})"

    def __call__(self, item: tuple[int, Any]) -> tuple[Any, RawRecord]:
        """Run the task ``item = (task_id, argument)``; return ``(result, raw record)``.

        Raises:
            TypeError: if ``item`` is not a pair whose first element is an int.
        """
        if not isinstance(item, tuple) or len(item) != 2 or not isinstance(item[0], int):
            raise TypeError(f"expected a pair (task id, argument), got {item!r}")
        task, arg = item
        func = self.func
        start = clock_ns()
        cpu = _cpu_ns()
        result = func(*arg) if self.star else func(arg)
        cpu = _cpu_ns() - cpu
        end = clock_ns()
        return result, (task, os.getpid(), threading.get_ident(), start, end, cpu)


def trace_map(
    runner: Any,
    func: Callable[..., Any],
    iterable: Iterable[Any],
    *,
    chunksize: int | None = None,
    method: str = "map",
    star: bool = False,
    label: str = "",
) -> Trace:
    """Run ``func`` on every item of ``iterable`` through ``runner`` and trace it.

    The results are in ``trace.results``, in input order, whatever the method.

    Args:
        runner: a ``multiprocessing.Pool`` (from any context) or
            ``multiprocessing.pool.ThreadPool``, or any
            ``concurrent.futures.Executor`` (``ProcessPoolExecutor``,
            ``ThreadPoolExecutor``, loky's executors, ...).
        func: the task function (importable, for process pools).
        iterable: the arguments, one per task.
        chunksize: tasks handed to a worker at a time. ``None`` keeps the
            runner's default: ``Pool.map`` computes one from the number of
            tasks and workers; ``imap``, ``imap_unordered`` and
            ``Executor.map`` use 1. Must be ``None`` or 1 for ``submit`` and
            ``apply_async``.
        method: for a pool ``"map"``, ``"imap"``, ``"imap_unordered"`` or
            ``"apply_async"`` (one call per task); for an executor ``"map"``
            or ``"submit"`` (one future per task, collected as they complete).
        star: call ``func(*item)`` instead of ``func(item)`` (like ``starmap``).
        label: stored in the trace, the default title of its plot.

    Returns:
        The :class:`~mpworkers.lab.traces.Trace`. Each record's ``received_ns``
        is when the loop that collects the results got that result (for
        ``Pool.map``: when the call returned).

    Raises:
        TypeError: for a runner that is neither a pool nor an executor, a
            ``func`` that is not callable, or a ``chunksize`` that is not an int.
        ValueError: for an unknown ``method`` or a ``chunksize`` < 1 (or
            other than 1 with ``submit``/``apply_async``).
    """
    kind = _check_trace_options(runner, func, method, chunksize, label)
    call = TracedCall(func, star=star)
    items = list(enumerate(iterable))
    start = clock_ns()
    if kind == "pool":
        pairs, received = _collect_from_pool(runner, call, items, method, chunksize)
    else:
        pairs, received = _collect_from_executor(runner, call, items, method, chunksize)
    end = clock_ns()

    pairs.sort(key=lambda pair: pair[1][0])
    records = [TaskRecord(*raw, received_ns=received.get(raw[0], end)) for _, raw in pairs]
    return Trace.from_records(
        records, start_ns=start, end_ns=end, results=[r for r, _ in pairs], label=label
    )


def _check_trace_options(
    runner: Any, func: Callable[..., Any], method: str, chunksize: int | None, label: str
) -> _RunnerKind:
    """Raise what :func:`trace_map` documents for bad arguments; return the runner's kind."""
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}")
    check_str("method", method)
    check_str("label", label)
    if chunksize is not None:
        check_int("chunksize", chunksize, minimum=1)
    kind = _runner_kind(runner)
    allowed = POOL_METHODS if kind == "pool" else EXECUTOR_METHODS
    if method not in allowed:
        raise ValueError(f"method for a {type(runner).__name__} must be one of {allowed}, "
                         f"got {method!r}")
    if method in ("submit", "apply_async") and chunksize not in (None, 1):
        raise ValueError(f"{method} hands over one task at a time: chunksize must be None or 1")
    return kind


_Pairs = list[tuple[Any, RawRecord]]


def _collect_from_pool(
    pool: multiprocessing.pool.Pool,
    call: TracedCall,
    items: list[tuple[int, Any]],
    method: str,
    chunksize: int | None,
) -> tuple[_Pairs, dict[int, int]]:
    """Run ``items`` through ``pool``; return the pairs and when each result arrived."""
    pairs: _Pairs = []
    received: dict[int, int] = {}
    if method == "map":
        pairs = pool.map(call, items, chunksize)
        now = clock_ns()
        received = {raw[0]: now for _, raw in pairs}
    elif method == "apply_async":
        lock = threading.Lock()

        def arrived(pair: tuple[Any, RawRecord]) -> None:
            # runs in the pool's result-handler thread as each result arrives
            with lock:
                received[pair[1][0]] = clock_ns()

        handles = [pool.apply_async(call, (item,), callback=arrived) for item in items]
        pairs = [handle.get() for handle in handles]
    else:
        for pair in getattr(pool, method)(call, items, chunksize or 1):
            received[pair[1][0]] = clock_ns()
            pairs.append(pair)
    return pairs, received


def _collect_from_executor(
    executor: concurrent.futures.Executor,
    call: TracedCall,
    items: list[tuple[int, Any]],
    method: str,
    chunksize: int | None,
) -> tuple[_Pairs, dict[int, int]]:
    """Run ``items`` through ``executor``; return the pairs and when each result arrived."""
    pairs: _Pairs = []
    received: dict[int, int] = {}
    if method == "map":
        results = executor.map(call, items, chunksize=chunksize or 1)
    else:
        futures = [executor.submit(call, item) for item in items]
        results = (future.result() for future in concurrent.futures.as_completed(futures))
    for pair in results:
        received[pair[1][0]] = clock_ns()
        pairs.append(pair)
    return pairs, received


def best_trace(
    runner: Any,
    func: Callable[..., Any],
    iterable: Iterable[Any],
    *,
    repeat: int = 3,
    **options: Any,
) -> Trace:
    """Run :func:`trace_map` ``repeat`` times; return the trace with the shortest wall time.

    Other programs on the machine only ever add time to a run, so the
    fastest of a few runs is the least disturbed one: use it for a timeline
    that should show the work rather than the noise. To compare two ways of
    running the tasks, time them in turns with
    :func:`mpworkers.lab.timing.alternate` instead, so that a drift of the
    machine's speed slows both alike.

    Args:
        runner, func, iterable: as for :func:`trace_map` (``iterable`` is read once).
        repeat: how many runs.
        **options: keyword arguments of :func:`trace_map` (``chunksize``,
            ``method``, ``star``, ``label``).

    Raises:
        TypeError: if ``repeat`` is not an int, or as :func:`trace_map`.
        ValueError: if ``repeat`` < 1, or as :func:`trace_map`.
    """
    check_int("repeat", repeat, minimum=1)
    items = list(iterable)
    traces = [trace_map(runner, func, items, **options) for _ in range(repeat)]
    return min(traces, key=lambda trace: trace.end_ns - trace.start_ns)


def _probe(seconds: float) -> tuple[int, int]:
    """A warm-up task: wait a little, then say which process and thread ran it."""
    time.sleep(seconds)
    return os.getpid(), threading.get_ident()


def warm_up(runner: Any, workers: int, *, task_seconds: float = 0.01,
            timeout: float = 30.0) -> None:
    """Run short tasks until ``workers`` different workers have answered.

    A pool started with ``spawn`` or ``forkserver`` needs a moment before
    each worker can take tasks, and a ``ProcessPoolExecutor`` (with those
    start methods) or a ``ThreadPoolExecutor`` starts its workers only as
    tasks arrive. Call this before :func:`trace_map` so that the trace shows
    the work and not the start-up. Each round hands ``workers`` tasks of
    ``task_seconds`` to the runner, one at a time, until every worker has
    run one.

    Raises:
        TypeError: for a runner that is neither a pool nor an executor, or
            arguments of the wrong type.
        ValueError: if ``workers`` < 1, ``task_seconds`` < 0 or ``timeout`` <= 0.
        RuntimeError: if fewer than ``workers`` workers answered within
            ``timeout`` seconds (the runner has fewer workers, or they do not
            start).
    """
    kind = _runner_kind(runner)
    check_int("workers", workers, minimum=1)
    check_real("task_seconds", task_seconds, minimum=0.0)
    if check_real("timeout", timeout, minimum=0.0) == 0:
        raise ValueError("timeout must be > 0")
    deadline = time.monotonic() + timeout
    seen: set[tuple[int, int]] = set()
    while True:
        probes = [task_seconds] * workers
        if kind == "pool":
            seen.update(runner.map(_probe, probes, 1))
        else:
            seen.update(runner.map(_probe, probes))
        if len(seen) >= workers:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"only {len(seen)} of {workers} workers answered within {timeout:g} s"
            )


def measure_overhead(
    runner: Any,
    *,
    task_seconds: float = 0.001,
    tasks: int = 400,
    chunksize: int = 1,
    rounds: int = 5,
) -> Timings:
    """Measure what tracing adds to the wall time of a ``map`` of short tasks.

    Times ``runner.map(spin_for, ...)`` (named ``"plain"``) and
    :func:`trace_map` of the same tasks (``"traced"``), each task keeping a
    core busy for ``task_seconds``, in alternation (see
    :func:`mpworkers.lab.timing.alternate`). ``timings.ratio("traced", "plain")``
    is the traced run's time as a multiple of the plain run's, the median
    over the rounds: 1.01 means tracing added 1%.

    Raises:
        TypeError: for a runner that is neither a pool nor an executor, or
            arguments of the wrong type.
        ValueError: if ``task_seconds`` <= 0, ``tasks`` < 1, ``chunksize`` < 1
            or ``rounds`` < 1.
    """
    kind = _runner_kind(runner)
    if check_real("task_seconds", task_seconds, minimum=0.0) == 0:
        raise ValueError("task_seconds must be > 0")
    check_int("tasks", tasks, minimum=1)
    check_int("chunksize", chunksize, minimum=1)
    check_int("rounds", rounds, minimum=1)
    args = [task_seconds] * tasks

    def plain() -> list[float]:
        if kind == "pool":
            return list(runner.map(spin_for, args, chunksize))
        return list(runner.map(spin_for, args, chunksize=chunksize))

    def traced() -> list[float]:
        return list(trace_map(runner, spin_for, args, chunksize=chunksize).results)

    return alternate({"plain": plain, "traced": traced}, rounds=rounds)
