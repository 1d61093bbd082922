"""Run the notebook suite many times and count what failed, where.

    python tools/soak.py --runs 10                       # every notebook, 3 start methods
    python tools/soak.py --runs 5 --methods spawn,fork book/01_what_is_multiprocessing.ipynb

Each run is one ``pytest --nbval`` of the notebooks under one start method,
exactly as ``make test-notebooks`` runs them (strict claims, stored outputs
compared). The report lists, per notebook and cell, how many runs failed
there, and, per claim, how often it held, was inconclusive or was not
shown. A claim that fails one run in five fails a reader too: the suite is
flake-free only with 0 failures. The exit status is 1 if any run failed.
"""

from __future__ import annotations

import argparse
import collections
import json
import pathlib
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ROOT = pathlib.Path(__file__).resolve().parent.parent
NBVAL = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "tests/sanitize.cfg",
         "--nbval-cell-timeout", "50", "-p", "no:randomly", "-q"]


def failures(junit: pathlib.Path) -> list[str]:
    """The test ids (notebook::item) that failed or errored in a JUnit XML report."""
    if not junit.exists():
        return ["(no report: pytest did not finish)"]
    failed = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(f"{case.get('classname', '')}::{case.get('name', '')}")
    return failed


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

    failed_at: collections.Counter[str] = collections.Counter()
    verdicts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    figures: dict[str, list[float]] = collections.defaultdict(list)
    durations: dict[str, list[float]] = collections.defaultdict(list)
    failed_runs = 0
    with tempfile.TemporaryDirectory(prefix="mpcourse-soak-") as tmp:
        for run in range(1, args.runs + 1):
            for method in methods:
                junit = pathlib.Path(tmp, f"junit-{run}-{method}.xml")
                log = pathlib.Path(tmp, f"claims-{run}-{method}.jsonl")
                command = [sys.executable, "-m", "pytest", *NBVAL,
                           f"--mp-start-method={method}", f"--junitxml={junit}",
                           f"--mp-claims-log={log}", *args.notebooks]
                start = time.perf_counter()
                done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                                      check=False)
                durations[method].append(time.perf_counter() - start)
                failed = failures(junit) if done.returncode else []
                if done.returncode and not failed:
                    failed = [f"(pytest exit status {done.returncode})"]
                failed_at.update(f"{method}: {name}" for name in failed)
                failed_runs += bool(failed)
                if log.exists():
                    for line in log.read_text(encoding="utf-8").splitlines():
                        record = json.loads(line)
                        key = f"{record['source']}: {record['statement']}"
                        verdicts[key][record["verdict"]] += 1
                        value = record.get("value")
                        if isinstance(value, (int, float)) and value == value:  # not NaN
                            figures[key].append(float(value))
                state = "ok" if not failed else f"FAILED: {', '.join(failed)}"
                print(f"run {run}/{args.runs} {method:>10}: {durations[method][-1]:.0f} s, "
                      f"{state}", flush=True)
                if failed:
                    print(done.stdout[-3000:], flush=True)

    total = args.runs * len(methods)
    print(f"\n{total} runs of {' '.join(args.notebooks)} ({args.runs} per start method): "
          f"{failed_runs} failed")
    for method, times in durations.items():
        print(f"  {method}: median {sorted(times)[len(times) // 2]:.0f} s per run")
    if failed_at:
        print("\nfailures per notebook item (start method: notebook::item: runs failed):")
        for name, count in sorted(failed_at.items()):
            print(f"  {name}: {count}/{args.runs}")
    print("\nclaims (verdicts over all runs; the range of the measured figures, to set a "
          "bound with room to spare):")
    for key, counts in sorted(verdicts.items()):
        shown = ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items()))
        values = figures.get(key)
        span = f"; measured {min(values):.3g} to {max(values):.3g}" if values else ""
        print(f"  {key}: {shown}{span}")
    return 1 if failed_runs else 0


if __name__ == "__main__":
    sys.exit(main())
