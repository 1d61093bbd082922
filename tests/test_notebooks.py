"""Static checks of the stored notebooks, and checks that nothing was forgotten.

The rules for a chapter live in ``tests/chapter_rules.py``; these tests apply
them to every notebook in ``book/`` (re-executing the notebooks is nbval's
job, ``make test-notebooks``). The other tests check what an author adding a
chapter or a module must not forget: the table of contents, the landing
page, the API page, the package docstring, and the rules as
``CONTRIBUTING.md`` states them.
"""

from __future__ import annotations

import json
import pathlib
import re

import pytest
import yaml

from tests import chapter_rules

ROOT = pathlib.Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
MODULES = sorted(
    path.stem for path in (ROOT / "mpworkers").glob("*.py")
    if not path.stem.startswith("_")
)


def load(path: pathlib.Path) -> chapter_rules.Notebook:
    data: chapter_rules.Notebook = json.loads(path.read_text(encoding="utf-8"))
    return data


def toc() -> dict:  # type: ignore[type-arg]
    data: dict = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))  # type: ignore[type-arg]
    return data


def toc_files() -> list[str]:
    files = [toc()["root"]]
    for part in toc().get("parts", []):
        files += [chapter["file"] for chapter in part.get("chapters", [])]
    return files


@pytest.mark.parametrize("rule", sorted(chapter_rules.RULES))
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_rule(path: pathlib.Path, rule: str) -> None:
    problems = chapter_rules.RULES[rule](load(path), path.name)
    assert not problems, "\n".join(problems)


def test_every_notebook_is_in_the_toc_and_every_toc_entry_exists() -> None:
    listed = toc_files()
    missing = [path.name for path in NOTEBOOKS if f"book/{path.stem}" not in listed]
    assert not missing, f"not in _toc.yml: {missing} (make new-chapter adds new chapters)"
    for entry in listed:
        assert any((ROOT / f"{entry}{ext}").exists() for ext in (".ipynb", ".md")), entry


def test_there_is_a_chapter_per_question() -> None:
    prefixes = {path.name[:2] for path in NOTEBOOKS}
    assert set(chapter_rules.QUESTION_TITLES) <= prefixes


def test_every_part_of_the_book_is_described_on_the_landing_page() -> None:
    intro = (ROOT / f"{toc()['root']}.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^### (.+?)\s*$", intro, re.M))
    captions = [part["caption"] for part in toc().get("parts", [])]
    missing = [c for c in captions if c not in headings]
    assert not missing, (
        f"parts of _toc.yml without a '### <caption>' section on the landing page "
        f"({toc()['root']}.md): {missing}"
    )


@pytest.mark.parametrize("module", MODULES)
def test_every_module_is_on_the_api_page_and_in_the_package_docstring(module: str) -> None:
    api = (BOOK / "api.md").read_text(encoding="utf-8")
    assert f".. automodule:: mpworkers.{module}\n" in api, (
        f"mpworkers.{module} has no section on book/api.md (an automodule directive)"
    )
    import mpworkers

    assert f":mod:`mpworkers.{module}`" in (mpworkers.__doc__ or ""), (
        f"mpworkers.{module} is not listed in the package docstring (mpworkers/__init__.py)"
    )


def contributing_rule(name: str) -> list[str]:
    """The items of the list that CONTRIBUTING.md keeps between <!-- rules: NAME --> markers."""
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    block = re.search(rf"<!-- rules: {name} -->\n(.*?)<!-- /rules -->", text, re.S)
    assert block, f"CONTRIBUTING.md has no '<!-- rules: {name} -->' block"
    return re.findall(r"^\s*[-*\d.]+\s+`([^`]+)`", block[1], re.M)


def test_contributing_states_the_rules_the_tests_apply() -> None:
    assert contributing_rule("question-sections") == chapter_rules.QUESTION_SECTIONS
    assert contributing_rule("sections") == chapter_rules.SECTIONS
    assert contributing_rule("admonitions") == chapter_rules.ADMONITIONS
    assert contributing_rule("hiding-tags") == sorted(chapter_rules.HIDING_TAGS)
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert f"at least {chapter_rules.MIN_EXERCISES} exercises" in text


def test_nothing_in_the_repository_points_outside_it() -> None:
    outside = re.compile(r"\.\./shared|COURSE_GUIDE")
    tracked = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *BOOK.glob("*.md"), *NOTEBOOKS,
               *(ROOT / "mpworkers").glob("*.py"), *(ROOT / "tools").glob("*")]
    found = [str(p.relative_to(ROOT)) for p in tracked
             if p.is_file() and outside.search(p.read_text(encoding="utf-8", errors="replace"))]
    assert not found, f"these files point outside the repository: {found}"


def test_a_new_chapter_passes_the_rules_once_executed(tmp_path: pathlib.Path) -> None:
    """The template of make new-chapter, executed as it is, breaks no rule."""
    import shutil
    import subprocess
    import sys

    from tools.execute import execute

    (tmp_path / "book").mkdir()
    shutil.copy(ROOT / "_toc.yml", tmp_path / "_toc.yml")
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "new_chapter.py"), "book/42_new_thing.ipynb",
         "--title", "A new thing", "--part", "A new part", "--root", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "### A new part" in done.stdout
    assert "- file: book/42_new_thing" in (tmp_path / "_toc.yml").read_text()
    path = tmp_path / "book" / "42_new_thing.ipynb"
    unexecuted = load(path)
    assert chapter_rules.check_execution(unexecuted, path.name)  # not executed yet
    assert not chapter_rules.check_anatomy(unexecuted, path.name)
    assert not chapter_rules.check_exercises(unexecuted, path.name)
    execute(path, timeout=60)  # as make execute does
    assert chapter_rules.all_problems(load(path), path.name) == []
    again = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "new_chapter.py"), "book/42_new_thing.ipynb",
         "--title", "x", "--part", "y", "--root", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )
    assert again.returncode != 0 and "exists already" in again.stderr
