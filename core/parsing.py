"""Reading ids out of what a client sends (query strings, form fields, JSON).

One rule for the whole project: an id is ASCII digits only, at least 1, at most
PostgreSQL's ``bigint`` (every primary key here is a ``BigAutoField``).
``str.isdigit`` is no guard: it is true for "²" or "①", which ``int()``
refuses (a 500), and ``int()`` alone takes "٣", " 3 ", "+3", "3_0" and
numbers past ``bigint``, which the database refuses (a ``DataError``: a 500
too). Anything else is ``None``: the caller answers as for an id that does not
exist.
"""

from __future__ import annotations

import re

# PostgreSQL's bigint: anything larger is no row id.
MAX_ID = 2**63 - 1

# ASCII only (``\d`` would take every Unicode digit), no sign, no leading zero;
# 19 digits at most, so the bound check never converts a long string.
_ID = re.compile(r"[1-9][0-9]{0,18}", re.ASCII)


def parse_id(value: object) -> int | None:
    """``value`` as a row id, or ``None`` when it is not one.

    Accepts a ``str`` of ASCII digits (no sign, no spaces, no leading zero) or
    an ``int`` (not a ``bool``), between 1 and ``MAX_ID``.
    """
    if type(value) is int:
        number = value
    elif isinstance(value, str) and _ID.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if 1 <= number <= MAX_ID else None


def parse_ids(values: list[str]) -> list[int]:
    """The ids among ``values`` (a ``getlist`` of a form or a query), the rest dropped."""
    return [number for number in map(parse_id, values) if number is not None]
