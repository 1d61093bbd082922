"""Pytest plugin that runs the course's notebooks the way readers get them.

With ``--nbval``, nbval runs every code cell of every notebook in a fresh
kernel and compares its output with the stored one. This plugin adds:

* ``--mp-start-method=fork|spawn|forkserver``: that start method is made the
  default in the kernel before the notebook's first cell runs, through an
  IPython startup file in a temporary ``IPYTHONDIR``. A first test item per
  notebook (``start method``) checks that the kernel really uses it.
* a last test item per notebook (``no leaked processes``) that fails, naming
  each process, if the kernel still has a child process when the notebook
  ends; it then kills them so they cannot disturb later notebooks. The
  multiprocessing resource tracker and the fork server live as long as the
  kernel by design and are not counted. It also fails for a shared-memory
  block (``/dev/shm/psm_*``, Linux) that the notebook created and left
  behind, and unlinks it.
* strict claims: kernels run with ``MPWORKERS_CLAIMS=strict``, so a timing
  claim of :mod:`mpworkers.lab.claims` that is not met on a quiet machine with
  the CPUs it needs raises in its cell (``--mp-claims=report`` runs them as a
  reader's kernel does, never raising). Every claim's verdict is logged, and
  the terminal summary counts them per verdict and names those that did not
  hold; ``--mp-claims-log=PATH`` keeps the log (one JSON object per line).
"""

from __future__ import annotations

import collections
import json
import os
import queue
import shutil
import tempfile
import textwrap
from typing import TYPE_CHECKING, Any

import psutil
import pytest

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr

START_METHODS = ("fork", "spawn", "forkserver")
ENV_VAR = "MPCOURSE_START_METHOD"
# Read by mpworkers.lab.claims in the kernels (see its module docstring).
CLAIMS_MODE_VAR = "MPWORKERS_CLAIMS"
CLAIMS_LOG_VAR = "MPWORKERS_CLAIMS_LOG"
CLAIMS_SOURCE_VAR = "MPWORKERS_CLAIMS_SOURCE"

# Runs in the kernel before the first cell. Everything is kept inside a
# function so that no name leaks into the notebook's namespace: a notebook
# that forgot an import must fail in the tests as it fails for a reader.
SHM_LOG_VAR = "MPCOURSE_SHM_LOG"
STARTUP_CODE = textwrap.dedent(
    f"""\
    def _mpcourse_set_start_method():
        import multiprocessing
        import os

        method = os.environ.get({ENV_VAR!r})
        if method:
            multiprocessing.set_start_method(method)


    def _mpcourse_log_shared_memory():
        # Name every shared-memory block this kernel (or a forked child)
        # creates, so the leak check blames a notebook only for its own.
        import functools
        import os
        from multiprocessing import shared_memory

        log = os.environ.get({SHM_LOG_VAR!r})
        original = shared_memory.SharedMemory.__init__
        if not log or getattr(original, "_mpcourse", False):
            return

        @functools.wraps(original)
        def __init__(self, *args, **kwargs):
            original(self, *args, **kwargs)
            if self.name and (kwargs.get("create") or (len(args) > 1 and args[1])):
                with open(log, "a", encoding="utf-8") as f:
                    f.write(self.name.lstrip("/") + "\\n")

        __init__._mpcourse = True
        shared_memory.SharedMemory.__init__ = __init__


    _mpcourse_set_start_method()
    _mpcourse_log_shared_memory()
    del _mpcourse_set_start_method, _mpcourse_log_shared_memory
    """
)

# Where POSIX shared memory lives on Linux, and the prefix of the blocks that
# multiprocessing.shared_memory creates without a name given.
SHM_FOLDER = "/dev/shm"
SHM_PREFIX = "psm_"

# Processes that a kernel keeps on purpose for as long as it lives.
KEEP_ALIVE_MARKERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mpcourse", "multiprocessing course notebooks")
    group.addoption(
        "--mp-start-method",
        choices=START_METHODS,
        default=os.environ.get(ENV_VAR) or None,
        help="default multiprocessing start method in every notebook kernel "
        f"(default: ${ENV_VAR}, else the platform's default)",
    )
    group.addoption(
        "--mp-claims",
        choices=("strict", "report"),
        default="strict",
        help="strict (default): a timing claim not met on a quiet machine fails its cell; "
        "report: claims only print their verdict, as in a reader's kernel",
    )
    group.addoption(
        "--mp-claims-log",
        default=None,
        help="append every claim's verdict to this file (JSON lines)",
    )


def _nbval_enabled(config: pytest.Config) -> bool:
    option = config.option
    return bool(getattr(option, "nbval", False) or getattr(option, "nbval_lax", False))


def pytest_configure(config: pytest.Config) -> None:
    if not _nbval_enabled(config):
        return
    # Kernels inherit this process's environment.
    ipython_dir = tempfile.mkdtemp(prefix="mpcourse-ipython-")
    startup = os.path.join(ipython_dir, "profile_default", "startup")
    os.makedirs(startup)
    with open(os.path.join(startup, "00-start-method.py"), "w", encoding="utf-8") as f:
        f.write(STARTUP_CODE)
    config._mpcourse_ipython_dir = ipython_dir  # type: ignore[attr-defined]
    os.environ["IPYTHONDIR"] = ipython_dir
    os.environ[SHM_LOG_VAR] = os.path.join(ipython_dir, "shared-memory.log")
    method = config.option.mp_start_method
    if method:
        os.environ[ENV_VAR] = method
    else:
        os.environ.pop(ENV_VAR, None)
    os.environ[CLAIMS_MODE_VAR] = config.option.mp_claims
    log = config.option.mp_claims_log or os.path.join(ipython_dir, "claims.jsonl")
    config._mpcourse_claims_log = os.path.abspath(log)  # type: ignore[attr-defined]
    os.environ[CLAIMS_LOG_VAR] = config._mpcourse_claims_log  # type: ignore[attr-defined]


def read_claims(path: str) -> list[dict[str, Any]]:
    """The claims logged by the kernels, one dict per claim."""
    try:
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError):
        return []


# In a strict session, more inconclusive claims than this share of the claims
# that could be made (those not "not shown here") fail the session: a host that
# always withholds CPUs, or two vCPUs that are one core's hyperthreads, would
# otherwise leave every missed parallel claim inconclusive and the run green.
INCONCLUSIVE_SHARE = 0.1


def too_many_inconclusive(counts: collections.Counter[str]) -> bool:
    """Whether a strict session's inconclusive claims exceed their allowed share."""
    judged = sum(n for verdict, n in counts.items() if not verdict.startswith("not shown"))
    return counts.get("inconclusive", 0) > max(1, INCONCLUSIVE_SHARE * judged)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    path = getattr(config, "_mpcourse_claims_log", None)
    if not path:
        return
    records = read_claims(path)
    counts = collections.Counter(r["verdict"] for r in records)
    summary = ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items())) or "none"
    terminalreporter.write_sep("-", f"timing claims ({config.option.mp_claims}): {summary}")
    for r in records:
        if r["verdict"] != "holds":
            terminalreporter.write_line(
                f"  {r['verdict']}: {r['source']}: {r['statement']} "
                f"(value {r['value']:.3g}; {r['cpus']} CPUs, {r['limited_by']}; "
                f"others used {r['others_cpus']} CPUs; capacity {r.get('capacity')}"
                + (f"; {r['cores']}" if r.get("cores") else "") + ")"
            )
    if getattr(config, "_mpcourse_too_many_inconclusive", False):
        terminalreporter.write_sep(
            "!", f"{counts['inconclusive']} claims inconclusive: more than "
                 f"{INCONCLUSIVE_SHARE:.0%} of those judged; this machine did not give the "
                 "claims the CPUs they need, so this run proves nothing about them: FAILED",
            red=True, bold=True)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    path = getattr(config, "_mpcourse_claims_log", None)
    if not path or getattr(config.option, "mp_claims", None) != "strict":
        return
    counts = collections.Counter(r["verdict"] for r in read_claims(path))
    if too_many_inconclusive(counts):
        config._mpcourse_too_many_inconclusive = True  # type: ignore[attr-defined]
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    ipython_dir = getattr(config, "_mpcourse_ipython_dir", None)
    if ipython_dir:
        shutil.rmtree(ipython_dir, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> str | None:
    if not _nbval_enabled(config):
        return None
    method = config.option.mp_start_method or "the platform's default"
    return f"notebook kernels start with multiprocessing start method: {method}"


def kernel_eval(kernel: Any, expression: str, timeout: float = 30.0) -> str:
    """Evaluate ``expression`` in a running nbval kernel; return its repr.

    It uses ``user_expressions`` of a silent execute request, which prints
    nothing and does not count as a cell. nbval ignores the messages of
    requests it did not send.
    """
    msg_id = kernel.kc.execute("", silent=True, store_history=False,
                               user_expressions={"value": expression})
    while True:
        try:
            reply = kernel.kc.get_shell_msg(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"the kernel did not answer within {timeout} s") from None
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    result = reply["content"]["user_expressions"]["value"]
    if result["status"] != "ok":
        raise RuntimeError(f"{expression} failed in the kernel: {result.get('ename')}: "
                           f"{result.get('evalue')}")
    return str(result["data"]["text/plain"])


def kernel_pid(kernel: Any) -> int:
    """Return the process id of an nbval kernel."""
    pid = getattr(kernel.km.provisioner, "pid", None)
    if pid is None:
        raise RuntimeError("cannot find the kernel's process id")
    return int(pid)


def describe(proc: psutil.Process) -> str:
    try:
        cmdline = " ".join(proc.cmdline()) or proc.name()
        status: str = proc.status()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        cmdline, status = "?", "zombie"
    except psutil.AccessDenied:
        cmdline, status = proc.name(), "?"
    return f"pid {proc.pid} ({status}): {cmdline[:200]}"


def leaked_children(pid: int) -> list[psutil.Process]:
    """Children of ``pid``, at any depth, except those kept alive on purpose."""
    leaked = []
    for child in psutil.Process(pid).children(recursive=True):
        try:
            cmdline = " ".join(child.cmdline())
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            cmdline = ""
        except psutil.AccessDenied:
            continue
        if any(marker in cmdline for marker in KEEP_ALIVE_MARKERS):
            continue
        leaked.append(child)
    return leaked


def shared_memory_blocks() -> set[str]:
    """Names of the shared-memory blocks that exist now (empty where there is no /dev/shm)."""
    try:
        return {name for name in os.listdir(SHM_FOLDER) if name.startswith(SHM_PREFIX)}
    except OSError:
        return set()


def created_blocks(start: int = 0) -> tuple[list[str], int]:
    """Blocks the kernels logged as created, from line ``start``; and the next start."""
    try:
        with open(os.environ[SHM_LOG_VAR], encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (KeyError, OSError):
        return [], start
    return lines[start:], len(lines)


def mapped_by(tree: set[int]) -> set[str]:
    """Shared-memory blocks that a process of ``tree`` has mapped."""
    found: set[str] = set()
    for pid in tree:
        try:
            maps = psutil.Process(pid).memory_maps(grouped=True)
        except psutil.Error:
            continue
        for mapping in maps:
            if mapping.path.startswith(f"{SHM_FOLDER}/{SHM_PREFIX}"):
                found.add(os.path.basename(mapping.path))
    return found


class NotebookCheck(pytest.Item):
    """A check that runs in the kernel of the notebook it belongs to."""

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str | TerminalRepr:
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, self.name


class CheckFailed(Exception):
    pass


class StartMethodCheck(NotebookCheck):
    def runtest(self) -> None:
        kernel = self.parent.kernel  # type: ignore[union-attr]
        # name the notebook in the claims log
        source = os.path.relpath(str(self.path), str(self.config.rootpath))
        kernel_eval(kernel, f"__import__('os').environ.__setitem__({CLAIMS_SOURCE_VAR!r}, "
                            f"{source!r})")
        self.parent._mpcourse_shm_start = created_blocks()[1]  # type: ignore[union-attr]
        expected = self.config.option.mp_start_method
        actual = kernel_eval(
            kernel, "__import__('multiprocessing').get_start_method(allow_none=True)"
        ).strip("'\"")
        if expected and actual != expected:
            raise CheckFailed(
                f"{self.path.name}: the kernel's start method is {actual!r}, "
                f"expected {expected!r}: the IPython startup file did not run"
            )


class LeakCheck(NotebookCheck):
    def runtest(self) -> None:
        kernel = self.parent.kernel  # type: ignore[union-attr]
        if kernel is None or not kernel.is_alive():
            pytest.skip("the kernel is not running")
        pid = kernel_pid(kernel)
        problems: list[str] = []
        leaked = leaked_children(pid)
        if leaked:
            lines = [describe(p) for p in leaked]
            for proc in leaked:  # do not let them disturb the notebooks that follow
                try:
                    proc.kill()
                except psutil.Error:
                    pass
            problems.append(
                f"{self.path.name} left {len(leaked)} child process(es) of the kernel alive "
                "after its last cell (join or terminate them, or use a with block):\n  "
                + "\n  ".join(lines)
            )
        start = getattr(self.parent, "_mpcourse_shm_start", None)
        if start is not None:
            # blocks the kernel created, or that its processes still map, and
            # that still exist: blocks of other test runs are not counted
            created, _ = created_blocks(start)
            tree = {pid} | {p.pid for p in psutil.Process(pid).children(recursive=True)}
            blocks = sorted((set(created) | mapped_by(tree)) & shared_memory_blocks())
            for name in blocks:
                try:
                    os.unlink(os.path.join(SHM_FOLDER, name))
                except OSError:
                    pass
            if blocks:
                problems.append(
                    f"{self.path.name} left {len(blocks)} shared-memory block(s) behind "
                    f"(close() them in every process and unlink() each once): {', '.join(blocks)}"
                )
        if problems:
            raise CheckFailed("\n".join(problems))


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not _nbval_enabled(config):
        return
    from nbval.plugin import IPyNbCell

    result: list[pytest.Item] = []
    previous_parent = None
    for index, item in enumerate(items):
        is_cell = isinstance(item, IPyNbCell)
        if is_cell and item.parent is not previous_parent:
            assert item.parent is not None  # a cell's parent is its notebook
            result.append(StartMethodCheck.from_parent(item.parent, name="start method"))
        result.append(item)
        following = items[index + 1] if index + 1 < len(items) else None
        if is_cell and (following is None or following.parent is not item.parent):
            assert item.parent is not None
            result.append(LeakCheck.from_parent(item.parent, name="no leaked processes"))
        previous_parent = item.parent if is_cell else None
    items[:] = result
