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

    Run in a thread, ``items`` is the caller's own list: the caller sees the
    new item, and the returned object *is* its list. Run in a child process,
    ``items`` is the child's copy: the caller's list does not change, and the
    returned list is one more copy, pickled back to the caller.

    >>> shopping = ["bread"]
    >>> add_item(shopping, "milk") is shopping
    True
    >>> shopping
    ['bread', 'milk']

    Raises:
        TypeError: if ``items`` is not a list.
    """
    if not isinstance(items, list):
        raise TypeError(f"items must be a list, got {type(items).__name__}")
    items.append(item)
    return items


def add_to_counter(counter: SharedCounter, times: int) -> int:
    """Add 1 to ``counter.value`` ``times`` times, each time holding the counter's lock.

    ``counter.value += 1`` on its own reads the value and then writes it
    back; another process can write in between, and its update is lost.
    Holding ``counter.get_lock()`` around the read and the write makes the
    pair safe. Returns ``times``, the number of increments this call made.

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

    It calls ``os.sched_setaffinity(0, cores)``, which exists on Linux (and
    some other Unix systems), not on macOS or Windows. On Linux the mask
    belongs to a thread: it applies to the calling thread and
    to the threads it starts afterwards, and a child process inherits it.

    Use it as a pool initializer: ``ProcessPoolExecutor(initializer=pin_to_cores,
    initargs=({0},))`` gives workers that all run on core 0, however many
    there are, because the initializer runs in the main thread of each worker
    process, the thread that runs its tasks. The operating system's scheduler
    still decides when each of them runs; it just has one core to choose from.

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
