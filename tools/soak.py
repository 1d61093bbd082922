"""Run the notebook suite many times and count what failed, where.

    python tools/soak.py --runs 10                       # every notebook, 3 start methods
    python tools/soak.py --runs 5 --methods spawn,fork book/01_what_is_multiprocessing.ipynb

Each run is one ``pytest --nbval`` of the notebooks under one start method,
exactly as ``make test-notebooks`` runs them (strict claims, stored outputs
compared). The report lists, per notebook and cell, how many runs failed
there, and, per claim, how often it held, was inconclusive or was not
shown. A claim that fails one run in five fails a reader too: the suite is
flake-free only with 0 failures. The exit status is 1 if any run failed.

Stopped early (Ctrl-C, or SIGTERM), it ends the run in progress, reports the
runs that finished, deletes its temporary folder and exits with status 130.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import pathlib
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ROOT = pathlib.Path(__file__).resolve().parent.parent
# make test-notebooks' options (its NBVAL_OPTS reads the same file), quieter
NBVAL = [*shlex.split((ROOT / "tests" / "nbval.opts").read_text(encoding="utf-8"),
                      comments=True), "-q"]


def failures(junit: pathlib.Path) -> list[str]:
    """The test ids (notebook::item) that failed or errored in a JUnit XML report."""
    if not junit.exists():
        return ["(no report: pytest did not finish)"]
    failed = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(f"{case.get('classname', '')}::{case.get('name', '')}")
    return failed


class Tally:
    """What the runs so far found: failures per item, claims' verdicts and figures."""

    def __init__(self) -> None:
        self.failed_at: collections.Counter[tuple[str, str]] = collections.Counter()
        self.verdicts: dict[str, collections.Counter[str]] = collections.defaultdict(
            collections.Counter)
        self.figures: dict[str, list[float]] = collections.defaultdict(list)
        self.durations: dict[str, list[float]] = collections.defaultdict(list)
        self.failed_runs = 0

    def add(self, method: str, seconds: float, failed: list[str], log: pathlib.Path) -> None:
        self.durations[method].append(seconds)
        self.failed_at.update((method, name) for name in failed)
        self.failed_runs += bool(failed)
        if log.exists():
            for line in log.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                key = f"{record['source']}: {record['statement']}"
                self.verdicts[key][record["verdict"]] += 1
                value = record.get("value")
                if isinstance(value, (int, float)) and value == value:  # not NaN
                    self.figures[key].append(float(value))

    def report(self, notebooks: list[str], interrupted: bool) -> None:
        runs = {method: len(times) for method, times in self.durations.items()}
        total = sum(runs.values())
        per_method = ", ".join(f"{n} under {method}" for method, n in runs.items()) or "none"
        stopped = "stopped early; " if interrupted else ""
        print(f"\n{total} runs of {' '.join(notebooks)} ({stopped}{per_method}): "
              f"{self.failed_runs} failed")
        for method, times in self.durations.items():
            print(f"  {method}: median {sorted(times)[len(times) // 2]:.0f} s per run")
        if self.failed_at:
            print("\nfailures per notebook item (start method: notebook::item: runs failed):")
            for (method, name), count in sorted(self.failed_at.items()):
                print(f"  {method}: {name}: {count}/{runs[method]}")
        print("\nclaims (verdicts over all runs; the range of the measured figures, to set a "
              "bound with room to spare):")
        for key, counts in sorted(self.verdicts.items()):
            shown = ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items()))
            values = self.figures.get(key)
            span = f"; measured {min(values):.3g} to {max(values):.3g}" if values else ""
            print(f"  {key}: {shown}{span}")


def end_tree(pid: int, timeout: float = 10.0) -> None:
    """End process ``pid`` and all its descendants, whatever session each runs in.

    Killing pytest's process group is not enough: jupyter_client starts each
    kernel in a session of its own, and a kernel's pool workers would be left
    waiting, adopted by init. The tree is read first, since children whose
    parent has died no longer show as its children.
    """
    import psutil

    try:
        root = psutil.Process(pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for proc in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.terminate()
    _, alive = psutil.wait_procs(tree, timeout=timeout)
    for proc in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    psutil.wait_procs(alive, timeout=timeout)


def run_pytest(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run one suite in its own process group; on an interrupt, end it and all it started."""
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, start_new_session=True) as proc:
        try:
            out, _ = proc.communicate()
        except BaseException:
            end_tree(proc.pid)  # pytest, its kernels and their workers
            raise
    return subprocess.CompletedProcess(command, proc.returncode, out, "")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per start method")
    parser.add_argument("--methods", default="fork,spawn,forkserver",
                        help="start methods, comma-separated (default: all three)")
    parser.add_argument("notebooks", nargs="*", default=["book"])
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    methods = [m for m in args.methods.split(",") if m]

    signal.signal(signal.SIGTERM, _interrupt)
    tally = Tally()
    interrupted = False
    with tempfile.TemporaryDirectory(prefix="mpcourse-soak-") as tmp:
        try:
            for run in range(1, args.runs + 1):
                for method in methods:
                    junit = pathlib.Path(tmp, f"junit-{run}-{method}.xml")
                    log = pathlib.Path(tmp, f"claims-{run}-{method}.jsonl")
                    command = [sys.executable, "-m", "pytest", *NBVAL,
                               f"--mp-start-method={method}", f"--junitxml={junit}",
                               f"--mp-claims-log={log}", *args.notebooks]
                    start = time.perf_counter()
                    done = run_pytest(command)
                    seconds = time.perf_counter() - start
                    failed = failures(junit) if done.returncode else []
                    if done.returncode and not failed:
                        failed = [f"(pytest exit status {done.returncode})"]
                    tally.add(method, seconds, failed, log)
                    state = "ok" if not failed else f"FAILED: {', '.join(failed)}"
                    print(f"run {run}/{args.runs} {method:>10}: {seconds:.0f} s, {state}",
                          flush=True)
                    if failed:
                        print(done.stdout[-3000:], flush=True)
        except KeyboardInterrupt:
            interrupted = True
            print("\ninterrupted: the run in progress is not counted", flush=True)
    tally.report(args.notebooks, interrupted)
    if interrupted:
        return 130
    return 1 if tally.failed_runs else 0


if __name__ == "__main__":
    sys.exit(main())
