"""The workloads of the grid: task functions sized by time on this machine."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from mpworkers._validate import check_int, check_real
from mpworkers.lab.report import format_seconds
from mpworkers.lab.timing import alternate
from mpworkers.workloads import calibrate_spin, hash_bytes, spin, wait

#: The most tasks one workload gets, however short its tasks are.
MAX_TASKS = 2000

#: Size of the buffer that the GIL-releasing workload hashes, in bytes.
HASH_BUFFER = 65536


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


def _rounds_for(seconds: float) -> int:
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
            func, arg = functools.partial(hash_bytes, HASH_BUFFER), _rounds_for(seconds)
        else:
            func, arg = wait, seconds
        tasks = _task_count(seconds, budget, workers)
        result.append(Workload(_label(kind, seconds), kind, seconds, func, arg, tasks))
    return result

