"""Timing claims that cannot lie and cannot flake.

A chapter that says "a pool is at least 1.3x faster than a loop here" must
show it on the reader's machine, which may have one CPU, a CPU quota, or
other programs running. Three rules make such a claim trustworthy, and this
module is the one place that applies them:

1. **Measure in alternation.** :func:`alternate` times the things compared
   in turns (A, B, B, A, A, B, ...) and compares them round by round. A
   machine whose speed drifts by 30% within seconds slows A and B alike in
   each round, so the median of the per-round ratios does not move.
2. **Claim only what the CPUs allow.** A claim says how many CPUs it needs.
   On a process with fewer (see :func:`mpworkers.lab.cpus.effective_cpus`, which
   also reads CPU quotas) the cell still measures and prints what it found,
   with the verdict *not shown here* instead of a false alarm.
3. **Tell a false claim from a busy machine.** :func:`cpu_use` counts the CPU
   time other programs took while a measurement ran. A claim that is not
   met while the machine was busy is *inconclusive*, not false; :func:`check`
   measures again (up to ``tries`` times) before it gives a verdict. A
   virtual machine can also withhold CPUs without any program of its own
   taking them (its host runs other machines' work on the same cores): after
   a try that misses a claim needing several CPUs, :func:`parallel_capacity`
   measures how many CPUs' worth this process gets right then, and a try
   that got less than :data:`CAPACITY_SHARE` of them counts as disturbed too.

:func:`check` prints one line per claim, starting with its verdict in
brackets, and never raises for a reader. The course's tests set the
environment variable ``MPWORKERS_CLAIMS=strict``: then a claim that is not
met on a quiet machine with the CPUs it needs raises :class:`ClaimNotMet`,
and the notebook fails.
"""

from __future__ import annotations

import concurrent.futures
import enum
import hashlib
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, TypeVar

from mpworkers._validate import check_int, check_real, check_str
from mpworkers.lab.cpus import CpuBudget, effective_cpus

__all__ = [
    "BUSY_CPUS",
    "CAPACITY_SHARE",
    "ClaimNotMet",
    "CpuUse",
    "Outcome",
    "Timings",
    "Verdict",
    "alternate",
    "check",
    "cpu_use",
    "faster",
    "parallel_capacity",
    "strict",
]

T = TypeVar("T")

STRICT_VARIABLE = "MPWORKERS_CLAIMS"
LOG_VARIABLE = "MPWORKERS_CLAIMS_LOG"
SOURCE_VARIABLE = "MPWORKERS_CLAIMS_SOURCE"

BUSY_CPUS = 0.25
"""Other programs' average CPU use, beyond the CPUs this process cannot use
anyway, above which a measurement counts as disturbed."""

CAPACITY_SHARE = 0.75
"""The share of the CPUs a claim needs that :func:`parallel_capacity` must find
after a try that missed the claim; with less, the try counts as disturbed."""

MIB = 1 << 20

TICK = 0.01
"""The resolution of the CPU times the operating system reports (in seconds)."""


def strict() -> bool:
    """Return ``True`` when ``MPWORKERS_CLAIMS=strict``: unmet claims then raise."""
    return os.environ.get(STRICT_VARIABLE, "").strip().lower() == "strict"


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


# --- claims ---------------------------------------------------------------


class Verdict(enum.Enum):
    """What a claim's measurement showed."""

    HOLDS = "holds"
    NOT_SHOWN = "not shown here"
    """The process has fewer CPUs, or an older Python, than the claim needs."""
    INCONCLUSIVE = "inconclusive"
    """Not met, but other programs took CPU time during every try."""
    NOT_MET = "not met"
    """Not met on a machine that was quiet during at least one try."""


class ClaimNotMet(Exception):
    """Raised by :func:`check` in strict mode for a claim not met on a quiet machine."""


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """The verdict of one claim, with what was measured."""

    statement: str
    verdict: Verdict
    value: float
    """The figure the claim is about (of the try that decided)."""
    evidence: T
    """What ``measure`` returned in the try that decided (timings, a trace, ...)."""
    text: str
    """The figure formatted as printed, e.g. ``'1.78x'``."""
    cpus: CpuBudget
    needs_cpus: int
    others_cpus: tuple[float, ...]
    """Other programs' average CPU use during each try."""
    disturbed: tuple[bool, ...] = ()
    """Whether other programs took CPU time this process could have used, or the
    machine delivered too little parallel capacity, per try."""
    capacity: tuple[float, ...] = ()
    """:func:`parallel_capacity` right after each try (NaN where not measured:
    the try held, or the claim needs one CPU)."""
    missing: str = ""
    """Why the claim is not shown here, when it is not."""
    values: tuple[float, ...] = ()
    """The figure of each try, in order (the last one decided)."""
    _fmt: str = "{:.2f}x"

    def __repr__(self) -> str:
        return f"<Outcome: {self.verdict.value}, measured {self.text}>"

    @property
    def holds(self) -> bool:
        """``True`` when the claim was shown to hold."""
        return self.verdict is Verdict.HOLDS

    def line(self) -> str:
        """The line :func:`check` prints: ``[verdict] statement: measured figure``.

        After several tries it ends with how many, and the range of their
        figures: ``... measured 1.31x (3 tries: 1.05x to 1.31x)``.
        """
        line = f"[{self._verdict_text()}] {self.statement}: measured {self.text}"
        if len(self.values) > 1:
            low, high = (self._fmt.format(v) for v in (min(self.values), max(self.values)))
            line += f" ({len(self.values)} tries: {low} to {high})"
        return line

    def _verdict_text(self) -> str:
        if self.verdict is Verdict.NOT_SHOWN:
            return f"not shown here: {self.missing}"
        if self.verdict is Verdict.INCONCLUSIVE:
            measured = [c for c in self.capacity if not math.isnan(c)]
            if measured and min(measured) < CAPACITY_SHARE * self.needs_cpus:
                return (f"inconclusive: the machine gave this program {max(measured):.1f} "
                        f"of {self.needs_cpus} CPUs' worth meanwhile")
            busiest = max(self.others_cpus)
            return f"inconclusive: other programs used {busiest:.1f} CPUs meanwhile"
        return str(self.verdict.value)


def _disturbed(use: CpuUse, cpus: CpuBudget) -> bool:
    """Whether other programs used CPUs this process could have used.

    CPU times come in ticks: each of the machine's CPUs and each process may
    be off by one, so that much is forgiven on top of the threshold.
    """
    if math.isnan(use.others) or not use.wall > 0:
        return False  # unknown: judge the claim on its figure
    spare = max(0, cpus.visible - cpus.count)
    allowance = TICK * (cpus.visible + 2)
    return use.others - allowance > (spare + BUSY_CPUS) * use.wall


def _log(outcome: Outcome[Any]) -> None:
    path = os.environ.get(LOG_VARIABLE)
    if not path:
        return
    record = {
        "source": os.environ.get(SOURCE_VARIABLE, ""),
        "statement": outcome.statement,
        "verdict": outcome.verdict.value,
        "value": outcome.value,
        "needs_cpus": outcome.needs_cpus,
        "cpus": outcome.cpus.count,
        "limited_by": outcome.cpus.limited_by,
        "others_cpus": [round(x, 3) for x in outcome.others_cpus],
        "capacity": [None if math.isnan(x) else round(x, 3) for x in outcome.capacity],
        "tries": len(outcome.others_cpus),
    }
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
    except OSError:
        pass  # a report that cannot be written must not break the notebook


def _hash_rounds(data: bytes, rounds: int) -> None:
    # not workloads.hash_bytes, which allocates a fresh buffer on every call:
    # the probe times the hashing alone, on one buffer made beforehand
    for _ in range(rounds):
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
    _hash_rounds(data, 1)
    each = max(1, round(seconds / max(time.perf_counter() - start, 1e-6)))
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(_hash_rounds, [data] * threads, [1] * threads))  # every thread started

        def spread() -> None:
            list(pool.map(_hash_rounds, [data] * threads, [each] * threads))

        timings = alternate({"one": lambda: _hash_rounds(data, each * threads),
                             "spread": spread}, rounds=rounds)
    return timings.ratio("one", "spread")


def check(
    statement: str,
    measure: Callable[[], T],
    *,
    figure: Callable[[T], float] | None = None,
    at_least: float | None = None,
    at_most: float | None = None,
    needs_cpus: int = 1,
    needs_python: tuple[int, int] | None = None,
    tries: int = 3,
    fmt: str = "{:.2f}x",
) -> Outcome[T]:
    """Measure, judge and print one claim; return its :class:`Outcome`.

    ``measure()`` runs the measurement (typically :func:`alternate`) and
    ``figure`` turns what it returned into the number the claim is about
    (without ``figure``, ``measure`` must return that number). The claim
    holds when the figure is at least ``at_least`` and at most ``at_most``.

    The verdict:

    * an older Python than ``needs_python`` (e.g. ``(3, 14)`` for an API that
      3.14 added): not measured at all, *not shown here*, figure ``n/a``;
    * fewer effective CPUs than ``needs_cpus``: measured once, *not shown here*;
    * otherwise measured up to ``tries`` times, until it holds: *holds*;
    * not met, and during every try other programs took CPU time, or (for a
      claim needing several CPUs) :func:`parallel_capacity` found less than
      :data:`CAPACITY_SHARE` of them right after it: *inconclusive*;
    * not met during a quiet try: *not met*; in strict mode (``MPWORKERS_CLAIMS=strict``,
      set by the course's tests) :class:`ClaimNotMet` is raised.

    It prints ``[verdict] statement: measured figure`` with the figure
    formatted by ``fmt`` (``"{:.2f}x"`` gives ``1.78x``).

    Raises:
        TypeError: for arguments of the wrong type.
        ValueError: without any bound, with ``at_least > at_most``, or
            ``needs_cpus`` or ``tries`` below 1, or ``needs_python`` not a
            ``(major, minor)`` pair.
        ClaimNotMet: in strict mode, for a claim not met on a quiet machine.
    """
    check_str("statement", statement)
    if not statement.strip():
        raise ValueError("statement must not be empty")
    if not callable(measure):
        raise TypeError(f"measure must be callable, got {type(measure).__name__}")
    if figure is not None and not callable(figure):
        raise TypeError(f"figure must be callable or None, got {type(figure).__name__}")
    bounds = {"at_least": at_least, "at_most": at_most}
    for name, bound in bounds.items():
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, (int, float))):
            raise TypeError(f"{name} must be a number or None, got {bound!r}")
    if at_least is None and at_most is None:
        raise ValueError("a claim needs at_least, at_most or both")
    if at_least is not None and at_most is not None and at_least > at_most:
        raise ValueError(f"at_least ({at_least}) is above at_most ({at_most})")
    check_int("needs_cpus", needs_cpus, minimum=1)
    check_int("tries", tries, minimum=1)
    if needs_python is not None and (
        not isinstance(needs_python, tuple) or len(needs_python) != 2
        or not all(isinstance(x, int) and not isinstance(x, bool) for x in needs_python)
    ):
        raise ValueError(f"needs_python must be a (major, minor) pair, got {needs_python!r}")
    check_str("fmt", fmt)
    fmt.format(1.0)  # a bad format fails here, not after the measurement
    if fmt.endswith("x") and at_least is not None and at_least <= 1:
        raise ValueError(f"at_least={at_least} for a ratio: equal timings would pass the "
                         "claim; a claim must be able to fail, so ask for more than 1")

    cpus = effective_cpus()
    enough = cpus.count >= needs_cpus
    missing = "" if enough else (
        f"needs {needs_cpus} CPUs, this process has {cpus.count} ({cpus.limited_by})"
    )
    runs = tries if enough else 1
    if needs_python is not None and sys.version_info[:2] < needs_python:
        enough, runs = False, 0
        missing = (f"needs Python {needs_python[0]}.{needs_python[1]}, "
                   f"this is {sys.version_info[0]}.{sys.version_info[1]}")
    others: list[float] = []
    values: list[float] = []
    disturbed: list[bool] = []
    capacity: list[float] = []
    verdict = Verdict.NOT_MET if runs else Verdict.NOT_SHOWN
    value, evidence = math.nan, None
    for _ in range(runs):
        with cpu_use() as use:
            evidence = measure()
        value = float(figure(evidence) if figure is not None else evidence)  # type: ignore[arg-type]
        values.append(value)
        others.append(use.others_cpus)
        disturbed.append(_disturbed(use, cpus))
        holds = (at_least is None or value >= at_least) and (at_most is None or value <= at_most)
        capacity.append(math.nan)
        if not enough:
            verdict = Verdict.NOT_SHOWN
            break
        if holds:
            verdict = Verdict.HOLDS
            break
        if needs_cpus > 1 and not disturbed[-1]:
            capacity[-1] = parallel_capacity(needs_cpus)
            disturbed[-1] = capacity[-1] < CAPACITY_SHARE * needs_cpus
    if verdict is Verdict.NOT_MET and all(disturbed):
        verdict = Verdict.INCONCLUSIVE
    outcome: Outcome[T] = Outcome(
        statement=statement,
        verdict=verdict,
        value=value,
        evidence=evidence,  # type: ignore[arg-type]
        text="n/a" if math.isnan(value) else fmt.format(value),
        cpus=cpus,
        needs_cpus=needs_cpus,
        others_cpus=tuple(others),
        disturbed=tuple(disturbed),
        capacity=tuple(capacity),
        missing=missing,
        values=tuple(values),
        _fmt=fmt,
    )
    _log(outcome)
    print(outcome.line())
    if verdict is Verdict.NOT_MET and strict():
        tried = ", ".join(f"{x:.2f}" for x in others)
        capacities = ", ".join("-" if math.isnan(x) else f"{x:.2f}" for x in capacity)
        raise ClaimNotMet(
            f"{outcome.line()}\n  {len(others)} tries; other programs' CPU use during each: "
            f"{tried}; CPUs' worth measured after each: {capacities}; {cpus.describe()}"
        )
    return outcome


def faster(
    tasks: Mapping[str, Callable[[], Any]],
    winner: str,
    *,
    than: str,
    by: float,
    cpus: int = 1,
    rounds: int = 5,
    claim: str | None = None,
    needs_python: tuple[int, int] | None = None,
    tries: int = 3,
    fmt: str = "{:.2f}x",
) -> Timings:
    """Claim that ``winner`` runs at least ``by`` times faster than ``than``.

    The front door for the course's most common claim. It times every
    callable of ``tasks`` in alternation for ``rounds`` rounds
    (:func:`alternate`), judges the median of the per-round ratios
    ``than / winner`` through :func:`check` (with ``needs_cpus=cpus``), prints
    the verdict line, and returns the :class:`Timings` of the try that
    decided, so that whatever the chapter prints next comes from the same
    measurement as the verdict:

    >>> import time
    >>> t = faster({"sleep": lambda: time.sleep(0.002), "pass": lambda: None},
    ...            "pass", than="sleep", by=2)  # doctest: +ELLIPSIS
    [holds] pass is at least 2x faster than sleep: measured ...x
    >>> t.ratio("sleep", "pass") >= 2
    True

    ``claim`` replaces the printed statement (by default ``"WINNER is at least
    BYx faster than THAN"``, with ``", given N CPUs"`` when ``cpus`` > 1).
    Where the Python is older than ``needs_python``, nothing is measured and
    the :class:`Timings` returned has no rounds.

    Raises:
        TypeError, ValueError: as :func:`alternate` and :func:`check` do, and
            ValueError when ``winner`` or ``than`` is not a name in ``tasks``,
            when they are the same, or when ``by`` is not above 1.
        ClaimNotMet: in strict mode, as :func:`check`.
    """
    if not isinstance(tasks, Mapping):
        raise TypeError(f"tasks must be a mapping of names to callables, got {tasks!r}")
    for role, name in (("winner", winner), ("than", than)):
        check_str(role, name)
        if name not in tasks:
            raise ValueError(f"{role} {name!r} is not one of the tasks: {', '.join(tasks)}")
    if winner == than:
        raise ValueError(f"winner and than are both {winner!r}: a claim compares two tasks")
    if check_real("by", by) <= 1:
        raise ValueError(f"by must be above 1 (equal timings must fail the claim), got {by!r}")
    check_int("rounds", rounds, minimum=1)
    statement = claim if claim is not None else (
        f"{winner} is at least {by:g}x faster than {than}"
        + (f", given {cpus} CPUs" if cpus > 1 else ""))
    outcome = check(
        statement,
        lambda: alternate(tasks, rounds=rounds),
        figure=lambda t: t.ratio(than, winner),
        at_least=by,
        needs_cpus=cpus,
        needs_python=needs_python,
        tries=tries,
        fmt=fmt,
    )
    if outcome.evidence is None:  # not measured: the Python is too old
        return Timings({name: () for name in tasks})
    return outcome.evidence
