"""Tests of mpworkers.alternatives: threads, subinterpreters and processes on the same work."""

from __future__ import annotations

import concurrent.futures
import os
import pathlib
import sys
import threading

import pytest

from mpworkers import alternatives, spin
from mpworkers.alternatives import (
    interpreters_available,
    make_executor,
    memory_per_worker,
    per_task_seconds,
    sharing_report,
    startup_seconds,
    subinterpreter_imports,
    try_import,
    worker_identity,
)

NEW = sys.version_info >= (3, 14)
needs_314 = pytest.mark.skipif(not NEW, reason="concurrent.interpreters needs Python 3.14")
before_314 = pytest.mark.skipif(NEW, reason="checks the error that Pythons before 3.14 give")


def test_what_this_python_offers() -> None:
    assert interpreters_available() is NEW


@pytest.mark.parametrize("way", ["threads", "processes"])
def test_make_executor_runs_the_tasks(way: str) -> None:
    with make_executor(way, 2) as pool:
        assert list(pool.map(spin, [10, 20])) == [spin(10), spin(20)]


@needs_314
def test_make_executor_makes_interpreter_pools() -> None:
    with make_executor("interpreters", 2) as pool:
        assert type(pool).__name__ == "InterpreterPoolExecutor"
        assert list(pool.map(spin, [10, 20])) == [spin(10), spin(20)]
        pid, _ = pool.submit(worker_identity).result()
    assert pid == os.getpid()  # an interpreter of this very process


@before_314
def test_make_executor_says_what_interpreters_need() -> None:
    with pytest.raises(RuntimeError, match="needs Python 3.14"):
        make_executor("interpreters", 1)


def test_make_executor_uses_the_start_method() -> None:
    with make_executor("processes", 1, start_method="spawn") as pool:
        assert pool.submit(spin, 5).result() == spin(5)
        assert pool._mp_context.get_start_method() == "spawn"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "kwargs", "error"),
    [
        ((1, 2), {}, TypeError),
        (("threads", "2"), {}, TypeError),
        (("threads", True), {}, TypeError),
        (("processes", 1), {"start_method": 3}, TypeError),
        (("fibres", 2), {}, ValueError),
        (("threads", 0), {}, ValueError),
        (("threads", 1), {"start_method": "spawn"}, ValueError),
        (("processes", 1), {"start_method": "teleport"}, ValueError),
    ],
)
def test_make_executor_rejects_bad_arguments(args: tuple, kwargs: dict, error: type) -> None:  # type: ignore[type-arg]
    with pytest.raises(error):
        make_executor(*args, **kwargs)


def test_worker_identity() -> None:
    assert worker_identity() == (os.getpid(), threading.get_ident())
    assert worker_identity(0.001)[0] == os.getpid()
    with pytest.raises(TypeError):
        worker_identity("1")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        worker_identity(-1)


def test_startup_and_per_task_times_are_positive() -> None:
    assert startup_seconds("threads", 2) > 0
    with make_executor("threads", 2) as pool:
        assert 0 < per_task_seconds(pool, 20) < 1


def test_per_task_seconds_rejects_bad_arguments() -> None:
    with pytest.raises(TypeError, match="Executor"):
        per_task_seconds(map, 10)  # type: ignore[arg-type]
    with make_executor("threads", 1) as pool:
        with pytest.raises(TypeError):
            per_task_seconds(pool, 1.5)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            per_task_seconds(pool, 0)


def test_memory_per_worker() -> None:
    threads = memory_per_worker("threads", 2)
    processes = memory_per_worker("processes", 2)
    assert set(threads) == set(processes) == {"rss", "uss"}
    # a process holds a whole interpreter; a thread holds a stack
    assert processes["uss"] > 1 << 20
    assert processes["rss"] > threads["rss"]
    with pytest.raises(ValueError):
        memory_per_worker("threads", 0)
    with pytest.raises(TypeError):
        memory_per_worker("threads", 1.0)  # type: ignore[arg-type]


def test_try_import() -> None:
    assert try_import("json") == "ok"
    assert try_import("no_such_module_here").startswith("ModuleNotFoundError: ")
    with pytest.raises(TypeError):
        try_import(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        try_import("")


def test_subinterpreter_imports_rejects_bad_arguments() -> None:
    with pytest.raises(TypeError):
        subinterpreter_imports("numpy")
    with pytest.raises(TypeError):
        subinterpreter_imports([1])  # type: ignore[list-item]


@needs_314
def test_subinterpreter_imports() -> None:
    found = subinterpreter_imports(["mpworkers.alternatives", "mpworkers", "json", "numpy"])
    assert found["mpworkers.alternatives"] == found["mpworkers"] == found["json"] == "ok"
    assert found["numpy"].startswith("ImportError: ")
    assert "does not support loading in subinterpreters" in found["numpy"]
    from concurrent import interpreters  # type: ignore[attr-defined,unused-ignore]

    assert len(interpreters.list_all()) == 1  # every interpreter closed


@needs_314
def test_sharing_report() -> None:
    rows = {row["object"]: row for row in sharing_report()}
    assert rows["a str"] == {"object": "a str", "is_shareable": True, "prepare_main": "ok",
                             "queue": "ok"}
    assert rows["a list"]["is_shareable"] is False
    assert rows["a list"]["prepare_main"] == "NotShareableError"
    assert rows["a list"]["queue"] == "ok"  # pickled
    assert rows["a threading.Lock"]["queue"] == "NotShareableError"
    assert rows["write through a memoryview in the subinterpreter"]["seen_by_owner"] is True


@before_314
def test_interpreter_functions_say_what_they_need() -> None:
    for func in (sharing_report, subinterpreter_imports):
        with pytest.raises(RuntimeError, match="needs Python 3.14"):
            func()


def test_the_module_imports_no_c_extension_at_import_time() -> None:
    """A subinterpreter can import it even where psutil cannot be imported there."""
    source = pathlib.Path(alternatives.__file__).read_text(encoding="utf-8")
    top = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert not [line for line in top if "psutil" in line or "numpy" in line]
    assert isinstance(concurrent.futures.Executor, type)
