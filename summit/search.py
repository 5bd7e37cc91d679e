"""Staff searches: "contains this text, any case", with ``%`` and ``_`` taken literally.

SQL ``LIKE`` reads ``%`` as "anything" and ``_`` as "any one character": a search
for ``%`` listed everyone. Every staff search (registrations, the check-in desk,
the scanner API, the training record search) builds its condition here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func

LIKE_ESCAPE = "\\"


def escape_like(text: str) -> str:
    """``text`` with LIKE's wildcards and the escape character itself made literal."""
    return (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def contains(column: Any, text: str) -> ColumnElement[bool]:
    """``column`` contains ``text``, ignoring case, wildcards taken as typed."""
    pattern = f"%{escape_like(text.lower())}%"
    return func.lower(column).like(pattern, escape=LIKE_ESCAPE)
