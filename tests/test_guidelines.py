"""Unit tests for mpworkers.guidelines: standard input in a child, zombies, buffered streams."""

from __future__ import annotations

import multiprocessing
import os
import pathlib
import sys
from typing import Any

import pytest

from mpworkers import guidelines as g
from mpworkers import noop

METHODS = [
    m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()
]


# --- standard input in a child ---------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_a_child_reads_nothing_from_its_standard_input(method: str) -> None:
    with multiprocessing.get_context(method).Pool(1) as pool:
        assert pool.apply(g.standard_input_in_child) == ""
    child = multiprocessing.get_context(method).Process(  # type: ignore[attr-defined]
        target=g.standard_input_in_child)
    child.start()
    child.join()
    assert child.exitcode == 0


def test_standard_input_in_this_process_reads_what_it_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("first\nsecond\n"))
    assert g.standard_input_in_child() == "first\n"
    monkeypatch.setattr(sys, "stdin", None)
    assert g.standard_input_in_child() == ""


# --- zombies ------------------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="zombies exist on POSIX systems only")
def test_a_finished_child_is_a_zombie_until_active_children_reaps_it() -> None:
    child = multiprocessing.get_context("spawn").Process(target=noop)
    child.start()
    try:
        assert g.wait_until_zombie(child.pid or 0, timeout=30)
        assert g.is_zombie(child.pid or 0)
        assert child not in multiprocessing.active_children()  # reaps it
        assert not g.is_zombie(child.pid or 0)
    finally:
        child.join()
    assert child.exitcode == 0


def test_a_running_process_is_not_a_zombie() -> None:
    assert not g.is_zombie(os.getpid())
    assert not g.wait_until_zombie(os.getpid(), timeout=0.01)


@pytest.mark.parametrize("function", [g.is_zombie, g.wait_until_zombie])
@pytest.mark.parametrize(("pid", "error"), [("1", TypeError), (1.0, TypeError),
                                            (True, TypeError), (0, ValueError),
                                            (-5, ValueError)])
def test_zombie_functions_reject_bad_pids(function: Any, pid: Any, error: type) -> None:
    with pytest.raises(error, match="pid"):
        function(pid)


@pytest.mark.parametrize(("timeout", "error"), [("1", TypeError), (-1, ValueError),
                                                (float("nan"), ValueError)])
def test_wait_until_zombie_rejects_bad_timeouts(timeout: Any, error: type) -> None:
    with pytest.raises(error, match="timeout"):
        g.wait_until_zombie(os.getpid(), timeout)


# --- buffered streams -----------------------------------------------------------------


def _count_after_fork(cls: type[g.BufferedStream], path: pathlib.Path) -> int:
    saved = sys.stdin
    stream = cls(path)
    sys.stdin = stream
    try:
        stream.write("from the parent\n")
        child = multiprocessing.get_context("fork").Process(target=noop)
        child.start()
        child.join()
        assert child.exitcode == 0
    finally:
        sys.stdin = saved
    stream.close()
    return path.read_text(encoding="utf-8").count("from the parent")


@pytest.mark.skipif("fork" not in METHODS, reason="needs the fork start method")
def test_a_forked_child_flushes_the_parents_buffer_a_second_time(tmp_path: pathlib.Path) -> None:
    assert _count_after_fork(g.BufferedStream, tmp_path / "plain.txt") == 2


@pytest.mark.skipif("fork" not in METHODS, reason="needs the fork start method")
def test_the_fork_safe_stream_flushes_once(tmp_path: pathlib.Path) -> None:
    assert _count_after_fork(g.ForkSafeBufferedStream, tmp_path / "safe.txt") == 1


@pytest.mark.parametrize("cls", [g.BufferedStream, g.ForkSafeBufferedStream])
def test_a_stream_buffers_until_close(cls: type[g.BufferedStream], tmp_path: pathlib.Path) -> None:
    path = tmp_path / "out.txt"
    stream = cls(str(path))
    assert stream.write("abc") == 3
    assert not path.exists()
    assert stream.read() == ""
    stream.flush()
    stream.write("def")
    stream.close()
    assert stream.closed
    assert path.read_text(encoding="utf-8") == "abcdef"
    stream.close()  # closing twice writes nothing more
    assert path.read_text(encoding="utf-8") == "abcdef"
    with pytest.raises(OSError):
        stream.fileno()


@pytest.mark.parametrize("cls", [g.BufferedStream, g.ForkSafeBufferedStream])
def test_streams_reject_bad_arguments(cls: type[g.BufferedStream], tmp_path: pathlib.Path) -> None:
    with pytest.raises(TypeError, match="path"):
        cls(42)  # type: ignore[arg-type]
    stream = cls(tmp_path / "x.txt")
    with pytest.raises(TypeError, match="text"):
        stream.write(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="size"):
        stream.read("all")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="size"):
        stream.read(-2)
