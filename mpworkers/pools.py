"""Workers and helpers for the chapter on what a pool is and why it is used.

A pool keeps a fixed set of worker processes alive and feeds them tasks
through a queue. The functions here make what happens inside the workers
visible to the parent, without printing from a child:

* :func:`spin_to` is one task of CPU-bound work that sends its result to a
  queue, for the version of a job that starts one ``Process`` per task.
* :func:`setup_worker` is a pool *initializer*: it runs once in each worker
  process when the worker starts and leaves its state in a global of this
  module, in that worker. :func:`report_setup` is a task that reads that state
  back and returns it as a :class:`SetupReport`.
* :class:`Parcel` is a value that records which process pickled it, so a
  round trip through a pool shows where the argument and the result were
  pickled.
* :func:`slow_whoami` is :func:`~mpworkers.basics.whoami` for a task that
  takes a while, so that every worker of a pool gets a share of the tasks.
* :func:`pool_size` says how many workers to start: the CPUs this process
  may really use (:func:`mpworkers.lab.cpus.effective_cpus`: affinity mask, CPU
  quota, ``PYTHON_CPU_COUNT``), and a job scheduler's allocation
  (``SLURM_CPUS_PER_TASK``, JupyterHub's and Binder's ``CPU_LIMIT``).

Everything is defined at the top level of an importable module, so it works
with the ``fork``, ``spawn`` and ``forkserver`` start methods.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from collections.abc import Mapping
from typing import Any, NamedTuple

from mpworkers._validate import check_int, check_real, check_str
from mpworkers.basics import Putter, _check_putter
from mpworkers.lab.cpus import CpuBudget, effective_cpus
from mpworkers.workloads import spin

__all__ = [
    "SCHEDULER_VARIABLES",
    "Parcel",
    "PoolSize",
    "SetupReport",
    "pool_size",
    "report_setup",
    "scheduler_cpus",
    "setup_worker",
    "slow_whoami",
    "spin_to",
]


def spin_to(queue: Putter, task: int, n: int) -> None:
    """Run ``spin(n)``, then put ``(task, os.getpid())`` on ``queue``.

    A ``Process`` has no return value: its result travels back through a queue.
    """
    _check_putter(queue)
    check_int("task", task, minimum=0)
    check_int("n", n, minimum=0)
    spin(n)
    queue.put((task, os.getpid()))


class SetupReport(NamedTuple):
    """What :func:`report_setup` found in the worker process that ran it."""

    task: Any
    """The task argument, returned unchanged."""
    pid: int
    """The process id of the worker."""
    label: str | None
    """The label given to :func:`setup_worker` in this process, or ``None``."""
    setups: int
    """How many times :func:`setup_worker` has run in this process."""
    tasks_done: int
    """How many :func:`report_setup` tasks this process has run, this one included."""


class _WorkerState:
    """Per-process state; it belongs to the process whose id it records.

    A child started with ``fork`` inherits a copy of the parent's globals, so
    the state also records the process id: state found in a process with a
    different id was copied from a parent and is ignored.
    """

    def __init__(self) -> None:
        self.pid: int | None = None
        self.label: str | None = None
        self.setups = 0
        self.tasks_done = 0

    def own(self) -> _WorkerState:
        """Return this state, first reset if it was inherited from another process."""
        if self.pid != os.getpid():
            self.pid = os.getpid()
            self.label = None
            self.setups = 0
            self.tasks_done = 0
        return self


_state = _WorkerState()


def setup_worker(label: str) -> None:
    """Pool initializer: record that this worker process was set up with ``label``.

    Pass it as ``Pool(initializer=setup_worker, initargs=(label,))``. The pool
    calls it once in each worker process, when that worker starts, before the
    worker runs any task. Put expensive per-worker set-up in an initializer
    (opening a connection, loading a model) so that it is paid once per
    worker instead of once per task.

    Raises:
        TypeError: if ``label`` is not a str.
    """
    check_str("label", label)
    state = _state.own()
    state.label = label
    state.setups += 1


def report_setup(task: Any = None) -> SetupReport:
    """Return what :func:`setup_worker` left in this process, and count this task.

    Use it as a pool task: the reports of many tasks show which worker ran
    each task, how often each worker was set up, and that a worker keeps its
    globals from one task to the next.
    """
    state = _state.own()
    state.tasks_done += 1
    assert state.pid is not None
    return SetupReport(task, state.pid, state.label, state.setups, state.tasks_done)


class Parcel:
    """A value that records the id of every process that pickled it.

    >>> import pickle, os
    >>> pickle.loads(pickle.dumps(Parcel("x"))).packed_by == (os.getpid(),)
    True
    """

    def __init__(self, value: Any, packed_by: tuple[int, ...] = ()) -> None:
        if not isinstance(packed_by, tuple) or not all(
            isinstance(pid, int) and not isinstance(pid, bool) for pid in packed_by
        ):
            raise TypeError("packed_by must be a tuple of int process ids")
        self.value = value
        self.packed_by = packed_by

    def __reduce__(self) -> tuple[type[Parcel], tuple[Any, tuple[int, ...]]]:
        return (Parcel, (self.value, (*self.packed_by, os.getpid())))

    def __repr__(self) -> str:
        return f"Parcel({self.value!r}, packed {len(self.packed_by)} time(s))"


def slow_whoami(task: Any = None, seconds: float = 0.03) -> tuple[Any, int, str]:
    """Sleep ``seconds``, then return ``(task, pid, process name)`` like ``whoami``.

    Tasks that take a while are shared between a pool's workers, as real ones are.
    """
    check_real("seconds", seconds, minimum=0.0)
    time.sleep(seconds)
    current = multiprocessing.current_process()
    return task, os.getpid(), current.name


SCHEDULER_VARIABLES = ("SLURM_CPUS_PER_TASK", "CPU_LIMIT")
"""Environment variables in which a scheduler says how many CPUs a job got.

``SLURM_CPUS_PER_TASK`` is set by Slurm when the job asked for
``--cpus-per-task``; ``CPU_LIMIT`` by JupyterHub (and so mybinder.org) when
the server has a CPU limit, as a number of CPUs that may be fractional."""


def scheduler_cpus(environ: Mapping[str, str] | None = None) -> tuple[int | None, str]:
    """Return ``(N, explanation)`` for the CPUs a scheduler granted, or ``(None, why not)``.

    It reads :data:`SCHEDULER_VARIABLES` in order and uses the first one
    that is set; a fractional value is rounded up (``CPU_LIMIT=0.5`` gives 1,
    as a CPU quota of half a CPU still lets one worker run). A value that is
    not a positive number is skipped, and the explanation says so.

    >>> scheduler_cpus({"SLURM_CPUS_PER_TASK": "4"})
    (4, 'SLURM_CPUS_PER_TASK=4')
    >>> scheduler_cpus({})
    (None, 'no scheduler variable set (SLURM_CPUS_PER_TASK, CPU_LIMIT)')

    Raises:
        TypeError: if ``environ`` is not a mapping.
    """
    environ = os.environ if environ is None else environ
    if not isinstance(environ, Mapping):
        raise TypeError(f"environ must be a mapping, got {type(environ).__name__}")
    skipped: list[str] = []
    for name in SCHEDULER_VARIABLES:
        raw = environ.get(name)
        if raw is None or not str(raw).strip():
            continue
        try:
            value = float(raw)
        except ValueError:
            skipped.append(f"{name}={raw!r} is not a number")
            continue
        if not math.isfinite(value) or value <= 0:
            skipped.append(f"{name}={raw!r} is not a positive number")
            continue
        return max(1, math.ceil(value)), f"{name}={str(raw).strip()}"
    if skipped:
        return None, "; ".join(skipped) + ": ignored"
    return None, f"no scheduler variable set ({', '.join(SCHEDULER_VARIABLES)})"


class PoolSize(NamedTuple):
    """How many workers :func:`pool_size` suggests, and what decided it."""

    workers: int
    """The number of worker processes to start."""
    decided_by: str
    """The limit that decided, e.g. ``'CPU quota'`` or ``'SLURM_CPUS_PER_TASK=4'``."""
    budget: CpuBudget
    """The CPUs this process may use, with every limit that was considered."""


def pool_size(
    environ: Mapping[str, str] | None = None, budget: CpuBudget | None = None
) -> PoolSize:
    """Return how many workers a pool of CPU-bound tasks should have here.

    ``multiprocessing.Pool()`` and ``ProcessPoolExecutor()`` start
    ``os.process_cpu_count()`` workers (Python 3.13+; ``os.cpu_count()``
    before), which counts the CPUs the machine shows, less those outside
    the affinity mask. In a container with a CPU quota (``docker run --cpus``,
    a Kubernetes CPU limit, mybinder.org) that is too many. This function
    takes the smallest of the effective CPUs of
    :func:`mpworkers.lab.cpus.effective_cpus` (visible CPUs, affinity mask, cgroup
    CPU quota, ``PYTHON_CPU_COUNT``/``-X cpu_count``) and the scheduler's
    allocation of :func:`scheduler_cpus`; on a tie the scheduler's variable
    is named.

    >>> size = pool_size({"CPU_LIMIT": "1.0"})
    >>> size.workers, size.decided_by
    (1, 'CPU_LIMIT=1.0')

    Args:
        environ: the environment to read the scheduler's variables from
            (default: this process's).
        budget: the CPUs this process may use (default: ``effective_cpus()``).

    Raises:
        TypeError: if ``environ`` is not a mapping or ``budget`` not a ``CpuBudget``.
    """
    if budget is None:
        budget = effective_cpus()
    elif not isinstance(budget, CpuBudget):
        raise TypeError(f"budget must be a CpuBudget, got {type(budget).__name__}")
    granted, why = scheduler_cpus(environ)
    if granted is not None and granted <= budget.count:
        return PoolSize(granted, why, budget)
    return PoolSize(budget.count, budget.limited_by, budget)
