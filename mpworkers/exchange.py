"""The children of the chapter on exchanging data, and what they answer with.

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
  ``Array``, which it reads in place. :class:`mpworkers.transports.Echo`
  starts one of them behind each transport and times the round trips.
* :func:`send_back` sends every message back as it came; :func:`sum_received`
  and :func:`sum_when_asked` read all of an array, sent or placed in shared
  memory, and reply with its sum.
* :func:`put_and_signal` puts a payload (:func:`make_payload`) on a queue and
  returns: the child of the "joining processes that use queues" guideline.
* :func:`install` and :func:`installed_item_at`: data handed to each worker
  once, by a pool's initializer, instead of with every task.

Everything is defined at the top level of an importable module, so it works
with the ``fork``, ``spawn`` and ``forkserver`` start methods.
"""

from __future__ import annotations

import ctypes
import multiprocessing.connection
import os
import struct
from multiprocessing import shared_memory
from typing import Any, NamedTuple

from mpworkers._validate import check_int, check_str

__all__ = [
    "Fingerprint",
    "answer",
    "answer_views",
    "fingerprint",
    "install",
    "installed_item_at",
    "make_payload",
    "put_and_signal",
    "send_back",
    "sum_received",
    "sum_when_asked",
]

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


def installed_item_at(index: int) -> Any:
    """Task: item ``index`` of the data that :func:`install` kept in this worker.

    ``RuntimeError`` if nothing was installed in this process.
    """
    check_int("index", index)
    if _installed.pid != os.getpid():
        raise RuntimeError("no data installed in this process: start the pool with "
                           "initializer=install, initargs=(data,)")
    return _plain(_installed.data[index])
