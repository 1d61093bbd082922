"""Unit tests for mpworkers.lab.machine."""

from __future__ import annotations

import multiprocessing
import os
import platform
import sys
import sysconfig
from pathlib import Path

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


def test_machine_info_describes_the_machine() -> None:
    info = machine.machine_info()
    assert isinstance(info.cpu_model, str) and info.cpu_model
    assert 1 <= info.usable_cores <= info.visible_cpus
    assert info.start_method in info.start_methods
    assert list(info.start_methods) == [m for m in multiprocessing.get_all_start_methods()
                                        if m in ("fork", "spawn", "forkserver")]
    assert info.summary == machine.machine_summary()
    assert info.free_threaded_build is machine.free_threaded_build()
    assert set(info.libraries) == {"loky", "joblib", "mpire"}
    assert info.physical_cores is None or info.physical_cores >= 1


def test_machine_info_leaves_the_start_method_unset() -> None:
    code = ("import multiprocessing; from mpworkers.lab import machine; machine.machine_info(); "
            "print(multiprocessing.get_start_method(allow_none=True))")
    done = run_script(code)
    assert (done.returncode, done.stdout) == (0, "None\n"), done.stderr


def _fake_topology(root: Path, siblings: dict[int, str]) -> None:
    for cpu, text in siblings.items():
        folder = root / f"sys/devices/system/cpu/cpu{cpu}/topology"
        folder.mkdir(parents=True)
        (folder / "thread_siblings_list").write_text(text + "\n", encoding="utf-8")


def test_cpu_topology_finds_smt_siblings(tmp_path: Path) -> None:
    _fake_topology(tmp_path, {0: "0,2", 1: "1,3", 2: "0,2", 3: "1,3"})
    both = machine.cpu_topology([0, 2], root=tmp_path)
    assert both.smt_siblings is True and both.thread_siblings == ("0,2",)
    apart = machine.cpu_topology([0, 1], root=tmp_path)
    assert apart.smt_siblings is False and apart.thread_siblings == ("0,2", "1,3")


def test_cpu_topology_reads_ranges(tmp_path: Path) -> None:
    _fake_topology(tmp_path, {0: "0-1", 1: "0-1"})
    assert machine.cpu_topology([0, 1], root=tmp_path).smt_siblings is True
    assert machine.cpu_topology([1], root=tmp_path).smt_siblings is False


@pytest.mark.parametrize("text", ["", "zero", "3-1", "-1", "0-"])
def test_cpu_topology_unreadable_is_unknown(tmp_path: Path, text: str) -> None:
    _fake_topology(tmp_path, {0: text})
    topology = machine.cpu_topology([0], root=tmp_path)
    assert topology.smt_siblings is None and topology.thread_siblings == ()


def test_cpu_topology_without_sys_is_unknown(tmp_path: Path) -> None:
    assert machine.cpu_topology([0, 1], root=tmp_path).smt_siblings is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("flags\t\t: fpu vme hypervisor lahf_lm\n", True), ("flags\t: fpu vme\n", False),
     ("Hardware\t: BCM2835\n", None)],
)
def test_virtual_machine_reads_the_cpu_flags(
    tmp_path: Path, text: str, expected: bool | None
) -> None:
    path = tmp_path / "cpuinfo"
    path.write_text("processor\t: 0\n" + text, encoding="utf-8")
    assert machine._virtual_machine(path) is expected
    assert machine._virtual_machine(tmp_path / "missing") is None


def test_free_threaded_build_reads_the_build_configuration() -> None:
    assert machine.free_threaded_build() is bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def test_library_versions() -> None:
    import importlib.metadata

    found = machine.library_versions(["psutil", "no-such-distribution-here"])
    assert found == {"psutil": importlib.metadata.version("psutil"),
                     "no-such-distribution-here": None}
    for bad in ["numpy", 3, [3]]:
        with pytest.raises(TypeError):
            machine.library_versions(bad)  # type: ignore[arg-type]
