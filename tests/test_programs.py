"""Every program file of the book runs under every start method.

The chapters run each ``book/programs/*.py`` once, the way a reader does
(``python NAME.py``, the platform's default start method), and store what it
printed. Readers on macOS and Windows get ``spawn``, and Python 3.14 on Linux
``forkserver``; so this test runs each program under ``fork``, ``spawn`` and
``forkserver`` too. A ``sitecustomize`` module in the program's folder sets the
start method before the program starts (unless the program chooses its own),
and the test checks the exit code: 0, or the code listed in
:data:`EXIT_CODES` with the reason.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).resolve().parent.parent / "book" / "programs"
START_METHODS = [m for m in ("fork", "spawn", "forkserver")
                 if m in multiprocessing.get_all_start_methods()]

# program: {start method: exit code}, for programs that fail on purpose
EXIT_CODES: dict[str, dict[str, int]] = {
    # ends itself with SIGINT, the Ctrl-C demonstration (chapter 12), unless run with --clean
    "ctrl_c_in_a_pool.py": {"fork": -2, "spawn": -2, "forkserver": -2},
    # Pool.__exit__'s terminate() raises AssertionError once the result handler has died
    "unpicklable_exception_in_a_pool.py": {"fork": 1, "spawn": 1, "forkserver": 1},
    # Dask starts its workers with its own spawn: without the guard they fail (chapter 9)
    "dask_cluster_without_guard.py": {"fork": 1, "spawn": 1, "forkserver": 1},
    # a NumPy view used after its shared-memory block was closed: a crash (chapter 10)
    "numpy_view_outlives_close.py": {"fork": -11, "spawn": -11, "forkserver": -11},
    # without the guard, every interpreter re-runs the main file (chapter 13)
    "interpreter_pool_without_guard.py": {"fork": 1, "spawn": 1, "forkserver": 1},
}
# programs that take arguments or input to run: program -> arguments
ARGUMENTS: dict[str, list[str]] = {}
# programs that only run on a newer Python: program -> (major, minor)
NEEDS_PYTHON: dict[str, tuple[int, int]] = {
    "fork_while_a_subinterpreter_exists.py": (3, 14),
    "interpreter_pool_with_guard.py": (3, 14),
    "interpreter_pool_without_guard.py": (3, 14),
}

SITECUSTOMIZE = """\
import multiprocessing, os
_method = os.environ.get("MPCOURSE_PROGRAM_START_METHOD")
if _method and multiprocessing.get_start_method(allow_none=True) is None:
    multiprocessing.set_start_method(_method)
"""


def programs() -> list[str]:
    return sorted(p.name for p in PROGRAMS.glob("*.py"))


def chooses_its_own_start_method(text: str) -> bool:
    return "set_start_method(" in text or "get_context(" in text


@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize("name", programs())
def test_program_runs_under_each_start_method(name: str, method: str, tmp_path: Path) -> None:
    needs = NEEDS_PYTHON.get(name)
    if needs and sys.version_info[:2] < needs:
        pytest.skip(f"needs Python {needs[0]}.{needs[1]}")
    text = (PROGRAMS / name).read_text(encoding="utf-8")
    if chooses_its_own_start_method(text) and method != START_METHODS[0]:
        pytest.skip("the program chooses its own start method")
    shutil.copy(PROGRAMS / name, tmp_path / name)
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    env = dict(os.environ, MPCOURSE_PROGRAM_START_METHOD=method, PYTHONUNBUFFERED="1",
               PYTHONPATH=os.pathsep.join(
                   [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])]))
    done = subprocess.run([sys.executable, name, *ARGUMENTS.get(name, [])], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    expected = EXIT_CODES.get(name, {}).get(method, 0)
    assert done.returncode == expected, (
        f"{name} under {method}: exit code {done.returncode}, expected {expected}\n"
        f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}")


def test_the_start_method_is_really_set(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import multiprocessing\nprint(multiprocessing.get_start_method())\n",
                     encoding="utf-8")
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    env = dict(os.environ, MPCOURSE_PROGRAM_START_METHOD="spawn", PYTHONPATH=str(tmp_path))
    done = subprocess.run([sys.executable, str(probe)], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout == "spawn\n"
