"""Workers for chapter Q6: in what order do four processes print?

The program of the chapter's question starts four processes that each
print one line, ``Process n: n``, and the order of those lines is decided by
the operating system's scheduler. The functions here let a notebook show
the same program without printing from a child process:

* :func:`number_line` builds the line, so a pool can return it.
* :func:`send_line` sends ``(n, line)`` to the parent through a queue; the
  parent sees the lines in the order the children got to them.
* :func:`send_in_turn` waits for its turn (an event), sends its line, then
  hands the turn to the next child: the lines arrive in a fixed order.

None of them prints: the parent prints what they send or return.
"""

from __future__ import annotations

from typing import Protocol

from mpworkers._validate import check_int
from mpworkers.basics import Putter, SettableEvent, WaitableEvent, _check_putter
from mpworkers.workloads import spin

__all__ = [
    "Waitable",
    "number_line",
    "send_line",
    "send_in_turn",
]

class Waitable(Protocol):
    """Anything with a ``wait`` method: a ``multiprocessing.Barrier``, an ``Event``, ..."""

    def wait(self, timeout: float | None = None, /) -> object: ...


def number_line(number: int) -> str:
    """Return the line that the question's ``print_number(number)`` prints.

    >>> number_line(3)
    'Process 3: 3'
    """
    check_int("number", number, minimum=0)
    return f"Process {number}: {number}"


def send_line(queue: Putter, number: int) -> None:
    """Send ``(number, number_line(number))`` to the parent instead of printing it."""
    _check_putter(queue)
    queue.put((number, number_line(number)))


def send_in_turn(
    queue: Putter,
    number: int,
    my_turn: WaitableEvent,
    next_turn: SettableEvent | None = None,
    work: int = 0,
    work_first: bool = True,
    ready: Waitable | None = None,
) -> None:
    """Wait for ``my_turn``, send ``(number, line)`` on ``queue``, then set ``next_turn``.

    Use a ``SimpleQueue``: its ``put`` has written the item when it returns.
    ``work`` iterations of ``spin`` run before the turn (``work_first``) or
    after it; ``ready``, a ``Barrier``, lets the parent start its clock when
    every child is running.
    """
    _check_turn_arguments(queue, number, my_turn, next_turn, work, work_first, ready)
    if ready is not None:
        ready.wait()
    if work_first:
        spin(work)
    my_turn.wait()
    if not work_first:
        spin(work)
    queue.put((number, number_line(number)))
    if next_turn is not None:
        next_turn.set()


def _check_turn_arguments(queue: object, number: object, my_turn: object, next_turn: object,
                          work: object, work_first: object, ready: object) -> None:
    """Raise TypeError or ValueError for an argument of :func:`send_in_turn` that is wrong."""
    _check_putter(queue)
    check_int("number", number, minimum=0)
    if not callable(getattr(my_turn, "wait", None)):
        raise TypeError(f"my_turn must have a wait() method, got {type(my_turn).__name__}")
    if next_turn is not None and not callable(getattr(next_turn, "set", None)):
        raise TypeError(f"next_turn must have a set() method, got {type(next_turn).__name__}")
    check_int("work", work, minimum=0)
    if not isinstance(work_first, bool):
        raise TypeError(f"work_first must be a bool, got {type(work_first).__name__}")
    if ready is not None and not callable(getattr(ready, "wait", None)):
        raise TypeError(f"ready must have a wait() method, got {type(ready).__name__}")
