"""Unit tests for mpworkers.sharing: what threads share and what processes copy."""

from __future__ import annotations

import doctest
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import pytest

import mpworkers.sharing
from mpworkers.lab import usable_cores
from mpworkers.sharing import add_item, add_to_counter, pin_to_cores

METHODS = [
    m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()
]


def test_doctests() -> None:
    result = doctest.testmod(mpworkers.sharing)
    assert result.attempted > 0
    assert result.failed == 0


def test_add_item_in_a_thread_changes_the_callers_list() -> None:
    items = ["main"]
    with ThreadPoolExecutor(max_workers=1) as pool:
        returned = pool.submit(add_item, items, "thread").result()
    assert returned is items
    assert items == ["main", "thread"]


@pytest.mark.parametrize("method", METHODS)
def test_add_item_in_a_process_changes_only_a_copy(method: str) -> None:
    items = ["main"]
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        returned = pool.submit(add_item, items, "process").result()
    assert returned == ["main", "process"]
    assert returned is not items
    assert items == ["main"]


def test_add_item_checks_its_list() -> None:
    with pytest.raises(TypeError, match="items must be a list"):
        add_item(("a", "b"), "c")  # type: ignore[arg-type]


def test_add_to_counter_from_threads_loses_nothing() -> None:
    counter = multiprocessing.Value("i", 0)
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = list(pool.map(add_to_counter, [counter] * 4, [2_000] * 4))
    assert done == [2_000] * 4
    assert counter.value == 8_000


@pytest.mark.parametrize("method", METHODS)
def test_add_to_counter_from_processes_loses_nothing(method: str) -> None:
    context: Any = multiprocessing.get_context(method)
    counter = context.Value("i", 0)
    workers = [
        context.Process(target=add_to_counter, args=(counter, 2_000)) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0]
    assert counter.value == 4_000


def test_add_to_counter_zero_times() -> None:
    counter = multiprocessing.Value("i", 5)
    assert add_to_counter(counter, 0) == 0
    assert counter.value == 5


@pytest.mark.parametrize(
    ("counter", "times", "error", "match"),
    [
        (7, 1, TypeError, "get_lock"),
        (None, 1, TypeError, "get_lock"),
        ("value", 1, TypeError, "get_lock"),
        ("shared", 1.5, TypeError, "times must be an int"),
        ("shared", True, TypeError, "times must be an int"),
        ("shared", -1, ValueError, "times must be >= 0"),
    ],
)
def test_add_to_counter_checks_its_arguments(
    counter: Any, times: Any, error: type[Exception], match: str
) -> None:
    if counter == "shared":
        counter = multiprocessing.Value("i", 0)
    with pytest.raises(error, match=match):
        add_to_counter(counter, times)


needs_affinity = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity"), reason="os.sched_setaffinity is Linux only"
)


@needs_affinity
@pytest.mark.parametrize("method", METHODS)
def test_pin_to_cores_as_initializer_leaves_one_core(method: str) -> None:
    before = os.sched_getaffinity(0)
    first = min(before)
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(
        max_workers=2, mp_context=context, initializer=pin_to_cores, initargs=({first},)
    ) as pool:
        seen = [future.result() for future in [pool.submit(usable_cores) for _ in range(4)]]
    assert seen == [1, 1, 1, 1]
    assert os.sched_getaffinity(0) == before  # the parent keeps its cores


@needs_affinity
def test_pin_to_cores_in_a_thread_of_its_own() -> None:
    # On Linux the mask belongs to the calling thread: pinning a helper thread
    # leaves the main thread (this test) as it was.
    before = os.sched_getaffinity(0)
    first = min(before)
    seen: list[set[int]] = []

    def pin_and_look() -> None:
        pin_to_cores([first])
        seen.append(os.sched_getaffinity(0))

    helper = threading.Thread(target=pin_and_look)
    helper.start()
    helper.join()
    assert seen == [{first}]
    assert os.sched_getaffinity(0) == before


@pytest.mark.parametrize(
    ("cores", "error", "match"),
    [
        (0, TypeError, "iterable of ints"),
        ("0", TypeError, "iterable of ints"),
        ([0.5], TypeError, "core must be an int"),
        ([True], TypeError, "core must be an int"),
        ([-1], ValueError, "core must be >= 0"),
        ([], ValueError, "at least one core"),
    ],
)
def test_pin_to_cores_checks_its_argument(cores: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        pin_to_cores(cores)


def test_pin_to_cores_without_affinity_support(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "sched_setaffinity", raising=False)
    with pytest.raises(NotImplementedError, match="not available"):
        pin_to_cores([0])
