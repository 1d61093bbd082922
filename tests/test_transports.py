"""Unit tests for mpworkers.transports: a child behind each transport, round trips timed."""

from __future__ import annotations

import multiprocessing
import os
import pickle
from typing import Any

import numpy as np
import pytest

from mpworkers.exchange import Fingerprint, make_payload
from mpworkers.transports import TRANSPORTS, Echo, RoundTrips, sweep
from tests.test_exchange import no_block_left_behind  # noqa: F401 - autouse: no block is left

METHODS = [
    m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()
]


def block_exists(name: str) -> bool:
    """Whether a shared-memory block ``name`` exists, without registering it with a tracker."""
    if os.name != "posix":
        from multiprocessing import shared_memory

        try:
            shared_memory.SharedMemory(name=name).close()
        except FileNotFoundError:
            return False
        return True
    import _posixshmem  # type: ignore[import-not-found,unused-ignore]

    try:
        fd = _posixshmem.shm_open("/" + name.lstrip("/"), os.O_RDONLY, mode=0o600)
    except FileNotFoundError:
        return False
    os.close(fd)
    return True


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


def test_echo_pickled_round_trip_skips_only_the_pickling() -> None:
    numbers = np.arange(1_000, dtype=np.float64)
    with Echo("Pipe") as echo:
        sent = echo.round_trip(numbers)
        for form in (pickle.dumps(numbers), bytearray(pickle.dumps(numbers))):
            assert echo.pickled_round_trip(form) == sent
        assert sent == Fingerprint("ndarray", 1_000, 0.0, 999.0)
        with memoryview(pickle.dumps(b"abc")) as view:
            assert echo.pickled_round_trip(view) == Fingerprint("bytes", 3, 97, 99)
        with pytest.raises(TypeError, match="pickled must be bytes"):
            echo.pickled_round_trip(numbers)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not running"):
        echo.pickled_round_trip(pickle.dumps(1))
    with Echo("Queue") as queued, pytest.raises(ValueError, match="need the Pipe transport"):
        queued.pickled_round_trip(pickle.dumps(1))
