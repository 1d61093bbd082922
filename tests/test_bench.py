"""Tests of mpworkers.bench: it runs, its report has the promised shape, it
checks its arguments and it skips a missing library cleanly.

No test looks at how fast anything was: timings depend on the machine and on
what else runs on it.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import multiprocessing
import subprocess
import sys
from typing import Any

import pytest

from mpworkers import bench
from mpworkers.bench import (
    IMPLEMENTATIONS,
    MAX_TASKS,
    SCHEMA,
    auto_chunksize,
    check_report,
    format_report,
    format_seconds,
    make_workloads,
    measure_process_startup,
    run_benchmark,
)

# The benchmark keeps several pools open at once; with the fork start method
# (the default on Linux up to 3.13) a pool that forks while another pool's
# threads run makes Python 3.12+ warn. That is expected here, and documented.
pytestmark = pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded, use of fork:DeprecationWarning"
)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    """One quick run through the command line, shared by the tests below."""
    path = tmp_path_factory.mktemp("bench") / "report.json"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = bench.main(["--quick", "--quiet", "--json", str(path)])
    assert status == 0
    with open(path, encoding="utf-8") as f:
        return json.load(f), out.getvalue()


# ----------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "0.0 us"),
        (4.5e-05, "45.0 us"),
        (0.000123, "123 us"),
        (0.0125, "12.5 ms"),
        (0.001, "1.00 ms"),
        (1.5, "1.50 s"),
        (97.9, "97.9 s"),
        (123.4, "123 s"),
    ],
)
def test_format_seconds(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_format_seconds_rejects_bad_values(bad: float) -> None:
    with pytest.raises(ValueError):
        format_seconds(bad)


def test_format_seconds_rejects_non_numbers() -> None:
    with pytest.raises(TypeError):
        format_seconds("1 s")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tasks", "workers", "expected"),
    [(100, 2, 13), (8, 2, 1), (9, 2, 2), (0, 4, 1), (1, 1, 1), (2000, 2, 250)],
)
def test_auto_chunksize_is_pools_default(tasks: int, workers: int, expected: int) -> None:
    assert auto_chunksize(tasks, workers) == expected


def test_auto_chunksize_checks_arguments() -> None:
    with pytest.raises(ValueError):
        auto_chunksize(10, 0)
    with pytest.raises(ValueError):
        auto_chunksize(-1, 2)
    with pytest.raises(TypeError):
        auto_chunksize(10.0, 2)  # type: ignore[arg-type]


def test_machine_info_describes_the_machine() -> None:
    info = bench.machine_info()
    assert isinstance(info["cpu_model"], str) and info["cpu_model"]
    assert info["usable_cores"] >= 1
    assert info["start_method"] in multiprocessing.get_all_start_methods()
    assert set(info["libraries"]) == {"loky", "joblib", "mpire"}


def test_make_workloads_sizes_task_counts_from_the_budget() -> None:
    workloads = make_workloads(
        [("spin", 1e-5), ("spin", 0.01), ("hash", 0.001), ("wait", 0.001)],
        budget=0.1, workers=3,
    )
    assert [w.name for w in workloads] == ["spin 10 us", "spin 10 ms", "hash 1 ms", "wait 1 ms"]
    for w in workloads:
        assert w.tasks % 3 == 0
        assert 8 * 3 <= w.tasks <= MAX_TASKS + 3
        assert len(w.args()) == w.tasks
    assert workloads[0].tasks >= MAX_TASKS  # tiny tasks: capped, not 10000
    assert workloads[1].tasks == 24  # 10 tasks fit the budget: raised to 8 per worker
    assert workloads[3].arg == 0.001


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"sizes": [("nap", 0.001)]}, ValueError),
        ({"sizes": [("spin", 0.0)]}, ValueError),
        ({"budget": 0.0}, ValueError),
        ({"budget": "1"}, TypeError),
        ({"workers": 0}, ValueError),
    ],
)
def test_make_workloads_checks_arguments(kwargs: dict[str, Any], error: type) -> None:
    arguments: dict[str, Any] = {"sizes": [("wait", 0.001)], "budget": 0.1, "workers": 2}
    arguments.update(kwargs)
    with pytest.raises(error):
        make_workloads(arguments.pop("sizes"), **arguments)


@pytest.mark.parametrize("method", multiprocessing.get_all_start_methods())
def test_measure_process_startup(method: str) -> None:
    row = measure_process_startup(method, repeat=1)
    assert row["start_method"] == method
    assert row["first_s"] > 0 and 0 < row["min_s"] <= row["median_s"]


def test_measure_process_startup_checks_arguments() -> None:
    with pytest.raises(ValueError, match="not available"):
        measure_process_startup("teleport")
    with pytest.raises(ValueError):
        measure_process_startup(multiprocessing.get_all_start_methods()[0], repeat=0)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"workers": 0}, ValueError),
        ({"workers": 1.5}, TypeError),
        ({"budget": 0}, ValueError),
        ({"budget": -1.0}, ValueError),
        ({"repeat": 0}, ValueError),
        ({"implementations": ["pool", "dask"]}, ValueError),
        ({"implementations": []}, ValueError),
        ({"implementations": "pool"}, TypeError),
        ({"quick": "yes"}, TypeError),
    ],
)
def test_run_benchmark_checks_arguments(kwargs: dict[str, Any], error: type) -> None:
    with pytest.raises(error):
        run_benchmark(**kwargs)


@pytest.mark.parametrize(
    "argv",
    [["--workers", "0"], ["--workers", "two"], ["--budget", "-1"], ["--budget", "inf"],
     ["--repeat", "0"], ["--only", "pool,dask"], ["--only", ","]],
)
def test_command_line_rejects_bad_arguments(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        bench.main(argv)
    assert info.value.code == 2


def test_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mpworkers.bench", "--help"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0
    assert "--quick" in result.stdout and "--json" in result.stdout


# ----------------------------------------------------------------- the quick run


def test_quick_report_has_the_promised_shape(quick_run: tuple[dict[str, Any], str]) -> None:
    report, _ = quick_run
    check_report(report)
    assert report["schema"] == SCHEMA
    assert report["mode"] == "quick"
    assert report["settings"]["workers"] == bench.usable_cores()
    assert [r["name"] for r in report["implementations"]] == list(IMPLEMENTATIONS)
    methods = [r["start_method"] for r in report["process_startup"]]
    assert methods == multiprocessing.get_all_start_methods()
    ran = [r["name"] for r in report["implementations"] if r["status"] == "ok"]
    assert [r["implementation"] for r in report["pool_startup"]] == ran[1:]
    assert len(report["workloads"]) == 3
    for workload in report["workloads"]:
        assert workload["tasks"] % report["settings"]["workers"] == 0
        share = workload["foreign_cpu_share"]
        assert share is None or 0.0 <= share <= 1.0


def test_quick_report_has_every_cell(quick_run: tuple[dict[str, Any], str]) -> None:
    report, _ = quick_run
    expected_chunkings = {
        "sequential": [None], "threads": ["1"], "pool": ["1", "auto"],
        "process-pool": ["1", "auto"], "loky": ["1", "auto"], "joblib": ["1", "auto"],
        "mpire": ["1", "auto"],
    }
    ran = [r["name"] for r in report["implementations"] if r["status"] == "ok"]
    for workload in report["workloads"]:
        rows = [r for r in report["results"] if r["workload"] == workload["name"]]
        cells = [(r["implementation"], r["chunking"]) for r in rows]
        assert cells == [(n, c) for n in ran for c in expected_chunkings[n]]
        for row in rows:
            assert row["tasks"] == workload["tasks"]
            if row["chunksize"] is not None:
                assert row["messages"] == -(-row["tasks"] // row["chunksize"])
            if row["chunking"] == "1":
                assert row["chunksize"] == 1 and row["messages"] == row["tasks"]
            assert row["throughput"] == pytest.approx(row["tasks"] / row["wall_s"])
            assert row["efficiency"] == pytest.approx(
                row["speedup"] / report["settings"]["workers"])
        baseline = rows[0]
        assert baseline["implementation"] == "sequential" and baseline["speedup"] == 1.0


def test_quick_run_prints_tables(quick_run: tuple[dict[str, Any], str]) -> None:
    report, printed = quick_run
    assert printed.startswith("CPU: ")
    assert "Process start-up" in printed and "Pool start-up" in printed
    for workload in report["workloads"]:
        assert workload["name"] in printed
    assert printed.count("speed-up") == len(report["workloads"])
    assert format_report(report) + "\n" == printed


# ----------------------------------------------------------------- skipping and checking


def test_a_missing_library_is_skipped_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mpire", None)  # makes `import mpire` fail
    report = run_benchmark(quick=True, budget=0.005, implementations=["mpire"])
    check_report(report)
    rows = {r["name"]: r for r in report["implementations"]}
    assert list(rows) == ["sequential", "mpire"]
    assert rows["mpire"]["status"] == "skipped"
    assert "mpire is not installed" in rows["mpire"]["reason"]
    assert {r["implementation"] for r in report["results"]} == {"sequential"}
    assert "Skipped mpire: mpire is not installed" in format_report(report)


@pytest.fixture(scope="module")
def small_report() -> dict[str, Any]:
    return run_benchmark(quick=True, budget=0.005, implementations=["threads"])


@pytest.mark.parametrize(
    "spoil",
    [
        lambda r: r.pop("results"),
        lambda r: r.update(schema="other/1"),
        lambda r: r["machine"].pop("cpu_model"),
        lambda r: r["results"].pop(),
        lambda r: r["results"][0].update(wall_s=0.0),
        lambda r: r["results"][0].update(tasks="many"),
        lambda r: r["results"][1].pop("messages"),
        lambda r: r["results"][1].update(chunksize="4"),
        lambda r: r["implementations"][1].update(status="skipped", reason=""),
        lambda r: r["implementations"].pop(0),
    ],
)
def test_check_report_rejects_a_spoiled_report(small_report: dict[str, Any], spoil: Any) -> None:
    check_report(small_report)
    spoiled = copy.deepcopy(small_report)
    spoil(spoiled)
    with pytest.raises(ValueError):
        check_report(spoiled)


def test_mpire_messages_follow_its_defaults() -> None:
    mpire = bench._Mpire(2, "spawn")
    assert mpire.messages("auto", 2000) == 128 and mpire.chunksize("auto", 2000) is None
    assert mpire.messages("auto", 1280) == 128 and mpire.chunksize("auto", 1280) == 10
    assert mpire.messages("auto", 26) == 26 and mpire.chunksize("auto", 26) == 1
    assert bench._Joblib(2, "spawn").messages("auto", 100) is None


def test_check_report_accepts_a_json_round_trip(small_report: dict[str, Any]) -> None:
    check_report(json.loads(json.dumps(small_report)))
