"""What the staff pages refuse: account changes that break a rule."""

from __future__ import annotations


class AccountError(ValueError):
    """An account change refused; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field
