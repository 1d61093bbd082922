"""Processes, subinterpreters and threads on the same work (chapter 13).

Standard CPython runs Python code on several CPUs at once in two ways: in
several processes (:mod:`multiprocessing`, ``ProcessPoolExecutor``), each with
its own interpreter and GIL, and, from Python 3.14, in several interpreters
of *one* process (``concurrent.interpreters``,
``concurrent.futures.InterpreterPoolExecutor``), each with its own GIL. A
free-threaded build (``python3.14t``) has no GIL at all, and there plain
threads run Python code in parallel.

This module gives the three the same tasks, and holds what each kind of
worker runs to measure what it costs:

* :func:`make_executor` - a pool of threads, interpreters or processes,
  behind one interface;
* :func:`startup_seconds` and :func:`per_task_seconds` - the price of
  starting a pool and of one tiny task on a running pool;
* :func:`memory_per_worker` - the memory one worker adds (resident set and
  unique set sizes, from :mod:`psutil`);
* :func:`sharing_report` and :func:`subinterpreter_imports` - which objects
  cross between interpreters, and which modules import in a subinterpreter;

The run that measures all of it, and stores it as JSON, is part of the
course's measuring kit, :func:`mpworkers.lab.bench.alternatives.run_alternatives`::

      python -m mpworkers.lab.bench alternatives --json alternatives.json

Everything here imports in a subinterpreter: the module imports no C
extension at module level (:mod:`psutil` and ``concurrent.interpreters``
are imported by the functions that need them), since a subinterpreter can
only import extension modules that support it. Where Python is older than
3.14, the functions that need interpreters raise :class:`RuntimeError`.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import multiprocessing
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from mpworkers._validate import check_int, check_real, check_str
from mpworkers.basics import noop

__all__ = [
    "SUBINTERPRETER_MODULES",
    "WAYS",
    "interpreters_available",
    "make_executor",
    "memory_per_worker",
    "per_task_seconds",
    "sharing_report",
    "startup_seconds",
    "subinterpreter_imports",
    "try_import",
    "worker_identity",
]

WAYS = ("threads", "interpreters", "processes")
"""The kinds of worker :func:`make_executor` makes."""

SUBINTERPRETER_MODULES = (
    "mpworkers", "json", "hashlib", "zlib", "_decimal", "sqlite3", "readline", "_curses", "psutil",
    "numpy",
)
"""The modules :func:`subinterpreter_imports` tries to import, each in a fresh subinterpreter."""


# --- what this Python offers ----------------------------------------------------


def interpreters_available() -> bool:
    """Return ``True`` where ``concurrent.interpreters`` can be imported (Python 3.14+).

    It is missing before Python 3.14, and on platforms without support for
    several interpreters (WebAssembly).
    """
    try:
        importlib.import_module("concurrent.interpreters")
    except ImportError:
        return False
    return True


def _interpreters() -> Any:
    """The module ``concurrent.interpreters``, or ``RuntimeError`` where it is missing."""
    try:
        return importlib.import_module("concurrent.interpreters")
    except ImportError:
        version = f"{sys.version_info[0]}.{sys.version_info[1]}"
        raise RuntimeError(
            f"concurrent.interpreters needs Python 3.14 or newer, this is {version}"
        ) from None


# --- pools of each kind --------------------------------------------------------------


def make_executor(
    way: str, workers: int, *, start_method: str | None = None
) -> concurrent.futures.Executor:
    """Return a pool of ``workers`` threads, interpreters or processes.

    ``way`` is one of :data:`WAYS`: ``"threads"`` gives a
    ``ThreadPoolExecutor``, ``"interpreters"`` an ``InterpreterPoolExecutor``
    (Python 3.14+: one thread per worker, each running its own interpreter),
    ``"processes"`` a ``ProcessPoolExecutor`` whose workers start with
    ``start_method`` (default: the platform's). Use it in a ``with`` block.

    >>> with make_executor("threads", 2) as pool:
    ...     list(pool.map(abs, [-1, -2]))
    [1, 2]

    Raises:
        TypeError: if ``way`` or ``start_method`` is not a str, or ``workers`` not an int.
        ValueError: for an unknown ``way`` or start method, ``workers`` < 1, or a
            ``start_method`` given for threads or interpreters.
        RuntimeError: for ``"interpreters"`` before Python 3.14.
    """
    check_str("way", way)
    if way not in WAYS:
        raise ValueError(f"way must be one of {', '.join(WAYS)}; got {way!r}")
    check_int("workers", workers, minimum=1)
    if start_method is not None:
        check_str("start_method", start_method)
        if way != "processes":
            raise ValueError(f"start_method applies to processes only, not to {way}")
        if start_method not in multiprocessing.get_all_start_methods():
            raise ValueError(
                f"start method {start_method!r} is not available here; choose from "
                f"{', '.join(multiprocessing.get_all_start_methods())}"
            )
    if way == "threads":
        return concurrent.futures.ThreadPoolExecutor(max_workers=workers)
    if way == "interpreters":
        _interpreters()  # a clear RuntimeError before 3.14
        # 3.14+, loaded lazily by the package's __getattr__
        executor: Any = getattr(concurrent.futures, "InterpreterPoolExecutor")  # noqa: B009
        pool: concurrent.futures.Executor = executor(max_workers=workers)
        return pool
    context = multiprocessing.get_context(start_method)
    return concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context)


def worker_identity(seconds: float = 0.0) -> tuple[int, int]:
    """Wait ``seconds``, then return ``(process id, thread id)`` of the worker that ran it.

    As a pool task it tells the workers apart: processes by their process id,
    threads and interpreters (each worker of an ``InterpreterPoolExecutor``
    is a thread of this process) by their thread id. Waiting keeps the worker
    busy, so that as many tasks as workers, submitted together, reach every
    worker.

    Raises:
        TypeError: if ``seconds`` is not a real number.
        ValueError: if ``seconds`` is negative.
    """
    time.sleep(check_real("seconds", seconds, minimum=0.0))
    return os.getpid(), threading.get_ident()


def startup_seconds(way: str, workers: int, *, start_method: str | None = None) -> float:
    """Return the seconds from creating a pool to the results of one no-op task per worker.

    The pool is shut down afterwards (not timed). The first tasks wait for
    their workers to start: a thread, an interpreter created in a thread, or
    a process.

    Raises:
        The errors of :func:`make_executor`.
    """
    start = time.perf_counter()
    with make_executor(way, workers, start_method=start_method) as pool:
        list(pool.map(noop, range(workers)))
        elapsed = time.perf_counter() - start
    return elapsed


def per_task_seconds(pool: concurrent.futures.Executor, tasks: int = 200) -> float:
    """Return the wall time per task of ``tasks`` no-op tasks mapped one by one on ``pool``.

    Start the pool's workers first (a first ``map``), or this counts their
    start-up too. Each task makes the round trip a real task makes: to a
    worker and back, with its argument and result.

    Raises:
        TypeError: if ``pool`` is not an Executor or ``tasks`` not an int.
        ValueError: if ``tasks`` < 1.
    """
    if not isinstance(pool, concurrent.futures.Executor):
        raise TypeError(f"pool must be a concurrent.futures.Executor, got {type(pool).__name__}")
    check_int("tasks", tasks, minimum=1)
    start = time.perf_counter()
    results = list(pool.map(noop, range(tasks)))
    elapsed = time.perf_counter() - start
    assert results == list(range(tasks))
    return elapsed / tasks


def _uss(info: Any) -> float:
    """The unique set size where psutil reports it (Linux, macOS, Windows), else RSS."""
    return float(getattr(info, "uss", info.rss))


def memory_per_worker(
    way: str, workers: int = 2, *, start_method: str | None = None
) -> dict[str, float]:
    """Return the memory, in bytes, that one worker of a pool adds: ``{"rss": ..., "uss": ...}``.

    Every worker runs :func:`worker_identity`, which imports :mod:`mpworkers`
    in it, and all are busy at once when memory is read.

    * Threads and interpreters live in this process: the figures are the
      growth of this process's resident set size (RSS) and unique set size
      (USS, the memory no other process shares), divided by ``workers``.
    * A process is a worker of its own: the figures are the RSS and USS of
      each worker process, averaged. RSS counts pages a worker shares with
      others (after ``fork``, most of its parent's), USS only its own.

    Raises:
        The errors of :func:`make_executor`; ``RuntimeError`` if the workers
        could not all be told apart.
    """
    import psutil

    check_int("workers", workers, minimum=1)
    me = psutil.Process()
    before = me.memory_full_info()
    with make_executor(way, workers, start_method=start_method) as pool:
        seen = set(pool.map(worker_identity, [0.2] * workers))
        after = me.memory_full_info()
        pids = {pid for pid, _ in seen} - {os.getpid()}
        distinct = len(pids) if way == "processes" else len(seen)
        if distinct != workers:
            raise RuntimeError(f"{distinct} of {workers} workers ran a task; measure again")
        if way == "processes":
            infos = [psutil.Process(pid).memory_full_info() for pid in sorted(pids)]
            rss = statistics.mean(float(i.rss) for i in infos)
            uss = statistics.mean(_uss(i) for i in infos)
        else:
            rss = (after.rss - before.rss) / workers
            uss = (_uss(after) - _uss(before)) / workers
    return {"rss": rss, "uss": uss}


# --- crossing between interpreters -------------------------------------------------------


def try_import(name: str) -> str:
    """Import module ``name`` in the interpreter that runs the call; return what happened.

    ``'ok'``, or the innermost cause of the failure as ``'Type: message'``
    (last line of the message). Run it in a subinterpreter with
    ``interp.call(try_import, "numpy")``: the result is a ``str``, which
    crosses between interpreters.

    Raises:
        TypeError: if ``name`` is not a str.
        ValueError: if ``name`` is empty.
    """
    check_str("name", name)
    if not name:
        raise ValueError("name must name a module")
    try:
        importlib.import_module(name)
    except Exception as error:  # noqa: BLE001 - the failure is the answer
        cause: BaseException = error
        while cause.__cause__ is not None or cause.__context__ is not None:
            cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
        lines = str(cause).strip().splitlines()
        return f"{type(cause).__name__}: {lines[-1].strip() if lines else ''}"
    return "ok"


def subinterpreter_imports(modules: Sequence[str] = SUBINTERPRETER_MODULES) -> dict[str, str]:
    """Try to import each module in a fresh subinterpreter; return ``{module: what happened}``.

    Each module gets an interpreter of its own, closed afterwards, so that
    one failed import does not change the next. The values are those of
    :func:`try_import`.

    Raises:
        TypeError: if ``modules`` is not a sequence of str.
        RuntimeError: before Python 3.14.
    """
    if isinstance(modules, str) or not isinstance(modules, Sequence):
        raise TypeError(f"modules must be a sequence of module names, got {modules!r}")
    for name in modules:
        check_str("module name", name)
    interpreters = _interpreters()
    found: dict[str, str] = {}
    for name in modules:
        interp = interpreters.create()
        try:
            found[name] = str(interp.call(try_import, name))
        finally:
            interp.close()
    return found


def _examples() -> list[tuple[str, Callable[[], object]]]:
    """Objects to send to another interpreter, each made fresh by a function."""
    interpreters = _interpreters()
    return [
        ("None, True, an int, a float", lambda: (None, True, 7, 2.5)),
        ("a str", lambda: "text"),
        ("bytes", lambda: b"\x00\x01"),
        ("a tuple of those", lambda: (1, "a", b"b")),
        ("a memoryview of a bytearray", lambda: memoryview(bytearray(4))),
        ("a concurrent.interpreters.Queue", lambda: interpreters.create_queue()),
        ("a list", lambda: [1, 2, 3]),
        ("a dict", lambda: {"a": 1}),
        ("a threading.Lock", lambda: threading.Lock()),
    ]


def sharing_report() -> list[dict[str, Any]]:
    """Send example objects to a subinterpreter in the three ways 3.14 offers; return the results.

    For each object: ``is_shareable`` (``concurrent.interpreters.is_shareable``:
    sent without pickle, shared or copied efficiently), ``prepare_main``
    (whether ``Interpreter.prepare_main`` accepts it: shareable objects only),
    ``queue`` (whether a ``concurrent.interpreters.Queue`` carries it: it
    falls back to :mod:`pickle`), each ``'ok'`` or the exception's type
    name. A last row says whether a write through a ``memoryview`` in the
    subinterpreter reaches the ``bytearray`` of this interpreter.

    Raises:
        RuntimeError: before Python 3.14.
    """
    interpreters = _interpreters()
    rows: list[dict[str, Any]] = []
    interp = interpreters.create()
    queue = interpreters.create_queue()
    try:
        for label, make in _examples():
            row: dict[str, Any] = {"object": label,
                                   "is_shareable": bool(interpreters.is_shareable(make()))}
            for how, send in (("prepare_main", lambda o: interp.prepare_main(value=o)),
                              ("queue", queue.put)):
                try:
                    send(make())
                except Exception as error:  # noqa: BLE001 - the failure is the answer
                    row[how] = type(error).__name__
                else:
                    row[how] = "ok"
            while not queue.empty():
                queue.get()
            rows.append(row)
        shared = bytearray(4)
        interp.prepare_main(view=memoryview(shared))
        interp.exec("view[0] = 42\ndel view")
        rows.append({"object": "write through a memoryview in the subinterpreter",
                     "seen_by_owner": shared[0] == 42})
    finally:
        interp.close()
    return rows
