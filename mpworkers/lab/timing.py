"""Measuring in alternation, and the CPU time a measurement took.

The measuring half of :mod:`mpworkers.lab.claims`, which judges what is
measured here:

* :func:`alternate` times the things compared in turns (A, B, B, A, A, B,
  ...) and returns their :class:`Timings`, whose :meth:`Timings.ratio` is the
  median of the per-round ratios. A machine whose speed drifts by 30% within
  seconds slows A and B alike in each round, so that median does not move.
* :func:`cpu_use` counts the CPU time this process tree and every other
  program took while a measurement ran.
* :func:`parallel_capacity` measures how many CPUs' worth of GIL-free work a
  few threads get right now, whatever the CPU counts say.

Each is also reachable as ``claims.alternate``, ``claims.cpu_use``, ... (the
name the chapters use).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import math
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from mpworkers._validate import check_int, check_real, check_str

__all__ = [
    "TICK",
    "CpuUse",
    "Timings",
    "alternate",
    "cpu_use",
    "parallel_capacity",
]

MIB = 1 << 20

TICK = 0.01
"""The resolution of the CPU times the operating system reports (in seconds)."""


# --- CPU time: ours and everybody else's ----------------------------------


def _machine_busy() -> float | None:
    """Busy CPU seconds of the whole machine so far, steal time included."""
    import psutil  # here, not at the top: subinterpreters cannot import it (chapter 13)

    try:
        times = psutil.cpu_times()
    except (psutil.Error, OSError):  # no access: unknown
        return None
    # idle and iowait are the only times no program ran; guest time is
    # already counted in user and nice; steal is time the hypervisor gave to
    # another machine, which disturbs a measurement just as much.
    busy = sum(times) - times.idle - getattr(times, "iowait", 0.0)
    busy -= getattr(times, "guest", 0.0) + getattr(times, "guest_nice", 0.0)
    return float(busy)


def _tree_cpu() -> float | None:
    """CPU seconds used by this process and all its descendants so far.

    A descendant that has exited and been reaped is counted in its parent's
    ``children_user``/``children_system``; live ones are read one by one.
    """
    import psutil  # here, not at the top: subinterpreters cannot import it (chapter 13)

    try:
        me = psutil.Process()
        total = float(sum(me.cpu_times()[:4]))
        for child in me.children(recursive=True):
            try:
                total += sum(child.cpu_times()[:4])
            except psutil.Error:
                continue  # it ended meanwhile
    except (psutil.Error, OSError):  # no access: unknown
        return None
    return total


class CpuUse:
    """Wall time, this process tree's CPU time, and other programs' CPU time.

    Use it as a context manager around a measurement::

        with cpu_use() as use:
            run_the_pool()
        use.own_cpus     # average CPUs used by this process and its children
        use.others_cpus  # average CPUs used by every other program meanwhile

    CPU times come from :mod:`psutil` in ticks of about 10 ms; both CPU
    figures are ``nan`` where they cannot be read.
    """

    def __init__(self) -> None:
        self.wall = math.nan
        self.own = math.nan
        self.others = math.nan
        self._start: tuple[float, float | None, float | None] | None = None

    def __enter__(self) -> CpuUse:
        self._start = (time.perf_counter(), _machine_busy(), _tree_cpu())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        end = (time.perf_counter(), _machine_busy(), _tree_cpu())
        assert self._start is not None, "CpuUse exited without being entered"
        self.wall = end[0] - self._start[0]
        if self._start[2] is not None and end[2] is not None:
            self.own = max(0.0, end[2] - self._start[2])
        if self._start[1] is not None and end[1] is not None and not math.isnan(self.own):
            self.others = max(0.0, (end[1] - self._start[1]) - self.own)

    @property
    def own_cpus(self) -> float:
        """Average number of CPUs this process and its descendants kept busy."""
        return self.own / self.wall if self.wall > 0 else math.nan

    @property
    def others_cpus(self) -> float:
        """Average number of CPUs that other programs (and the hypervisor) took."""
        return self.others / self.wall if self.wall > 0 else math.nan


def cpu_use() -> CpuUse:
    """Return a :class:`CpuUse` to use in a ``with`` block."""
    return CpuUse()


# --- measuring in alternation ---------------------------------------------


@dataclass(frozen=True)
class Timings:
    """Wall times of several callables measured in alternation, round by round."""

    times: dict[str, tuple[float, ...]]
    """Seconds per round, for each name."""
    results: dict[str, Any] = field(default_factory=dict)
    """What each callable returned in the last round (to check the answers agree)."""

    @property
    def rounds(self) -> int:
        """How many rounds were measured."""
        return len(next(iter(self.times.values())))

    def median(self, name: str) -> float:
        """Median seconds of ``name``."""
        return statistics.median(self._get(name))

    def best(self, name: str) -> float:
        """Shortest seconds of ``name``: its least disturbed round."""
        return min(self._get(name))

    def ratios(self, slow: str, fast: str) -> tuple[float, ...]:
        """``slow``'s time divided by ``fast``'s, round by round."""
        return tuple(s / f for s, f in zip(self._get(slow), self._get(fast), strict=True))

    def ratio(self, slow: str, fast: str) -> float:
        """Median over rounds of ``slow``'s time divided by ``fast``'s.

        With ``slow`` a loop and ``fast`` a pool, this is the pool's speed-up.
        Comparing within each round cancels a drift of the machine's speed.
        """
        return statistics.median(self.ratios(slow, fast))

    def _get(self, name: str) -> tuple[float, ...]:
        if name not in self.times:
            raise KeyError(f"no timings named {name!r}; measured: {', '.join(self.times)}")
        return self.times[name]


def alternate(tasks: Mapping[str, Callable[[], Any]], *, rounds: int = 5) -> Timings:
    """Time each callable once per round, alternating the order, for ``rounds`` rounds.

    Round 1 runs the callables in the given order, round 2 in reverse, and
    so on (A B, B A, A B, ...), so that neither always runs first or last.

    >>> t = alternate({"short": lambda: sum(range(10)), "long": lambda: sum(range(10**5))})
    >>> t.ratio("long", "short") > 1
    True

    Raises:
        TypeError: if ``tasks`` is not a mapping of names to callables.
        ValueError: if it has fewer than one entry, or ``rounds`` < 1.
    """
    if not isinstance(tasks, Mapping):
        raise TypeError(f"tasks must be a mapping of names to callables, got {tasks!r}")
    if not tasks:
        raise ValueError("tasks must name at least one callable")
    for name, task in tasks.items():
        check_str("task name", name)
        if not callable(task):
            raise TypeError(f"tasks[{name!r}] must be callable, got {type(task).__name__}")
    check_int("rounds", rounds, minimum=1)
    names = list(tasks)
    times: dict[str, list[float]] = {name: [] for name in names}
    results: dict[str, Any] = {}
    for index in range(rounds):
        for name in names if index % 2 == 0 else reversed(names):
            start = time.perf_counter()
            results[name] = tasks[name]()
            times[name].append(time.perf_counter() - start)
    return Timings({name: tuple(values) for name, values in times.items()}, results)


def _hash_repeatedly(data: bytes, times: int) -> None:
    """SHA-256 of ``data``, ``times`` times over: work that releases the GIL."""
    # not workloads.hash_bytes, which allocates a fresh buffer on every call:
    # the probe times the hashing alone, on one buffer made beforehand
    for _ in range(times):
        hashlib.sha256(data).digest()


def parallel_capacity(threads: int, *, seconds: float = 0.02, rounds: int = 3) -> float:
    """How many CPUs' worth of work ``threads`` threads get right now.

    Work that releases the GIL (``hashlib`` on 1 MiB buffers), about
    ``seconds`` per thread, is timed in one thread and spread over
    ``threads`` threads, in alternation (:func:`alternate`); the result is the
    median speed-up. On an idle machine with that many CPUs it is close to
    ``threads``; on a virtual machine whose host withholds cores, or under a
    quota, it is lower, whatever the CPU counts say.

    >>> 0 < parallel_capacity(1) < 2
    True

    Raises:
        TypeError: if ``threads`` or ``rounds`` is not an int, or ``seconds``
            not a number.
        ValueError: if ``threads`` or ``rounds`` < 1, or ``seconds`` <= 0.
    """
    check_int("threads", threads, minimum=1)
    check_int("rounds", rounds, minimum=1)
    if check_real("seconds", seconds) <= 0:
        raise ValueError(f"seconds must be > 0, got {seconds!r}")
    data = bytes(MIB)
    start = time.perf_counter()
    _hash_repeatedly(data, 1)
    each = max(1, round(seconds / max(time.perf_counter() - start, 1e-6)))
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(_hash_repeatedly, [data] * threads, [1] * threads))  # every thread started

        def spread() -> None:
            list(pool.map(_hash_repeatedly, [data] * threads, [each] * threads))

        timings = alternate({"one": lambda: _hash_repeatedly(data, each * threads),
                             "spread": spread}, rounds=rounds)
    return timings.ratio("one", "spread")
