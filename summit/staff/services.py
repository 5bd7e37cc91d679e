"""What the staff home and the audit page read: events with their counts, latest changes."""

from __future__ import annotations

from sqlalchemy import func, select

from summit.extensions import db
from summit.models import AuditLog, Event, Registration, RegistrationState

AUDIT_PAGE_SIZE = 200


def events_with_counts() -> tuple[list[Event], dict[int, int]]:
    """Every event, newest first, and how many registrations each holds (cancelled not
    counted), in two queries whatever the number of events."""
    counts = dict(
        db.session.execute(
            select(Registration.event_id, func.count())
            .where(Registration.state != RegistrationState.CANCELLED)
            .group_by(Registration.event_id)
        ).all()
    )
    events = list(db.session.scalars(select(Event).order_by(Event.starts_on.desc())))
    return events, counts


def latest_changes(limit: int = AUDIT_PAGE_SIZE) -> list[AuditLog]:
    """The latest audit entries, newest first: who did what to which record."""
    return list(db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)))
