"""Moving data between processes: the workers and measurements of the chapter on exchanging data.

Processes share no Python objects, so data reaches another process in one of
two ways. It is *sent*: pickled, written into a pipe or a socket, read and
unpickled on the other side (``Pipe``, ``Queue``, ``SimpleQueue``, a
``Manager``'s proxies). Or it is *placed* in memory that both processes map
(``Value``, ``Array``, :mod:`multiprocessing.shared_memory`), and only a small
message says where to look.

The children here never print; they answer with a :class:`Fingerprint` of
what they received (its type, length, first and last item), which the parent
prints and checks.

* :func:`answer` is a child that fingerprints every message it takes from a
  connection or a queue and sends the fingerprint back; :func:`answer_views`
  does the same for data placed in a shared-memory block or a shared
  ``Array``, which it reads in place.
* :func:`send_back` sends every message back as it came; :func:`sum_received`
  and :func:`sum_when_asked` read all of an array, sent or placed in shared
  memory, and reply with its sum.
* :class:`Echo` starts such a child behind one of the :data:`TRANSPORTS` and
  times round trips; :func:`sweep` measures each transport against payload
  size.
* :func:`put_and_signal` puts a payload on a queue and returns: the child of
  the "joining processes that use queues" guideline.
* :func:`install`, :func:`item_at` and :func:`installed_item_at`: data handed
  to each worker once (inherited) or with every task (pickled).
* :func:`scale_block` and :func:`store_at` change data in shared memory in
  place; :func:`set_item` changes a ``Manager``'s dict or list.
* :func:`attach`, :func:`block_exists` and :func:`leak_warnings` help with the
  life cycle of shared-memory blocks and the resource tracker.

Everything is defined at the top level of an importable module, so it works
with the ``fork``, ``spawn`` and ``forkserver`` start methods.
"""

from __future__ import annotations

import ctypes
import math
import multiprocessing
import multiprocessing.connection
import os
import queue
import re
import statistics
import struct
import sys
import time
from collections.abc import Sequence
from multiprocessing import shared_memory
from multiprocessing.context import BaseContext
from types import TracebackType
from typing import Any, NamedTuple

from mpworkers._validate import check_int, check_real, check_str

__all__ = [
    "TRANSPORTS",
    "Echo",
    "Fingerprint",
    "RoundTrips",
    "answer",
    "answer_views",
    "attach",
    "block_exists",
    "fingerprint",
    "install",
    "installed_item_at",
    "item_at",
    "leak_warnings",
    "make_payload",
    "put_and_signal",
    "scale_block",
    "send_back",
    "set_item",
    "store_at",
    "sum_received",
    "sum_when_asked",
    "sweep",
]

TRANSPORTS = ("Pipe", "Queue", "SimpleQueue", "Manager queue", "Array", "SharedMemory")
"""The ways :class:`Echo` can reach its child. The first four send each payload
(pickled); ``Array`` and ``SharedMemory`` copy it into shared memory and send
only its size."""

_SENT = TRANSPORTS[:4]
_PLACED = TRANSPORTS[4:]
_FORMATS = frozenset("bBhHiIlLqQfd")


# --- what a child saw -------------------------------------------------------


class Fingerprint(NamedTuple):
    """What a child received, in a few fields that are cheap to compute and send back."""

    kind: str
    """The type of the object, e.g. ``'bytes'``, ``'ndarray'``, ``'memoryview'``."""
    length: int
    """Its ``len()``, in bytes for ``bytes``, in items for a list or a 1-D array."""
    first: Any
    """Its first item (``None`` when empty), as a plain Python number or object."""
    last: Any
    """Its last item (``None`` when empty)."""

    def same_data(self, other: Fingerprint) -> bool:
        """``True`` if ``other`` has the same length, first and last item (any kind)."""
        if not isinstance(other, Fingerprint):
            raise TypeError(f"other must be a Fingerprint, got {type(other).__name__}")
        return (self.length, self.first, self.last) == (other.length, other.first, other.last)


def _plain(item: Any) -> Any:
    """A NumPy scalar as a Python number; anything else unchanged."""
    to_python = getattr(item, "item", None)
    return to_python() if callable(to_python) and not isinstance(item, (bytes, str)) else item


def fingerprint(data: Any) -> Fingerprint:
    """Return the :class:`Fingerprint` of ``data``: its type, length, first and last item.

    It costs the same for a payload of ten bytes and one of ten megabytes, so
    that a child that answers with it measures the transport, not its own work.

    >>> fingerprint(b"abc")
    Fingerprint(kind='bytes', length=3, first=97, last=99)
    >>> fingerprint([1.5, 2.5])
    Fingerprint(kind='list', length=2, first=1.5, last=2.5)
    >>> fingerprint(())
    Fingerprint(kind='tuple', length=0, first=None, last=None)
    >>> fingerprint("hello")
    Fingerprint(kind='str', length=5, first='h', last='o')

    Raises:
        TypeError: if ``data`` has no length or cannot be indexed (a dict, a set,
            a number, a 0-dimensional array).
    """
    if isinstance(data, (dict, set, frozenset)) or not hasattr(data, "__getitem__"):
        raise TypeError(
            f"data must be a sequence or a buffer (bytes, str, list, array), "
            f"got {type(data).__name__}"
        )
    try:
        length = len(data)
    except TypeError:
        raise TypeError(f"data must have a length, got {type(data).__name__}") from None
    if length == 0:
        return Fingerprint(type(data).__name__, 0, None, None)
    return Fingerprint(type(data).__name__, length, _plain(data[0]), _plain(data[-1]))


def make_payload(size: int) -> bytes:
    """Return ``size`` bytes whose values count 0, 1, ..., 255, 0, 1, ... (a test payload).

    >>> make_payload(3), fingerprint(make_payload(1000))
    (b'\\x00\\x01\\x02', Fingerprint(kind='bytes', length=1000, first=0, last=231))

    Raises:
        TypeError: if ``size`` is not an int.
        ValueError: if ``size`` is negative.
    """
    check_int("size", size, minimum=0)
    block = bytes(range(256))
    return (block * (size // 256 + 1))[:size]


# --- the children ---------------------------------------------------------



def _receive_function(source: Any, name: str) -> Any:
    for method in ("recv", "get"):
        function = getattr(source, method, None)
        if callable(function):
            return function
    raise TypeError(
        f"{name} must be a Connection or a queue (a recv() or get() method), "
        f"got {type(source).__name__}"
    )


def _send_function(target: Any, name: str) -> Any:
    for method in ("send", "put"):
        function = getattr(target, method, None)
        if callable(function):
            return function
    raise TypeError(
        f"{name} must be a Connection or a queue (a send() or put() method), "
        f"got {type(target).__name__}"
    )


def answer(inbox: Any, outbox: Any) -> int:
    """Child: answer every message from ``inbox`` with its :func:`fingerprint`, until ``None``.

    ``inbox`` is anything with ``recv()`` (a :class:`multiprocessing.connection.Connection`)
    or ``get()`` (a ``Queue``, a ``SimpleQueue``, a ``Manager`` queue proxy);
    ``outbox`` anything with ``send()`` or ``put()``; both may be the same
    duplex connection. The message ``None`` stops it, and so does a closed
    connection; it returns how many messages it answered. A message it cannot
    fingerprint is answered with the exception's type name, a ``str``, so that
    the parent does not wait forever.

    Raises:
        TypeError: if ``inbox`` or ``outbox`` lacks the methods above.
    """
    receive = _receive_function(inbox, "inbox")
    send = _send_function(outbox, "outbox")
    answered = 0
    while True:
        try:
            message = receive()
        except (EOFError, OSError):  # the other end is gone: nothing left to answer
            return answered
        if message is None:
            return answered
        try:
            reply: Fingerprint | str = fingerprint(message)
        except TypeError as exc:
            reply = type(exc).__name__
        send(reply)
        answered += 1


def _shared_bytes(source: Any) -> tuple[memoryview, Any]:
    """A byte view of a block name or a shared Array, and what must be closed afterwards."""
    if isinstance(source, str):
        block = shared_memory.SharedMemory(name=source)
        assert block.buf is not None
        return block.buf, block
    get_obj = getattr(source, "get_obj", None)
    raw = get_obj() if callable(get_obj) else source
    if not isinstance(raw, ctypes.Array):
        raise TypeError(
            "source must be the name of a shared-memory block or a multiprocessing.Array, "
            f"got {type(source).__name__}"
        )
    return memoryview(raw).cast("B"), None


def answer_views(source: Any, conn: multiprocessing.connection.Connection) -> int:
    """Child: read data placed in shared memory, in place, and answer with its fingerprint.

    ``source`` is the name of a :class:`~multiprocessing.shared_memory.SharedMemory`
    block (the child attaches to it once) or a ``multiprocessing.Array`` (inherited
    from the parent). Each message on ``conn`` is ``(count, format)``: the first
    ``count`` items of the shared memory read as the ``struct`` format
    character ``format`` (``"B"`` for bytes, ``"d"`` for float64). The child
    answers with the :func:`fingerprint` of a ``memoryview`` of them, without
    copying them. ``None`` stops it: it releases its views, closes the block
    (never unlinks it: the creator does that) and returns how many messages it
    answered. A bad message is answered with the exception's type name, a ``str``.

    Raises:
        TypeError: if ``source`` is neither a str nor a shared Array, or ``conn``
            is not a Connection.
        FileNotFoundError: if no block of that name exists.
    """
    if not isinstance(conn, multiprocessing.connection.Connection):
        raise TypeError(f"conn must be a multiprocessing Connection, got {type(conn).__name__}")
    data, block = _shared_bytes(source)
    answered = 0
    try:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):  # the parent's end is closed
                return answered
            if message is None:
                return answered
            try:
                count, fmt = _check_view_request(message, data.nbytes)
                with _cast(data[: count * _itemsize(fmt)], fmt) as view:
                    reply: Fingerprint | str = fingerprint(view)
            except (TypeError, ValueError) as exc:
                reply = type(exc).__name__
            conn.send(reply)
            answered += 1
    finally:
        data.release()
        if block is not None:
            block.close()


def send_back(inbox: Any, outbox: Any = None) -> int:
    """Child: send every message from ``inbox`` back on ``outbox`` until ``None``.

    ``inbox`` has ``recv()`` or ``get()``, ``outbox`` (by default ``inbox``)
    ``send()`` or ``put()``; else ``TypeError``.
    """
    receive = _receive_function(inbox, "inbox")
    send = _send_function(inbox if outbox is None else outbox, "outbox")
    count = 0
    while (message := receive()) is not None:
        send(message)
        count += 1
    return count


def sum_received(inbox: Any, outbox: Any) -> int:
    """Child: put the sum of every NumPy array from ``inbox`` on ``outbox``, until ``None``."""
    if not callable(getattr(inbox, "get", None)) or not callable(getattr(outbox, "put", None)):
        raise TypeError("inbox must have get() and outbox put(), like a multiprocessing.Queue")
    count = 0
    while (numbers := inbox.get()) is not None:
        outbox.put(float(numbers.sum()))
        count += 1
    return count


def sum_when_asked(shared: Any, conn: multiprocessing.connection.Connection) -> int:
    """Child: answer each ``count`` from ``conn`` with the sum of the first ``count`` float64s.

    ``shared`` is a ``multiprocessing.Array("d", ...)`` or a shared-memory block's
    name (else ``TypeError``); the numbers are read in place. ``None`` stops it.
    """
    if not isinstance(conn, multiprocessing.connection.Connection):
        raise TypeError(f"conn must be a multiprocessing Connection, got {type(conn).__name__}")
    import numpy as np

    data, block = _shared_bytes(shared)
    count = 0
    try:
        while (wanted := conn.recv()) is not None:
            conn.send(float(np.frombuffer(data, dtype=np.float64, count=wanted).sum()))
            count += 1
    finally:
        data.release()
        if block is not None:
            block.close()
    return count


def _itemsize(fmt: str) -> int:
    return struct.calcsize(fmt)


def _cast(view: memoryview, fmt: str) -> memoryview:
    return view.cast(fmt)  # type: ignore[call-overload,no-any-return]


def _check_view_request(message: Any, nbytes: int) -> tuple[int, str]:
    if not (isinstance(message, tuple) and len(message) == 2):
        raise TypeError(f"a request must be a tuple (count, format), got {message!r}")
    count, fmt = message
    check_int("count", count, minimum=0)
    check_str("format", fmt)
    if fmt not in _FORMATS:
        raise ValueError(f"format must be one of {''.join(sorted(_FORMATS))}, got {fmt!r}")
    if count * _itemsize(fmt) > nbytes:
        raise ValueError(f"{count} items of format {fmt!r} do not fit in {nbytes} bytes")
    return count, fmt


# --- the parent's side: one child behind one transport -----------------------


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
    payload pickled, and the child (:func:`answer`) sends back its fingerprint the
    same way. ``"Array"`` and ``"SharedMemory"`` need a ``capacity`` in bytes:
    :meth:`round_trip` copies a bytes-like payload into shared memory and sends
    only ``(count, format)`` through a pipe; the child (:func:`answer_views`)
    reads it in place. :meth:`view_round_trip` skips the copy, for data that is
    already in the shared memory (write it through :attr:`buffer`).

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
        """Hand ``payload`` to the child and return the :class:`Fingerprint` it sends back.

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
    payload is :func:`make_payload` of that size. ``largest`` caps the payload
    size per transport (sizes above its cap are skipped), to keep slow
    transports away from the biggest payloads. Returns one :class:`RoundTrips`
    per measured pair, each holding the median of its round trips.

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


# --- the guideline "joining processes that use queues" ------------------------


def put_and_signal(queue: Any, size: int, done: Any) -> None:
    """Child: put ``size`` bytes on ``queue``, then set the event ``done``.

    ``TypeError`` or ``ValueError`` for a bad ``queue``, ``size`` or ``done``.
    """
    if not callable(getattr(queue, "put", None)):
        raise TypeError(f"queue must have a put() method, got {type(queue).__name__}")
    if not callable(getattr(done, "set", None)):
        raise TypeError(f"done must be an event with a set() method, got {type(done).__name__}")
    queue.put(make_payload(size))
    done.set()


# --- better to inherit than pickle --------------------------------------------


class _Installed:
    """Data installed in one process; ignored in a process forked from it."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.data: Any = None


_installed = _Installed()


def install(data: Any) -> None:
    """Pool initializer: keep ``data`` in this worker (``TypeError`` if it cannot be indexed)."""
    if not hasattr(data, "__getitem__"):
        raise TypeError(f"data must be indexable, got {type(data).__name__}")
    _installed.pid = os.getpid()
    _installed.data = data


def item_at(data: Any, index: int) -> Any:
    """Task: return ``data[index]`` as a plain Python value (the data comes with the task).

    Raises:
        TypeError, IndexError: for data that cannot be indexed, or a bad index.
    """
    if not hasattr(data, "__getitem__"):
        raise TypeError(f"data must be indexable, got {type(data).__name__}")
    check_int("index", index)
    return _plain(data[index])


def installed_item_at(index: int) -> Any:
    """Task: item ``index`` of the data that :func:`install` kept in this worker.

    ``RuntimeError`` if nothing was installed in this process.
    """
    check_int("index", index)
    if _installed.pid != os.getpid():
        raise RuntimeError("no data installed in this process: start the pool with "
                           "initializer=install, initargs=(data,)")
    return _plain(_installed.data[index])


# --- changing shared data in place (exercises) --------------------------------


def scale_block(name: str, count: int, factor: float) -> float:
    """Child: multiply the first ``count`` float64 numbers of block ``name`` in place by ``factor``.

    Returns their sum, computed where they are. The block is closed, never
    unlinked (its creator does that).

    Raises:
        TypeError, ValueError: for bad arguments, or more numbers than fit.
        FileNotFoundError: if no block of that name exists.
    """
    check_str("name", name)
    check_int("count", count, minimum=0)
    check_real("factor", factor)
    import numpy as np

    block = shared_memory.SharedMemory(name=name)
    try:
        if count * 8 > block.size:
            raise ValueError(f"{count} float64 numbers do not fit in a block of {block.size} bytes")
        # frombuffer, not np.ndarray(buffer=...): see the chapter's pitfalls
        assert block.buf is not None
        numbers = np.frombuffer(block.buf, dtype=np.float64, count=count)
        numbers *= factor
        total = float(numbers.sum())
        del numbers  # a live view would make close() fail with BufferError
    finally:
        block.close()
    return total


def set_item(container: Any, key: Any, value: Any) -> None:
    """Task: ``container[key] = value``; with a ``Manager``'s proxy, a message to the manager."""
    if not callable(getattr(container, "__setitem__", None)):
        raise TypeError(
            f"container must support item assignment (a dict or list proxy), "
            f"got {type(container).__name__}"
        )
    container[key] = value


def store_at(list_name: str, index: int, value: int | float | str | bytes | bool | None) -> int:
    """Task: set item ``index`` of the ``ShareableList`` named ``list_name``; return ``index``.

    Raises:
        TypeError, IndexError, ValueError: for bad arguments, or a str or bytes
            longer than its slot.
        FileNotFoundError: if no list of that name exists.
    """
    check_str("list_name", list_name)
    check_int("index", index)
    if value is not None and not isinstance(value, (int, float, str, bytes)):
        raise TypeError(
            f"value must be an int, float, bool, str, bytes or None, got {type(value).__name__}"
        )
    shared: shared_memory.ShareableList[Any] = shared_memory.ShareableList(name=list_name)
    try:
        shared[index] = value
    finally:
        shared.shm.close()
    return index


# --- shared-memory blocks and the resource tracker ----------------------------


def attach(name: str, *, track: bool = True) -> shared_memory.SharedMemory:
    """Attach to the existing shared-memory block ``name``, on every Python from 3.10.

    ``track=True`` is what ``SharedMemory(name=name)`` does: on POSIX systems the
    block is registered with this process's resource tracker. That is
    harmless where the tracker is the creator's, and destroys the block when
    this process exits where the tracker is this process's own: in a process
    started some other way (``subprocess``, another program), and in a
    ``fork`` child started before its parent's tracker was running.
    ``track=False`` prevents that:

    * Python 3.13 and later: ``SharedMemory(name=name, track=False)``;
    * Python 3.10 to 3.12, which have no ``track`` argument: attach, then
      unregister the block from this process's own tracker. Where this
      process already holds a tracker inherited from the process that started
      it (``spawn`` and ``forkserver`` always pass it on, ``fork`` once the
      parent's was running), the registration is kept, since unregistering
      there would cancel the creator's.

    The caller still calls ``close()``; the creator calls ``unlink()``.

    Raises:
        TypeError: if ``name`` is not a str or ``track`` not a bool.
        ValueError: if ``name`` is empty.
        FileNotFoundError: if no block of that name exists.
    """
    check_str("name", name)
    if not name:
        raise ValueError("name must not be empty")
    if not isinstance(track, bool):
        raise TypeError(f"track must be a bool, got {type(track).__name__}")
    if track or os.name != "posix":
        return shared_memory.SharedMemory(name=name)
    if sys.version_info >= (3, 13):
        return shared_memory.SharedMemory(name=name, track=False)  # type: ignore[call-arg,unused-ignore]
    from multiprocessing import resource_tracker

    tracker = resource_tracker._resource_tracker  # type: ignore[attr-defined,unused-ignore]
    fd = tracker._fd  # type: ignore[attr-defined,unused-ignore]
    inherited = multiprocessing.parent_process() is not None and fd is not None
    block = shared_memory.SharedMemory(name=name)
    if not inherited:
        resource_tracker.unregister(block._name, "shared_memory")  # type: ignore[attr-defined,unused-ignore]
    return block


def block_exists(name: str) -> bool:
    """Return whether a shared-memory block called ``name`` exists now.

    It opens the name and closes it at once, without mapping the block or
    registering it with the resource tracker (on POSIX).

    Raises:
        TypeError, ValueError: if ``name`` is not a non-empty str.
    """
    check_str("name", name)
    if not name:
        raise ValueError("name must not be empty")
    if os.name == "posix":
        import _posixshmem  # type: ignore[import-not-found,unused-ignore]

        try:
            fd = _posixshmem.shm_open("/" + name.lstrip("/"), os.O_RDONLY, mode=0o600)
        except FileNotFoundError:
            return False
        os.close(fd)
        return True
    try:
        shared_memory.SharedMemory(name=name).close()
    except FileNotFoundError:
        return False
    return True


_LEAK = re.compile(
    r"resource_tracker: There appear to be (\d+) leaked (\w+) objects to clean up at shutdown"
)


def leak_warnings(stderr: str) -> list[str]:
    """Return the resource tracker's leak warnings found in ``stderr``, in one form.

    The tracker's warning reads ``resource_tracker: There appear to be 1 leaked
    shared_memory objects to clean up at shutdown``; Python 3.13 and later
    append the names of the objects, and the line starts with a file path and
    line number that differ between installations. This keeps only the part
    that every Python prints, once per warning.

    >>> leak_warnings("x.py:9: UserWarning: resource_tracker: There appear to be 1 leaked "
    ...               "shared_memory objects to clean up at shutdown: {'/psm_1'}")
    ['resource_tracker: There appear to be 1 leaked shared_memory objects to clean up at shutdown']

    Raises:
        TypeError: if ``stderr`` is not a str.
    """
    check_str("stderr", stderr)
    return [match.group(0) for match in _LEAK.finditer(stderr)]
