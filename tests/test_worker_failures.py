"""Unit tests for mpworkers.worker_failures, in this process and across process boundaries."""

from __future__ import annotations

import logging
import logging.handlers
import multiprocessing
import os
import pickle
import queue
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from multiprocessing.pool import MaybeEncodingError  # type: ignore[attr-defined]
from typing import Any

import pytest

from mpworkers import worker_failures

# A Pool started with fork forks its replacement workers from its own thread, and
# Python 3.12+ warns about fork in a process with threads: the very caveat the
# chapter explains for maxtasksperchild. Expected here, so not shown.
pytestmark = pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded:DeprecationWarning"
)

START_METHODS = [m for m in ("fork", "spawn", "forkserver")
                 if m in multiprocessing.get_all_start_methods()]
POSIX = pytest.mark.skipif(os.name != "posix", reason="signals as on POSIX")


@pytest.fixture(params=START_METHODS)
def ctx(request: pytest.FixtureRequest) -> BaseContext:
    method: str = request.param
    return multiprocessing.get_context(method)


def run_process(ctx: BaseContext, target: Any, *args: Any) -> int | None:
    child = ctx.Process(target=target, args=args)  # type: ignore[attr-defined]
    child.start()
    child.join(timeout=60)
    assert not child.is_alive()
    code: int | None = child.exitcode
    return code


# --- workers that die ------------------------------------------------------------


@pytest.mark.parametrize("bad", ["1", 1.0, True, None])
def test_exit_now_rejects_non_ints(bad: object) -> None:
    with pytest.raises(TypeError, match="code must be an int"):
        worker_failures.exit_now(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, 256])
def test_exit_now_rejects_codes_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError, match="code must be"):
        worker_failures.exit_now(bad)


def test_exit_now_ends_a_process_with_its_code(ctx: BaseContext) -> None:
    assert run_process(ctx, worker_failures.exit_now, 3) == 3


@POSIX
def test_default_kill_signal_is_sigkill_on_posix() -> None:
    assert worker_failures.default_kill_signal() == signal.SIGKILL


@pytest.mark.parametrize("bad", ["9", 9.0, True])
def test_die_by_signal_rejects_non_ints(bad: object) -> None:
    with pytest.raises(TypeError, match="signum must be an int"):
        worker_failures.die_by_signal(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, -9, 100_000])
def test_die_by_signal_rejects_non_signals(bad: int) -> None:
    with pytest.raises(ValueError, match="signum must be"):
        worker_failures.die_by_signal(bad)


@POSIX
def test_die_by_signal_kills_with_sigkill_by_default(ctx: BaseContext) -> None:
    assert run_process(ctx, worker_failures.die_by_signal) == -signal.SIGKILL


@POSIX
def test_die_by_signal_sends_the_signal_given() -> None:
    assert run_process(multiprocessing.get_context("spawn"), worker_failures.die_by_signal,
                       signal.SIGTERM) == -signal.SIGTERM


def test_square_or_exit_squares_other_inputs() -> None:
    assert worker_failures.square_or_exit(4) == 16
    assert worker_failures.square_or_exit(13, fatal=5) == 169


@pytest.mark.parametrize("args", [("4",), (4.0,), (True,), (4, "13")])
def test_square_or_exit_rejects_non_ints(args: tuple[Any, ...]) -> None:
    with pytest.raises(TypeError, match="must be an int"):
        worker_failures.square_or_exit(*args)


def test_square_or_exit_kills_its_process_for_the_fatal_input() -> None:
    spawn = multiprocessing.get_context("spawn")
    assert run_process(spawn, worker_failures.square_or_exit, 13) == 1


def test_raise_system_exit() -> None:
    with pytest.raises(SystemExit) as info:
        worker_failures.raise_system_exit(3)
    assert info.value.code == 3
    with pytest.raises(TypeError, match="code must be an int"):
        worker_failures.raise_system_exit("3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="code must be"):
        worker_failures.raise_system_exit(300)


# --- what the pools make of it ------------------------------------------------------


def test_executor_breaks_when_a_worker_dies(ctx: BaseContext) -> None:
    with ProcessPoolExecutor(1, mp_context=ctx) as executor:
        killed = executor.submit(worker_failures.exit_now, 3)
        try:
            waiting = executor.submit(worker_failures.square_or_exit, 2)
        except BrokenProcessPool:
            pass  # the executor broke before this submit: also right
        else:
            assert isinstance(waiting.exception(timeout=60), BrokenProcessPool)
        assert isinstance(killed.exception(timeout=60), BrokenProcessPool)
        with pytest.raises(BrokenProcessPool):
            executor.submit(worker_failures.square_or_exit, 2)


def test_executor_sends_system_exit_back() -> None:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as executor:
        error = executor.submit(worker_failures.raise_system_exit, 4).exception(timeout=60)
    assert isinstance(error, SystemExit) and error.code == 4


def test_pool_loses_the_tasks_of_dead_workers_and_replaces_them(ctx: BaseContext) -> None:
    with ctx.Pool(1) as pool:
        exited = pool.apply_async(worker_failures.raise_system_exit, (3,))
        killed = pool.apply_async(worker_failures.exit_now, (1,))
        assert pool.apply_async(worker_failures.square_or_exit, (3,)).get(timeout=60) == 9
        assert not exited.ready() and not killed.ready()


# --- a result that does not survive the trip ----------------------------------------


def test_lazy_squares_is_a_generator_that_pickle_refuses() -> None:
    squares = worker_failures.lazy_squares(4)
    with pytest.raises(TypeError, match="cannot pickle 'generator' object"):
        pickle.dumps(squares)
    assert list(squares) == [0, 1, 4, 9]
    assert list(worker_failures.lazy_squares(0)) == []


def test_lazy_squares_validates() -> None:
    with pytest.raises(TypeError, match="n must be an int"):
        worker_failures.lazy_squares(2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n must be >= 0"):
        worker_failures.lazy_squares(-1)


def test_an_unpicklable_result_comes_back_as_an_error(ctx: BaseContext) -> None:
    with ctx.Pool(1) as pool:
        with pytest.raises(MaybeEncodingError, match="cannot pickle 'generator' object"):
            pool.apply_async(worker_failures.lazy_squares, (3,)).get(timeout=60)
        assert pool.apply_async(worker_failures.square_or_exit, (3,)).get(timeout=60) == 9
    with ProcessPoolExecutor(1, mp_context=ctx) as executor:
        error = executor.submit(worker_failures.lazy_squares, 3).exception(timeout=60)
        assert isinstance(error, TypeError)
        assert executor.submit(worker_failures.square_or_exit, 3).result(timeout=60) == 9


# --- a task to cancel or time out -------------------------------------------------------


def test_announce_then_wait_in_this_process() -> None:
    announce: queue.Queue[int] = queue.Queue()
    release = threading.Event()
    release.set()
    assert worker_failures.announce_then_wait(announce, release) == os.getpid()
    assert announce.get_nowait() == os.getpid()
    with pytest.raises(TimeoutError, match="not released within"):
        worker_failures.announce_then_wait(announce, threading.Event(), timeout=0.01)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((object(), threading.Event()), TypeError, "put"),
        ((queue.Queue(), object()), TypeError, "wait"),
        ((queue.Queue(), threading.Event(), "1"), TypeError, "timeout must be a real number"),
        ((queue.Queue(), threading.Event(), 0), ValueError, "timeout must be > 0"),
        ((queue.Queue(), threading.Event(), -1), ValueError, "timeout must be >= 0"),
    ],
)
def test_announce_then_wait_validates(args: tuple[Any, ...], error: type[Exception],
                                      match: str) -> None:
    with pytest.raises(error, match=match):
        worker_failures.announce_then_wait(*args)


def test_announce_then_wait_tells_the_parent_which_worker_runs_it() -> None:
    spawn = multiprocessing.get_context("spawn")
    with spawn.Manager() as manager:
        running, release = manager.Queue(), manager.Event()
        with ProcessPoolExecutor(1, mp_context=spawn) as executor:
            blocker = executor.submit(worker_failures.announce_then_wait, running, release)
            later = executor.submit(worker_failures.square_or_exit, 2)
            pid = running.get(timeout=60)
            assert pid != os.getpid()
            assert blocker.cancel() is False
            release.set()
            assert blocker.result(timeout=60) == pid
            assert later.result(timeout=60) == 4


# --- logging from workers ----------------------------------------------------------------


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def clean_root() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield root
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def test_log_to_queue_in_this_process(clean_root: logging.Logger) -> None:
    records: queue.Queue[logging.LogRecord] = queue.Queue()
    clean_root.addHandler(_Keep())
    worker_failures.log_to_queue(records)
    assert len(clean_root.handlers) == 1
    assert worker_failures.logged_task(3) == 9
    messages = [records.get_nowait().getMessage() for _ in range(worker_failures.RECORDS_PER_TASK)]
    assert messages == ["task 3 started", "task 3 done: 9"]
    assert records.empty()


def test_log_to_queue_validates(clean_root: logging.Logger) -> None:
    before = clean_root.handlers[:]
    with pytest.raises(TypeError, match="put_nowait"):
        worker_failures.log_to_queue(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="level must be an int"):
        worker_failures.log_to_queue(queue.Queue(), "INFO")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="level must be >= 0"):
        worker_failures.log_to_queue(queue.Queue(), -1)
    assert clean_root.handlers == before


def test_logged_task_validates() -> None:
    with pytest.raises(TypeError, match="x must be an int"):
        worker_failures.logged_task(1.5)  # type: ignore[arg-type]


def test_every_record_of_every_worker_reaches_one_listener(ctx: BaseContext) -> None:
    records = ctx.Queue()
    keep = _Keep()
    listener = logging.handlers.QueueListener(records, keep)
    listener.start()
    try:
        with ctx.Pool(2, initializer=worker_failures.log_to_queue,
                      initargs=(records,)) as pool:
            assert pool.map_async(worker_failures.logged_task, range(10), chunksize=1).get(
                timeout=60) == [x * x for x in range(10)]
            pool.close()
            pool.join()
    finally:
        listener.stop()
    assert len(keep.records) == 10 * worker_failures.RECORDS_PER_TASK
    assert {r.name for r in keep.records} == {worker_failures.LOGGER_NAME}
    assert all(r.processName != "MainProcess" for r in keep.records)


# --- a worker that leaks --------------------------------------------------------------------


def test_leak_keeps_what_it_is_given() -> None:
    before = worker_failures.leak(0)[1]
    pid, kept = worker_failures.leak(1)
    assert pid == os.getpid()
    assert kept == before + 1024 == worker_failures.leak(0)[1]
    assert worker_failures.leak(0)[1] == kept


def test_leak_validates() -> None:
    with pytest.raises(TypeError, match="kib must be an int"):
        worker_failures.leak(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kib must be >= 0"):
        worker_failures.leak(-1)


def test_maxtasksperchild_bounds_what_a_leaking_worker_keeps(ctx: BaseContext) -> None:
    # a forked worker starts with what this process has kept (other tests leak a little)
    inherited = worker_failures.leak(0)[1] if ctx.get_start_method() == "fork" else 0
    with ctx.Pool(1, maxtasksperchild=2) as pool:
        outcomes = pool.map_async(worker_failures.leak, [4] * 6, chunksize=1).get(timeout=60)
    assert len({pid for pid, _ in outcomes}) == 3
    assert max(kept for _, kept in outcomes) == inherited + 8 * 1024
