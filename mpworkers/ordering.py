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
* :func:`numbers_printed` reads the numbers back out of a script's output.

None of them prints: the parent prints what they send or return.
"""

from __future__ import annotations

import re
from typing import Protocol

from mpworkers._validate import check_int, check_str
from mpworkers.basics import Putter, SettableEvent, WaitableEvent, _check_putter
from mpworkers.workloads import spin

__all__ = [
    "Waitable",
    "number_line",
    "numbers_printed",
    "send_line",
    "send_in_turn",
]

_LINE = re.compile(r"Process (\d+): \1(?!\d)")


class Waitable(Protocol):
    """Anything with a ``wait`` method: a ``multiprocessing.Barrier``, an ``Event``, ..."""

    def wait(self, timeout: float | None = None, /) -> object: ...


def number_line(number: int) -> str:
    """Return the line that the question's ``print_number(number)`` prints.

    >>> number_line(3)
    'Process 3: 3'

    Raises:
        TypeError: if ``number`` is not an int.
        ValueError: if ``number`` is negative.
    """
    check_int("number", number, minimum=0)
    return f"Process {number}: {number}"


def send_line(queue: Putter, number: int) -> None:
    """Put ``(number, number_line(number))`` on ``queue`` instead of printing it.

    The notebook version of the question's ``print_number``. With a
    ``multiprocessing.SimpleQueue`` the item is in the pipe when ``put``
    returns, so the parent receives the items in the order the children
    sent them; that order changes from run to run.

    Raises:
        TypeError: if ``queue`` has no ``put`` method or ``number`` is not an int.
        ValueError: if ``number`` is negative.
    """
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

    Chain several children with one event each (child ``i`` waits for event
    ``i`` and sets event ``i + 1``) and set the first event: the children
    send their lines one after the other, in the order of the chain, on every
    run. Use a ``multiprocessing.SimpleQueue``: its ``put`` has written the
    item to the pipe before it returns, so the order survives the trip to the
    parent. (A ``multiprocessing.Queue`` hands items to a background thread,
    and items from different processes may then arrive out of order.)

    Args:
        queue: where to send ``(number, number_line(number))``.
        number: this child's number.
        my_turn: the event that says it is this child's turn.
        next_turn: the event to set afterwards, or ``None`` for the last child.
        work: a fixed amount of CPU-bound work for the child, as the number of
            iterations of :func:`~mpworkers.workloads.spin` (size it with
            :func:`~mpworkers.workloads.calibrate_spin`).
        work_first: do that work before waiting for the turn (the children
            work in parallel and only the sending is serial) or, if ``False``,
            after it (the work is serial too).
        ready: if given, ``ready.wait()`` is called first of all. Pass a
            ``multiprocessing.Barrier`` for the children and the parent: they
            all pass it together once every child is running, so the parent
            can time the work and the turns without the start of the processes.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``number`` or ``work`` is negative.
    """
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


def numbers_printed(text: str) -> tuple[int, ...]:
    """Return the ``n`` of every ``Process n: n`` in ``text``, in order of appearance.

    It searches the text rather than splitting it into lines, so it still
    finds each line when the output of several processes was interleaved and
    a newline landed elsewhere (``'Process 1: 1Process 2: 2\\n\\n'``).

    >>> numbers_printed("Process 2: 2\\nProcess 1: 1Process 3: 3\\n\\n")
    (2, 1, 3)

    Raises:
        TypeError: if ``text`` is not a str.
    """
    check_str("text", text)
    return tuple(int(match.group(1)) for match in _LINE.finditer(text))
