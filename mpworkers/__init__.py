"""Worker functions and tools for the executable course on Python multiprocessing.

Everything a child process has to run lives in this importable package, so
that it works with every start method: ``fork`` copies the parent, but
``spawn`` and ``forkserver`` start a fresh interpreter that finds a function
by importing its module. A function defined in a notebook cell lives in the
module ``__main__`` of the kernel, which the child cannot import.

The package has two wings. The modules below are what the chapters'
processes run, and what readers study; the course's measuring kit (timing
claims, tables, the machine's description, the benchmark, tracing, running
programs, showing source code) lives apart in :mod:`mpworkers.lab`, which no
module here imports (except :mod:`mpworkers.pools` for sizing a pool).

Submodules:

* :mod:`mpworkers.basics` - tiny workers for the first chapters.
* :mod:`mpworkers.workloads` - CPU-bound, GIL-releasing and waiting tasks.
* :mod:`mpworkers.memory` - a per-process counter: processes do not share memory (chapter 1).
* :mod:`mpworkers.sharing` - what threads share and processes copy (chapter 2).
* :mod:`mpworkers.pools` - one task per process, pool initializers, a pickling tracer (chapter 4);
  pool sizing in containers and under schedulers (chapter 5).
* :mod:`mpworkers.task_errors` - pool tasks that raise, or end when the parent says (chapter 5).
* :mod:`mpworkers.ordering` - building a line, sending it, sending lines in turn (chapter 6).
* :mod:`mpworkers.timeline` - a task that says which process ran it, and when: the
  do-it-yourself timeline (chapter 7).
* :mod:`mpworkers.distributed` - data-local tasks, a closure for cloudpickle (chapter 9).
* :mod:`mpworkers.worker_failures` - workers that die, hang, leak or log on purpose (chapter 12).
* :mod:`mpworkers.alternatives` - threads, subinterpreters and processes on the same work
  (chapter 13).
* :mod:`mpworkers.guidelines` - standard input in a child: a programming guideline checked
  (chapter 14).
* :mod:`mpworkers.exchange` - the children that receive, answer and place data: sent, in
  shared memory, installed once per worker (chapter 10).
* :mod:`mpworkers.transports` - a child behind each transport, round trips timed against
  payload size (chapter 10).
* :mod:`mpworkers.coordination` - locks, semaphores, events, conditions and barriers between
  processes; the target that sends a process's result back (chapter 11).
* :mod:`mpworkers.recipes` - a pandas DataFrame chunk's task, shared by a recipe's program
  and the cell that measures it (chapter 17).
"""

from mpworkers.basics import noop, report_to, square, square_to, wait_for, whoami
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
    "calibrate_spin",
    "compress_bytes",
    "hash_bytes",
    "noop",
    "report_to",
    "spin",
    "spin_for",
    "square",
    "square_to",
    "wait",
    "wait_for",
    "whoami",
]
