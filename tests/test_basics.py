"""Unit tests for mpworkers.basics, run in this process and across a process boundary."""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading

import pytest

import mpworkers
from mpworkers import basics

START_METHODS = multiprocessing.get_all_start_methods()


def test_square_and_noop() -> None:
    assert basics.square(7) == 49
    assert basics.square(-1.5) == 2.25
    assert basics.noop() is None
    assert basics.noop("x") == "x"


@pytest.mark.parametrize("bad", ["3", None, True, [1]])
def test_square_rejects_non_numbers(bad: object) -> None:
    with pytest.raises(TypeError, match="x must be a real number"):
        basics.square(bad)  # type: ignore[arg-type]


def test_square_rejects_nan() -> None:
    with pytest.raises(ValueError, match="NaN"):
        basics.square(float("nan"))


def test_whoami_reports_this_process() -> None:
    task, pid, name = basics.whoami("t")
    assert (task, pid, name) == ("t", os.getpid(), multiprocessing.current_process().name)


def test_report_to_and_square_to_put_on_queue() -> None:
    q: queue.SimpleQueue[object] = queue.SimpleQueue()
    basics.report_to(q, "hi")
    basics.square_to(q, 3)
    assert q.get_nowait() == (multiprocessing.current_process().name, "hi")
    assert q.get_nowait() == (3, 9)


def test_report_to_validates() -> None:
    q: queue.SimpleQueue[object] = queue.SimpleQueue()
    with pytest.raises(TypeError, match="message must be a str"):
        basics.report_to(q, 42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="put"):
        basics.report_to(object(), "hi")  # type: ignore[arg-type]


def test_wait_for_returns_when_event_is_set() -> None:
    event = threading.Event()
    event.set()
    assert basics.wait_for(event) is None  # type: ignore[func-returns-value]
    with pytest.raises(SystemExit) as info:
        basics.wait_for(event, 3)
    assert info.value.code == 3


@pytest.mark.parametrize("bad, error", [(-1, ValueError), (256, ValueError), ("0", TypeError)])
def test_wait_for_validates_exit_code(bad: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        basics.wait_for(threading.Event(), bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="wait"):
        basics.wait_for(object())  # type: ignore[arg-type]


@pytest.mark.parametrize("method", START_METHODS)
def test_workers_cross_a_process_boundary(method: str) -> None:
    ctx = multiprocessing.get_context(method)
    q = ctx.Queue()
    event = ctx.Event()
    children = [
        ctx.Process(target=mpworkers.report_to, args=(q, "hello"), name="reporter"),  # type: ignore[attr-defined]
        ctx.Process(target=mpworkers.square_to, args=(q, 5)),  # type: ignore[attr-defined]
        ctx.Process(target=mpworkers.wait_for, args=(event, 4)),  # type: ignore[attr-defined]
    ]
    for child in children:
        child.start()
    received = {q.get(timeout=60) for _ in range(2)}
    event.set()
    for child in children:
        child.join(timeout=60)
    assert received == {("reporter", "hello"), (5, 25)}
    assert [c.exitcode for c in children] == [0, 0, 4]


@pytest.mark.parametrize("method", START_METHODS)
def test_whoami_in_a_pool(method: str) -> None:
    with multiprocessing.get_context(method).Pool(2) as pool:
        results = pool.map(mpworkers.whoami, range(6))
    assert [task for task, _, _ in results] == list(range(6))
    assert os.getpid() not in {pid for _, pid, _ in results}
