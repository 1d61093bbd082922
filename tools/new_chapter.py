"""Start a new chapter: a notebook with every required section, and its TOC entry.

    python tools/new_chapter.py book/15_process_groups.ipynb \\
        --title "Process groups and signals" --part "Processes in practice"

(``make new-chapter NB=... TITLE="..." PART="..."`` runs it.) It writes the
notebook from the rules in ``tests/chapter_rules.py`` (objectives, the
sections in order, two exercises with solution stubs, key points, further
reading, clean metadata), adds it to ``_toc.yml`` at the end of the part
named (a new part goes before "Reference"), and prints what else to do.
Nothing is overwritten: an existing notebook or TOC entry is an error.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import chapter_rules  # noqa: E402
from tools.execute import KERNELSPEC, LANGUAGE_INFO  # noqa: E402

NAME = re.compile(r"^book/(?P<number>\d\d)_[a-z0-9_]+\.ipynb$")


def exercise(label: str, number: int) -> list[nbformat.NotebookNode]:
    return [
        new_markdown_cell(
            f":::{{exercise}}\n:label: {label}\n"
            f"TODO: exercise {number}: a task the reader can do with what the chapter showed.\n:::"
        ),
        new_markdown_cell(
            f"```{{solution-start}} {label}\n:class: dropdown\n```\n"
            "TODO: how to approach it."
        ),
        new_code_cell(f"# TODO: the worked solution of exercise {number}, executed\n"
                      "print('solution')"),
        new_markdown_cell("TODO: what the output shows.\n\n```{solution-end}\n```"),
    ]


# a proof cell: its output in view, its input collapsed in the HTML and in JupyterLab
PROOF = {"tags": ["hide-input"], "jupyter": {"source_hidden": True}}


def chapter(title: str, stem: str) -> nbformat.NotebookNode:
    """The notebook of a new chapter, before its stubs are filled."""
    sections = {s: s for s in chapter_rules.QUESTION_SECTIONS + chapter_rules.SECTIONS}
    cells = [
        new_markdown_cell(
            f"# {title}\n\n:::{{admonition}} Objectives\n:class: tip\n"
            "After this chapter you can:\n- TODO: two to four things the reader can do.\n:::"
        ),
        new_markdown_cell(f"{sections['## The short answer']}\n\n"
                          "TODO: the answer in short paragraphs, second person."),
        new_markdown_cell(f"{sections['## See it run']}\n\n"
                          "TODO: the program this chapter is about, run: a file in "
                          "`book/programs/`, shown with `show_program` and run with "
                          "`show_run`. Workers come from `mpworkers`, their source shown "
                          "with `show_source` where the chapter first uses them."),
        new_code_cell("from mpworkers import square\nfrom mpworkers.lab import show_source\n\n"
                      "show_source(square)", metadata=PROOF),
        new_markdown_cell(
            f"{sections['## Evidence']}\n\n"
            "TODO: every claim shown: plain timing code in view, the claim (through "
            "`mpworkers.lab.claims.faster` or `claims.check`) in a cell whose input is "
            "collapsed, a plot with alt text, a failing call caught and displayed."
        ),
        new_code_cell(
            "from mpworkers.lab import claims\n\n"
            "# TODO: replace with the chapter's claims; this one shows the form\n"
            "timings = claims.faster(\n"
            "    {\"short\": lambda: sum(range(10**3)), \"long\": lambda: sum(range(10**5))},\n"
            "    \"short\", than=\"long\", by=2,\n"
            ")",
            metadata=PROOF,
        ),
        new_markdown_cell(f"{sections['## Pitfalls']}\n\n"
                          "TODO: each pitfall with the symptom the reader sees (the real "
                          "error message) and the fix."),
        new_markdown_cell(f"{sections['## Exercises']}"),
        *exercise(f"{stem}-exercise-1", 1),
        *exercise(f"{stem}-exercise-2", 2),
        new_markdown_cell(
            f"{sections['## Key points']}\n\n:::{{admonition}} Key points\n:class: important\n"
            "- TODO: three to five bullets.\n:::"
        ),
        new_markdown_cell(f"{sections['## Further reading']}\n\n"
                          "- TODO: the official documentation sections that go deeper."),
    ]
    nb: nbformat.NotebookNode = new_notebook(cells=cells)
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO})
    return nb


def add_to_toc(toc_path: pathlib.Path, entry: str, part: str) -> bool:
    """Add ``- file: entry`` at the end of ``part``; return True if the part is new."""
    lines = toc_path.read_text(encoding="utf-8").splitlines(keepends=True)
    if any(line.strip() == f"- file: {entry}" for line in lines):
        raise SystemExit(f"new_chapter: {entry} is already in {toc_path.name}")
    captions = [i for i, line in enumerate(lines) if line.lstrip().startswith("- caption:")]
    names = {i: line.split(":", 1)[1].strip().strip("\"'") for i, line in
             ((i, lines[i]) for i in captions)}
    wanted = [i for i, name in names.items() if name == part]
    if wanted:
        start = wanted[0]
        later = [i for i in captions if i > start]
        end = later[0] if later else len(lines)
        while end > start and not lines[end - 1].strip():
            end -= 1
        lines.insert(end, f"      - file: {entry}\n")
        toc_path.write_text("".join(lines), encoding="utf-8")
        return False
    reference = [i for i, name in names.items() if name == "Reference"]
    at = reference[0] if reference else len(lines)
    block = (f'  - caption: "{part}"\n    numbered: false\n    chapters:\n'
             f"      - file: {entry}\n")
    lines.insert(at, block)
    toc_path.write_text("".join(lines), encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", help="book/NN_short_name.ipynb")
    parser.add_argument("--title", required=True, help="the chapter's title")
    parser.add_argument("--part", required=True, help="the caption of its part in _toc.yml")
    parser.add_argument("--root", type=pathlib.Path, default=ROOT,
                        help="the repository (default: this one)")
    args = parser.parse_args(argv)
    match = NAME.match(args.notebook)
    if not match:
        parser.error("the notebook must be book/NN_lowercase_name.ipynb (NN: two digits)")
    if match["number"] in chapter_rules.QUESTION_TITLES:
        parser.error(f"chapters {min(chapter_rules.QUESTION_TITLES)}-"
                     f"{max(chapter_rules.QUESTION_TITLES)} are the six questions; pick another NN")
    if not args.title.strip() or not args.part.strip():
        parser.error("--title and --part must not be empty")
    path = args.root / args.notebook
    if path.exists():
        parser.error(f"{args.notebook} exists already")
    stem = pathlib.Path(args.notebook).stem
    entry = f"book/{stem}"
    new_part = add_to_toc(args.root / "_toc.yml", entry, args.part)
    title = f"{int(match['number'])}. {args.title.strip()}"
    nbformat.write(chapter(title, stem.split("_", 1)[1].replace("_", "-")), path)
    print(f"created {args.notebook} and added it to _toc.yml under {args.part!r}"
          f"{' (a new part)' if new_part else ''}.")
    print("Next:")
    print("  1. Write the chapter: replace every TODO (CONTRIBUTING.md says how); the")
    print("     template's example cells (machine summary, claim) are there to be replaced.")
    print("  2. Put every function a child process runs in mpworkers/<module>.py, typed,")
    print("     documented and argument-checked, with tests/test_<module>.py; add the module")
    print("     to book/api.md and to the list in mpworkers/__init__.py's docstring.")
    if new_part:
        print(f"  3. Describe the new part on the landing page: a '### {args.part}' section")
        print("     in book/intro.md.")
    print(f"  {'4' if new_part else '3'}. make execute NB={args.notebook}   (stores its outputs)")
    print(f"  {'5' if new_part else '4'}. make test-notebooks NB={args.notebook}, "
          f"make test-constrained NB={args.notebook},")
    print("     make test-unit (lint, types, unit tests, chapter rules) and make book;")
    print("     then commit the notebook with its outputs, the module and its tests.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
