"""Unit tests for mpworkers.ordering (chapter Q6)."""

from __future__ import annotations

import doctest
import multiprocessing
import threading
from typing import Any

import pytest

import mpworkers.ordering
from mpworkers.ordering import number_line, send_in_turn, send_line

METHODS = [
    m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()
]


class ListQueue:
    """A queue stand-in that records what is put on it."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def put(self, obj: Any) -> None:
        self.items.append(obj)


def test_doctests() -> None:
    result = doctest.testmod(mpworkers.ordering)
    assert result.attempted >= 1
    assert result.failed == 0


def test_number_line() -> None:
    assert number_line(1) == "Process 1: 1"
    assert number_line(0) == "Process 0: 0"
    assert number_line(12) == "Process 12: 12"


@pytest.mark.parametrize("bad", ["1", 1.0, True, None])
def test_number_line_rejects_non_int(bad: Any) -> None:
    with pytest.raises(TypeError, match="number must be an int"):
        number_line(bad)


def test_number_line_rejects_negative() -> None:
    with pytest.raises(ValueError, match="number must be >= 0"):
        number_line(-1)


def test_send_line_puts_number_and_line() -> None:
    queue = ListQueue()
    send_line(queue, 3)
    assert queue.items == [(3, "Process 3: 3")]


def test_send_line_checks_queue() -> None:
    with pytest.raises(TypeError, match="queue must have a put"):
        send_line([], 1)  # type: ignore[arg-type]


@pytest.mark.parametrize("method", METHODS)
def test_send_line_from_four_processes(method: str) -> None:
    ctx = multiprocessing.get_context(method)
    queue = ctx.SimpleQueue()
    processes = [ctx.Process(target=send_line, args=(queue, n)) for n in range(1, 5)]  # type: ignore[attr-defined]
    for p in processes:
        p.start()
    received = [queue.get() for _ in processes]
    for p in processes:
        p.join()
    assert [p.exitcode for p in processes] == [0, 0, 0, 0]
    assert sorted(received) == [(n, f"Process {n}: {n}") for n in range(1, 5)]


@pytest.mark.parametrize("method", METHODS)
def test_send_in_turn_follows_the_chain(method: str) -> None:
    ctx = multiprocessing.get_context(method)
    queue = ctx.SimpleQueue()
    order = [3, 1, 4, 2]  # the chain decides the order, not the start order
    turns = [ctx.Event() for _ in order]
    processes = []
    for position, number in enumerate(order):
        next_turn = turns[position + 1] if position + 1 < len(order) else None
        processes.append(
            ctx.Process(target=send_in_turn, args=(queue, number, turns[position], next_turn))  # type: ignore[attr-defined]
        )
    for p in reversed(processes):
        p.start()
    turns[0].set()
    received = [queue.get()[0] for _ in processes]
    for p in processes:
        p.join()
    assert [p.exitcode for p in processes] == [0, 0, 0, 0]
    assert received == order


@pytest.mark.parametrize("work_first", [True, False])
def test_send_in_turn_waits_for_its_turn(work_first: bool) -> None:
    queue = ListQueue()
    my_turn, next_turn = threading.Event(), threading.Event()
    thread = threading.Thread(
        target=send_in_turn,
        args=(queue, 2, my_turn, next_turn),
        kwargs={"work": 1000, "work_first": work_first},
    )
    thread.start()
    # Nobody has set my_turn, so whatever the thread has done so far, it has not sent.
    assert queue.items == []
    assert not next_turn.is_set()
    my_turn.set()
    assert next_turn.wait(30)
    thread.join()
    assert queue.items == [(2, "Process 2: 2")]


@pytest.mark.parametrize("method", METHODS)
def test_send_in_turn_waits_at_the_ready_barrier(method: str) -> None:
    ctx = multiprocessing.get_context(method)
    queue = ctx.SimpleQueue()
    ready = ctx.Barrier(3)  # two children and the parent
    turns = [ctx.Event(), ctx.Event()]
    children = [
        ctx.Process(target=send_in_turn, args=(queue, 1, turns[0], turns[1]),  # type: ignore[attr-defined]
                    kwargs={"work": 1000, "ready": ready}),
        ctx.Process(target=send_in_turn, args=(queue, 2, turns[1]),  # type: ignore[attr-defined]
                    kwargs={"work": 1000, "work_first": False, "ready": ready}),
    ]
    turns[0].set()  # child 1 may send as soon as it is past the barrier
    for child in children:
        child.start()
    assert queue.empty()  # nobody is past the barrier before the parent is
    ready.wait(60)
    received = [queue.get()[0] for _ in children]
    for child in children:
        child.join()
    assert received == [1, 2]
    assert [child.exitcode for child in children] == [0, 0]


def test_send_in_turn_last_child_sets_nothing() -> None:
    queue = ListQueue()
    my_turn = threading.Event()
    my_turn.set()
    send_in_turn(queue, 4, my_turn)
    assert queue.items == [(4, "Process 4: 4")]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"queue": None}, TypeError, "queue must have a put"),
        ({"number": "1"}, TypeError, "number must be an int"),
        ({"number": -1}, ValueError, "number must be >= 0"),
        ({"my_turn": object()}, TypeError, "my_turn must have a wait"),
        ({"next_turn": object()}, TypeError, "next_turn must have a set"),
        ({"ready": object()}, TypeError, "ready must have a wait"),
        ({"work": 1.0}, TypeError, "work must be an int"),
        ({"work": -1}, ValueError, "work must be >= 0"),
        ({"work_first": 1}, TypeError, "work_first must be a bool"),
    ],
)
def test_send_in_turn_checks_arguments(kwargs: dict[str, Any], error: type[Exception],
                                       message: str) -> None:
    ready = threading.Event()
    ready.set()
    arguments: dict[str, Any] = {"queue": ListQueue(), "number": 1, "my_turn": ready,
                                 "next_turn": threading.Event()}
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        send_in_turn(**arguments)
