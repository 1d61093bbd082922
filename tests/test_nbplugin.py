"""Tests of the test machinery: bad notebooks must fail, naming the notebook and the cell.

Each test writes a tiny notebook, runs pytest with nbval and tests/nbplugin.py
on it in a subprocess, and checks the outcome and the message.
"""

from __future__ import annotations

import collections
import os
import pathlib
from collections.abc import Callable

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from tests import nbplugin

ROOT = pathlib.Path(__file__).resolve().parent.parent
SANITIZE = ROOT / "tests" / "sanitize.cfg"
# the run_nbval fixture: pytest with nbval on the given arguments, in a subprocess
RunNbval = Callable[..., pytest.RunResult]


def write_notebook(folder: pathlib.Path, name: str, cells: list[tuple[str, str]]) -> pathlib.Path:
    """A notebook whose code cells have the given sources and stored stdout."""
    nb = new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                  "language": "python"}}
    for count, (code, stdout) in enumerate(cells, start=1):
        outputs = [new_output("stream", name="stdout", text=stdout)] if stdout else []
        nb.cells.append(new_code_cell(code, execution_count=count, outputs=outputs))
    path = folder / name
    nbformat.write(nb, path)
    return path


@pytest.fixture
def run_nbval(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> RunNbval:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.delenv("MPCOURSE_START_METHOD", raising=False)

    pytester.makeini("[pytest]\n")  # keep the inner run out of this repository's config

    def run(*args: str) -> pytest.RunResult:
        return pytester.runpytest_subprocess(
            "-p", "tests.nbplugin", "-p", "no:cacheprovider", "--nbval",
            f"--nbval-sanitize-with={SANITIZE}", "-v", *args,
        )

    return run


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_a_good_notebook_passes_under_each_start_method(
    pytester: pytest.Pytester, run_nbval: RunNbval, method: str
) -> None:
    write_notebook(pytester.path, "good.ipynb", [
        ("import multiprocessing\nprint(multiprocessing.get_start_method())", f"{method}\n"),
        ("import os\nprint('pid', os.getpid())", "pid 1\n"),  # sanitized
    ])
    result = run_nbval("--nbval-current-env", f"--mp-start-method={method}")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines([
        "*good.ipynb::start method PASSED*",
        "*good.ipynb::no leaked processes PASSED*",
    ])


def test_a_changed_output_fails_naming_notebook_and_cell(
    pytester: pytest.Pytester, run_nbval: RunNbval
) -> None:
    write_notebook(pytester.path, "changed.ipynb", [("print(1)", "1\n"), ("print(3)", "2\n")])
    result = run_nbval("--nbval-current-env")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*Cell 1: Cell outputs differ*", "FAILED changed.ipynb::Cell 1*"])


def test_a_failing_cell_fails_naming_notebook_and_cell(
    pytester: pytest.Pytester, run_nbval: RunNbval
) -> None:
    write_notebook(pytester.path, "broken.ipynb", [("raise ValueError('boom')", "")])
    result = run_nbval("--nbval-current-env")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*ValueError*boom*", "FAILED broken.ipynb::Cell 0*"])


def test_a_hanging_cell_times_out_naming_notebook_and_cell(
    pytester: pytest.Pytester, run_nbval: RunNbval
) -> None:
    hang = "import threading\nthreading.Event().wait()"
    write_notebook(pytester.path, "hangs.ipynb", [(hang, "")])
    result = run_nbval("--nbval-current-env", "--nbval-cell-timeout", "2")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*Timeout of 2 seconds exceeded*", "FAILED hangs.ipynb::Cell 0*"])


def test_a_missing_kernel_fails_naming_the_notebook(
    pytester: pytest.Pytester, run_nbval: RunNbval
) -> None:
    write_notebook(pytester.path, "nokernel.ipynb", [("print(1)", "1\n")])
    result = run_nbval("--nbval-kernel-name", "no-such-kernel")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*ERROR*nokernel.ipynb*", "*no-such-kernel*"])


def test_a_leaked_process_fails_naming_it(
    pytester: pytest.Pytester, run_nbval: RunNbval
) -> None:
    write_notebook(pytester.path, "leaks.ipynb", [(
        "import multiprocessing, mpworkers\n"
        "never = multiprocessing.Event()\n"
        "child = multiprocessing.Process(target=mpworkers.wait_for, args=(never,))\n"
        "child.start()",
        "",
    )])
    result = run_nbval("--nbval-current-env", "--mp-start-method=spawn")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*leaks.ipynb::no leaked processes FAILED*",
        "*leaks.ipynb left 1 child process(es) of the kernel alive*",
        "*pid * (*)*spawn_main*",
    ])


def test_a_leaked_shared_memory_block_fails_naming_it(
    pytester: pytest.Pytester, run_nbval: RunNbval
) -> None:
    if not os.path.isdir("/dev/shm"):
        pytest.skip("no /dev/shm on this platform")
    write_notebook(pytester.path, "shm.ipynb", [(
        "from multiprocessing import shared_memory\n"
        "block = shared_memory.SharedMemory(create=True, size=64)\n"
        "block.close()  # closed, never unlinked",
        "",
    )])
    result = run_nbval("--nbval-current-env")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*shm.ipynb::no leaked processes FAILED*",
        "*shm.ipynb left 1 shared-memory block(s) behind*psm_*",
    ])


CLAIM = (
    "from mpworkers.lab import claims\n"
    "_ = claims.check('two is at least {bound}', lambda: 2.0, at_least={bound}, fmt='{{:.1f}}x')"
)


def test_a_claim_not_met_fails_its_cell_in_strict_mode(
    pytester: pytest.Pytester, run_nbval: RunNbval
) -> None:
    write_notebook(pytester.path, "claim.ipynb", [
        (CLAIM.format(bound=1.5), "[holds] two is at least 1.5: measured 2.0x\n"),
        (CLAIM.format(bound=3), "[holds] two is at least 3: measured 2.0x\n"),
    ])
    result = run_nbval("--nbval-current-env")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines([
        "*ClaimNotMet*two is at least 3*",
        "*timing claims (strict): 1 holds, 1 not met*",
        "*not met: claim.ipynb: two is at least 3*",
        "FAILED claim.ipynb::Cell 1*",
    ])


def test_in_report_mode_claims_never_raise(
    pytester: pytest.Pytester, run_nbval: RunNbval
) -> None:
    write_notebook(pytester.path, "claim.ipynb", [
        (CLAIM.format(bound=3),
         "[not met] two is at least 3: measured 2.0x (3 tries: 2.0x to 2.0x)\n"),
    ])
    result = run_nbval("--nbval-current-env", "--mp-claims=report")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*timing claims (report): 1 not met*"])


@pytest.mark.parametrize("counts, too_many", [
    ({"holds": 20, "inconclusive": 1}, False),
    ({"holds": 20, "inconclusive": 2}, False),
    ({"holds": 20, "inconclusive": 3}, True),
    ({"holds": 1, "inconclusive": 2}, True),
    ({"not shown here: needs 2 CPUs": 30, "inconclusive": 2}, True),
    ({"not shown here: needs 2 CPUs": 30, "inconclusive": 1}, False),
])
def test_too_many_inconclusive_claims(counts: dict[str, int], too_many: bool) -> None:
    assert nbplugin.too_many_inconclusive(collections.Counter(counts)) is too_many


INCONCLUSIVE = (
    "import json, os\n"
    "with open(os.environ['MPWORKERS_CLAIMS_LOG'], 'a') as log:\n"
    "    for _ in range({n}):\n"
    "        log.write(json.dumps({{'source': '', 'statement': 's', 'verdict': 'inconclusive',\n"
    "                              'value': 1.0, 'cpus': 2, 'limited_by': 'x',\n"
    "                              'others_cpus': [1.0]}}) + '\\n')"
)


@pytest.mark.parametrize("mode, n, fails", [("strict", 2, True), ("strict", 1, False),
                                            ("report", 2, False)])
def test_a_strict_session_of_inconclusive_claims_fails(
    pytester: pytest.Pytester, run_nbval: RunNbval, mode: str, n: int,
    fails: bool,
) -> None:
    write_notebook(pytester.path, "busy.ipynb", [(INCONCLUSIVE.format(n=n), "")])
    result = run_nbval("--nbval-current-env", f"--mp-claims={mode}")
    result.assert_outcomes(passed=3)  # start method, the cell, no leaked processes
    assert (result.ret != 0) is fails
    if fails:
        result.stdout.fnmatch_lines(["*2 claims inconclusive*proves nothing*FAILED*"])
