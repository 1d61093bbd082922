"""Threads, subinterpreters and processes measured on the same work (chapter 13).

:func:`run_alternatives` measures, with the pools of
:func:`mpworkers.alternatives.make_executor`, what each kind of worker costs:
pool start-up (and creating and closing one interpreter), the time per tiny
task on a running pool, the speed-up on CPU-bound pure-Python tasks
(measured in alternation), the memory per worker, and what crosses between
interpreters. The command line stores it in the benchmark's one format
(:mod:`mpworkers.lab.bench.storage`)::

    python -m mpworkers.lab.bench alternatives --json alternatives.json

Where Python is older than 3.14, the parts that need interpreters are
recorded as missing (``None``).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import functools
import importlib
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from mpworkers._validate import check_int, check_real
from mpworkers.alternatives import (
    interpreters_available,
    make_executor,
    memory_per_worker,
    per_task_seconds,
    sharing_report,
    startup_seconds,
    subinterpreter_imports,
    worker_identity,
)
from mpworkers.lab import timing
from mpworkers.lab.bench.results import FORMAT
from mpworkers.lab.bench.storage import write_results
from mpworkers.lab.machine import default_start_method, machine_info, usable_cores
from mpworkers.workloads import calibrate_spin, spin

__all__ = ["LIBRARIES", "main", "run_alternatives"]

LIBRARIES = ("numpy", "psutil")
"""The installed packages whose versions the machine's description records:
what imports in a subinterpreter depends on them."""

# (key, way, start method) of one pool
_Way = tuple[str, str, "str | None"]


def _ways(start_methods: Sequence[str]) -> list[_Way]:
    """(key, way, start method) for every pool that this Python can make."""
    ways: list[_Way] = [("threads", "threads", None)]
    if interpreters_available():
        ways.append(("interpreters", "interpreters", None))
    ways += [(f"processes ({m})", "processes", m) for m in start_methods]
    return ways


def _interpreter_lifetimes(repeat: int) -> dict[str, list[float]]:
    """Seconds to create and to close one interpreter, ``repeat`` times each."""
    interpreters: Any = importlib.import_module("concurrent.interpreters")  # Python 3.14+
    create, close = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        interp = interpreters.create()
        create.append(time.perf_counter() - start)
        start = time.perf_counter()
        interp.close()
        close.append(time.perf_counter() - start)
    return {"create": create, "close": close}


def _per_task(ways: Sequence[_Way], workers: int, repeat: int) -> dict[str, list[float]]:
    """Seconds per tiny task on each running pool, ``repeat`` times."""
    found: dict[str, list[float]] = {}
    for key, way, method in ways:
        with make_executor(way, workers, start_method=method) as pool:
            list(pool.map(worker_identity, [0.05] * workers))  # every worker started
            found[key] = [per_task_seconds(pool, 200) for _ in range(repeat)]
    return found


def _map_spin(pool: concurrent.futures.Executor, tasks: list[int]) -> list[int]:
    return list(pool.map(spin, tasks))


def _speed(ways: Sequence[_Way], default_key: str, workers: int, repeat: int,
           task_seconds: float) -> dict[str, Any]:
    """The loop and every pool but the other start methods' on the same tasks, in alternation."""
    n = calibrate_spin(task_seconds)
    tasks = [n] * (4 * workers)
    # the process pool first: a process forked while subinterpreters run in
    # other threads crashes (Python 3.14 and 3.15 on Linux)
    compared = [w for w in ways if w[0] == default_key]
    compared += [w for w in ways if not w[0].startswith("processes")]
    pools = {key: make_executor(way, workers, start_method=m) for key, way, m in compared}
    try:
        for pool in pools.values():
            list(pool.map(worker_identity, [0.05] * workers))
        runs: dict[str, Callable[[], Any]] = {"sequential": lambda: [spin(x) for x in tasks]}
        for key, pool in pools.items():
            runs[key] = functools.partial(_map_spin, pool, tasks)
        timings = timing.alternate(runs, rounds=max(3, repeat))
    finally:
        for pool in pools.values():
            pool.shutdown()
    answers = list(timings.results.values())
    assert all(answer == answers[0] for answer in answers), "the pools disagree"
    return {"tasks": len(tasks), "spin_n": n,
            "times": {k: list(v) for k, v in timings.times.items()}}


def _check(workers: int | None, repeat: int, task_seconds: float, quick: bool) -> None:
    if workers is not None:
        check_int("workers", workers, minimum=1)
    check_int("repeat", repeat, minimum=1)
    check_real("task_seconds", task_seconds, minimum=0.0)
    if not task_seconds > 0:
        raise ValueError("task_seconds must be > 0")
    if not isinstance(quick, bool):
        raise TypeError(f"quick must be a bool, got {type(quick).__name__}")


def run_alternatives(
    *,
    workers: int | None = None,
    repeat: int = 5,
    task_seconds: float = 0.01,
    quick: bool = False,
    log: Callable[[str], object] | None = None,
) -> dict[str, Any]:
    """Measure threads, interpreters and processes on this machine; return the results.

    With ``workers`` workers per pool (default: :func:`mpworkers.lab.machine.usable_cores`)
    and ``repeat`` repetitions of each measurement; the pure-Python tasks
    take about ``task_seconds`` each. ``quick`` cuts the repetitions to 2
    and skips the start methods other than the platform's default, for
    tests. The result is a dict in :data:`~mpworkers.lab.bench.results.FORMAT`, kind
    ``"alternatives"``, whose ``"machine"`` is a
    :class:`~mpworkers.lab.machine.Machine`.

    Raises:
        TypeError, ValueError: for arguments of the wrong type or out of range.
    """
    _check(workers, repeat, task_seconds, quick)
    say: Callable[[str], object] = log or (lambda _: None)
    workers = workers or usable_cores()
    repeat = 2 if quick else repeat
    machine = machine_info(LIBRARIES)
    default = default_start_method()
    ways = _ways([default] if quick else list(machine.start_methods))
    interpreters = interpreters_available()
    results: dict[str, Any] = {
        "format": FORMAT, "kind": "alternatives",
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": "mpworkers.lab.bench.run_alternatives()", "machine": machine,
        "settings": {"workers": workers, "repeat": repeat, "task_seconds": task_seconds,
                     "tiny_tasks": 200},
        "interpreters_available": interpreters,
    }
    say("start-up")
    results["startup"] = {key: [startup_seconds(way, workers, start_method=m)
                                for _ in range(repeat)] for key, way, m in ways}
    if interpreters:
        results["interpreter"] = _interpreter_lifetimes(repeat)
    say("tiny tasks")
    results["per_task"] = _per_task(ways, workers, repeat)
    say("pure-Python tasks")
    results["speed"] = _speed(ways, f"processes ({default})", workers, repeat, task_seconds)
    say("memory")
    results["memory"] = {key: memory_per_worker(way, workers, start_method=m)
                         for key, way, m in ways}
    if interpreters:
        say("sharing and imports")
    results["sharing"] = sharing_report() if interpreters else None
    results["subinterpreter_imports"] = subinterpreter_imports() if interpreters else None
    return results


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mpworkers.lab.bench alternatives",
        description="Measure threads, subinterpreters and processes on the same work.",
    )
    parser.add_argument("--json", metavar="PATH", help="store the results in this file")
    parser.add_argument("--workers", type=int, default=None,
                        help="workers per pool (default: the usable CPUs)")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of each measurement")
    parser.add_argument("--quick", action="store_true", help="a short run, for tests")
    return parser


def main(argv: Sequence[str]) -> int:
    """Run :func:`run_alternatives`; print a summary, store the results with ``--json``."""
    args = _parser().parse_args(argv)
    results = run_alternatives(
        workers=args.workers, repeat=args.repeat, quick=args.quick,
        log=lambda step: print(f"measuring: {step}", file=sys.stderr, flush=True))
    results["command"] = " ".join(["python -m mpworkers.lab.bench alternatives", *argv])
    if args.json:
        write_results(args.json, results)
    print(results["machine"].summary)
    for key, times in results["startup"].items():
        print(f"{key:>24}: start-up {statistics.median(times) * 1e3:8.2f} ms, "
              f"per tiny task {statistics.median(results['per_task'][key]) * 1e6:8.1f} us, "
              f"USS per worker {results['memory'][key]['uss'] / 2**20:6.1f} MiB")
    for key, times in results["speed"]["times"].items():
        print(f"{key:>24}: {len(times)} rounds, median {statistics.median(times):.3f} s")
    return 0
