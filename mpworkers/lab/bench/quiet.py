"""Was a run quiet? Time that a virtual machine's host withheld, read from ``/proc/stat``.

Other programs of the machine show in the CPU time they use
(:func:`mpworkers.lab.timing.cpu_use`, stored for each workload). A virtual
machine's host can also give the CPUs of this machine to another machine for
a while; Linux counts that time as *steal* time, the eighth number of the
``cpu`` line of ``/proc/stat`` (see ``man 5 proc``), in ticks of
``os.sysconf("SC_CLK_TCK")`` per second. The benchmark reads it before and
after a run: a run during which the host withheld more than
:data:`WITHHELD_CPUS` is not called quiet. Where there is no ``/proc/stat``
(macOS, Windows), the withheld time is unknown, and so is whether the run
was quiet.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["WITHHELD_CPUS", "steal_seconds", "withheld_cpus"]

WITHHELD_CPUS = 0.01
"""Average CPUs withheld over a run (steal seconds / wall seconds) above which it
is not quiet: one hundredth of a CPU, a little more than the counter's rounding
(one tick, 10 ms on most systems) over a run of a few seconds."""


def steal_seconds(stat: str | None = None, *, path: str | Path = "/proc/stat") -> float | None:
    """Return the steal time of all CPUs since boot, in seconds; ``None`` where unknown.

    ``stat`` is the text of ``/proc/stat`` (tests pass a fake one); by
    default ``path`` is read. ``None`` where the file cannot be read, has no
    ``cpu`` line, or a kernel too old to count steal time (fewer than eight
    numbers).
    """
    if stat is None:
        try:
            stat = Path(path).read_text(encoding="ascii", errors="replace")
        except OSError:
            return None
    for line in stat.splitlines():
        fields = line.split()
        if fields[:1] != ["cpu"]:
            continue
        try:
            ticks = int(fields[8])
            per_second = os.sysconf("SC_CLK_TCK")
        except (IndexError, ValueError, AttributeError, OSError):
            return None
        return ticks / per_second if per_second > 0 else None
    return None


def withheld_cpus(before: float | None, after: float | None, wall: float) -> float | None:
    """Average CPUs withheld between two :func:`steal_seconds` readings ``wall`` seconds apart.

    ``None`` if either reading is unknown or ``wall`` is not positive.
    """
    if before is None or after is None or not wall > 0:
        return None
    return round(max(0.0, after - before) / wall, 3)
