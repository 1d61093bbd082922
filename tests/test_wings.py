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
