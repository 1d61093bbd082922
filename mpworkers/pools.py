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

Everything is defined at the top level of an importable module, so it works
with the ``fork``, ``spawn`` and ``forkserver`` start methods.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from mpworkers._validate import check_int, check_str
from mpworkers.basics import Putter, _check_putter
from mpworkers.workloads import spin

__all__ = ["Parcel", "SetupReport", "report_setup", "setup_worker", "spin_to"]


def spin_to(queue: Putter, task: int, n: int) -> None:
    """Run ``spin(n)`` and put ``(task, os.getpid())`` on ``queue``.

    One task of a job run with one :class:`multiprocessing.Process` per task:
    a ``Process`` has no return value, so the result travels back through a
    queue, tagged with the task number and the process that did it.

    Raises:
        TypeError: if ``queue`` has no ``put`` method or ``task``/``n`` is not an int.
        ValueError: if ``task`` or ``n`` is negative.
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

    Pickling a ``Parcel`` appends the current process id to ``packed_by`` of
    the copy that is rebuilt on the other side. Send one to a pool task that
    returns it (:func:`~mpworkers.basics.noop`) and the parcel that
    comes back tells you where it was pickled: once in the parent, to send the
    argument, and once in the worker, to send the result back.

    >>> import pickle, os
    >>> p = pickle.loads(pickle.dumps(Parcel("x")))
    >>> p.value, p.packed_by == (os.getpid(),)
    ('x', True)
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
