"""Tests for mpworkers.recipes: the workers that chapter 17's cells share with its programs."""

from __future__ import annotations

import math
import multiprocessing

import pandas as pd
import pytest

from mpworkers.recipes import add_distance


def test_add_distance_adds_the_column_and_keeps_the_input() -> None:
    frame = pd.DataFrame({"x": [3.0, 0.0], "y": [4.0, 2.0]}, index=[10, 11])
    result = add_distance(frame)
    assert result["distance"].tolist() == [5.0, 2.0]
    assert result.index.tolist() == [10, 11]
    assert "distance" not in frame.columns  # the input is not changed


def test_add_distance_in_a_pool_equals_the_vectorised_column() -> None:
    frame = pd.DataFrame({"x": [float(i) for i in range(40)], "y": [1.0] * 40})
    chunks = [frame.iloc[start:start + 10] for start in range(0, 40, 10)]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        result = pd.concat(pool.map(add_distance, chunks))
    assert result.index.equals(frame.index)
    assert all(math.isclose(a, math.hypot(x, 1.0))
               for a, x in zip(result["distance"], frame["x"], strict=True))


def test_add_distance_rejects_bad_input() -> None:
    with pytest.raises(TypeError, match="chunk must be a pandas DataFrame"):
        add_distance([1, 2])
    with pytest.raises(ValueError, match="no column 'y'"):
        add_distance(pd.DataFrame({"x": [1.0]}))
