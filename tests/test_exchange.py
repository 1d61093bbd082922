"""Unit tests for mpworkers.exchange: the children that receive, answer and place data."""

from __future__ import annotations

import doctest
import multiprocessing
import operator
import queue
import threading
from collections.abc import Iterator
from multiprocessing import shared_memory
from typing import Any

import numpy as np
import psutil
import pytest

import mpworkers.exchange
from mpworkers.exchange import (
    Fingerprint,
    answer,
    answer_views,
    fingerprint,
    install,
    installed_item_at,
    make_payload,
    put_and_signal,
    send_back,
    sum_received,
    sum_when_asked,
)
from tests.nbplugin import mapped_by, shared_memory_blocks

METHODS = [
    m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()
]


@pytest.fixture(autouse=True)
def no_block_left_behind(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test leaves /dev/shm as it found it (as far as shared_memory's blocks go).

    Only this test's blocks count: those it created in this process (recorded
    here) and those its processes still map. Another test run on the same
    machine (the notebooks run beside the unit tests) makes blocks of its own.
    """
    created: list[str] = []
    original = shared_memory.SharedMemory.__init__

    def recording(self: shared_memory.SharedMemory, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if kwargs.get("create") or (len(args) > 1 and args[1]):
            created.append(self.name.lstrip("/"))

    monkeypatch.setattr(shared_memory.SharedMemory, "__init__", recording)
    before = shared_memory_blocks()
    yield
    me = psutil.Process()
    tree = {me.pid} | {child.pid for child in me.children(recursive=True)}
    left = (set(created) | mapped_by(tree)) & (shared_memory_blocks() - before)
    assert not left, f"shared-memory blocks left behind: {sorted(left)}"


@pytest.fixture
def block() -> Iterator[shared_memory.SharedMemory]:
    made = shared_memory.SharedMemory(create=True, size=8 * 100)
    try:
        yield made
    finally:
        made.close()
        made.unlink()


def test_doctests() -> None:
    result = doctest.testmod(mpworkers.exchange)
    assert result.attempted > 0
    assert result.failed == 0


# fingerprint, make_payload ---------------------------------------------------


def test_fingerprint_of_sequences_and_buffers() -> None:
    assert fingerprint(b"\x01\x02\x03") == Fingerprint("bytes", 3, 1, 3)
    assert fingerprint(bytearray(b"ab")) == Fingerprint("bytearray", 2, 97, 98)
    assert fingerprint([None, "x"]) == Fingerprint("list", 2, None, "x")
    assert fingerprint(memoryview(b"xy")) == Fingerprint("memoryview", 2, 120, 121)
    arr = fingerprint(np.arange(5, dtype=np.float64))
    assert arr == Fingerprint("ndarray", 5, 0.0, 4.0)
    assert type(arr.first) is float  # a plain Python number, not a NumPy scalar
    assert fingerprint(range(0)) == Fingerprint("range", 0, None, None)


@pytest.mark.parametrize("bad", [{"a": 1}, {1, 2}, 3, None, np.float64(1.0)])
def test_fingerprint_rejects_what_has_no_items(bad: object) -> None:
    with pytest.raises(TypeError, match="data must"):
        fingerprint(bad)


def test_same_data_ignores_the_kind() -> None:
    assert fingerprint([0.0, 1.0]).same_data(fingerprint(np.arange(2.0)))
    assert not fingerprint([0.0, 1.0]).same_data(fingerprint([0.0, 2.0]))
    with pytest.raises(TypeError, match="Fingerprint"):
        fingerprint([1]).same_data((1, 1, 1, 1))  # type: ignore[arg-type]


def test_make_payload() -> None:
    assert make_payload(0) == b""
    assert make_payload(258)[-3:] == b"\xff\x00\x01"
    assert len(make_payload(10_000)) == 10_000
    with pytest.raises(TypeError, match="size must be an int"):
        make_payload(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="size must be >= 0"):
        make_payload(-1)


# answer, answer_views: the children, run in this process ------------------------


def test_answer_with_queues_in_this_process() -> None:
    inbox: queue.Queue[Any] = queue.Queue()
    outbox: queue.Queue[Any] = queue.Queue()
    for message in (b"abc", [1, 2], 42, None, b"not read"):
        inbox.put(message)
    assert answer(inbox, outbox) == 3
    assert outbox.get_nowait() == Fingerprint("bytes", 3, 97, 99)
    assert outbox.get_nowait() == Fingerprint("list", 2, 1, 2)
    assert outbox.get_nowait() == "TypeError"  # 42 has no items: answered, not raised
    assert outbox.empty()


def test_answer_ends_quietly_when_the_other_end_is_gone() -> None:
    mine, theirs = multiprocessing.Pipe()
    mine.close()
    assert answer(theirs, theirs) == 0
    assert answer_views(multiprocessing.RawArray("B", 4), theirs) == 0
    theirs.close()


def test_answer_over_one_duplex_connection() -> None:
    mine, theirs = multiprocessing.Pipe()
    thread = threading.Thread(target=answer, args=(theirs, theirs))
    thread.start()
    mine.send((1, 2, 3))
    assert mine.recv() == Fingerprint("tuple", 3, 1, 3)
    mine.send(None)
    thread.join(10)
    assert not thread.is_alive()
    mine.close()
    theirs.close()


@pytest.mark.parametrize("inbox, outbox, word", [(1, queue.Queue(), "inbox"),
                                                 (queue.Queue(), "x", "outbox")])
def test_answer_checks_its_ends(inbox: Any, outbox: Any, word: str) -> None:
    with pytest.raises(TypeError, match=f"{word} must be a Connection or a queue"):
        answer(inbox, outbox)


def _serve_views(source: Any, requests: list[Any]) -> list[Any]:
    mine, theirs = multiprocessing.Pipe()
    results: list[Any] = []
    thread = threading.Thread(target=lambda: results.append(answer_views(source, theirs)))
    thread.start()
    replies = []
    for request in requests:
        mine.send(request)
        replies.append(mine.recv())
    mine.send(None)
    thread.join(10)
    mine.close()
    theirs.close()
    assert results == [len(requests)]
    return replies


def test_answer_views_reads_a_block_in_place(block: shared_memory.SharedMemory) -> None:
    assert block.buf is not None
    np.frombuffer(block.buf, dtype=np.float64)[:] = np.arange(100)
    replies = _serve_views(block.name, [(100, "d"), (3, "B"), (101, "d"), ("x", "d"),
                                        (1, "z"), [1, "B"], (0, "d")])
    assert replies[0] == Fingerprint("memoryview", 100, 0.0, 99.0)
    assert replies[1].kind == "memoryview" and replies[1].length == 3
    assert replies[2:6] == ["ValueError", "TypeError", "ValueError", "TypeError"]
    assert replies[6] == Fingerprint("memoryview", 0, None, None)


def test_answer_views_reads_a_shared_array() -> None:
    array = multiprocessing.Array("d", [0.5, 1.5, 2.5])
    assert _serve_views(array, [(3, "d")]) == [Fingerprint("memoryview", 3, 0.5, 2.5)]
    raw = multiprocessing.RawArray("B", b"xyz")
    assert _serve_views(raw, [(3, "B")]) == [Fingerprint("memoryview", 3, 120, 122)]


def test_answer_views_checks_its_arguments() -> None:
    mine, theirs = multiprocessing.Pipe()
    with pytest.raises(TypeError, match="source must be the name"):
        answer_views(b"not a name", theirs)
    with pytest.raises(TypeError, match="conn must be a multiprocessing Connection"):
        answer_views("psm_x", queue.Queue())  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        answer_views("psm_no_such_block_here", theirs)
    mine.close()
    theirs.close()


# put_and_signal: the guideline "joining processes that use queues" ---------------


def test_put_and_signal_in_this_process() -> None:
    q: queue.Queue[Any] = queue.Queue()
    done = threading.Event()
    put_and_signal(q, 5, done)
    assert q.get_nowait() == b"\x00\x01\x02\x03\x04" and done.is_set()
    with pytest.raises(TypeError, match="queue must have a put"):
        put_and_signal([], 5, done)
    with pytest.raises(TypeError, match="done must be an event"):
        put_and_signal(q, 5, object())
    with pytest.raises(ValueError, match="size must be >= 0"):
        put_and_signal(q, -5, done)


@pytest.mark.parametrize("method", METHODS)
def test_a_child_with_a_big_item_on_its_queue_cannot_exit_until_it_is_read(method: str) -> None:
    ctx = multiprocessing.get_context(method)
    results, done = ctx.Queue(), ctx.Event()
    child = ctx.Process(target=put_and_signal, args=(results, 1_000_000, done))  # type: ignore[attr-defined]
    child.start()
    try:
        assert done.wait(30)
        child.join(0.3)
        assert child.is_alive()
        assert len(results.get(timeout=30)) == 1_000_000
        child.join(30)
        assert child.exitcode == 0
    finally:
        if child.is_alive():
            child.kill()
            child.join()
        results.close()
        results.join_thread()


# install, installed_item_at --------------------------------------------


def test_installed_item_at_in_this_process() -> None:
    install([10, 20, 30])
    try:
        assert installed_item_at(-1) == 30
    finally:
        mpworkers.exchange._installed.pid = None
    with pytest.raises(TypeError, match="data must be indexable"):
        install(5)
    with pytest.raises(TypeError, match="index must be an int"):
        installed_item_at("0")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="no data installed"):
        installed_item_at(0)


@pytest.mark.parametrize("method", METHODS)
def test_install_gives_each_worker_the_data_once(method: str) -> None:
    ctx = multiprocessing.get_context(method)
    data = np.arange(100, dtype=np.float64)
    with ctx.Pool(2, initializer=install, initargs=(data,)) as pool:
        installed = pool.map(installed_item_at, range(100), chunksize=7)
        carried: list[Any] = pool.starmap(operator.getitem, [(data, i) for i in range(100)])
    assert installed == carried == [float(i) for i in range(100)]
    assert {type(item) for item in installed} == {float}  # plain numbers, not NumPy's


def test_a_forked_child_does_not_inherit_installed_data() -> None:
    if "fork" not in METHODS:
        pytest.skip("no fork on this platform")
    install([1, 2, 3])
    try:
        with multiprocessing.get_context("fork").Pool(1) as pool:
            with pytest.raises(RuntimeError, match="no data installed"):
                pool.apply(installed_item_at, (0,))
    finally:
        mpworkers.exchange._installed.pid = None


# send_back, sum_received, sum_when_asked ------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_send_back_returns_every_message_through_a_pipe_and_queues(method: str) -> None:
    ctx = multiprocessing.get_context(method)
    parent_end, child_end = ctx.Pipe()
    child = ctx.Process(target=send_back, args=(child_end,))  # type: ignore[attr-defined]
    child.start()
    for message in (b"x", [1, 2], {"a": 1}):
        parent_end.send(message)
        assert parent_end.recv() == message
    parent_end.send(None)
    child.join(timeout=30)
    assert child.exitcode == 0
    inbox, outbox = ctx.Queue(), ctx.Queue()
    child = ctx.Process(target=send_back, args=(inbox, outbox))  # type: ignore[attr-defined]
    child.start()
    inbox.put([3, 4])
    assert outbox.get(timeout=30) == [3, 4]
    inbox.put(None)
    child.join(timeout=30)
    assert child.exitcode == 0


def test_send_back_counts_and_checks_its_arguments() -> None:
    inbox: queue.Queue[Any] = queue.Queue()
    outbox: queue.Queue[Any] = queue.Queue()
    for item in (1, 2, None):
        inbox.put(item)
    assert send_back(inbox, outbox) == 2
    assert [outbox.get(), outbox.get()] == [1, 2]
    with pytest.raises(TypeError, match="inbox"):
        send_back(object())
    with pytest.raises(TypeError, match="outbox"):
        send_back(inbox, object())


def test_sum_received_sums_every_array() -> None:
    inbox: queue.Queue[Any] = queue.Queue()
    outbox: queue.Queue[Any] = queue.Queue()
    inbox.put(np.arange(10.0))
    inbox.put(np.ones(4))
    inbox.put(None)
    assert sum_received(inbox, outbox) == 2
    assert [outbox.get(), outbox.get()] == [45.0, 4.0]
    with pytest.raises(TypeError, match="inbox must have get"):
        sum_received(object(), outbox)


@pytest.mark.parametrize("method", METHODS)
def test_sum_when_asked_reads_an_array_and_a_block_in_place(
    block: shared_memory.SharedMemory, method: str
) -> None:
    ctx = multiprocessing.get_context(method)
    numbers = ctx.Array("d", [0.5, 1.5, 2.5])
    assert block.buf is not None
    values = np.frombuffer(block.buf, dtype=np.float64, count=100)
    values[:] = np.arange(100.0)
    del values
    for shared, count, expected in ((numbers, 3, 14.0), (block.name, 100, 4950.0)):
        parent_end, child_end = ctx.Pipe()
        child = ctx.Process(target=sum_when_asked, args=(shared, child_end))  # type: ignore[attr-defined]
        child.start()
        numbers[0] = 10.0  # written after the child started: seen by it
        parent_end.send(count)
        assert parent_end.recv() == expected
        parent_end.send(None)
        child.join(timeout=30)
        assert child.exitcode == 0


def test_sum_when_asked_checks_its_arguments() -> None:
    parent_end, child_end = multiprocessing.Pipe()
    with pytest.raises(TypeError, match="conn must be"):
        sum_when_asked("psm_x", object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="source must be"):
        sum_when_asked(3.5, child_end)
    parent_end.close()
    child_end.close()
