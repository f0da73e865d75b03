"""CSV that a spreadsheet opens safely: one rule for every export.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula (CSV injection): a site named ``=HYPERLINK(...)``
must come out as text. ``csv_cell`` prefixes such a cell with an apostrophe,
which the spreadsheet shows as text and does not print. Every CSV the project
writes (the audit export, the dashboard's tables) passes its cells through it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """``value`` as CSV text, prefixed with ``'`` when a spreadsheet would run it.

    ``None`` is the empty cell. A negative number is a formula start too: the
    dashboard writes no negative figures; the audit trail's are identifiers.
    """
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object whose ``write`` hands back the line (for streaming)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Each row as one CSV line, every cell through ``csv_cell``: for a
    ``StreamingHttpResponse`` or ``"".join``."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])
