"""Processes, subinterpreters and threads on the same work (chapter 13).

Standard CPython runs Python code on several CPUs at once in two ways: in
several processes (:mod:`multiprocessing`, ``ProcessPoolExecutor``), each with
its own interpreter and GIL, and, from Python 3.14, in several interpreters
of *one* process (``concurrent.interpreters``,
``concurrent.futures.InterpreterPoolExecutor``), each with its own GIL. A
free-threaded build (``python3.14t``) has no GIL at all, and there plain
threads run Python code in parallel.

This module gives the three the same tasks and measures what each costs:

* :func:`make_executor` - a pool of threads, interpreters or processes,
  behind one interface;
* :func:`startup_seconds` and :func:`per_task_seconds` - the price of
  starting a pool and of one tiny task on a running pool;
* :func:`memory_per_worker` - the memory one worker adds (resident set and
  unique set sizes, from :mod:`psutil`);
* :func:`sharing_report` and :func:`subinterpreter_imports` - which objects
  cross between interpreters, and which modules import in a subinterpreter;
* :func:`run` and the command line, which store all of it as JSON::

      python -m mpworkers.alternatives --json alternatives.json

Everything here imports in a subinterpreter: the module imports no C
extension at module level (:mod:`psutil` and ``concurrent.interpreters``
are imported by the functions that need them), since a subinterpreter can
only import extension modules that support it. Where Python is older than
3.14, the functions that need interpreters raise :class:`RuntimeError`, and
:func:`run` records them as missing.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import functools
import importlib
import json
import multiprocessing
import os
import platform
import statistics
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from mpworkers._validate import check_int, check_real, check_str
from mpworkers.basics import noop
from mpworkers.workloads import calibrate_spin, spin

__all__ = [
    "SUBINTERPRETER_MODULES",
    "WAYS",
    "free_threaded_build",
    "interpreters_available",
    "main",
    "make_executor",
    "memory_per_worker",
    "package_versions",
    "per_task_seconds",
    "run",
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
"""The modules :func:`run` tries to import in a fresh subinterpreter."""

PACKAGES = ("numpy", "psutil")
"""The installed packages whose versions :func:`run` records with its findings."""

FORMAT = 2
"""The version of the JSON layout that :func:`run` writes."""


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


def free_threaded_build() -> bool:
    """Return ``True`` on a free-threaded build of CPython (``python3.13t``, ``python3.14t``).

    It reads ``sysconfig.get_config_var("Py_GIL_DISABLED")``. On such a build
    the GIL is normally off, but an extension module that does not declare
    support for running without it turns it back on: ask
    :func:`mpworkers.lab.machine.gil_enabled` what is true *now*.
    """
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


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


def package_versions(names: Sequence[str] = PACKAGES) -> dict[str, str | None]:
    """Return the installed version of each distribution in ``names``, ``None`` where missing.

    A finding about a package (NumPy refusing to load in a subinterpreter)
    holds for the version that was tried: store it with the finding.

    Raises:
        TypeError: if ``names`` is not a sequence of str.
    """
    from importlib import metadata

    if isinstance(names, str) or not isinstance(names, Sequence):
        raise TypeError(f"names must be a sequence of distribution names, got {names!r}")
    found: dict[str, str | None] = {}
    for name in names:
        check_str("distribution name", name)
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


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


# --- the whole measurement --------------------------------------------------------


def _map_spin(pool: concurrent.futures.Executor, tasks: list[int]) -> list[int]:
    return list(pool.map(spin, tasks))


def _ways(start_methods: Sequence[str]) -> list[tuple[str, str, str | None]]:
    """(key, way, start method) for every pool that this Python can make."""
    ways: list[tuple[str, str, str | None]] = [("threads", "threads", None)]
    if interpreters_available():
        ways.append(("interpreters", "interpreters", None))
    ways += [(f"processes ({m})", "processes", m) for m in start_methods]
    return ways


def run(
    *,
    workers: int | None = None,
    repeat: int = 5,
    task_seconds: float = 0.01,
    quick: bool = False,
    log: Callable[[str], object] | None = None,
) -> dict[str, Any]:
    """Measure threads, interpreters and processes on this machine; return the results.

    With ``workers`` workers per pool (default: :func:`mpworkers.lab.machine.usable_cores`)
    and ``repeat`` repetitions of each measurement it records: pool start-up
    (and, where interpreters exist, creating and closing one interpreter),
    the time per tiny task on a running pool, the speed-up of each kind of
    pool on CPU-bound pure-Python tasks of about ``task_seconds`` each
    (measured in alternation), the memory per worker, and what crosses
    between interpreters. ``quick`` cuts the repetitions to 2 and skips the
    start methods other than the platform's default, for tests.

    Raises:
        TypeError, ValueError: for arguments of the wrong type or out of range.
    """
    from mpworkers.lab import claims
    from mpworkers.lab.bench import cpu_model
    from mpworkers.lab.cpus import effective_cpus, visible_cpus
    from mpworkers.lab.machine import default_start_method, gil_enabled, machine_summary

    if workers is not None:
        check_int("workers", workers, minimum=1)
    check_int("repeat", repeat, minimum=1)
    check_real("task_seconds", task_seconds, minimum=0.0)
    if not task_seconds > 0:
        raise ValueError("task_seconds must be > 0")
    if not isinstance(quick, bool):
        raise TypeError(f"quick must be a bool, got {type(quick).__name__}")
    say: Callable[[str], object] = log or (lambda _: None)
    cpus = effective_cpus()
    workers = workers or cpus.count
    repeat = 2 if quick else repeat
    default_method = default_start_method()
    methods = [default_method] if quick else [
        m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()
    ]
    ways = _ways(methods)
    default_key = f"processes ({default_method})"
    results: dict[str, Any] = {
        "format": FORMAT,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": "mpworkers.alternatives.run()",
        "machine": {
            "summary": machine_summary(),
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "system": f"{platform.system()} {platform.machine()}",
            "cpu_model": cpu_model(),
            "visible_cpus": visible_cpus(),
            "usable_cpus": cpus.count,
            "gil_enabled": gil_enabled(),
            "free_threaded_build": free_threaded_build(),
            "default_start_method": default_method,
        },
        "settings": {"workers": workers, "repeat": repeat, "task_seconds": task_seconds,
                     "tiny_tasks": 200},
        "interpreters_available": interpreters_available(),
        "package_versions": package_versions(),
    }

    say("start-up")
    results["startup"] = {
        key: [startup_seconds(way, workers, start_method=m) for _ in range(repeat)]
        for key, way, m in ways
    }
    if interpreters_available():
        interpreters = _interpreters()
        create, close = [], []
        for _ in range(repeat):
            start = time.perf_counter()
            interp = interpreters.create()
            create.append(time.perf_counter() - start)
            start = time.perf_counter()
            interp.close()
            close.append(time.perf_counter() - start)
        results["interpreter"] = {"create": create, "close": close}

    say("tiny tasks")
    per_task: dict[str, list[float]] = {}
    for key, way, m in ways:
        with make_executor(way, workers, start_method=m) as pool:
            list(pool.map(worker_identity, [0.05] * workers))  # every worker started
            per_task[key] = [per_task_seconds(pool, 200) for _ in range(repeat)]
    results["per_task"] = per_task

    say("pure-Python tasks")
    n = calibrate_spin(task_seconds)
    tasks = [n] * (4 * workers)
    # the process pool first: a process forked while subinterpreters run in
    # other threads crashes (Python 3.14 and 3.15 on Linux)
    compared = [(k, w, m) for k, w, m in ways if k == default_key]
    compared += [(k, w, m) for k, w, m in ways if not k.startswith("processes")]
    pools = {key: make_executor(way, workers, start_method=m) for key, way, m in compared}
    try:
        for pool in pools.values():
            list(pool.map(worker_identity, [0.05] * workers))
        runs: dict[str, Callable[[], Any]] = {"sequential": lambda: [spin(x) for x in tasks]}
        for key, pool in pools.items():
            runs[key] = functools.partial(_map_spin, pool, tasks)
        timings = claims.alternate(runs, rounds=max(3, repeat))
    finally:
        for pool in pools.values():
            pool.shutdown()
    answers = list(timings.results.values())
    assert all(answer == answers[0] for answer in answers), "the pools disagree"
    results["speed"] = {"tasks": len(tasks), "spin_n": n,
                        "times": {k: list(v) for k, v in timings.times.items()}}

    say("memory")
    results["memory"] = {key: memory_per_worker(way, workers, start_method=m)
                         for key, way, m in ways}

    if interpreters_available():
        say("sharing and imports")
        results["sharing"] = sharing_report()
        results["subinterpreter_imports"] = subinterpreter_imports()
    else:
        results["sharing"] = None
        results["subinterpreter_imports"] = None
    return results


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mpworkers.alternatives",
        description="Measure threads, subinterpreters and processes on the same work.",
    )
    parser.add_argument("--json", metavar="PATH", help="store the results in this file")
    parser.add_argument("--workers", type=int, default=None,
                        help="workers per pool (default: the usable CPUs)")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of each measurement")
    parser.add_argument("--quick", action="store_true", help="a short run, for tests")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run :func:`run` from the command line; print a summary, store JSON with ``--json``."""
    args = _parser().parse_args(argv)
    results = run(workers=args.workers, repeat=args.repeat, quick=args.quick,
                  log=lambda step: print(f"measuring: {step}", file=sys.stderr, flush=True))
    results["command"] = "python -m mpworkers.alternatives " + " ".join(
        sys.argv[1:] if argv is None else argv)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)
            f.write("\n")
    print(results["machine"]["summary"])
    for key, times in results["startup"].items():
        print(f"{key:>24}: start-up {statistics.median(times) * 1e3:8.2f} ms, "
              f"per tiny task {statistics.median(results['per_task'][key]) * 1e6:8.1f} us, "
              f"USS per worker {results['memory'][key]['uss'] / 2**20:6.1f} MiB")
    speed = results["speed"]["times"]
    for key, times in speed.items():
        print(f"{key:>24}: {len(times)} rounds, median {statistics.median(times):.3f} s")
    return 0


if __name__ == "__main__":
    # Run the module's own functions, not copies defined in __main__: a
    # subinterpreter (and a spawned process) finds them by importing
    # mpworkers.alternatives, and __main__ there is another module.
    from mpworkers.alternatives import main as _main

    raise SystemExit(_main())
