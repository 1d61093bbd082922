"""The error index cannot drift from the book.

``book/error_index.md`` lists the messages readers paste into a search box.
Each entry is a level-3 heading holding the message in backquotes (``...``
stands for a part that changes, such as a name or a number), and a "See it"
link to the cell of a chapter that makes Python print it: a MyST target
``(name)=`` in the markdown cell just above that code cell, referenced with
``{ref}`chapter 3 <name>```. This test fails when a link does not resolve,
or when the message is not in the stored output of the cell it links to.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

BOOK = Path(__file__).resolve().parent.parent / "book"
INDEX = BOOK / "error_index.md"
HEADING = re.compile(r"^### .*?`(?P<message>[^`]+)`", re.M)
LINK = re.compile(r"\]\((?P<file>\d\d_[\w]+\.ipynb)#(?P<target>[\w-]+)\)")
REF = re.compile(r"\{ref\}`[^`<]*<(?P<target>[\w-]+)>`")


def notebook_with_label(target: str) -> str:
    for path in sorted(BOOK.glob("[0-9][0-9]_*.ipynb")):
        if f"({target})=" in path.read_text(encoding="utf-8"):
            return path.name
    raise AssertionError(f"no notebook defines the target ({target})=")


def entries() -> list[tuple[str, str, str]]:
    """(message, notebook file, target) for every entry of the index."""
    text = INDEX.read_text(encoding="utf-8")
    found = []
    parts = HEADING.split(text)
    # split gives [before, message1, body1, message2, body2, ...]
    for message, body in zip(parts[1::2], parts[2::2], strict=True):
        body = body.split("\n### ")[0]
        for link in LINK.finditer(body):
            found.append((message, link["file"], link["target"]))
        for ref in REF.finditer(body):
            found.append((message, notebook_with_label(ref["target"]), ref["target"]))
    return found


def source(cell: dict[str, Any]) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else str(text)


def output_text(cell: dict[str, Any]) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(source({"source": out.get("text", "")}))
        elif out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}")
            parts.extend(out.get("traceback", []))
        else:
            for key in ("text/plain", "text/markdown"):
                if key in out.get("data", {}):
                    parts.append(source({"source": out["data"][key]}))
    return "\n".join(parts)


def cell_after_target(notebook: Path, target: str) -> dict[str, Any]:
    cells: list[dict[str, Any]] = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    for index, cell in enumerate(cells):
        if cell["cell_type"] == "markdown" and f"({target})=" in source(cell):
            for later in cells[index + 1:]:
                if later["cell_type"] == "code":
                    return later
    raise AssertionError(f"{notebook.name} has no target ({target})= above a code cell")


def pattern(message: str) -> re.Pattern[str]:
    return re.compile(".*?".join(re.escape(part) for part in message.split("...")), re.S)


# messages that no stored output can hold, with the reason; their link must
# still lead to an existing section of the chapter
NOT_IN_STORED_OUTPUTS = {
    "DeprecationWarning: This process (pid=...) is multi-threaded, use of fork() may lead to "
    "deadlocks in the child.": "Python 3.12 and newer print it; chapter 3's stored outputs "
                               "come from Python 3.11, which does not",
}


def heading_slugs(notebook: Path) -> set[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    slugs = set()
    for cell in cells:
        if cell["cell_type"] == "markdown":
            for line in source(cell).splitlines():
                if line.startswith("#"):
                    title = re.sub(r"[^\w\s-]", "", line.lstrip("#").strip().lower())
                    slugs.add(re.sub(r"\s+", "-", title))
    return slugs


def test_the_index_has_entries() -> None:
    assert len(entries()) >= 13


@pytest.mark.parametrize("message, file, target", entries())
def test_each_message_is_printed_by_the_cell_it_links_to(message: str, file: str,
                                                         target: str) -> None:
    if message in NOT_IN_STORED_OUTPUTS:
        assert target in heading_slugs(BOOK / file), f"{file} has no section #{target}"
        return
    cell = cell_after_target(BOOK / file, target)
    assert pattern(message).search(output_text(cell)), (
        f"{file}#{target}: the stored output does not contain {message!r}")
