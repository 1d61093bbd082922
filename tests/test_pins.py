"""Unit tests for tools/pins.py and the pinned environments it helps to make."""

from __future__ import annotations

import re
from pathlib import Path

from tests.tool_modules import load_tool

pins = load_tool("pins")
ROOT = Path(__file__).resolve().parent.parent


def test_pins_sorts_names_without_case() -> None:
    report = {"install": [{"metadata": {"name": "numpy", "version": "2.5.5"}},
                          {"metadata": {"name": "Jinja2", "version": "3.1.6"}}]}
    assert pins.pins(report) == ["Jinja2==3.1.6", "numpy==2.5.5"]


def test_binder_pins_every_package_and_installs_mpworkers_editable() -> None:
    lines = [line for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()
             if line and not line.startswith("#")]
    assert lines and all(re.fullmatch(r"[A-Za-z0-9_.-]+==\S+", line) for line in lines)
    names = {line.split("==")[0].lower() for line in lines}
    for wanted in ("numpy", "dask", "matplotlib", "ipykernel", "psutil", "tqdm"):
        assert wanted in names
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.14"
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert "--no-deps" in post_build and "-e ." in post_build


def test_constraints_pin_the_tools_for_the_pythons_ci_uses() -> None:
    # a new release of a linter or of its stubs must not turn a clean clone's CI red
    stubs = re.findall(r"^(types-[A-Za-z0-9_.-]+)", (ROOT / "requirements-dev.txt").read_text(),
                       flags=re.MULTILINE)
    assert stubs
    for version in ("3.11", "3.14"):
        text = (ROOT / "constraints" / f"{version}.txt").read_text()
        names = {line.split("==")[0].lower() for line in text.splitlines()
                 if "==" in line and not line.startswith("#")}
        for tool in ("ruff", "mypy", "pytest", "nbval", "jupyter-book", "sphinx", "playwright",
                     *(stub.lower() for stub in stubs)):
            assert tool in names, f"constraints/{version}.txt does not pin {tool}"
    # and the venv that make lint and make test-unit use is installed with them
    makefile = (ROOT / "Makefile").read_text()
    assert 'pins="-c constraints/$$v.txt"' in makefile
    assert "-r requirements-dev.txt $$pins" in makefile
