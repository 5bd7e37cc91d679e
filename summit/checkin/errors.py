"""Domain errors of check-in. Each carries the message staff should read."""

from __future__ import annotations


class CheckinError(Exception):
    """A check-in request that cannot be answered with a scan status."""

    status_code = 409

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownSession(CheckinError):
    """The session does not exist in this event (never another event's session)."""

    status_code = 404


class UnknownCheckin(CheckinError):
    """No check-in with that nonce or id in this event."""

    status_code = 404


class NotAnnullable(CheckinError):
    """Only a successful check-in can be undone; a failed scan changed nothing."""


class NonceConflict(CheckinError):
    """The nonce was already used for a scan of another event."""


class InvalidScan(CheckinError):
    """The request itself is malformed (bad direction, source, nonce)."""

    status_code = 422
