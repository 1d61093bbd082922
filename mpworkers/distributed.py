"""Helpers for the chapter that runs the course's workers on a Dask cluster.

Two kinds of functions live here:

* tasks that take or produce a block of data, to show where data lives on a
  cluster: :func:`make_block` creates the data on a worker, :func:`count_byte`
  and :func:`checksum` use it there and send back only a small result;
* :func:`multiplier`, which returns a *closure*: a function that plain
  ``pickle`` refuses although its module can be imported, to show that Dask
  then falls back to cloudpickle.

Nothing here imports Dask: the tasks are plain functions, which any executor
(a ``multiprocessing.Pool``, a ``ProcessPoolExecutor``, a Dask ``Client``)
can run, because they are defined at the top level of an importable module.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable

from mpworkers._validate import check_int

__all__ = ["make_block", "count_byte", "checksum", "multiplier"]


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


