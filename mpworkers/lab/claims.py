"""Timing claims that cannot lie and cannot flake.

A chapter that says "a pool is at least 1.3x faster than a loop here" must
show it on the reader's machine, which may have one CPU, a CPU quota, or
other programs running. Three rules make such a claim trustworthy, and this
module is the one place that applies them (what it measures with lives in
:mod:`mpworkers.lab.timing`, and is reachable from here too:
``claims.alternate``, ``claims.Timings``, ``claims.cpu_use``):

1. **Measure in alternation.** :func:`~mpworkers.lab.timing.alternate` times
   the things compared in turns (A, B, B, A, A, B, ...) and compares them
   round by round. A machine whose speed drifts by 30% within seconds slows
   A and B alike in each round, so the median of the per-round ratios does
   not move.
2. **Claim only what the CPUs allow.** A claim says how many CPUs it needs.
   On a process with fewer (see :func:`mpworkers.lab.cpus.effective_cpus`, which
   also reads CPU quotas) the cell still measures and prints what it found,
   with the verdict *not shown here* instead of a false alarm.
3. **Tell a false claim from a busy machine.** :func:`~mpworkers.lab.timing.cpu_use`
   counts the CPU time other programs took while a measurement ran. A claim
   that is not met while the machine was busy is *inconclusive*, not false;
   :func:`check` measures again (up to ``tries`` times) before it gives a
   verdict. A virtual machine can also withhold CPUs without any program of
   its own taking them (its host runs other machines' work on the same
   cores): after a try that misses a claim needing several CPUs,
   :func:`~mpworkers.lab.timing.parallel_capacity` measures how many CPUs'
   worth this process gets right then, and a try that got less than
   :data:`CAPACITY_SHARE` of them counts as disturbed too. So does a try
   whose usable CPUs are fewer physical cores than the claim needs (SMT
   siblings, see :func:`mpworkers.lab.cpus.cpu_cores`): two hardware threads
   of one core do not run two cores' worth of work.

:func:`check` prints one line per claim, starting with its verdict in
brackets, and never raises for a reader. The course's tests set the
environment variable ``MPWORKERS_CLAIMS=strict``: then a claim that is not
met on a quiet machine with the CPUs it needs raises :class:`ClaimNotMet`,
and the notebook fails.
"""

from __future__ import annotations

import enum
import json
import math
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from mpworkers._validate import check_int, check_real, check_str
from mpworkers.lab.cpus import CpuBudget, cpu_cores, effective_cpus

# measured in mpworkers.lab.timing, and reachable from here as the chapters name them
from mpworkers.lab.timing import TICK as TICK
from mpworkers.lab.timing import CpuUse as CpuUse
from mpworkers.lab.timing import Timings as Timings
from mpworkers.lab.timing import alternate as alternate
from mpworkers.lab.timing import cpu_use as cpu_use
from mpworkers.lab.timing import parallel_capacity as parallel_capacity

__all__ = [
    "BUSY_CPUS",
    "CAPACITY_SHARE",
    "ClaimNotMet",
    "Outcome",
    "Verdict",
    "check",
    "faster",
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
"""The share of the CPUs a claim needs that
:func:`~mpworkers.lab.timing.parallel_capacity` must find after a try that
missed the claim; with less, the try counts as disturbed."""


def strict() -> bool:
    """Return ``True`` when ``MPWORKERS_CLAIMS=strict``: unmet claims then raise."""
    return os.environ.get(STRICT_VARIABLE, "").strip().lower() == "strict"


# --- claims ---------------------------------------------------------------


class Verdict(enum.Enum):
    """What a claim's measurement showed."""

    HOLDS = "holds"
    NOT_SHOWN = "not shown here"
    """The process has fewer CPUs, or an older Python, than the claim needs."""
    INCONCLUSIVE = "inconclusive"
    """Not met, but during every try other programs took CPU time, or the CPUs
    fell short of what the claim needs (too little capacity, too few cores)."""
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
    """:func:`~mpworkers.lab.timing.parallel_capacity` right after each try (NaN
    where not measured: the try held, the claim needs one CPU, or the cores fell
    short)."""
    missing: str = ""
    """Why the claim is not shown here, when it is not."""
    values: tuple[float, ...] = ()
    """The figure of each try, in order (the last one decided)."""
    cores: str = ""
    """How the usable CPUs fall short as physical cores, e.g. ``'2 usable CPUs are
    1 physical core'``, when a try missed a claim needing more cores than that."""
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
            if self.cores:
                return f"inconclusive: {self.cores}"
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
        "cores": outcome.cores,
    }
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
    except OSError:
        pass  # a report that cannot be written must not break the notebook


def _check_arguments(
    statement: str,
    measure: Callable[[], Any],
    figure: Callable[[Any], float] | None,
    at_least: float | None,
    at_most: float | None,
    needs_cpus: int,
    needs_python: tuple[int, int] | None,
    tries: int,
    fmt: str,
) -> None:
    """Raise the ``TypeError`` or ``ValueError`` that :func:`check` documents."""
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


def _what_is_missing(
    cpus: CpuBudget, needs_cpus: int, needs_python: tuple[int, int] | None
) -> str:
    """Why the claim cannot be shown here (too few CPUs, too old a Python), or ``''``."""
    if needs_python is not None and sys.version_info[:2] < needs_python:
        return (f"needs Python {needs_python[0]}.{needs_python[1]}, "
                f"this is {sys.version_info[0]}.{sys.version_info[1]}")
    if cpus.count < needs_cpus:
        return f"needs {needs_cpus} CPUs, this process has {cpus.count} ({cpus.limited_by})"
    return ""


@dataclass
class _Tries:
    """What :func:`check` measured, try by try."""

    cpus: CpuBudget
    needs_cpus: int
    values: list[float] = field(default_factory=list)
    others: list[float] = field(default_factory=list)
    disturbed: list[bool] = field(default_factory=list)
    capacity: list[float] = field(default_factory=list)
    cores: str = ""
    evidence: Any = None

    def measure(self, measure: Callable[[], Any], figure: Callable[[Any], float] | None) -> float:
        """Run ``measure`` once, watching the CPUs; return its figure."""
        with cpu_use() as use:
            self.evidence = measure()
        value = float(figure(self.evidence) if figure is not None else self.evidence)
        self.values.append(value)
        self.others.append(use.others_cpus)
        self.disturbed.append(_disturbed(use, self.cpus))
        self.capacity.append(math.nan)
        return value

    def missed(self) -> None:
        """After a try that missed a claim needing several CPUs: did the CPUs fall short?

        Usable CPUs that are fewer physical cores than the claim needs (SMT
        siblings) cannot do what the claim says, whatever the load; otherwise
        :func:`~mpworkers.lab.timing.parallel_capacity` measures what the
        machine delivers right now (unless the try was disturbed already).
        """
        if self.needs_cpus < 2:
            return
        cores = cpu_cores()
        if cores.count is not None and cores.count < self.needs_cpus:
            self.cores = cores.describe()
            self.disturbed[-1] = True
        elif not self.disturbed[-1]:
            self.capacity[-1] = parallel_capacity(self.needs_cpus)
            self.disturbed[-1] = self.capacity[-1] < CAPACITY_SHARE * self.needs_cpus

    def outcome(self, statement: str, verdict: Verdict, missing: str, fmt: str) -> Outcome[Any]:
        """The :class:`Outcome` of the tries, with ``verdict``."""
        value = self.values[-1] if self.values else math.nan
        return Outcome(
            statement=statement,
            verdict=verdict,
            value=value,
            evidence=self.evidence,
            text="n/a" if math.isnan(value) else fmt.format(value),
            cpus=self.cpus,
            needs_cpus=self.needs_cpus,
            others_cpus=tuple(self.others),
            disturbed=tuple(self.disturbed),
            capacity=tuple(self.capacity),
            missing=missing,
            values=tuple(self.values),
            cores=self.cores,
            _fmt=fmt,
        )


def _not_met(outcome: Outcome[Any]) -> ClaimNotMet:
    """The error strict mode raises, with what each try saw."""
    tried = ", ".join(f"{x:.2f}" for x in outcome.others_cpus)
    capacities = ", ".join("-" if math.isnan(x) else f"{x:.2f}" for x in outcome.capacity)
    return ClaimNotMet(
        f"{outcome.line()}\n  {len(outcome.others_cpus)} tries; other programs' CPU use "
        f"during each: {tried}; CPUs' worth measured after each: {capacities}; "
        f"{outcome.cpus.describe()}"
    )


# Over 60 lines only for its docstring, which states every verdict; the code is 24 lines.
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

    ``measure()`` runs the measurement (typically
    :func:`~mpworkers.lab.timing.alternate`) and ``figure`` turns what it
    returned into the number the claim is about (without ``figure``,
    ``measure`` must return that number). The claim holds when the figure is
    at least ``at_least`` and at most ``at_most``.

    The verdict:

    * an older Python than ``needs_python`` (e.g. ``(3, 14)`` for an API that
      3.14 added): not measured at all, *not shown here*, figure ``n/a``;
    * fewer effective CPUs than ``needs_cpus``: measured once, *not shown here*;
    * otherwise measured up to ``tries`` times, until it holds: *holds*;
    * not met, and during every try other programs took CPU time, or (for a
      claim needing several CPUs) the usable CPUs are fewer physical cores
      than it needs (:func:`mpworkers.lab.cpus.cpu_cores`), or
      :func:`~mpworkers.lab.timing.parallel_capacity` found less than
      :data:`CAPACITY_SHARE` of them right after the try: *inconclusive*;
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
    _check_arguments(statement, measure, figure, at_least, at_most, needs_cpus,
                     needs_python, tries, fmt)
    cpus = effective_cpus()
    missing = _what_is_missing(cpus, needs_cpus, needs_python)
    too_old = needs_python is not None and sys.version_info[:2] < needs_python
    runs = 0 if too_old else 1 if missing else tries
    done = _Tries(cpus, needs_cpus)
    verdict = Verdict.NOT_SHOWN if missing else Verdict.NOT_MET
    for _ in range(runs):
        value = done.measure(measure, figure)
        if missing:
            break
        if (at_least is None or value >= at_least) and (at_most is None or value <= at_most):
            verdict = Verdict.HOLDS
            break
        done.missed()
    if verdict is Verdict.NOT_MET and all(done.disturbed):
        verdict = Verdict.INCONCLUSIVE
    outcome: Outcome[T] = done.outcome(statement, verdict, missing, fmt)
    _log(outcome)
    print(outcome.line())
    if verdict is Verdict.NOT_MET and strict():
        raise _not_met(outcome)
    return outcome


# Over 60 lines only for its docstring, with its example; the code is 27 lines.
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
    (:func:`~mpworkers.lab.timing.alternate`), judges the median of the
    per-round ratios ``than / winner`` through :func:`check` (with
    ``needs_cpus=cpus``), prints the verdict line, and returns the
    :class:`~mpworkers.lab.timing.Timings` of the try that decided, so that
    whatever the chapter prints next comes from the same measurement as the
    verdict:

    >>> import time
    >>> t = faster({"sleep": lambda: time.sleep(0.002), "pass": lambda: None},
    ...            "pass", than="sleep", by=2)  # doctest: +ELLIPSIS
    [holds] pass is at least 2x faster than sleep: measured ...x
    >>> t.ratio("sleep", "pass") >= 2
    True

    ``claim`` replaces the printed statement (by default ``"WINNER is at least
    BYx faster than THAN"``, with ``", given N CPUs"`` when ``cpus`` > 1).
    Where the Python is older than ``needs_python``, nothing is measured and
    the :class:`~mpworkers.lab.timing.Timings` returned has no rounds.

    Raises:
        TypeError, ValueError: as :func:`~mpworkers.lab.timing.alternate` and
            :func:`check` do, and
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
