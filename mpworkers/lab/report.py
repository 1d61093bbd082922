"""Printing measurements the same way everywhere: durations and tables.

The course's tests compare a notebook's fresh outputs with the stored ones
after replacing measured values with placeholders (``tests/sanitize.cfg``).
That works only if every chapter prints durations in one form, which
:func:`format_seconds` gives, and tables in one layout, which :class:`Table`
gives (plain text in a terminal and in the stored outputs' text, HTML in
Jupyter and in the book).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from mpworkers._validate import check_int, check_real

__all__ = ["Table", "format_seconds"]


def format_seconds(seconds: float) -> str:
    """Return a duration as ``'1.23 s'``, ``'12.5 ms'``, ``'45.0 us'`` or ``'52 ns'``.

    Three significant digits (two between 1 and 10 us, whole nanoseconds
    below 1 us), in the largest unit that keeps the number at least 1.

    >>> format_seconds(0.0125)
    '12.5 ms'
    >>> format_seconds(4.5e-05)
    '45.0 us'
    >>> format_seconds(5.2e-08)
    '52 ns'

    Raises:
        TypeError: if ``seconds`` is not a real number.
        ValueError: if ``seconds`` is negative, infinite or NaN.
    """
    value = check_real("seconds", seconds, minimum=0.0)
    if math.isinf(value):
        raise ValueError("seconds must be finite")
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if value >= scale:
            scaled = value / scale
            digits = 0 if scaled >= 100 else 1 if scaled >= 10 else 2 if unit != "us" else 1
            return f"{scaled:.{digits}f} {unit}"
    return f"{value / 1e-9:.0f} ns"


class Table:
    """Rows of cells shown as an HTML table in Jupyter and the book, as text elsewhere.

    The first ``left`` columns are aligned left (names), the others right
    (numbers). Cells are converted with ``str``.

    ``str(table)`` (what ``print`` shows) aligns the columns, for a terminal:

    >>> table = Table(["name", "time"], [["loop", "1.00 s"], ["pool", "0.52 s"]])
    >>> print(table)
    name    time
    ----  ------
    loop  1.00 s
    pool  0.52 s

    ``repr(table)``, the plain-text form that a notebook stores beside the
    HTML, separates cells with `` | `` and pads nothing, so that it compares
    equal once measured values are replaced by placeholders, whatever their
    width:

    >>> table
    name | time
    loop | 1.00 s
    pool | 0.52 s

    Raises:
        TypeError: if ``header`` or a row is not a sequence, or ``left`` not an int.
        ValueError: if a column name is blank (a screen reader announces each
            column by its name, and an empty header cell is an accessibility
            fault), if a row's length differs from the header's, or ``left`` < 0.
    """

    def __init__(
        self, header: Sequence[object], rows: Sequence[Sequence[object]], *, left: int = 1
    ) -> None:
        if isinstance(header, str) or not isinstance(header, Sequence):
            raise TypeError(f"header must be a sequence of column names, got {header!r}")
        check_int("left", left, minimum=0)
        self.header = [str(cell) for cell in header]
        blank = [index for index, name in enumerate(self.header) if not name.strip()]
        if blank:
            raise ValueError(f"column {blank[0]} has no name: every column needs one")
        self.rows: list[list[str]] = []
        for index, row in enumerate(rows):
            if isinstance(row, str) or not isinstance(row, Sequence):
                raise TypeError(f"row {index} must be a sequence of cells, got {row!r}")
            if len(row) != len(self.header):
                raise ValueError(
                    f"row {index} has {len(row)} cells, the header has {len(self.header)}"
                )
            self.rows.append([str(cell) for cell in row])
        self.left = left

    def _align(self, column: int) -> str:
        return "left" if column < self.left else "right"

    def __repr__(self) -> str:
        return "\n".join(" | ".join(line) for line in [self.header, *self.rows])

    def __str__(self) -> str:
        lines = [self.header, *self.rows]
        widths = [max(len(line[i]) for line in lines) for i in range(len(self.header))]
        lines.insert(1, ["-" * w for w in widths])
        return "\n".join(
            "  ".join(
                cell.ljust(width) if self._align(i) == "left" else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
            for line in lines
        )

    def _repr_html_(self) -> str:
        def row(cells: list[str], tag: str) -> str:
            return "<tr>" + "".join(
                f'<{tag} style="text-align:{self._align(i)}">{html.escape(cell)}</{tag}>'
                for i, cell in enumerate(cells)
            ) + "</tr>"

        body = "".join(row(r, "td") for r in self.rows)
        return f"<table><thead>{row(self.header, 'th')}</thead><tbody>{body}</tbody></table>"
