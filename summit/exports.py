"""CSV downloads: one writer for every export, safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return,
which spreadsheets skip before reading the rest) is a formula to Excel, LibreOffice
and Google Sheets: a name typed as ``=HYPERLINK(...)`` or ``-$A$2&...`` would run
when staff open the file. Such a cell is written with a leading apostrophe, which
the spreadsheet shows as text. Our own amounts (``-$20.00``) and numbers stay as
they are, so the columns still add up.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What a spreadsheet reads as a plain (negative) number or amount, never a formula:
# ``-5``, ``-1.5``, ``-$20.00``, ``-$1,250.50``.
_NEGATIVE_AMOUNT = re.compile(r"-\$?\d{1,3}(?:,\d{3})*(?:\.\d+)?|-\$?\d+(?:\.\d+)?")


def spreadsheet_safe(value: Any) -> Any:
    """``value`` as a cell that shows as typed and never runs as a formula."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _NEGATIVE_AMOUNT.fullmatch(value):
        return value
    return "'" + value


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """The rows (the header first) as CSV text, every cell made :func:`spreadsheet_safe`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in row])
    return buffer.getvalue()


def csv_response(rows: Iterable[Sequence[Any]], filename: str) -> Response:
    """A CSV download; the byte-order mark makes Excel read names with accents as UTF-8."""
    return Response(
        "\ufeff" + csv_text(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
