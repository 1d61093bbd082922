"""Tests of mpworkers.lab.bench's alternatives run, its one result format, and the quiet check."""

from __future__ import annotations

import dataclasses
import json
import pathlib
import sys
from typing import Any

import pytest

from mpworkers.lab import bench
from mpworkers.lab.bench import FORMAT, read_alternatives, read_report, run_alternatives
from mpworkers.lab.bench.alternatives import LIBRARIES
from mpworkers.lab.bench.quiet import WITHHELD_CPUS, steal_seconds, withheld_cpus
from mpworkers.lab.bench.storage import load_results
from mpworkers.lab.machine import Machine

NEW = sys.version_info >= (3, 14)
DATA = pathlib.Path(__file__).resolve().parent.parent / "book" / "data"

# /proc/stat's first lines, as Linux writes them: user nice system idle iowait irq
# softirq steal guest guest_nice, in clock ticks
STAT = ("cpu  967949 1192 188900 3635773 7627 0 2925 {steal} 0 0\n"
        "cpu0 457341 497 87466 1854609 1108 0 831 196 0 0\n"
        "intr 15820614 0 0\n")


# ----------------------------------------------------------------- withheld time


def test_steal_seconds_reads_the_cpu_line() -> None:
    import os

    ticks = os.sysconf("SC_CLK_TCK")
    assert steal_seconds(STAT.format(steal=398)) == pytest.approx(398 / ticks)
    assert steal_seconds(STAT.format(steal=0)) == 0


@pytest.mark.parametrize("text", ["", "intr 1 2 3\n", "cpu  1 2 3 4\n", "cpu  1 2 3 4 5 6 7 x\n"])
def test_steal_seconds_unknown_without_a_steal_column(text: str) -> None:
    assert steal_seconds(text) is None


def test_steal_seconds_unknown_without_proc_stat(tmp_path: pathlib.Path) -> None:
    assert steal_seconds(path=tmp_path / "no-such-stat") is None
    (tmp_path / "stat").write_text(STAT.format(steal=100), encoding="ascii")
    assert steal_seconds(path=tmp_path / "stat") is not None


def test_withheld_cpus_averages_steal_over_the_run() -> None:
    assert withheld_cpus(1.0, 3.0, 4.0) == 0.5
    assert withheld_cpus(1.0, 1.0, 4.0) == 0
    assert withheld_cpus(None, 3.0, 4.0) is None
    assert withheld_cpus(1.0, None, 4.0) is None
    assert withheld_cpus(1.0, 3.0, 0.0) is None


@pytest.fixture(scope="module")
def stored() -> bench.Report:
    return read_report(DATA / "benchmark-3.11-2cores.json")


def _with(report: bench.Report, *, withheld: float | None, others: float | None) -> bench.Report:
    workloads = tuple(dataclasses.replace(w, others_cpus=others) for w in report.workloads)
    return dataclasses.replace(report, withheld_cpus=withheld, workloads=workloads)


@pytest.mark.parametrize(
    ("withheld", "others", "quiet"),
    [(0.0, 0.05, True), (WITHHELD_CPUS * 2, 0.05, False), (0.0, 0.9, False),
     (None, 0.05, None), (None, 0.9, False), (0.0, None, None), (WITHHELD_CPUS * 2, None, False)],
)
def test_a_run_with_withheld_time_is_not_quiet(
    stored: bench.Report, withheld: float | None, others: float | None, quiet: bool | None
) -> None:
    report = _with(stored, withheld=withheld, others=others)
    assert report.quiet() is quiet
    line = report.quiet_line()
    assert line.startswith({True: "A quiet run", False: "A disturbed run",
                            None: "Not known to be quiet"}[quiet])
    assert ("withheld unknown" in line or "is unknown" in line) is (withheld is None)
    assert f"{len(report.noise())} of {len(report.results)}" in line
    assert line in bench.format_report(report)


def test_noise_is_a_median_speed_up_above_the_cpus(stored: bench.Report) -> None:
    for result in stored.results:
        ceiling = stored.ceiling(result)
        assert ceiling <= max(result.workers, 1)
        cpu_bound = stored.workload(result.workload).kind != "wait"
        if cpu_bound and result.implementation != "sequential":
            assert ceiling <= stored.machine.usable_cores
        assert (result in stored.noise()) is (stored.speedup(result) > ceiling)


# ----------------------------------------------------------------- the one format


def test_stored_results_share_one_format() -> None:
    kinds = {}
    for path in sorted(DATA.glob("*.json")):
        data = load_results(path)
        assert data["format"] == FORMAT
        kinds[path.name] = data["kind"]
    assert set(kinds.values()) == {"pools", "alternatives"}


def test_stored_alternatives_read_back() -> None:
    run = read_alternatives(DATA / "alternatives-3.14-2cpus.json")
    assert isinstance(run["machine"], Machine)
    assert run["machine"].python_version.startswith("3.14")
    assert set(run["machine"].libraries) == set(LIBRARIES)
    assert run["machine"].summary.startswith("Measured with CPython 3.14")


def test_each_reader_takes_only_its_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        read_report(DATA / "alternatives-3.14-2cpus.json")
    with pytest.raises(ValueError, match="kind"):
        read_alternatives(DATA / "benchmark-3.11-2cores.json")


@pytest.mark.parametrize(
    ("text", "match"),
    [("{", "not JSON"), ("[]", "no results"), ("{}", "format"),
     ('{"format": 2}', "format"), (json.dumps({"format": FORMAT, "kind": "x"}), "kind"),
     (json.dumps({"format": FORMAT, "kind": "pools", "machine": {}}), "machine")],
)
def test_load_results_rejects_other_files(tmp_path: pathlib.Path, text: str, match: str) -> None:
    path = tmp_path / "results.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=match):
        load_results(path)


def test_load_results_needs_a_path() -> None:
    with pytest.raises(TypeError):
        load_results(3)  # type: ignore[arg-type]


def test_read_alternatives_checks_the_parts(tmp_path: pathlib.Path) -> None:
    data = json.loads((DATA / "alternatives-3.14-2cpus.json").read_text(encoding="utf-8"))
    del data["speed"]
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="speed"):
        read_alternatives(path)


# ----------------------------------------------------------------- the alternatives run


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"workers": 0}, ValueError), ({"repeat": "2"}, TypeError),
     ({"task_seconds": 0}, ValueError), ({"quick": 1}, TypeError)],
)
def test_run_alternatives_rejects_bad_arguments(kwargs: dict[str, Any], error: type) -> None:
    with pytest.raises(error):
        run_alternatives(**kwargs)


def test_the_command_line_stores_results_that_read_back(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "results.json"
    argv = ["alternatives", "--quick", "--workers", "1", "--json", str(path)]
    assert bench.main(argv) == 0
    data = read_alternatives(path)
    assert data["command"] == " ".join(["python -m mpworkers.lab.bench", *argv])
    assert data["settings"]["workers"] == 1
    assert data["interpreters_available"] is NEW
    ways = {"threads", f"processes ({data['machine'].start_method})"}
    if NEW:
        ways.add("interpreters")
        assert data["subinterpreter_imports"]["mpworkers"] == "ok"
    else:
        assert data["sharing"] is None
    assert set(data["startup"]) == set(data["per_task"]) == set(data["memory"]) == ways
    assert set(data["speed"]["times"]) == ways | {"sequential"}
    assert set(data["machine"].libraries) == set(LIBRARIES)
    assert "start-up" in capsys.readouterr().out
