"""The machine-checked rules for a chapter, in one place.

``tests/test_notebooks.py`` applies them to every notebook in ``book/``,
``tools/new_chapter.py`` builds its template from them, and
``CONTRIBUTING.md`` lists them between ``<!-- rules: ... -->`` markers that a
test compares with the values here, so the three cannot drift apart.

Each ``check_*`` function takes a notebook (as the dict that ``json.load``
gives) and its file name, and returns the problems it found, as sentences
that say how to fix them; an empty list means the rule holds.
"""

from __future__ import annotations

import re
from typing import Any

Notebook = dict[str, Any]

# The six question chapters: a short title in the reader's words ("# Q3. ..."),
# then the question, word for word, quoted in the chapter's first lines.
MAX_TITLE_WORDS = 8
QUESTION_TITLES = {
    "01": "Q1. What is multiprocessing in Python? Why is it useful?",
    "02": "Q2. What are the differences between multiprocessing and multithreading?",
    "03": "Q3. Write a Python code to create a process using the multiprocessing module.",
    "04": "Q4. What is a multiprocessing pool in Python? Why is it used?",
    "05": "Q5. How can we create a pool of worker processes in Python using the "
    "multiprocessing module?",
    "06": "Q6. Write a Python program to create 4 processes, each process should print a "
    "different number using the multiprocessing module in Python.",
}

# Sections, as level-2 headings in this order of appearance. Every chapter has
# SECTIONS; a question chapter also has QUESTION_SECTIONS (later chapters
# usually do too, but may shape their middle differently).
QUESTION_SECTIONS = ["## The short answer", "## See it run", "## Evidence"]
SECTIONS = ["## Pitfalls", "## Exercises", "## Key points", "## Further reading"]
# Admonitions every chapter has (MyST directive names and titles).
ADMONITIONS = ["{admonition} Objectives", "{admonition} Key points"]
MIN_EXERCISES = 2

# Tags that would hide an output from the book: the book shows every output.
HIDING_TAGS = {"remove-output", "remove-cell", "hide-output", "remove_output", "remove_cell"}
# Tags that mark a cell whose stored error is expected.
RAISES_TAGS = {"raises-exception", "nbval-raises-exception"}
# Paths of the machine that executed a notebook: never in an output.
MACHINE_PATH = re.compile(r"(/root/|/home/[^/\s]+/|/tmp/|/work/|/var/folders/|[A-Z]:\\\\Users)")
# A claim's verdict line, printed by mpworkers.lab.claims.check: stored outputs are
# made on a quiet machine with enough CPUs, where every claim holds.
VERDICT = re.compile(r"^\[(?P<verdict>[^\]]*)\] ", re.M)
# The notebook metadata a stored chapter may have (tools/execute.py cleans it).
METADATA_KEYS = {"kernelspec", "language_info"}


def source(cell: dict[str, Any]) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else str(text)


def code_cells(nb: Notebook) -> list[dict[str, Any]]:
    return [c for c in nb["cells"] if c["cell_type"] == "code" and source(c).strip()]


def check_metadata(nb: Notebook, name: str) -> list[str]:
    problems = []
    if nb.get("nbformat") != 4:
        problems.append(f"{name}: not an nbformat 4 notebook")
    extra = sorted(set(nb.get("metadata", {})) - METADATA_KEYS)
    if extra:
        problems.append(f"{name}: unexpected notebook metadata {extra} (make execute cleans it)")
    if nb.get("metadata", {}).get("kernelspec", {}).get("name") != "python3":
        problems.append(f"{name}: the kernelspec must be python3")
    if "version" in nb.get("metadata", {}).get("language_info", {}):
        problems.append(f"{name}: language_info names a Python version (make execute cleans it)")
    for index, cell in enumerate(nb["cells"]):
        for key in ("widgets", "execution"):
            if key in cell.get("metadata", {}):
                problems.append(f"{name} cell {index}: cell metadata {key!r} (make execute)")
    return problems


def check_execution(nb: Notebook, name: str) -> list[str]:
    counts = [c.get("execution_count") for c in code_cells(nb)]
    if None in counts:
        return [f"{name}: code cells without stored outputs (run make execute NB=...)"]
    if counts != list(range(1, len(counts) + 1)):
        return [f"{name}: cells were not executed top to bottom in one fresh kernel "
                "(run make execute NB=...)"]
    return []


def check_outputs(nb: Notebook, name: str) -> list[str]:
    import json

    problems = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        where = f"{name} cell {index}"
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & HIDING_TAGS:
            problems.append(f"{where}: tag {sorted(tags & HIDING_TAGS)} hides an output; "
                            "the book shows every output")
        for output in cell.get("outputs", []):
            if output["output_type"] == "error" and not tags & RAISES_TAGS:
                problems.append(f"{where}: stored error {output.get('ename')} without a "
                                "raises-exception tag")
            match = MACHINE_PATH.search(json.dumps(output))
            if match:
                problems.append(f"{where}: output holds a path of this machine: {match[0]}")
            text = "".join(output.get("text", ""))
            for found in VERDICT.finditer(text):
                if found["verdict"] != "holds":
                    problems.append(
                        f"{where}: a stored claim says [{found['verdict']}]: re-execute the "
                        "notebook on a quiet machine with enough CPUs (make execute)")
            data = output.get("data", {})
            if "image/png" in data or "image/svg+xml" in data:
                alt = cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt")
                if not alt:
                    problems.append(f"{where}: a figure needs alt text "
                                    "(cell metadata mystnb.image.alt)")
    return problems


def check_anatomy(nb: Notebook, name: str) -> list[str]:
    cells = nb["cells"]
    markdown = "\n".join(source(c) for c in cells if c["cell_type"] == "markdown")
    first = source(cells[0]).splitlines()[0] if cells and source(cells[0]) else ""
    problems = []
    if not first.startswith("# "):
        problems.append(f"{name}: the first cell must start with the title (# ...)")
    question = QUESTION_TITLES.get(name[:2])
    if len(first[2:].split()) > MAX_TITLE_WORDS + 1:
        problems.append(f"{name}: a title of at most {MAX_TITLE_WORDS} words after its number, "
                        f"in the reader's words, got {first!r}")
    if question is not None:
        if not first.startswith(f"# {question.split('.')[0]}. "):
            problems.append(f"{name}: the title must start with # {question.split('.')[0]}.")
        if f"> {question}" not in source(cells[0]).splitlines()[:6]:
            problems.append(f"{name}: the first lines must quote the question, word for word: "
                            f"> {question}")
    if question is None and name[:2].isdigit() and not first.startswith(f"# {int(name[:2])}. "):
        # the book numbers no section: a later chapter's title carries its number
        problems.append(f"{name}: the title must start with the chapter's number: "
                        f"# {int(name[:2])}. ...")
    for admonition in ADMONITIONS:
        if admonition not in markdown:
            problems.append(f"{name}: no {admonition} admonition")
    required = (QUESTION_SECTIONS if question else []) + SECTIONS
    positions = []
    for section in required:
        found = re.search(f"^{re.escape(section)}[ \\t]*$", markdown, re.M)
        if found is None:
            problems.append(f"{name}: missing section {section!r}")
        else:
            positions.append(found.start())
    if positions != sorted(positions):
        problems.append(f"{name}: sections out of order; expected {required}")
    return problems


def check_exercises(nb: Notebook, name: str) -> list[str]:
    cells = nb["cells"]
    exercises = sum(source(c).count("{exercise}") for c in cells if c["cell_type"] == "markdown")
    problems = []
    if exercises < MIN_EXERCISES:
        problems.append(f"{name}: needs at least {MIN_EXERCISES} exercises, has {exercises}")
    solutions, inside, code_in_solution = 0, False, 0
    for cell in cells:
        text = source(cell)
        if cell["cell_type"] == "markdown" and "{solution-start}" in text:
            if inside:
                problems.append(f"{name}: a solution starts inside another")
            inside, code_in_solution, solutions = True, 0, solutions + 1
        if cell["cell_type"] == "code" and inside:
            code_in_solution += 1
        if cell["cell_type"] == "markdown" and "{solution-end}" in text:
            if not (inside and code_in_solution):
                problems.append(f"{name}: a solution without an executed code cell")
            inside = False
    if inside:
        problems.append(f"{name}: solution-start without solution-end")
    if solutions < exercises:
        problems.append(f"{name}: every exercise needs a solution ({exercises} exercises, "
                        f"{solutions} solutions)")
    return problems


RULES = {
    "metadata": check_metadata,
    "execution": check_execution,
    "outputs": check_outputs,
    "anatomy": check_anatomy,
    "exercises": check_exercises,
}


def all_problems(nb: Notebook, name: str) -> list[str]:
    """Every rule's problems for one notebook."""
    return [problem for rule in RULES.values() for problem in rule(nb, name)]
