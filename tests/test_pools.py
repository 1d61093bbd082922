"""Unit tests for mpworkers.pools."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
from collections import Counter
from typing import Any

import pytest

from mpworkers import noop, spin
from mpworkers.lab.cpus import CpuBudget
from mpworkers.pools import (
    SCHEDULER_VARIABLES,
    Parcel,
    PoolSize,
    SetupReport,
    pool_size,
    report_setup,
    scheduler_cpus,
    setup_worker,
    slow_whoami,
    spin_to,
)

METHODS = [
    m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()
]


class ListPutter:
    def __init__(self) -> None:
        self.items: list[Any] = []

    def put(self, obj: Any, /) -> None:
        self.items.append(obj)


# spin_to ---------------------------------------------------------------------


def test_spin_to_puts_task_and_pid() -> None:
    q = ListPutter()
    spin_to(q, 7, 100)
    assert q.items == [(7, os.getpid())]


def test_spin_to_accepts_a_queue_queue() -> None:
    q: queue.Queue[Any] = queue.Queue()
    spin_to(q, 0, 0)
    assert q.get_nowait() == (0, os.getpid())


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((object(), 0, 10), TypeError),
        ((ListPutter(), "0", 10), TypeError),
        ((ListPutter(), 0, 1.5), TypeError),
        ((ListPutter(), True, 10), TypeError),
        ((ListPutter(), -1, 10), ValueError),
        ((ListPutter(), 0, -10), ValueError),
    ],
)
def test_spin_to_checks_arguments(args: tuple[Any, ...], error: type[Exception]) -> None:
    with pytest.raises(error):
        spin_to(*args)


@pytest.mark.parametrize("method", METHODS)
def test_spin_to_in_child_processes(method: str) -> None:
    ctx = multiprocessing.get_context(method)
    q = ctx.Queue()
    processes = [ctx.Process(target=spin_to, args=(q, task, 1000))  # type: ignore[attr-defined]
                 for task in range(3)]
    for p in processes:
        p.start()
    results = [q.get(timeout=60) for _ in processes]
    for p in processes:
        p.join()
    assert sorted(task for task, _pid in results) == [0, 1, 2]
    assert {pid for _task, pid in results} == {p.pid for p in processes}
    assert all(p.exitcode == 0 for p in processes)


# setup_worker / report_setup ---------------------------------------------------


def test_setup_worker_checks_label() -> None:
    with pytest.raises(TypeError):
        setup_worker(42)  # type: ignore[arg-type]


def test_setup_and_report_in_this_process() -> None:
    before = report_setup("a")
    setup_worker("here")
    after = report_setup("b")
    assert isinstance(after, SetupReport)
    assert after.task == "b"
    assert after.pid == os.getpid()
    assert after.label == "here"
    assert after.setups == before.setups + 1
    assert after.tasks_done == before.tasks_done + 1


def test_report_setup_default_task_is_none() -> None:
    assert report_setup().task is None


@pytest.mark.parametrize("method", METHODS)
def test_initializer_runs_once_per_worker(method: str) -> None:
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(2, initializer=setup_worker, initargs=("ready",)) as pool:
        reports = pool.map(report_setup, range(10), chunksize=1)
    assert [r.task for r in reports] == list(range(10))
    assert all(r.label == "ready" and r.setups == 1 for r in reports)
    assert os.getpid() not in {r.pid for r in reports}
    assert len({r.pid for r in reports}) <= 2
    per_worker: dict[int, list[int]] = {}
    for r in reports:
        per_worker.setdefault(r.pid, []).append(r.tasks_done)
    for counts in per_worker.values():
        assert sorted(counts) == list(range(1, len(counts) + 1))


# Under fork, the pool forks replacement workers from one of its own threads;
# Python 3.12+ warns about fork() in a multi-threaded process.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
@pytest.mark.parametrize("method", METHODS)
def test_maxtasksperchild_starts_new_workers(method: str) -> None:
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(2, initializer=setup_worker, initargs=("x",), maxtasksperchild=2) as pool:
        reports = pool.map(report_setup, range(8), chunksize=1)
    tasks_per_pid = Counter(r.pid for r in reports)
    assert len(tasks_per_pid) >= 4
    assert max(tasks_per_pid.values()) <= 2
    assert all(r.setups == 1 for r in reports)


@pytest.mark.skipif("fork" not in METHODS, reason="needs the fork start method")
def test_state_inherited_through_fork_is_not_reported() -> None:
    setup_worker("parent")
    assert report_setup().label == "parent"
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:  # no initializer: the worker is a copy of this process
        report = pool.apply(report_setup, ("t",))
    assert report.pid != os.getpid()
    assert report.label is None
    assert report.setups == 0
    assert report.tasks_done == 1


# Parcel -------------------------------------------------------------------------


def test_parcel_records_who_pickled_it() -> None:
    parcel = Parcel([1, 2])
    assert parcel.packed_by == ()
    once = pickle.loads(pickle.dumps(parcel))
    twice = pickle.loads(pickle.dumps(once))
    assert once.value == [1, 2]
    assert once.packed_by == (os.getpid(),)
    assert twice.packed_by == (os.getpid(), os.getpid())
    assert parcel.packed_by == ()  # the original is not changed
    assert repr(twice) == "Parcel([1, 2], packed 2 time(s))"


@pytest.mark.parametrize("packed_by", [[1], (1, "2"), (True,), "12"])
def test_parcel_checks_packed_by(packed_by: Any) -> None:
    with pytest.raises(TypeError):
        Parcel("v", packed_by)


@pytest.mark.parametrize("method", METHODS)
def test_parcel_round_trip_through_a_pool(method: str) -> None:
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(2) as pool:
        parcels = pool.map(noop, [Parcel(i) for i in range(6)], chunksize=2)
    assert [p.value for p in parcels] == list(range(6))
    for p in parcels:
        assert len(p.packed_by) == 2
        assert p.packed_by[0] == os.getpid()
        assert p.packed_by[1] != os.getpid()


def test_spin_still_importable_for_pools() -> None:
    # the chapter sends spin by reference: module and name
    assert pickle.loads(pickle.dumps(spin)) is spin


# slow_whoami ---------------------------------------------------------------------


def test_slow_whoami_waits_then_reports_this_process() -> None:
    import time

    start = time.perf_counter()
    task, pid, name = slow_whoami("t", 0.05)
    assert time.perf_counter() - start >= 0.04
    assert (task, pid, name) == ("t", os.getpid(), multiprocessing.current_process().name)
    assert slow_whoami(seconds=0)[0] is None


@pytest.mark.parametrize(("seconds", "error"), [("1", TypeError), (True, TypeError),
                                                (-0.1, ValueError), (float("nan"), ValueError)])
def test_slow_whoami_checks_seconds(seconds: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        slow_whoami(1, seconds)


@pytest.mark.parametrize("method", METHODS)
def test_slow_whoami_tasks_are_shared_by_two_workers(method: str) -> None:
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(2) as pool:
        pool.map(noop, range(2))  # both workers are up
        reports = list(pool.imap_unordered(slow_whoami, range(12), chunksize=3))
    assert sorted(task for task, _pid, _name in reports) == list(range(12))
    assert len({pid for _task, pid, _name in reports}) == 2
    assert os.getpid() not in {pid for _task, pid, _name in reports}


# scheduler_cpus and pool_size -----------------------------------------------------


def budget(count: int, limited_by: str = "visible CPUs") -> CpuBudget:
    return CpuBudget(count=count, visible=8, affinity=8, quota=None, override=None,
                     limited_by=limited_by)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"SLURM_CPUS_PER_TASK": "4"}, (4, "SLURM_CPUS_PER_TASK=4")),
        ({"CPU_LIMIT": "1.0"}, (1, "CPU_LIMIT=1.0")),
        ({"CPU_LIMIT": "0.5"}, (1, "CPU_LIMIT=0.5")),
        ({"CPU_LIMIT": "2.5"}, (3, "CPU_LIMIT=2.5")),
        ({"CPU_LIMIT": " 2 "}, (2, "CPU_LIMIT=2")),
        ({"SLURM_CPUS_PER_TASK": "2", "CPU_LIMIT": "6"}, (2, "SLURM_CPUS_PER_TASK=2")),
    ],
)
def test_scheduler_cpus_reads_the_first_variable_set(
    environ: dict[str, str], expected: tuple[int, str]
) -> None:
    assert scheduler_cpus(environ) == expected


def test_scheduler_cpus_without_variables() -> None:
    count, why = scheduler_cpus({"PATH": "/bin", "CPU_LIMIT": "  "})
    assert count is None
    assert all(name in why for name in SCHEDULER_VARIABLES)


@pytest.mark.parametrize("bad", ["", "x", "0", "-2", "nan", "inf", "1e999"])
def test_scheduler_cpus_skips_bad_values_and_says_why(bad: str) -> None:
    count, why = scheduler_cpus({"SLURM_CPUS_PER_TASK": bad, "CPU_LIMIT": "2"})
    assert count == 2 and why == "CPU_LIMIT=2"
    count, why = scheduler_cpus({"SLURM_CPUS_PER_TASK": bad})
    assert count is None
    if bad:
        assert "ignored" in why and repr(bad) in why


def test_scheduler_cpus_reads_this_process_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLURM_CPUS_PER_TASK", raising=False)
    monkeypatch.setenv("CPU_LIMIT", "3")
    assert scheduler_cpus() == (3, "CPU_LIMIT=3")


def test_scheduler_cpus_checks_environ() -> None:
    with pytest.raises(TypeError):
        scheduler_cpus(["CPU_LIMIT=1"])  # type: ignore[arg-type]


def test_pool_size_takes_the_smaller_limit() -> None:
    four = budget(4, "CPU quota")
    assert pool_size({}, four) == PoolSize(4, "CPU quota", four)
    assert pool_size({"SLURM_CPUS_PER_TASK": "2"}, four).workers == 2
    assert pool_size({"SLURM_CPUS_PER_TASK": "2"}, four).decided_by == "SLURM_CPUS_PER_TASK=2"
    assert pool_size({"SLURM_CPUS_PER_TASK": "16"}, four)[:2] == (4, "CPU quota")
    # a tie names the scheduler's variable
    assert pool_size({"CPU_LIMIT": "4"}, four)[:2] == (4, "CPU_LIMIT=4")
    assert pool_size({"CPU_LIMIT": "bad"}, four)[:2] == (4, "CPU quota")


def test_pool_size_defaults_to_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SCHEDULER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    size = pool_size()
    assert 1 <= size.workers <= (os.cpu_count() or 1)
    assert size.workers == size.budget.count
    assert size.decided_by == size.budget.limited_by


def test_pool_size_checks_its_arguments() -> None:
    with pytest.raises(TypeError):
        pool_size({}, 4)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pool_size("CPU_LIMIT=1")  # type: ignore[arg-type]
