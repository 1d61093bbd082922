"""Pool tasks that raise, or that end only when the parent says: the chapter on creating a pool.

A pool hands each task to a worker process and the result back to the parent;
the worker survives what goes wrong in a task. To show what the parent gets
then (the task's exception raised again, a timeout), the chapter needs tasks
that misbehave in a controlled way:

* :func:`fragile_square` raises :class:`ValueError` for negative inputs, so a
  pool can be shown re-raising a worker's exception in the parent;
* :func:`divide` takes two arguments, for :meth:`multiprocessing.pool.Pool.starmap`;
* :func:`value_when_set` and :func:`pair_when_set` block until the parent sets
  an event, so that the parent decides when a task finishes (no sleeping, no
  race): the event must be one a pool task can receive as an argument, such
  as ``multiprocessing.Manager().Event()``;
* :func:`set_event` sets such an event from inside a task.

For a task that is simply slow, use :func:`mpworkers.workloads.wait`.
"""

from __future__ import annotations

from typing import TypeVar

from mpworkers._validate import check_real
from mpworkers.basics import SettableEvent, WaitableEvent, _check_waitable

__all__ = [
    "divide",
    "fragile_square",
    "pair_when_set",
    "set_event",
    "value_when_set",
]

T = TypeVar("T")


def fragile_square(x: float) -> float:
    """Return ``x * x``; raise ``ValueError("negative input: <x>")`` if ``x`` < 0.

    >>> fragile_square(3)
    9
    """
    check_real("x", x)
    if x < 0:
        raise ValueError(f"negative input: {x!r}")
    return x * x


def divide(a: float, b: float) -> float:
    """Return ``a / b``: a task with two arguments, for ``starmap``.

    >>> divide(9, 4)
    2.25
    """
    check_real("a", a)
    check_real("b", b)
    if b == 0:
        raise ZeroDivisionError(f"divide({a!r}, 0)")
    return a / b


def value_when_set(event: WaitableEvent, value: T, timeout: float | None = None) -> T:
    """Return ``value`` once ``event`` is set; raise ``TimeoutError`` after ``timeout`` s.

    The parent decides when the task ends by setting the event. A pool task
    can receive a manager's event, ``multiprocessing.Manager().Event()``, but
    not a plain ``multiprocessing.Event()``.
    """
    _check_waitable(event)
    if timeout is not None:
        check_real("timeout", timeout, minimum=0.0)
    if not event.wait(timeout):
        raise TimeoutError(f"the event was not set within {timeout} s")
    return value


def pair_when_set(job: tuple[WaitableEvent, T]) -> T:
    """``value_when_set(event, value)`` for ``job = (event, value)``: one argument, for ``imap``."""
    if not isinstance(job, tuple) or len(job) != 2:
        raise TypeError(f"job must be a pair (event, value), got {job!r}")
    event, value = job
    return value_when_set(event, value)


def set_event(event: SettableEvent) -> bool:
    """Set ``event`` and return ``True``: a task that releases tasks waiting on it."""
    if not callable(getattr(event, "set", None)):
        raise TypeError(f"event must have a set() method, got {type(event).__name__}")
    event.set()
    return True
