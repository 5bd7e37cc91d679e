"""Who gets which certificate: the one rule every page, command and batch calls."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from summit.checkin.credit import Credit, credit_minutes
from summit.extensions import db
from summit.models import Checkin, Registration

COMPLETION = "completion"
ATTENDANCE = "attendance"

# Why a registration gets no certificate, in the words staff see.
NO_CERTIFICATE_REASONS = {
    "cancelled": "The registration is cancelled.",
    "not_confirmed": "The registration was never confirmed.",
    "not_checked_in": "The person never checked in.",
    "withheld": "An administrator withheld the certificate.",
}


@dataclass(frozen=True)
class Eligibility:
    """The certificate a registration earns now: ``kind`` is None when it earns none."""

    kind: str | None
    credit: Credit | None
    reason: str = ""

    @property
    def eligible(self) -> bool:
        return self.kind is not None

    @property
    def message(self) -> str:
        return NO_CERTIFICATE_REASONS.get(self.reason, self.reason)

    @property
    def completed_topics(self):
        return tuple(t for t in self.credit.topics if t.complete) if self.credit else ()

    @property
    def remaining_topics(self):
        return tuple(t for t in self.credit.topics if not t.complete) if self.credit else ()


def has_checked_in(registration: Registration) -> bool:
    """A successful, not annulled check-in of any kind (event entry or a session)."""
    return (
        db.session.scalar(
            select(Checkin.id)
            .where(
                Checkin.registration_id == registration.id,
                Checkin.status == "ok",
                Checkin.direction == "in",
                Checkin.annulled_at.is_(None),
            )
            .limit(1)
        )
        is not None
    )


def certificate_for(
    registration: Registration,
    credit: Credit | None = None,
    *,
    checked_in: bool | None = None,
    override: bool = False,
) -> Eligibility:
    """*Completion* when every curriculum topic reached its required minutes, else
    *attendance*; nothing for a cancelled, unconfirmed (waitlisted …) or never
    checked-in registration, or one whose certificate an admin withheld.

    ``override`` is an admin issuing by hand (a lost paper sign-in sheet): it
    passes over "never checked in" and a withholding, never over a cancelled or
    unconfirmed registration. ``credit`` and ``checked_in`` may be given by callers
    that computed them for many registrations at once (bulk issue).
    """
    if registration.state == "cancelled":
        return Eligibility(None, None, "cancelled")
    if registration.state != "confirmed":
        return Eligibility(None, None, "not_confirmed")
    if registration.certificate_withheld_reason and not override:
        return Eligibility(None, None, "withheld")
    if checked_in is None:
        checked_in = has_checked_in(registration)
    if not checked_in and not override:
        return Eligibility(None, None, "not_checked_in")
    credit = credit if credit is not None else credit_minutes(registration)
    return Eligibility(COMPLETION if credit.is_complete else ATTENDANCE, credit)
