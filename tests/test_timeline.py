"""Tests for mpworkers.timeline: the worker of chapter 7's do-it-yourself timeline."""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest

from mpworkers.timeline import timed_task


def test_timed_task_reports_its_process_and_its_interval() -> None:
    before = time.perf_counter()
    pid, start, end = timed_task(0.002)
    after = time.perf_counter()
    assert pid == os.getpid()
    assert before <= start < end <= after
    assert end - start >= 0.002


def test_zero_seconds_is_an_empty_task() -> None:
    pid, start, end = timed_task(0)
    assert pid == os.getpid() and start <= end


@pytest.mark.parametrize("method", multiprocessing.get_all_start_methods())
def test_a_child_reads_the_parents_clock(method: str) -> None:
    if method not in ("fork", "spawn", "forkserver"):
        pytest.skip(f"not a start method of multiprocessing itself: {method}")
    ctx = multiprocessing.get_context(method)
    before = time.perf_counter()
    with ctx.Pool(1) as pool:
        pid, start, end = pool.apply(timed_task, (0.001,))
    after = time.perf_counter()
    assert pid != os.getpid()
    assert before < start < end < after  # one clock for the parent and its children


@pytest.mark.parametrize("bad", ["1", None, [1]])
def test_rejects_a_duration_that_is_not_a_number(bad: object) -> None:
    with pytest.raises(TypeError, match="seconds"):
        timed_task(bad)  # type: ignore[arg-type]


def test_rejects_a_negative_duration() -> None:
    with pytest.raises(ValueError, match="seconds"):
        timed_task(-0.1)
