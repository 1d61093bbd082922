"""Workers that fail, or wait, on purpose: for the chapter on creating a pool.

A pool hands each task to a worker process and the result back to the parent.
To show what happens when a task goes wrong, the chapter needs tasks that
misbehave in a controlled way:

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
    """Return ``x * x``, or raise :class:`ValueError` if ``x`` is negative.

    >>> fragile_square(3)
    9

    Raises:
        TypeError: if ``x`` is not a real number.
        ValueError: if ``x`` < 0, with the message ``"negative input: <x>"``.
    """
    check_real("x", x)
    if x < 0:
        raise ValueError(f"negative input: {x!r}")
    return x * x


def divide(a: float, b: float) -> float:
    """Return ``a / b``; a two-argument task for ``starmap``.

    >>> divide(9, 4)
    2.25

    Raises:
        TypeError: if ``a`` or ``b`` is not a real number.
        ZeroDivisionError: if ``b`` is zero, with the message ``"divide(<a>, 0)"``.
    """
    check_real("a", a)
    check_real("b", b)
    if b == 0:
        raise ZeroDivisionError(f"divide({a!r}, 0)")
    return a / b


def value_when_set(event: WaitableEvent, value: T, timeout: float | None = None) -> T:
    """Block until ``event`` is set, then return ``value``.

    The parent decides when the task ends by setting the event, so a chapter
    can hold a task "still running" for exactly as long as it needs.

    Args:
        event: an event the task can receive, e.g. ``multiprocessing.Manager().Event()``.
            (A plain ``multiprocessing.Event()`` cannot be passed to a pool
            task: pickling it raises :class:`RuntimeError`.)
        value: what to return once the event is set.
        timeout: give up after this many seconds (``None``: wait for ever).

    Raises:
        TypeError: if ``event`` has no ``wait`` method or ``timeout`` is not a number.
        ValueError: if ``timeout`` is negative.
        TimeoutError: if ``timeout`` is given and the event is not set in time.
    """
    _check_waitable(event)
    if timeout is not None:
        check_real("timeout", timeout, minimum=0.0)
    if not event.wait(timeout):
        raise TimeoutError(f"the event was not set within {timeout} s")
    return value


def pair_when_set(job: tuple[WaitableEvent, T]) -> T:
    """Return :func:`value_when_set` ``(event, value)`` for ``job = (event, value)``.

    ``map`` and ``imap`` pass each task a single argument; this packs the two
    into one.

    Raises:
        TypeError: if ``job`` is not a pair or its event has no ``wait`` method.
    """
    if not isinstance(job, tuple) or len(job) != 2:
        raise TypeError(f"job must be a pair (event, value), got {job!r}")
    event, value = job
    return value_when_set(event, value)


def set_event(event: SettableEvent) -> bool:
    """Set ``event`` and return ``True``: a task that releases tasks waiting on it.

    Raises:
        TypeError: if ``event`` has no ``set`` method.
    """
    if not callable(getattr(event, "set", None)):
        raise TypeError(f"event must have a set() method, got {type(event).__name__}")
    event.set()
    return True
