"""Money is integer cents everywhere; these turn it into text and back."""

from __future__ import annotations

import re

_AMOUNT = re.compile(r"^\$?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$")


def format_cents(cents: int) -> str:
    """``$1,234.50``; negative amounts (refunds) as ``-$20.00``."""
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}${dollars:,}.{rest:02d}"


def parse_cents(text: str) -> int:
    """Read what staff type (``50``, ``$50.00``, ``1,250.5``) as cents.

    Raises ``ValueError`` for anything else (letters, three decimals, a minus)
    so a typo never becomes a wrong amount.
    """
    match = _AMOUNT.match(text.strip())
    if not match:
        raise ValueError(f"not an amount: {text!r}")
    dollars = int(match.group(1).replace(",", ""))
    cents = int((match.group(2) or "0").ljust(2, "0"))
    return dollars * 100 + cents
