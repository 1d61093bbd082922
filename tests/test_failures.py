"""Unit tests for mpworkers.failures, in this process and across process boundaries."""

from __future__ import annotations

import logging
import logging.handlers
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from multiprocessing.pool import MaybeEncodingError  # type: ignore[attr-defined]
from typing import Any

import pytest

from mpworkers import failures
from mpworkers.lab.scripts import run_script

# A Pool started with fork forks its replacement workers from its own thread, and
# Python 3.12+ warns about fork in a process with threads: the very caveat the
# chapter explains for maxtasksperchild. Expected here, so not shown.
pytestmark = pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded:DeprecationWarning"
)

START_METHODS = [m for m in ("fork", "spawn", "forkserver")
                 if m in multiprocessing.get_all_start_methods()]
POSIX = pytest.mark.skipif(os.name != "posix", reason="signals as on POSIX")
LINUX = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="USS and fork on Linux")


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
        failures.exit_now(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, 256])
def test_exit_now_rejects_codes_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError, match="code must be"):
        failures.exit_now(bad)


def test_exit_now_ends_a_process_with_its_code(ctx: BaseContext) -> None:
    assert run_process(ctx, failures.exit_now, 3) == 3


@POSIX
def test_default_kill_signal_is_sigkill_on_posix() -> None:
    assert failures.default_kill_signal() == signal.SIGKILL


@pytest.mark.parametrize("bad", ["9", 9.0, True])
def test_die_by_signal_rejects_non_ints(bad: object) -> None:
    with pytest.raises(TypeError, match="signum must be an int"):
        failures.die_by_signal(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, -9, 100_000])
def test_die_by_signal_rejects_non_signals(bad: int) -> None:
    with pytest.raises(ValueError, match="signum must be"):
        failures.die_by_signal(bad)


@POSIX
def test_die_by_signal_kills_with_sigkill_by_default(ctx: BaseContext) -> None:
    assert run_process(ctx, failures.die_by_signal) == -signal.SIGKILL


@POSIX
def test_die_by_signal_sends_the_signal_given() -> None:
    assert run_process(multiprocessing.get_context("spawn"), failures.die_by_signal,
                       signal.SIGTERM) == -signal.SIGTERM


def test_square_or_exit_squares_other_inputs() -> None:
    assert failures.square_or_exit(4) == 16
    assert failures.square_or_exit(13, fatal=5) == 169


@pytest.mark.parametrize("args", [("4",), (4.0,), (True,), (4, "13")])
def test_square_or_exit_rejects_non_ints(args: tuple[Any, ...]) -> None:
    with pytest.raises(TypeError, match="must be an int"):
        failures.square_or_exit(*args)


def test_square_or_exit_kills_its_process_for_the_fatal_input() -> None:
    assert run_process(multiprocessing.get_context("spawn"), failures.square_or_exit, 13) == 1


def test_raise_system_exit() -> None:
    with pytest.raises(SystemExit) as info:
        failures.raise_system_exit(3)
    assert info.value.code == 3
    with pytest.raises(TypeError, match="code must be an int"):
        failures.raise_system_exit("3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="code must be"):
        failures.raise_system_exit(300)


def test_fail_in_initializer_announces_then_raises() -> None:
    announce: queue.Queue[int] = queue.Queue()
    with pytest.raises(RuntimeError, match="^no database$"):
        failures.fail_in_initializer(announce, "no database")
    assert announce.get_nowait() == os.getpid()
    with pytest.raises(RuntimeError, match="cannot start"):
        failures.fail_in_initializer()


def test_fail_in_initializer_validates() -> None:
    with pytest.raises(TypeError, match="put"):
        failures.fail_in_initializer(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="message must be a str"):
        failures.fail_in_initializer(None, 42)  # type: ignore[arg-type]


# --- what the pools make of it ------------------------------------------------------


def test_executor_breaks_when_a_worker_dies(ctx: BaseContext) -> None:
    with ProcessPoolExecutor(1, mp_context=ctx) as executor:
        killed = executor.submit(failures.exit_now, 3)
        try:
            waiting = executor.submit(failures.square_or_exit, 2)
        except BrokenProcessPool:
            pass  # the executor broke before this submit: also right
        else:
            assert isinstance(waiting.exception(timeout=60), BrokenProcessPool)
        assert isinstance(killed.exception(timeout=60), BrokenProcessPool)
        with pytest.raises(BrokenProcessPool):
            executor.submit(failures.square_or_exit, 2)


def test_executor_sends_system_exit_back() -> None:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as executor:
        error = executor.submit(failures.raise_system_exit, 4).exception(timeout=60)
    assert isinstance(error, SystemExit) and error.code == 4


def test_pool_loses_the_tasks_of_dead_workers_and_replaces_them(ctx: BaseContext) -> None:
    with ctx.Pool(1) as pool:
        exited = pool.apply_async(failures.raise_system_exit, (3,))
        killed = pool.apply_async(failures.exit_now, (1,))
        assert pool.apply_async(failures.square_or_exit, (3,)).get(timeout=60) == 9
        assert not exited.ready() and not killed.ready()


def test_pool_restarts_workers_whose_initializer_fails(
    ctx: BaseContext, capfd: pytest.CaptureFixture[str]
) -> None:
    attempts = ctx.Queue()
    with ctx.Pool(1, initializer=failures.fail_in_initializer,
                  initargs=(attempts,)) as pool:
        task = pool.apply_async(failures.square_or_exit, (3,))
        assert len({attempts.get(timeout=60) for _ in range(3)}) == 3
        assert not task.ready()
    capfd.readouterr()  # the dead workers' tracebacks


def test_executor_breaks_when_its_initializer_fails(capfd: pytest.CaptureFixture[str]) -> None:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                             initializer=failures.fail_in_initializer) as executor:
        error = executor.submit(failures.square_or_exit, 3).exception(timeout=60)
    assert isinstance(error, BrokenProcessPool)
    assert "Exception in initializer" in capfd.readouterr().err


# --- results and exceptions that do not survive the trip ------------------------------


def test_lazy_squares_is_a_generator_that_pickle_refuses() -> None:
    squares = failures.lazy_squares(4)
    with pytest.raises(TypeError, match="cannot pickle 'generator' object"):
        pickle.dumps(squares)
    assert list(squares) == [0, 1, 4, 9]
    assert list(failures.lazy_squares(0)) == []


def test_lazy_squares_validates() -> None:
    with pytest.raises(TypeError, match="n must be an int"):
        failures.lazy_squares(2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n must be >= 0"):
        failures.lazy_squares(-1)


def test_an_unpicklable_result_comes_back_as_an_error(ctx: BaseContext) -> None:
    with ctx.Pool(1) as pool:
        with pytest.raises(MaybeEncodingError, match="cannot pickle 'generator' object"):
            pool.apply_async(failures.lazy_squares, (3,)).get(timeout=60)
        assert pool.apply_async(failures.square_or_exit, (3,)).get(timeout=60) == 9
    with ProcessPoolExecutor(1, mp_context=ctx) as executor:
        error = executor.submit(failures.lazy_squares, 3).exception(timeout=60)
        assert isinstance(error, TypeError)
        assert executor.submit(failures.square_or_exit, 3).result(timeout=60) == 9


def test_code_error_cannot_be_rebuilt_from_its_pickle() -> None:
    # in a fresh interpreter: importing dask (another test file does) installs
    # tblib's pickling support, which rebuilds any exception from its __dict__
    code = (
        "import pickle\n"
        "from mpworkers import failures\n"
        "data = pickle.dumps(failures.CodeError('quota exceeded', 429))\n"
        "try:\n"
        "    pickle.loads(data)\n"
        "except TypeError as exc:\n"
        "    print('TypeError', 'code' in str(exc))\n"
    )
    done = run_script(code)
    assert (done.returncode, done.stdout) == (0, "TypeError True\n"), done.stderr


def test_picklable_code_error_survives_pickle() -> None:
    again = pickle.loads(pickle.dumps(failures.PicklableCodeError("quota exceeded", 429)))
    assert isinstance(again, failures.PicklableCodeError)
    assert (again.message, again.code) == ("quota exceeded", 429)
    assert str(again) == "quota exceeded (code 429)"


def test_fail_with_code() -> None:
    with pytest.raises(failures.CodeError) as info:
        failures.fail_with_code(429)
    assert info.value.code == 429
    with pytest.raises(failures.PicklableCodeError):
        failures.fail_with_code(429, True)
    with pytest.raises(TypeError, match="code must be an int"):
        failures.fail_with_code("429")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="picklable must be a bool"):
        failures.fail_with_code(429, 1)  # type: ignore[arg-type]


def test_an_unpicklable_exception_breaks_the_executor() -> None:
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as executor:
        broken = executor.submit(failures.fail_with_code, 429).exception(timeout=60)
    assert isinstance(broken, BrokenProcessPool)
    assert "TypeError" in str(broken.__cause__)
    with ProcessPoolExecutor(1, mp_context=spawn) as executor:
        fixed = executor.submit(failures.fail_with_code, 429, True).exception(timeout=60)
    assert isinstance(fixed, failures.PicklableCodeError) and fixed.code == 429


# --- tasks to cancel, time out and interrupt ----------------------------------------------


def test_announce_then_wait_in_this_process() -> None:
    announce: queue.Queue[int] = queue.Queue()
    release = threading.Event()
    release.set()
    assert failures.announce_then_wait(announce, release) == os.getpid()
    assert announce.get_nowait() == os.getpid()
    with pytest.raises(TimeoutError, match="not released within"):
        failures.announce_then_wait(announce, threading.Event(), timeout=0.01)


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
        failures.announce_then_wait(*args)


def test_announce_then_wait_tells_the_parent_which_worker_runs_it() -> None:
    spawn = multiprocessing.get_context("spawn")
    with spawn.Manager() as manager:
        running, release = manager.Queue(), manager.Event()
        with ProcessPoolExecutor(1, mp_context=spawn) as executor:
            blocker = executor.submit(failures.announce_then_wait, running, release)
            later = executor.submit(failures.square_or_exit, 2)
            pid = running.get(timeout=60)
            assert pid != os.getpid()
            assert blocker.cancel() is False
            release.set()
            assert blocker.result(timeout=60) == pid
            assert later.result(timeout=60) == 4


def test_wait_for_interrupt_validates() -> None:
    with pytest.raises(TypeError, match="put"):
        failures.wait_for_interrupt(object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout must be > 0"):
        failures.wait_for_interrupt(queue.Queue(), 0)


@POSIX
def test_wait_for_interrupt_cleans_up_on_sigint(ctx: BaseContext) -> None:
    report = ctx.Queue()
    child = ctx.Process(target=failures.wait_for_interrupt, args=(report,))  # type: ignore[attr-defined]
    child.start()
    assert report.get(timeout=60) == "ready"
    os.kill(child.pid, signal.SIGINT)
    # long before the child's own timeout of 30 s: the interrupt was not held
    # back until the end of one long sleep
    assert report.get(timeout=15) == "cleaned up"
    child.join(timeout=60)
    assert child.exitcode == 0


def test_wait_for_interrupt_times_out() -> None:
    spawn = multiprocessing.get_context("spawn")
    report = spawn.Queue()
    child = spawn.Process(target=failures.wait_for_interrupt, args=(report, 0.01))
    child.start()
    assert [report.get(timeout=60) for _ in range(2)] == ["ready", "timed out"]
    child.join(timeout=60)
    assert child.exitcode == 0


def test_init_interruptible_validates() -> None:
    with pytest.raises(TypeError, match="put"):
        failures.init_interruptible(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="ignore_sigint must be a bool"):
        failures.init_interruptible(queue.Queue(), 1)  # type: ignore[arg-type]


def test_announce_then_sleep() -> None:
    assert failures.announce_then_sleep(0) == 0
    with pytest.raises(TypeError, match="seconds must be a real number"):
        failures.announce_then_sleep("1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seconds must be >= 0"):
        failures.announce_then_sleep(-1)


@POSIX
def test_workers_set_up_to_ignore_sigint_survive_it(ctx: BaseContext) -> None:
    started = ctx.Queue()
    with ctx.Pool(1, initializer=failures.init_interruptible,
                  initargs=(started, True)) as pool:
        assert pool.apply_async(failures.announce_then_sleep, (0,)).get(timeout=60) == 0
        worker = started.get(timeout=60)
        os.kill(worker, signal.SIGINT)
        assert pool.apply_async(failures.announce_then_sleep, (0,)).get(timeout=60) == 0
        assert started.get(timeout=60) == worker  # the same process: it ignored SIGINT


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
    failures.log_to_queue(records)
    assert len(clean_root.handlers) == 1
    assert failures.logged_task(3) == 9
    messages = [records.get_nowait().getMessage() for _ in range(failures.RECORDS_PER_TASK)]
    assert messages == ["task 3 started", "task 3 done: 9"]
    assert records.empty()


def test_log_to_queue_validates(clean_root: logging.Logger) -> None:
    before = clean_root.handlers[:]
    with pytest.raises(TypeError, match="put_nowait"):
        failures.log_to_queue(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="level must be an int"):
        failures.log_to_queue(queue.Queue(), "INFO")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="level must be >= 0"):
        failures.log_to_queue(queue.Queue(), -1)
    assert clean_root.handlers == before


def test_logged_task_validates() -> None:
    with pytest.raises(TypeError, match="x must be an int"):
        failures.logged_task(1.5)  # type: ignore[arg-type]


def test_every_record_of_every_worker_reaches_one_listener(ctx: BaseContext) -> None:
    records = ctx.Queue()
    keep = _Keep()
    listener = logging.handlers.QueueListener(records, keep)
    listener.start()
    try:
        with ctx.Pool(2, initializer=failures.log_to_queue,
                      initargs=(records,)) as pool:
            assert pool.map_async(failures.logged_task, range(10), chunksize=1).get(
                timeout=60) == [x * x for x in range(10)]
            pool.close()
            pool.join()
    finally:
        listener.stop()
    assert len(keep.records) == 10 * failures.RECORDS_PER_TASK
    assert {r.name for r in keep.records} == {failures.LOGGER_NAME}
    assert all(r.processName != "MainProcess" for r in keep.records)


# --- memory ---------------------------------------------------------------------------------


def test_hold_and_release_objects() -> None:
    try:
        assert failures.hold_objects(5) == 5
        assert failures.held_count() == 5
    finally:
        assert failures.release_objects() == 5
    assert failures.held_count() == 0


def test_hold_objects_validates() -> None:
    with pytest.raises(TypeError, match="n must be an int"):
        failures.hold_objects("5")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n must be >= 0"):
        failures.hold_objects(-5)


def test_unique_memory_is_positive() -> None:
    assert failures.unique_memory() > 0


def test_unshared_by_validates() -> None:
    with pytest.raises(TypeError, match="action must be a str"):
        failures.unshared_by(1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="action must be one of"):
        failures.unshared_by("write")


def test_unshared_by_keeps_the_collector_as_it_was() -> None:
    assert failures.unshared_by("nothing") >= 0
    assert failures.unshared_by("collect") >= 0
    assert failures.unshared_by("read") >= 0


@LINUX
def test_reading_inherited_objects_copies_their_pages() -> None:
    fork = multiprocessing.get_context("fork")
    failures.hold_objects(100_000)
    try:
        with fork.Pool(1) as pool:
            assert pool.apply_async(failures.held_count).get(timeout=60) == 100_000
            read = pool.apply_async(failures.unshared_by, ("read",)).get(timeout=60)
        with fork.Pool(1) as pool:
            nothing = pool.apply_async(failures.unshared_by, ("nothing",)).get(timeout=60)
    finally:
        failures.release_objects()
    assert read > 4_000_000  # 100 000 lists take about 10 MB
    assert nothing < read / 4


def test_spawn_workers_do_not_inherit_held_objects() -> None:
    failures.hold_objects(10)
    try:
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            assert pool.apply_async(failures.held_count).get(timeout=60) == 0
    finally:
        failures.release_objects()


def test_leak_keeps_what_it_is_given() -> None:
    before = failures.leaked_bytes()
    pid, kept = failures.leak(1)
    assert pid == os.getpid()
    assert kept == before + 1024 == failures.leaked_bytes()
    assert failures.leak(0)[1] == kept


def test_leak_validates() -> None:
    with pytest.raises(TypeError, match="kib must be an int"):
        failures.leak(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kib must be >= 0"):
        failures.leak(-1)


def test_maxtasksperchild_bounds_what_a_leaking_worker_keeps(ctx: BaseContext) -> None:
    # a forked worker starts with what this process has kept (other tests leak a little)
    inherited = failures.leaked_bytes() if ctx.get_start_method() == "fork" else 0
    with ctx.Pool(1, maxtasksperchild=2) as pool:
        outcomes = pool.map_async(failures.leak, [4] * 6, chunksize=1).get(timeout=60)
    assert len({pid for pid, _ in outcomes}) == 3
    assert max(kept for _, kept in outcomes) == inherited + 8 * 1024
