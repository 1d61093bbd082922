"""Unit tests for mpworkers.lab.tracing: structure of traces under every runner and start method.

No test here depends on how long anything takes: they check that every task
appears once, that the worker numbering is contiguous and follows first
starts, and that the time stamps taken in the workers and in the parent are
ordered as causality demands (which is what a shared clock guarantees).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import multiprocessing.pool
import operator
import os
import pickle
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

import mpworkers.lab.tracing
from mpworkers import noop, spin, square
from mpworkers.lab.claims import Timings
from mpworkers.lab.scripts import run_script
from mpworkers.lab.tracing import (
    CLOCK,
    EXECUTOR_METHODS,
    POOL_METHODS,
    TaskRecord,
    Trace,
    TracedCall,
    best_trace,
    clock_ns,
    measure_overhead,
    plot_timeline,
    trace_map,
    warm_up,
)

START_METHODS = multiprocessing.get_all_start_methods()
WORKERS = 2

# The fixtures keep thread pools alive while fork-based pools start, which is
# exactly what Python 3.12+ warns about; the tests use fork on purpose.
pytestmark = pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded, use of fork:DeprecationWarning"
)



def test_public_names() -> None:
    assert set(mpworkers.lab.tracing.__all__) >= {"POOL_METHODS", "EXECUTOR_METHODS", "CLOCK"}
    assert all(hasattr(mpworkers.lab.tracing, name) for name in mpworkers.lab.tracing.__all__)
    assert POOL_METHODS == ("map", "imap", "imap_unordered", "apply_async")
    assert EXECUTOR_METHODS == ("map", "submit")


# ---------------------------------------------------------------- the clock


def test_clock_is_monotonic_except_on_old_windows() -> None:
    if sys.platform == "win32" and sys.version_info < (3, 13):
        assert CLOCK == "time.perf_counter_ns" and clock_ns is time.perf_counter_ns
    else:
        assert CLOCK == "time.monotonic_ns" and clock_ns is time.monotonic_ns


@pytest.mark.parametrize(
    "platform, version, expected",
    [
        ("win32", (3, 10, 0), "time.perf_counter_ns"),
        ("win32", (3, 12, 9), "time.perf_counter_ns"),
        ("win32", (3, 13, 0), "time.monotonic_ns"),
        ("darwin", (3, 10, 0), "time.monotonic_ns"),
        ("linux", (3, 11, 7), "time.monotonic_ns"),
    ],
)
def test_pick_clock(
    monkeypatch: pytest.MonkeyPatch, platform: str, version: tuple[int, ...], expected: str
) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(sys, "version_info", version)
    name, func = mpworkers.lab.tracing._pick_clock()
    assert name == expected
    assert func is getattr(time, expected.removeprefix("time."))


# ---------------------------------------------------------------- TracedCall


def test_traced_call_returns_result_and_raw_record() -> None:
    result, raw = TracedCall(square)((4, 3))
    assert result == 9
    assert type(raw) is tuple and len(raw) == 6 and all(type(v) is int for v in raw)
    rec = TaskRecord(*raw)
    assert rec.task == 4
    assert rec.pid == os.getpid()
    assert rec.start_ns <= rec.end_ns
    assert rec.cpu_ns >= 0
    assert rec.worker == -1 and rec.received_ns == -1
    assert rec.duration >= 0 and rec.cpu >= 0


def test_traced_call_star_unpacks_arguments() -> None:
    result, raw = TracedCall(operator.mul, star=True)((0, (6, 7)))
    assert result == 42 and raw[0] == 0


def test_traced_call_pickles_by_reference() -> None:
    call = pickle.loads(pickle.dumps(TracedCall(square, star=False)))
    assert call.func is square
    assert call((1, 5))[0] == 25
    assert "square" in repr(call)


def test_traced_call_propagates_exceptions() -> None:
    with pytest.raises(TypeError, match="x must be a real number"):
        TracedCall(square)((0, "3"))


@pytest.mark.parametrize("bad", [None, 42, "square"])
def test_traced_call_rejects_non_callables(bad: object) -> None:
    with pytest.raises(TypeError, match="func must be callable"):
        TracedCall(bad)  # type: ignore[arg-type]


def test_traced_call_rejects_bad_star() -> None:
    with pytest.raises(TypeError, match="star must be a bool"):
        TracedCall(square, star=1)  # type: ignore[arg-type]


@pytest.mark.parametrize("item", [3, (1,), ("a", 3), (1, 2, 3), [0, 3]])
def test_traced_call_rejects_bad_items(item: Any) -> None:
    with pytest.raises(TypeError, match="pair"):
        TracedCall(square)(item)


# ---------------------------------------------------------------- Trace


def rec(task: int, pid: int, start: int, end: int, cpu: int = 0, received: int = -1) -> TaskRecord:
    return TaskRecord(task, pid, 1, start, end, cpu, received_ns=received)


def synthetic() -> Trace:
    # worker pid 20 starts first, so it is worker 0; pid 10 is worker 1
    records = [
        rec(2, 10, 30, 70, cpu=40, received=75),
        rec(0, 20, 10, 40, cpu=15, received=80),
        rec(1, 10, 20, 30, cpu=10, received=78),
        rec(3, 20, 40, 90, cpu=50, received=95),
    ]
    return Trace.from_records(records, start_ns=0, end_ns=100, results="abcd", label="x")


def test_trace_numbers_workers_by_first_start_and_sorts_by_task() -> None:
    trace = synthetic()
    assert [r.task for r in trace.records] == [0, 1, 2, 3]
    assert [r.worker for r in trace.records] == [0, 1, 1, 0]
    assert trace.results == ("a", "b", "c", "d")
    assert trace.label == "x"


def test_trace_metrics() -> None:
    trace = synthetic()
    assert trace.task_count == 4
    assert trace.worker_count == 2
    assert trace.wall == pytest.approx(100e-9)
    assert trace.busy == pytest.approx(130e-9)
    assert trace.cpu == pytest.approx(115e-9)
    assert trace.busy_fraction == pytest.approx(130 / 200)
    assert trace.utilisation(4) == pytest.approx(130 / 400)
    assert trace.cpu_fraction == pytest.approx(115 / 130)
    assert trace.tasks_per_worker == (2, 2)
    assert trace.busy_per_worker == pytest.approx((80e-9, 50e-9))
    assert trace.first_result == pytest.approx(75e-9)
    assert trace.max_overlap() == 2
    assert trace.parallelism == pytest.approx(115 / 100)
    assert trace.imbalance == pytest.approx(80 / 65)


def test_trace_accepts_raw_records_from_traced_call() -> None:
    raws = [TracedCall(square)((i, i))[1] for i in (1, 0)]
    trace = Trace.from_records(raws, start_ns=0, end_ns=max(r[4] for r in raws))
    assert [r.task for r in trace.records] == [0, 1]
    assert {r.worker for r in trace.records} == {0}  # one thread ran both
    assert all(isinstance(r, TaskRecord) for r in trace.records)


def test_max_overlap_counts_touching_tasks_as_sequential() -> None:
    trace = Trace.from_records([rec(0, 1, 0, 10), rec(1, 1, 10, 20)], start_ns=0, end_ns=20)
    assert trace.max_overlap() == 1


def test_empty_trace() -> None:
    trace = Trace.from_records([], start_ns=5, end_ns=5)
    assert trace.task_count == trace.worker_count == 0
    assert trace.busy_fraction == 0.0 and trace.cpu_fraction == 0.0
    assert trace.utilisation(2) == 0.0
    assert trace.tasks_per_worker == () and trace.max_overlap() == 0
    assert trace.first_result == 0.0
    assert trace.parallelism == 0.0 and trace.imbalance == 1.0


def test_trace_rejects_inconsistent_records() -> None:
    with pytest.raises(ValueError, match="more than once"):
        Trace.from_records([rec(0, 1, 0, 1), rec(0, 2, 0, 1)], start_ns=0, end_ns=1)
    with pytest.raises(ValueError, match="ends before it starts"):
        Trace.from_records([rec(0, 1, 5, 1)], start_ns=0, end_ns=10)
    with pytest.raises(ValueError, match=">= 0"):
        Trace.from_records([rec(-1, 1, 0, 1)], start_ns=0, end_ns=10)
    with pytest.raises(ValueError, match="before start_ns"):
        Trace.from_records([], start_ns=10, end_ns=0)
    with pytest.raises(ValueError, match="results"):
        Trace.from_records([rec(0, 1, 0, 1)], start_ns=0, end_ns=1, results=[1, 2])
    with pytest.raises(TypeError, match="TaskRecord"):
        Trace.from_records([(0, 1, 1, 0, 1)], start_ns=0, end_ns=1)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="TaskRecord"):
        Trace.from_records([(0, 1, 1, 0, 1, 0.5)], start_ns=0, end_ns=1)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="start_ns must be an int"):
        Trace.from_records([], start_ns=0.5, end_ns=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="workers must be an int"):
        synthetic().utilisation(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="workers must be >= 1"):
        synthetic().utilisation(0)


# ---------------------------------------------------------------- runners


@pytest.fixture(scope="module", params=START_METHODS)
def process_pool(request: pytest.FixtureRequest) -> Iterator[multiprocessing.pool.Pool]:
    with multiprocessing.get_context(request.param).Pool(WORKERS) as pool:
        yield pool


@pytest.fixture(scope="module", params=START_METHODS)
def process_executor(
    request: pytest.FixtureRequest,
) -> Iterator[concurrent.futures.ProcessPoolExecutor]:
    ctx = multiprocessing.get_context(request.param)
    with concurrent.futures.ProcessPoolExecutor(WORKERS, mp_context=ctx) as executor:
        yield executor


@pytest.fixture(scope="module")
def thread_executor() -> Iterator[concurrent.futures.ThreadPoolExecutor]:
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as executor:
        yield executor


@pytest.fixture(scope="module")
def thread_pool() -> Iterator[multiprocessing.pool.ThreadPool]:
    with multiprocessing.pool.ThreadPool(WORKERS) as pool:
        yield pool


def check_trace(trace: Trace, inputs: list[int], *, in_child: bool) -> None:
    """Everything a trace must satisfy, whatever the scheduling."""
    assert list(trace.results) == [square(x) for x in inputs]
    assert [r.task for r in trace.records] == list(range(len(inputs)))  # every task once
    workers = sorted({r.worker for r in trace.records})
    assert workers == list(range(len(workers)))  # contiguous from 0
    assert 1 <= trace.worker_count <= WORKERS
    assert sum(trace.tasks_per_worker) == len(inputs)
    for r in trace.records:
        # one clock for parent and workers: causality orders the readings
        assert trace.start_ns <= r.start_ns <= r.end_ns <= r.received_ns <= trace.end_ns
        assert r.cpu_ns >= 0
        assert (r.pid != os.getpid()) == in_child
    # workers are numbered in the order of their first start
    firsts = [min(r.start_ns for r in trace.records if r.worker == w) for w in workers]
    assert firsts == sorted(firsts)
    # one worker runs one task at a time
    for w in workers:
        mine = sorted((r.start_ns, r.end_ns) for r in trace.records if r.worker == w)
        assert all(a[1] <= b[0] for a, b in zip(mine, mine[1:], strict=False))
    assert trace.max_overlap() <= WORKERS
    assert 0.0 < trace.busy_fraction <= 1.0
    assert 1.0 <= trace.imbalance <= trace.worker_count


INPUTS = list(range(25))


@pytest.mark.parametrize("method", POOL_METHODS)
def test_trace_map_process_pool(process_pool: multiprocessing.pool.Pool, method: str) -> None:
    trace = trace_map(process_pool, square, INPUTS, method=method, label=method)
    check_trace(trace, INPUTS, in_child=True)
    assert trace.label == method


@pytest.mark.parametrize("method", EXECUTOR_METHODS)
def test_trace_map_process_executor(
    process_executor: concurrent.futures.ProcessPoolExecutor, method: str
) -> None:
    check_trace(trace_map(process_executor, square, INPUTS, method=method), INPUTS, in_child=True)


@pytest.mark.parametrize("method", EXECUTOR_METHODS)
def test_trace_map_thread_executor(
    thread_executor: concurrent.futures.ThreadPoolExecutor, method: str
) -> None:
    trace = trace_map(thread_executor, square, INPUTS, method=method)
    check_trace(trace, INPUTS, in_child=False)


@pytest.mark.parametrize("method", POOL_METHODS)
def test_trace_map_thread_pool(thread_pool: multiprocessing.pool.ThreadPool, method: str) -> None:
    check_trace(trace_map(thread_pool, square, INPUTS, method=method), INPUTS, in_child=False)


@pytest.mark.parametrize("chunksize", [1, 3, 100])
def test_trace_map_chunksize(process_pool: multiprocessing.pool.Pool, chunksize: int) -> None:
    trace = trace_map(process_pool, square, INPUTS, chunksize=chunksize)
    check_trace(trace, INPUTS, in_child=True)
    if chunksize == 100:  # one chunk: one worker ran everything
        assert trace.worker_count == 1


def test_trace_map_map_receives_everything_at_the_end(
    process_pool: multiprocessing.pool.Pool,
) -> None:
    trace = trace_map(process_pool, square, INPUTS, method="map")
    assert len({r.received_ns for r in trace.records}) == 1


def test_trace_map_star(thread_executor: concurrent.futures.ThreadPoolExecutor) -> None:
    trace = trace_map(thread_executor, operator.mul, [(1, 2), (3, 4)], star=True)
    assert trace.results == (2, 12)


def test_trace_map_empty(thread_executor: concurrent.futures.ThreadPoolExecutor) -> None:
    trace = trace_map(thread_executor, square, [])
    assert trace.task_count == 0 and trace.results == ()
    assert trace.start_ns <= trace.end_ns


def test_trace_map_propagates_task_errors(process_pool: multiprocessing.pool.Pool) -> None:
    with pytest.raises(TypeError, match="x must be a real number"):
        trace_map(process_pool, square, [1, "2", 3])


def test_trace_map_validates(thread_executor: concurrent.futures.ThreadPoolExecutor) -> None:
    with pytest.raises(TypeError, match="runner must be"):
        trace_map(object(), square, [1])
    with pytest.raises(TypeError, match="func must be callable"):
        trace_map(thread_executor, 3, [1])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="method"):
        trace_map(thread_executor, square, [1], method="imap_unordered")
    with pytest.raises(TypeError, match="method must be a str"):
        trace_map(thread_executor, square, [1], method=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="chunksize must be >= 1"):
        trace_map(thread_executor, square, [1], chunksize=0)
    with pytest.raises(TypeError, match="chunksize must be an int"):
        trace_map(thread_executor, square, [1], chunksize=True)
    with pytest.raises(ValueError, match="one task at a time"):
        trace_map(thread_executor, square, [1], method="submit", chunksize=2)


def test_trace_map_validates_pool_methods(thread_pool: multiprocessing.pool.ThreadPool) -> None:
    with pytest.raises(ValueError, match="method"):
        trace_map(thread_pool, square, [1], method="submit")


def test_best_trace_returns_the_fastest_of_several_runs(
    thread_executor: concurrent.futures.ThreadPoolExecutor,
) -> None:
    inputs = iter(INPUTS)  # read once, traced three times
    trace = best_trace(thread_executor, square, inputs, repeat=3, method="submit", label="b")
    check_trace(trace, INPUTS, in_child=False)
    assert trace.label == "b"


def test_best_trace_validates(thread_executor: concurrent.futures.ThreadPoolExecutor) -> None:
    with pytest.raises(ValueError, match="repeat must be >= 1"):
        best_trace(thread_executor, square, [1], repeat=0)
    with pytest.raises(TypeError, match="repeat must be an int"):
        best_trace(thread_executor, square, [1], repeat=2.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unexpected keyword"):
        best_trace(thread_executor, square, [1], chunk=2)


# ---------------------------------------------------------------- warm_up


def test_warm_up_meets_every_worker(process_pool: multiprocessing.pool.Pool) -> None:
    warm_up(process_pool, WORKERS, task_seconds=0.005)
    # every worker now answers at once: both take part in a map of two waits
    trace = trace_map(process_pool, time.sleep, [0.05] * WORKERS, chunksize=1)
    assert trace.worker_count == WORKERS


def test_warm_up_starts_executor_workers(
    process_executor: concurrent.futures.ProcessPoolExecutor,
) -> None:
    warm_up(process_executor, WORKERS, task_seconds=0.005)
    assert len(process_executor._processes) == WORKERS


def test_warm_up_says_when_workers_are_missing(
    thread_executor: concurrent.futures.ThreadPoolExecutor,
) -> None:
    with pytest.raises(RuntimeError, match=f"only {WORKERS} of {WORKERS + 1} workers answered"):
        warm_up(thread_executor, WORKERS + 1, task_seconds=0.0, timeout=0.05)


def test_warm_up_validates(thread_executor: concurrent.futures.ThreadPoolExecutor) -> None:
    with pytest.raises(TypeError, match="runner must be"):
        warm_up(object(), 2)
    with pytest.raises(ValueError, match="workers must be >= 1"):
        warm_up(thread_executor, 0)
    with pytest.raises(ValueError, match="task_seconds must be >= 0"):
        warm_up(thread_executor, 1, task_seconds=-1)
    with pytest.raises(ValueError, match="timeout must be > 0"):
        warm_up(thread_executor, 1, timeout=0)
    with pytest.raises(TypeError, match="timeout must be a real number"):
        warm_up(thread_executor, 1, timeout="1")  # type: ignore[arg-type]


# ---------------------------------------------------------------- measure_overhead


@pytest.mark.parametrize("runner", ["thread_pool", "thread_executor"])
def test_measure_overhead_alternates_plain_and_traced(
    runner: str, request: pytest.FixtureRequest
) -> None:
    result = measure_overhead(
        request.getfixturevalue(runner), task_seconds=0.0001, tasks=4, chunksize=2, rounds=3
    )
    assert isinstance(result, Timings)
    assert result.rounds == 3 and list(result.times) == ["plain", "traced"]
    for name in ("plain", "traced"):  # spin_for returns the time it spun
        assert len(result.results[name]) == 4 and min(result.results[name]) >= 0.0001
    assert result.ratio("traced", "plain") > 0


def test_measure_overhead_validates(thread_pool: multiprocessing.pool.ThreadPool) -> None:
    with pytest.raises(TypeError, match="runner must be"):
        measure_overhead(object())
    with pytest.raises(ValueError, match="task_seconds must be > 0"):
        measure_overhead(thread_pool, task_seconds=0)
    with pytest.raises(ValueError, match="tasks must be >= 1"):
        measure_overhead(thread_pool, tasks=0)
    with pytest.raises(ValueError, match="rounds must be >= 1"):
        measure_overhead(thread_pool, rounds=0)
    with pytest.raises(ValueError, match="chunksize must be >= 1"):
        measure_overhead(thread_pool, chunksize=0)


# ---------------------------------------------------------------- plot_timeline


@pytest.fixture
def pyplot() -> Iterator[Any]:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_plot_timeline_draws_one_row_per_worker_and_one_bar_per_task(pyplot: Any) -> None:
    trace = synthetic()
    ax = plot_timeline(trace, title="t", workers=3, show_received=True)
    rows = ax.collections  # one broken_barh per worker that ran a task
    assert len(rows) == trace.worker_count
    assert [len(row.get_paths()) for row in rows] == list(trace.tasks_per_worker)
    # worker 0 ran tasks 0 and 3, from 10 to 40 ns and 40 to 90 ns (drawn in ms)
    (x0, y0), *_ = rows[0].get_paths()[0].vertices
    assert x0 == pytest.approx(10e-6) and y0 == pytest.approx(-0.35)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["worker 0", "worker 1", "worker 2", "caller"]
    assert ax.get_title(loc="left") == "t"
    assert ax.get_xlabel() and ax.get_legend() is not None


def test_plot_timeline_on_given_axes(pyplot: Any) -> None:
    fig, (left, right) = pyplot.subplots(1, 2, figsize=(8, 3))
    assert plot_timeline(synthetic(), right, colorbar=False, xmax=1.0) is right
    assert right.get_title(loc="left") == "x"  # the trace's label
    assert len(fig.axes) == 2  # no colour bar added
    empty = Trace.from_records([], start_ns=0, end_ns=0)
    assert plot_timeline(empty, left) is left


def test_plot_timeline_validates(pyplot: Any) -> None:
    with pytest.raises(TypeError, match="trace must be a Trace"):
        plot_timeline([])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="workers must be >= 1"):
        plot_timeline(synthetic(), workers=0)
    with pytest.raises(ValueError, match="xmax must be > 0"):
        plot_timeline(synthetic(), xmax=0)


def test_importing_tracing_does_not_import_matplotlib() -> None:
    code = "import sys, mpworkers.lab.tracing; sys.exit('matplotlib' in sys.modules)"
    assert run_script(code).returncode == 0


def test_spin_and_noop_trace_in_threads(thread_executor: Any) -> None:
    trace = trace_map(thread_executor, spin, [1000, 2000], method="submit")
    assert trace.results == (spin(1000), spin(2000))
    assert trace_map(thread_executor, noop, [None]).results == (None,)
