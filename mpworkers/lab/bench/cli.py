"""The command line: ``python -m mpworkers.lab.bench``."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence

from mpworkers.lab.bench import alternatives
from mpworkers.lab.bench.measure import run_benchmark
from mpworkers.lab.bench.runners import _RUNNERS, IMPLEMENTATIONS
from mpworkers.lab.bench.storage import write_results
from mpworkers.lab.bench.text import format_report
from mpworkers.lab.bench.workloads import (
    DEFAULT_BUDGET,
    DEFAULT_REPEAT,
    QUICK_BUDGET,
    QUICK_REPEAT,
)
from mpworkers.lab.machine import (
    usable_cores,
)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or math.isinf(value):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in _RUNNERS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown implementation(s) {unknown or text!r}; choose from "
            f"{','.join(IMPLEMENTATIONS)}")
    return names


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mpworkers.lab.bench",
        description="Time sequential code, threads, multiprocessing.Pool, "
        "ProcessPoolExecutor, loky, joblib and mpire on the same workloads.",
        epilog="python -m mpworkers.lab.bench alternatives --help: the other benchmark, "
        "threads, subinterpreters and processes on the same work (chapter 13)",
    )
    parser.add_argument("--workers", type=_positive_int, default=None,
                        help="workers per pool (default: the usable cores, "
                        f"{usable_cores()} here)")
    parser.add_argument("--quick", action="store_true",
                        help="a short run: three workloads, three rounds, small task counts")
    parser.add_argument("--json", metavar="PATH", help="also write the report as JSON to PATH")
    parser.add_argument("--budget", type=_positive_float, default=None, metavar="SECONDS",
                        help=f"sequential work per workload (default {DEFAULT_BUDGET}, "
                        f"quick {QUICK_BUDGET})")
    parser.add_argument("--repeat", type=_positive_int, default=None,
                        help=f"timed rounds per cell, all stored (default {DEFAULT_REPEAT}, "
                        f"quick {QUICK_REPEAT})")
    parser.add_argument("--only", type=_names, default=None, metavar="NAMES",
                        help="comma-separated implementations to run "
                        f"({','.join(IMPLEMENTATIONS)}); sequential always runs")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress lines on stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark from the command line; return the exit status.

    A first argument ``alternatives`` runs :func:`mpworkers.lab.bench.alternatives.run_alternatives`
    instead, with the options of ``python -m mpworkers.lab.bench alternatives --help``.

    Args:
        argv: the arguments, without the program name; default ``sys.argv[1:]``.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["alternatives"]:
        return alternatives.main(argv[1:])
    args = _parser().parse_args(argv)
    report = run_benchmark(
        workers=args.workers, quick=args.quick, budget=args.budget, repeat=args.repeat,
        implementations=args.only, progress=None if args.quiet else sys.stderr,
    )
    print(format_report(report))
    if args.json:
        write_results(args.json, report)
    return 0


