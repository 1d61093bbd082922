"""The report as the text the command line prints."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from mpworkers.lab.bench.results import Report, Result, spread
from mpworkers.lab.bench.runners import Chunking
from mpworkers.lab.report import Table, format_seconds


def _spread_text(times: Sequence[float]) -> str:
    """The spread as a percentage, or ``-`` for a single time, which has none."""
    return f"{spread(times):.0%}" if len(times) > 1 else "-"


def _speedup_text(report: Report, result: Result) -> str:
    return "noise" if report.is_noise(result) else f"{report.speedup(result):.2f}x"


def _machine_lines(report: Report) -> list[str]:
    machine, settings = report.machine, report.settings
    if machine.smt_siblings is None:
        smt = "SMT siblings unknown"
    else:
        smt = "some are SMT siblings" if machine.smt_siblings else "no two are SMT siblings"
    physical = "?" if machine.physical_cores is None else machine.physical_cores
    load = report.load_average_before
    virtual = " (virtual machine)" if machine.virtual else ""
    lines = [
        f"CPU: {machine.cpu_model}{virtual}; {machine.cpus}; {physical} physical cores; "
        f"of the usable CPUs, {smt}",
        f"Python: {machine.python_implementation} {machine.python_version} on "
        f"{machine.system} {machine.machine}, default start method {machine.start_method}, "
        f"GIL {'enabled' if machine.gil_enabled else 'disabled'}",
        f"Run: {report.mode} mode on {report.created}, {settings.workers} workers, "
        f"{settings.repeat} rounds per cell, took {format_seconds(report.duration_s)}",
    ]
    if load is not None and report.load_average_after is not None:
        lines.append(f"Load average (1 min): {load[0]:.2f} before, "
                     f"{report.load_average_after[0]:.2f} after")
    lines.append(report.quiet_line())
    return lines


def format_report(report: Report) -> str:
    """Return the report as the text the command line prints: a header and tables."""
    parts = _machine_lines(report)
    for row in report.implementations:
        if row.status != "ok":
            parts.append(f"Skipped {row.name}: {row.reason}")
    parts += ["", "Process start-up (start + join of a no-op Process)"]
    parts.append(str(Table(
        ["start method", "first", "best", "median", "spread"],
        [[p.start_method, format_seconds(p.first_s), format_seconds(min(p.times_s)),
          format_seconds(statistics.median(p.times_s)), _spread_text(p.times_s)]
         for p in report.process_startup])))
    if report.pool_startup:
        parts += ["", "Pool start-up (create, one no-op task per worker), warm call, "
                  "shutdown (medians)"]
        parts.append(str(Table(
            ["implementation", "start method", "start-up", "warm call", "spread", "shutdown"],
            [[p.implementation, p.start_method or "-",
              format_seconds(statistics.median(p.startup_s)),
              format_seconds(statistics.median(p.warm_call_s)), _spread_text(p.warm_call_s),
              format_seconds(statistics.median(p.shutdown_s))]
             for p in report.pool_startup], left=2)))
    noise = False
    for workload in report.workloads:
        others = ("" if workload.others_cpus is None
                  else f"; other programs used {workload.others_cpus:.2f} CPUs")
        parts += ["", f"{workload.name} ({workload.description}): {workload.tasks} tasks "
                  f"of {format_seconds(workload.measured_s)} each{others}"]
        rows = []
        for r in report.results_for(workload.name):
            noise = noise or report.is_noise(r)
            rows.append([
                r.implementation, r.workers, r.policy + (" (default)" if r.library_default
                                                         and r.chunking is not Chunking.NONE
                                                         else ""),
                format_seconds(r.best_s), format_seconds(r.median_s), _spread_text(r.times_s),
                _speedup_text(report, r),
            ])
        parts.append(str(Table(
            ["implementation", "workers", "tasks per message", "best", "median", "spread",
             "speed-up"], rows)))
    parts += ["", "speed-up: the median over the rounds of the plain loop's time over the "
              "implementation's in the same round; "
              "spread: (slowest - fastest) / median of the rounds"]
    if noise:
        parts.append("noise: a median speed-up above what the workers and the usable CPUs "
                     "allow, which only a disturbed measurement gives; run again, with more "
                     "--repeat")
    return "\n".join(parts)


# --------------------------------------------------------------------------- command line
