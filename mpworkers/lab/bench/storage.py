"""Benchmark results as JSON files: one format, one writer, one reader.

Both of the kit's benchmarks store what they measured in the same layout:
a JSON object whose ``"format"`` is :data:`~mpworkers.lab.bench.results.FORMAT`,
whose ``"kind"`` says which benchmark wrote it (``"pools"``:
:func:`mpworkers.lab.bench.measure.run_benchmark`, chapter 8;
``"alternatives"``: :func:`mpworkers.lab.bench.alternatives.run_alternatives`,
chapter 13), and whose ``"machine"`` is a :class:`mpworkers.lab.machine.Machine`.
:func:`write_results` writes every such file and :func:`load_results` reads
and checks every one; :func:`read_report` and :func:`read_alternatives` are
the two kinds' front doors.
"""

from __future__ import annotations

import json
import os
from typing import Any

from mpworkers.lab.bench.jsonform import from_json, to_json
from mpworkers.lab.bench.results import FORMAT, Report
from mpworkers.lab.machine import Machine

__all__ = [
    "KINDS", "check_results", "load_results", "read_alternatives", "read_report", "write_results",
]

KINDS = ("pools", "alternatives")
"""The benchmarks whose results this format stores."""

# the parts of an alternatives run besides format, kind and machine, and their types
_ALTERNATIVES = {
    "created": str, "command": str, "settings": dict, "interpreters_available": bool,
    "startup": dict, "per_task": dict, "speed": dict, "memory": dict,
}


def write_results(path: str | os.PathLike[str], results: Report | dict[str, Any]) -> None:
    """Write a :class:`~mpworkers.lab.bench.results.Report` or an alternatives run to ``path``.

    An alternatives run is a dict; both become JSON.

    Raises:
        ValueError: if ``results`` is not in this format (:func:`check_results`).
        OSError: if the file cannot be written.
    """
    data = to_json(results)
    check_results(data, "results")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
        f.write("\n")


def check_results(data: Any, where: str, kind: str | None = None) -> str:
    """Check the envelope of stored results (format, kind, machine); return their kind.

    Raises:
        ValueError: naming what is missing or wrong.
    """
    if not isinstance(data, dict):
        raise ValueError(f"{where} holds no results object")
    if data.get("format") != FORMAT:
        raise ValueError(f"{where}: format {data.get('format')!r}, expected {FORMAT!r}")
    found = data.get("kind")
    if found not in KINDS or (kind is not None and found != kind):
        raise ValueError(f"{where}: kind {found!r}, expected {kind or ' or '.join(KINDS)!r}")
    from_json(Machine, data.get("machine"), f"{where}['machine']")
    return str(found)


def load_results(path: str | os.PathLike[str], kind: str | None = None) -> dict[str, Any]:
    """Read stored results and check their envelope (of ``kind``, if given); return the JSON.

    Raises:
        TypeError: if ``path`` is not a str or path.
        OSError: if the file cannot be read.
        ValueError: if it is not JSON, or not results in
            :data:`~mpworkers.lab.bench.results.FORMAT`.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    where = repr(os.fspath(path))
    with open(path, encoding="utf-8") as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as error:
            raise ValueError(f"{where} is not JSON: {error}") from None
    check_results(data, where, kind)
    assert isinstance(data, dict)
    return data


def read_report(path: str | os.PathLike[str]) -> Report:
    """Read a report that ``python -m mpworkers.lab.bench --json PATH`` wrote.

    Raises:
        The errors of :func:`load_results`, and ValueError naming the first
        part of the report that is missing or wrong.
    """
    return Report.from_dict(load_results(path, "pools"))


def read_alternatives(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read what ``python -m mpworkers.lab.bench alternatives --json PATH`` wrote.

    Its ``"machine"`` becomes a :class:`~mpworkers.lab.machine.Machine`; the
    rest stays as JSON made it.

    Raises:
        The errors of :func:`load_results`, and ValueError for a part that is
        missing or of the wrong type.
    """
    data = load_results(path, "alternatives")
    for key, kind in _ALTERNATIVES.items():
        if not isinstance(data.get(key), kind):
            raise ValueError(f"{os.fspath(path)!r}: {key!r} missing or not a {kind.__name__}")
    data["machine"] = from_json(Machine, data["machine"], "machine")
    return data
