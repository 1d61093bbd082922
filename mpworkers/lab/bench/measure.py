"""Measuring: process and pool start-up, the grid of workloads, a whole run."""

from __future__ import annotations

import datetime
import math
import multiprocessing
import multiprocessing.pool
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from mpworkers._validate import check_int, check_real
from mpworkers.basics import noop
from mpworkers.lab.bench.quiet import steal_seconds, withheld_cpus
from mpworkers.lab.bench.results import (
    FORMAT,
    Implementation,
    PoolStartup,
    ProcessStartup,
    Report,
    Result,
    Settings,
    WorkloadRecord,
)
from mpworkers.lab.bench.runners import (
    _RUNNERS,
    IMPLEMENTATIONS,
    WARM_CALLS,
    Chunking,
    _Runner,
    _Threads,
    start_methods,
)
from mpworkers.lab.bench.workloads import (
    _FULL_WORKLOADS,
    _KINDS,
    _QUICK_WORKLOADS,
    DEFAULT_BUDGET,
    DEFAULT_REPEAT,
    MAX_TASKS,
    QUICK_BUDGET,
    QUICK_REPEAT,
    Workload,
    make_workloads,
)
from mpworkers.lab.machine import (
    default_start_method,
    library_versions,
    machine_info,
    usable_cores,
)
from mpworkers.lab.timing import alternate, cpu_use


def measure_process_startup(method: str, *, repeat: int = 5) -> ProcessStartup:
    """Time ``start()`` plus ``join()`` of a no-op :class:`multiprocessing.Process`.

    The first start is kept apart (with ``forkserver`` it also starts the
    server); then ``repeat`` more.

    Raises:
        ValueError: if ``method`` is not one of
            :func:`~mpworkers.lab.bench.runners.start_methods` or ``repeat`` < 1.
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
) -> tuple[Settings, list[str]]:
    """The run's settings, and the implementations to run, from ``run_benchmark``'s arguments."""
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
    settings = Settings(
        workers=workers, budget_s=budget, repeat=repeat, max_tasks=MAX_TASKS,
        process_startup_repeat=1 if quick else 10, pool_startup_repeat=1 if quick else 3,
        warm_calls=WARM_CALLS,
    )
    return settings, names


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
        version = library_versions([runner.library])[runner.library] if runner.library else None
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
    """Run the benchmark and return its :class:`~mpworkers.lab.bench.results.Report`.

    Args:
        workers: worker processes or threads per pool; default
            :func:`mpworkers.lab.machine.usable_cores` (which reads CPU quotas too).
        quick: a short run (three workloads, three repeats, small budget) for a first look.
        budget: seconds of sequential work per workload, which set the task counts
            (default 0.25, quick 0.03).
        repeat: timed rounds per cell, all of them stored (default 5, quick 3).
        implementations: names from :data:`~mpworkers.lab.bench.runners.IMPLEMENTATIONS`
            to run (``sequential`` always runs: it is the baseline); default all of them.
        progress: a stream to write a line to after each step (start-up
            measurements, each workload), or ``None`` for silence.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``workers`` < 1, ``budget`` <= 0, ``repeat`` < 1 or an
            implementation is unknown.
    """
    settings, names = _resolve(workers, budget, repeat, implementations, quick)
    began, steal_before, load_before = time.perf_counter(), steal_seconds(), _load_average()

    def say(line: str) -> None:
        if progress is not None:
            print(line, file=progress, flush=True)

    process_startup = []
    for name in start_methods():
        process_startup.append(
            measure_process_startup(name, repeat=settings.process_startup_repeat))
        say(f"process start-up {name}: done")
    workloads = make_workloads(_QUICK_WORKLOADS if quick else _FULL_WORKLOADS,
                               budget=settings.budget_s, workers=settings.workers)
    runners, rows = _load_runners(names, settings.workers, default_start_method())
    for row in rows:
        if row.status != "ok":
            say(f"{row.name}: skipped, {row.reason}")
    pool_startup, results, records = _measure_pools_and_grid(
        runners, workloads, settings.repeat, settings.pool_startup_repeat, say)
    duration = time.perf_counter() - began
    return Report(
        format=FORMAT, kind="pools", mode="quick" if quick else "default",
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        duration_s=duration, machine=machine_info(),
        load_average_before=load_before, load_average_after=_load_average(),
        withheld_cpus=withheld_cpus(steal_before, steal_seconds(), duration), settings=settings,
        implementations=tuple(rows), workloads=tuple(records),
        process_startup=tuple(process_startup), pool_startup=tuple(pool_startup),
        results=tuple(results),
    )


def _load_average() -> tuple[float, ...] | None:
    """The 1, 5 and 15 minute load averages, where the platform has them."""
    try:
        return tuple(round(x, 2) for x in os.getloadavg())
    except (AttributeError, OSError):
        return None
