"""Workers that crash, hang, leak, log or misbehave on purpose: for "When things go wrong".

Each function here makes one kind of failure happen in a child process, on
demand and the same way under every start method, so that a chapter can show
what :class:`multiprocessing.pool.Pool` and
:class:`concurrent.futures.ProcessPoolExecutor` do about it:

* a worker that dies: :func:`exit_now` (``os._exit``), :func:`die_by_signal`
  (``SIGKILL`` by default, which is also what the Linux out-of-memory killer
  sends), :func:`square_or_exit` (dies for one input only);
* a ``BaseException`` that is not an ``Exception``: :func:`raise_system_exit`;
* an initializer that fails: :func:`fail_in_initializer`;
* a result that cannot be pickled: :func:`lazy_squares` (a generator);
* an exception that cannot be unpickled: :class:`CodeError`, raised by
  :func:`fail_with_code` (and its repaired twin :class:`PicklableCodeError`);
* tasks to cancel, time out or interrupt: :func:`announce_then_wait`,
  :func:`wait_for_interrupt`, and for Ctrl-C in a pool
  :func:`init_interruptible` with :func:`announce_then_sleep`;
* logging from workers into one log: :func:`log_to_queue` and :func:`logged_task`;
* memory: objects inherited under ``fork`` (:func:`hold_objects`) whose pages a
  worker copies when it reads them or runs the garbage collector
  (:func:`unshared_by`, measured with :func:`unique_memory`), and a worker
  that leaks (:func:`leak`).

None of them prints: what a child has to say comes back as a return value,
an exception, an exit code, or a message on a queue.
"""

from __future__ import annotations

import gc
import logging
import logging.handlers
import os
import signal
import time
from collections.abc import Generator
from typing import Any, NoReturn, Protocol

from mpworkers._validate import check_int, check_real, check_str
from mpworkers.basics import Putter, WaitableEvent, _check_putter, _check_waitable

__all__ = [
    "ACTIONS",
    "LOGGER_NAME",
    "NAP",
    "RECORDS_PER_TASK",
    "CodeError",
    "PicklableCodeError",
    "RecordQueue",
    "announce_then_sleep",
    "announce_then_wait",
    "default_kill_signal",
    "die_by_signal",
    "exit_now",
    "fail_in_initializer",
    "fail_with_code",
    "held_count",
    "hold_objects",
    "init_interruptible",
    "lazy_squares",
    "leak",
    "leaked_bytes",
    "log_to_queue",
    "logged_task",
    "raise_system_exit",
    "release_objects",
    "square_or_exit",
    "unique_memory",
    "unshared_by",
    "wait_for_interrupt",
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


def fail_in_initializer(announce: Putter | None = None, message: str = "cannot start") -> NoReturn:
    """An initializer that fails: put this process's id on ``announce`` (if given), then raise.

    ``announce`` lets the parent count the attempts: a ``Pool`` starts a new
    worker for every one that dies, for ever.

    Raises:
        TypeError: if ``announce`` has no ``put`` method or ``message`` is not a str.
        RuntimeError: always, once the arguments are valid, with ``message``.
    """
    check_str("message", message)
    if announce is not None:
        _check_putter(announce)
        announce.put(os.getpid())
    raise RuntimeError(message)


# --- results and exceptions that do not survive the trip -----------------------


def lazy_squares(n: int) -> Generator[int, None, None]:
    """Return a generator of the squares of ``0 .. n-1``, where ``list(...)`` was meant.

    >>> list(lazy_squares(4))
    [0, 1, 4, 9]
    """
    check_int("n", n, minimum=0)
    return (i * i for i in range(n))


class CodeError(Exception):
    """An error with a second argument that ``Exception.__init__`` never sees: pickle cannot
    rebuild it (unpickling calls ``CodeError(message)``)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class PicklableCodeError(Exception):
    """:class:`CodeError` repaired: every argument goes to ``Exception.__init__``."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message, code)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return f"{self.message} (code {self.code})"


def fail_with_code(code: int, picklable: bool = False) -> NoReturn:
    """Raise :class:`PicklableCodeError` if ``picklable``, else :class:`CodeError`, with ``code``.

    Raises:
        TypeError: if ``code`` is not an int or ``picklable`` not a bool.
        CodeError: or :class:`PicklableCodeError`, once the arguments are valid.
    """
    check_int("code", code)
    if not isinstance(picklable, bool):
        raise TypeError(f"picklable must be a bool, got {type(picklable).__name__}")
    if picklable:
        raise PicklableCodeError("quota exceeded", code)
    raise CodeError("quota exceeded", code)


# --- tasks to cancel, time out and interrupt --------------------------------------


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


NAP = 0.05
"""Longest single sleep of :func:`wait_for_interrupt`, in seconds."""


def wait_for_interrupt(report: Putter, timeout: float = 30.0) -> None:
    """Wait for ``SIGINT`` (Ctrl-C, ``Process.interrupt()``), then clean up and report it.

    Run it as the target of a :class:`multiprocessing.Process`. It makes
    ``SIGINT`` raise :class:`KeyboardInterrupt` in this process (whatever
    handler it inherited), puts ``"ready"`` on ``report``, and waits. When
    the interrupt comes, it puts ``"cleaned up"`` on ``report`` and returns,
    so the process exits with code 0 and prints nothing. Without an
    interrupt it puts ``"timed out"`` after ``timeout`` seconds.

    It waits in naps of at most :data:`NAP` seconds, not in one long
    ``time.sleep``. Python runs a signal handler in the main thread between
    two bytecodes, so a signal that lands while the main thread cannot take
    it (on another thread, such as the feeder thread a ``multiprocessing.Queue``
    starts at its first ``put``, or just before a long call into C) waits
    until that call returns: one long sleep would delay the
    ``KeyboardInterrupt`` to its end; a nap delays it by a nap at most.

    Raises:
        TypeError: if ``report`` has no ``put`` or ``timeout`` is not a number.
        ValueError: if ``timeout`` <= 0, or if called outside a main thread.
    """
    _check_putter(report)
    seconds = _check_timeout(timeout)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    deadline = time.monotonic() + seconds
    try:
        report.put("ready")
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, NAP))  # the work this process does until it is interrupted
    except KeyboardInterrupt:
        report.put("cleaned up")
        return
    report.put("timed out")


_announce_to: Putter | None = None


def init_interruptible(announce: Putter, ignore_sigint: bool = False) -> None:
    """Pool initializer: remember ``announce`` for :func:`announce_then_sleep`.

    With ``ignore_sigint=True`` the worker also ignores ``SIGINT``: Ctrl-C in
    a terminal then reaches only the parent, which can stop the pool cleanly.

    Raises:
        TypeError: if ``announce`` has no ``put`` or ``ignore_sigint`` is not a bool.
    """
    global _announce_to
    _check_putter(announce)
    if not isinstance(ignore_sigint, bool):
        raise TypeError(f"ignore_sigint must be a bool, got {type(ignore_sigint).__name__}")
    _announce_to = announce
    if ignore_sigint:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def announce_then_sleep(seconds: float) -> float:
    """Put this process's id on the initializer's queue, then work (sleep) ``seconds``.

    Use it in a pool set up with :func:`init_interruptible`; without that
    initializer it only sleeps. Returns ``seconds``.

    Raises:
        TypeError: if ``seconds`` is not a number.
        ValueError: if ``seconds`` < 0.
    """
    value = check_real("seconds", seconds, minimum=0.0)
    if _announce_to is not None:
        _announce_to.put(os.getpid())
    time.sleep(value)
    return value


# --- logging from workers ---------------------------------------------------------

LOGGER_NAME = "mpworkers.failures"
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


# --- memory: copy-on-write and leaks -------------------------------------------------

_held: list[list[int]] = []

ACTIONS = ("nothing", "read", "collect")
"""What :func:`unshared_by` can do to the held objects."""


def hold_objects(n: int) -> int:
    """Build ``n`` small lists ``[i]`` in this process and keep them; return ``n``.

    Call it in the parent before a ``fork``: every worker forked afterwards
    inherits them, sharing their memory pages with the parent until one of
    the two processes writes to a page. Workers started with ``spawn`` or
    ``forkserver`` do not inherit them (they hold 0 objects).

    Raises:
        TypeError: if ``n`` is not an int.
        ValueError: if ``n`` < 0.
    """
    global _held
    check_int("n", n, minimum=0)
    _held = [[i] for i in range(n)]
    return n


def release_objects() -> int:
    """Drop the objects :func:`hold_objects` built; return how many there were."""
    global _held
    count, _held = len(_held), []
    return count


def held_count() -> int:
    """Return how many objects this process holds (0 in a process that did not inherit them)."""
    return len(_held)


def unique_memory() -> int:
    """Return the unique set size (USS) of this process, in bytes.

    The USS counts the memory pages that belong to this process alone: what
    the system would free if the process ended. Pages shared copy-on-write
    with a parent or a sibling are not in it. It comes from
    :meth:`psutil.Process.memory_full_info`, which on Linux reads
    ``/proc/<pid>/smaps`` (slower than the plain RSS).

    Raises:
        NotImplementedError: where psutil cannot measure the USS.
    """
    import psutil

    info = psutil.Process().memory_full_info()
    uss = getattr(info, "uss", None)
    if uss is None:
        raise NotImplementedError("psutil cannot measure the unique set size here")
    return int(uss)


def unshared_by(action: str) -> int:
    """Do ``action`` to the held objects; return by how many bytes this process's USS grew.

    ``action`` is one of :data:`ACTIONS`:

    * ``"nothing"``: measure twice (the noise of the measurement);
    * ``"read"``: read every held object; each read changes the object's
      reference count, which is stored in the object, so its memory page is
      written, and a page shared copy-on-write becomes this process's own;
    * ``"collect"``: run a full garbage collection, which writes to the
      header of every object it examines (not those frozen by ``gc.freeze()``).

    The automatic garbage collector is paused while it measures.

    Raises:
        TypeError: if ``action`` is not a str.
        ValueError: if ``action`` is not one of :data:`ACTIONS`.
        NotImplementedError: where psutil cannot measure the USS.
    """
    check_str("action", action)
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}; got {action!r}")
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        before = unique_memory()
        if action == "read":
            total = 0
            for item in _held:
                total += item[0]
        elif action == "collect":
            gc.collect()
        after = unique_memory()
    finally:
        if was_enabled:
            gc.enable()
    return max(0, after - before)


_leaked: list[bytearray] = []


def leak(kib: int) -> tuple[int, int]:
    """Keep ``kib`` KiB for ever in this process; return ``(process id, bytes kept so far)``."""
    check_int("kib", kib, minimum=0)
    _leaked.append(bytearray(kib * 1024))
    return os.getpid(), sum(len(block) for block in _leaked)


def leaked_bytes() -> int:
    """Return how many bytes :func:`leak` has kept in this process."""
    return sum(len(block) for block in _leaked)
