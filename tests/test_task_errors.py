"""Unit tests for mpworkers.task_errors, run in this process and in pool workers."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.managers import SyncManager

import pytest

from mpworkers import task_errors

START_METHODS = multiprocessing.get_all_start_methods()


# --- in this process ---------------------------------------------------------


def test_fragile_square_squares_non_negative_numbers() -> None:
    assert task_errors.fragile_square(3) == 9
    assert task_errors.fragile_square(0) == 0
    assert task_errors.fragile_square(1.5) == 2.25


@pytest.mark.parametrize("x", [-1, -0.5, -3])
def test_fragile_square_raises_for_negative_numbers(x: float) -> None:
    with pytest.raises(ValueError, match=f"^negative input: {x!r}$"):
        task_errors.fragile_square(x)


@pytest.mark.parametrize("bad", ["3", None, True, [1]])
def test_fragile_square_rejects_non_numbers(bad: object) -> None:
    with pytest.raises(TypeError, match="x must be a real number"):
        task_errors.fragile_square(bad)  # type: ignore[arg-type]


def test_divide() -> None:
    assert task_errors.divide(9, 4) == 2.25
    assert task_errors.divide(-1, 2) == -0.5


def test_divide_by_zero_raises_with_own_message() -> None:
    with pytest.raises(ZeroDivisionError, match=r"^divide\(7, 0\)$"):
        task_errors.divide(7, 0)
    with pytest.raises(ZeroDivisionError):
        task_errors.divide(1, 0.0)


@pytest.mark.parametrize("args", [("1", 2), (1, None), (True, 1)])
def test_divide_rejects_non_numbers(args: tuple[object, object]) -> None:
    with pytest.raises(TypeError, match="must be a real number"):
        task_errors.divide(*args)  # type: ignore[arg-type]


def test_value_when_set_returns_value_once_set() -> None:
    event = threading.Event()
    event.set()
    assert task_errors.value_when_set(event, "v") == "v"
    assert task_errors.value_when_set(event, 42, timeout=0) == 42


def test_value_when_set_waits_for_another_thread() -> None:
    event = threading.Event()
    setter = threading.Thread(target=event.set)
    # The setter starts only after the waiter is running: the result cannot
    # come before the event is set, whatever the scheduling.
    result: list[str] = []
    waiter = threading.Thread(target=lambda: result.append(task_errors.value_when_set(event, "ok")))
    waiter.start()
    setter.start()
    waiter.join(timeout=30)
    setter.join(timeout=30)
    assert result == ["ok"]


def test_value_when_set_times_out() -> None:
    with pytest.raises(TimeoutError, match="not set within 0 s"):
        task_errors.value_when_set(threading.Event(), "v", timeout=0)


def test_value_when_set_validates() -> None:
    with pytest.raises(TypeError, match="wait"):
        task_errors.value_when_set(object(), "v")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="timeout must be a real number"):
        task_errors.value_when_set(threading.Event(), "v", timeout="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout must be >= 0"):
        task_errors.value_when_set(threading.Event(), "v", timeout=-1)


def test_pair_when_set() -> None:
    event = threading.Event()
    event.set()
    assert task_errors.pair_when_set((event, "A")) == "A"


@pytest.mark.parametrize("bad", [None, [threading.Event(), "A"], (threading.Event(),), ("x", "A")])
def test_pair_when_set_validates(bad: object) -> None:
    with pytest.raises(TypeError):
        task_errors.pair_when_set(bad)  # type: ignore[arg-type]


def test_set_event() -> None:
    event = threading.Event()
    assert task_errors.set_event(event) is True
    assert event.is_set()
    with pytest.raises(TypeError, match="set"):
        task_errors.set_event(object())  # type: ignore[arg-type]


# --- across a process boundary --------------------------------------------------


@pytest.fixture(params=START_METHODS)
def ctx(request: pytest.FixtureRequest) -> multiprocessing.context.BaseContext:
    method: str = request.param
    return multiprocessing.get_context(method)


@pytest.fixture
def manager(ctx: multiprocessing.context.BaseContext) -> Iterator[SyncManager]:
    with ctx.Manager() as mgr:
        yield mgr


def test_pool_reraises_worker_exception(ctx: multiprocessing.context.BaseContext) -> None:
    with ctx.Pool(2) as pool:
        assert pool.map(task_errors.fragile_square, [1, 2, 3]) == [1, 4, 9]
        assert pool.starmap(task_errors.divide, [(1, 4), (9, 3)]) == [0.25, 3.0]
        with pytest.raises(ValueError, match="negative input: -3") as info:
            pool.apply_async(task_errors.fragile_square, (-3,)).get(timeout=60)
    assert "in fragile_square" in str(info.value.__cause__)


def test_executor_reraises_worker_exception(ctx: multiprocessing.context.BaseContext) -> None:
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as executor:
        future = executor.submit(task_errors.divide, 1, 0)
        with pytest.raises(ZeroDivisionError, match=r"divide\(1, 0\)"):
            future.result(timeout=60)


def test_manager_events_release_pool_tasks_in_the_parents_order(
    ctx: multiprocessing.context.BaseContext, manager: SyncManager
) -> None:
    gates = {name: manager.Event() for name in "ABC"}
    with ctx.Pool(3) as pool:
        unordered = pool.imap_unordered(task_errors.pair_when_set, [(gates[n], n) for n in "ABC"])
        got = []
        for name in "CAB":
            gates[name].set()
            got.append(unordered.next(timeout=60))
    assert got == ["C", "A", "B"]


def test_set_event_task_releases_waiting_task(
    ctx: multiprocessing.context.BaseContext, manager: SyncManager
) -> None:
    event = manager.Event()
    with ctx.Pool(2) as pool:
        waiter = pool.apply_async(task_errors.value_when_set, (event, "released", 60))
        setter = pool.apply_async(task_errors.set_event, (event,))
        assert setter.get(timeout=60) is True
        assert waiter.get(timeout=60) == "released"


def test_value_when_set_times_out_in_a_worker(
    ctx: multiprocessing.context.BaseContext, manager: SyncManager
) -> None:
    never = manager.Event()
    with ctx.Pool(1) as pool:
        result = pool.apply_async(task_errors.value_when_set, (never, "v", 0.01))
        with pytest.raises(TimeoutError, match="not set within"):
            result.get(timeout=60)
