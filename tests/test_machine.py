"""Unit tests for mpworkers.machine."""

from __future__ import annotations

import multiprocessing
import os
import platform

import pytest

from mpworkers import machine
from mpworkers.cpus import effective_cpus
from mpworkers.scripts import run_script


def test_usable_cores_is_within_the_machine() -> None:
    cores = machine.usable_cores()
    assert cores == effective_cpus().count
    assert 1 <= cores <= (os.cpu_count() or cores)
    if hasattr(os, "sched_getaffinity"):
        assert cores <= len(os.sched_getaffinity(0))


def test_machine_summary_names_what_varies() -> None:
    line = machine.machine_summary()
    assert line.startswith("Measured with ")
    assert platform.python_version() in line
    assert effective_cpus().describe() in line
    assert machine.default_start_method() in line


def test_machine_summary_changes_no_state() -> None:
    # run in a fresh interpreter: this one may have fixed its context already
    code = (
        "import multiprocessing, mpworkers\n"
        "mpworkers.machine_summary()\n"
        "assert multiprocessing.get_start_method(allow_none=True) is None\n"
        "multiprocessing.set_start_method('spawn')\n"
        "print(mpworkers.machine.default_start_method())\n"
    )
    done = run_script(code)
    assert (done.returncode, done.stdout, done.stderr) == (0, "spawn\n", "")


def test_default_start_method_is_the_platforms() -> None:
    method = machine.default_start_method()
    assert method in multiprocessing.get_all_start_methods()
    assert method == (multiprocessing.get_start_method(allow_none=True)
                      or multiprocessing.get_all_start_methods()[0])


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
