"""Worker functions and tools for the executable course on Python multiprocessing.

Everything a child process has to run lives in this importable package, so
that it works with every start method: ``fork`` copies the parent, but
``spawn`` and ``forkserver`` start a fresh interpreter that finds a function
by importing its module. A function defined in a notebook cell lives in the
module ``__main__`` of the kernel, which the child cannot import.

Submodules:

* :mod:`mpworkers.basics` - tiny workers for the first chapters.
* :mod:`mpworkers.workloads` - CPU-bound, GIL-releasing and waiting tasks.
* :mod:`mpworkers.cpus` - the CPUs a process really has: affinity, container quota, override.
* :mod:`mpworkers.machine` - usable CPUs, timing, a one-line machine summary.
* :mod:`mpworkers.claims` - timing claims measured in alternation, judged against the CPUs.
* :mod:`mpworkers.report` - durations and tables printed the same way everywhere.
* :mod:`mpworkers.scripts` - run a program as a script; capture a child's output.
* :mod:`mpworkers.memory` - a per-process counter: processes do not share memory (chapter 1).
* :mod:`mpworkers.sharing` - what threads share and processes copy (chapter 2).
* :mod:`mpworkers.pools` - one task per process, pool initializers, a pickling tracer (chapter 4);
  pool sizing in containers and under schedulers (chapter 5).
* :mod:`mpworkers.faults` - workers that fail or wait on purpose (chapter 5).
* :mod:`mpworkers.ordering` - sending lines in turn, reading printed orders back (chapter 6).
* :mod:`mpworkers.tracing` - timelines of which worker ran which task, and when (chapter 7).
* :mod:`mpworkers.bench` - the benchmark of chapter 8: ``python -m mpworkers.bench``.
* :mod:`mpworkers.distributed` - data-local tasks, a closure for cloudpickle, listening addresses
  (chapter 9).
* :mod:`mpworkers.failures` - workers that crash, hang, leak or log on purpose (chapter 12).
* :mod:`mpworkers.alternatives` - threads, subinterpreters and processes on the same work
  (chapter 13).
* :mod:`mpworkers.guidelines` - standard input in a child, zombie processes, a fork-safe
  buffered stream: the programming guidelines checked (chapter 14).
* :mod:`mpworkers.exchange` - sending and placing data between processes: transports, shared
  memory, the resource tracker (chapter 10).
* :mod:`mpworkers.coordination` - locks, semaphores, events, conditions and barriers between
  processes; one process per call (chapter 11).
"""

from mpworkers.basics import noop, report_to, square, square_to, wait_for, whoami
from mpworkers.cpus import effective_cpus
from mpworkers.machine import (
    best_time,
    default_start_method,
    gil_enabled,
    machine_summary,
    usable_cores,
)
from mpworkers.report import Table, format_seconds
from mpworkers.scripts import ScriptResult, capture_child_output, run_script
from mpworkers.workloads import (
    calibrate_spin,
    compress_bytes,
    hash_bytes,
    spin,
    spin_for,
    wait,
)

__version__ = "0.1.0"

__all__ = [
    "ScriptResult",
    "Table",
    "best_time",
    "calibrate_spin",
    "capture_child_output",
    "compress_bytes",
    "default_start_method",
    "effective_cpus",
    "format_seconds",
    "gil_enabled",
    "hash_bytes",
    "machine_summary",
    "noop",
    "report_to",
    "run_script",
    "spin",
    "spin_for",
    "square",
    "square_to",
    "usable_cores",
    "wait",
    "wait_for",
    "whoami",
]
