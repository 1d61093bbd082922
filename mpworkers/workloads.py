"""Workloads with known behaviour, shared by the chapters and the benchmark.

* :func:`spin` is CPU-bound pure Python: it holds the GIL all the time.
* :func:`hash_bytes` and :func:`compress_bytes` spend their time in C code
  (``hashlib``, ``zlib``) that releases the GIL on large buffers.
* :func:`wait` only waits, like a task blocked on a disk or a network.

Each is a top-level function of an importable module, so every start method
can send it to a child process.
"""

from __future__ import annotations

import hashlib
import time
import zlib

from mpworkers._validate import check_int, check_real

__all__ = ["spin", "spin_for", "hash_bytes", "compress_bytes", "wait", "calibrate_spin"]


def spin(n: int) -> int:
    """Run ``n`` iterations of a pure-Python loop and return a checksum.

    The time it takes grows linearly with ``n`` and the loop holds the GIL
    throughout, so threads cannot run it in parallel but processes can.

    >>> spin(10)
    285

    Raises:
        TypeError: if ``n`` is not an int.
        ValueError: if ``n`` is negative.
    """
    check_int("n", n, minimum=0)
    total = 0
    for i in range(n):
        total += i * i
    return total


def calibrate_spin(seconds: float, *, probe: int = 200_000) -> int:
    """Return the ``n`` for which :func:`spin` takes about ``seconds`` here.

    It times ``spin(probe)`` once (best of three) and scales linearly, so the
    chapters can size their tasks to the machine instead of typing in a number
    that is right only on the author's computer.

    Raises:
        ValueError: if ``seconds`` is not positive or ``probe`` is < 1000.
    """
    check_real("seconds", seconds, minimum=0.0)
    if seconds == 0:
        raise ValueError("seconds must be > 0")
    check_int("probe", probe, minimum=1000)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        spin(probe)
        best = min(best, time.perf_counter() - start)
    return max(1, round(probe * seconds / best))


def spin_for(seconds: float) -> float:
    """Keep the CPU busy in pure Python for ``seconds`` of wall time; return the time spent.

    Unlike :func:`spin`, the duration does not depend on the speed of the CPU,
    which makes it the right task where a chapter needs tasks of a known length.
    The amount of work does: it is a loop that reads the clock until the time
    is up, so a task that shares its CPU with others (more workers than CPUs,
    a CPU quota, a busy machine) computes less in the same time, and may
    overrun a little if it is not running when the time is up.

    Raises:
        TypeError: if ``seconds`` is not a real number.
        ValueError: if ``seconds`` is negative.
    """
    check_real("seconds", seconds, minimum=0.0)
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        pass
    return time.perf_counter() - start


def hash_bytes(size: int, rounds: int = 1) -> str:
    """Feed ``rounds`` copies of a ``size``-byte buffer to SHA-256; return the hex digest.

    ``hashlib`` releases the GIL while it hashes a buffer larger than 2047
    bytes, so several threads running this use several cores.

    Raises:
        TypeError: if ``size`` or ``rounds`` is not an int.
        ValueError: if ``size`` < 1 or ``rounds`` < 1.
    """
    check_int("size", size, minimum=1)
    check_int("rounds", rounds, minimum=1)
    data = bytes(size)
    hasher = hashlib.sha256()
    for _ in range(rounds):
        hasher.update(data)
    return hasher.hexdigest()


def compress_bytes(size: int, level: int = 6) -> int:
    """Compress ``size`` bytes of patterned data with ``zlib``; return the compressed length.

    ``zlib.compress`` releases the GIL while it works.

    Raises:
        TypeError: if ``size`` or ``level`` is not an int.
        ValueError: if ``size`` < 1 or ``level`` is not in 0..9.
    """
    check_int("size", size, minimum=1)
    check_int("level", level, minimum=0)
    if level > 9:
        raise ValueError(f"level must be <= 9, got {level}")
    pattern = bytes(range(256)) * (size // 256 + 1)
    return len(zlib.compress(pattern[:size], level))


def wait(seconds: float) -> float:
    """Sleep for ``seconds`` and return it: a task that waits and uses no CPU.

    ``time.sleep`` releases the GIL, as does waiting on a socket or a file.

    Raises:
        TypeError: if ``seconds`` is not a real number.
        ValueError: if ``seconds`` is negative.
    """
    check_real("seconds", seconds, minimum=0.0)
    time.sleep(seconds)
    return seconds
