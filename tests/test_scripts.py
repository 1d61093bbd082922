"""Unit tests for mpworkers.lab.scripts."""

from __future__ import annotations

import multiprocessing
import subprocess

import pytest

import mpworkers
from mpworkers.lab import scripts


def test_run_script_captures_output_and_return_code() -> None:
    result = scripts.run_script(
        """
        import sys
        print("out", sys.argv[1:])
        print("err", file=sys.stderr)
        sys.exit(3)
        """,
        args=["a", "b"],
    )
    assert result.returncode == 3
    assert result.stdout == "out ['a', 'b']\n"
    assert result.stderr == "err\n"


def test_run_script_hides_its_temporary_folder_and_imports_mpworkers() -> None:
    result = scripts.run_script(
        "import os, mpworkers\nprint(os.getcwd())\n"
        "print(mpworkers.square(3))\nraise ValueError('x')"
    )
    assert result.stdout == "<tmp>\n9\n"
    assert 'File "<tmp>/script.py", line 4' in result.stderr
    assert result.last_error_line == "ValueError: x"


def test_run_script_guarded_program_with_spawn() -> None:
    result = scripts.run_script(
        """
        import multiprocessing, mpworkers
        if __name__ == "__main__":
            with multiprocessing.get_context("spawn").Pool(2) as pool:
                print(pool.map(mpworkers.square, [1, 2, 3]))
        """
    )
    assert (result.returncode, result.stdout) == (0, "[1, 4, 9]\n")


def test_run_script_output_is_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # as inside a Jupyter kernel
    result = scripts.run_script("import os, sys\nprint(os.environ.get('NO_COLOR'))\n1 / 0")
    assert result.stdout == "1\n"
    assert "\x1b" not in result.stderr
    assert result.last_error_line == "ZeroDivisionError: division by zero"


def test_capture_child_output_strips_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    ctx = multiprocessing.get_context("spawn")
    with scripts.capture_child_output() as captured:
        child = ctx.Process(target=mpworkers.square, args=("x",))
        child.start()
        child.join()
    assert "\x1b" not in captured.stderr
    assert captured.last_error_line.startswith("TypeError:")


def test_run_script_timeout() -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        scripts.run_script("import threading\nthreading.Event().wait()", timeout=1)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"source": 1}, TypeError),
        ({"source": "", "name": "x.txt"}, ValueError),
        ({"source": "", "name": "a/b.py"}, ValueError),
        ({"source": "", "args": "abc"}, TypeError),
        ({"source": "", "args": [1]}, TypeError),
        ({"source": "", "timeout": 0}, ValueError),
        ({"source": "", "python_options": "-W default"}, TypeError),
        ({"source": "", "python_options": ["-X", 1]}, TypeError),
        ({"source": "", "env": [("A", "1")]}, TypeError),
        ({"source": "", "env": {"A": 1}}, TypeError),
        ({"source": "", "env": {1: "1"}}, TypeError),
        ({"source": "", "env": {"": "1"}}, ValueError),
        ({"source": "", "env": {"A=B": "1"}}, ValueError),
    ],
)
def test_run_script_validates(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        scripts.run_script(**kwargs)  # type: ignore[arg-type]


def test_capture_child_output_collects_what_a_spawn_child_writes() -> None:
    ctx = multiprocessing.get_context("spawn")
    with scripts.capture_child_output() as captured:
        child = ctx.Process(target=mpworkers.square, args=("not a number",))
        child.start()
        child.join()
    assert child.exitcode == 1
    assert captured.last_error_line.startswith("TypeError: x must be a real number")
    assert captured.stdout == ""


def test_run_script_passes_python_options_before_the_script() -> None:
    source = "import sys\nprint(sys.flags.optimize, sys._xoptions.get('mark'), sys.argv[1:])"
    result = scripts.run_script(source, python_options=["-O", "-X", "mark=1"], args=["-O"])
    assert result.stdout == "1 1 ['-O']\n"


def test_run_script_adds_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPWORKERS_TEST_KEPT", "kept")
    source = "import os\nprint(os.environ['MPWORKERS_TEST_KEPT'], os.environ['ADDED'])"
    result = scripts.run_script(source, env={"ADDED": "added"})
    assert result.stdout == "kept added\n"
    # the variables that keep the output plain win over the caller's
    result = scripts.run_script("import os\nprint(os.environ['NO_COLOR'])", env={"NO_COLOR": ""})
    assert result.stdout == "1\n"


def test_run_script_warnings_option_shows_a_hidden_deprecation_warning() -> None:
    source = """
        import warnings
        import email  # any module other than __main__

        warnings.warn_explicit("old", DeprecationWarning, "x.py", 1, module="email")
        print("done")
        """
    assert "DeprecationWarning" not in scripts.run_script(source).stderr
    shown = scripts.run_script(source, python_options=["-W", "default"])
    assert "DeprecationWarning: old" in shown.stderr
