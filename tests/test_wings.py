"""The package's two wings: what the chapters' processes run, and the measuring kit.

A worker module (``mpworkers/*.py``) is what spawn and forkserver children
import and what readers study; the kit (``mpworkers/lab/``) proves the
chapters' claims. A worker module must not import the kit, so that a reader
can take it home without the course's instruments, with the exceptions
named in :data:`MAY_IMPORT_THE_KIT`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mpworkers"

# worker module: why it may import the kit
MAY_IMPORT_THE_KIT = {
    "pools.py": "pool_size sizes a pool from the CPUs that lab.cpus reads (chapter 5)",
}

WORKER_MODULES = sorted(p.name for p in PACKAGE.glob("*.py"))


def kit_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mpworkers.lab"):
            found.append(node.module or "")
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("mpworkers.lab")]
    return found


@pytest.mark.parametrize("name", WORKER_MODULES)
def test_a_worker_module_does_not_import_the_kit(name: str) -> None:
    imports = kit_imports(PACKAGE / name)
    if name in MAY_IMPORT_THE_KIT:
        assert imports, f"{name} no longer imports the kit: drop it from MAY_IMPORT_THE_KIT"
    else:
        assert not imports, f"{name} imports the measuring kit: {imports}"


def test_the_kit_is_a_subpackage() -> None:
    assert (PACKAGE / "lab" / "__init__.py").is_file()
    assert {"claims.py", "report.py", "machine.py", "cpus.py", "show.py"} <= {
        p.name for p in (PACKAGE / "lab").glob("*.py")}


# The sizes a maintainer can read at once (CONTRIBUTING.md, "Two wings").
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
ALL_MODULES = sorted(PACKAGE.rglob("*.py"))


def long_functions(source: str) -> list[tuple[str, int, str]]:
    """(name, lines, the line above it) of each function longer than the limit."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                found.append((node.name, length, lines[first - 2].strip() if first > 1 else ""))
    return found


@pytest.mark.parametrize("path", ALL_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_too_long_to_read(path: Path) -> None:
    count = len(path.read_text(encoding="utf-8").splitlines())
    assert count <= MAX_MODULE_LINES, f"{path.name}: {count} lines; split it by what it holds"


@pytest.mark.parametrize("path", ALL_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_long_function_says_why_at_its_top(path: Path) -> None:
    unexplained = [f"{name} ({length} lines)"
                   for name, length, above in long_functions(path.read_text(encoding="utf-8"))
                   if not above.startswith("#")]
    assert not unexplained, f"{path.name}: split them, or say why above the def: {unexplained}"


def test_the_length_check_can_fail() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    assert [name for name, _, _ in long_functions(f"def f():\n{body}\n")] == ["f"]
    assert long_functions(f"# long: a table\ndef g():\n{body}\n")[0][2] == "# long: a table"
    assert long_functions("def h():\n    return 1\n") == []
