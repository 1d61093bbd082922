"""Workers for the recipes that run in a notebook cell as well as in a program (chapter 17).

A program file of the book defines its workers under its own ``__main__``
guard; a notebook cell cannot (a ``spawn`` or ``forkserver`` child does not
find what a cell defines), so the cells that measure a recipe import the same
workers from here.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def add_distance(chunk: Any) -> Any:
    """Return a copy of ``chunk`` with a column ``distance``: ``sqrt(x**2 + y**2)``, row by row.

    The per-row Python work that is worth a pool: each chunk of a
    ``pandas.DataFrame`` with columns ``x`` and ``y`` is one task.

    >>> add_distance(pd.DataFrame({"x": [3.0], "y": [4.0]}))["distance"].tolist()
    [5.0]

    Raises:
        TypeError: if ``chunk`` is not a DataFrame.
        ValueError: if it lacks the column ``x`` or ``y``.
    """
    if not isinstance(chunk, pd.DataFrame):
        raise TypeError(f"chunk must be a pandas DataFrame, got {type(chunk).__name__}")
    missing = [name for name in ("x", "y") if name not in chunk.columns]
    if missing:
        raise ValueError(f"chunk has no column {missing[0]!r}: its columns are "
                         f"{list(chunk.columns)}")
    result = chunk.copy()
    result["distance"] = [math.hypot(x, y) for x, y in zip(chunk["x"], chunk["y"], strict=True)]
    return result
