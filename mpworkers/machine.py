"""What the machine offers, measured rather than assumed.

Every timing claim in the course is made relative to :func:`usable_cores`,
the number of cores this process may run on, which can be fewer than the
machine has (a container, a CPU affinity mask, a batch scheduler).
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

from mpworkers._validate import check_int

__all__ = ["usable_cores", "machine_summary", "best_time", "gil_enabled"]


def usable_cores() -> int:
    """Return how many cores this process may use.

    Uses ``os.process_cpu_count()`` (Python 3.13+), else the size of the
    affinity mask (``os.sched_getaffinity``, Linux), else ``os.cpu_count()``.
    It is also what ``multiprocessing.Pool()`` and ``ProcessPoolExecutor()``
    take as their default number of workers on Python 3.13 and newer.
    """
    counter: Callable[[], int | None] | None = getattr(os, "process_cpu_count", None)
    if counter is not None:
        return counter() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def gil_enabled() -> bool:
    """Return ``False`` on a free-threaded build running without the GIL, else ``True``.

    ``sys._is_gil_enabled()`` exists from Python 3.13; older versions always
    have the GIL.
    """
    check: Callable[[], bool] | None = getattr(sys, "_is_gil_enabled", None)
    return True if check is None else bool(check())


def machine_summary() -> str:
    """Return one line describing what a measurement ran on.

    For example ``'Measured with CPython 3.11.7 on Linux x86_64, 2 usable cores,
    start method fork, GIL enabled'``. The course's tests replace this line
    with a placeholder before comparing outputs, since it differs from machine
    to machine.
    """
    impl = platform.python_implementation()
    cores = usable_cores()
    method = multiprocessing.get_start_method()
    gil = "enabled" if gil_enabled() else "disabled"
    return (
        f"Measured with {impl} {platform.python_version()} on {platform.system()} "
        f"{platform.machine()}, {cores} usable core{'s' if cores != 1 else ''}, "
        f"start method {method}, GIL {gil}"
    )


def best_time(func: Callable[..., Any], *args: Any, repeat: int = 3) -> float:
    """Call ``func(*args)`` ``repeat`` times; return the shortest wall time in seconds.

    The minimum is the least disturbed run: noise from other programs only
    ever adds time.

    Raises:
        TypeError: if ``func`` is not callable or ``repeat`` is not an int.
        ValueError: if ``repeat`` < 1.
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}")
    check_int("repeat", repeat, minimum=1)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func(*args)
        best = min(best, time.perf_counter() - start)
    return best
