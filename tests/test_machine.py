"""Unit tests for mpworkers.lab.machine."""

from __future__ import annotations

import os
import platform
import sys
import sysconfig

import pytest

from mpworkers.lab import machine
from mpworkers.lab.cpus import effective_cpus
from mpworkers.lab.scripts import run_script


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
        "import multiprocessing, mpworkers.lab\n"
        "mpworkers.lab.machine_summary()\n"
        "assert multiprocessing.get_start_method(allow_none=True) is None\n"
        "multiprocessing.set_start_method('spawn')\n"
        "print(mpworkers.lab.machine.default_start_method())\n"
    )
    done = run_script(code)
    assert (done.returncode, done.stdout, done.stderr) == (0, "spawn\n", "")


def test_default_start_method_is_the_platforms_documented_default() -> None:
    # in a fresh interpreter, where nothing has chosen a method yet
    done = run_script("import mpworkers.lab.machine as m\nprint(m.default_start_method())\n")
    if sys.platform in ("darwin", "win32"):
        expected = "spawn"
    else:
        expected = "forkserver" if sys.version_info >= (3, 14) else "fork"
    assert (done.returncode, done.stdout) == (0, f"{expected}\n"), done.stderr


def test_default_start_method_follows_a_chosen_one() -> None:
    done = run_script("import multiprocessing, mpworkers.lab.machine as m\n"
                      "multiprocessing.set_start_method('spawn')\n"
                      "print(m.default_start_method())\n")
    assert (done.returncode, done.stdout) == (0, "spawn\n"), done.stderr


def test_gil_enabled_says_what_the_interpreter_says() -> None:
    expected = sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True
    assert machine.gil_enabled() is expected
    if not sysconfig.get_config_var("Py_GIL_DISABLED"):
        assert machine.gil_enabled() is True  # a default build always has its GIL


def test_best_time_is_the_minimum_of_several_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    # a fake clock: the calls take 3, 1 and 2 seconds
    ticks = iter([0.0, 3.0, 10.0, 11.0, 20.0, 22.0])
    monkeypatch.setattr(machine.time, "perf_counter", lambda: next(ticks))  # type: ignore[attr-defined]
    calls: list[int] = []
    assert machine.best_time(calls.append, 1, repeat=3) == 1.0
    assert calls == [1, 1, 1]


def test_best_time_validates() -> None:
    with pytest.raises(TypeError, match="callable"):
        machine.best_time(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="repeat"):
        machine.best_time(print, repeat=0)
