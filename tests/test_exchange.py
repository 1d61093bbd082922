"""Unit tests for mpworkers.exchange: sending and placing data between processes."""

from __future__ import annotations

import doctest
import multiprocessing
import os
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
    TRANSPORTS,
    Echo,
    Fingerprint,
    RoundTrips,
    answer,
    answer_views,
    attach,
    block_exists,
    fingerprint,
    install,
    installed_item_at,
    item_at,
    leak_warnings,
    make_payload,
    put_and_signal,
    scale_block,
    send_back,
    set_item,
    store_at,
    sum_received,
    sum_when_asked,
    sweep,
)
from mpworkers.lab.scripts import ScriptResult, run_script
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


# Echo ------------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_echo_round_trips_through_every_transport(transport: str) -> None:
    capacity = 1_000 if transport in ("Array", "SharedMemory") else 0
    with Echo(transport, capacity=capacity) as echo:
        reply = echo.round_trip(make_payload(1_000))
        assert reply.same_data(Fingerprint("bytes", 1_000, 0, 231))
        assert reply.kind == ("bytes" if capacity == 0 else "memoryview")
        times = echo.time(make_payload(10), budget=0.0, min_messages=3)
        assert len(times) == 3 and all(t > 0 for t in times)
        assert (echo.block_name is not None) == (transport == "SharedMemory")
        if capacity:
            assert echo.buffer.nbytes == capacity
    assert echo._process is None  # stopped and joined
    echo.close()  # a second close does nothing


@pytest.mark.parametrize("method", METHODS)
def test_echo_under_every_start_method(method: str) -> None:
    context = multiprocessing.get_context(method)
    numbers = np.arange(1_000, dtype=np.float64)
    # the Queue's feeder thread starts at its first put: fork the other child first
    with Echo("SharedMemory", capacity=numbers.nbytes, context=context) as placed, \
            Echo("Queue", context=context) as sent:
        name = placed.block_name
        assert name is not None and block_exists(name)
        placed.buffer[:] = numbers.data.cast("B")
        by_queue = sent.round_trip(numbers)
        by_view = placed.view_round_trip(len(numbers), "d")
        assert by_queue == Fingerprint("ndarray", 1_000, 0.0, 999.0)
        assert by_view == Fingerprint("memoryview", 1_000, 0.0, 999.0)
    assert not block_exists(name)


def test_echo_sends_any_picklable_object() -> None:
    with Echo("Pipe") as echo:
        assert echo.round_trip(["a", "b"]) == Fingerprint("list", 2, "a", "b")
        with pytest.raises(RuntimeError, match="could not fingerprint.*TypeError"):
            echo.round_trip({"a": 1})


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        ((1,), {}, TypeError, "transport must be a str"),
        (("Carrier pigeon",), {}, ValueError, "transport must be one of"),
        (("Array",), {}, ValueError, "needs a capacity"),
        (("Pipe",), {"capacity": 10}, ValueError, "capacity must be 0"),
        (("SharedMemory",), {"capacity": -1}, ValueError, "capacity must be >= 0"),
        (("Pipe",), {"context": "fork"}, TypeError, "context must be"),
        (("Pipe",), {"timeout": 0}, ValueError, "timeout must be > 0"),
        (("Pipe",), {"timeout": "1"}, TypeError, "timeout must be a real number"),
    ],
)
def test_echo_checks_its_arguments(
    args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        Echo(*args, **kwargs)


def test_echo_refuses_what_does_not_fit() -> None:
    echo = Echo("Pipe")
    with pytest.raises(ValueError, match="not running"):
        echo.round_trip(b"x")
    with Echo("Pipe") as pipe:
        with pytest.raises(ValueError, match="no shared buffer"):
            pipe.buffer  # noqa: B018
        with pytest.raises(ValueError, match="no shared memory to view"):
            pipe.view_round_trip(1)
        with pytest.raises(ValueError, match="min_messages must be >= 1"):
            pipe.time(b"x", min_messages=0)
        with pytest.raises(ValueError, match="max_messages must be >= 5"):
            pipe.time(b"x", min_messages=5, max_messages=2)
        with pytest.raises(ValueError, match="budget must be >= 0"):
            pipe.time(b"x", budget=-1)
    with Echo("Array", capacity=8) as shared:
        with pytest.raises(ValueError, match="does not fit"):
            shared.round_trip(b"123456789")
        with pytest.raises(TypeError, match="copies bytes-like payloads"):
            shared.round_trip([1, 2])
        with pytest.raises(ValueError, match="do not fit"):
            shared.view_round_trip(2, "d")
        with pytest.raises(ValueError, match="format must be one of"):
            shared.view_round_trip(1, "x")
        with pytest.raises(TypeError, match="count must be an int"):
            shared.view_round_trip(1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "transport, error",
    [("Pipe", (OSError, EOFError)), ("Queue", TimeoutError), ("SimpleQueue", TimeoutError),
     ("Manager queue", TimeoutError)],
)
def test_echo_with_a_dead_child_raises_instead_of_waiting(
    transport: str, error: type[Exception] | tuple[type[Exception], ...]
) -> None:
    with Echo(transport) as echo:  # the child may take a while to start: wait for it
        echo.timeout = 0.5  # then be impatient
        echo._process.kill()
        echo._process.join()
        with pytest.raises(error):
            echo.round_trip(b"anyone there?")


def test_echo_close_with_a_view_still_alive_unlinks_and_raises() -> None:
    echo = Echo("SharedMemory", capacity=80).__enter__()
    name = echo.block_name
    assert name is not None
    view = np.frombuffer(echo.buffer, dtype=np.float64)
    with pytest.raises(BufferError, match="delete it before the Echo closes"):
        echo.close()
    assert not block_exists(name)  # the name is gone at once
    assert echo._process is None
    del view  # then the block can close, when the Echo goes
    del echo


# sweep -----------------------------------------------------------------------


def test_sweep_measures_each_transport_up_to_its_cap() -> None:
    trips = sweep([10, 1_000], ["Pipe", "SharedMemory"], largest={"Pipe": 10}, budget=0.0)
    assert [(t.transport, t.size) for t in trips] == [
        ("Pipe", 10), ("SharedMemory", 10), ("SharedMemory", 1_000)]
    assert all(isinstance(t, RoundTrips) and t.seconds > 0 and t.messages >= 3 for t in trips)
    assert trips[2].throughput == pytest.approx(1_000 / trips[2].seconds)
    assert RoundTrips("x", 10, 0.0, 1).throughput == float("inf")
    assert sweep([10], ["Pipe"], largest={"Pipe": 1}) == []


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        (([],), {}, TypeError, "sizes must be a non-empty"),
        (("10",), {}, TypeError, "sizes must be a non-empty"),
        (([0],), {}, ValueError, "size must be >= 1"),
        (([10], "Pipe"), {}, TypeError, "transports must be a sequence"),
        (([10], ["Telegraph"]), {}, ValueError, "unknown transport"),
        (([10], ["Pipe"]), {"largest": {"Pipe": 0}}, ValueError, "must be >= 1"),
        (([10], ["Pipe"]), {"budget": -1.0}, ValueError, "budget must be >= 0"),
    ],
)
def test_sweep_checks_its_arguments(
    args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        sweep(*args, **kwargs)


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


# install, item_at, installed_item_at --------------------------------------------


def test_item_at_and_installed_item_at_in_this_process() -> None:
    data = np.arange(4, dtype=np.float64)
    assert item_at(data, 3) == 3.0 and type(item_at(data, 3)) is float
    install([10, 20, 30])
    try:
        assert installed_item_at(-1) == 30
    finally:
        mpworkers.exchange._installed.pid = None
    with pytest.raises(TypeError, match="data must be indexable"):
        install(5)
    with pytest.raises(TypeError, match="data must be indexable"):
        item_at(5, 0)
    with pytest.raises(TypeError, match="index must be an int"):
        item_at([1], 0.0)  # type: ignore[arg-type]
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
        carried = pool.starmap(item_at, [(data, i) for i in range(100)])
    assert installed == carried == [float(i) for i in range(100)]


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


# scale_block, store_at, set_item -------------------------------------------------


def test_scale_block_in_this_process_and_in_a_pool(block: shared_memory.SharedMemory) -> None:
    assert block.buf is not None
    numbers = np.frombuffer(block.buf, dtype=np.float64)
    numbers[:] = 1.0
    assert scale_block(block.name, 10, 3.0) == 30.0
    assert numbers[:10].tolist() == [3.0] * 10 and numbers[10] == 1.0
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        assert pool.apply(scale_block, (block.name, 100, 2.0)) == 2 * (30.0 + 90.0)
    del numbers


def test_scale_block_checks_its_arguments(block: shared_memory.SharedMemory) -> None:
    with pytest.raises(TypeError, match="name must be a str"):
        scale_block(1, 1, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="count must be >= 0"):
        scale_block(block.name, -1, 1.0)
    with pytest.raises(TypeError, match="factor must be a real number"):
        scale_block(block.name, 1, "2")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="do not fit"):
        scale_block(block.name, 10_000, 1.0)
    with pytest.raises(FileNotFoundError):
        scale_block("psm_no_such_block_here", 1, 1.0)


def test_store_at_fills_a_shareable_list() -> None:
    slots: shared_memory.ShareableList[Any] = shared_memory.ShareableList([0, 0.0, "abc", None])
    try:
        assert store_at(slots.shm.name, 0, 7) == 0
        store_at(slots.shm.name, 1, 2.5)
        store_at(slots.shm.name, 2, "xy")
        store_at(slots.shm.name, 3, None)
        assert list(slots) == [7, 2.5, "xy", None]  # type: ignore[call-overload]
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            pool.starmap(store_at, [(slots.shm.name, 0, 99)])
        assert slots[0] == 99
        with pytest.raises(TypeError, match="value must be"):
            store_at(slots.shm.name, 0, [1])  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="index must be an int"):
            store_at(slots.shm.name, "0", 1)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="list_name must be a str"):
            store_at(None, 0, 1)  # type: ignore[arg-type]
        with pytest.raises(IndexError):
            store_at(slots.shm.name, 9, 1)
        with pytest.raises(ValueError, match="exceeds available storage"):
            store_at(slots.shm.name, 2, "x" * 100)
    finally:
        slots.shm.close()
        slots.shm.unlink()


def test_set_item() -> None:
    scores: dict[str, int] = {}
    set_item(scores, "a", 1)
    items = [0, 0]
    set_item(items, 1, 5)
    assert scores == {"a": 1} and items == [0, 5]
    with pytest.raises(TypeError, match="must support item assignment"):
        set_item((1, 2), 0, 1)
    with multiprocessing.get_context("spawn").Manager() as manager:
        shared = manager.dict()
        with multiprocessing.get_context("spawn").Pool(2) as pool:
            pool.starmap(set_item, [(shared, i, i * i) for i in range(4)])
        assert shared.copy() == {0: 0, 1: 1, 2: 4, 3: 9}


# attach, block_exists, leak_warnings ---------------------------------------------

READER = """
import sys
from mpworkers.exchange import attach
block = attach(sys.argv[1], track=(sys.argv[2] == "tracked"))
print(bytes(block.buf[:2]))
block.close()
"""


def _read_independently(name: str, how: str) -> ScriptResult:
    # capturing stderr waits for the reader's resource tracker to finish too
    reader = run_script(READER, args=[name, how])
    assert reader.returncode == 0, reader.stderr
    return reader


def test_an_untracked_independent_reader_leaves_the_block_alone(
    block: shared_memory.SharedMemory,
) -> None:
    assert block.buf is not None
    block.buf[:2] = b"ok"
    reader = _read_independently(block.name, "untracked")
    assert reader.stdout == "b'ok'\n"
    assert leak_warnings(reader.stderr) == []
    assert block_exists(block.name)


def test_a_tracked_independent_reader_destroys_the_block() -> None:
    made = shared_memory.SharedMemory(create=True, size=16)
    try:
        reader = _read_independently(made.name, "tracked")
        assert leak_warnings(reader.stderr) == [
            "resource_tracker: There appear to be 1 leaked shared_memory objects "
            "to clean up at shutdown"
        ]
        assert not block_exists(made.name)
    finally:
        made.close()
        if os.name == "posix":
            # the reader's tracker destroyed it; take it off ours so that ours
            # does not warn about it when the tests end
            from multiprocessing import resource_tracker

            resource_tracker.unregister(made._name, "shared_memory")  # type: ignore[attr-defined]


@pytest.mark.parametrize("method", METHODS)
def test_attach_in_a_multiprocessing_child_keeps_the_creators_registration(
    block: shared_memory.SharedMemory, method: str
) -> None:
    # attach(track=False) in a child that shares our tracker must not cancel our
    # registration: unlinking afterwards (the fixture) must not make the tracker fail
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(1) as pool:
        assert pool.apply(block_exists, (block.name,))
        assert pool.apply(_attach_and_close, (block.name,)) == 800


def _attach_and_close(name: str) -> int:
    attached = attach(name, track=False)
    size = attached.size
    attached.close()
    return size


def test_attach_and_block_exists_check_their_arguments() -> None:
    for function in (attach, block_exists):
        with pytest.raises(TypeError, match="name must be a str"):
            function(b"psm_x")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="name must not be empty"):
            function("")
    with pytest.raises(TypeError, match="track must be a bool"):
        attach("psm_x", track=1)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        attach("psm_no_such_block_here")
    assert not block_exists("psm_no_such_block_here")


def test_attach_tracked_in_this_process(block: shared_memory.SharedMemory) -> None:
    again = attach(block.name)
    assert again.size == block.size
    again.close()


def test_leak_warnings() -> None:
    text = (
        "/x/resource_tracker.py:254: UserWarning: resource_tracker: There appear to be 2 "
        "leaked shared_memory objects to clean up at shutdown\n  warnings.warn(\n"
        "UserWarning: resource_tracker: There appear to be 1 leaked semaphore objects to "
        "clean up at shutdown: {'/mp-x'}\n"
    )
    assert leak_warnings(text) == [
        "resource_tracker: There appear to be 2 leaked shared_memory objects to clean up "
        "at shutdown",
        "resource_tracker: There appear to be 1 leaked semaphore objects to clean up "
        "at shutdown",
    ]
    assert leak_warnings("") == []
    with pytest.raises(TypeError, match="stderr must be a str"):
        leak_warnings(b"x")  # type: ignore[arg-type]


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


FORK_BEFORE_TRACKER = """
import multiprocessing
from multiprocessing import shared_memory

from mpworkers.exchange import attach, block_exists


def attach_and_close(name):
    attach(name, track=False).close()
    return True


if __name__ == "__main__":
    pool = multiprocessing.get_context("fork").Pool(1)  # before any tracker runs
    block = shared_memory.SharedMemory(create=True, size=10)
    assert pool.apply(attach_and_close, (block.name,))
    pool.close()
    pool.join()
    print("exists:", block_exists(block.name))
    block.close()
    block.unlink()
"""


@pytest.mark.skipif("fork" not in METHODS, reason="needs the fork start method")
def test_attach_untracked_in_a_fork_child_started_before_the_tracker() -> None:
    # the worker has no tracker of its creator: attach(track=False) must not
    # leave the block registered with the tracker it starts for itself
    result = run_script(FORK_BEFORE_TRACKER, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "exists: True\n"
    assert leak_warnings(result.stderr) == []
