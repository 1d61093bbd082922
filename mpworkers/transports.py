"""A child behind each transport, and round trips through it timed: chapter 10's measurements.

The parent's side of :mod:`mpworkers.exchange`: :class:`Echo` starts one of
its children (:func:`~mpworkers.exchange.answer`, or
:func:`~mpworkers.exchange.answer_views` for shared memory) behind one of
the :data:`TRANSPORTS` and times round trips: a payload out, its
:class:`~mpworkers.exchange.Fingerprint` back. :func:`sweep` measures each
transport against payload size, one :class:`RoundTrips` per pair.
"""

from __future__ import annotations

import math
import multiprocessing
import multiprocessing.connection
import queue
import statistics
import time
from collections.abc import Sequence
from multiprocessing import shared_memory
from multiprocessing.context import BaseContext
from types import TracebackType
from typing import Any, NamedTuple

from mpworkers._validate import check_int, check_real, check_str
from mpworkers.exchange import (
    Fingerprint,
    _check_view_request,
    answer,
    answer_views,
    make_payload,
)

__all__ = [
    "TRANSPORTS",
    "Echo",
    "RoundTrips",
    "sweep",
]

TRANSPORTS = ("Pipe", "Queue", "SimpleQueue", "Manager queue", "Array", "SharedMemory")
"""The ways :class:`Echo` can reach its child. The first four send each payload
(pickled); ``Array`` and ``SharedMemory`` copy it into shared memory and send
only its size."""

_SENT = TRANSPORTS[:4]
_PLACED = TRANSPORTS[4:]


class RoundTrips(NamedTuple):
    """Round trips of one payload size through one transport, measured by :func:`sweep`."""

    transport: str
    size: int
    """Payload size in bytes."""
    seconds: float
    """Median seconds per round trip (payload sent, fingerprint back)."""
    messages: int
    """How many round trips were timed."""

    @property
    def throughput(self) -> float:
        """Payload bytes per second at that round-trip time."""
        return self.size / self.seconds if self.seconds > 0 else math.inf


class Echo:
    """A child process behind one of the :data:`TRANSPORTS`, that fingerprints what it gets.

    Use it as a context manager; leaving the block stops the child, joins it,
    and frees what the transport used (the manager, the shared block)::

        with Echo("Queue") as echo:
            echo.round_trip(make_payload(1000))   # Fingerprint(kind='bytes', length=1000, ...)
            echo.time(make_payload(1000))         # seconds of each round trip

    ``"Pipe"``, ``"Queue"``, ``"SimpleQueue"`` and ``"Manager queue"`` send each
    payload pickled, and the child (:func:`~mpworkers.exchange.answer`) sends
    back its fingerprint the same way. ``"Array"`` and ``"SharedMemory"`` need a
    ``capacity`` in bytes: :meth:`round_trip` copies a bytes-like payload into
    shared memory and sends only ``(count, format)`` through a pipe; the child
    (:func:`~mpworkers.exchange.answer_views`) reads it in place.
    :meth:`view_round_trip` skips the copy, for data that is already in the
    shared memory (write it through :attr:`buffer`).

    It is one class of about 320 lines on purpose: it owns one child and what
    its transport holds (a pipe's ends, two queues and their feeder threads, a
    manager, a shared block and the views of it), made in ``_start`` and freed
    in :meth:`close` in the reverse order, whichever step failed. Split by
    transport, each resource would be made in one place and freed in another.

    Args:
        transport: one of :data:`TRANSPORTS`.
        capacity: bytes of shared memory, for ``"Array"`` and ``"SharedMemory"`` (>= 1);
            must be 0 for the others.
        context: the multiprocessing context to start the child (and the
            manager) with; default: the current default context.
        timeout: seconds to wait for an answer from the child, and for it to stop.

    Raises:
        TypeError: for arguments of the wrong type.
        ValueError: for an unknown transport, a capacity that does not fit it,
            or a timeout <= 0.
    """

    def __init__(
        self,
        transport: str,
        *,
        capacity: int = 0,
        context: multiprocessing.context.BaseContext | None = None,
        timeout: float = 60.0,
    ) -> None:
        check_str("transport", transport)
        if transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)}, got {transport!r}")
        check_int("capacity", capacity, minimum=0)
        if transport in _PLACED and capacity == 0:
            raise ValueError(f"{transport} needs a capacity of at least 1 byte")
        if transport in _SENT and capacity != 0:
            raise ValueError(f"{transport} sends its payloads: capacity must be 0")
        if context is not None and not isinstance(context, BaseContext):
            raise TypeError(f"context must be a multiprocessing context, got {context!r}")
        check_real("timeout", timeout, minimum=0.0)
        if timeout == 0:
            raise ValueError("timeout must be > 0")
        self.transport = transport
        self.capacity = capacity
        self.timeout = float(timeout)
        self._context = context  # None: the default context, looked up when the child starts
        self._process: Any = None
        self._manager: Any = None
        self._block: shared_memory.SharedMemory | None = None
        self._array: Any = None
        self._bytes: memoryview | None = None
        self._send: Any = None
        self._send_bytes: Any = None  # "Pipe" only: Connection.send_bytes
        self._receive: Any = None
        self._closers: list[Any] = []
        self._unclosed: shared_memory.SharedMemory | None = None

    # starting and stopping

    def __enter__(self) -> Echo:
        try:
            self._start()
            self.round_trip(b"")  # the child may still be importing its modules
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _start(self) -> None:
        ctx: Any = self._context if self._context is not None else multiprocessing.get_context()
        kind = self.transport
        if kind == "Pipe":
            mine, theirs = ctx.Pipe()
            self._launch(answer, theirs, theirs)
            theirs.close()
            self._send, self._receive = mine.send, self._poll_receive(mine)
            self._send_bytes = mine.send_bytes
            self._closers.append(mine.close)
        elif kind in ("Queue", "SimpleQueue", "Manager queue"):
            if kind == "Manager queue":
                self._manager = ctx.Manager()
                inbox, outbox = self._manager.Queue(), self._manager.Queue()
            else:
                factory = ctx.Queue if kind == "Queue" else ctx.SimpleQueue
                inbox, outbox = factory(), factory()
                for q in (inbox, outbox):
                    self._closers.append(q.close)
                    if kind == "Queue":
                        self._closers.append(q.join_thread)
            self._launch(answer, inbox, outbox)
            self._send = inbox.put
            self._receive = self._get_receive(outbox)
        else:
            if kind == "Array":
                self._array = ctx.Array("B", self.capacity)
                source: Any = self._array
                self._bytes = memoryview(self._array.get_obj()).cast("B")
            else:
                self._block = shared_memory.SharedMemory(create=True, size=self.capacity)
                source = self._block.name
                self._bytes = self._block.buf
            mine, theirs = ctx.Pipe()
            self._launch(answer_views, source, theirs)
            theirs.close()
            self._send, self._receive = mine.send, self._poll_receive(mine)
            self._closers.append(mine.close)

    def _launch(self, target: Any, *args: Any) -> None:
        ctx: Any = self._context if self._context is not None else multiprocessing.get_context()
        process = ctx.Process(target=target, args=args, daemon=True)
        process.start()
        self._process = process

    def _get_receive(self, outbox: Any) -> Any:
        if self.transport == "SimpleQueue":
            # SimpleQueue.get() has no timeout: wait on the pipe underneath it
            reader = outbox._reader

            def receive_simple() -> Any:
                if not reader.poll(self.timeout):
                    raise TimeoutError(f"the {self.transport} child did not answer")
                return outbox.get()

            return receive_simple

        def receive() -> Any:
            try:
                return outbox.get(timeout=self.timeout)
            except queue.Empty:
                raise TimeoutError(f"the {self.transport} child did not answer") from None

        return receive

    def _poll_receive(self, conn: multiprocessing.connection.Connection) -> Any:
        def receive() -> Any:
            if not conn.poll(self.timeout):
                raise TimeoutError(f"the {self.transport} child did not answer")
            return conn.recv()

        return receive

    def close(self) -> None:
        """Stop and join the child, then free the transport. Safe to call twice.

        Raises:
            BufferError: if a view of :attr:`buffer` is still alive. The child
                is stopped and a shared block unlinked all the same.
        """
        process, self._process = self._process, None
        if process is not None:
            try:
                if process.is_alive() and self._send is not None:
                    self._send(None)
            except (OSError, ValueError, EOFError):
                pass
            process.join(self.timeout)
            if process.is_alive():
                process.terminate()
                process.join()
            if hasattr(process, "close"):
                process.close()
        for close in self._closers:
            try:
                close()
            except (OSError, ValueError):
                pass
        self._closers = []
        if self._manager is not None:
            self._manager.shutdown()
            self._manager = None
        views_left = False
        if self._bytes is not None:
            try:
                self._bytes.release()
            except BufferError:  # the caller still holds a view of it
                views_left = True
            self._bytes = None
        if self._block is not None:
            block, self._block = self._block, None
            block.unlink()  # the name goes now; the memory when the last view does
            try:
                block.close()
            except BufferError:
                views_left = True
                self._unclosed = block  # closed when the views and this Echo are gone
        self._array = None
        self._send = self._send_bytes = self._receive = None
        if views_left:
            raise BufferError(
                "a view of the Echo's buffer is still alive (a NumPy array from "
                "np.frombuffer?): delete it before the Echo closes"
            )

    # using it

    @property
    def block_name(self) -> str | None:
        """The name of the shared-memory block (``"SharedMemory"`` only), else ``None``."""
        return self._block.name if self._block is not None else None

    @property
    def buffer(self) -> memoryview:
        """The shared memory as a writable byte view (``"Array"`` and ``"SharedMemory"``).

        Raises:
            ValueError: for a transport that sends its payloads, or a closed Echo.
        """
        if self._bytes is None:
            raise ValueError(f"{self.transport} has no shared buffer (or the Echo is closed)")
        return self._bytes

    def _running(self) -> None:
        if self._process is None:
            raise ValueError("the Echo is not running: use it inside a with block")

    def round_trip(self, payload: Any) -> Fingerprint:
        """Hand ``payload`` to the child and return the fingerprint it sends back.

        For ``"Array"`` and ``"SharedMemory"`` the payload must be a C-contiguous
        bytes-like object (``bytes``, ``bytearray``, a NumPy array) no larger than
        the capacity; it is copied into shared memory and the child sees its bytes.

        Raises:
            ValueError: if the Echo is not running, or the payload does not fit.
            TypeError: if a shared transport gets a payload that is not bytes-like.
            RuntimeError: if the child could not fingerprint the payload.
            TimeoutError: if the child does not answer within ``timeout``.
            OSError: ``BrokenPipeError`` (or ``EOFError``) if the child of a
                ``Pipe``, ``Array`` or ``SharedMemory`` Echo has died.
        """
        self._running()
        if self._bytes is None:
            self._send(payload)
            return self._reply()
        try:
            data = memoryview(payload).cast("B")
        except TypeError:
            raise TypeError(
                f"{self.transport} copies bytes-like payloads, got {type(payload).__name__}"
            ) from None
        with data:
            if data.nbytes > self._bytes.nbytes:
                raise ValueError(
                    f"a payload of {data.nbytes} bytes does not fit in {self.capacity}"
                )
            if self._array is not None:
                with self._array.get_lock():
                    self._bytes[: data.nbytes] = data
            else:
                self._bytes[: data.nbytes] = data
            self._send((data.nbytes, "B"))
        return self._reply()

    def pickled_round_trip(self, pickled: bytes | bytearray | memoryview) -> Fingerprint:
        """Hand a payload pickled beforehand to the child (``"Pipe"`` only); return its reply.

        ``pickled`` (what ``pickle.dumps(payload)`` returned) goes through the
        pipe with ``send_bytes()``, and the child unpickles it as
        :meth:`round_trip`'s payloads: the same round trip without the pickling
        that ``send()`` does first.

        Raises:
            ValueError: for a transport other than ``"Pipe"``, or a closed Echo.
            TypeError: if ``pickled`` is not bytes, a bytearray or a memoryview.
            RuntimeError, TimeoutError, OSError: as :meth:`round_trip`.
        """
        self._running()
        if self.transport != "Pipe":
            raise ValueError(f"pickled round trips need the Pipe transport, not {self.transport}")
        if not isinstance(pickled, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"pickled must be bytes, a bytearray or a memoryview, got {type(pickled).__name__}"
            )
        self._send_bytes(pickled)
        return self._reply()

    def view_round_trip(self, count: int, fmt: str = "B") -> Fingerprint:
        """Ask the child about the first ``count`` items of format ``fmt`` already in shared memory.

        Nothing is copied: this is the cost of telling another process where
        data is, once it lives in shared memory.

        Raises:
            ValueError: for a transport without shared memory, a closed Echo, a
                format other than one of ``bBhHiIlLqQfd``, or too many items.
            TypeError: if ``count`` is not an int or ``fmt`` not a str.
        """
        self._running()
        if self._bytes is None:
            raise ValueError(f"{self.transport} has no shared memory to view")
        count, fmt = _check_view_request((count, fmt), self._bytes.nbytes)
        self._send((count, fmt))
        return self._reply()

    def _reply(self) -> Fingerprint:
        reply = self._receive()
        if not isinstance(reply, Fingerprint):
            raise RuntimeError(f"the child could not fingerprint the payload: {reply}")
        return reply

    def time(
        self,
        payload: Any,
        *,
        budget: float = 0.02,
        min_messages: int = 3,
        max_messages: int = 200,
    ) -> list[float]:
        """Time round trips of ``payload``; return the seconds of each.

        It sends as many messages as fit in ``budget`` seconds, but at least
        ``min_messages`` and at most ``max_messages``. (Entering the ``with``
        block already made one round trip, so the child is ready.)

        Raises:
            TypeError: for arguments of the wrong type.
            ValueError: for a negative budget, ``min_messages`` < 1 or
                ``max_messages`` < ``min_messages``; and as :meth:`round_trip`.
        """
        check_real("budget", budget, minimum=0.0)
        check_int("min_messages", min_messages, minimum=1)
        check_int("max_messages", max_messages, minimum=min_messages)
        times: list[float] = []
        spent = 0.0
        while len(times) < max_messages and (len(times) < min_messages or spent < budget):
            start = time.perf_counter()
            self.round_trip(payload)
            times.append(time.perf_counter() - start)
            spent += times[-1]
        return times


def sweep(
    sizes: Sequence[int],
    transports: Sequence[str] = TRANSPORTS,
    *,
    largest: dict[str, int] | None = None,
    budget: float = 0.02,
    context: multiprocessing.context.BaseContext | None = None,
) -> list[RoundTrips]:
    """Time round trips of payloads of each size through each transport.

    Each transport gets one :class:`Echo`, used for every size in turn; a
    payload is :func:`~mpworkers.exchange.make_payload` of that size.
    ``largest`` caps the payload size per transport (sizes above its cap are
    skipped), to keep slow transports away from the biggest payloads. Returns
    one :class:`RoundTrips` per measured pair, each holding the median of its
    round trips.

    Raises:
        TypeError: for arguments of the wrong type.
        ValueError: for an empty or non-positive size, an unknown transport, or
            a negative budget.
    """
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or not sizes:
        raise TypeError("sizes must be a non-empty sequence of ints")
    for size in sizes:
        check_int("size", size, minimum=1)
    if isinstance(transports, str) or not isinstance(transports, Sequence):
        raise TypeError("transports must be a sequence of transport names")
    for transport in transports:
        check_str("transport", transport)
        if transport not in TRANSPORTS:
            raise ValueError(f"unknown transport {transport!r}; known: {', '.join(TRANSPORTS)}")
    caps = {} if largest is None else dict(largest)
    for transport, cap in caps.items():
        check_str("largest key", transport)
        check_int(f"largest[{transport!r}]", cap, minimum=1)
    check_real("budget", budget, minimum=0.0)
    results: list[RoundTrips] = []
    for transport in transports:
        chosen = [s for s in sizes if s <= caps.get(transport, max(sizes))]
        if not chosen:
            continue
        capacity = max(chosen) if transport in _PLACED else 0
        with Echo(transport, capacity=capacity, context=context) as echo:
            for size in chosen:
                payload = make_payload(size)
                times = echo.time(payload, budget=budget)
                results.append(RoundTrips(transport, size, statistics.median(times), len(times)))
    return results
