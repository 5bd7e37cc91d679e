"""Who gets which certificate: the one rule every page, command and batch calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select

from summit.checkin.credit import Credit, credit_minutes
from summit.clock import local_zone
from summit.curricula import statutory_curriculum
from summit.extensions import db
from summit.models import Checkin, CheckinResult, Event, Registration, utcnow

COMPLETION = "completion"
ATTENDANCE = "attendance"

# Why a registration gets no certificate, in the words staff see.
NO_CERTIFICATE_REASONS = {
    "cancelled": "The registration is cancelled.",
    "not_confirmed": "The registration was never confirmed.",
    "not_checked_in": "The person never checked in.",
    "withheld": "An administrator withheld the certificate.",
}
TOO_EARLY = "too_early"


@dataclass(frozen=True)
class Eligibility:
    """The certificate a registration earns now: ``kind`` is None when it earns none."""

    kind: str | None
    credit: Credit | None
    reason: str = ""
    opens_at: datetime | None = None

    @property
    def eligible(self) -> bool:
        return self.kind is not None

    @property
    def message(self) -> str:
        if self.reason == TOO_EARLY and self.opens_at is not None:
            return too_early_message(self.opens_at)
        return NO_CERTIFICATE_REASONS.get(self.reason, self.reason)

    @property
    def completed_topics(self):
        return tuple(t for t in self.credit.topics if t.complete) if self.credit else ()

    @property
    def remaining_topics(self):
        return tuple(t for t in self.credit.topics if not t.complete) if self.credit else ()


def certificates_open_at(event: Event) -> datetime:
    """When certificates of ``event`` may be issued: once its last session has ended
    (or its last day, without an agenda). A certificate states what was attended,
    so it is never dated before the sessions it cites."""
    ends = [session.ends_at for session in event.sessions]
    if ends:
        return max(ends)
    return datetime.combine(event.ends_on + timedelta(days=1), time(0), tzinfo=event.tz)


def too_early_message(opens_at: datetime) -> str:
    local = opens_at.astimezone(local_zone())
    return (
        f"Certificates can be issued once the event's last session has ended, "
        f"{local:%B} {local.day}, {local.year} at {local:%-I:%M %p}."
    )


def covers_statute(event: Event, credit: Credit) -> bool:
    """Every subject of the statute's list reached the event's minutes (ESD policy).

    An event on an older list (ESD 105's 12 units, without subject (m)) never does.
    """
    if not credit.is_complete:
        return False
    if event.curriculum.is_statutory:
        return True
    required = {item.topic_id for item in statutory_curriculum(event).items}
    return required <= {topic.topic_id for topic in credit.topics}


def has_checked_in(registration: Registration) -> bool:
    """A successful, not annulled check-in of any kind (event entry or a session)."""
    return (
        db.session.scalar(
            select(Checkin.id)
            .where(
                Checkin.registration_id == registration.id,
                Checkin.status == CheckinResult.OK,
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
    now: datetime | None = None,
) -> Eligibility:
    """*Completion* when every subject of the statute's list reached its required
    minutes at this event, else *attendance*; nothing before the event's last session
    has ended, and nothing for a cancelled, unconfirmed (waitlisted …) or never
    checked-in registration, or one whose certificate an admin withheld.

    ``override`` is an admin issuing by hand (a lost paper sign-in sheet): it
    passes over "never checked in" and a withholding, never over a cancelled or
    unconfirmed registration. ``credit`` and ``checked_in`` may be given by callers
    that computed them for many registrations at once (bulk issue).
    """
    if not registration.state.is_active:
        return Eligibility(None, None, "cancelled")
    if not registration.state.has_ticket:
        return Eligibility(None, None, "not_confirmed")
    if registration.certificate_withheld_reason and not override:
        return Eligibility(None, None, "withheld")
    opens_at = certificates_open_at(registration.event)
    if (now or utcnow()) < opens_at:
        return Eligibility(None, None, TOO_EARLY, opens_at)
    if checked_in is None:
        checked_in = has_checked_in(registration)
    if not checked_in and not override:
        return Eligibility(None, None, "not_checked_in")
    credit = credit if credit is not None else credit_minutes(registration)
    kind = COMPLETION if covers_statute(registration.event, credit) else ATTENDANCE
    return Eligibility(kind, credit)
