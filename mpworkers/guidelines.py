"""The programming guidelines of ``multiprocessing``, each made visible (chapter 14).

The Python documentation lists guidelines for programs that use
``multiprocessing``. Chapter 14 runs the ones no other chapter shows, with
plain code and program files where it can; a child process needs one
worker from here: :func:`standard_input_in_child` shows what a child finds
on its standard input: nothing, since ``multiprocessing`` replaces it with
the null device.
"""

from __future__ import annotations

import sys

__all__ = ["standard_input_in_child"]


def standard_input_in_child() -> str:
    """Read a line from standard input: in a child, ``""`` (the end of the input).

    ``multiprocessing`` closes ``sys.stdin`` in every child it starts and
    opens the null device in its place. ``""`` also without any ``sys.stdin``.
    """
    stdin = sys.stdin
    return "" if stdin is None else stdin.readline()
