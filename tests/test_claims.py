"""Unit tests for mpworkers.claims: alternation, CPU accounting, verdicts, strict mode.

The verdict tests replace the machine (its CPUs and other programs' load)
with fakes, so that every verdict is reached deterministically.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import pathlib
from collections.abc import Iterator

import pytest

from mpworkers import claims, spin
from mpworkers.cpus import CpuBudget


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


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Set the fake machine: machine(cpus, loads, visible=None)."""

    def configure(count: int, loads: list[float], visible: int | None = None) -> None:
        it = iter(loads)
        monkeypatch.setattr(claims, "effective_cpus", lambda: budget(count, visible))
        monkeypatch.setattr(claims, "cpu_use", lambda: FakeUse(it))
        # the machine delivers every CPU it has, unless a test says otherwise
        monkeypatch.setattr(claims, "parallel_capacity", lambda threads: float(threads))

    monkeypatch.delenv(claims.STRICT_VARIABLE, raising=False)
    monkeypatch.delenv(claims.LOG_VARIABLE, raising=False)
    return configure


def values(*figures: float):  # type: ignore[no-untyped-def]
    it = iter(figures)
    calls: list[float] = []

    def measure() -> float:
        calls.append(next(it))
        return calls[-1]

    measure.calls = calls  # type: ignore[attr-defined]
    return measure


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


def test_outcome_repr_is_short(machine) -> None:  # type: ignore[no-untyped-def]
    machine(2, [0.0])
    assert repr(claims.check("x", values(2.0), at_least=1.0)) == "<Outcome: holds, measured 2.00x>"


def test_cpu_use_outside_a_with_block_is_nan() -> None:
    use = claims.cpu_use()
    assert math.isnan(use.own_cpus) and math.isnan(use.others_cpus)


# --- verdicts -----------------------------------------------------------------------


def test_holds_on_the_first_try(machine, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    machine(2, [0.0])
    measure = values(1.8)
    outcome = claims.check("the pool is faster", measure, at_least=1.3, needs_cpus=2)
    assert outcome.holds and outcome.value == 1.8 and measure.calls == [1.8]
    assert capsys.readouterr().out == "[holds] the pool is faster: measured 1.80x\n"


def test_tries_again_until_it_holds(machine) -> None:  # type: ignore[no-untyped-def]
    machine(2, [0.0, 0.0, 0.0])
    measure = values(1.1, 1.5, 9.9)
    outcome = claims.check("faster", measure, at_least=1.3)
    assert outcome.holds and measure.calls == [1.1, 1.5]
    assert outcome.others_cpus == (0.0, 0.0)


def test_not_shown_with_too_few_cpus(machine, capsys) -> None:  # type: ignore[no-untyped-def]
    machine(1, [0.0], visible=4)
    outcome = claims.check("With 2 CPUs, faster", values(0.9), at_least=1.3, needs_cpus=2)
    assert outcome.verdict is claims.Verdict.NOT_SHOWN
    assert capsys.readouterr().out == (
        "[not shown here: needs 2 CPUs, this process has 1 (CPU quota)] "
        "With 2 CPUs, faster: measured 0.90x\n"
    )


def test_not_shown_never_raises_in_strict_mode(machine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    machine(1, [0.0])
    monkeypatch.setenv(claims.STRICT_VARIABLE, "strict")
    assert claims.check("x", values(0.5), at_least=1.3, needs_cpus=2).verdict.value == (
        "not shown here")


def test_not_shown_on_an_older_python_without_measuring(machine, capsys) -> None:  # type: ignore[no-untyped-def]
    machine(2, [])
    measure = values()
    outcome = claims.check("interpreters are fast", measure, at_least=1.0, needs_python=(99, 0))
    assert outcome.verdict is claims.Verdict.NOT_SHOWN and measure.calls == []
    assert outcome.text == "n/a" and outcome.evidence is None
    out = capsys.readouterr().out
    assert out.startswith("[not shown here: needs Python 99.0, this is 3.")
    assert out.endswith("] interpreters are fast: measured n/a\n")
    machine(2, [0.0])
    assert claims.check("x", values(2.0), at_least=1.0, needs_python=(3, 10)).holds


def test_inconclusive_when_every_try_was_disturbed(machine, capsys) -> None:  # type: ignore[no-untyped-def]
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


def test_inconclusive_when_the_machine_withheld_cpus(machine, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(claims.STRICT_VARIABLE, "strict")
    machine(2, [0.0, 0.0, 0.0])
    calls = starved(monkeypatch, 1.1, 1.2, 1.05)
    outcome = claims.check("faster", values(1.07, 1.0, 1.05), at_least=1.1, needs_cpus=2)
    assert outcome.verdict is claims.Verdict.INCONCLUSIVE and calls == [2, 2, 2]
    assert outcome.capacity == (1.1, 1.2, 1.05)
    assert capsys.readouterr().out == (
        "[inconclusive: the machine gave this program 1.2 of 2 CPUs' worth meanwhile] "
        "faster: measured 1.05x\n")


def test_not_met_when_the_machine_delivered_its_cpus(machine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(claims.STRICT_VARIABLE, "strict")
    machine(2, [0.0, 0.0])
    starved(monkeypatch, 1.2, 1.9)
    with pytest.raises(claims.ClaimNotMet, match=r"CPUs' worth measured after each: 1.20, 1.90"):
        claims.check("faster", values(1.0, 1.0), at_least=1.1, needs_cpus=2, tries=2)


def test_capacity_measured_only_after_a_quiet_miss(machine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # quiet for the first two claims' four tries; busy for the third claim's three
    machine(2, [0.0, 0.0, 0.0, 0.0, 1.5, 1.5, 1.5])
    calls = starved(monkeypatch)
    claims.check("one CPU", values(0.5, 0.5, 0.5), at_least=1.0)  # needs one CPU
    assert claims.check("holds", values(2.0), at_least=1.0, needs_cpus=2).holds
    outcome = claims.check("busy", values(0.5, 0.5, 0.5), at_least=1.0, needs_cpus=2)
    assert outcome.verdict is claims.Verdict.INCONCLUSIVE and calls == []
    assert all(math.isnan(c) for c in outcome.capacity)


def test_parallel_capacity_measures_a_speed_up() -> None:
    assert 0 < claims.parallel_capacity(1, seconds=0.002) < 2
    assert 0 < claims.parallel_capacity(2, seconds=0.002, rounds=1) < 3


@pytest.mark.parametrize(
    "kwargs, error",
    [({"threads": 0}, ValueError), ({"threads": 1.5}, TypeError), ({"rounds": 0}, ValueError),
     ({"seconds": 0}, ValueError), ({"seconds": "1"}, TypeError)],
)
def test_parallel_capacity_validates(kwargs: dict[str, object], error: type[Exception]) -> None:
    arguments: dict[str, object] = {"threads": 2, **kwargs}
    with pytest.raises(error):
        claims.parallel_capacity(**arguments)  # type: ignore[arg-type]


def test_load_on_cpus_this_process_cannot_use_is_no_disturbance(machine) -> None:  # type: ignore[no-untyped-def]
    # 1 usable CPU of 4 visible: other programs may use the 3 others freely
    machine(1, [2.9, 2.9, 2.9], visible=4)
    outcome = claims.check("fast enough", values(0.5, 0.5, 0.5), at_least=1.0)
    assert outcome.verdict is claims.Verdict.NOT_MET


def test_not_met_when_one_try_was_quiet(machine, capsys) -> None:  # type: ignore[no-untyped-def]
    machine(2, [1.5, 0.0, 1.5])
    outcome = claims.check("faster", values(1.1, 1.0, 1.2), at_least=1.3)
    assert outcome.verdict is claims.Verdict.NOT_MET and outcome.value == 1.2
    assert capsys.readouterr().out == "[not met] faster: measured 1.20x\n"


def test_strict_mode_raises_only_for_not_met(machine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(claims.STRICT_VARIABLE, "strict")
    machine(2, [0.0, 0.0])
    with pytest.raises(claims.ClaimNotMet, match=r"(?s)\[not met\] slower.*2 tries"):
        claims.check("slower", values(3.0, 2.5), at_most=2.0, tries=2)
    machine(2, [1.0, 1.0])
    claims.check("slower", values(3.0, 2.5), at_most=2.0, tries=2)  # inconclusive: no raise


def test_reader_mode_never_raises(machine) -> None:  # type: ignore[no-untyped-def]
    machine(2, [0.0, 0.0, 0.0])
    assert not claims.check("faster", values(1.0, 1.0, 1.0), at_least=1.3).holds


def test_figure_turns_evidence_into_the_value(machine) -> None:  # type: ignore[no-untyped-def]
    machine(2, [0.0])
    timings = claims.Timings({"loop": (1.0,), "pool": (0.5,)})
    outcome = claims.check("x", lambda: timings, figure=lambda t: t.ratio("loop", "pool"),
                           at_least=1.5, at_most=2.5, fmt="{:.0%}")
    assert outcome.evidence is timings and outcome.text == "200%"


def test_outcomes_are_logged(machine, monkeypatch, tmp_path: pathlib.Path) -> None:  # type: ignore[no-untyped-def]
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
    arguments: dict[str, object] = {"statement": "s", "measure": lambda: measured.append(1) or 1.0,
                                    "at_least": 1.0}
    arguments.update(kwargs)
    with pytest.raises(error):
        claims.check(**arguments)  # type: ignore[arg-type]
    assert measured == []
