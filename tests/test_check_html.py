"""tools/check_html.py: the book's search must find the messages of the error index."""

from __future__ import annotations

import json
from pathlib import Path

from tests.tool_modules import load_tool

check_html = load_tool("check_html")


def write_site(root: Path, terms: dict[str, object]) -> None:
    data = {"docnames": ["book/intro", "book/error_index"], "terms": terms, "titleterms": {}}
    (root / "searchindex.js").write_text(f"Search.setIndex({json.dumps(data)})", encoding="utf-8")


def write_index(path: Path) -> Path:
    path.write_text("# Errors\n\n### `AssertionError: daemonic processes are not allowed`\n\n"
                    "text with `code` that is not a heading\n", encoding="utf-8")
    return path


def test_every_indexed_message_comes_from_the_headings() -> None:
    messages = check_html.indexed_messages()
    assert "BrokenProcessPool" in messages
    assert "Timeout (...)!" in messages


def test_a_word_stored_for_the_error_page_is_found(tmp_path: Path) -> None:
    index = write_index(tmp_path / "error_index.md")
    stems = {"assertionerror": 1, "daemon": [0, 1], "process": 1, "allow": 1}
    write_site(tmp_path, stems)
    assert check_html.unsearchable(tmp_path, index) == []


def test_a_word_missing_or_stored_for_another_page_is_reported(tmp_path: Path) -> None:
    index = write_index(tmp_path / "error_index.md")
    write_site(tmp_path, {"assertionerror": 1, "daemon": 0, "process": 1})
    assert check_html.unsearchable(tmp_path, index) == [
        "AssertionError: daemonic processes are not allowed: daemonic",
        "AssertionError: daemonic processes are not allowed: allowed",
    ]
