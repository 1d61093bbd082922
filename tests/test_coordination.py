"""Unit tests for mpworkers.coordination: workers that coordinate, and the group that runs them."""

from __future__ import annotations

import doctest
import multiprocessing
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.managers import SyncManager
from typing import Any

import pytest

import mpworkers.coordination
from mpworkers import coordination as co

METHODS = [
    m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()
]


class Box:
    """A plain object with a .value, standing in for a shared Value within one process."""

    def __init__(self, value: int = 0) -> None:
        self.value = value


@pytest.fixture(scope="module")
def manager() -> Iterator[SyncManager]:
    with multiprocessing.get_context("spawn").Manager() as m:
        yield m


def test_doctests() -> None:
    result = doctest.testmod(mpworkers.coordination)
    assert result.attempted > 0
    assert result.failed == 0


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
    seen = co.run_processes(
        [(co.deposit_unsafely, (balance, 100, ctx.Barrier(2)))] * 2, context=ctx
    )
    assert seen == [0, 0] and balance.value == 100
    balance = ctx.Value("i", 0)
    lock = ctx.Lock()
    seen = co.run_processes([(co.deposit, (balance, 100, lock, ctx.Barrier(2)))] * 2, context=ctx)
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


# --- RLock ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_transfer_needs_a_reentrant_lock(method: str) -> None:
    ctx: Any = multiprocessing.get_context(method)
    balances = ctx.Array("q", [100, 0], lock=False)
    assert co.transfer(balances, 0, 1, 30, ctx.Lock(), timeout=0.05) is False
    assert list(balances) == [100, 0]
    assert co.transfer(balances, 0, 1, 30, ctx.RLock()) is True
    assert list(balances) == [70, 30]


def test_add_to_slot() -> None:
    balances = [1, 2]
    assert co.add_to_slot(balances, 1, 5, threading.Lock()) is True
    assert balances == [1, 7]
    held = threading.Lock()
    held.acquire()
    assert co.add_to_slot(balances, 0, 5, held, timeout=0.01) is False
    assert balances == [1, 7]


def test_transfer_times_out_when_another_holds_the_lock() -> None:
    held = threading.Lock()
    held.acquire()
    with pytest.raises(TimeoutError):
        co.transfer([1, 2], 0, 1, 1, held, timeout=0.01)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda lk: co.add_to_slot("ab", 0, 1, lk),  # type: ignore[arg-type]
         TypeError, "balances must be shared"),
        (lambda lk: co.add_to_slot([], 0, 1, lk), ValueError, "at least 1"),
        (lambda lk: co.add_to_slot([1], 1, 1, lk), ValueError, "index must be < 1"),
        (lambda lk: co.add_to_slot([1], -1, 1, lk), ValueError, "index must be >= 0"),
        (lambda lk: co.add_to_slot([1], 0, 1.0, lk),  # type: ignore[arg-type]
         TypeError, "amount must be an int"),
        (lambda lk: co.add_to_slot([1], 0, 1, 7),  # type: ignore[arg-type]
         TypeError, "lock must have acquire"),
        (lambda lk: co.transfer([1, 2], 0, 2, 1, lk), ValueError, "target must be < 2"),
        (lambda lk: co.transfer([1, 2], "0", 1, 1, lk),  # type: ignore[arg-type]
         TypeError, "source must be an int"),
        (lambda lk: co.transfer(5, 0, 1, 1, lk),  # type: ignore[arg-type]
         TypeError, "balances must be shared"),
        (lambda lk: co.transfer([1, 2], 0, 1, 1, lk, -1), ValueError, "timeout"),
    ],
)
def test_transfer_and_add_to_slot_check_their_arguments(
    call: Any, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        call(threading.Lock())


# --- semaphore ------------------------------------------------------------------------


def test_max_overlap() -> None:
    assert co.max_overlap([]) == 0
    assert co.max_overlap([(0, 1)]) == 1
    assert co.max_overlap([(0, 10), (10, 20)]) == 1  # touching is not overlapping
    assert co.max_overlap([(0, 10), (1, 2), (3, 4), (1.5, 3.5)]) == 3
    assert co.max_overlap(iter([[0, 5], [4, 6]])) == 2  # type: ignore[arg-type]
    assert co.max_overlap([(3, 3), (3, 3)]) == 0  # empty intervals
    assert co.max_overlap([(0, 5), (5, 5), (5, 9)]) == 1


@pytest.mark.parametrize(
    ("intervals", "error", "match"),
    [
        ("abc", TypeError, "iterable of"),
        ([(1, 2, 3)], TypeError, "pair"),
        ([5], TypeError, "pair"),
        ([("a", 2)], TypeError, "start must be a real number"),
        ([(2, 1)], ValueError, "ends before it starts"),
        ([(0, float("nan"))], ValueError, "NaN"),
    ],
)
def test_max_overlap_checks_its_intervals(intervals: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        co.max_overlap(intervals)


@pytest.mark.parametrize("method", METHODS)
def test_a_semaphore_lets_exactly_its_value_in(method: str) -> None:
    ctx: Any = multiprocessing.get_context(method)
    slots, inside = ctx.Semaphore(2), ctx.Barrier(2)
    intervals = co.run_processes([(co.hold_slot, (slots, inside))] * 4, context=ctx)
    assert all(start <= end for start, end in intervals)
    assert co.max_overlap(intervals) == 2


def test_hold_slot_in_threads_without_a_barrier() -> None:
    slots = threading.Semaphore(1)
    with ThreadPoolExecutor(3) as pool:
        intervals = list(pool.map(lambda _: co.hold_slot(slots), range(3)))
    assert co.max_overlap(intervals) == 1


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
    go = ctx.Event()
    with co.ProcessGroup([(co.stamp_when_set, (go,))] * 2, context=ctx) as group:
        before = time.monotonic_ns()
        go.set()
        stamps = group.results()
    assert all(stamp >= before for stamp in stamps)
    assert group.exitcodes == [0, 0]


def test_stamp_when_set_times_out_and_checks() -> None:
    with pytest.raises(TimeoutError, match="not set within"):
        co.stamp_when_set(threading.Event(), 0.01)
    with pytest.raises(TypeError, match="event must have a wait"):
        co.stamp_when_set("go")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout"):
        co.stamp_when_set(threading.Event(), -2)


# --- condition ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_producer_and_consumers_hand_over_every_item_once(method: str) -> None:
    ctx: Any = multiprocessing.get_context(method)
    condition = ctx.Condition()
    buffer, counts = ctx.Array("q", 3, lock=False), ctx.Array("q", 2, lock=False)
    jobs: list[tuple[Callable[..., Any], tuple[Any, ...]]] = [
        (co.produce, (condition, buffer, counts, 15))]
    jobs += [(co.consume, (condition, buffer, counts, 15))] * 2
    produced, *taken = co.run_processes(jobs, context=ctx)
    assert produced == 15
    assert sorted(pair for part in taken for pair in part) == [(i, i * i) for i in range(15)]
    assert list(counts) == [15, 15]


def test_producer_and_consumers_in_threads() -> None:
    condition = threading.Condition()
    buffer, counts = [0, 0], [0, 0]
    with ThreadPoolExecutor(4) as pool:
        consumers = [pool.submit(co.consume, condition, buffer, counts, 30) for _ in range(3)]
        assert pool.submit(co.produce, condition, buffer, counts, 30).result() == 30
        taken = [pair for c in consumers for pair in c.result()]
    assert sorted(taken) == [(i, i * i) for i in range(30)]


def test_produce_and_consume_time_out() -> None:
    condition = threading.Condition()
    with pytest.raises(TimeoutError, match="stayed full"):
        co.produce(condition, [0], [0, 0], 2, 0.01)
    with pytest.raises(TimeoutError, match="no item came"):
        co.consume(condition, [0], [0, 0], 1, 0.01)
    assert co.consume(condition, [0], [0, 0], 0, 0.01) == []


@pytest.mark.parametrize("func", [co.produce, co.consume])
def test_produce_and_consume_check_their_arguments(func: Any) -> None:
    condition = threading.Condition()
    with pytest.raises(TypeError, match="condition must be a condition variable"):
        func(threading.Lock(), [0], [0, 0], 1)
    with pytest.raises(TypeError, match="buffer must be shared"):
        func(condition, 5, [0, 0], 1)
    with pytest.raises(ValueError, match="buffer must hold at least 1"):
        func(condition, [], [0, 0], 1)
    with pytest.raises(ValueError, match="counts must hold at least 2"):
        func(condition, [0], [0], 1)
    with pytest.raises(ValueError, match=">= 0"):
        func(condition, [0], [0, 0], -1)
    with pytest.raises(TypeError, match="must be an int"):
        func(condition, [0], [0, 0], "3")


# --- barrier --------------------------------------------------------------------------------


def test_spread_max_serially() -> None:
    assert co.spread_max_serially([0, 0, 5, 0, 0, 0], 0) == [0, 0, 5, 0, 0, 0]
    assert co.spread_max_serially([0, 0, 5, 0, 0, 0], 2) == [5, 5, 5, 5, 5, 0]
    assert co.spread_max_serially([3], 4) == [3]
    with pytest.raises(TypeError, match="values must be a sequence"):
        co.spread_max_serially("123", 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="value must be an int"):
        co.spread_max_serially([1.5], 1)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="must not be empty"):
        co.spread_max_serially([], 1)
    with pytest.raises(ValueError, match="rounds must be >= 0"):
        co.spread_max_serially([1], -1)


@pytest.mark.parametrize("method", METHODS)
def test_spread_max_in_processes_matches_the_serial_rounds(method: str) -> None:
    ctx: Any = multiprocessing.get_context(method)
    start = [0, 4, 0, 0, 9]
    cells, barrier = ctx.Array("q", start, lock=False), ctx.Barrier(len(start))
    jobs = [(co.spread_max, (cells, i, 2, barrier)) for i in range(len(start))]
    finals = co.run_processes(jobs, context=ctx)
    assert finals == co.spread_max_serially(start, 2) == list(cells)


def test_spread_max_checks_its_arguments() -> None:
    barrier = threading.Barrier(1)
    assert co.spread_max([1, 2, 3], 0, 1, barrier) == 3
    with pytest.raises(ValueError, match="index must be < 3"):
        co.spread_max([1, 2, 3], 3, 1, barrier)
    with pytest.raises(ValueError, match="rounds must be >= 0"):
        co.spread_max([1, 2, 3], 0, -1, barrier)
    with pytest.raises(TypeError, match="barrier must have a wait"):
        co.spread_max([1, 2, 3], 0, 1, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cells must be shared"):
        co.spread_max(7, 0, 1, barrier)  # type: ignore[arg-type]


@pytest.mark.parametrize("method", METHODS)
def test_meet_reports_a_broken_barrier(method: str) -> None:
    ctx: Any = multiprocessing.get_context(method)
    barrier = ctx.Barrier(3)
    outcomes = co.run_processes([(co.meet, (barrier, 0.2))] * 2, context=ctx)
    assert outcomes == ["BrokenBarrierError"] * 2
    assert barrier.broken
    barrier.reset()
    assert co.run_processes([(co.meet, (barrier,))] * 3, context=ctx) == ["passed"] * 3


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
    assert co.run_processes(jobs, context=ctx) == [False, False]
    assert co.run_processes([(co.take_two_locks, (a, b))] * 2, context=ctx) == [True, True]
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


# --- ProcessGroup and run_processes --------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_run_processes_returns_results_in_job_order(method: str) -> None:
    ctx: Any = multiprocessing.get_context(method)
    jobs = [(co.spread_max_serially, ([i, 0, 0], 1)) for i in range(3)]
    assert co.run_processes(jobs, context=ctx) == [[i, i, i] for i in range(3)]


def test_run_processes_raises_the_childs_exception() -> None:
    with pytest.raises(ValueError, match="rounds must be >= 0"):
        co.run_processes([(co.spread_max_serially, ([1], -1))])


def test_run_processes_reports_a_child_that_dies() -> None:
    import os

    with pytest.raises(ChildProcessError, match="exited with code 3 without sending a result"):
        co.run_processes([(os._exit, (3,))])


def test_run_processes_times_out_and_leaves_nothing_behind() -> None:
    ctx: Any = multiprocessing.get_context("spawn")
    never = ctx.Event()
    with pytest.raises(TimeoutError, match="1 of 1 processes did not finish"):
        with co.ProcessGroup([(co.stamp_when_set, (never, 30))], timeout=0.5, context=ctx) as g:
            g.results()
    assert g.exitcodes == [-15]
    assert not any(p.is_alive() for p in g.processes)


def test_process_group_results_only_inside_with() -> None:
    group = co.ProcessGroup([(co.meet, (threading.Barrier(1),))])
    with pytest.raises(RuntimeError, match="with block"):
        group.results()


def test_process_group_keeps_its_results() -> None:
    with co.ProcessGroup([(co.spread_max_serially, ([2], 0))]) as group:
        assert group.results() == [[2]]
        assert group.results() == [[2]]


@pytest.mark.parametrize(
    ("jobs", "kwargs", "error", "match"),
    [
        ("jobs", {}, TypeError, "iterable of"),
        (5, {}, TypeError, "iterable of"),
        ([], {}, ValueError, "at least one"),
        ([co.meet], {}, TypeError, "pair"),
        ([(5, ())], {}, TypeError, "target must be callable"),
        ([(co.meet, 3)], {}, TypeError, "args must be a tuple or list"),
        ([(co.meet, ())], {"timeout": 0}, ValueError, "timeout must be > 0"),
        ([(co.meet, ())], {"timeout": "1"}, TypeError, "timeout must be a real number"),
        ([(co.meet, ())], {"context": "spawn"}, TypeError, "multiprocessing context"),
    ],
)
def test_process_group_checks_its_arguments(
    jobs: Any, kwargs: dict[str, Any], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        co.ProcessGroup(jobs, **kwargs)
    with pytest.raises(error, match=match):
        co.run_processes(jobs, **kwargs)


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
