"""Record which worker ran which task, and when: timelines of a pool at work.

:func:`trace_map` runs a function over an iterable through a
``multiprocessing.Pool`` (or ``ThreadPool``), a ``ProcessPoolExecutor`` or a
``ThreadPoolExecutor`` and returns a :class:`Trace`: one :class:`TaskRecord`
per task, saying which worker ran it, when it started and ended, how much CPU
time it used, and when its result reached the caller. :func:`plot_timeline`
draws a trace as a Gantt chart, one row per worker.

How it works: :class:`TracedCall` wraps the function. It is a top-level class
whose instances hold only a reference to the function, so they pickle under
every start method (the function must itself be importable, as for any pool
task). In the worker it reads the clock before and after the call and returns
``(result, raw record)``, the record as a plain tuple of six ints, which
pickles faster than any class instance; :func:`trace_map` unwraps the pairs
in the parent and makes :class:`TaskRecord` objects of the tuples.
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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from mpworkers._validate import check_int, check_real, check_str
from mpworkers.lab.claims import Timings, alternate
from mpworkers.workloads import spin_for

__all__ = [
    "CLOCK",
    "EXECUTOR_METHODS",
    "POOL_METHODS",
    "RawRecord",
    "TaskRecord",
    "Trace",
    "TracedCall",
    "best_trace",
    "clock_ns",
    "measure_overhead",
    "plot_timeline",
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


class TaskRecord(NamedTuple):
    """What happened to one task: who ran it, and when.

    Time stamps are nanoseconds of :data:`clock_ns` (see :data:`CLOCK`),
    comparable between the worker processes and the parent. A record is a
    named tuple: immutable, and usable wherever a plain tuple is.
    """

    task: int
    pid: int
    thread: int
    start_ns: int
    end_ns: int
    cpu_ns: int
    worker: int = -1
    received_ns: int = -1

    @property
    def duration(self) -> float:
        """Wall time of the call, in seconds."""
        return (self.end_ns - self.start_ns) / 1e9

    @property
    def cpu(self) -> float:
        """CPU time of the call, in seconds."""
        return self.cpu_ns / 1e9


_FIELD_DOCS = {
    "task": "The task's position in the input, from 0.",
    "pid": "Process id of the worker that ran the task.",
    "thread": "``threading.get_ident()`` of the thread that ran the task.",
    "start_ns": "Clock reading just before the call, in nanoseconds.",
    "end_ns": "Clock reading just after the call, in nanoseconds.",
    "cpu_ns": "CPU time that the worker's thread used during the call, in nanoseconds.",
    "worker": "The worker's index, from 0 in order of first start; -1 until the record "
    "is part of a :class:`Trace`.",
    "received_ns": "Clock reading when the caller received the result; -1 until the record "
    "is part of a :class:`Trace` built by :func:`trace_map`.",
}
for _name, _doc in _FIELD_DOCS.items():
    getattr(TaskRecord, _name).__doc__ = _doc


#: What :class:`TracedCall` sends back: ``(task, pid, thread, start_ns, end_ns, cpu_ns)``.
RawRecord = tuple[int, int, int, int, int, int]


class TracedCall:
    """A picklable wrapper that times each call of ``func`` where it runs.

    Call it with ``(task_id, argument)``; it returns ``(func(argument),
    raw)``, or with ``star=True`` ``(func(*argument), raw)``, where ``raw`` is
    the tuple ``(task, pid, thread, start_ns, end_ns, cpu_ns)``: the first six
    fields of a :class:`TaskRecord`, sent as a plain tuple because that pickles
    fastest. ``TaskRecord(*raw)`` makes a record of it. Pass the wrapper to
    any pool or executor in place of ``func``; :func:`trace_map` does that for
    you.

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


def _as_record(rec: Any) -> TaskRecord:
    if isinstance(rec, TaskRecord):
        return rec
    if (isinstance(rec, tuple) and len(rec) == 6
            and all(isinstance(v, int) and not isinstance(v, bool) for v in rec)):
        return TaskRecord(*rec)
    raise TypeError(f"records must be TaskRecord or tuples of six ints, got {rec!r}")


@dataclass(frozen=True)
class Trace:
    """The records of one traced run, with what can be computed from them.

    Build one with :func:`trace_map`, or with :meth:`from_records` from
    records you collected yourself (from :class:`TracedCall`).

    Attributes:
        records: one :class:`TaskRecord` per task, in task order, with
            ``worker`` set.
        start_ns: clock reading in the caller just before the first task was
            handed over.
        end_ns: clock reading in the caller once every result was in.
        results: the tasks' results, in task order (empty if not given).
        label: free text, used as the default title of a plot.
    """

    records: tuple[TaskRecord, ...]
    start_ns: int
    end_ns: int
    results: tuple[Any, ...] = field(default=(), repr=False)
    label: str = ""

    @classmethod
    def from_records(
        cls,
        records: Iterable[TaskRecord | RawRecord],
        *,
        start_ns: int,
        end_ns: int,
        results: Sequence[Any] = (),
        label: str = "",
    ) -> Trace:
        """Check the records, number the workers and return a :class:`Trace`.

        ``records`` holds :class:`TaskRecord` objects or the raw tuples that
        :class:`TracedCall` returns. Workers (distinct ``(pid, thread)``
        pairs) are numbered 0, 1, 2, ... in the order of their first task's
        start.

        Raises:
            TypeError: if a record is neither a :class:`TaskRecord` nor a tuple of
                six ints, or a time is not an int.
            ValueError: if a task id appears twice or is negative, a record
                ends before it starts, ``end_ns < start_ns``, or ``results``
                is not empty and has a length other than the number of records.
        """
        check_int("start_ns", start_ns)
        check_int("end_ns", end_ns)
        check_str("label", label)
        if end_ns < start_ns:
            raise ValueError(f"end_ns ({end_ns}) is before start_ns ({start_ns})")
        recs = [_as_record(rec) for rec in records]
        for rec in recs:
            if rec.end_ns < rec.start_ns:
                raise ValueError(f"task {rec.task} ends before it starts")
            if rec.task < 0:
                raise ValueError(f"task ids must be >= 0, got {rec.task}")
        tasks = [rec.task for rec in recs]
        if len(set(tasks)) != len(tasks):
            raise ValueError("a task id appears more than once")
        results = tuple(results)
        if results and len(results) != len(recs):
            raise ValueError(f"{len(results)} results for {len(recs)} records")
        index: dict[tuple[int, int], int] = {}
        for rec in sorted(recs, key=lambda r: (r.start_ns, r.task)):
            index.setdefault((rec.pid, rec.thread), len(index))
        numbered = sorted(
            (rec._replace(worker=index[rec.pid, rec.thread]) for rec in recs),
            key=lambda r: r.task,
        )
        return cls(tuple(numbered), start_ns, end_ns, results, label)

    @property
    def wall(self) -> float:
        """Seconds from handing over the first task to receiving the last result."""
        return (self.end_ns - self.start_ns) / 1e9

    @property
    def task_count(self) -> int:
        """Number of tasks."""
        return len(self.records)

    @property
    def worker_count(self) -> int:
        """Number of workers that ran at least one task."""
        return len({rec.worker for rec in self.records})

    @property
    def busy(self) -> float:
        """Total seconds that workers spent inside the function, all tasks added."""
        return sum(rec.end_ns - rec.start_ns for rec in self.records) / 1e9

    @property
    def cpu(self) -> float:
        """Total CPU seconds that the tasks used."""
        return sum(rec.cpu_ns for rec in self.records) / 1e9

    @property
    def busy_fraction(self) -> float:
        """Share of the workers' time spent in tasks, ``busy / (wall * worker_count)``.

        1.0 means every worker that took part ran tasks from the first moment
        to the last; idle gaps, start-up and the transfer of arguments and
        results lower it. See :meth:`utilisation` to count workers that got
        no task at all.
        """
        return self.utilisation(self.worker_count) if self.records else 0.0

    def utilisation(self, workers: int) -> float:
        """Share of ``workers`` workers' time spent in tasks, ``busy / (wall * workers)``.

        Raises:
            TypeError: if ``workers`` is not an int.
            ValueError: if ``workers`` < 1.
        """
        check_int("workers", workers, minimum=1)
        if self.end_ns == self.start_ns:
            return 0.0
        return self.busy / (self.wall * workers)

    @property
    def cpu_fraction(self) -> float:
        """CPU time of the tasks over their wall time, ``cpu / busy``.

        About 1.0 when each task had a core to itself; about ``1/k`` when
        ``k`` threads took turns on the GIL or ``k`` workers shared one core;
        near 0 for tasks that wait (sleep, I/O).
        """
        busy = self.busy
        return self.cpu / busy if busy > 0 else 0.0

    @property
    def parallelism(self) -> float:
        """CPU seconds of all tasks per second of wall time, ``cpu / wall``.

        How many cores' worth of computing the run got on average: at most
        the number of workers, and at most about 1.0 for threads running
        pure Python under the GIL, however many threads there are.
        """
        return self.cpu / self.wall if self.end_ns > self.start_ns else 0.0

    @property
    def imbalance(self) -> float:
        """The busiest worker's task time over the mean of the workers' task times.

        1.0 when every worker that took part spent as long in tasks as the
        others; 1.5 when the busiest spent half as long again as the average,
        so the others waited for it.
        """
        busy = self.busy_per_worker
        total = sum(busy)
        return max(busy) * len(busy) / total if total > 0 else 1.0

    def _per_worker(self, value: Callable[[TaskRecord], int]) -> list[int]:
        """``value(record)`` added up over each worker's records, indexed by worker."""
        totals = [0] * self.worker_count
        for rec in self.records:
            totals[rec.worker] += value(rec)
        return totals

    @property
    def tasks_per_worker(self) -> tuple[int, ...]:
        """Number of tasks each worker ran, indexed by worker."""
        return tuple(self._per_worker(lambda rec: 1))

    @property
    def busy_per_worker(self) -> tuple[float, ...]:
        """Seconds each worker spent in tasks, indexed by worker."""
        return tuple(ns / 1e9 for ns in self._per_worker(lambda rec: rec.end_ns - rec.start_ns))

    @property
    def first_result(self) -> float:
        """Seconds from the start until the caller received its first result.

        Returns ``wall`` if receive times were not recorded.
        """
        received = [rec.received_ns for rec in self.records if rec.received_ns >= 0]
        return (min(received) - self.start_ns) / 1e9 if received else self.wall

    def max_overlap(self) -> int:
        """The largest number of tasks that were running at the same moment."""
        starts = [(rec.start_ns, 1) for rec in self.records]
        ends = [(rec.end_ns, -1) for rec in self.records]
        events = sorted(starts + ends)  # at the same instant, an end (-1) comes first
        running = best = 0
        for _, step in events:
            running += step
            best = max(best, running)
        return best


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
        The :class:`Trace`. Each record's ``received_ns`` is when the loop
        that collects the results got that result (for ``Pool.map``: when
        the call returned).

    Raises:
        TypeError: for a runner that is neither a pool nor an executor, a
            ``func`` that is not callable, or a ``chunksize`` that is not an int.
        ValueError: for an unknown ``method`` or a ``chunksize`` < 1 (or
            other than 1 with ``submit``/``apply_async``).
    """
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

    call = TracedCall(func, star=star)
    items = list(enumerate(iterable))
    pairs: list[tuple[Any, RawRecord]] = []
    received: dict[int, int] = {}

    start = clock_ns()
    if kind == "pool":
        pool: multiprocessing.pool.Pool = runner
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
            iterator = getattr(pool, method)(call, items, chunksize or 1)
            for pair in iterator:
                received[pair[1][0]] = clock_ns()
                pairs.append(pair)
    else:
        executor: concurrent.futures.Executor = runner
        if method == "map":
            for pair in executor.map(call, items, chunksize=chunksize or 1):
                received[pair[1][0]] = clock_ns()
                pairs.append(pair)
        else:
            futures = [executor.submit(call, item) for item in items]
            for future in concurrent.futures.as_completed(futures):
                pair = future.result()
                received[pair[1][0]] = clock_ns()
                pairs.append(pair)
    end = clock_ns()

    pairs.sort(key=lambda pair: pair[1][0])
    records = [TaskRecord(*raw, received_ns=received.get(raw[0], end)) for _, raw in pairs]
    return Trace.from_records(
        records, start_ns=start, end_ns=end, results=[r for r, _ in pairs], label=label
    )


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
    :func:`mpworkers.lab.claims.alternate` instead, so that a drift of the
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


def plot_timeline(
    trace: Trace,
    ax: Any = None,
    *,
    title: str | None = None,
    workers: int | None = None,
    show_received: bool = False,
    colorbar: bool = True,
    xmax: float | None = None,
) -> Any:
    """Draw ``trace`` as a Gantt chart: one row per worker, one bar per task.

    Each row is one ``broken_barh`` collection. Its bars are coloured by task
    id (dark: first tasks, light: last), so a chunk of consecutive tasks shows
    as a run of similar colours. The dashed line marks the moment the caller
    had every result. Matplotlib is imported here, not when :mod:`mpworkers`
    is imported.

    Args:
        trace: what to draw.
        ax: a matplotlib ``Axes`` to draw on; ``None`` makes a new figure of
            a fixed size (8 x 3 inches).
        title: the title; default ``trace.label``.
        workers: draw at least this many rows (e.g. the pool's size, so a
            worker that got no task shows as an empty row).
        show_received: add a row ``caller`` with a mark where each result
            was received.
        colorbar: add a colour bar for the task ids.
        xmax: right end of the time axis in milliseconds (to draw several
            traces on the same scale); default: the trace's wall time.

    Returns:
        The ``Axes`` drawn on.

    Raises:
        TypeError: if ``trace`` is not a :class:`Trace` or an argument has the wrong type.
        ValueError: if ``workers`` < 1 or ``xmax`` <= 0.
    """
    if not isinstance(trace, Trace):
        raise TypeError(f"trace must be a Trace, got {type(trace).__name__}")
    if title is not None:
        check_str("title", title)
    if workers is not None:
        check_int("workers", workers, minimum=1)
    if xmax is not None:
        check_real("xmax", xmax, minimum=0.0)
        if xmax == 0:
            raise ValueError("xmax must be > 0")

    import matplotlib.pyplot as plt
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3), layout="constrained")
    rows = max(trace.worker_count, workers or 0, 1)
    cmap = colormaps["viridis"]
    norm = Normalize(vmin=0, vmax=max(trace.task_count - 1, 1))
    to_ms = 1e-6
    for worker in range(trace.worker_count):
        mine = [rec for rec in trace.records if rec.worker == worker]
        ax.broken_barh(
            [((rec.start_ns - trace.start_ns) * to_ms, (rec.end_ns - rec.start_ns) * to_ms)
             for rec in mine],
            (worker - 0.35, 0.7),
            facecolors=[cmap(norm(rec.task)) for rec in mine],
            edgecolor="black",
            linewidth=0.4,
        )
    labels = [f"worker {i}" for i in range(rows)]
    handles: list[Any] = [Patch(facecolor=cmap(0.5), edgecolor="black", label="task")]
    if show_received:
        received = [(rec.received_ns - trace.start_ns) * to_ms for rec in trace.records
                    if rec.received_ns >= 0]
        ax.plot(received, [rows] * len(received), linestyle="none", marker="|",
                markersize=14, color="tab:red")
        labels.append("caller")
        handles.append(Line2D([], [], linestyle="none", marker="|", markersize=10,
                              color="tab:red", label="result received"))
    wall_ms = trace.wall * 1e3
    ax.axvline(wall_ms, color="black", linestyle="--", linewidth=1)
    handles.append(Line2D([], [], color="black", linestyle="--", label="all results in"))
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)  # worker 0 at the top
    right = xmax if xmax is not None else wall_ms
    ax.set_xlim(0, right * 1.02 if right > 0 else 1.0)
    ax.set_xlabel("time since the call started (ms)")
    ax.set_title(trace.label if title is None else title, loc="left")
    # above the plot, right-aligned: never on top of a bar
    ax.legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=len(handles),
              fontsize="small", frameon=False, borderaxespad=0.1)
    if colorbar and trace.records:
        bar = ax.figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, pad=0.01)
        bar.set_label("task id")
    return ax


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
    :func:`mpworkers.lab.claims.alternate`). ``timings.ratio("traced", "plain")``
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
