"""The reminder before an event: queued once per confirmed registration."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from summit.extensions import db
from summit.mail.outbox import queue_registration_email
from summit.models import Event, Registration, RegistrationState, utcnow
from summit.transactions import write_transaction


def queue_reminders(days_before: int = 7, *, now: datetime | None = None) -> int:
    """Queue ``reminder`` for confirmed registrations of events starting within ``days_before``.

    ``reminder_sent_at`` and the ``reminder:<id>`` dedupe key both guard against a
    second reminder, so running this daily (or twice by mistake) is safe. One write
    transaction per registration, so a long run that stops halfway keeps what it
    queued and never holds the lock for long.
    """
    now = now or utcnow()
    today = _today(now)
    ids = db.session.scalars(
        select(Registration.id)
        .join(Event, Registration.event_id == Event.id)
        .where(
            Registration.state == RegistrationState.CONFIRMED,
            Registration.reminder_sent_at.is_(None),
            Event.starts_on >= today,
            Event.starts_on <= today + timedelta(days=days_before),
        )
        .order_by(Registration.id)
    ).all()
    for registration_id in ids:
        with write_transaction():
            registration = db.session.get(Registration, registration_id, populate_existing=True)
            if registration is None or registration.reminder_sent_at is not None:
                continue
            queue_registration_email(
                registration, "reminder", dedupe_key=f"reminder:{registration.id}"
            )
            registration.reminder_sent_at = now
    return len(ids)


def _today(now: datetime) -> date:
    """Event dates are local calendar dates, so "today" is today in Pacific time."""
    return now.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()
