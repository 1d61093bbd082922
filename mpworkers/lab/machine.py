"""What the machine offers, measured rather than assumed.

Every timing claim in the course is made relative to :func:`usable_cores`,
the number of CPUs this process may really use, which can be fewer than the
machine shows: an affinity mask, a container's CPU quota, Python's
``-X cpu_count`` (see :mod:`mpworkers.lab.cpus`).
"""

from __future__ import annotations

import multiprocessing
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

from mpworkers._validate import check_int
from mpworkers.lab.cpus import effective_cpus

__all__ = ["usable_cores", "machine_summary", "best_time", "gil_enabled", "default_start_method"]


def usable_cores() -> int:
    """Return how many CPUs this process may really use: size pools with it.

    It is ``mpworkers.lab.cpus.effective_cpus().count``: the smallest of the
    visible CPUs, the affinity mask, the container's CPU quota (rounded up)
    and Python 3.13's ``-X cpu_count``/``PYTHON_CPU_COUNT``. The default
    number of workers of ``multiprocessing.Pool()`` and
    ``ProcessPoolExecutor()`` (``os.process_cpu_count()`` from Python 3.13,
    ``os.cpu_count()`` before) ignores the quota and can be larger.
    """
    return effective_cpus().count


def default_start_method() -> str:
    """Return the start method that multiprocessing uses now, without fixing it.

    ``multiprocessing.get_start_method()`` without ``allow_none=True`` fixes
    the default context, so a later ``set_start_method()`` raises
    ``RuntimeError: context has already been set``. This function only
    looks: the method set so far, else the platform's default (the first of
    ``multiprocessing.get_all_start_methods()``).
    """
    return multiprocessing.get_start_method(allow_none=True) or (
        multiprocessing.get_all_start_methods()[0]
    )


def gil_enabled() -> bool:
    """Return ``False`` on a free-threaded build running without the GIL, else ``True``.

    ``sys._is_gil_enabled()`` exists from Python 3.13; older versions always
    have the GIL.
    """
    check: Callable[[], bool] | None = getattr(sys, "_is_gil_enabled", None)
    return True if check is None else bool(check())


def machine_summary() -> str:
    """Return one line describing what a measurement ran on.

    For example ``'Measured with CPython 3.11.7 on Linux x86_64, 2 visible
    CPUs, CPU quota 1: 1 usable CPU (set by the CPU quota), start method
    fork, GIL enabled'``. It changes no state (the start method is read with
    :func:`default_start_method`). The course's tests replace this line with
    a placeholder before comparing outputs, since it differs from machine to
    machine.
    """
    impl = platform.python_implementation()
    gil = "enabled" if gil_enabled() else "disabled"
    return (
        f"Measured with {impl} {platform.python_version()} on {platform.system()} "
        f"{platform.machine()}, {effective_cpus().describe()}, "
        f"start method {default_start_method()}, GIL {gil}"
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
