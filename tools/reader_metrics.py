"""What a reader of each chapter sees: the figures behind "plain code first".

For every notebook in ``book/`` it prints:

* ``cells``: the code cells whose input a reader sees (not collapsed with
  ``hide-input`` or ``jupyter.source_hidden``, not removed);
* ``kit``: how many of those use the course's measuring kit (a name from
  :mod:`mpworkers.lab`, or one of the scaffolding helpers in :data:`SCAFFOLDING`),
  and their share;
* ``strings``: complete programs held in string literals (a call of
  ``run_script`` or a triple-quoted string with a ``__main__`` guard), in any
  cell;
* ``unshown``: the workers a chapter imports from :mod:`mpworkers` whose source
  no cell of this or an earlier chapter shows with ``show_source``;
* ``minutes``: the estimated reading time: prose at 180 words a minute, code a
  reader sees (cells and shown listings) at 15 lines a minute, other outputs at
  40 lines a minute.

Under each chapter's title, a line says the reading time
(``*Reading time: about 12 minutes.*``); ``--write`` sets it from the estimate,
and ``--check`` fails when it is more than a minute off.

``--check`` exits with status 1 when a chapter misses a target
(:data:`TARGETS`) by more than the allowance recorded for it in
:data:`ALLOWANCES`, which only ever goes down: a chapter that has reached a
target keeps it. ``make test-unit`` runs ``--check``.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# Helpers of the worker wing that only scaffold a demonstration: a cell that
# calls one counts as measuring kit, as a cell using mpworkers.lab does.
SCAFFOLDING = {"Echo", "sweep", "REF"}

# The targets of the reader-first rules (CONTRIBUTING.md, "Reader-first code").
KIT_SHARE = 0.15
KIT_SHARE_INSTRUMENT_CHAPTERS = {"07": 0.40, "08": 0.40}
MAX_MINUTES = 40.0
TARGETS = {"strings": 0, "unshown": 0}

# What each chapter still has above a target, recorded when the rule arrived;
# lower these as chapters are rewritten, never raise them.
ALLOWANCES: dict[str, dict[str, float]] = {}

WORDS_PER_MINUTE = 180
CODE_LINES_PER_MINUTE = 15
OUTPUT_LINES_PER_MINUTE = 40

READING = re.compile(r"^\*Reading time: about (\d+) minutes\.\*$", re.M)

HIDDEN_TAGS = {"hide-input", "remove-input", "remove-cell", "remove_cell", "hide-cell"}
LISTING = re.compile(r"^```+python\n(.*?)^```+", re.S | re.M)


def source(cell: dict[str, Any]) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else str(text)


def input_hidden(cell: dict[str, Any]) -> bool:
    meta = cell.get("metadata", {})
    return bool(HIDDEN_TAGS & set(meta.get("tags", []))) or bool(
        meta.get("jupyter", {}).get("source_hidden"))


def _imports(code: str) -> list[tuple[str, list[str]]]:
    """(module, names) for each ``from mpworkers... import`` and ``import mpworkers...``."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mpworkers"):
            found.append((node.module or "", [a.asname or a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("mpworkers"):
                    found.append((alias.name, []))
    return found


def _names_used(code: str) -> set[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    return names


def _strings_with_programs(code: str) -> int:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return 0
    count = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "run_script" and node.args and not isinstance(node.args[0], ast.Name):
                count += 1
                continue
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(
                node.value.value, str) and "__main__" in node.value.value and "\n" in (
                node.value.value):
            count += 1
    return count


def _shown_objects(cell: dict[str, Any]) -> set[str]:
    """Names passed to show_source in a cell."""
    try:
        tree = ast.parse(source(cell))
    except SyntaxError:
        return set()
    shown = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "show_source":
                for arg in node.args:
                    if isinstance(arg, ast.Name):
                        shown.add(arg.id)
                    elif isinstance(arg, ast.Attribute):
                        shown.add(arg.attr)
    return shown


def _is_worker(module: str, name: str) -> bool:
    """A function or class of a worker module (not the kit, not a constant)."""
    if module.startswith("mpworkers.lab") or name in SCAFFOLDING:
        return False
    try:
        obj = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return False
    return inspect.isfunction(obj) or inspect.isclass(obj)


def _output_lines(cell: dict[str, Any]) -> tuple[int, int]:
    """(code lines, other lines) of a cell's outputs."""
    code = other = 0
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            other += len("".join(out.get("text", "")).splitlines())
        elif out.get("output_type") in {"execute_result", "display_data"}:
            data = out.get("data", {})
            if "text/markdown" in data:
                text = "".join(data["text/markdown"])
                listed = sum(len(m.group(1).splitlines()) for m in LISTING.finditer(text))
                code += listed
                other += 0 if listed else len(text.splitlines())
            elif "text/plain" in data and "image/png" not in data:
                other += len("".join(data["text/plain"]).splitlines())
        elif out.get("output_type") == "error":
            other += len(out.get("traceback", []))
    return code, other


@dataclass
class Figures:
    name: str
    stated_minutes: int | None = None
    cells: int = 0
    kit: int = 0
    strings: int = 0
    unshown: list[str] = field(default_factory=list)
    words: int = 0
    code_lines: int = 0
    output_lines: int = 0

    @property
    def chapter(self) -> str:
        return self.name[:2]

    @property
    def kit_share(self) -> float:
        return self.kit / self.cells if self.cells else 0.0

    @property
    def minutes(self) -> float:
        return (self.words / WORDS_PER_MINUTE + self.code_lines / CODE_LINES_PER_MINUTE
                + self.output_lines / OUTPUT_LINES_PER_MINUTE)

    def values(self) -> dict[str, float]:
        return {"kit_share": round(self.kit_share, 3), "strings": self.strings,
                "unshown": len(self.unshown), "minutes": round(self.minutes, 1)}


def targets(chapter: str) -> dict[str, float]:
    return {"kit_share": KIT_SHARE_INSTRUMENT_CHAPTERS.get(chapter, KIT_SHARE),
            "minutes": MAX_MINUTES, **TARGETS}


def measure(book: Path) -> list[Figures]:
    shown_before: set[str] = set()
    results = []
    for path in sorted(book.glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        fig = Figures(path.name)
        stated = READING.search(source(nb["cells"][0])) if nb["cells"] else None
        fig.stated_minutes = int(stated.group(1)) if stated else None
        kit_names = set(SCAFFOLDING)
        workers: dict[str, str] = {}
        code_cells = [c for c in nb["cells"] if c["cell_type"] == "code" and source(c).strip()]
        for cell in code_cells:
            for module, names in _imports(source(cell)):
                if module.startswith("mpworkers.lab"):
                    kit_names.update(names or ["lab"])
                for name in names:
                    if _is_worker(module, name):
                        workers[name] = module
        shown_here: set[str] = set()
        used: set[str] = set()
        for cell in nb["cells"]:
            text = source(cell)
            if cell["cell_type"] == "markdown":
                fig.words += len(re.sub(r"[`*_#>\[\]()]", " ", text).split())
                continue
            if cell["cell_type"] != "code" or not text.strip():
                continue
            fig.strings += _strings_with_programs(text)
            shown_here |= _shown_objects(cell)
            cell_names = _names_used(text)
            used |= cell_names
            code_out, other_out = _output_lines(cell)
            fig.code_lines += code_out
            fig.output_lines += other_out
            if input_hidden(cell):
                continue
            fig.cells += 1
            fig.code_lines += len(text.splitlines())
            if cell_names & kit_names or "mpworkers.lab" in text:
                fig.kit += 1
        fig.unshown = sorted(n for n in workers if n in used and n not in shown_before | shown_here)
        shown_before |= shown_here
        results.append(fig)
    return results


def problems(figures: list[Figures]) -> list[str]:
    found = []
    for fig in figures:
        if fig.stated_minutes is None:
            found.append(f"{fig.name}: no reading-time line under the title (run --write)")
        elif abs(fig.stated_minutes - fig.minutes) > 1:
            found.append(f"{fig.name}: the title says {fig.stated_minutes} minutes of reading, "
                         f"the estimate is {fig.minutes:.1f} (run --write)")
        allowed = ALLOWANCES.get(fig.chapter, {})
        for key, value in fig.values().items():
            limit = max(targets(fig.chapter)[key], allowed.get(key, 0))
            if value > limit:
                what = f" ({', '.join(fig.unshown)})" if key == "unshown" else ""
                found.append(f"{fig.name}: {key} {value} is above {limit}{what}")
    return found


def write_reading_times(book: Path, figures: list[Figures]) -> None:
    """Set the reading-time line under each chapter's title to its estimate."""
    for fig in figures:
        path = book / fig.name
        nb = json.loads(path.read_text(encoding="utf-8"))
        first = nb["cells"][0]
        text = source(first)
        line = f"*Reading time: about {round(fig.minutes)} minutes.*"
        if READING.search(text):
            text = READING.sub(line, text, count=1)
        else:
            title, _, rest = text.partition("\n")
            text = f"{title}\n\n{line}\n{rest}"
        first["source"] = text.splitlines(keepends=True)
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--book", type=Path, default=ROOT / "book")
    parser.add_argument("--check", action="store_true", help="fail when a target is missed")
    parser.add_argument("--write", action="store_true",
                        help="set the reading-time line under each title")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    figures = measure(args.book)
    if args.write:
        write_reading_times(args.book, figures)
        figures = measure(args.book)
    print(f"{'chapter':<36} {'cells':>5} {'kit':>4} {'share':>6} {'strings':>7} "
          f"{'unshown':>7} {'minutes':>7}")
    for fig in figures:
        print(f"{fig.name:<36} {fig.cells:>5} {fig.kit:>4} {fig.kit_share:>6.0%} "
              f"{fig.strings:>7} {len(fig.unshown):>7} {fig.minutes:>7.1f}")
    total = sum(f.cells for f in figures)
    kit = sum(f.kit for f in figures)
    print(f"{'all':<36} {total:>5} {kit:>4} {kit / max(total, 1):>6.0%} "
          f"{sum(f.strings for f in figures):>7} {sum(len(f.unshown) for f in figures):>7} "
          f"{sum(f.minutes for f in figures):>7.1f}")
    if args.check:
        found = problems(figures)
        for line in found:
            print("MISSED:", line)
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
