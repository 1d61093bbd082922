"""Unit tests for mpworkers.lab.report: one duration format and one table."""

from __future__ import annotations

import pytest

from mpworkers.lab.report import Table, format_seconds


@pytest.mark.parametrize(
    "seconds, text",
    [(1.234, "1.23 s"), (123.4, "123 s"), (0.0125, "12.5 ms"), (0.00099, "990 us"),
     (4.5e-05, "45.0 us"), (3e-06, "3.0 us"), (9.99e-07, "999 ns"), (5.2e-08, "52 ns"),
     (0.0, "0 ns")],
)
def test_format_seconds(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text


@pytest.mark.parametrize("bad, error", [("1", TypeError), (True, TypeError), (-1.0, ValueError),
                                        (float("nan"), ValueError), (float("inf"), ValueError)])
def test_format_seconds_rejects(bad: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        format_seconds(bad)  # type: ignore[arg-type]


def test_table_text_forms() -> None:
    table = Table(["name", "n", "time"], [["loop", 1, "1.00 s"], ["pool", 20, "0.52 s"]], left=1)
    assert str(table).splitlines() == [
        "name   n    time",
        "----  --  ------",
        "loop   1  1.00 s",
        "pool  20  0.52 s",
    ]
    assert repr(table) == "name | n | time\nloop | 1 | 1.00 s\npool | 20 | 0.52 s"


def test_table_html_escapes_and_aligns() -> None:
    html = Table(["a<b", "x"], [["<i>", "1"]], left=1)._repr_html_()
    assert "a&lt;b" in html and "&lt;i&gt;" in html
    assert '<td style="text-align:left">&lt;i&gt;</td><td style="text-align:right">1</td>' in html
    assert "<th" in html and "<th></th>" not in html


@pytest.mark.parametrize(
    "header, rows, left, error",
    [("ab", [], 1, TypeError), (["a"], ["x"], 1, TypeError), (["a", "b"], [["x"]], 1, ValueError),
     (["a"], [], -1, ValueError), (["a"], [], "1", TypeError), (["", "b"], [], 1, ValueError),
     (["a", " "], [], 1, ValueError)],
)
def test_table_validates(
    header: object, rows: object, left: object, error: type[Exception]
) -> None:
    with pytest.raises(error):
        Table(header, rows, left=left)  # type: ignore[arg-type]


@pytest.mark.parametrize("seconds, text", [
    (1.0, "1.00 s"), (0.001, "1.00 ms"), (1e-06, "1.0 us"),  # a unit starts at exactly 1
    (100.0, "100 s"), (10.0, "10.0 s"), (0.1, "100 ms"), (0.01, "10.0 ms"),
])
def test_format_seconds_at_the_edges_of_units_and_digits(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text
