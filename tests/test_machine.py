"""Unit tests for mpworkers.machine."""

from __future__ import annotations

import multiprocessing
import os
import platform

import pytest

from mpworkers import machine


def test_usable_cores_is_within_the_machine() -> None:
    cores = machine.usable_cores()
    assert 1 <= cores <= (os.cpu_count() or cores)
    if hasattr(os, "sched_getaffinity"):
        assert cores == len(os.sched_getaffinity(0))


def test_machine_summary_names_what_varies() -> None:
    line = machine.machine_summary()
    assert line.startswith("Measured with ")
    assert platform.python_version() in line
    assert f"{machine.usable_cores()} usable core" in line
    assert multiprocessing.get_start_method() in line


def test_gil_enabled_is_a_bool() -> None:
    assert isinstance(machine.gil_enabled(), bool)


def test_best_time_is_the_minimum_of_several_calls() -> None:
    calls: list[int] = []
    elapsed = machine.best_time(calls.append, 1, repeat=4)
    assert calls == [1, 1, 1, 1]
    assert elapsed >= 0


def test_best_time_validates() -> None:
    with pytest.raises(TypeError, match="callable"):
        machine.best_time(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="repeat"):
        machine.best_time(print, repeat=0)
