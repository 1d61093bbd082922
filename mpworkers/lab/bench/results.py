"""What one run of the benchmark measured, as records: :class:`Report` and its parts."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mpworkers.lab.bench.jsonform import from_json, to_json
from mpworkers.lab.bench.quiet import WITHHELD_CPUS
from mpworkers.lab.bench.runners import _RUNNERS, Chunking
from mpworkers.lab.claims import BUSY_CPUS
from mpworkers.lab.machine import (
    Machine,
)

#: The version of the layout of every stored benchmark result; it changes when the layout does.
FORMAT = "mpworkers.bench/3"



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

    format: str
    """:data:`FORMAT`, the layout's version."""
    kind: Literal["pools"]
    """The benchmark that measured, this one of pools (see :mod:`mpworkers.lab.bench.storage`)."""
    mode: Literal["default", "quick"]
    created: str
    """When the run ended, ISO 8601 in UTC."""
    duration_s: float
    machine: Machine
    load_average_before: tuple[float, ...] | None
    load_average_after: tuple[float, ...] | None
    withheld_cpus: float | None
    """Average CPUs that a virtual machine's host withheld during the run (steal
    time over wall time, :mod:`mpworkers.lab.bench.quiet`); ``None`` where unknown."""
    settings: Settings
    implementations: tuple[Implementation, ...]
    workloads: tuple[WorkloadRecord, ...]
    process_startup: tuple[ProcessStartup, ...]
    pool_startup: tuple[PoolStartup, ...]
    results: tuple[Result, ...]

    def __post_init__(self) -> None:
        if self.format != FORMAT:
            raise ValueError(f"report format is {self.format!r}, expected {FORMAT!r}")
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

    def noise(self) -> list[Result]:
        """The results whose speed-up is above :meth:`ceiling` (:meth:`is_noise`)."""
        return [r for r in self.results if self.is_noise(r)]

    def others_cpus(self) -> float | None:
        """The most CPUs other programs used during any workload; ``None`` where unknown."""
        known = [w.others_cpus for w in self.workloads if w.others_cpus is not None]
        return max(known) if known else None

    def quiet(self) -> bool | None:
        """Whether the run was quiet: neither other programs nor a host took CPU time.

        ``False`` if other programs used more than :data:`~mpworkers.lab.claims.BUSY_CPUS`
        during a workload (beyond the CPUs this process could not use
        anyway), or if the host withheld more than
        :data:`~mpworkers.lab.bench.quiet.WITHHELD_CPUS`; ``True`` if both are
        known and below; else ``None``, unknown.
        """
        others, withheld = self.others_cpus(), self.withheld_cpus
        unused = self.machine.visible_cpus - self.machine.usable_cores
        if (others is not None and others > BUSY_CPUS + unused) or (
            withheld is not None and withheld > WITHHELD_CPUS
        ):
            return False
        return None if others is None or withheld is None else True

    def quiet_line(self) -> str:
        """One line: quiet or not, and why, and how many speed-ups are noise."""
        verdict = {True: "A quiet run", False: "A disturbed run", None: "Not known to be quiet"}
        others, withheld = self.others_cpus(), self.withheld_cpus
        return (
            f"{verdict[self.quiet()]}: other programs used "
            + ("unknown CPU time" if others is None else f"at most {others:.2f} CPUs")
            + " during any workload, a virtual machine's host withheld "
            + ("unknown CPU time" if withheld is None else f"{withheld:.2f} CPUs on average")
            + f"; {len(self.noise())} of {len(self.results)} median speed-ups are noise"
        )

    # ----------------------------------------------------------------- JSON

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-serialisable dicts, lists and numbers."""
        value = to_json(self)
        assert isinstance(value, dict)
        return value

    @classmethod
    def from_dict(cls, data: Any) -> Report:
        """Rebuild a report from :meth:`to_dict`'s output (for example read from JSON).

        Raises:
            ValueError: naming the first key that is missing, unknown or of the
                wrong type, or what is inconsistent.
        """
        report = from_json(cls, data, "report")
        assert isinstance(report, Report)
        return report

