"""The programming guidelines of ``multiprocessing``, each made visible (chapter 14).

The Python documentation lists guidelines for programs that use
``multiprocessing``. Chapter 14 runs the ones no other chapter shows, with
plain code and program files where it can; this module holds the worker it
needs and tested versions of the helpers it defines for the reader:

* :func:`standard_input_in_child` shows what a child process finds on its
  standard input: nothing, since ``multiprocessing`` replaces it with the
  null device.
* :func:`is_zombie` and :func:`wait_until_zombie` watch a finished child that
  nobody has joined yet (a *zombie* on POSIX systems).
* :class:`BufferedStream` and :class:`ForkSafeBufferedStream` are file-like
  objects with an output buffer: installed as ``sys.stdin`` before a ``fork``,
  the first writes its buffer twice, the second (the documentation's fix)
  once.
"""

from __future__ import annotations

import os
import sys
import time

import psutil

from mpworkers._validate import check_int, check_real, check_str

__all__ = [
    "standard_input_in_child",
    "is_zombie",
    "wait_until_zombie",
    "BufferedStream",
    "ForkSafeBufferedStream",
]


def standard_input_in_child() -> str:
    """Read a line from standard input: in a child, ``""`` (the end of the input).

    ``multiprocessing`` closes ``sys.stdin`` in every child it starts and
    opens the null device in its place. ``""`` also without any ``sys.stdin``.
    """
    stdin = sys.stdin
    return "" if stdin is None else stdin.readline()


def is_zombie(pid: int) -> bool:
    """Say whether the process ``pid`` has ended but has not been waited for yet.

    On POSIX systems a process that has ended stays in the process table,
    as a *zombie*, until its parent waits for it (``join()`` does, and so
    do ``is_alive()``, ``exitcode`` and ``multiprocessing.active_children()``).
    Windows has no zombies: there this returns ``False``.

    Returns:
        ``True`` for a zombie; ``False`` for a running process and for a
        process id that no longer exists.

    Raises:
        TypeError: if ``pid`` is not an int.
        ValueError: if ``pid`` is smaller than 1.
    """
    check_int("pid", pid, minimum=1)
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def wait_until_zombie(pid: int, timeout: float = 30.0) -> bool:
    """Wait until the process ``pid`` is a zombie, without waiting *for* it.

    Waiting for a child (``os.waitpid``, ``join()``) would remove the
    zombie; this only looks at its state, every few milliseconds.

    Returns:
        ``True`` once the process is a zombie, ``False`` if it is not one
        after ``timeout`` seconds (it still runs, it was already waited for,
        or this is Windows).

    Raises:
        TypeError: if ``pid`` is not an int or ``timeout`` not a number.
        ValueError: if ``pid`` is smaller than 1 or ``timeout`` negative.
    """
    check_int("pid", pid, minimum=1)
    timeout = check_real("timeout", timeout, minimum=0.0)
    deadline = time.monotonic() + timeout
    while True:
        if is_zombie(pid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.002)


class BufferedStream:
    """A file-like object that keeps what is written and appends it to a file on ``close()``.

    Such an object installed as ``sys.stdin`` is what the guideline "beware of
    replacing sys.stdin with a file like object" warns about: every process
    that ``multiprocessing`` starts calls ``sys.stdin.close()`` first, and a
    child started with ``fork`` holds a copy of the parent's buffer, so the
    same text reaches the file once from the child and once from the parent.

    Args:
        path: the file that ``close()`` appends the buffered text to.

    Raises:
        TypeError: if ``path`` is not a str or a path, or ``write`` is given
            something other than a str.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or a path, got {type(path).__name__} {path!r}")
        self.path = os.fspath(path)
        self._buffer: list[str] = []
        self.closed = False

    @property
    def buffer(self) -> list[str]:
        """The text written since the last flush."""
        return self._buffer

    def write(self, text: str) -> int:
        """Keep ``text`` in the buffer; return its length."""
        check_str("text", text)
        self.buffer.append(text)
        return len(text)

    def flush(self) -> None:
        """Append the buffered text to the file, and empty the buffer."""
        pending = "".join(self.buffer)
        if pending:
            with open(self.path, "a", encoding="utf-8") as file:
                file.write(pending)
        self.buffer.clear()

    def read(self, size: int = -1) -> str:
        """Return ``""``: nothing to read (the object stands in for an input)."""
        check_int("size", size, minimum=-1)
        return ""

    def close(self) -> None:
        """Flush the buffer to the file and mark the stream closed."""
        self.flush()
        self.closed = True

    def fileno(self) -> int:
        """Raise :class:`OSError`: the stream has no file descriptor of its own."""
        raise OSError("a BufferedStream has no file descriptor")


class ForkSafeBufferedStream(BufferedStream):
    """A :class:`BufferedStream` that drops a buffer it did not fill itself.

    The buffer remembers the process id that filled it. A child started
    with ``fork`` inherits the buffer, but under another process id, so it
    finds the buffer empty and flushes nothing: the parent's text reaches
    the file once. This is the fix the Python documentation gives.

    Args:
        path: the file that ``close()`` appends the buffered text to.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path)
        self._pid = os.getpid()

    @property
    def buffer(self) -> list[str]:
        """The text this process wrote since its last flush."""
        if os.getpid() != self._pid:  # a forked child: the copy is not ours
            self._pid = os.getpid()
            self._buffer = []
        return self._buffer
