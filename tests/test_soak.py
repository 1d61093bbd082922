"""Unit tests for tools/soak.py (``make soak``): its report, and how it stops early."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
from types import ModuleType
from typing import Any

import psutil
import pytest

from tests.tool_modules import load_tool

ROOT = pathlib.Path(__file__).resolve().parent.parent
JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
<testcase classname="book.01_a.ipynb" name="Cell 3"/>
<testcase classname="book.01_a.ipynb" name="Cell 9"><failure message="x"/></testcase>
<testcase classname="book.02_b.ipynb" name="Cell 1"><error message="y"/></testcase>
</testsuite></testsuites>
"""


@pytest.fixture(scope="module")
def soak() -> ModuleType:
    return load_tool("soak")


def _claims_log(path: pathlib.Path, *records: tuple[str, float | None]) -> pathlib.Path:
    lines = [json.dumps({"source": "book/01_a.ipynb", "statement": "A beats B",
                         "verdict": verdict, "value": value}) for verdict, value in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_soak_runs_the_notebooks_with_make_test_notebooks_options(soak: ModuleType) -> None:
    # both read tests/nbval.opts: what make test-notebooks runs is what the soak repeats
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    printed = subprocess.run(
        ["make", "-s", "--no-print-directory", "--eval",
         "print-nbval-opts: ; @echo $(NBVAL_OPTS)", "print-nbval-opts"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    assert soak.NBVAL == [*printed.split(), "-q"]
    assert soak.NBVAL[:2] == ["--nbval", "--nbval-current-env"]
    sanitize = soak.NBVAL[soak.NBVAL.index("--nbval-sanitize-with") + 1]
    assert (ROOT / sanitize).is_file()


def test_failures_lists_failed_and_errored_items(soak: ModuleType, tmp_path: pathlib.Path) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text(JUNIT, encoding="utf-8")
    assert soak.failures(junit) == ["book.01_a.ipynb::Cell 9", "book.02_b.ipynb::Cell 1"]
    assert soak.failures(tmp_path / "missing.xml") == ["(no report: pytest did not finish)"]


def test_report_counts_failures_against_each_methods_runs(
    soak: ModuleType, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str],
) -> None:
    tally = soak.Tally()
    log = _claims_log(tmp_path / "a.jsonl", ("holds", 1.8), ("holds", float("nan")))
    tally.add("fork", 100.0, [], log)
    tally.add("fork", 104.0, ["book.01_a.ipynb::Cell 9"], _claims_log(
        tmp_path / "b.jsonl", ("not met", 1.2)))
    tally.add("spawn", 120.0, [], tmp_path / "no-log.jsonl")
    tally.report(["book"], interrupted=False)
    out = capsys.readouterr().out
    assert "3 runs of book (2 under fork, 1 under spawn): 1 failed" in out
    assert "fork: book.01_a.ipynb::Cell 9: 1/2" in out
    # NaN is not a figure: the range is that of the two numbers
    assert "book/01_a.ipynb: A beats B: 2 holds, 1 not met; measured 1.2 to 1.8" in out


def test_an_interrupted_soak_reports_what_finished_and_cleans_up(
    soak: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    folders: list[pathlib.Path] = []

    def fake_run(command: list[str]) -> subprocess.CompletedProcess[str]:
        junit = pathlib.Path(next(a for a in command if a.startswith("--junitxml="))
                             .split("=", 1)[1])
        folders.append(junit.parent)
        if len(folders) == 2:
            raise KeyboardInterrupt  # what Ctrl-C, or SIGTERM through the handler, does
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(soak, "run_pytest", fake_run)
    monkeypatch.setattr(soak.signal, "signal", lambda *args: None)
    assert soak.main(["--runs", "3", "--methods", "fork,spawn", "book"]) == 130
    out = capsys.readouterr().out
    assert "run 1/3       fork" in out
    assert "interrupted: the run in progress is not counted" in out
    assert "1 runs of book (stopped early; 1 under fork): 0 failed" in out
    assert not folders[0].exists()


def test_run_pytest_ends_the_whole_process_group_when_interrupted(
    soak: ModuleType, monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not hasattr(os, "killpg"):
        pytest.skip("process groups are POSIX")
    started: list[subprocess.Popen[Any]] = []

    def interrupted(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> Any:
        started.append(self)
        raise KeyboardInterrupt

    monkeypatch.setattr(subprocess.Popen, "communicate", interrupted)
    # a child that would outlive the test if it were not ended, and its own child
    code = ("import subprocess, sys, time; "
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
            "time.sleep(120)")
    with pytest.raises(KeyboardInterrupt):
        soak.run_pytest([sys.executable, "-c", code])
    (proc,) = started
    assert proc.returncode is not None
    group = [p for p in psutil.process_iter(["pid"]) if _group_of(p) == proc.pid]
    assert psutil.wait_procs(group, timeout=30)[1] == []


def _group_of(process: psutil.Process) -> int | None:
    try:
        return os.getpgid(process.pid)
    except (ProcessLookupError, PermissionError):
        return None


def test_end_tree_ends_descendants_in_other_sessions(soak: ModuleType) -> None:
    # a child that starts a grandchild in a session of its own, as jupyter_client
    # starts a kernel, then waits; the grandchild waits too
    script = (
        "import subprocess, sys\n"
        "g = subprocess.Popen([sys.executable, '-c', 'import sys; sys.stdin.read()'],\n"
        "                     stdin=subprocess.PIPE, start_new_session=True)\n"
        "print(g.pid, flush=True)\n"
        "sys.stdin.read()\n"
    )
    with subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True, start_new_session=True) as child:
        assert child.stdout is not None
        grandchild = psutil.Process(int(child.stdout.readline()))
        parent = psutil.Process(child.pid)
        assert grandchild.ppid() == child.pid
        assert os.getsid(grandchild.pid) != os.getsid(child.pid)
        soak.end_tree(child.pid, timeout=10)  # it waits for both (and reaps the child)
        assert not parent.is_running() and not grandchild.is_running()


def test_end_tree_of_a_finished_process_does_nothing(soak: ModuleType) -> None:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    soak.end_tree(finished.pid)  # reaped, so no such process: returns quietly
