"""Unit tests for the cleaning step of tools/execute.py (``make execute``)."""

from __future__ import annotations

from types import ModuleType

import nbformat
import pytest

from tests.tool_modules import load_tool


@pytest.fixture(scope="module")
def execute() -> ModuleType:
    return load_tool("execute")


def _stream(name: str, text: str) -> nbformat.NotebookNode:
    output: nbformat.NotebookNode = nbformat.v4.new_output("stream", name=name, text=text)
    return output


def test_join_streams_joins_only_consecutive_pieces_of_one_stream(execute: ModuleType) -> None:
    figure = nbformat.v4.new_output("display_data", data={"text/plain": "<Figure>"})
    outputs = [_stream("stdout", "a\n"), _stream("stdout", "b\n"), _stream("stderr", "w\n"),
               _stream("stdout", "c\n"), figure, _stream("stdout", "d\n"),
               _stream("stdout", "e\n")]
    joined = execute.join_streams(outputs)
    assert [(o.output_type, o.get("name"), o.get("text")) for o in joined] == [
        ("stream", "stdout", "a\nb\n"), ("stream", "stderr", "w\n"), ("stream", "stdout", "c\n"),
        ("display_data", None, None), ("stream", "stdout", "d\ne\n"),
    ]


def test_clean_keeps_one_kernelspec_and_no_timings(execute: ModuleType) -> None:
    cell = nbformat.v4.new_code_cell("print(1)")
    cell.metadata["execution"] = {"iopub.status.busy": "2026-12-06T18:00:00"}
    cell.outputs = [_stream("stdout", "1\n"), _stream("stdout", "2\n")]
    nb = nbformat.v4.new_notebook(cells=[cell], metadata={"widgets": {"state": {}}})
    execute.clean(nb)
    assert set(nb.metadata) == {"kernelspec", "language_info"}
    assert "execution" not in nb.cells[0].metadata
    assert [o.text for o in nb.cells[0].outputs] == ["1\n2\n"]
    nbformat.validate(nb)


def test_join_streams_keeps_carriage_returns(execute: ModuleType) -> None:
    # what a progress bar wrote, frame by frame (nbclient's coalesce_streams
    # would keep the last frame only: see join_streams' docstring)
    outputs = [_stream("stdout", "\rbar:   0%| 0/2"), _stream("stdout", "\rbar: 100%| 2/2\n")]
    joined = execute.join_streams(outputs)
    assert [o.text for o in joined] == ["\rbar:   0%| 0/2\rbar: 100%| 2/2\n"]
