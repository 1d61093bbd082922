"""A benchmark readers can run: pools, executors and their alternatives, side by side.

Run it from a shell::

    python -m mpworkers.lab.bench                  # full run: about 1.5 minutes on 2 cores
    python -m mpworkers.lab.bench --quick          # a few seconds, for a first look
    python -m mpworkers.lab.bench --json out.json  # also store every figure as JSON
    python -m mpworkers.lab.bench --help           # the other options
    python -m mpworkers.lab.bench alternatives --json out.json  # chapter 13's run

The last command measures threads, subinterpreters and processes on the
same work (:func:`~mpworkers.lab.bench.alternatives.run_alternatives`,
chapter 13). Both runs store their figures in one format
(:data:`~mpworkers.lab.bench.results.FORMAT`, :mod:`mpworkers.lab.bench.storage`),
with the machine described by :class:`mpworkers.lab.machine.Machine`.

The package's modules: :mod:`~mpworkers.lab.bench.runners` (the
implementations), :mod:`~mpworkers.lab.bench.workloads`,
:mod:`~mpworkers.lab.bench.measure` (the run),
:mod:`~mpworkers.lab.bench.results` (the report's records),
:mod:`~mpworkers.lab.bench.quiet` (time withheld by a virtual machine's host),
:mod:`~mpworkers.lab.bench.jsonform` and :mod:`~mpworkers.lab.bench.storage`
(JSON), :mod:`~mpworkers.lab.bench.text` (the printed report),
:mod:`~mpworkers.lab.bench.alternatives` and :mod:`~mpworkers.lab.bench.cli`.

It times the same workloads with each implementation:

* ``sequential``: a plain loop, the baseline every speed-up refers to;
* ``threads``: ``concurrent.futures.ThreadPoolExecutor``;
* ``pool``: ``multiprocessing.Pool``;
* ``process-pool``: ``concurrent.futures.ProcessPoolExecutor``;
* ``loky``: ``loky.get_reusable_executor()``;
* ``joblib``: ``joblib.Parallel(n_jobs=..., backend="loky")``, used as a
  context manager (``with Parallel(...) as parallel:``), which joblib
  documents for making several calls on the same workers;
* ``mpire``: ``mpire.WorkerPool(..., keep_alive=True)``.

The last three are imported only when they run; one that is not installed is
recorded as skipped, with the reason, and the others run as usual.
``multiprocessing.Pool``, ``ProcessPoolExecutor`` and mpire use the default
start method of the process that runs the benchmark; loky and joblib use
loky's own, which starts every worker as a fresh interpreter (fork + exec on
POSIX).

How it measures, and why:

* **Warm pools.** Each implementation's workers are started, and given a
  round of no-op tasks, *before* the timed region, so the grid shows what a
  long-running program pays per batch of tasks. What a one-shot
  ``with Pool() as pool:`` pays on top is measured apart, in the pool
  start-up table: from creating the pool to the results of one no-op task
  per worker (start-up), such a call on the running pool (warm call), and
  the shutdown. The pool of the last start-up serves the grid, and its
  shutdown is timed after the grid.
* **Alternation, every repeat kept.** The cells of a workload are timed with
  :func:`mpworkers.lab.timing.alternate`: each round runs every cell once, in
  turns (forwards, then backwards, ...), so that a disturbance from another
  program spreads over all the cells instead of spoiling one implementation.
  Every round's time is stored; the report gives the best (the least
  disturbed), the median and the spread ((slowest - fastest) / median) of
  each cell. The CPU time that other programs used during each workload is
  measured with :func:`mpworkers.lab.timing.cpu_use` and stored with it, as is
  the load average before and after the run.
* **Speed-ups round by round.** A speed-up is the median of the per-round
  ratios (:meth:`~mpworkers.lab.bench.results.Report.speedups`): the plain loop's time over the
  implementation's in the same round, which ran next to it. Dividing the
  best round by the best round, or the median by the median, would pair
  rounds that ran at different moments.
* **Impossible speed-ups are flagged.** A median speed-up above what the
  workers and the CPUs allow (see
  :meth:`~mpworkers.lab.bench.results.Report.ceiling`) is a disturbed
  measurement, not a result: the report marks it as noise.
* **Tasks sized by time, counts sized by a budget.**
  :func:`~mpworkers.workloads.spin` tasks are sized with
  :func:`~mpworkers.workloads.calibrate_spin` to take about 10 us to 30 ms
  each; a GIL-releasing task (:func:`~mpworkers.workloads.hash_bytes`) and a
  waiting task (:func:`~mpworkers.workloads.wait`) of about 1 ms complete the
  grid. Each workload gets as many tasks as fit in ``budget`` seconds of
  sequential work, at most :data:`~mpworkers.lab.bench.workloads.MAX_TASKS`
  and at least eight per worker, and every implementation runs the same tasks.
* **Chunking, named for what it is**
  (:class:`~mpworkers.lab.bench.runners.Chunking`). Every process pool runs
  with one task per message and with the same explicit chunk size
  (``ceil(tasks / (4 * workers))``, which is also ``Pool.map``'s default);
  joblib and mpire also run with their own policy (joblib's adaptive
  batches, mpire's 64 chunks per worker). Each result says whether it is the
  library's default.
* **Threads get a thread per wait.** On a waiting workload, threads also run
  with one thread per task, which is how they are used for waiting, beside
  the run with as many threads as process workers.
* **Process start-up.** For each of ``fork``, ``spawn`` and ``forkserver``
  that the platform offers, the time to ``start()`` and ``join()`` a
  ``Process`` running a no-op: the first one apart (``forkserver`` starts
  its server then), then ``repeat`` more. Run as ``python -m
  mpworkers.lab.bench``, the main module is the package's ``__main__``,
  which :mod:`multiprocessing` does not import again in a ``spawn`` or
  ``forkserver`` child (a program's own main file it does import there).
* **The machine.** The report records the CPU model, the CPUs this process
  may use (:func:`mpworkers.lab.cpus.effective_cpus`), the physical cores, and
  whether any two usable CPUs are SMT siblings (hyper-threads of one core)
  (:func:`mpworkers.lab.machine.machine_info`).
* **Quiet or not.** A run is called quiet only when other programs used
  little CPU time during every workload *and* a virtual machine's host
  withheld none (steal time, read from ``/proc/stat`` before and after the
  run; unknown where there is none): :meth:`~mpworkers.lab.bench.results.Report.quiet`.

Every result is checked against the plain loop's, so an implementation that
returned wrong or reordered results would stop the run. Timings are reported,
never asserted: a busy machine makes them slower, and that is all.
"""

from __future__ import annotations

from mpworkers.lab.bench.alternatives import run_alternatives
from mpworkers.lab.bench.cli import main
from mpworkers.lab.bench.measure import run_benchmark
from mpworkers.lab.bench.results import FORMAT, Report, Result
from mpworkers.lab.bench.runners import IMPLEMENTATIONS, START_METHODS, Chunking
from mpworkers.lab.bench.storage import (
    load_results,
    read_alternatives,
    read_report,
    write_results,
)
from mpworkers.lab.bench.text import format_report

__all__ = [
    "FORMAT",
    "IMPLEMENTATIONS",
    "START_METHODS",
    "Chunking",
    "Report",
    "Result",
    "format_report",
    "load_results",
    "main",
    "read_alternatives",
    "read_report",
    "run_alternatives",
    "run_benchmark",
    "write_results",
]
