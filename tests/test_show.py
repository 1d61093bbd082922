"""Unit tests for mpworkers.lab.show: listings of sources and programs, and running programs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mpworkers import square
from mpworkers.lab.show import Listing, run_program, show_program, show_run, show_source


def test_show_source_is_the_module_text_titled_with_its_file() -> None:
    listing = show_source(square)
    assert listing.title == "mpworkers/basics.py"
    assert listing.code.startswith("def square(")
    assert repr(listing).splitlines()[0] == "# mpworkers/basics.py"


def test_show_source_joins_several_objects_and_names_each_file_once() -> None:
    from mpworkers.workloads import spin, wait

    listing = show_source(square, spin, wait)
    assert listing.title == "mpworkers/basics.py, mpworkers/workloads.py"
    assert "def spin(" in listing.code and "def wait(" in listing.code


def test_markdown_is_a_python_code_block() -> None:
    text = show_source(square)._repr_markdown_()
    assert text.startswith("`mpworkers/basics.py`\n\n```python\ndef square(")
    assert text.endswith("```\n")


def test_a_listing_holding_a_fence_uses_a_longer_one() -> None:
    text = Listing('s = """\n```\n"""\n')._repr_markdown_()
    assert text.startswith("````python\n") and text.endswith("````\n")


@pytest.mark.parametrize("bad", [len, 42])
def test_show_source_refuses_objects_without_source(bad: object) -> None:
    with pytest.raises(TypeError, match="no source"):
        show_source(bad)


def test_show_source_needs_an_object() -> None:
    with pytest.raises(ValueError, match="at least one"):
        show_source()


def test_listing_checks_its_arguments() -> None:
    with pytest.raises(TypeError):
        Listing(42)  # type: ignore[arg-type]


@pytest.fixture
def program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "programs"
    folder.mkdir()
    path = folder / "hello.py"
    path.write_text(
        "import os, sys\n"
        "print('hello', *sys.argv[1:], os.environ.get('WHO', ''))\n"
        "print('in', os.getcwd(), file=sys.stderr)\n"
        "sys.exit(3)\n",
        encoding="utf-8")
    return path


def test_show_program_titles_the_file_with_the_path_given(program: Path) -> None:
    listing = show_program("programs/hello.py")
    assert listing.title == "programs/hello.py"
    assert listing.code == program.read_text(encoding="utf-8")


def test_run_program_runs_a_copy_in_a_temporary_folder(program: Path) -> None:
    result = run_program("programs/hello.py", args=["you"], env={"WHO": "there"})
    assert result.returncode == 3
    assert result.stdout == "hello you there\n"
    assert result.stderr == "in <tmp>\n"
    assert sorted(os.listdir(program.parent)) == ["hello.py"]


def test_show_run_prints_what_a_terminal_shows(program: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    result = show_run("programs/hello.py", args=["you"], env={"WHO": "there"})
    assert result.returncode == 3
    assert capsys.readouterr().out == (
        "$ WHO=there python hello.py you\nhello you there\nin <tmp>\n[exit code 3]\n")


@pytest.mark.parametrize("path, error", [
    ("programs/missing.py", ValueError), ("programs/hello.txt", ValueError), (3, TypeError)])
def test_programs_must_be_existing_python_files(program: Path, path: object,
                                                error: type[Exception]) -> None:
    with pytest.raises(error):
        show_program(path)  # type: ignore[arg-type]
    with pytest.raises(error):
        run_program(path)  # type: ignore[arg-type]
