"""Show code to the reader: a worker's source, a program file, a program's run.

A chapter's workers live in :mod:`mpworkers` (``spawn`` and ``forkserver``
children import them from there), and its complete programs live as files in
``book/programs/``. Neither is in a cell, so the chapter shows them:

* :func:`show_source` displays the source of functions and classes, exactly
  as the package defines them;
* :func:`show_program` displays a program file;
* :func:`run_program` runs a program file the way a reader runs it,
  ``python NAME.py``, and returns its exit code and output.

What they display is a Markdown code block: Jupyter and the HTML book both
highlight it (the book adds its copy button), and the plain text that the
tests compare is the code itself, so a stored chapter fails its tests as soon
as the code it shows changes.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mpworkers._validate import check_str
from mpworkers.lab.scripts import ScriptResult, run_script

__all__ = ["Listing", "run_program", "show_program", "show_run", "show_source"]

class Listing:
    """Code to display: highlighted in Jupyter and the HTML, plain in tests.

    ``title`` is shown above the code (a file name, or where the code lives).
    """

    def __init__(self, code: str, title: str = "") -> None:
        check_str("code", code)
        check_str("title", title)
        self.code = code.rstrip("\n") + "\n"
        self.title = title

    def __repr__(self) -> str:
        head = f"# {self.title}\n" if self.title else ""
        return head + self.code.rstrip("\n")

    def _repr_markdown_(self) -> str:
        fence = "````" if "```" in self.code else "```"
        head = f"`{self.title}`\n\n" if self.title else ""
        return f"{head}{fence}python\n{self.code}{fence}\n"


def show_source(*objects: Any) -> Listing:
    """The source code of functions or classes, as their module defines them.

    >>> from mpworkers import square
    >>> print(repr(show_source(square)).splitlines()[:2])
    ['# mpworkers/basics.py', 'def square(x: int) -> int:']

    Raises:
        ValueError: without any object.
        TypeError: for an object whose source cannot be found (a built-in, a
            lambda typed in a cell is fine but has no file to name).
    """
    if not objects:
        raise ValueError("show_source needs at least one function or class")
    files: list[str] = []
    parts: list[str] = []
    for obj in objects:
        target = inspect.unwrap(obj) if callable(obj) else obj
        try:
            parts.append(inspect.getsource(target))
            module = inspect.getmodule(target)
        except (OSError, TypeError) as exc:
            raise TypeError(f"no source to show for {obj!r}: {exc}") from None
        name = module.__name__ if module is not None else ""
        path = name.replace(".", "/") + ".py" if name.startswith("mpworkers") else name
        if path and path not in files:
            files.append(path)
    return Listing("\n\n".join(part.rstrip("\n") for part in parts), ", ".join(files))


def _program_path(path: str | os.PathLike[str]) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or a path, got {type(path).__name__}")
    program = Path(path)
    if program.suffix != ".py":
        raise ValueError(f"a program is a .py file, got {str(path)!r}")
    if not program.is_file():
        raise ValueError(f"no program file {str(path)!r} (from the folder {os.getcwd()!r})")
    return program


def show_program(path: str | os.PathLike[str]) -> Listing:
    """The text of a program file, titled with its path as given.

    Raises:
        TypeError: if ``path`` is not a str or a path.
        ValueError: if it does not name an existing ``.py`` file.
    """
    program = _program_path(path)
    return Listing(program.read_text(encoding="utf-8"), program.as_posix())


def run_program(
    path: str | os.PathLike[str],
    *,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    python_options: Sequence[str] = (),
    timeout: float = 60.0,
) -> ScriptResult:
    """Run a program file as ``python NAME.py`` would, in a fresh temporary folder.

    The file is copied into a new temporary folder and run there by this
    environment's Python (so that files it writes go nowhere near the
    repository); the folder's path shows as ``<tmp>`` in its output. The
    rest is :func:`mpworkers.lab.scripts.run_script`: a fresh interpreter, the
    platform's default start method, no colour.

    Raises:
        TypeError: if ``path`` is not a str or a path, or for the arguments
            that :func:`~mpworkers.lab.scripts.run_script` refuses.
        ValueError: if ``path`` does not name an existing ``.py`` file.
        subprocess.TimeoutExpired: after ``timeout`` seconds.
    """
    program = _program_path(path)
    return run_script(program.read_text(encoding="utf-8"), args=args, name=program.name,
                      timeout=timeout, python_options=python_options, env=env)


def show_run(
    path: str | os.PathLike[str],
    *,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    python_options: Sequence[str] = (),
    timeout: float = 60.0,
) -> ScriptResult:
    """Run a program file (:func:`run_program`) and print it as a terminal shows it.

    It prints the command (``$ python NAME.py ARGS``), then what the program
    wrote to standard output and to standard error, then its exit code when
    it is not 0, and returns the :class:`~mpworkers.lab.scripts.ScriptResult` for the
    cells that check it.

    Raises:
        the same as :func:`run_program`.
    """
    result = run_program(path, args=args, env=env, python_options=python_options,
                         timeout=timeout)
    words = ["python", *python_options, Path(path).name, *args]
    settings = " ".join(f"{k}={v}" for k, v in (env or {}).items())
    print("$ " + (settings + " " if settings else "") + " ".join(words))
    if result.stdout:
        print(result.stdout, end="" if result.stdout.endswith("\n") else "\n")
    if result.stderr:
        print(result.stderr, end="" if result.stderr.endswith("\n") else "\n")
    if result.returncode != 0:
        print(f"[exit code {result.returncode}]")
    return result
