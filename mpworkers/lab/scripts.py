"""Run example programs the way a reader runs them: as scripts.

A notebook is not a script. Its ``__name__`` is always ``"__main__"``, and a
child process started with ``spawn`` or ``forkserver`` cannot import the
functions defined in its cells. To show a program from the course exactly as
it behaves in a ``.py`` file, :func:`run_script` writes it to a temporary
folder and runs it with a fresh interpreter.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from mpworkers._validate import check_real, check_str

__all__ = ["ScriptResult", "run_script", "CapturedOutput", "capture_child_output"]

# Colour and other terminal escape sequences (Python 3.13+ colours tracebacks
# when FORCE_COLOR is set, as it is inside a Jupyter kernel).
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Variables that make Python and other tools write colour even to a pipe.
_FORCE_COLOUR = ("FORCE_COLOR", "CLICOLOR_FORCE", "PYTHON_COLORS")


def _plain(text: str) -> str:
    return _ANSI_ESCAPE.sub("", text)


@dataclass(frozen=True)
class ScriptResult:
    """What a script run produced: its exit code and its two output streams.

    The temporary folder the script ran in is replaced by ``<tmp>`` in both
    streams, so tracebacks show the same text on every machine.
    """

    returncode: int
    stdout: str
    stderr: str

    @property
    def last_error_line(self) -> str:
        """The last non-empty line of stderr (for a traceback, the exception line)."""
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""


# Over 60 lines only for its docstring, which documents each option; the code is 34 lines.
def run_script(
    source: str,
    *,
    args: Sequence[str] = (),
    name: str = "script.py",
    timeout: float = 60.0,
    python_options: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> ScriptResult:
    """Write ``source`` to a temporary folder as ``name`` and run it with this Python.

    The script runs in a fresh interpreter of the same environment (so it can
    import ``mpworkers``), with the temporary folder as its working directory.
    It gets the platform's default start method, exactly as when a reader
    runs ``python script.py``, but with colour turned off (``NO_COLOR=1``), so
    that its output is plain text everywhere. The folder is deleted afterwards.

    >>> run_script("print(6 * 7)").stdout
    '42\\n'
    >>> run_script("import os; print(os.environ['GREETING'])", env={"GREETING": "hi"}).stdout
    'hi\\n'

    Args:
        source: the program's text; common leading indentation is removed.
        args: command-line arguments for the script.
        name: the file name to write, ending in ``.py``.
        timeout: seconds after which the script is killed and
            :class:`subprocess.TimeoutExpired` is raised.
        python_options: options for the interpreter itself, placed before the
            script's name, as in ``python -W default script.py``:
            ``["-W", "default"]`` or ``["-X", "cpu_count=1"]``.
        env: environment variables to set for the script, on top of this
            process's environment (``{"PYTHON_CPU_COUNT": "1"}``).

    Raises:
        TypeError: if ``source`` or ``name`` is not a str, ``args`` or
            ``python_options`` holds a non-str, or ``env`` is not a mapping of
            str to str.
        ValueError: if ``name`` is not a plain ``.py`` file name, ``timeout`` <= 0,
            or an environment variable's name is empty or contains ``=``.
    """
    check_str("source", source)
    check_str("name", name)
    if not name.endswith(".py") or os.sep in name or (os.altsep and os.altsep in name):
        raise ValueError(f"name must be a plain file name ending in .py, got {name!r}")
    if isinstance(args, str) or not all(isinstance(a, str) for a in args):
        raise TypeError("args must be a sequence of str")
    if isinstance(python_options, str) or not all(isinstance(o, str) for o in python_options):
        raise TypeError("python_options must be a sequence of str, e.g. ['-W', 'default']")
    check_real("timeout", timeout, minimum=0.0)
    if timeout == 0:
        raise ValueError("timeout must be > 0")
    extra = _check_env(env)

    variables = {k: v for k, v in os.environ.items() if k not in _FORCE_COLOUR}
    variables.update(extra)
    variables.update(PYTHONUNBUFFERED="1", NO_COLOR="1")
    with tempfile.TemporaryDirectory(prefix="mpcourse-") as folder:
        path = os.path.join(folder, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(source))
        proc = subprocess.run(
            [sys.executable, *python_options, name, *args],
            cwd=folder,
            env=variables,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        real = os.path.realpath(folder)

    def clean(text: str) -> str:
        return _plain(text).replace(real, "<tmp>").replace(folder, "<tmp>")

    return ScriptResult(proc.returncode, clean(proc.stdout), clean(proc.stderr))


def _check_env(env: Mapping[str, str] | None) -> dict[str, str]:
    if env is None:
        return {}
    if not isinstance(env, Mapping):
        raise TypeError(f"env must be a mapping of variable names to values, got {env!r}")
    for key, value in env.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"env must map str to str, got {key!r}: {value!r}")
        if not key or "=" in key:
            raise ValueError(f"{key!r} is not a valid environment variable name")
    return dict(env)


@dataclass
class CapturedOutput:
    """Text that child processes wrote to file descriptors 1 and 2."""

    stdout: str = ""
    stderr: str = field(default="")

    @property
    def last_error_line(self) -> str:
        """The last non-empty line written to stderr."""
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""


@contextlib.contextmanager
def capture_child_output() -> Iterator[CapturedOutput]:
    """Capture what child processes started inside the block write to stdout and stderr.

    It points file descriptors 1 and 2 of this process at temporary files for
    the duration of the block; children started with ``fork`` or ``spawn``
    inherit them, and what they wrote is available on the yielded object once
    the block ends. Children started by the ``forkserver`` inherit the fork
    server's descriptors instead, so use an explicit ``fork`` or ``spawn``
    context with it. Join the children inside the block. Colour escape
    sequences are removed from the captured text.

    Python-level output of the parent (``print`` in a notebook cell) is not
    affected in Jupyter, which routes it through its own streams.
    """
    captured = CapturedOutput()
    if os.name == "posix":
        # Start the resource tracker now if a child would start it inside the
        # block: it lives as long as this process and must keep the real stderr.
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()
    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.TemporaryFile(mode="w+b") as out, tempfile.TemporaryFile(mode="w+b") as err:
        saved = os.dup(1), os.dup(2)
        try:
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            yield captured
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            out.seek(0)
            err.seek(0)
            captured.stdout = _plain(out.read().decode("utf-8", "replace"))
            captured.stderr = _plain(err.read().decode("utf-8", "replace"))
