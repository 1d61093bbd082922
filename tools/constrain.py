"""Run a command the way a constrained reader runs the notebooks.

    python tools/constrain.py --cpu-quota 1 -- COMMAND [ARG ...]
    python tools/constrain.py --affinity 0 -- COMMAND [ARG ...]

``--cpu-quota N`` runs the command in a new cgroup whose CPU quota is N CPUs,
as mybinder.org, ``docker run --cpus N`` and Kubernetes CPU limits do: every
CPU stays visible, only CPU time is capped. It needs root and a cgroup
filesystem that allows it (cgroup v1 ``cpu`` or cgroup v2 ``cpu.max``); the
cgroup is a child of this process's own and is removed afterwards, with any
process left in it.

``--affinity CPUS`` (``0`` or ``0,2``) restricts the command to those CPUs,
as ``taskset -c`` does.

When the constraint cannot be set up, it prints ``SKIP: <reason>`` and exits
with status 0 without running the command (or with status 77 under
``--strict-skip``), so that a test run on a machine without cgroups goes on.
Otherwise the exit status is the command's.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import signal
import subprocess
import sys
from collections.abc import Callable

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mpworkers.lab.cpus import cpu_cgroup  # noqa: E402

PERIOD_US = 100_000


class Unavailable(Exception):
    """The constraint cannot be set up here; the message says why."""


def make_quota_cgroup(cpus: float) -> pathlib.Path:
    """Create a child cgroup of this process's with a quota of ``cpus`` CPUs."""
    if os.geteuid() != 0:
        raise Unavailable("a CPU quota needs root (to create a cgroup)")
    try:
        found = cpu_cgroup()
    except OSError as exc:
        raise Unavailable(f"no cgroup information: {exc}") from None
    if found is None:
        raise Unavailable("this process is in no CPU cgroup")
    version, folders = found
    folder = folders[0] / f"mpcourse-quota-{os.getpid()}"
    quota = round(cpus * PERIOD_US)
    try:
        folder.mkdir()
    except OSError as exc:
        raise Unavailable(f"cannot create cgroup {folder}: {exc.strerror}") from None
    try:
        if version == "v1":
            (folder / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (folder / "cpu.cfs_quota_us").write_text(str(quota))
        else:
            if not (folder / "cpu.max").exists():
                # the cpu controller must be enabled for the parent's children
                (folders[0] / "cgroup.subtree_control").write_text("+cpu")
            (folder / "cpu.max").write_text(f"{quota} {PERIOD_US}")
    except OSError as exc:
        remove_cgroup(folder)
        raise Unavailable(f"cannot set the CPU quota in {folder} (cgroup {version}): "
                          f"{exc.strerror}") from None
    return folder


def remove_cgroup(folder: pathlib.Path) -> None:
    """Kill whatever is left in the cgroup, then remove it."""
    procs = folder / "cgroup.procs"
    for _ in range(50):
        try:
            pids = [int(p) for p in procs.read_text().split()]
        except OSError:
            pids = []
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if not pids:
                os.sched_yield()
            # killed processes leave the cgroup once they are reaped: try again
            try:
                os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pass
    print(f"constrain: could not remove {folder}", file=sys.stderr)


def run(command: list[str], preexec: Callable[[], object] | None = None) -> int:
    child = subprocess.Popen(command, preexec_fn=preexec)  # noqa: PLW1509
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.send_signal(signal.SIGINT)
        return child.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--cpu-quota", type=float, metavar="N", help="CPUs' worth of time")
    group.add_argument("--affinity", metavar="CPUS", help="CPU numbers, e.g. 0 or 0,2")
    parser.add_argument("--strict-skip", action="store_true",
                        help="exit with status 77 when the constraint cannot be set up")
    parser.add_argument("command", nargs="+", help="the command, after --")
    args = parser.parse_args(argv)
    skip_status = 77 if args.strict_skip else 0

    if args.affinity is not None:
        if not hasattr(os, "sched_setaffinity"):
            print("SKIP: this platform cannot set a CPU affinity")
            return skip_status
        try:
            mask = {int(c) for c in args.affinity.split(",")}
            os.sched_setaffinity(0, mask)  # inherited by the command
        except (ValueError, OSError) as exc:
            print(f"SKIP: cannot set the affinity {args.affinity!r}: {exc}")
            return skip_status
        print(f"constrain: running with CPU affinity {sorted(mask)}", flush=True)
        return run(args.command)

    if not args.cpu_quota > 0:
        parser.error("--cpu-quota must be positive")
    try:
        folder = make_quota_cgroup(args.cpu_quota)
    except Unavailable as exc:
        print(f"SKIP: {exc}")
        return skip_status
    procs = folder / "cgroup.procs"

    def enter_cgroup() -> None:  # runs in the child, before exec
        procs.write_text(str(os.getpid()))

    print(f"constrain: running with a CPU quota of {args.cpu_quota:g} CPUs ({folder})",
          flush=True)
    try:
        return run(args.command, enter_cgroup)
    finally:
        remove_cgroup(folder)


if __name__ == "__main__":
    sys.exit(main())
