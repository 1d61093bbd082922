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
* a lock taken again by its holder: :func:`transfer` and :func:`add_to_slot`;
* at most *n* at once: :func:`hold_slot` and, in the parent, :func:`max_overlap`;
* a start signal: :func:`stamp_when_set`;
* a state to wait for, on a condition: :func:`finish_and_notify`; a producer and
  consumers: :func:`produce` and :func:`consume`;
* phases: :func:`spread_max` (and :func:`spread_max_serially`, its serial
  twin) and :func:`meet`;
* two locks: :func:`take_two_locks`; a lock held when its holder dies:
  :func:`hold_lock`; a lock's cost: :func:`cycle_lock`.

:func:`report_result` is the target that runs one of them in a ``Process``
and sends back what it returned (or raised) through a queue;
:class:`ProcessGroup` and :func:`run_processes` run such workers, one
``Process`` each, and return what each call returned.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from multiprocessing.connection import Connection, wait
from types import TracebackType
from typing import Any, Protocol

from mpworkers._validate import check_int, check_real

__all__ = [
    "TIMEOUT",
    "Acquirable",
    "ConditionLike",
    "Meeting",
    "ProcessGroup",
    "SharedInt",
    "SharedInts",
    "Signal",
    "add_to_slot",
    "consume",
    "cycle_lock",
    "deposit",
    "deposit_to_kept",
    "deposit_unsafely",
    "finish_and_notify",
    "hold_lock",
    "hold_slot",
    "keep_account",
    "max_overlap",
    "meet",
    "produce",
    "report_result",
    "run_processes",
    "spread_max",
    "spread_max_serially",
    "stamp_when_set",
    "take_two_locks",
    "transfer",
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


class SharedInts(Protocol):
    """Shared numbers by index: ``multiprocessing.Array("q", n)`` or a manager's ``list``."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int, /) -> int: ...

    def __setitem__(self, index: int, value: int, /) -> None: ...


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


def _check_ints(name: str, obj: Any, *, length: int = 1) -> int:
    if isinstance(obj, (str, bytes)) or not all(
        callable(getattr(obj, method, None)) for method in ("__len__", "__getitem__", "__setitem__")
    ):
        raise TypeError(
            f"{name} must be shared numbers by index, like multiprocessing.Array('q', n), "
            f"got {type(obj).__name__}"
        )
    size = len(obj)
    if size < length:
        raise ValueError(f"{name} must hold at least {length} numbers, got {size}")
    return size


def _acquire(lock: Acquirable, timeout: float, what: str = "the lock") -> None:
    if not lock.acquire(timeout=timeout):
        raise TimeoutError(f"could not acquire {what} within {timeout} s")


def _meet(barrier: Meeting, timeout: float) -> int:
    # A barrier's own timeout breaks it (every waiting party then gets
    # BrokenBarrierError), which is what the caller needs to know.
    return barrier.wait(timeout)


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


# --- a lock taken again by the process that holds it -------------------------


def add_to_slot(
    balances: SharedInts, index: int, amount: int, lock: Acquirable, timeout: float = TIMEOUT
) -> bool:
    """Add ``amount`` to ``balances[index]`` while holding ``lock``.

    Returns ``True``, or ``False`` if the lock could not be acquired within
    ``timeout`` seconds (then nothing changed). Safe to call on its own;
    :func:`transfer` calls it while it already holds the same lock.

    Raises:
        TypeError: for arguments of the wrong kind.
        ValueError: if ``index`` is outside ``balances`` or ``timeout`` is negative.
    """
    size = _check_ints("balances", balances)
    check_int("index", index, minimum=0)
    if index >= size:
        raise ValueError(f"index must be < {size}, the number of balances, got {index}")
    check_int("amount", amount)
    _check_lock("lock", lock)
    timeout = _check_timeout(timeout)
    if not lock.acquire(timeout=timeout):
        return False
    try:
        balances[index] = balances[index] + amount
    finally:
        lock.release()
    return True


def transfer(
    balances: SharedInts,
    source: int,
    target: int,
    amount: int,
    lock: Acquirable,
    timeout: float = TIMEOUT,
) -> bool:
    """Move ``amount`` from ``balances[source]`` to ``balances[target]``, all or nothing.

    It holds ``lock`` for the whole move, so that no other process sees the
    money gone from one balance and not yet in the other, and calls
    :func:`add_to_slot` twice, which takes the same lock again. A
    ``multiprocessing.RLock`` lets its holder do that; a plain ``Lock``
    blocks its own holder: the inner acquire then times out after
    ``timeout`` seconds, nothing is moved, and ``transfer`` returns ``False``.

    Returns ``True`` if the amount was moved.

    Raises:
        TypeError: for arguments of the wrong kind.
        ValueError: if ``source`` or ``target`` is outside ``balances``, or ``timeout`` < 0.
        TimeoutError: if the outer acquire timed out (another process held the lock).
    """
    size = _check_ints("balances", balances)
    for name, index in (("source", source), ("target", target)):
        check_int(name, index, minimum=0)
        if index >= size:
            raise ValueError(f"{name} must be < {size}, the number of balances, got {index}")
    check_int("amount", amount)
    _check_lock("lock", lock)
    timeout = _check_timeout(timeout)
    _acquire(lock, timeout)
    try:
        if not add_to_slot(balances, source, -amount, lock, timeout):
            return False
        if not add_to_slot(balances, target, amount, lock, timeout):  # pragma: no cover
            balances[source] = balances[source] + amount  # put it back: all or nothing
            return False
        return True
    finally:
        lock.release()


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


def max_overlap(intervals: Iterable[tuple[float, float]]) -> int:
    """Return the largest number of ``(start, end)`` intervals that overlap at one moment.

    An interval covers the moments from its start up to, not including, its
    end: one that starts exactly when another ends does not overlap it, and
    one that ends where it starts covers no moment at all.

    >>> max_overlap([(0, 10), (5, 15), (10, 20)])
    2
    >>> max_overlap([])
    0

    Raises:
        TypeError: if an interval is not a pair of numbers.
        ValueError: if an interval ends before it starts.
    """
    if isinstance(intervals, (str, bytes)):
        raise TypeError("intervals must be an iterable of (start, end) pairs")
    moments: list[tuple[float, int]] = []
    for interval in intervals:
        if not isinstance(interval, (tuple, list)) or len(interval) != 2:
            raise TypeError(f"each interval must be a (start, end) pair, got {interval!r}")
        start = check_real("start", interval[0])
        end = check_real("end", interval[1])
        if end < start:
            raise ValueError(f"interval {interval!r} ends before it starts")
        moments += [(start, 1), (end, -1)]
    inside = most = 0
    moments.sort()
    for index, (moment, change) in enumerate(moments):
        inside += change
        # count only once every start and end at this moment is in
        if index + 1 == len(moments) or moments[index + 1][0] != moment:
            most = max(most, inside)
    return most


# --- a start signal -------------------------------------------------------------


def stamp_when_set(event: Signal, timeout: float = TIMEOUT) -> int:
    """Wait until ``event`` is set; return the ``time.perf_counter_ns()`` when the wait ended."""
    _check_waiter("event", event, "Event")
    timeout = _check_timeout(timeout)
    if not event.wait(timeout):
        raise TimeoutError(f"the event was not set within {timeout} s")
    return time.perf_counter_ns()


# --- a producer and consumers ---------------------------------------------------


def produce(
    condition: ConditionLike,
    buffer: SharedInts,
    counts: SharedInts,
    items: int,
    timeout: float = TIMEOUT,
) -> int:
    """Put item *k*, the value ``k * k``, into the ring ``buffer`` for k < ``items``."""
    _check_condition(condition)
    capacity = _check_ints("buffer", buffer)
    _check_ints("counts", counts, length=2)
    check_int("items", items, minimum=0)
    timeout = _check_timeout(timeout)
    for item in range(items):
        with condition:
            if not condition.wait_for(lambda: counts[0] - counts[1] < capacity, timeout):
                raise TimeoutError(f"the buffer stayed full for {timeout} s")
            buffer[counts[0] % capacity] = item * item
            counts[0] += 1
            condition.notify_all()
    return items


def consume(
    condition: ConditionLike,
    buffer: SharedInts,
    counts: SharedInts,
    total: int,
    timeout: float = TIMEOUT,
) -> list[tuple[int, int]]:
    """Take items from the ring ``buffer`` of :func:`produce` until ``total`` are taken."""
    _check_condition(condition)
    capacity = _check_ints("buffer", buffer)
    _check_ints("counts", counts, length=2)
    check_int("total", total, minimum=0)
    timeout = _check_timeout(timeout)
    taken: list[tuple[int, int]] = []
    while True:
        with condition:
            ready = condition.wait_for(lambda: counts[1] < counts[0] or counts[1] >= total, timeout)
            if not ready:
                raise TimeoutError(f"no item came within {timeout} s")
            if counts[1] >= total:
                return taken
            item = counts[1]
            value = buffer[item % capacity]
            counts[1] = item + 1
            condition.notify_all()
        taken.append((item, value))


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


# --- phases -----------------------------------------------------------------------


def spread_max(
    cells: SharedInts, index: int, rounds: int, barrier: Meeting, timeout: float = TIMEOUT
) -> int:
    """Play cell ``index`` of a ring for ``rounds`` rounds; return its final value.

    In each round every cell becomes the largest of itself and its two
    neighbours (the ring wraps around), so the largest value spreads one
    cell further each round. One process per cell runs this, each round in
    two phases separated by the ``barrier``:

    1. read the three old values, then wait until every cell has read;
    2. write the new value, then wait until every cell has written.

    Without the first wait a fast cell could overwrite its value before a
    slow neighbour read the old one; without the second, a fast cell could
    read a neighbour's value before the neighbour wrote this round's.
    :func:`spread_max_serially` computes the same rounds in one process.

    Raises:
        TypeError: for arguments of the wrong kind.
        ValueError: if ``index`` is outside ``cells``, ``rounds`` < 0 or ``timeout`` < 0.
        RuntimeError: a ``threading.BrokenBarrierError``, if
            a cell did not reach the barrier in time.
    """
    size = _check_ints("cells", cells)
    check_int("index", index, minimum=0)
    if index >= size:
        raise ValueError(f"index must be < {size}, the number of cells, got {index}")
    check_int("rounds", rounds, minimum=0)
    _check_waiter("barrier", barrier, "Barrier")
    timeout = _check_timeout(timeout)
    for _ in range(rounds):
        around = max(cells[(index - 1) % size], cells[index], cells[(index + 1) % size])
        _meet(barrier, timeout)  # phase 1 done: every cell has read the old values
        cells[index] = around
        _meet(barrier, timeout)  # phase 2 done: every cell has written its new value
    return cells[index]


def spread_max_serially(values: Sequence[int], rounds: int) -> list[int]:
    """The rounds of :func:`spread_max`, computed in one process: the expected answer.

    >>> spread_max_serially([0, 0, 5, 0, 0, 0], 1)
    [0, 5, 5, 5, 0, 0]

    Raises:
        TypeError: if ``values`` is not a sequence of ints or ``rounds`` not an int.
        ValueError: if ``values`` is empty or ``rounds`` < 0.
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f"values must be a sequence of ints, got {type(values).__name__}")
    cells = [check_int("value", value) for value in values]
    if not cells:
        raise ValueError("values must not be empty")
    check_int("rounds", rounds, minimum=0)
    size = len(cells)
    for _ in range(rounds):
        cells = [max(cells[(i - 1) % size], cells[i], cells[(i + 1) % size]) for i in range(size)]
    return cells


def meet(barrier: Meeting, timeout: float = TIMEOUT) -> str:
    """Wait at ``barrier``; return ``"passed"``, or the name of the error if it broke."""
    _check_waiter("barrier", barrier, "Barrier")
    timeout = _check_timeout(timeout)
    try:
        barrier.wait(timeout)
    except threading.BrokenBarrierError as exc:
        return type(exc).__name__
    return "passed"


# --- two locks, and a lock whose holder dies -------------------------------------


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


# --- running workers, one process each ----------------------------------------------


def _run_job(conn: Connection, target: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """In the child: call ``target(*args)`` and send ``("ok", result)`` or ``("raised", exc)``."""
    try:
        try:
            message: tuple[str, Any] = ("ok", target(*args))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
            message = ("raised", exc)
        try:
            conn.send(message)
        except Exception as exc:  # noqa: BLE001 - a result or error that does not pickle
            conn.send(("raised", RuntimeError(f"the result could not be sent: {exc!r}")))
    finally:
        conn.close()


class ProcessGroup:
    """Run ``target(*args)`` for each ``(target, args)`` job, one ``Process`` each, at once.

    The arguments reach each child when it is created, so they may hold a
    ``multiprocessing.Lock``, ``Event``, ``Barrier``, ``Value`` or
    ``Array``: that is "inheritance", which these objects require. Each
    child sends back what its call returned, through a pipe of its own.
    Use it as a context manager, and act while the children run::

        with ProcessGroup([(stamp_when_set, (go,))] * 3) as group:
            go.set()
            stamps = group.results()

    :meth:`results` waits for every child and returns the results in the
    order of the jobs; an exception raised by a call is raised again in the
    parent. Leaving the ``with`` block joins the children (waiting up to
    ``timeout`` seconds for them), then terminates any that is still running;
    after an exception in the block it terminates them at once. The targets must be
    importable functions, as for any ``Process`` under ``spawn``.

    Args:
        jobs: ``(target, args)`` pairs.
        timeout: seconds that :meth:`results` waits for all children together.
        context: a multiprocessing context (``multiprocessing.get_context("spawn")``);
            ``None`` for the default one. Locks and the like must come from the
            same start method.

    Raises:
        TypeError: if a job is not a ``(callable, tuple or list)`` pair, ``timeout``
            is not a number, or ``context`` has no ``Process``.
        ValueError: if there are no jobs or ``timeout`` is not positive.
    """

    def __init__(
        self,
        jobs: Iterable[tuple[Callable[..., Any], Sequence[Any]]],
        *,
        timeout: float = 60.0,
        context: Any = None,
    ) -> None:
        if isinstance(jobs, (str, bytes)) or not isinstance(jobs, Iterable):
            raise TypeError(f"jobs must be an iterable of (target, args) pairs, got {jobs!r}")
        self.jobs: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        for job in jobs:
            if not isinstance(job, tuple) or len(job) != 2:
                raise TypeError(f"each job must be a (target, args) pair, got {job!r}")
            target, args = job
            if not callable(target):
                raise TypeError(f"a job's target must be callable, got {type(target).__name__}")
            if not isinstance(args, (tuple, list)):
                raise TypeError(f"a job's args must be a tuple or list, got {type(args).__name__}")
            self.jobs.append((target, tuple(args)))
        if not self.jobs:
            raise ValueError("jobs must hold at least one (target, args) pair")
        self.timeout = check_real("timeout", timeout, minimum=0.0)
        if self.timeout == 0:
            raise ValueError("timeout must be > 0")
        self.context: Any = multiprocessing.get_context() if context is None else context
        if not callable(getattr(self.context, "Process", None)):
            raise TypeError(f"context must be a multiprocessing context, got {context!r}")
        self.processes: list[Any] = []
        self._conns: list[Connection] = []
        self._results: list[Any] | None = None

    def __enter__(self) -> ProcessGroup:
        try:
            for target, args in self.jobs:
                receiver, sender = self.context.Pipe(duplex=False)
                process = self.context.Process(
                    target=_run_job, args=(sender, target, args), daemon=True
                )
                self._conns.append(receiver)
                process.start()
                sender.close()  # the child holds the only sending end: EOF when it exits
                self.processes.append(process)
        except BaseException:
            self._stop(wait_for_them=False)
            raise
        return self

    def results(self) -> list[Any]:
        """Wait for every child; return what each call returned, in the order of the jobs.

        Raises:
            RuntimeError: if the group was not started (use it in a ``with`` block).
            TimeoutError: if the children did not all finish within ``timeout`` seconds.
            ChildProcessError: if a child exited without sending a result.
            BaseException: the exception a call raised, raised again here.
        """
        if self._results is not None:
            return list(self._results)
        if len(self.processes) != len(self.jobs):
            raise RuntimeError("the processes were not started: use the group in a with block")
        deadline = time.monotonic() + self.timeout
        messages: dict[int, tuple[str, Any]] = {}
        pending = dict(enumerate(self._conns))
        while pending:
            left = deadline - time.monotonic()
            ready = wait(list(pending.values()), timeout=max(left, 0.0)) if left > 0 else []
            if not ready:
                raise TimeoutError(
                    f"{len(pending)} of {len(self.jobs)} processes did not finish "
                    f"within {self.timeout} s"
                )
            for index, conn in list(pending.items()):
                if conn not in ready:
                    continue
                del pending[index]
                try:
                    messages[index] = conn.recv()
                except EOFError:
                    process = self.processes[index]
                    process.join(self.timeout)
                    raise ChildProcessError(
                        f"process {index} ({getattr(self.jobs[index][0], '__name__', '?')}) "
                        f"exited with code {process.exitcode} without sending a result"
                    ) from None
        for process in self.processes:
            process.join(max(deadline - time.monotonic(), 1.0))
        for index in range(len(self.jobs)):
            status, value = messages[index]
            if status == "raised":
                raise value
        self._results = [messages[index][1] for index in range(len(self.jobs))]
        return list(self._results)

    @property
    def exitcodes(self) -> list[int | None]:
        """The children's exit codes (``None`` for one still running)."""
        return [process.exitcode for process in self.processes]

    def _stop(self, wait_for_them: bool) -> None:
        deadline = time.monotonic() + (self.timeout if wait_for_them else 0.0)
        for process in self.processes:
            process.join(max(deadline - time.monotonic(), 0.0))
            if process.is_alive():
                process.terminate()
                process.join()
        for conn in self._conns:
            conn.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Normally the children have finished (or finish within the timeout);
        # after an error, one may wait for ever for a party that never comes.
        self._stop(wait_for_them=exc_type is None)


def run_processes(
    jobs: Iterable[tuple[Callable[..., Any], Sequence[Any]]],
    *,
    timeout: float = 60.0,
    context: Any = None,
) -> list[Any]:
    """Run each ``(target, args)`` job in a ``Process`` of its own, at once; return the results.

    ``run_processes([(deposit, (balance, 100, lock))] * 2)`` starts two
    processes that each call ``deposit(balance, 100, lock)``, waits for both
    and returns ``[what the first returned, what the second returned]``.
    See :class:`ProcessGroup` for the details and the arguments.

    Raises:
        TypeError: for bad arguments (see :class:`ProcessGroup`).
        ValueError: for bad values (see :class:`ProcessGroup`).
        TimeoutError: if the processes did not all finish within ``timeout`` seconds.
        ChildProcessError: if a child exited without sending a result.
        BaseException: the exception a call raised, raised again here.
    """
    with ProcessGroup(jobs, timeout=timeout, context=context) as group:
        return group.results()
