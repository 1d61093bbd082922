"""Workers that show what threads share and what processes copy.

Threads of one process share every object: a list that one thread changes is
the list the other threads see. A child process works on copies: its
arguments reach it pickled (or, with ``fork``, in a copy of the parent's
memory), and its result comes back pickled. Only objects built on shared
memory, such as a ``multiprocessing.Value``, are seen by parent and child alike.

* :func:`add_item` appends to a list and returns the list it changed.
* :func:`add_to_counter` adds to a shared ``multiprocessing.Value`` under its lock.
* :func:`pin_to_cores` restricts the calling thread, or a pool's worker
  processes, to some cores (Linux), to show that the operating system, not
  the process, decides where it runs.

Each is a top-level function of an importable module, so every start method
can send it to a child process.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from mpworkers._validate import check_int

__all__ = ["SharedCounter", "add_item", "add_to_counter", "pin_to_cores"]


class SharedCounter(Protocol):
    """A number with a lock, like the object ``multiprocessing.Value("i", 0)`` returns."""

    value: int

    def get_lock(self) -> AbstractContextManager[Any]: ...


def add_item(items: list[Any], item: Any) -> list[Any]:
    """Append ``item`` to ``items`` and return ``items``, the list it appended to.

    In a thread, ``items`` is the caller's own list; in a child process, it
    is the child's copy, and the list returned is one more copy.

    >>> shopping = ["bread"]
    >>> add_item(shopping, "milk") is shopping
    True

    Raises:
        TypeError: if ``items`` is not a list.
    """
    if not isinstance(items, list):
        raise TypeError(f"items must be a list, got {type(items).__name__}")
    items.append(item)
    return items


def add_to_counter(counter: SharedCounter, times: int) -> int:
    """Add 1 to ``counter.value`` ``times`` times, each time under the counter's lock.

    Without the lock, another process could write between the read and the
    write of ``+= 1``, and an increment would be lost. Returns ``times``.

    Raises:
        TypeError: if ``counter`` has no ``get_lock`` method or ``times`` is not an int.
        ValueError: if ``times`` is negative.
    """
    if not callable(getattr(counter, "get_lock", None)):
        raise TypeError(
            f"counter must have a get_lock() method, like multiprocessing.Value, "
            f"got {type(counter).__name__}"
        )
    check_int("times", times, minimum=0)
    for _ in range(times):
        with counter.get_lock():
            counter.value += 1
    return times


def pin_to_cores(cores: Iterable[int]) -> None:
    """Allow the calling thread to run only on the CPU cores numbered in ``cores``.

    It calls ``os.sched_setaffinity(0, cores)`` (Linux and some other Unix
    systems). As a pool's initializer it pins every worker process, however
    many there are: ``ProcessPoolExecutor(initializer=pin_to_cores,
    initargs=({0},))``. The scheduler still decides when each one runs.

    Raises:
        TypeError: if ``cores`` is not an iterable of ints.
        ValueError: if ``cores`` is empty or holds a negative number.
        NotImplementedError: on a platform without ``os.sched_setaffinity``.
        OSError: if none of ``cores`` is a core this process may use.
    """
    if isinstance(cores, (str, bytes)) or not isinstance(cores, Iterable):
        raise TypeError(f"cores must be an iterable of ints, got {type(cores).__name__}")
    chosen = {check_int("core", core, minimum=0) for core in cores}
    if not chosen:
        raise ValueError("cores must name at least one core")
    setaffinity = getattr(os, "sched_setaffinity", None)
    if setaffinity is None:
        raise NotImplementedError("os.sched_setaffinity is not available on this platform")
    setaffinity(0, chosen)
