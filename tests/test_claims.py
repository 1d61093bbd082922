"""Unit tests for mpworkers.lab.claims: alternation, CPU accounting, verdicts, strict mode.

The verdict tests replace the machine (its CPUs and other programs' load)
with fakes, so that every verdict is reached deterministically.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import pathlib
import re
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mpworkers import spin
from mpworkers.lab import claims, timing
from mpworkers.lab.cpus import Cores, CpuBudget, cpu_cores, effective_cpus
from mpworkers.lab.scripts import run_script


def budget(count: int, visible: int | None = None) -> CpuBudget:
    visible = count if visible is None else visible
    limited_by = "visible CPUs" if count == visible else "CPU quota"
    return CpuBudget(count, visible, visible, None, None, limited_by)


class FakeUse:
    """Stands in for CpuUse: other programs' load comes from a list, one value per try."""

    def __init__(self, loads: Iterator[float]) -> None:
        self.loads = loads
        self.wall = 1.0
        self.others = self.others_cpus = math.nan

    def __enter__(self) -> FakeUse:
        self.others = self.others_cpus = next(self.loads)
        return self

    def __exit__(self, *exc: object) -> None:
        pass


# the machine fixture: machine(cpus, loads, visible=None)
Machine = Callable[..., None]


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch) -> Machine:
    """Set the fake machine: machine(cpus, loads, visible=None)."""

    def configure(count: int, loads: list[float], visible: int | None = None) -> None:
        it = iter(loads)
        monkeypatch.setattr(claims, "effective_cpus", lambda: budget(count, visible))
        monkeypatch.setattr(claims, "cpu_use", lambda: FakeUse(it))
        # the machine delivers every CPU it has, each a core of its own, unless a
        # test says otherwise
        monkeypatch.setattr(claims, "parallel_capacity", lambda threads: float(threads))
        monkeypatch.setattr(claims, "cpu_cores",
                            lambda: Cores(tuple(range(count)), count, smt=False))

    monkeypatch.delenv(claims.STRICT_VARIABLE, raising=False)
    monkeypatch.delenv(claims.LOG_VARIABLE, raising=False)
    return configure


class Measure:
    """A measure that returns the given figures in turn; calls lists those it returned."""

    def __init__(self, figures: tuple[float, ...]) -> None:
        self.figures = iter(figures)
        self.calls: list[float] = []

    def __call__(self) -> float:
        self.calls.append(next(self.figures))
        return self.calls[-1]


def values(*figures: float) -> Measure:
    return Measure(figures)


# --- alternate ------------------------------------------------------------------


def test_alternate_reverses_the_order_every_other_round() -> None:
    order: list[str] = []
    timings = claims.alternate(
        {"a": lambda: order.append("a"), "b": lambda: order.append("b"),
         "c": lambda: order.append("c")},
        rounds=3,
    )
    assert order == ["a", "b", "c", "c", "b", "a", "a", "b", "c"]
    assert timings.rounds == 3 and set(timings.times) == {"a", "b", "c"}


def test_alternate_keeps_results_and_compares_round_by_round() -> None:
    timings = claims.alternate({"small": lambda: spin(10), "big": lambda: spin(200_000)},
                               rounds=3)
    assert timings.results == {"small": spin(10), "big": spin(200_000)}
    assert len(timings.ratios("big", "small")) == 3
    assert timings.ratio("big", "small") > 1
    assert timings.best("big") <= timings.median("big")


def test_ratio_is_the_median_of_paired_ratios() -> None:
    timings = claims.Timings({"loop": (1.0, 2.0, 1.3), "pool": (0.5, 1.0, 1.3)})
    assert timings.ratios("loop", "pool") == (2.0, 2.0, 1.0)
    assert timings.ratio("loop", "pool") == 2.0  # a drift of 2x between rounds does not matter
    with pytest.raises(KeyError, match="measured: loop, pool"):
        timings.median("threads")


@pytest.mark.parametrize(
    "tasks, rounds, error",
    [([print], 1, TypeError), ({}, 1, ValueError), ({"a": 1}, 1, TypeError),
     ({1: print}, 1, TypeError), ({"a": print}, 0, ValueError), ({"a": print}, 1.5, TypeError)],
)
def test_alternate_validates(tasks: object, rounds: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        claims.alternate(tasks, rounds=rounds)  # type: ignore[arg-type]


# --- CPU accounting ---------------------------------------------------------------


def test_cpu_use_counts_this_process_and_its_children() -> None:
    with claims.cpu_use() as use:
        spin(300_000)
    assert use.wall > 0 and use.own >= 0 and use.others >= 0
    with claims.cpu_use() as in_child:
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            pool.apply(spin, (2_000_000,))
    # the child's work (it is reaped by the pool) is counted as this tree's
    assert in_child.own > 0.5 * use.own


def test_a_tick_of_other_programs_is_no_disturbance() -> None:
    use = claims.CpuUse()
    use.wall, use.others = 0.001, 0.01  # one tick during a millisecond: 10 CPUs on paper
    assert not claims._disturbed(use, budget(2))
    use.wall, use.others = 1.0, 0.5
    assert claims._disturbed(use, budget(2))
    assert not claims._disturbed(use, budget(1, visible=2))  # it used the CPU we cannot


def test_outcome_repr_is_short(machine: Machine) -> None:
    machine(2, [0.0])
    assert repr(claims.check("x", values(2.0), at_least=1.5)) == "<Outcome: holds, measured 2.00x>"


def test_cpu_use_outside_a_with_block_is_nan() -> None:
    use = claims.cpu_use()
    assert math.isnan(use.own_cpus) and math.isnan(use.others_cpus)


# --- verdicts -----------------------------------------------------------------------


def test_holds_on_the_first_try(machine: Machine, capsys: pytest.CaptureFixture[str]) -> None:
    machine(2, [0.0])
    measure = values(1.8)
    outcome = claims.check("the pool is faster", measure, at_least=1.3, needs_cpus=2)
    assert outcome.holds and outcome.value == 1.8 and measure.calls == [1.8]
    assert capsys.readouterr().out == "[holds] the pool is faster: measured 1.80x\n"


def test_tries_again_until_it_holds(machine: Machine) -> None:
    machine(2, [0.0, 0.0, 0.0])
    measure = values(1.1, 1.5, 9.9)
    outcome = claims.check("faster", measure, at_least=1.3)
    assert outcome.holds and measure.calls == [1.1, 1.5]
    assert outcome.others_cpus == (0.0, 0.0)


def test_not_shown_with_too_few_cpus(machine: Machine, capsys: pytest.CaptureFixture[str]) -> None:
    machine(1, [0.0], visible=4)
    outcome = claims.check("With 2 CPUs, faster", values(0.9), at_least=1.3, needs_cpus=2)
    assert outcome.verdict is claims.Verdict.NOT_SHOWN
    assert capsys.readouterr().out == (
        "[not shown here: needs 2 CPUs, this process has 1 (CPU quota)] "
        "With 2 CPUs, faster: measured 0.90x\n"
    )


def test_not_shown_never_raises_in_strict_mode(
    machine: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    machine(1, [0.0])
    monkeypatch.setenv(claims.STRICT_VARIABLE, "strict")
    assert claims.check("x", values(0.5), at_least=1.3, needs_cpus=2).verdict.value == (
        "not shown here")


def test_not_shown_on_an_older_python_without_measuring(
    machine: Machine, capsys: pytest.CaptureFixture[str]
) -> None:
    machine(2, [])
    measure = values()
    outcome = claims.check("interpreters are fast", measure, at_least=1.5, needs_python=(99, 0))
    assert outcome.verdict is claims.Verdict.NOT_SHOWN and measure.calls == []
    assert outcome.text == "n/a" and outcome.evidence is None
    out = capsys.readouterr().out
    assert out.startswith("[not shown here: needs Python 99.0, this is 3.")
    assert out.endswith("] interpreters are fast: measured n/a\n")
    machine(2, [0.0])
    assert claims.check("x", values(2.0), at_least=1.5, needs_python=(3, 10)).holds


def test_inconclusive_when_every_try_was_disturbed(
    machine: Machine, capsys: pytest.CaptureFixture[str]
) -> None:
    machine(2, [1.2, 0.9, 1.6])
    outcome = claims.check("faster", values(1.1, 1.0, 1.2), at_least=1.3)
    assert outcome.verdict is claims.Verdict.INCONCLUSIVE
    assert capsys.readouterr().out.startswith(
        "[inconclusive: other programs used 1.6 CPUs meanwhile] faster")


def starved(monkeypatch: pytest.MonkeyPatch, *found: float) -> list[int]:
    """Make parallel_capacity return found, one value per call; return its calls."""
    it, calls = iter(found), []

    def capacity(threads: int) -> float:
        calls.append(threads)
        return next(it)

    monkeypatch.setattr(claims, "parallel_capacity", capacity)
    return calls


def test_inconclusive_when_the_machine_withheld_cpus(
    machine: Machine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(claims.STRICT_VARIABLE, "strict")
    machine(2, [0.0, 0.0, 0.0])
    calls = starved(monkeypatch, 1.1, 1.2, 1.05)
    outcome = claims.check("faster", values(1.07, 1.0, 1.05), at_least=1.1, needs_cpus=2)
    assert outcome.verdict is claims.Verdict.INCONCLUSIVE and calls == [2, 2, 2]
    assert outcome.capacity == (1.1, 1.2, 1.05)
    assert capsys.readouterr().out == (
        "[inconclusive: the machine gave this program 1.2 of 2 CPUs' worth meanwhile] "
        "faster: measured 1.05x (3 tries: 1.00x to 1.07x)\n")


def test_not_met_when_the_machine_delivered_its_cpus(
    machine: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(claims.STRICT_VARIABLE, "strict")
    machine(2, [0.0, 0.0])
    starved(monkeypatch, 1.2, 1.9)
    with pytest.raises(claims.ClaimNotMet, match=r"CPUs' worth measured after each: 1.20, 1.90"):
        claims.check("faster", values(1.0, 1.0), at_least=1.1, needs_cpus=2, tries=2)


def test_capacity_measured_only_after_a_quiet_miss(
    machine: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # quiet for the first two claims' four tries; busy for the third claim's three
    machine(2, [0.0, 0.0, 0.0, 0.0, 1.5, 1.5, 1.5])
    calls = starved(monkeypatch)
    claims.check("one CPU", values(0.5, 0.5, 0.5), at_least=1.1)  # needs one CPU
    assert claims.check("holds", values(2.0), at_least=1.1, needs_cpus=2).holds
    outcome = claims.check("busy", values(0.5, 0.5, 0.5), at_least=1.1, needs_cpus=2)
    assert outcome.verdict is claims.Verdict.INCONCLUSIVE and calls == []
    assert all(math.isnan(c) for c in outcome.capacity)


def test_parallel_capacity_measures_something() -> None:
    # the figure itself depends on the machine's load: its computation is tested below
    assert claims.parallel_capacity(1, seconds=0.002) > 0


def test_parallel_capacity_is_the_median_speed_up_of_spreading(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # the figure is Timings.ratio("one", "spread") of the alternated rounds
    seen: dict[str, object] = {}

    def fake_alternate(tasks: dict[str, Callable[[], object]], *, rounds: int) -> claims.Timings:
        seen.update(names=sorted(tasks), rounds=rounds)
        return claims.Timings({"one": (2.0, 2.0, 2.0), "spread": (1.0, 1.25, 2.0)})

    monkeypatch.setattr(timing, "alternate", fake_alternate)
    assert claims.parallel_capacity(2, rounds=3) == 1.6
    assert seen == {"names": ["one", "spread"], "rounds": 3}


@pytest.mark.parametrize(
    "kwargs, error",
    [({"threads": 0}, ValueError), ({"threads": 1.5}, TypeError), ({"rounds": 0}, ValueError),
     ({"seconds": 0}, ValueError), ({"seconds": "1"}, TypeError)],
)
def test_parallel_capacity_validates(kwargs: dict[str, object], error: type[Exception]) -> None:
    arguments: dict[str, object] = {"threads": 2, **kwargs}
    with pytest.raises(error):
        claims.parallel_capacity(**arguments)  # type: ignore[arg-type]


def test_load_on_cpus_this_process_cannot_use_is_no_disturbance(machine: Machine) -> None:
    # 1 usable CPU of 4 visible: other programs may use the 3 others freely
    machine(1, [2.9, 2.9, 2.9], visible=4)
    outcome = claims.check("fast enough", values(0.5, 0.5, 0.5), at_least=1.1)
    assert outcome.verdict is claims.Verdict.NOT_MET


def test_not_met_when_one_try_was_quiet(
    machine: Machine, capsys: pytest.CaptureFixture[str]
) -> None:
    machine(2, [1.5, 0.0, 1.5])
    outcome = claims.check("faster", values(1.1, 1.0, 1.2), at_least=1.3)
    assert outcome.verdict is claims.Verdict.NOT_MET and outcome.value == 1.2
    assert capsys.readouterr().out == "[not met] faster: measured 1.20x (3 tries: 1.00x to 1.20x)\n"


def test_strict_mode_raises_only_for_not_met(
    machine: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(claims.STRICT_VARIABLE, "strict")
    machine(2, [0.0, 0.0])
    with pytest.raises(claims.ClaimNotMet, match=r"(?s)\[not met\] slower.*2 tries"):
        claims.check("slower", values(3.0, 2.5), at_most=2.0, tries=2)
    machine(2, [1.0, 1.0])
    claims.check("slower", values(3.0, 2.5), at_most=2.0, tries=2)  # inconclusive: no raise


def test_reader_mode_never_raises(machine: Machine) -> None:
    machine(2, [0.0, 0.0, 0.0])
    assert not claims.check("faster", values(1.0, 1.0, 1.0), at_least=1.3).holds


def test_figure_turns_evidence_into_the_value(machine: Machine) -> None:
    machine(2, [0.0])
    timings = claims.Timings({"loop": (1.0,), "pool": (0.5,)})
    outcome = claims.check("x", lambda: timings, figure=lambda t: t.ratio("loop", "pool"),
                           at_least=1.5, at_most=2.5, fmt="{:.0%}")
    assert outcome.evidence is timings and outcome.text == "200%"


def test_outcomes_are_logged(
    machine: Machine, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    log = tmp_path / "claims.jsonl"
    monkeypatch.setenv(claims.LOG_VARIABLE, str(log))
    monkeypatch.setenv(claims.SOURCE_VARIABLE, "book/x.ipynb")
    machine(2, [0.0, 0.3])
    claims.check("a", values(2.0), at_least=1.3)
    claims.check("b", values(0.5), at_least=1.3, needs_cpus=4)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["statement"], r["verdict"], r["source"]) for r in records] == [
        ("a", "holds", "book/x.ipynb"), ("b", "not shown here", "book/x.ipynb")]


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"statement": 1}, TypeError),
        ({"statement": "  "}, ValueError),
        ({"measure": 1.5}, TypeError),
        ({"figure": "ratio"}, TypeError),
        ({"at_least": None}, ValueError),
        ({"at_least": "1.3"}, TypeError),
        ({"at_least": 2.0, "at_most": 1.0}, ValueError),
        ({"needs_cpus": 0}, ValueError),
        ({"tries": 0}, ValueError),
        ({"needs_python": (3,)}, ValueError),
        ({"needs_python": "3.14"}, ValueError),
        ({"fmt": "{:.2q}"}, ValueError),
    ],
)
def test_check_validates_before_measuring(
    kwargs: dict[str, object], error: type[Exception]
) -> None:
    measured: list[int] = []

    def measure() -> float:
        measured.append(1)
        return 1.0

    arguments: dict[str, object] = {"statement": "s", "measure": measure, "at_least": 1.0}
    arguments.update(kwargs)
    with pytest.raises(error):
        claims.check(**arguments)  # type: ignore[arg-type]
    assert measured == []


# --- the front door: claims.faster --------------------------------------------


def _sleeper(seconds: float) -> Callable[[], None]:
    return lambda: time.sleep(seconds)


def test_faster_returns_the_timings_its_verdict_used(
        capsys: pytest.CaptureFixture[str]) -> None:
    tasks = {"slow": _sleeper(0.004), "fast": _sleeper(0.0005)}
    timings = claims.faster(tasks, "fast", than="slow", by=2, rounds=3)
    line = capsys.readouterr().out
    assert "] fast is at least 2x faster than slow: measured " in line
    assert timings.rounds == 3
    # the printed figure is the returned timings' ratio, not a second measurement
    # (whatever the verdict: a loaded machine may need more than one try)
    printed = re.search(r": measured (\S+)x", line)
    assert printed is not None and printed.group(1) == f"{timings.ratio('slow', 'fast'):.2f}"


def test_faster_names_the_cpus_and_takes_a_statement(
        capsys: pytest.CaptureFixture[str]) -> None:
    tasks = {"slow": _sleeper(0.004), "fast": _sleeper(0.0005)}
    claims.faster(tasks, "fast", than="slow", by=1.5, cpus=10_000, rounds=1)
    assert "fast is at least 1.5x faster than slow, given 10000 CPUs" in capsys.readouterr().out
    claims.faster(tasks, "fast", than="slow", by=2, rounds=1, claim="Sleeping less is faster")
    assert "] Sleeping less is faster: measured" in capsys.readouterr().out


def test_faster_is_not_met_when_the_winner_is_the_loser(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPWORKERS_CLAIMS", "strict")
    monkeypatch.setattr(claims, "_disturbed", lambda use, cpus: False)
    tasks = {"slow": _sleeper(0.004), "fast": _sleeper(0.0005)}
    with pytest.raises(claims.ClaimNotMet):
        claims.faster(tasks, "slow", than="fast", by=1.1, rounds=3, tries=1)


def test_faster_on_an_older_python_measures_nothing(
        capsys: pytest.CaptureFixture[str]) -> None:
    timings = claims.faster({"a": lambda: None, "b": lambda: None}, "a", than="b", by=2,
                            needs_python=(99, 0))
    assert timings.rounds == 0
    assert capsys.readouterr().out.startswith("[not shown here: needs Python 99.0")


@pytest.mark.parametrize("kwargs, error", [
    ({"winner": "c"}, ValueError),
    ({"than": "c"}, ValueError),
    ({"than": "a"}, ValueError),
    ({"by": 1}, ValueError),
    ({"by": 0.5}, ValueError),
    ({"by": "2"}, TypeError),
    ({"rounds": 0}, ValueError),
])
def test_faster_checks_its_arguments(kwargs: dict[str, Any], error: type[Exception]) -> None:
    arguments: dict[str, Any] = {"winner": "a", "than": "b", "by": 2}
    arguments.update(kwargs)
    winner = arguments.pop("winner")
    with pytest.raises(error):
        claims.faster({"a": lambda: None, "b": lambda: None}, winner, **arguments)
    with pytest.raises(TypeError):
        claims.faster([("a", lambda: None)], "a", than="b", by=2)  # type: ignore[arg-type]


def test_a_ratio_claim_must_be_able_to_fail() -> None:
    with pytest.raises(ValueError, match="equal timings"):
        claims.check("a is at least as fast as b", lambda: 1.0, at_least=1)
    with pytest.raises(ValueError, match="equal timings"):
        claims.check("a is no slower than b", lambda: 1.0, at_least=0.9)
    claims.check("one is at least one", lambda: 1.0, at_least=1, fmt="{:.1f}")  # not a ratio


def test_the_line_gives_the_tries_and_their_range(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    figures = iter([1.1, 1.3, 1.6])
    monkeypatch.setattr(claims, "parallel_capacity", lambda threads: 0.0)
    outcome = claims.check("x is at least 1.5x", lambda: next(figures), at_least=1.5)
    assert outcome.values == (1.1, 1.3, 1.6)
    assert capsys.readouterr().out == "[holds] x is at least 1.5x: measured 1.60x " \
                                      "(3 tries: 1.10x to 1.60x)\n"
    outcome = claims.check("y is at least 1", lambda: 2.0, at_least=1.5)
    assert outcome.line() == "[holds] y is at least 1: measured 2.00x"


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs CPU affinity (Linux)")
def test_capacity_on_one_cpus_worth_reads_as_starved() -> None:
    # two threads pinned to one CPU get at most one CPU's worth, whatever the machine
    # has: a claim needing 2 CPUs must count such a try as starved (the least of three
    # probes, since other load on that CPU during the one-thread run can inflate one)
    code = ("import os\nos.sched_setaffinity(0, {min(os.sched_getaffinity(0))})\n"
            "from mpworkers.lab.claims import parallel_capacity\n"
            "print(min(parallel_capacity(2, rounds=5) for _ in range(3)))\n")
    done = run_script(code)
    assert done.returncode == 0, done.stderr
    assert 0 < float(done.stdout) < claims.CAPACITY_SHARE * 2


@pytest.mark.skipif(effective_cpus().count < 2, reason="needs 2 usable CPUs")
@pytest.mark.skipif((cpu_cores().count or 2) < 2,
                    reason="the usable CPUs are one core: the topology decides without a probe "
                           "(test_too_few_physical_cores_is_inconclusive)")
def test_a_false_two_cpu_claim_goes_through_the_real_capacity_probe(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # end to end, nothing faked: a claim that is false everywhere, needing 2 CPUs
    monkeypatch.setenv(claims.STRICT_VARIABLE, "strict")
    seen: list[claims.Outcome[float]] = []
    original = claims._log

    def log(outcome: claims.Outcome[float]) -> None:
        seen.append(outcome)
        original(outcome)

    monkeypatch.setattr(claims, "_log", log)
    try:
        claims.check("a constant 1.2 is at least 1.5", lambda: 1.2, at_least=1.5, needs_cpus=2)
    except claims.ClaimNotMet:
        pass
    (outcome,) = seen
    assert outcome.verdict in (claims.Verdict.NOT_MET, claims.Verdict.INCONCLUSIVE)
    probed = [c for c in outcome.capacity if not math.isnan(c)]
    quiet = [not busy for busy in outcome.disturbed]
    # every try not disturbed by other programs measured the capacity, for real
    assert len(probed) >= 1 or not any(quiet)
    starved = [c < claims.CAPACITY_SHARE * 2 for c in probed]
    expected_not_met = any(quiet)
    assert (outcome.verdict is claims.Verdict.NOT_MET) is expected_not_met
    assert len(starved) == len(probed)


# --- edges that a mutation check found untested ---------------------------------


def test_cpu_use_without_a_reading_or_time_is_nan(monkeypatch: pytest.MonkeyPatch) -> None:
    use = claims.CpuUse()
    use.wall, use.own, use.others = 0.0, 1.0, 1.0
    assert math.isnan(use.own_cpus) and math.isnan(use.others_cpus)
    # only one of the two tree readings: own CPU time and others' stay unknown
    readings = iter([None, 5.0])
    monkeypatch.setattr(timing, "_tree_cpu", lambda: next(readings))
    monkeypatch.setattr(timing, "_machine_busy", lambda: 1.0)
    with claims.cpu_use() as use:
        pass
    assert math.isnan(use.own) and math.isnan(use.others)
    # the machine's reading missing at the end: others unknown, own known
    tree, busy = iter([1.0, 2.0]), iter([1.0, None])
    monkeypatch.setattr(timing, "_tree_cpu", lambda: next(tree))
    monkeypatch.setattr(timing, "_machine_busy", lambda: next(busy))
    with claims.cpu_use() as use:
        pass
    assert use.own == 1.0 and math.isnan(use.others)
    # both readings: others' CPU time is the machine's busy time less our own
    tree, busy = iter([1.0, 2.0]), iter([1.0, 5.0])
    monkeypatch.setattr(timing, "_tree_cpu", lambda: next(tree))
    monkeypatch.setattr(timing, "_machine_busy", lambda: next(busy))
    with claims.cpu_use() as use:
        pass
    assert (use.own, use.others) == (1.0, 3.0)


def test_inconclusive_text_names_the_most_capacity_found(
    machine: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    machine(2, [0.0, 0.0, 0.0])
    starved(monkeypatch, 1.0, 1.4, 1.2)  # all below 3/4 of 2 CPUs
    outcome = claims.check("faster", values(1.0, 1.0, 1.0), at_least=1.5, needs_cpus=2)
    assert outcome.line().startswith(
        "[inconclusive: the machine gave this program 1.4 of 2 CPUs' worth meanwhile]")


def test_capacity_of_exactly_three_quarters_is_enough(
    machine: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    machine(2, [0.0])
    starved(monkeypatch, claims.CAPACITY_SHARE * 2)
    outcome = claims.check("faster", values(1.0), at_least=1.5, needs_cpus=2, tries=1)
    assert outcome.verdict is claims.Verdict.NOT_MET


def test_disturbance_edges(monkeypatch: pytest.MonkeyPatch) -> None:
    cpus = budget(2)
    use = claims.CpuUse()
    use.wall, use.others = 0.0, 5.0
    assert not claims._disturbed(use, cpus)  # no time measured: judge the figure
    monkeypatch.setattr(claims, "TICK", 0.0)  # no allowance: the threshold itself
    use.wall, use.others = 1.0, claims.BUSY_CPUS  # exactly at the threshold: quiet
    assert not claims._disturbed(use, cpus)
    use.others += 0.01
    assert claims._disturbed(use, cpus)


def test_the_probe_runs_enough_work_per_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    rounds: list[int] = []
    monkeypatch.setattr(timing, "_hash_repeatedly", lambda data, n: rounds.append(n))
    clock = iter(range(0, 1000))  # every reading 1 s after the last: hashing "takes" 1 s
    monkeypatch.setattr("mpworkers.lab.timing.time.perf_counter",
                        lambda: float(next(clock)) * 0.001)
    claims.parallel_capacity(2, seconds=0.01, rounds=1)
    # one hash took 1 ms: 10 per thread for 10 ms, 20 in the one-thread run
    assert max(rounds) == 20


@pytest.mark.parametrize("kwargs", [{"at_least": True}, {"at_most": False}])
def test_a_bool_is_not_a_bound(kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        claims.check("x", lambda: 2.0, **kwargs)


def test_equal_bounds_ask_for_that_figure(machine: Machine) -> None:
    machine(1, [0.0])
    assert claims.check("x", values(1.5), at_least=1.5, at_most=1.5).holds
    machine(1, [0.0])
    assert claims.check("y", values(2.0), at_most=2.0).holds


@pytest.mark.parametrize("bad", [(3,), (3, 14, 0), (3, True), ("3", 14), [3, 14]])
def test_needs_python_must_be_a_major_minor_pair(bad: object) -> None:
    with pytest.raises(ValueError, match="needs_python"):
        claims.check("x", lambda: 2.0, at_least=1.5, needs_python=bad)  # type: ignore[arg-type]


def test_a_claim_needing_this_very_python_is_measured(machine: Machine) -> None:
    machine(1, [0.0])
    here = (sys.version_info[0], sys.version_info[1])
    assert claims.check("x", values(2.0), at_least=1.5, needs_python=here).holds


def test_faster_refuses_a_factor_of_one_before_measuring() -> None:
    measured: list[int] = []
    with pytest.raises(ValueError, match="by must be above 1"):
        claims.faster({"a": lambda: measured.append(1), "b": lambda: None}, "a", than="b",
                      by=1.0)
    assert measured == []


# --- SMT: usable CPUs that are fewer physical cores --------------------------------


def one_core(monkeypatch: pytest.MonkeyPatch, cpus: int = 2) -> list[int]:
    """Make the usable CPUs hardware threads of one core; return the topology's readings."""
    calls: list[int] = []

    def cores() -> Cores:
        calls.append(cpus)
        return Cores(tuple(range(cpus)), 1, smt=True, siblings=(f"0-{cpus - 1}",))

    monkeypatch.setattr(claims, "cpu_cores", cores)
    return calls


def test_too_few_physical_cores_is_inconclusive(machine, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(claims.STRICT_VARIABLE, "strict")  # inconclusive never raises
    machine(2, [0.0, 0.0, 0.0])
    probes = starved(monkeypatch)  # the capacity probe is not needed: it must not run
    readings = one_core(monkeypatch)
    outcome = claims.check("faster", values(1.1, 1.0, 1.2), at_least=1.5, needs_cpus=2)
    assert outcome.verdict is claims.Verdict.INCONCLUSIVE and probes == []
    assert len(readings) == 3 and outcome.cores == "2 usable CPUs are 1 physical core"
    assert capsys.readouterr().out == (
        "[inconclusive: 2 usable CPUs are 1 physical core] "
        "faster: measured 1.20x (3 tries: 1.00x to 1.20x)\n")


def test_a_claim_that_holds_on_siblings_reads_as_before(machine, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    machine(2, [0.0])
    readings = one_core(monkeypatch)
    outcome = claims.check("faster", values(1.6), at_least=1.5, needs_cpus=2)
    assert outcome.holds and outcome.cores == "" and readings == []
    assert capsys.readouterr().out == "[holds] faster: measured 1.60x\n"


def test_a_one_cpu_claim_ignores_the_topology(machine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    machine(2, [0.0])
    readings = one_core(monkeypatch)
    outcome = claims.check("faster", values(1.0), at_least=1.5, tries=1)
    assert outcome.verdict is claims.Verdict.NOT_MET and readings == []


def test_enough_cores_or_an_unknown_topology_leaves_it_to_the_probe(machine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for cores in (Cores((0, 1, 2, 3), 2, smt=True), Cores((0, 1), None, None, note="no /sys")):
        machine(2, [0.0])
        monkeypatch.setattr(claims, "cpu_cores", lambda cores=cores: cores)
        probes = starved(monkeypatch, 2.0)
        outcome = claims.check("faster", values(1.0), at_least=1.5, needs_cpus=2, tries=1)
        assert outcome.verdict is claims.Verdict.NOT_MET and probes == [2]
        assert outcome.cores == ""


def test_busy_tries_on_siblings_name_the_cores(machine, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    machine(2, [1.5, 1.5])
    one_core(monkeypatch)
    claims.check("faster", values(1.0, 1.1), at_least=1.5, needs_cpus=2, tries=2)
    assert capsys.readouterr().out.startswith("[inconclusive: 2 usable CPUs are 1 physical core]")

