"""Unit tests for mpworkers.memory: one counter per process, in every start method."""

from __future__ import annotations

import doctest
import multiprocessing
import os
from collections.abc import Iterator

import pytest

from mpworkers import memory

# The three standard start methods this platform has. Not simply
# get_all_start_methods(): on Python 3.14+, once loky is imported (the
# benchmark's tests import it), that list also holds "loky" and "loky_init_main".
START_METHODS = [
    m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()
]


@pytest.fixture(autouse=True)
def fresh_counter() -> Iterator[None]:
    """Every test starts, and leaves this process, with the import-time value 0."""
    memory.reset()
    yield
    memory.reset()


def test_doctests() -> None:
    failures, tried = doctest.testmod(memory)
    assert tried > 0
    assert failures == 0


def test_counter_in_this_process() -> None:
    assert memory.get() == 0
    assert memory.increment() == 1
    assert memory.increment(4) == 5
    assert memory.increment(-2) == 3
    assert memory.get() == 3
    assert memory.reset(10) == 3
    assert memory.get() == 10
    assert memory.reset() == 10
    assert memory.get() == 0


def test_increment_and_report_names_this_process() -> None:
    assert memory.increment_and_report() == (os.getpid(), 1)
    assert memory.increment_and_report(2) == (os.getpid(), 3)


@pytest.mark.parametrize("bad", ["1", 1.0, None, True])
def test_arguments_are_checked(bad: object) -> None:
    with pytest.raises(TypeError, match="must be an int"):
        memory.increment(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be an int"):
        memory.increment_and_report(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be an int"):
        memory.reset(bad)  # type: ignore[arg-type]
    assert memory.get() == 0


@pytest.mark.parametrize("method", START_METHODS)
def test_a_child_changes_its_own_copy_only(method: str) -> None:
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(1) as pool:
        in_child = pool.apply(memory.increment, (5,))
        again = pool.apply(memory.get)
    assert in_child == 5
    assert again == 5  # the same worker keeps its counter between tasks
    assert memory.get() == 0  # the parent never sees it


@pytest.mark.parametrize("method", START_METHODS)
def test_where_the_child_starts_from(method: str) -> None:
    memory.increment(100)  # the parent changes its counter before the child starts
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(1) as pool:
        in_child = pool.apply(memory.increment)
    # fork copies the parent's memory; spawn and forkserver import the module afresh
    assert in_child == (101 if method == "fork" else 1)
    assert memory.get() == 100


@pytest.mark.parametrize("method", START_METHODS)
def test_each_worker_counts_its_own_tasks(method: str) -> None:
    ctx = multiprocessing.get_context(method)
    tasks = 12
    with ctx.Pool(2) as pool:
        reports = pool.map(memory.increment_and_report, [1] * tasks, chunksize=1)
    final: dict[int, int] = {}
    for pid, value in reports:
        final[pid] = max(final.get(pid, 0), value)
    assert os.getpid() not in final
    assert 1 <= len(final) <= 2
    assert sum(final.values()) == tasks
    assert memory.get() == 0


def test_process_target_exit_code() -> None:
    ctx = multiprocessing.get_context("spawn")
    child = ctx.Process(target=memory.increment, args=(1,))
    child.start()
    child.join()
    assert child.exitcode == 0
    assert memory.get() == 0
