"""Workers that die, hang, leak or log on purpose: for the chapter "When things go wrong".

Where :mod:`mpworkers.task_errors` holds tasks whose error comes back to the
parent while the worker lives on, each function here makes one kind of
failure of the worker process itself happen, on demand and the same way
under every start method, so that the chapter can show what
:class:`multiprocessing.pool.Pool` and
:class:`concurrent.futures.ProcessPoolExecutor` do about it:

* a worker that dies: :func:`exit_now` (``os._exit``), :func:`die_by_signal`
  (``SIGKILL`` by default, which is also what the Linux out-of-memory killer
  sends), :func:`square_or_exit` (dies for one input only);
* a ``BaseException`` that is not an ``Exception``: :func:`raise_system_exit`;
* a result that cannot be pickled: :func:`lazy_squares` (a generator);
* a task to cancel or time out: :func:`announce_then_wait`;
* logging from workers into one log: :func:`log_to_queue` and :func:`logged_task`;
* a worker that leaks memory: :func:`leak`.

None of them prints: what a child has to say comes back as a return value,
an exception, an exit code, or a message on a queue.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import signal
from collections.abc import Generator
from typing import Any, NoReturn, Protocol

from mpworkers._validate import check_int, check_real
from mpworkers.basics import Putter, WaitableEvent, _check_putter, _check_waitable

__all__ = [
    "LOGGER_NAME",
    "RECORDS_PER_TASK",
    "RecordQueue",
    "announce_then_wait",
    "default_kill_signal",
    "die_by_signal",
    "exit_now",
    "lazy_squares",
    "leak",
    "log_to_queue",
    "logged_task",
    "raise_system_exit",
    "square_or_exit",
]


def _check_exit_code(name: str, code: Any) -> int:
    check_int(name, code, minimum=0)
    if code > 255:
        raise ValueError(f"{name} must be <= 255, got {code}")
    return int(code)


def _check_timeout(timeout: Any) -> float:
    value = check_real("timeout", timeout, minimum=0.0)
    if value == 0:
        raise ValueError("timeout must be > 0")
    return value


# --- workers that die ---------------------------------------------------------


def exit_now(code: int = 1) -> NoReturn:
    """End the calling process at once with exit status ``code``, as ``os._exit`` does."""
    _check_exit_code("code", code)
    os._exit(code)


def default_kill_signal() -> int:
    """Return ``SIGKILL`` where the platform has it (POSIX), else ``SIGTERM`` (Windows)."""
    return int(getattr(signal, "SIGKILL", signal.SIGTERM))


def die_by_signal(signum: int | None = None) -> None:
    """Send the signal ``signum`` (default: :func:`default_kill_signal`) to this process."""
    if signum is None:
        signum = default_kill_signal()
    check_int("signum", signum, minimum=1)
    try:
        signal.Signals(signum)
    except ValueError:
        raise ValueError(f"signum must be a signal of this platform, got {signum}") from None
    os.kill(os.getpid(), signum)


def square_or_exit(x: int, fatal: int = 13) -> int:
    """Return ``x * x``, except for ``x == fatal``: then end the process with :func:`exit_now`.

    >>> square_or_exit(4)
    16
    """
    check_int("x", x)
    check_int("fatal", fatal)
    if x == fatal:
        exit_now(1)
    return x * x


def raise_system_exit(code: int = 1) -> NoReturn:
    """Raise :class:`SystemExit` with ``code``: a ``BaseException``, not an ``Exception``."""
    _check_exit_code("code", code)
    raise SystemExit(code)


# --- a result that does not survive the trip ------------------------------------


def lazy_squares(n: int) -> Generator[int, None, None]:
    """Return a generator of the squares of ``0 .. n-1``, where ``list(...)`` was meant.

    >>> list(lazy_squares(4))
    [0, 1, 4, 9]
    """
    check_int("n", n, minimum=0)
    return (i * i for i in range(n))


# --- a task to cancel or time out -----------------------------------------------


def announce_then_wait(announce: Putter, release: WaitableEvent, timeout: float = 30.0) -> int:
    """Put this process's id on ``announce``, block until ``release`` is set; return the id."""
    _check_putter(announce)
    _check_waitable(release)
    seconds = _check_timeout(timeout)
    pid = os.getpid()
    announce.put(pid)
    if not release.wait(seconds):
        raise TimeoutError(f"not released within {seconds} s")
    return pid


# --- logging from workers ---------------------------------------------------------

LOGGER_NAME = "mpworkers.worker_failures"
"""The logger :func:`logged_task` writes to."""

RECORDS_PER_TASK = 2
"""How many records :func:`logged_task` logs at level INFO."""


class RecordQueue(Protocol):
    """What ``logging.handlers.QueueHandler`` needs: a ``put_nowait`` method."""

    def put_nowait(self, obj: Any, /) -> None: ...


def log_to_queue(queue: RecordQueue, level: int = logging.INFO) -> None:
    """Pool initializer: send every log record of this worker to ``queue``."""
    if not callable(getattr(queue, "put_nowait", None)):
        raise TypeError(f"queue must have a put_nowait() method, got {type(queue).__name__}")
    check_int("level", level, minimum=0)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(logging.handlers.QueueHandler(queue))  # type: ignore[arg-type]
    root.setLevel(level)


def logged_task(x: int) -> int:
    """Log :data:`RECORDS_PER_TASK` INFO records to :data:`LOGGER_NAME`; return ``x * x``.

    Raises:
        TypeError: if ``x`` is not an int.
    """
    check_int("x", x)
    log = logging.getLogger(LOGGER_NAME)
    log.info("task %d started", x)
    result = x * x
    log.info("task %d done: %d", x, result)
    return result


# --- a worker that leaks -----------------------------------------------------------

_leaked: list[bytearray] = []


def leak(kib: int) -> tuple[int, int]:
    """Keep ``kib`` KiB for ever in this process; return ``(process id, bytes kept so far)``."""
    check_int("kib", kib, minimum=0)
    _leaked.append(bytearray(kib * 1024))
    return os.getpid(), sum(len(block) for block in _leaked)


