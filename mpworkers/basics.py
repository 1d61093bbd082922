"""Small worker functions for the first chapters.

Each function here is defined at the top level of an importable module, so a
child process started with any start method (``fork``, ``spawn`` or
``forkserver``) can unpickle a reference to it. None of them prints: a child
that prints from inside a Jupyter kernel may or may not reach the notebook,
depending on the platform and the start method. They return or send their
results instead, and the parent prints them.
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Any, Protocol

from mpworkers._validate import check_int, check_real, check_str

__all__ = [
    "Putter",
    "SettableEvent",
    "WaitableEvent",
    "report_to",
    "square",
    "square_to",
    "wait_for",
    "whoami",
    "noop",
]


class Putter(Protocol):
    """Anything with a ``put`` method: a ``multiprocessing.Queue``, a ``SimpleQueue``, ..."""

    def put(self, obj: Any, /) -> None: ...


class WaitableEvent(Protocol):
    """Anything with a ``wait`` method: a ``multiprocessing.Event``, a ``threading.Event``."""

    def wait(self, timeout: float | None = None, /) -> bool: ...


class SettableEvent(Protocol):
    """Anything with a ``set`` method: a ``multiprocessing.Event``, a manager's ``Event``
    proxy, a ``threading.Event``."""

    def set(self) -> None: ...


def _check_putter(queue: Any) -> None:
    if not callable(getattr(queue, "put", None)):
        raise TypeError(f"queue must have a put() method, got {type(queue).__name__}")


def _check_waitable(event: Any) -> None:
    if not callable(getattr(event, "wait", None)):
        raise TypeError(f"event must have a wait() method, got {type(event).__name__}")


def noop(x: Any = None) -> Any:
    """Return ``x`` unchanged: a task that costs nothing, to measure pure overhead."""
    return x


def square(x: float) -> float:
    """Return ``x * x``.

    >>> square(7)
    49

    Raises:
        TypeError: if ``x`` is not a real number.
    """
    check_real("x", x)
    return x * x


def whoami(task: Any = None) -> tuple[Any, int, str]:
    """Return ``(task, pid, process name)`` of the process that runs the call.

    Use it as a pool task to see which worker ran which task.
    """
    current = multiprocessing.current_process()
    return task, os.getpid(), current.name


def report_to(queue: Putter, message: str) -> None:
    """Put ``(process name, message)`` on ``queue``.

    The notebook version of the question's ``worker()``: instead of printing from
    the child, the child sends its line to the parent, which prints it.

    Raises:
        TypeError: if ``message`` is not a str or ``queue`` has no ``put``.
    """
    check_str("message", message)
    _check_putter(queue)
    queue.put((multiprocessing.current_process().name, message))


def square_to(queue: Putter, x: float) -> None:
    """Compute ``square(x)`` and put ``(x, x * x)`` on ``queue``."""
    _check_putter(queue)
    queue.put((x, square(x)))


def wait_for(event: WaitableEvent, exit_code: int = 0) -> None:
    """Block until ``event`` is set, then exit with ``exit_code``.

    A child running this is alive for exactly as long as the parent wants,
    without any sleep: the parent sets the event (or terminates the child).

    Raises:
        TypeError: if ``event`` has no ``wait`` method or ``exit_code`` is not an int.
        ValueError: if ``exit_code`` is not in 0..255.
    """
    _check_waitable(event)
    check_int("exit_code", exit_code, minimum=0)
    if exit_code > 255:
        raise ValueError(f"exit_code must be <= 255, got {exit_code}")
    event.wait()
    if exit_code:
        raise SystemExit(exit_code)
