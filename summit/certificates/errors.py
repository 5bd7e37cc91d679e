"""Domain errors of certificates. Each carries the message a person should read."""

from __future__ import annotations


class CertificateError(Exception):
    """A certificate rule said no; ``message`` says why, in plain words."""

    status_code = 409

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotEligible(CertificateError):
    """The registration earns no certificate now (cancelled, never checked in …)."""


class AlreadyRevoked(CertificateError):
    pass


class ReasonRequired(CertificateError):
    status_code = 400
