"""Unit tests for tools/reader_metrics.py on small notebooks made here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.tool_modules import load_tool

metrics = load_tool("reader_metrics")

HIDDEN = {"tags": ["hide-input"], "jupyter": {"source_hidden": True}}


def code(text: str, metadata: dict[str, Any] | None = None,
         outputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"cell_type": "code", "source": text, "metadata": metadata or {},
            "outputs": outputs or [], "execution_count": 1}


def markdown(text: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "source": text, "metadata": {}}


def write(folder: Path, name: str, cells: list[dict[str, Any]]) -> None:
    (folder / name).write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                           "nbformat_minor": 5}), encoding="utf-8")


def test_figures_of_a_small_book(tmp_path: Path) -> None:
    write(tmp_path, "01_first.ipynb", [
        markdown("# 1. First\n\n" + "word " * 178),
        code("from mpworkers import square\nfrom mpworkers.lab import claims, show_source\n"),
        code("print(square(3))", outputs=[{"output_type": "stream", "text": "9\n"}]),
        code("claims.check('x', lambda: 1, at_least=1)"),
        code("show_source(square)", HIDDEN, outputs=[{
            "output_type": "display_data",
            "data": {"text/markdown": "`f`\n\n```python\ndef square(x):\n    return x\n```\n",
                     "text/plain": "..."}}]),
        code("from mpworkers.lab import run_script\nrun_script('''\nimport os\n"
             "if __name__ == \"__main__\":\n    pass\n''')"),
    ])
    write(tmp_path, "02_second.ipynb", [
        markdown("# 2. Second"),
        code("from mpworkers import square, whoami\nprint(square(2), whoami())"),
    ])
    first, second = metrics.measure(tmp_path)
    assert (first.cells, first.kit, first.strings) == (4, 3, 1)
    assert first.unshown == []
    assert second.unshown == ["whoami"]  # square was shown in an earlier chapter
    assert first.words == 180  # the title's '1.' and 'First', and 178 words
    # 2 listing lines + 2+1+1+6 lines of the visible cells; 1 output line
    assert (first.code_lines, first.output_lines) == (2 + 2 + 1 + 1 + 6, 1)


def test_problems_name_the_chapter_and_the_missed_target(tmp_path: Path) -> None:
    write(tmp_path, "03_third.ipynb", [
        markdown("# 3. Third\n\n*Reading time: about 0 minutes.*"),
        code("from mpworkers.lab import claims\nclaims.check('x', lambda: 1, at_least=1)"),
    ])
    found = metrics.problems(metrics.measure(tmp_path))
    assert found == ["03_third.ipynb: kit_share 1.0 is above 0.15"]


def test_an_allowance_raises_a_chapters_limit(tmp_path: Path,
                                              monkeypatch: Any) -> None:
    write(tmp_path, "03_third.ipynb", [
        markdown("# 3. Third\n\n*Reading time: about 0 minutes.*"),
        code("from mpworkers.lab import claims\nclaims.check('x', lambda: 1, at_least=1)"),
    ])
    monkeypatch.setattr(metrics, "ALLOWANCES", {"03": {"kit_share": 1.0}})
    assert metrics.problems(metrics.measure(tmp_path)) == []


def test_the_book_meets_its_targets() -> None:
    assert metrics.main(["--check"]) == 0


def test_write_sets_the_reading_time_under_the_title(tmp_path: Path) -> None:
    write(tmp_path, "04_fourth.ipynb", [markdown("# 4. Fourth\n\n" + "word " * 900), code("1")])
    figures = metrics.measure(tmp_path)
    assert figures[0].stated_minutes is None
    assert "no reading-time line" in metrics.problems(figures)[0]
    metrics.write_reading_times(tmp_path, figures)
    figures = metrics.measure(tmp_path)
    assert figures[0].stated_minutes == 5  # 902 words, and a line of code
    assert metrics.problems(figures) == []
    text = json.loads((tmp_path / "04_fourth.ipynb").read_text())["cells"][0]["source"]
    assert "".join(text).startswith("# 4. Fourth\n\n*Reading time: about 5 minutes.*\n")
