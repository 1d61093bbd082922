"""What the machine offers, measured rather than assumed, and its one description.

Every timing claim in the course is made relative to :func:`usable_cores`,
the number of CPUs this process may really use, which can be fewer than the
machine shows: an affinity mask, a container's CPU quota, Python's
``-X cpu_count`` (see :mod:`mpworkers.lab.cpus`).

:class:`Machine` is the course's one description of a machine and its
Python: :func:`machine_info` fills it in, every stored benchmark result
holds one, and :func:`machine_summary` prints its one-line form.
"""

from __future__ import annotations

import importlib.metadata
import multiprocessing
import os
import platform
import sys
import sysconfig
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mpworkers._validate import check_int
from mpworkers.lab.cpus import cpu_cores, effective_cpus

__all__ = [
    "Machine",
    "Topology",
    "best_time",
    "cpu_model",
    "cpu_topology",
    "default_start_method",
    "free_threaded_build",
    "gil_enabled",
    "library_versions",
    "machine_info",
    "machine_summary",
    "usable_cores",
]


def usable_cores() -> int:
    """Return how many CPUs this process may really use: size pools with it.

    It is ``mpworkers.lab.cpus.effective_cpus().count``: the smallest of the
    visible CPUs, the affinity mask, the container's CPU quota (rounded up)
    and Python 3.13's ``-X cpu_count``/``PYTHON_CPU_COUNT``. The default
    number of workers of ``multiprocessing.Pool()`` and
    ``ProcessPoolExecutor()`` (``os.process_cpu_count()`` from Python 3.13,
    ``os.cpu_count()`` before) ignores the quota and can be larger.
    """
    return effective_cpus().count


def default_start_method() -> str:
    """Return the start method that multiprocessing uses now, without fixing it.

    ``multiprocessing.get_start_method()`` without ``allow_none=True`` fixes
    the default context, so a later ``set_start_method()`` raises
    ``RuntimeError: context has already been set``. This function only
    looks: the method set so far, else the platform's default (the first of
    ``multiprocessing.get_all_start_methods()``).
    """
    return multiprocessing.get_start_method(allow_none=True) or (
        multiprocessing.get_all_start_methods()[0]
    )


def gil_enabled() -> bool:
    """Return ``False`` on a free-threaded build running without the GIL, else ``True``.

    ``sys._is_gil_enabled()`` exists from Python 3.13; older versions always
    have the GIL.
    """
    check: Callable[[], bool] | None = getattr(sys, "_is_gil_enabled", None)
    return True if check is None else bool(check())


def free_threaded_build() -> bool:
    """Return ``True`` on a free-threaded build of CPython (``python3.13t``, ``python3.14t``).

    It reads ``sysconfig.get_config_var("Py_GIL_DISABLED")``. On such a build
    the GIL is normally off, but an extension module that does not declare
    support for running without it turns it back on: :func:`gil_enabled`
    says what is true *now*.
    """
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


# --- the machine's one description ---------------------------------------------


def cpu_model() -> str:
    """Return the CPU's model name: from ``/proc/cpuinfo`` where it exists, else ``platform``."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Model", "Hardware", "cpu model"):
                    if value.strip():
                        return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _virtual_machine(path: str | os.PathLike[str] = "/proc/cpuinfo") -> bool | None:
    """Whether the CPU flags include ``hypervisor`` (x86 Linux); ``None`` where unknown."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "flags":
                    return "hypervisor" in value.split()
    except OSError:
        pass
    return None


@dataclass(frozen=True)
class Topology:
    """How the CPUs a process may use map onto cores."""

    physical_cores: int | None
    """Physical cores of the machine (``psutil.cpu_count(logical=False)``), if known."""
    smt_siblings: bool | None
    """Whether two of the usable CPUs are SMT siblings (hyper-threads of one core);
    ``None`` where the platform does not say (no ``/sys``)."""
    thread_siblings: tuple[str, ...]
    """The distinct ``thread_siblings_list`` entries of the usable CPUs, e.g. ``('0-1',)``."""


def cpu_topology(cpus: Collection[int] | None = None, *, root: str | Path = "/") -> Topology:
    """Return the physical cores, and whether two of ``cpus`` share a core (SMT).

    ``cpus`` defaults to this process's affinity mask (all CPUs where the
    platform has none). :func:`mpworkers.lab.cpus.cpu_cores` reads the siblings
    from ``/sys`` under ``root`` (tests pass a fake tree); where they cannot be
    read or parsed, ``smt_siblings`` is ``None``. A virtual machine shows the
    topology its hypervisor presents, which may hide that two virtual CPUs
    share a core.
    """
    import psutil  # here, not at the top: chapter 13's subinterpreters cannot import it

    try:
        physical: int | None = psutil.cpu_count(logical=False)
    except (psutil.Error, OSError):  # the system would not tell
        physical = None
    cores = cpu_cores(cpus, root=root)
    return Topology(physical, cores.smt, cores.siblings)


def library_versions(names: Sequence[str]) -> dict[str, str | None]:
    """Return the installed version of each distribution in ``names``, ``None`` where missing.

    A finding about a package (NumPy refusing to load in a subinterpreter)
    holds for the version that was tried: store it with the finding.

    Raises:
        TypeError: if ``names`` is not a sequence of str.
    """
    if isinstance(names, str) or not isinstance(names, Sequence) or not all(
        isinstance(name, str) for name in names
    ):
        raise TypeError(f"names must be a sequence of distribution names, got {names!r}")
    found: dict[str, str | None] = {}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


@dataclass(frozen=True)
class Machine:
    """The machine and the Python that measured: the course's one description of them."""

    cpu_model: str
    visible_cpus: int
    """CPUs the operating system shows."""
    usable_cores: int
    """CPUs this process may use (affinity, quota, override), as :func:`usable_cores`
    counts them."""
    cpus: str
    """What :meth:`mpworkers.lab.cpus.CpuBudget.describe` says, e.g. ``'2 visible CPUs, ...'``."""
    physical_cores: int | None
    smt_siblings: bool | None
    thread_siblings: tuple[str, ...]
    virtual: bool | None
    """Whether the CPUs say they run under a hypervisor (a virtual machine);
    ``None`` where the platform does not say."""
    python_implementation: str
    python_version: str
    system: str
    machine: str
    start_method: str
    """The default start method of the process that measured."""
    start_methods: tuple[str, ...]
    """The start methods of ``fork``, ``spawn``, ``forkserver`` that the platform offers."""
    gil_enabled: bool
    free_threaded_build: bool
    libraries: dict[str, str | None] = field(default_factory=dict)
    """Versions of the libraries the measurement used, ``None`` for one not installed."""

    @property
    def summary(self) -> str:
        """The one-line form of Python, system, CPUs, start method and GIL.

        :func:`machine_summary` returns it for the machine that runs it.
        """
        gil = "enabled" if self.gil_enabled else "disabled"
        return (
            f"Measured with {self.python_implementation} {self.python_version} on "
            f"{self.system} {self.machine}, {self.cpus}, start method {self.start_method}, "
            f"GIL {gil}"
        )


def machine_info(libraries: Sequence[str] = ("loky", "joblib", "mpire")) -> Machine:
    """Describe the machine and the Python that measure, with the versions of ``libraries``.

    It changes no state: the start method is read with :func:`default_start_method`.
    """
    budget = effective_cpus()
    topology = cpu_topology()
    offered = multiprocessing.get_all_start_methods()  # default first; 3.14 may add loky's
    return Machine(
        cpu_model=cpu_model(),
        visible_cpus=budget.visible,
        usable_cores=budget.count,
        cpus=budget.describe(),
        physical_cores=topology.physical_cores,
        smt_siblings=topology.smt_siblings,
        thread_siblings=topology.thread_siblings,
        virtual=_virtual_machine(),
        python_implementation=platform.python_implementation(),
        python_version=platform.python_version(),
        system=platform.system(),
        machine=platform.machine(),
        start_method=default_start_method(),
        start_methods=tuple(m for m in offered if m in ("fork", "spawn", "forkserver")),
        gil_enabled=gil_enabled(),
        free_threaded_build=free_threaded_build(),
        libraries=library_versions(libraries),
    )


def machine_summary() -> str:
    """Return one line describing what a measurement ran on: :attr:`Machine.summary`.

    For example ``'Measured with CPython 3.11.7 on Linux x86_64, 2 visible
    CPUs, CPU quota 1: 1 usable CPU (set by the CPU quota), start method
    fork, GIL enabled'``. It changes no state (the start method is read with
    :func:`default_start_method`). The course's tests replace this line with
    a placeholder before comparing outputs, since it differs from machine to
    machine.
    """
    return machine_info(libraries=()).summary


def best_time(func: Callable[..., Any], *args: Any, repeat: int = 3) -> float:
    """Call ``func(*args)`` ``repeat`` times; return the shortest wall time in seconds.

    The minimum is the least disturbed run: noise from other programs only
    ever adds time.

    Raises:
        TypeError: if ``func`` is not callable or ``repeat`` is not an int.
        ValueError: if ``repeat`` < 1.
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}")
    check_int("repeat", repeat, minimum=1)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func(*args)
        best = min(best, time.perf_counter() - start)
    return best
