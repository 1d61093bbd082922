"""Unit tests for mpworkers.coordination: workers that coordinate, and the group that runs them."""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.managers import SyncManager
from typing import Any

import pytest

from mpworkers import coordination as co

METHODS = [
    m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()
]


def run_each(jobs: list[tuple[Any, tuple[Any, ...]]], context: Any) -> list[Any]:
    """Run each (function, args) job in a Process of its own, at once, as chapter 11 does
    with report_result; return what each returned, in the order of the jobs."""
    results = context.Queue()
    processes = [context.Process(target=co.report_result, args=(results, i, f, *args))
                 for i, (f, args) in enumerate(jobs)]
    for process in processes:
        process.start()
    try:
        got = dict(results.get(timeout=60) for _ in processes)
    finally:
        for process in processes:
            process.join(60)
    assert [process.exitcode for process in processes] == [0] * len(jobs)
    outcomes = [got[i] for i in range(len(jobs))]
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return outcomes


def most_at_once(intervals: list[tuple[int, int]]) -> int:
    """The largest number of (start, end) intervals that overlap at one moment."""
    moments = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    inside = most = 0
    for _, change in moments:  # at a tie an end (-1) sorts first: touching is not overlapping
        inside += change
        most = max(most, inside)
    return most


class Box:
    """A plain object with a .value, standing in for a shared Value within one process."""

    def __init__(self, value: int = 0) -> None:
        self.value = value


@pytest.fixture(scope="module")
def manager() -> Iterator[SyncManager]:
    with multiprocessing.get_context("spawn").Manager() as m:
        yield m


# --- the lost update and its fix ---------------------------------------------------


def test_deposit_unsafely_loses_all_but_one_deposit_in_threads() -> None:
    balance, barrier = Box(), threading.Barrier(3)
    with ThreadPoolExecutor(3) as pool:
        seen = list(pool.map(lambda _: co.deposit_unsafely(balance, 100, barrier), range(3)))
    assert seen == [0, 0, 0]
    assert balance.value == 100


def test_deposit_with_a_lock_loses_nothing_in_threads() -> None:
    balance, lock, arrived = Box(), threading.Lock(), threading.Barrier(4)
    with ThreadPoolExecutor(4) as pool:
        seen = list(pool.map(lambda _: co.deposit(balance, 100, lock, arrived), range(4)))
    assert sorted(seen) == [0, 100, 200, 300]
    assert balance.value == 400


@pytest.mark.parametrize("method", METHODS)
def test_the_lost_update_and_the_lock_in_processes(method: str) -> None:
    ctx: Any = multiprocessing.get_context(method)
    balance = ctx.Value("i", 0)
    seen = run_each(
        [(co.deposit_unsafely, (balance, 100, ctx.Barrier(2)))] * 2, ctx
    )
    assert seen == [0, 0] and balance.value == 100
    balance = ctx.Value("i", 0)
    lock = ctx.Lock()
    seen = run_each([(co.deposit, (balance, 100, lock, ctx.Barrier(2)))] * 2, ctx)
    assert sorted(seen) == [0, 100] and balance.value == 200


def test_deposit_times_out_on_a_held_lock() -> None:
    lock = threading.Lock()
    lock.acquire()
    with pytest.raises(TimeoutError, match="could not acquire the lock"):
        co.deposit(Box(), 1, lock, timeout=0.01)


def test_deposit_unsafely_breaks_the_barrier_when_alone() -> None:
    with pytest.raises(threading.BrokenBarrierError):
        co.deposit_unsafely(Box(), 1, threading.Barrier(2), timeout=0.01)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((5, 1, "lock"), TypeError, "balance must be a shared number"),
        (("box", 1.5, "lock"), TypeError, "amount must be an int"),
        (("box", True, "lock"), TypeError, "amount must be an int"),
        (("box", 1, None), TypeError, "lock must have acquire"),
        (("box", 1, "lock", "barrier"), TypeError, "arrived must have a wait"),
        (("box", 1, "lock", None, -1), ValueError, "timeout must be >= 0"),
        (("box", 1, "lock", None, "1"), TypeError, "timeout must be a real number"),
    ],
)
def test_deposit_checks_its_arguments(args: tuple[Any, ...], error: type, match: str) -> None:
    fill = {"box": Box(), "lock": threading.Lock()}
    real: list[Any] = [fill.get(a, a) if isinstance(a, str) and a in fill else a for a in args]
    with pytest.raises(error, match=match):
        co.deposit(*real)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((None, 1, "barrier"), TypeError, "balance must be a shared number"),
        (("box", "1", "barrier"), TypeError, "amount must be an int"),
        (("box", 1, threading.Lock()), TypeError, "both_have_read must have a wait"),
        (("box", 1, "barrier", -0.5), ValueError, "timeout must be >= 0"),
    ],
)
def test_deposit_unsafely_checks_its_arguments(
    args: tuple[Any, ...], error: type, match: str
) -> None:
    fill = {"box": Box(), "barrier": threading.Barrier(1)}
    real: list[Any] = [fill.get(a, a) if isinstance(a, str) and a in fill else a for a in args]
    with pytest.raises(error, match=match):
        co.deposit_unsafely(*real)


def test_deposit_to_kept_needs_keep_account() -> None:
    co._kept.clear()
    with pytest.raises(RuntimeError, match="initializer=keep_account"):
        co.deposit_to_kept(1)
    balance = Box(5)
    co.keep_account(balance, threading.Lock())
    try:
        assert co.deposit_to_kept(10) == 5
        assert balance.value == 15
    finally:
        co._kept.clear()


def test_keep_account_and_deposit_to_kept_check_their_arguments() -> None:
    with pytest.raises(TypeError, match="balance must be a shared number"):
        co.keep_account(3, threading.Lock())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="lock must have acquire"):
        co.keep_account(Box(), object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="amount must be an int"):
        co.deposit_to_kept(2.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("method", METHODS)
def test_a_pool_gets_a_lock_through_its_initializer_only(method: str) -> None:
    ctx: Any = multiprocessing.get_context(method)
    balance, lock = ctx.Value("i", 0), ctx.Lock()
    with ctx.Pool(1) as pool:
        with pytest.raises(RuntimeError, match="inheritance"):
            pool.apply(co.cycle_lock, (lock, 1))
    with ctx.Pool(2, initializer=co.keep_account, initargs=(balance, lock)) as pool:
        seen = pool.map(co.deposit_to_kept, [100] * 4)
    assert sorted(seen) == [0, 100, 200, 300]
    assert balance.value == 400


def test_manager_proxies_go_to_pool_tasks(manager: SyncManager) -> None:
    balance, lock = manager.Value("i", 0), manager.Lock()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        seen = pool.starmap(co.deposit, [(balance, 100, lock)] * 4)
    assert sorted(seen) == [0, 100, 200, 300]
    assert balance.value == 400


@pytest.mark.parametrize("method", METHODS)
def test_a_semaphore_lets_exactly_its_value_in(method: str) -> None:
    ctx: Any = multiprocessing.get_context(method)
    slots, inside = ctx.Semaphore(2), ctx.Barrier(2)
    intervals = run_each([(co.hold_slot, (slots, inside))] * 4, ctx)
    assert all(start <= end for start, end in intervals)
    assert most_at_once(intervals) == 2


def test_hold_slot_in_threads_without_a_barrier() -> None:
    slots = threading.Semaphore(1)
    with ThreadPoolExecutor(3) as pool:
        intervals = list(pool.map(lambda _: co.hold_slot(slots), range(3)))
    assert most_at_once(intervals) == 1


def test_a_third_holder_never_comes_in() -> None:
    slots, inside = threading.Semaphore(2), threading.Barrier(3)
    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(co.hold_slot, slots, inside, 0.1) for _ in range(3)]
        errors = [type(f.exception()).__name__ for f in futures]
    assert errors == ["BrokenBarrierError"] * 3


def test_hold_slot_checks_its_arguments() -> None:
    with pytest.raises(TypeError, match="slots must have acquire"):
        co.hold_slot(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="meet_inside must have a wait"):
        co.hold_slot(threading.Semaphore(), 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="meet_timeout must be >= 0"):
        co.hold_slot(threading.Semaphore(), None, -1)
    with pytest.raises(TypeError, match="meet_timeout must be a real number"):
        co.hold_slot(threading.Semaphore(), None, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout must be >= 0"):
        co.hold_slot(threading.Semaphore(), None, 1, -1)
    empty = threading.Semaphore(0)
    with pytest.raises(TimeoutError, match="a slot of the semaphore"):
        co.hold_slot(empty, timeout=0.01)


# --- event ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_stamp_when_set_waits_for_the_event(method: str) -> None:
    ctx: Any = multiprocessing.get_context(method)
    go, results = ctx.Event(), ctx.Queue()
    processes = [ctx.Process(target=co.report_result, args=(results, i, co.stamp_when_set, go))
                 for i in range(2)]
    for process in processes:
        process.start()
    before = time.perf_counter_ns()
    go.set()
    stamps = [stamp for _, stamp in (results.get(timeout=60) for _ in processes)]
    for process in processes:
        process.join(60)
    assert all(stamp >= before for stamp in stamps)
    assert [process.exitcode for process in processes] == [0, 0]


def test_stamp_when_set_times_out_and_checks() -> None:
    with pytest.raises(TimeoutError, match="not set within"):
        co.stamp_when_set(threading.Event(), 0.01)
    with pytest.raises(TypeError, match="event must have a wait"):
        co.stamp_when_set("go")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout"):
        co.stamp_when_set(threading.Event(), -2)


# --- condition ---------------------------------------------------------------------------


# --- barrier --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_meet_reports_a_broken_barrier(method: str) -> None:
    ctx: Any = multiprocessing.get_context(method)
    barrier = ctx.Barrier(3)
    outcomes = run_each([(co.meet, (barrier, 0.2))] * 2, ctx)
    assert outcomes == ["BrokenBarrierError"] * 2
    assert barrier.broken
    barrier.reset()
    assert run_each([(co.meet, (barrier,))] * 3, ctx) == ["passed"] * 3


def test_meet_checks_its_arguments() -> None:
    assert co.meet(threading.Barrier(1)) == "passed"
    with pytest.raises(TypeError, match="barrier must have a wait"):
        co.meet(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout"):
        co.meet(threading.Barrier(1), -1)


# --- two locks; a lock whose holder dies; a lock's cost -------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_opposite_orders_deadlock_and_one_order_does_not(method: str) -> None:
    ctx: Any = multiprocessing.get_context(method)
    a, b, holding = ctx.Lock(), ctx.Lock(), ctx.Barrier(2)
    jobs = [(co.take_two_locks, (a, b, holding, 0.1)), (co.take_two_locks, (b, a, holding, 0.1))]
    assert run_each(jobs, ctx) == [False, False]
    assert run_each([(co.take_two_locks, (a, b))] * 2, ctx) == [True, True]
    assert a.acquire(timeout=0) and b.acquire(timeout=0)  # both released


def test_a_slow_partner_does_not_break_the_deadlock_demonstration() -> None:
    a, b, holding = threading.Lock(), threading.Lock(), threading.Barrier(2)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(co.take_two_locks, a, b, holding, 0.05)
        time.sleep(0.3)  # the partner starts late, longer than the lock timeout
        second = pool.submit(co.take_two_locks, b, a, holding, 0.05)
        assert [first.result(), second.result()] == [False, False]


def test_take_two_locks_checks_its_arguments() -> None:
    lock = threading.Lock()
    with pytest.raises(TypeError, match="first must have acquire"):
        co.take_two_locks(None, lock)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="second must have acquire"):
        co.take_two_locks(lock, "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="holding_first must have a wait"):
        co.take_two_locks(lock, threading.Lock(), lock)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout"):
        co.take_two_locks(lock, threading.Lock(), None, -1)
    with pytest.raises(ValueError, match="patience must be >= 0"):
        co.take_two_locks(lock, threading.Lock(), None, 1, -1)
    lock.acquire()
    with pytest.raises(TimeoutError, match="the first lock"):
        co.take_two_locks(lock, threading.Lock(), patience=0.01)


@pytest.mark.parametrize("method", METHODS)
def test_a_terminated_holder_keeps_its_lock_and_a_stopped_one_does_not(method: str) -> None:
    ctx: Any = multiprocessing.get_context(method)
    lock, holding, may_release = ctx.Lock(), ctx.Event(), ctx.Event()
    holder = ctx.Process(target=co.hold_lock, args=(lock, holding, may_release))
    holder.start()
    assert holding.wait(30)
    holder.terminate()
    holder.join()
    assert holder.exitcode == -15
    assert lock.acquire(timeout=0.1) is False
    lock, holding, may_release = ctx.Lock(), ctx.Event(), ctx.Event()
    holder = ctx.Process(target=co.hold_lock, args=(lock, holding, may_release))
    holder.start()
    assert holding.wait(30)
    may_release.set()
    holder.join()
    assert holder.exitcode == 0
    assert lock.acquire(timeout=5) is True


def test_hold_lock_times_out_and_releases() -> None:
    lock = threading.Lock()
    with pytest.raises(TimeoutError, match="may_release"):
        co.hold_lock(lock, threading.Event(), threading.Event(), 0.01)
    assert lock.acquire(blocking=False)


def test_hold_lock_checks_its_arguments() -> None:
    event = threading.Event()
    with pytest.raises(TypeError, match="lock must have acquire"):
        co.hold_lock(event, event, event)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="holding must have a wait"):
        co.hold_lock(threading.Lock(), 1, event)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="may_release must have a set"):
        co.hold_lock(threading.Lock(), event, threading.Barrier(1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout"):
        co.hold_lock(threading.Lock(), event, event, -1)


def test_cycle_lock(manager: SyncManager) -> None:
    lock = multiprocessing.Lock()
    assert co.cycle_lock(lock, 50) == 50
    assert co.cycle_lock(manager.Lock(), 5) == 5
    assert co.cycle_lock(lock, 0) == 0
    assert lock.acquire(timeout=0)
    with pytest.raises(TypeError, match="lock must have acquire"):
        co.cycle_lock(3, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="times must be >= 0"):
        co.cycle_lock(threading.Lock(), -1)


# --- report_result ----------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_report_result_sends_what_a_process_returned_or_raised(method: str) -> None:
    ctx: Any = multiprocessing.get_context(method)
    results = ctx.Queue()
    jobs = [(co.meet, (ctx.Barrier(1),)), (co.cycle_lock, (ctx.Lock(), -1))]
    processes = [ctx.Process(target=co.report_result, args=(results, i, f, *args))
                 for i, (f, args) in enumerate(jobs)]
    for process in processes:
        process.start()
    got = dict(results.get(timeout=30) for _ in processes)
    for process in processes:
        process.join(30)
    assert got[0] == "passed"
    assert isinstance(got[1], ValueError)
    assert [process.exitcode for process in processes] == [0, 0]


def test_report_result_checks_its_arguments() -> None:
    results: queue.SimpleQueue[Any] = queue.SimpleQueue()
    with pytest.raises(TypeError, match="results must be a queue"):
        co.report_result(None, 0, print)
    with pytest.raises(TypeError, match="index must be an int"):
        co.report_result(results, "0", print)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="function must be callable"):
        co.report_result(results, 0, 3)  # type: ignore[arg-type]
    co.report_result(results, 2, max, 1, 5)
    assert results.get() == (2, 5)


@pytest.mark.parametrize("method", METHODS)
def test_finish_and_notify_wakes_a_waiter(method: str) -> None:
    ctx: Any = multiprocessing.get_context(method)
    condition, finished = ctx.Condition(), ctx.Value("i", 0, lock=False)
    workers = [ctx.Process(target=co.finish_and_notify, args=(condition, finished))
               for _ in range(3)]
    for worker in workers:
        worker.start()
    with condition:
        assert condition.wait_for(lambda: finished.value == 3, timeout=30)
    for worker in workers:
        worker.join(30)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]


def test_finish_and_notify_checks_its_arguments() -> None:
    with pytest.raises(TypeError, match="condition must be a condition variable"):
        co.finish_and_notify(threading.Lock(), Box())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="finished must be a shared number"):
        co.finish_and_notify(threading.Condition(), 3)  # type: ignore[arg-type]
    box = Box()
    assert co.finish_and_notify(threading.Condition(), box) == 1
