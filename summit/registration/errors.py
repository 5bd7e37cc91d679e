"""Domain errors of registration. Each carries the message a person should read."""

from __future__ import annotations


class RegistrationError(Exception):
    """A rule of registration said no; ``message`` says why, in plain words."""

    status_code = 409

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RegistrationClosed(RegistrationError):
    pass


class TierNotAvailable(RegistrationError):
    pass


class InvalidTransition(RegistrationError):
    pass


class OfferExpired(RegistrationError):
    pass


class TierFull(RegistrationError):
    """A move into a tier whose seats are all held: the person keeps the seat they have."""


class EmailInUse(RegistrationError):
    """Another person's record has this email: one address, one person (merge instead)."""
