"""Why an event or tier change was refused, and which form field the reason belongs to."""

from __future__ import annotations


class EventSetupError(Exception):
    """A broken rule; ``field`` names the form field the message is shown beside."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Conflict(EventSetupError):
    """The request is fine but the stored data forbids it (a slug in use, seats taken)."""

    status_code = 409
