"""A module-level counter, to see that every process has its own memory.

A module's global variables live in the memory of the process that imported
the module. A child process works on its own copy of them:

* with ``fork``, a copy of the parent's memory as it was when the child was
  started, so the child begins with the parent's current value;
* with ``spawn``, a fresh interpreter, and with ``forkserver``, a copy of a
  server process that was itself started as a fresh interpreter: the module
  is imported afresh, so the child begins with the value the module sets at
  import time (``0`` here), whatever the parent did since.

Either way, what one process does to its copy is never seen by another.
Use :func:`increment` as a task in a child and :func:`get` in the parent to
see it; :func:`increment_and_report` also says which process counted.
"""

from __future__ import annotations

import os

from mpworkers._validate import check_int

__all__ = ["get", "increment", "increment_and_report", "reset"]

# This process's counter. Its value at import time is 0.
_count = 0


def get() -> int:
    """Return the counter of the process that runs the call.

    >>> reset()
    0
    >>> get()
    0
    """
    return _count


def increment(by: int = 1) -> int:
    """Add ``by`` to the counter of the process that runs the call; return the new value.

    Run in a child, it changes the child's counter only: the return value is
    the one way the parent learns what the child saw.

    >>> reset()
    0
    >>> increment()
    1
    >>> increment(5)
    6

    Raises:
        TypeError: if ``by`` is not an int.
    """
    global _count
    check_int("by", by)
    _count += by
    return _count


def increment_and_report(by: int = 1) -> tuple[int, int]:
    """Like :func:`increment`, but return ``(process id, new value)``.

    Use it as a pool task to see that each worker process keeps its own
    counter, which persists from one task to the next in the same worker.

    Raises:
        TypeError: if ``by`` is not an int.
    """
    return os.getpid(), increment(by)


def reset(value: int = 0) -> int:
    """Set the counter of the process that runs the call to ``value``; return the old value.

    Raises:
        TypeError: if ``value`` is not an int.
    """
    global _count
    check_int("value", value)
    old, _count = _count, value
    return old
