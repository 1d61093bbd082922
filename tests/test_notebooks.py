"""Static checks of the stored notebooks: what the course guide requires of every chapter.

These read the notebooks as files; re-executing them is nbval's job
(`make test-notebooks`).
"""

from __future__ import annotations

import json
import pathlib
import re

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))

# The seed's six questions, verbatim: each is the title of its chapter.
SEED_TITLES = {
    "01": "Q1. What is multiprocessing in Python? Why is it useful?",
    "02": "Q2. What are the differences between multiprocessing and multithreading?",
    "03": "Q3. Write a Python code to create a process using the multiprocessing module.",
    "04": "Q4. What is a multiprocessing pool in Python? Why is it used?",
    "05": "Q5. How can we create a pool of worker processes in Python using the "
    "multiprocessing module?",
    "06": "Q6. Write a Python program to create 4 processes, each process should print a "
    "different number using the multiprocessing module in Python.",
}
# Every chapter has these; seed chapters also have SEED_SECTIONS.
SECTIONS = ["## Pitfalls", "## Exercises", "## Key points", "## Further reading"]
SEED_SECTIONS = ["## The short answer", "## See it run", "## Evidence"]
MACHINE_PATH = re.compile(r"(/root/|/home/[^/\s]+/|/tmp/|/work/|/var/folders/|[A-Z]:\\\\Users)")
# A claim's verdict line, printed by mpworkers.claims.check: stored outputs are
# made on a quiet machine with enough CPUs, where every claim holds.
VERDICT = re.compile(r"^\[(?P<verdict>[^\]]*)\] ", re.M)
HIDING_TAGS = {"remove-output", "remove-cell", "hide-output", "remove_output", "remove_cell"}
RAISES_TAGS = {"raises-exception", "nbval-raises-exception"}


def load(path: pathlib.Path) -> dict:  # type: ignore[type-arg]
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:  # type: ignore[type-arg]
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part.get("chapters", [])]
    return files


def test_every_notebook_is_in_the_toc_and_every_toc_entry_exists() -> None:
    listed = toc_files()
    for path in NOTEBOOKS:
        assert f"book/{path.stem}" in listed, f"{path.name} is not in _toc.yml"
    for entry in listed:
        assert any((ROOT / f"{entry}{ext}").exists() for ext in (".ipynb", ".md")), entry


def test_there_is_a_chapter_per_seed_question() -> None:
    prefixes = {path.name[:2] for path in NOTEBOOKS}
    assert set(SEED_TITLES) <= prefixes


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
class TestNotebook:
    def test_metadata_is_clean(self, path: pathlib.Path) -> None:
        nb = load(path)
        assert nb["nbformat"] == 4
        assert set(nb["metadata"]) <= {"kernelspec", "language_info"}, (
            f"{path.name}: unexpected notebook metadata {sorted(nb['metadata'])} "
            "(run make execute to clean it)"
        )
        assert nb["metadata"]["kernelspec"]["name"] == "python3", (
            f"{path.name}: kernelspec must be python3"
        )
        assert "version" not in nb["metadata"].get("language_info", {})
        for index, cell in enumerate(nb["cells"]):
            assert "widgets" not in cell.get("metadata", {}), f"{path.name} cell {index}"
            assert "execution" not in cell.get("metadata", {}), f"{path.name} cell {index}"

    def test_every_code_cell_was_executed_in_order(self, path: pathlib.Path) -> None:
        code = [c for c in load(path)["cells"] if c["cell_type"] == "code" and source(c).strip()]
        counts = [c.get("execution_count") for c in code]
        assert None not in counts, f"{path.name}: unexecuted code cells (run make execute)"
        assert counts == list(range(1, len(code) + 1)), (
            f"{path.name}: cells were not executed top to bottom in one fresh kernel"
        )

    def test_outputs_are_clean(self, path: pathlib.Path) -> None:
        for index, cell in enumerate(load(path)["cells"]):
            if cell["cell_type"] != "code":
                continue
            tags = set(cell.get("metadata", {}).get("tags", []))
            assert not tags & HIDING_TAGS, f"{path.name} cell {index}: the HTML must show outputs"
            for output in cell.get("outputs", []):
                where = f"{path.name} cell {index}"
                if output["output_type"] == "error":
                    assert tags & RAISES_TAGS, f"{where}: stored error without raises-exception"
                match = MACHINE_PATH.search(json.dumps(output))
                assert match is None, f"{where}: output holds a path of this machine: {match}"
                text = "".join(output.get("text", ""))
                for found in VERDICT.finditer(text):
                    assert found["verdict"] == "holds", (
                        f"{where}: a stored claim says [{found['verdict']}]: re-execute the "
                        "notebook on a quiet machine with enough CPUs (make execute)"
                    )
                data = output.get("data", {})
                if "image/png" in data or "image/svg+xml" in data:
                    alt = cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt")
                    assert alt, f"{where}: a figure needs alt text (metadata mystnb.image.alt)"

    def test_chapter_anatomy(self, path: pathlib.Path) -> None:
        cells = load(path)["cells"]
        markdown = "\n".join(source(c) for c in cells if c["cell_type"] == "markdown")
        first = source(cells[0]).splitlines()[0] if cells else ""
        assert first.startswith("# "), f"{path.name}: must start with a title"
        seed_title = SEED_TITLES.get(path.name[:2])
        if seed_title is not None:
            assert first == f"# {seed_title}", f"{path.name}: title must be the seed question"
        assert "{admonition} Objectives" in markdown, f"{path.name}: no Objectives admonition"
        assert "{admonition} Key points" in markdown, f"{path.name}: no Key points admonition"
        required = SECTIONS + (SEED_SECTIONS if seed_title else [])
        missing = [s for s in required if not re.search(f"^{re.escape(s)}", markdown, re.M)]
        assert not missing, f"{path.name}: missing sections {missing}"

    def test_exercises_have_executed_solutions(self, path: pathlib.Path) -> None:
        cells = load(path)["cells"]
        markdown = [source(c) for c in cells if c["cell_type"] == "markdown"]
        exercises = sum(text.count("{exercise}") for text in markdown)
        assert exercises >= 2, f"{path.name}: needs at least two exercises"
        solutions, inside, code_in_solution = 0, False, 0
        for cell in cells:
            text = source(cell)
            if cell["cell_type"] == "markdown" and "{solution-start}" in text:
                assert not inside, f"{path.name}: nested solution"
                inside, code_in_solution, solutions = True, 0, solutions + 1
            if cell["cell_type"] == "code" and inside:
                code_in_solution += 1
            if cell["cell_type"] == "markdown" and "{solution-end}" in text:
                assert inside and code_in_solution, f"{path.name}: a solution without code"
                inside = False
        assert not inside, f"{path.name}: solution-start without solution-end"
        assert solutions >= exercises, f"{path.name}: every exercise needs a solution"
