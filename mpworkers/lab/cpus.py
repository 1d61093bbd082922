"""How many CPUs this process really has: visible, affinity, quota, override.

``os.cpu_count()`` counts the CPUs the operating system shows, and
``os.process_cpu_count()`` (Python 3.13+) the ones in this process's affinity
mask. Neither sees a *CPU quota*: a container started with ``docker run
--cpus 1``, a Kubernetes CPU limit, or a session on mybinder.org sees every
core of the host but may use only one CPU's worth of time. A pool sized from
``os.cpu_count()`` there starts many workers that take turns on one CPU.

:func:`effective_cpus` takes the smallest of

* the visible CPUs,
* the affinity mask (``os.sched_getaffinity``, Linux),
* the cgroup CPU quota of this process's own cgroup and its ancestors
  (cgroup v2 ``cpu.max``, cgroup v1 ``cpu.cfs_quota_us`` and
  ``cpu.cfs_period_us``), rounded up to whole CPUs,
* the override of Python 3.13+ (``-X cpu_count=N`` or ``PYTHON_CPU_COUNT=N``),

and says which of them decided. A file that cannot be read or parsed is
skipped with a note saying why; it never raises.

Two CPUs may also be one core: with simultaneous multithreading (SMT,
"hyper-threading") a core runs two or more hardware threads, each shown as a
CPU, which share the core's execution units. :func:`cpu_cores` reads which
of the usable CPUs share a core from Linux's ``/sys``, so that a claim that
needs two cores' worth of work can say when it has two CPUs but one core.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CpuBudget",
    "Cores",
    "Quota",
    "TOPOLOGY_FILES",
    "cgroup_cpu_quota",
    "cpu_count_override",
    "cpu_cgroup",
    "cpu_cores",
    "effective_cpus",
    "parse_cpu_list",
    "visible_cpus",
]


@dataclass(frozen=True)
class Quota:
    """A CPU quota read from a cgroup: ``cpus`` CPUs' worth of time (may be fractional)."""

    cpus: float
    source: str
    """The file and values it came from, e.g. ``cpu.max '100000 100000' in /sys/fs/cgroup``."""


@dataclass(frozen=True)
class CpuBudget:
    """The CPUs this process may use, and where each limit came from.

    ``count`` is what to size a pool with and what the course's claims are
    judged against. The other fields are the candidates it was chosen from;
    ``None`` means that limit does not exist here (or could not be read; see
    ``notes``).
    """

    count: int
    """The effective number of CPUs, the smallest of the limits below (at least 1)."""
    visible: int
    """CPUs the operating system shows (``os.cpu_count()`` without any override)."""
    affinity: int | None
    """CPUs in the affinity mask, where the platform has one (Linux)."""
    quota: float | None
    """CPUs' worth of time allowed by the cgroup CPU quota, if there is one."""
    override: int | None
    """``-X cpu_count`` or ``PYTHON_CPU_COUNT`` on Python 3.13+, if set."""
    limited_by: str
    """Which limit decided ``count``, one of ``"visible CPUs"``,
    ``"affinity mask"``, ``"CPU quota"`` or ``"CPU count override"``."""
    notes: tuple[str, ...] = ()
    """Limits that were looked for and skipped, with the reason."""

    def describe(self) -> str:
        """One line, e.g. ``'2 visible CPUs, CPU quota 1: 1 usable CPU (set by the CPU quota)'``."""
        parts = [_cpus(self.visible, "visible CPU")]
        if self.affinity is not None and self.affinity != self.visible:
            parts.append(f"affinity {self.affinity}")
        if self.quota is not None:
            parts.append(f"CPU quota {self.quota:g}")
        if self.override is not None:
            parts.append(f"override {self.override}")
        why = "" if self.limited_by == "visible CPUs" else f" (set by the {self.limited_by})"
        return f"{', '.join(parts)}: {_cpus(self.count, 'usable CPU')}{why}"


def _cpus(count: float, noun: str) -> str:
    return f"{count:g} {noun}{'' if count == 1 else 's'}"


def visible_cpus() -> int:
    """Return the number of CPUs the operating system shows, ignoring Python's override.

    From Python 3.13, ``-X cpu_count`` and ``PYTHON_CPU_COUNT`` change what
    ``os.cpu_count()`` returns; ``psutil.cpu_count()`` still reports the
    machine's.
    """
    import psutil  # here, not at the top: subinterpreters cannot import it (chapter 13)

    try:
        count = psutil.cpu_count(logical=True)
    except (psutil.Error, OSError):  # unable to read: fall back
        count = None
    return int(count or os.cpu_count() or 1)


def cpu_count_override(
    environ: Mapping[str, str] | None = None,
    xoptions: Mapping[str, object] | None = None,
    version: tuple[int, int] | None = None,
) -> tuple[int | None, str]:
    """Return ``(N, explanation)`` for Python's CPU count override, or ``(None, why not)``.

    ``-X cpu_count=N`` wins over ``PYTHON_CPU_COUNT=N``; the value ``default``
    means no override. Python reads them from 3.13 on; on older versions a
    set variable is reported as ignored. The arguments default to this
    process's environment, ``-X`` options and version (tests pass their own).
    """
    environ = os.environ if environ is None else environ
    xoptions = sys._xoptions if xoptions is None else xoptions
    version = tuple(sys.version_info[:2]) if version is None else version  # type: ignore[assignment]
    assert version is not None
    if "cpu_count" in xoptions:
        name, raw = "-X cpu_count", str(xoptions["cpu_count"])
    elif environ.get("PYTHON_CPU_COUNT"):
        name, raw = "PYTHON_CPU_COUNT", environ["PYTHON_CPU_COUNT"]
    else:
        return None, "no override set"
    if version < (3, 13):
        return None, f"{name}={raw} is ignored: Python {version[0]}.{version[1]} does not read it"
    if raw.strip() == "default":
        return None, f"{name}=default: no override"
    try:
        value = int(raw)
    except ValueError:
        return None, f"{name}={raw!r} is not a whole number: ignored"
    if value < 1:
        return None, f"{name}={value} is below 1: ignored"
    return value, f"{name}={value}"


UNREADABLE = "CPU quota unreadable"


def _read(path: Path) -> str:
    return path.read_text(encoding="ascii", errors="replace").strip()


def _cgroup_mounts(root: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Return the (mount root, mount point) pairs of cgroup v2 and of cgroup v1 ``cpu``."""
    v2: list[tuple[str, str]] = []
    v1: list[tuple[str, str]] = []
    for line in _read(root / "proc/self/mountinfo").splitlines():
        # id parent major:minor root mount-point options [optional...] - fstype source super
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) < 5 or len(tail) < 1:
            continue
        fstype = tail[0]
        if fstype == "cgroup2":
            v2.append((fields[3], fields[4]))
        elif fstype == "cgroup" and len(tail) >= 3 and "cpu" in tail[2].split(","):
            v1.append((fields[3], fields[4]))
    return v2, v1


def _inside(mount_root: str, cgroup_path: str) -> str | None:
    """Path of ``cgroup_path`` relative to a mount of the hierarchy at ``mount_root``."""
    mount_root = mount_root.rstrip("/") or "/"
    if mount_root == "/":
        return cgroup_path.lstrip("/")
    if cgroup_path == mount_root or cgroup_path.startswith(mount_root + "/"):
        return cgroup_path[len(mount_root):].lstrip("/")
    return None


def _levels(root: Path, mount_point: str, relative: str) -> list[Path]:
    """This cgroup's folder and each ancestor up to the mount point, innermost first."""
    base = root / mount_point.lstrip("/")
    parts = [p for p in relative.split("/") if p]
    return [base.joinpath(*parts[:i]) for i in range(len(parts), -1, -1)]


def _v2_quota(folder: Path) -> Quota | None:
    path = folder / "cpu.max"
    if not path.exists():
        return None
    text = _read(path)
    fields = text.split()
    if len(fields) != 2:
        raise ValueError(f"{path}: expected 'QUOTA PERIOD', got {text!r}")
    if fields[0] == "max":
        return None
    quota, period = int(fields[0]), int(fields[1])
    if quota <= 0 or period <= 0:
        raise ValueError(f"{path}: quota and period must be positive, got {text!r}")
    return Quota(quota / period, f"cpu.max {text!r} in {folder}")


def _v1_quota(folder: Path) -> Quota | None:
    quota_path = folder / "cpu.cfs_quota_us"
    if not quota_path.exists():
        return None
    quota_text, period_text = _read(quota_path), _read(folder / "cpu.cfs_period_us")
    quota, period = int(quota_text), int(period_text)
    if quota == -1:
        return None
    if quota <= 0 or period <= 0:
        raise ValueError(
            f"{folder}: cpu.cfs_quota_us {quota_text!r} and cpu.cfs_period_us "
            f"{period_text!r} must be positive (or the quota -1)"
        )
    return Quota(
        quota / period,
        f"cpu.cfs_quota_us {quota} / cpu.cfs_period_us {period} in {folder}",
    )


def cpu_cgroup(root: str | os.PathLike[str] = "/") -> tuple[str, list[Path]] | None:
    """Return ``(version, folders)`` of this process's CPU cgroup, or ``None``.

    ``version`` is ``"v1"`` (the ``cpu`` controller's hierarchy) or ``"v2"``;
    ``folders`` are the process's cgroup folder and each ancestor visible in
    the mount, innermost first. It reads ``/proc/self/cgroup`` and
    ``/proc/self/mountinfo``; ``root`` is prepended to every path.

    Raises:
        OSError: if those files cannot be read (no ``/proc``: not Linux).
    """
    root = Path(root)
    membership = _read(root / "proc/self/cgroup")
    v2_mounts, v1_mounts = _cgroup_mounts(root)
    path_v1: str | None = None
    path_v2: str | None = None
    for line in membership.splitlines():
        fields = line.split(":", 2)
        if len(fields) != 3:
            continue
        hierarchy, controllers, path = fields
        if hierarchy == "0" and controllers == "":
            path_v2 = path
        elif "cpu" in controllers.split(","):
            path_v1 = path
    # the cpu controller is in v1 when a v1 hierarchy has it, else in v2
    if path_v1 is not None:
        version, path, mounts = "v1", path_v1, v1_mounts
    elif path_v2 is not None:
        version, path, mounts = "v2", path_v2, v2_mounts
    else:
        return None
    for mount_root, mount_point in mounts:
        relative = _inside(mount_root, path)
        if relative is not None:
            return version, _levels(root, mount_point, relative)
    return None


def cgroup_cpu_quota(root: str | os.PathLike[str] = "/") -> tuple[Quota | None, str]:
    """Return ``(quota, explanation)`` for this process's cgroup, or ``(None, why not)``.

    It finds the process's CPU cgroup with :func:`cpu_cgroup`, then reads the
    quota of that cgroup and of each ancestor: the smallest applies. ``root``
    is prepended to every path (tests point it at a fake tree). Unreadable or
    malformed files give ``None`` and say why.
    """
    try:
        found_cgroup = cpu_cgroup(root)
    except OSError as exc:  # no /proc: not Linux, or a sandbox that hides it
        return None, f"no cgroup information ({type(exc).__name__})"
    if found_cgroup is None:
        return None, "no CPU cgroup found for this process"
    version, folders = found_cgroup
    candidates = [(folder, version) for folder in folders]
    found: list[Quota] = []
    for folder, version in candidates:
        try:
            quota = _v1_quota(folder) if version == "v1" else _v2_quota(folder)
        except (OSError, ValueError) as exc:
            return None, f"{UNREADABLE}, ignored: {exc}"
        if quota is not None:
            found.append(quota)
    if not found:
        return None, f"no CPU quota (cgroup {candidates[0][1]})"
    smallest = min(found, key=lambda q: q.cpus)
    return smallest, f"CPU quota of {_cpus(smallest.cpus, 'CPU')}: {smallest.source}"


def effective_cpus(
    *,
    root: str | os.PathLike[str] = "/",
    visible: int | None = None,
    affinity: Collection[int] | None = None,
    environ: Mapping[str, str] | None = None,
) -> CpuBudget:
    """Return the CPUs this process may really use, as a :class:`CpuBudget`.

    Every argument replaces one fact about the machine, for tests and for
    "what if" questions; by default each is read from this process. The
    result's ``count`` is the smallest of the visible CPUs, the affinity mask,
    the cgroup quota rounded up, and Python's override, and never below 1.

    >>> budget = effective_cpus()
    >>> 1 <= budget.count <= budget.visible
    True
    """
    notes: list[str] = []
    shown = visible_cpus() if visible is None else visible
    if isinstance(shown, bool) or not isinstance(shown, int):
        raise TypeError(f"visible must be an int, got {type(shown).__name__} {shown!r}")
    if shown < 1:
        notes.append(f"{shown} visible CPUs makes no sense: counted as 1")
        shown = 1
    mask: int | None
    if affinity is None:
        getter = getattr(os, "sched_getaffinity", None)
        mask = len(getter(0)) if getter is not None else None
    else:
        if isinstance(affinity, (str, bytes)) or not isinstance(affinity, Collection):
            raise TypeError(f"affinity must be a collection of CPU numbers, got {affinity!r}")
        mask = len(affinity)
    if mask == 0:
        notes.append("empty affinity mask: ignored")
        mask = None
    quota, why = cgroup_cpu_quota(root)
    if why.startswith(UNREADABLE):
        notes.append(why)
    override, why_override = cpu_count_override(environ)
    if "ignored" in why_override:
        notes.append(why_override)

    candidates: list[tuple[int, str]] = [(shown, "visible CPUs")]
    if mask is not None:
        candidates.append((mask, "affinity mask"))
    if quota is not None:
        candidates.append((max(1, math.ceil(quota.cpus)), "CPU quota"))
    if override is not None:
        candidates.append((override, "CPU count override"))
    count, limited_by = min(candidates, key=lambda c: c[0])  # first wins a tie
    return CpuBudget(
        count=max(1, count),
        visible=shown,
        affinity=mask,
        quota=None if quota is None else quota.cpus,
        override=override,
        limited_by=limited_by,
        notes=tuple(notes),
    )


# --- which CPUs share a core (SMT) ---------------------------------------------

TOPOLOGY_FILES = ("core_cpus_list", "thread_siblings_list")
"""The files of ``/sys/devices/system/cpu/cpuN/topology/`` that list CPU N's core
siblings (N included), in the order tried: the current name, then the older one."""


def parse_cpu_list(text: str) -> set[int]:
    """Return the CPUs of a Linux CPU list: ``'0-2,8'`` gives ``{0, 1, 2, 8}``.

    Raises:
        ValueError: for anything that is not such a list.
    """
    cpus: set[int] = set()
    for part in text.strip().split(","):
        low, dash, high = part.partition("-")
        first, last = int(low), int(high) if dash else int(low)
        if first < 0 or last < first:
            raise ValueError(f"bad CPU range {part!r}")
        cpus.update(range(first, last + 1))
    return cpus


@dataclass(frozen=True)
class Cores:
    """How the CPUs a process may use sit on physical cores."""

    cpus: tuple[int, ...]
    """The CPUs looked at, in order (by default this process's affinity mask)."""
    count: int | None
    """Physical cores those CPUs are on; ``None`` where the system does not say."""
    smt: bool | None
    """Whether two of those CPUs are SMT siblings (hardware threads of one core);
    ``None`` where the system does not say."""
    siblings: tuple[str, ...] = ()
    """The distinct sibling lists of those CPUs, as the kernel wrote them (e.g.
    ``('0-1',)`` for two CPUs on one core); empty where unknown."""
    note: str = ""
    """Why the topology is unknown, where it is."""

    def describe(self) -> str:
        """One phrase, e.g. ``'2 usable CPUs are 1 physical core'``."""
        if self.count is None:
            return f"{_cpus(len(self.cpus), 'usable CPU')}, physical cores unknown ({self.note})"
        return (f"{_cpus(len(self.cpus), 'usable CPU')} "
                f"{'is' if len(self.cpus) == 1 else 'are'} {_cpus(self.count, 'physical core')}")


def _siblings(root: Path, cpu: int) -> str:
    """The sibling list of ``cpu`` as written in ``/sys``; OSError where there is none."""
    folder = root / f"sys/devices/system/cpu/cpu{cpu}/topology"
    for name in TOPOLOGY_FILES:
        try:
            return _read(folder / name)
        except FileNotFoundError:
            continue
    raise FileNotFoundError(f"no {' or '.join(TOPOLOGY_FILES)} in {folder}")


def cpu_cores(
    cpus: Collection[int] | None = None, *, root: str | os.PathLike[str] = "/"
) -> Cores:
    """Return how many physical cores ``cpus`` are on, and whether two share one.

    ``cpus`` defaults to this process's affinity mask (``os.sched_getaffinity``;
    every visible CPU where the platform has none). For each CPU it reads the
    CPUs of the same core from ``/sys/devices/system/cpu/cpuN/topology/``
    (:data:`TOPOLOGY_FILES`) under ``root`` (tests point it at a fake tree);
    CPUs with the same list are one core. Where a file is missing or cannot
    be parsed (not Linux, a sandbox that hides ``/sys``), the count is ``None``
    and ``note`` says why; it never raises for that. A virtual machine shows
    the topology its hypervisor presents, which may hide that two of its
    CPUs share a core of the host.

    >>> cores = cpu_cores()
    >>> cores.count is None or 1 <= cores.count <= len(cores.cpus)
    True

    Raises:
        TypeError: if ``cpus`` is not a collection of ints.
    """
    if cpus is None:
        getter = getattr(os, "sched_getaffinity", None)
        cpus = getter(0) if getter is not None else range(visible_cpus())
    if isinstance(cpus, (str, bytes)) or not isinstance(cpus, Collection) or not all(
        isinstance(cpu, int) and not isinstance(cpu, bool) for cpu in cpus
    ):
        raise TypeError(f"cpus must be a collection of CPU numbers, got {cpus!r}")
    usable = tuple(sorted(set(cpus)))
    texts: dict[int, str] = {}
    cores: set[frozenset[int]] = set()
    smt = False
    for cpu in usable:
        try:
            texts[cpu] = _siblings(Path(root), cpu)
            siblings = parse_cpu_list(texts[cpu]) | {cpu}
        except (OSError, ValueError) as exc:
            return Cores(usable, None, None, note=f"{type(exc).__name__}: {exc}")
        cores.add(frozenset(siblings))
        smt = smt or len(siblings & set(usable)) > 1
    return Cores(usable, len(cores), smt, tuple(sorted(set(texts.values()))))
