"""The course's measuring kit: what proves the chapters' claims, apart from the lesson.

Nothing here is what a reader's program needs; it is how the course shows,
on the reader's own machine, that what a chapter says is true. No worker
module of :mod:`mpworkers` imports it (but :mod:`mpworkers.pools`, whose
``pool_size`` reads the CPUs).

* :mod:`mpworkers.lab.claims` - timing claims measured in alternation, judged
  against the CPUs; :func:`~mpworkers.lab.claims.faster` is the front door.
* :mod:`mpworkers.lab.timing` - what the claims measure with: timings in
  alternation, the CPU time others took meanwhile, the parallel capacity.
* :mod:`mpworkers.lab.cpus` - the CPUs a process really has: affinity, container
  quota, override, and the physical cores under them.
* :mod:`mpworkers.lab.machine` - usable CPUs, timing, the machine's one description
  (:class:`~mpworkers.lab.machine.Machine`) and its one-line summary.
* :mod:`mpworkers.lab.report` - durations and tables printed the same way everywhere.
* :mod:`mpworkers.lab.scripts` - run a program as a script; capture a child's output.
* :mod:`mpworkers.lab.show` - show a worker's source, a program file, a program's run.
* :mod:`mpworkers.lab.tracing` - timelines of which worker ran which task, and when
  (chapter 7): recording them.
* :mod:`mpworkers.lab.traces` - what a recorded trace holds and says, and its
  timeline drawn.
* :mod:`mpworkers.lab.bench` - the benchmarks of chapter 8,
  ``python -m mpworkers.lab.bench``, and chapter 13,
  ``python -m mpworkers.lab.bench alternatives``, and their one result format.
"""

from mpworkers.lab import claims
from mpworkers.lab.cpus import effective_cpus
from mpworkers.lab.machine import (
    best_time,
    default_start_method,
    gil_enabled,
    machine_summary,
    usable_cores,
)
from mpworkers.lab.report import Table, format_seconds
from mpworkers.lab.scripts import ScriptResult, capture_child_output, run_script
from mpworkers.lab.show import run_program, show_program, show_run, show_source

__all__ = [
    "ScriptResult",
    "Table",
    "best_time",
    "capture_child_output",
    "claims",
    "default_start_method",
    "effective_cpus",
    "format_seconds",
    "gil_enabled",
    "machine_summary",
    "run_program",
    "run_script",
    "show_program",
    "show_run",
    "show_source",
    "usable_cores",
]
