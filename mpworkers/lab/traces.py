"""What a trace holds, what it says, and its timeline drawn.

The reading side of :mod:`mpworkers.lab.tracing`, which records a pool at
work: a :class:`Trace` is one :class:`TaskRecord` per task (which worker ran
it, when it started and ended, how much CPU time it used, when its result
reached the caller), with what can be computed from them (busy share,
parallelism, imbalance, ...); :func:`plot_timeline` draws it as a Gantt
chart, one row per worker. Each name is also reachable from
:mod:`mpworkers.lab.tracing`, as the chapters import them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from mpworkers._validate import check_int, check_real, check_str

__all__ = [
    "RawRecord",
    "TaskRecord",
    "Trace",
    "plot_timeline",
]


class TaskRecord(NamedTuple):
    """What happened to one task: who ran it, and when.

    Time stamps are nanoseconds of :data:`~mpworkers.lab.tracing.clock_ns`
    (see :data:`~mpworkers.lab.tracing.CLOCK`), comparable between the worker
    processes and the parent. A record is a named tuple: immutable, and usable
    wherever a plain tuple is.
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
    "is part of a :class:`Trace` built by :func:`~mpworkers.lab.tracing.trace_map`.",
}
for _name, _doc in _FIELD_DOCS.items():
    getattr(TaskRecord, _name).__doc__ = _doc


#: What :class:`~mpworkers.lab.tracing.TracedCall` sends back:
#: ``(task, pid, thread, start_ns, end_ns, cpu_ns)``.
RawRecord = tuple[int, int, int, int, int, int]


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

    Build one with :func:`~mpworkers.lab.tracing.trace_map`, or with :meth:`from_records` from
    records you collected yourself (from :class:`~mpworkers.lab.tracing.TracedCall`).

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
        :class:`~mpworkers.lab.tracing.TracedCall` returns. Workers (distinct ``(pid, thread)``
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


# Over 60 lines only for its docstring, which documents each option; the code is 29 lines.
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
    _check_plot_options(trace, title, workers, xmax)
    import matplotlib.pyplot as plt
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3), layout="constrained")
    rows = max(trace.worker_count, workers or 0, 1)
    cmap = colormaps["viridis"]
    norm = Normalize(vmin=0, vmax=max(trace.task_count - 1, 1))
    _draw_tasks(ax, trace, cmap, norm)
    labels = [f"worker {i}" for i in range(rows)]
    handles = _mark_results(ax, trace, rows, labels, cmap, show_received)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)  # worker 0 at the top
    wall_ms = trace.wall * 1e3
    right = xmax if xmax is not None else wall_ms
    ax.set_xlim(0, right * 1.02 if right > 0 else 1.0)
    ax.set_xlabel("time since the call started (ms)")
    ax.set_title(trace.label if title is None else title, loc="left")
    # above the plot, right-aligned: never on top of a bar
    ax.legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=len(handles),
              fontsize="small", frameon=False, borderaxespad=0.1)
    if colorbar and trace.records:
        from matplotlib.cm import ScalarMappable

        bar = ax.figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, pad=0.01)
        bar.set_label("task id")
    return ax


def _check_plot_options(
    trace: Trace, title: str | None, workers: int | None, xmax: float | None
) -> None:
    """Raise what :func:`plot_timeline` documents for bad arguments."""
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


_TO_MS = 1e-6  # nanoseconds of the trace clock to milliseconds of the plot


def _draw_tasks(ax: Any, trace: Trace, cmap: Any, norm: Any) -> None:
    """One row of bars per worker, each bar a task, coloured by its task id."""
    for worker in range(trace.worker_count):
        mine = [rec for rec in trace.records if rec.worker == worker]
        ax.broken_barh(
            [((rec.start_ns - trace.start_ns) * _TO_MS, (rec.end_ns - rec.start_ns) * _TO_MS)
             for rec in mine],
            (worker - 0.35, 0.7),
            facecolors=[cmap(norm(rec.task)) for rec in mine],
            edgecolor="black",
            linewidth=0.4,
        )


def _mark_results(
    ax: Any, trace: Trace, rows: int, labels: list[str], cmap: Any, show_received: bool
) -> list[Any]:
    """The dashed line where every result was in, and the ``caller`` row where asked;
    return the legend's handles (``labels`` gains the caller's row)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [Patch(facecolor=cmap(0.5), edgecolor="black", label="task")]
    if show_received:
        received = [(rec.received_ns - trace.start_ns) * _TO_MS for rec in trace.records
                    if rec.received_ns >= 0]
        ax.plot(received, [rows] * len(received), linestyle="none", marker="|",
                markersize=14, color="tab:red")
        labels.append("caller")
        handles.append(Line2D([], [], linestyle="none", marker="|", markersize=10,
                              color="tab:red", label="result received"))
    ax.axvline(trace.wall * 1e3, color="black", linestyle="--", linewidth=1)
    handles.append(Line2D([], [], color="black", linestyle="--", label="all results in"))
    return handles
