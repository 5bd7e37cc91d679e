"""Domain errors of self-training; each carries the sentence a person should read."""

from __future__ import annotations


class TrainingError(Exception):
    """A rule said no; ``message`` says why in plain words."""

    status_code = 409

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class EvidenceRejected(TrainingError):
    """An uploaded file is too big, empty, or not a PDF, PNG or JPEG by its content."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message, field="evidence")


class NotEditable(TrainingError):
    """The entry has been reviewed: it can no longer be changed or deleted."""


class NotEligible(TrainingError):
    """Training series documentation was asked for without a basis: the series is not
    complete and no significant prior training and experience is recorded."""


class CurriculumMissing(TrainingError):
    """The configured curriculum is not in the database (run ``flask init-db``)."""

    status_code = 503
