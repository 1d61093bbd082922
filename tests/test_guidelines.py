"""Unit tests for mpworkers.guidelines: standard input in a child."""

from __future__ import annotations

import multiprocessing
import sys

import pytest

from mpworkers import guidelines as g

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
