"""Workers that coordinate through locks, semaphores, events, conditions and barriers.

The chapter on coordinating processes runs every one of these in child
processes. Each takes the synchronization objects it needs as arguments,
so that it works with every start method: a ``multiprocessing.Lock`` (or
``Event``, ``Barrier``, ...) reaches a child when the child is created (as an
argument of ``Process`` or through a pool's ``initializer``), and a
manager's proxies reach it in any pickled message, even as a pool task's
argument.

None of them waits for ever: every blocking call has a ``timeout``
(:data:`TIMEOUT` seconds unless told otherwise) and raises
:class:`TimeoutError` when it runs out, so a mistake shows up as an
exception, not as a notebook that hangs.

The workers, by section of the chapter:

* a lost update made to happen: :func:`deposit_unsafely`; its fix,
  :func:`deposit`; for a pool, :func:`keep_account` and :func:`deposit_to_kept`;
* at most *n* at once: :func:`hold_slot`;
* a start signal: :func:`stamp_when_set`;
* a state to wait for, on a condition: :func:`finish_and_notify`;
* two locks: :func:`take_two_locks`; a lock held when its holder dies:
  :func:`hold_lock`; a barrier that breaks: :func:`meet`; a lock's cost:
  :func:`cycle_lock`.

:func:`report_result` is the target that runs one of them in a ``Process``
and sends back what it returned (or raised) through a queue.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from mpworkers._validate import check_int, check_real

__all__ = [
    "TIMEOUT",
    "Acquirable",
    "ConditionLike",
    "Meeting",
    "SharedInt",
    "Signal",
    "cycle_lock",
    "deposit",
    "deposit_to_kept",
    "deposit_unsafely",
    "finish_and_notify",
    "hold_lock",
    "hold_slot",
    "keep_account",
    "meet",
    "report_result",
    "stamp_when_set",
    "take_two_locks",
]

TIMEOUT = 30.0
"""Seconds any blocking call of this module waits before it raises :class:`TimeoutError`."""


# --- what the workers accept ------------------------------------------------


class Acquirable(Protocol):
    """A lock or semaphore: ``multiprocessing.Lock``/``RLock``/``Semaphore``, a manager's
    ``Lock()`` proxy, or a ``threading`` lock."""

    def acquire(self, *, timeout: float = ...) -> bool: ...

    def release(self) -> None: ...


class Meeting(Protocol):
    """A barrier: ``multiprocessing.Barrier``, a manager's ``Barrier()``, ``threading.Barrier``."""

    def wait(self, timeout: float | None = ...) -> int: ...


class Signal(Protocol):
    """An event: ``multiprocessing.Event``, a manager's ``Event()``, ``threading.Event``."""

    def wait(self, timeout: float | None = ...) -> bool: ...

    def set(self) -> None: ...


class ConditionLike(Protocol):
    """A condition variable: ``multiprocessing.Condition`` or ``threading.Condition``."""

    def __enter__(self) -> Any: ...

    def __exit__(self, *args: Any) -> Any: ...

    def wait_for(self, predicate: Callable[[], Any], timeout: float | None = ...) -> Any: ...

    def notify_all(self) -> None: ...


class SharedInt(Protocol):
    """One shared number: ``multiprocessing.Value("i", 0)`` or a manager's ``Value("i", 0)``."""

    value: int


# --- argument checks --------------------------------------------------------


def _check_timeout(timeout: Any) -> float:
    return check_real("timeout", timeout, minimum=0.0)


def _check_lock(name: str, lock: Any) -> None:
    if not (callable(getattr(lock, "acquire", None)) and callable(getattr(lock, "release", None))):
        raise TypeError(
            f"{name} must have acquire() and release() methods, like multiprocessing.Lock, "
            f"got {type(lock).__name__}"
        )


def _check_waiter(name: str, obj: Any, kind: str) -> None:
    if not callable(getattr(obj, "wait", None)):
        raise TypeError(
            f"{name} must have a wait() method, like multiprocessing.{kind}, "
            f"got {type(obj).__name__}"
        )


def _check_value(name: str, obj: Any) -> None:
    if not hasattr(obj, "value"):
        raise TypeError(
            f"{name} must be a shared number with a .value, like multiprocessing.Value('i', 0), "
            f"got {type(obj).__name__}"
        )


# --- a lost update, and its fix ---------------------------------------------


def deposit_unsafely(
    balance: SharedInt, amount: int, both_have_read: Meeting, timeout: float = TIMEOUT
) -> int:
    """Add ``amount`` to ``balance.value`` in two steps; return the balance it read."""
    _check_value("balance", balance)
    check_int("amount", amount)
    _check_waiter("both_have_read", both_have_read, "Barrier")
    timeout = _check_timeout(timeout)
    seen = balance.value  # 1. read
    both_have_read.wait(timeout)  # until every depositor has read
    balance.value = seen + amount  # 2. write, from a stale read
    return seen


def deposit(
    balance: SharedInt,
    amount: int,
    lock: Acquirable,
    arrived: Meeting | None = None,
    timeout: float = TIMEOUT,
) -> int:
    """Add ``amount`` to ``balance.value`` holding ``lock``; return the balance it read."""
    _check_value("balance", balance)
    check_int("amount", amount)
    _check_lock("lock", lock)
    if arrived is not None:
        _check_waiter("arrived", arrived, "Barrier")
    timeout = _check_timeout(timeout)
    if arrived is not None:
        arrived.wait(timeout)
    if not lock.acquire(timeout=timeout):
        raise TimeoutError(f"could not acquire the lock within {timeout} s")
    try:  # nobody else reads between our read and our write
        seen = balance.value
        balance.value = seen + amount
    finally:
        lock.release()
    return seen


_kept: dict[str, Any] = {}


def keep_account(balance: SharedInt, lock: Acquirable) -> None:
    """Pool initializer: keep ``balance`` and ``lock`` here for :func:`deposit_to_kept`."""
    _check_value("balance", balance)
    _check_lock("lock", lock)
    _kept["balance"] = balance
    _kept["lock"] = lock


def deposit_to_kept(amount: int) -> int:
    """Deposit ``amount`` to the account that :func:`keep_account` kept; return the balance read."""
    check_int("amount", amount)
    if "balance" not in _kept:
        raise RuntimeError("no account kept here: use initializer=keep_account")
    return deposit(_kept["balance"], amount, _kept["lock"])


# --- at most n at once --------------------------------------------------------


def hold_slot(
    slots: Acquirable,
    meet_inside: Meeting | None = None,
    meet_timeout: float = TIMEOUT,
    timeout: float = TIMEOUT,
) -> tuple[int, int]:
    """Acquire ``slots`` (a semaphore), stay inside, release; return when it was inside."""
    _check_lock("slots", slots)
    if meet_inside is not None:
        _check_waiter("meet_inside", meet_inside, "Barrier")
    meet_timeout = check_real("meet_timeout", meet_timeout, minimum=0.0)
    timeout = _check_timeout(timeout)
    if not slots.acquire(timeout=timeout):
        raise TimeoutError(f"could not acquire a slot of the semaphore within {timeout} s")
    try:
        entered = time.perf_counter_ns()
        if meet_inside is not None:
            meet_inside.wait(meet_timeout)
        left = time.perf_counter_ns()
    finally:
        slots.release()
    return entered, left


# --- a start signal -------------------------------------------------------------


def stamp_when_set(event: Signal, timeout: float = TIMEOUT) -> int:
    """Wait until ``event`` is set; return the ``time.perf_counter_ns()`` when the wait ended."""
    _check_waiter("event", event, "Event")
    timeout = _check_timeout(timeout)
    if not event.wait(timeout):
        raise TimeoutError(f"the event was not set within {timeout} s")
    return time.perf_counter_ns()


# --- a state to wait for, on a condition -----------------------------------------


def finish_and_notify(condition: ConditionLike, finished: SharedInt) -> int:
    """Add 1 to ``finished.value`` while holding ``condition``, wake every waiter; return it."""
    _check_condition(condition)
    _check_value("finished", finished)
    with condition:
        finished.value += 1
        condition.notify_all()
        return finished.value


def _check_condition(condition: Any) -> None:
    needed = ("__enter__", "__exit__", "wait_for", "notify_all")
    if not all(callable(getattr(condition, name, None)) for name in needed):
        raise TypeError(
            "condition must be a condition variable, like multiprocessing.Condition(), "
            f"got {type(condition).__name__}"
        )


# --- two locks, a lock whose holder dies, a barrier that breaks ------------------


def take_two_locks(
    first: Acquirable,
    second: Acquirable,
    holding_first: Meeting | None = None,
    timeout: float = TIMEOUT,
    patience: float = TIMEOUT,
) -> bool:
    """Acquire ``first``, then try ``second`` for ``timeout`` seconds; return whether it got it."""
    _check_lock("first", first)
    _check_lock("second", second)
    if holding_first is not None:
        _check_waiter("holding_first", holding_first, "Barrier")
    timeout = _check_timeout(timeout)
    patience = check_real("patience", patience, minimum=0.0)
    if not first.acquire(timeout=patience):
        raise TimeoutError(f"could not acquire the first lock within {patience} s")
    try:
        if holding_first is not None:
            holding_first.wait(patience)  # everyone holds their first lock
        got_second = second.acquire(timeout=timeout)
        if holding_first is not None:
            holding_first.wait(patience)  # everyone has tried their second lock
        if got_second:
            second.release()
    finally:
        first.release()
    return bool(got_second)


def hold_lock(
    lock: Acquirable, holding: Signal, may_release: Signal, timeout: float = TIMEOUT
) -> bool:
    """Acquire ``lock``, set ``holding``, wait until ``may_release`` is set, release it."""
    _check_lock("lock", lock)
    for name, event in (("holding", holding), ("may_release", may_release)):
        _check_waiter(name, event, "Event")
        if not callable(getattr(event, "set", None)):
            raise TypeError(f"{name} must have a set() method, like multiprocessing.Event")
    timeout = _check_timeout(timeout)
    if not lock.acquire(timeout=timeout):
        raise TimeoutError(f"could not acquire the lock within {timeout} s")
    try:
        holding.set()
        if not may_release.wait(timeout):
            raise TimeoutError(f"may_release was not set within {timeout} s")
    finally:
        lock.release()
    return True


def meet(barrier: Meeting, timeout: float = TIMEOUT) -> str:
    """Wait at ``barrier``; return ``"passed"``, or the name of the error if it broke."""
    _check_waiter("barrier", barrier, "Barrier")
    timeout = _check_timeout(timeout)
    try:
        barrier.wait(timeout)
    except threading.BrokenBarrierError as exc:
        return type(exc).__name__
    return "passed"


def cycle_lock(lock: Acquirable, times: int) -> int:
    """Acquire and release ``lock`` ``times`` times; return ``times``."""
    _check_lock("lock", lock)
    check_int("times", times, minimum=0)
    for _ in range(times):
        if not lock.acquire(timeout=TIMEOUT):
            raise TimeoutError(f"could not acquire the lock within {TIMEOUT} s")
        lock.release()
    return times


# --- a process's result, sent back to its parent ------------------------------------


def report_result(results: Any, index: int, function: Callable[..., Any], *args: Any) -> None:
    """Call ``function(*args)``; put ``(index, what it returned or raised)`` on ``results``."""
    if not callable(getattr(results, "put", None)):
        raise TypeError(f"results must be a queue, got {type(results).__name__}")
    check_int("index", index)
    if not callable(function):
        raise TypeError(f"function must be callable, got {type(function).__name__}")
    try:
        outcome = function(*args)
    except Exception as exc:  # noqa: BLE001 - the parent decides what to do with it
        outcome = exc
    results.put((index, outcome))
