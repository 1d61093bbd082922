"""A task that says which process ran it, and when: the do-it-yourself timeline (chapter 7).

A timeline of a pool needs, for each task, the worker that ran it and the
moments it started and ended. The worker itself is the only one who knows,
so it measures and returns those figures with its result, and the parent
draws them. Its clock must be one that every process of the machine reads
alike: :func:`time.perf_counter` is, on Linux, on macOS and, from Python
3.10, on Windows, and it ticks finely enough for tasks of a millisecond.
"""

from __future__ import annotations

import os
import time

from mpworkers._validate import check_real

__all__ = ["timed_task"]


def timed_task(seconds: float) -> tuple[int, float, float]:
    """Keep a CPU busy for ``seconds``; return ``(pid, start, end)``.

    ``pid`` is the process that ran the task; ``start`` and ``end`` are
    :func:`time.perf_counter` readings taken in that process, comparable
    with the parent's.

    Raises:
        TypeError: if ``seconds`` is not a real number.
        ValueError: if ``seconds`` is negative.
    """
    check_real("seconds", seconds, minimum=0.0)
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        pass  # pure Python: the task holds the GIL, as real computing would
    return os.getpid(), start, time.perf_counter()
