"""Helpers for the chapter that runs the course's workers on a Dask cluster.

Three kinds of functions live here:

* tasks that take or produce a block of data, to show where data lives on a
  cluster: :func:`make_block` creates the data on a worker, :func:`count_byte`
  and :func:`checksum` use it there and send back only a small result;
* :func:`multiplier`, which returns a *closure*: a function that plain
  ``pickle`` refuses although its module can be imported, to show that Dask
  then falls back to cloudpickle;
* :func:`listening_addresses`, which lists the TCP addresses a process
  accepts connections on, to check that a local cluster is reachable from
  this machine only.

Nothing here imports Dask: the tasks are plain functions, which any executor
(a ``multiprocessing.Pool``, a ``ProcessPoolExecutor``, a Dask ``Client``)
can run, because they are defined at the top level of an importable module.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Callable

import psutil  # type: ignore[import-untyped,unused-ignore]

from mpworkers._validate import check_int

__all__ = ["make_block", "count_byte", "checksum", "multiplier", "listening_addresses"]


def _check_block(block: object) -> bytes:
    if not isinstance(block, (bytes, bytearray, memoryview)):
        raise TypeError(f"block must be bytes-like, got {type(block).__name__}")
    return bytes(block) if not isinstance(block, bytes) else block


def make_block(size: int, variant: int = 0) -> bytes:
    """Return ``size`` pseudo-random bytes, the same for the same ``variant``, anywhere.

    Raises:
        TypeError, ValueError: if ``size`` or ``variant`` is not an int >= 0.
    """
    check_int("size", size, minimum=0)
    check_int("variant", variant, minimum=0)
    return random.Random(variant).randbytes(size)


def count_byte(block: bytes | bytearray | memoryview, value: int) -> int:
    """Return how many bytes of ``block`` are equal to ``value``.

    Raises:
        TypeError, ValueError: if ``block`` is not bytes-like or ``value`` not in 0..255.
    """
    data = _check_block(block)
    check_int("value", value, minimum=0)
    if value > 255:
        raise ValueError(f"value must be <= 255, got {value}")
    return data.count(value)


def checksum(block: bytes | bytearray | memoryview) -> str:
    """Return the SHA-256 hex digest of ``block``: 64 characters, whatever its size.

    Raises:
        TypeError: if ``block`` is not bytes-like.
    """
    return hashlib.sha256(_check_block(block)).hexdigest()


def multiplier(factor: int) -> Callable[[int], int]:
    """Return a closure that multiplies an int by ``factor``: ``pickle`` cannot send it.

    Raises:
        TypeError: if ``factor`` (or, later, ``x``) is not an int.
    """
    check_int("factor", factor)

    def multiply(x: int) -> int:
        check_int("x", x)
        return factor * x

    return multiply


def listening_addresses(pid: int | None = None) -> list[tuple[str, int]]:
    """Return the sorted ``(host, port)`` pairs on which a process accepts TCP connections.

    A host of ``127.0.0.1`` (or ``::1``) means that only programs on this
    machine can connect; ``0.0.0.0`` (or ``::``) means every network
    interface, so other machines can too.

    It raises psutil's ``NoSuchProcess`` if there is no process ``pid``, and
    ``AccessDenied`` if the operating system does not let this user see the
    sockets of that process (on macOS, a process of another user).

    Args:
        pid: the process to inspect; ``None`` for the current process.

    Raises:
        TypeError: if ``pid`` is not an int or None.
        ValueError: if ``pid`` is negative.
    """
    if pid is None:
        pid = os.getpid()
    check_int("pid", pid, minimum=0)
    process = psutil.Process(pid)
    # psutil 6 renamed Process.connections() to net_connections().
    lister = getattr(process, "net_connections", None) or process.connections
    found = set()
    for conn in lister(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr:
            found.add((str(conn.laddr.ip), int(conn.laddr.port)))
    return sorted(found)
