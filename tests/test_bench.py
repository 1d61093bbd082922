"""Tests of mpworkers.lab.bench: it runs, its report has the promised shape, it
checks its arguments, it reads its own JSON back, and it skips a missing
library cleanly.

No test looks at how fast anything was: timings depend on the machine and on
what else runs on it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import multiprocessing
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mpworkers.lab import bench
from mpworkers.lab.bench import (
    IMPLEMENTATIONS,
    MAX_TASKS,
    SCHEMA,
    START_METHODS,
    Chunking,
    Report,
    auto_chunksize,
    cpu_topology,
    format_report,
    make_workloads,
    measure_process_startup,
    read_report,
    run_benchmark,
    spread,
    start_methods,
)
from mpworkers.lab.machine import usable_cores
from mpworkers.lab.report import format_seconds
from mpworkers.lab.scripts import run_script

# The benchmark keeps several pools open at once; with the fork start method
# (the default on Linux up to 3.13) a pool that forks while another pool's
# threads run makes Python 3.12+ warn. That is expected here, and documented.
pytestmark = pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded, use of fork:DeprecationWarning"
)

# What each implementation runs, in order.
CHUNKINGS = {
    "sequential": [Chunking.NONE],
    "threads": [Chunking.ONE],
    "pool": [Chunking.ONE, Chunking.EQUAL],
    "process-pool": [Chunking.ONE, Chunking.EQUAL],
    "loky": [Chunking.ONE, Chunking.EQUAL],
    "joblib": [Chunking.ONE, Chunking.EQUAL, Chunking.LIBRARY],
    "mpire": [Chunking.ONE, Chunking.EQUAL, Chunking.LIBRARY],
}


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
        (0.0, "0 ns"),
        (5.2e-08, "52 ns"),
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


def test_spread() -> None:
    assert spread([1.0]) == 0.0
    assert spread([2.0, 1.0, 3.0]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        spread([])
    with pytest.raises(ValueError):
        spread([0.0, 0.0])


def test_start_methods_are_multiprocessings_own() -> None:
    methods = start_methods()
    assert methods and set(methods) <= set(START_METHODS)
    # loky registers "loky" and "loky_init_main" with multiprocessing on
    # Python 3.14+; they are not multiprocessing's start methods
    import loky  # noqa: F401

    assert start_methods() == methods
    assert methods == [m for m in multiprocessing.get_all_start_methods() if m in START_METHODS]


def test_machine_info_describes_the_machine() -> None:
    info = bench.machine_info()
    assert isinstance(info.cpu_model, str) and info.cpu_model
    assert 1 <= info.usable_cores <= info.visible_cpus
    assert info.start_method in START_METHODS
    assert list(info.start_methods) == start_methods()
    assert set(info.libraries) == {"loky", "joblib", "mpire"}
    assert info.physical_cores is None or info.physical_cores >= 1


def test_machine_info_leaves_the_start_method_unset() -> None:
    code = ("import multiprocessing; from mpworkers.lab import bench; bench.machine_info(); "
            "print(multiprocessing.get_start_method(allow_none=True))")
    done = run_script(code)
    assert (done.returncode, done.stdout) == (0, "None\n"), done.stderr


def _fake_topology(root: Path, siblings: dict[int, str]) -> None:
    for cpu, text in siblings.items():
        folder = root / f"sys/devices/system/cpu/cpu{cpu}/topology"
        folder.mkdir(parents=True)
        (folder / "thread_siblings_list").write_text(text + "\n", encoding="utf-8")


def test_cpu_topology_finds_smt_siblings(tmp_path: Path) -> None:
    _fake_topology(tmp_path, {0: "0,2", 1: "1,3", 2: "0,2", 3: "1,3"})
    both = cpu_topology([0, 2], root=tmp_path)
    assert both.smt_siblings is True and both.thread_siblings == ("0,2",)
    apart = cpu_topology([0, 1], root=tmp_path)
    assert apart.smt_siblings is False and apart.thread_siblings == ("0,2", "1,3")


def test_cpu_topology_reads_ranges(tmp_path: Path) -> None:
    _fake_topology(tmp_path, {0: "0-1", 1: "0-1"})
    assert cpu_topology([0, 1], root=tmp_path).smt_siblings is True
    assert cpu_topology([1], root=tmp_path).smt_siblings is False


@pytest.mark.parametrize("text", ["", "zero", "3-1", "-1", "0-"])
def test_cpu_topology_unreadable_is_unknown(tmp_path: Path, text: str) -> None:
    _fake_topology(tmp_path, {0: text})
    topology = cpu_topology([0], root=tmp_path)
    assert topology.smt_siblings is None and topology.thread_siblings == ()


def test_cpu_topology_without_sys_is_unknown(tmp_path: Path) -> None:
    assert cpu_topology([0, 1], root=tmp_path).smt_siblings is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("flags\t\t: fpu vme hypervisor lahf_lm\n", True), ("flags\t: fpu vme\n", False),
     ("Hardware\t: BCM2835\n", None)],
)
def test_virtual_machine_reads_the_cpu_flags(
    tmp_path: Path, text: str, expected: bool | None
) -> None:
    path = tmp_path / "cpuinfo"
    path.write_text("processor\t: 0\n" + text, encoding="utf-8")
    assert bench._virtual_machine(path) is expected
    assert bench._virtual_machine(tmp_path / "missing") is None


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


@pytest.mark.parametrize("method", start_methods())
def test_measure_process_startup(method: str) -> None:
    row = measure_process_startup(method, repeat=2)
    assert row.start_method == method
    assert row.first_s > 0 and len(row.times_s) == 2 and min(row.times_s) > 0


@pytest.mark.parametrize("method", ["teleport", "loky", "loky_init_main"])
def test_measure_process_startup_rejects_other_methods(method: str) -> None:
    with pytest.raises(ValueError, match="not available"):
        measure_process_startup(method)


def test_measure_process_startup_checks_repeat() -> None:
    with pytest.raises(ValueError):
        measure_process_startup(start_methods()[0], repeat=0)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"workers": 0}, ValueError),
        ({"workers": 1.5}, TypeError),
        ({"budget": 0}, ValueError),
        ({"budget": -1.0}, ValueError),
        ({"budget": float("inf")}, ValueError),
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
        [sys.executable, "-m", "mpworkers.lab.bench", "--help"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0
    assert "--quick" in result.stdout and "--json" in result.stdout


# ----------------------------------------------------------------- the quick run


def test_quick_report_has_the_promised_shape(quick_run: tuple[dict[str, Any], str]) -> None:
    data, _ = quick_run
    report = Report.from_dict(data)
    assert report.schema == SCHEMA
    assert report.mode == "quick"
    assert report.settings.workers == usable_cores()
    assert report.settings.repeat == bench.QUICK_REPEAT
    assert [r.name for r in report.implementations] == list(IMPLEMENTATIONS)
    assert [p.start_method for p in report.process_startup] == start_methods()
    ran = [r.name for r in report.implementations if r.status == "ok"]
    assert [p.implementation for p in report.pool_startup] == ran[1:]
    for p in report.pool_startup:
        assert len(p.startup_s) == len(p.shutdown_s) == report.settings.pool_startup_repeat
        assert len(p.warm_call_s) == report.settings.pool_startup_repeat * bench.WARM_CALLS
    assert len(report.workloads) == 3
    for workload in report.workloads:
        assert workload.tasks % report.settings.workers == 0
        assert workload.others_cpus is None or workload.others_cpus >= 0


def test_quick_report_has_every_cell(quick_run: tuple[dict[str, Any], str]) -> None:
    report = Report.from_dict(quick_run[0])
    workers = report.settings.workers
    ran = [r.name for r in report.implementations if r.status == "ok"]
    for workload in report.workloads:
        rows = report.results_for(workload.name)
        cells = [(r.implementation, r.chunking, r.workers) for r in rows]
        expected = [(n, c, 1 if n == "sequential" else workers)
                    for n in ran for c in CHUNKINGS[n]]
        if workload.kind == "wait":  # threads also get one thread per wait
            expected.append(("threads", Chunking.ONE, workload.tasks))
        assert cells == expected
        for row in rows:
            assert row.tasks == workload.tasks
            assert len(row.times_s) == report.settings.repeat
            assert row.best_s <= row.median_s
            if row.chunksize is not None:
                assert row.messages == -(-row.tasks // row.chunksize)
            if row.chunking is Chunking.ONE:
                assert row.chunksize == 1 and row.messages == row.tasks
            if row.chunking is Chunking.EQUAL:
                assert row.chunksize == auto_chunksize(row.tasks, workers)
        defaults = {r.implementation: r.chunking for r in rows
                    if r.library_default and r.workers in (1, workers)}
        assert defaults == {"sequential": Chunking.NONE, "threads": Chunking.ONE,
                            "pool": Chunking.EQUAL, "process-pool": Chunking.ONE,
                            "loky": Chunking.ONE, "joblib": Chunking.LIBRARY,
                            "mpire": Chunking.LIBRARY}
        loop = report.result(workload.name, "sequential")
        assert report.speedup(loop) == 1.0 and report.ceiling(loop) == 1
        assert workload.measured_s == pytest.approx(loop.best_s / workload.tasks)


def test_quick_report_ceilings(quick_run: tuple[dict[str, Any], str]) -> None:
    report = Report.from_dict(quick_run[0])
    cores, workers = report.machine.usable_cores, report.settings.workers
    for workload in report.workloads:
        pool = report.result(workload.name, "pool", Chunking.ONE)
        expected = workers if workload.kind == "wait" else min(workers, cores)
        assert report.ceiling(pool) == expected
        assert report.is_noise(pool) == (report.speedup(pool) > expected)
        ratios = report.speedups(pool)
        assert len(ratios) == report.settings.repeat
        assert report.speedup(pool) == statistics.median(ratios)
        loop = report.result(workload.name, "sequential")
        assert ratios == tuple(a / b for a, b in zip(loop.times_s, pool.times_s, strict=True))
    wait = next(w for w in report.workloads if w.kind == "wait")
    many = report.result(wait.name, "threads", workers=wait.tasks)
    assert report.ceiling(many) == wait.tasks


def test_quick_run_prints_tables(quick_run: tuple[dict[str, Any], str]) -> None:
    data, printed = quick_run
    report = Report.from_dict(data)
    assert printed.startswith("CPU: ")
    assert "Process start-up" in printed and "Pool start-up" in printed
    for workload in report.workloads:
        assert workload.name in printed
    assert printed.count("  speed-up\n") == len(report.workloads)
    assert format_report(report) + "\n" == printed


def test_noise_is_printed_as_noise(quick_run: tuple[dict[str, Any], str]) -> None:
    report = Report.from_dict(quick_run[0])
    # make the pool's first cell impossibly fast: 100 times the plain loop's speed
    target = report.result(report.workloads[0].name, "pool", Chunking.ONE)
    loop = report.result(target.workload, "sequential")
    fast = dataclasses.replace(target, times_s=tuple(t / 100 for t in loop.times_s))
    spoiled = dataclasses.replace(
        report, results=tuple(fast if r is target else r for r in report.results))
    assert spoiled.is_noise(fast)
    text = format_report(spoiled)
    assert "noise: a median speed-up above what" in text
    assert f"{spoiled.speedup(fast):.2f}x" not in text


def test_speedup_pairs_rounds_that_ran_together(quick_run: tuple[dict[str, Any], str]) -> None:
    report = Report.from_dict(quick_run[0])
    target = report.result(report.workloads[0].name, "pool", Chunking.ONE)
    loop = report.result(target.workload, "sequential")
    # each round of the pool twice as fast as the loop's round beside it, whatever the rounds
    halved = dataclasses.replace(target, times_s=tuple(t / 2 for t in loop.times_s))
    paired = dataclasses.replace(
        report, results=tuple(halved if r is target else r for r in report.results))
    assert paired.speedups(halved) == pytest.approx([2.0] * len(loop.times_s))
    assert paired.speedup(halved) == pytest.approx(2.0)
    short = dataclasses.replace(target, times_s=target.times_s[:1])
    with pytest.raises(ValueError, match="rounds"):
        report.speedups(short)


def test_report_round_trips_through_json(
    quick_run: tuple[dict[str, Any], str], tmp_path: Path
) -> None:
    data = quick_run[0]
    report = Report.from_dict(data)
    assert report.to_dict() == data
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert read_report(path) == report


# ----------------------------------------------------------------- skipping and checking


def test_a_missing_library_is_skipped_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mpire", None)  # makes `import mpire` fail
    report = run_benchmark(quick=True, budget=0.005, repeat=1, implementations=["mpire"])
    rows = {r.name: r for r in report.implementations}
    assert list(rows) == ["sequential", "mpire"]
    assert rows["mpire"].status == "skipped"
    assert rows["mpire"].reason and "mpire is not installed" in rows["mpire"].reason
    assert {r.implementation for r in report.results} == {"sequential"}
    assert "Skipped mpire: mpire is not installed" in format_report(report)
    assert Report.from_dict(report.to_dict()) == report


@pytest.fixture(scope="module")
def small_report() -> dict[str, Any]:
    return run_benchmark(quick=True, budget=0.005, repeat=2,
                         implementations=["threads"]).to_dict()


@pytest.mark.parametrize(
    "spoil",
    [
        lambda r: r.pop("results"),
        lambda r: r.update(extra=1),
        lambda r: r.update(schema="other/1"),
        lambda r: r.update(mode="slow"),
        lambda r: r["machine"].pop("cpu_model"),
        lambda r: r["machine"].update(usable_cores="2"),
        lambda r: r["machine"].update(smt_siblings="no"),
        lambda r: r["results"].pop(),
        lambda r: r["results"][0].update(times_s=[0.0]),
        lambda r: r["results"][0].update(times_s=[]),
        lambda r: r["results"][0].update(times_s=0.1),
        lambda r: r["results"][0].update(tasks="many"),
        lambda r: r["results"][0].update(tasks=True),
        lambda r: r["results"][0].update(chunking="auto"),
        lambda r: r["results"][0].update(workload="nowhere"),
        lambda r: r["results"][1].pop("messages"),
        lambda r: r["results"][1].update(chunksize="4"),
        lambda r: r["implementations"][1].update(status="skipped", reason=None),
        lambda r: r["implementations"][1].update(status="maybe"),
        lambda r: r["implementations"].pop(0),
        lambda r: r["process_startup"][0].update(first_s=-1.0),
        lambda r: r["pool_startup"][0].update(warm_call_s=[]),
        lambda r: r.update(duration_s=float("nan")),
    ],
)
def test_a_spoiled_report_is_rejected(small_report: dict[str, Any], spoil: Any) -> None:
    Report.from_dict(small_report)
    spoiled = json.loads(json.dumps(small_report))
    spoil(spoiled)
    with pytest.raises(ValueError):
        Report.from_dict(spoiled)


@pytest.mark.parametrize("bad", [None, [], "report", 1])
def test_a_report_must_be_a_dict(bad: Any) -> None:
    with pytest.raises(ValueError, match="must be a dict"):
        Report.from_dict(bad)


def test_read_report_rejects_a_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("not json", encoding="utf-8")
    with pytest.raises(ValueError):
        read_report(path)


def test_mpire_messages_follow_its_defaults() -> None:
    mpire = bench._Mpire(2, "spawn")
    library = Chunking.LIBRARY
    assert mpire.messages(library, 2000) == 128 and mpire.chunksize(library, 2000) is None
    assert mpire.messages(library, 1280) == 128 and mpire.chunksize(library, 1280) == 10
    assert mpire.messages(library, 26) == 26 and mpire.chunksize(library, 26) == 1
    assert mpire.messages(Chunking.EQUAL, 2000) == 8
    assert bench._Joblib(2, "spawn").messages(library, 100) is None
    assert bench._Joblib(2, "spawn").policy(library, 100) == "adaptive"


def test_stored_reports_are_readable() -> None:
    """The runs stored with the book (chapter 8 reads them) have this layout."""
    stored = sorted((Path(__file__).parent.parent / "book" / "data").glob("benchmark-*.json"))
    assert stored
    for path in stored:
        report = read_report(path)
        assert report.mode == "default"
