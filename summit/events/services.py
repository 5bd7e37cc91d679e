"""Setting up an event: create, edit, publish, unpublish, archive, restore.

Each function takes plain values, checks the rules, writes inside one
``write_transaction`` (the event row locked, so a registration cannot take a seat
while the capacity changes), audits, and raises :class:`EventSetupError` with the
form field the reason belongs to. Views never decide a rule.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from summit import audit
from summit.certificates.services import set_credit_policy
from summit.events.errors import Conflict, EventSetupError
from summit.extensions import db
from summit.models import Event, Registration, StaffUser, utcnow
from summit.registration.services import seats_taken
from summit.transactions import lock_row, write_transaction

Actor = StaffUser | str
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_RULE = "Use lowercase letters, digits and single hyphens, e.g. s5-2028."
FIRST_YEAR, LAST_YEAR = 2000, 2099  # a typo like 20288 is caught, and a clone a year on fits
YEAR_RULE = f"Give a date between {FIRST_YEAR} and {LAST_YEAR}."


@dataclass(frozen=True)
class EventDetails:
    """Everything the event form sets; datetimes are aware (UTC)."""

    name: str
    slug: str
    description: str
    starts_on: date
    ends_on: date
    timezone: str
    venue_name: str
    venue_address: str
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    capacity: int | None
    curriculum_id: int
    required_minutes: int
    contact_email: str
    confirm_on_purchase_order: bool = False

    def columns(self) -> dict[str, Any]:
        """The values stored on the event row itself (minutes go through the credit policy)."""
        values = asdict(self)
        values.pop("required_minutes")
        return values


def create_event(details: EventDetails, *, actor: Actor) -> Event:
    """A new event, unpublished: nobody sees it until an admin publishes it."""
    check_details(details)
    with write_transaction():
        refuse_slug_in_use(details.slug)
        event = Event(
            **details.columns(),
            is_published=False,
            default_required_minutes=details.required_minutes,
        )
        db.session.add(event)
        flush_new_address(details.slug)
        audit.record("event.create", event, after=snapshot(event), actor=actor, event_id=event.id)
    return event


def update_event(event_id: int, details: EventDetails, *, actor: Actor) -> Event:
    """Change an event's settings; refused when a rule would break, nothing saved then."""
    check_details(details)
    with write_transaction():
        event = lock_row(Event, event_id)
        if details.slug != event.slug:
            _check_slug_change(event, details.slug)
        _check_capacity(event, details.capacity)
        before = snapshot(event)
        for name, value in details.columns().items():
            setattr(event, name, value)
        if event.slug != before["slug"]:
            flush_new_address(event.slug)
        audit.record_event_change("event.update", event, before, snapshot(event), actor)
        set_credit_policy(
            event,
            required_minutes=details.required_minutes,
            grace_minutes=event.checkin_grace_minutes,
            actor=actor,
        )
    return event


def check_details(details: EventDetails) -> None:
    """Rules that need nothing stored: slug shape, dates and window in order."""
    if not SLUG_PATTERN.match(details.slug):
        raise EventSetupError(SLUG_RULE, field="slug")
    for name in ("starts_on", "ends_on"):
        if not FIRST_YEAR <= getattr(details, name).year <= LAST_YEAR:
            raise EventSetupError(YEAR_RULE, field=name)
    if details.ends_on < details.starts_on:
        raise EventSetupError("The last day is before the first day.", field="ends_on")
    opens, closes = details.registration_opens_at, details.registration_closes_at
    if opens and closes and closes <= opens:
        raise EventSetupError(
            "Registration would close before it opens.", field="registration_closes_at"
        )
    if details.capacity is not None and details.capacity < 0:
        raise EventSetupError("A capacity cannot be negative.", field="capacity")
    if details.required_minutes < 1:
        raise EventSetupError("A subject needs at least one minute.", field="required_minutes")


def refuse_slug_in_use(slug: str, *, other_than: Event | None = None) -> None:
    """Two events never share an address."""
    statement = select(Event.id).where(Event.slug == slug)
    if other_than is not None:
        statement = statement.where(Event.id != other_than.id)
    if db.session.scalar(statement) is not None:
        raise Conflict(f"Another event already uses the address “{slug}”.", field="slug")


def flush_new_address(slug: str) -> None:
    """Write the new event now; another admin saving the same address at the same
    moment (PostgreSQL takes no table lock) gets the same answer as a slug in use."""
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict(f"Another event already uses the address “{slug}”.", field="slug") from None


def slug_is_locked(event: Event) -> bool:
    """An event people registered for keeps its address: their tickets, emails and
    agencies' links point to it. Unpublished too: unpublishing first is no way round."""
    return registration_count(event) > 0


def registration_count(event: Event) -> int:
    statement = select(func.count()).where(Registration.event_id == event.id)
    return db.session.scalar(statement) or 0


def _check_slug_change(event: Event, slug: str) -> None:
    if slug_is_locked(event):
        raise Conflict(
            "People have registered for this event: its address stays "
            f"“{event.slug}” so their tickets and links keep working.",
            field="slug",
        )
    refuse_slug_in_use(slug, other_than=event)


def _check_capacity(event: Event, capacity: int | None) -> None:
    if capacity is None:
        return
    taken = seats_taken(event)
    if capacity < taken:
        raise Conflict(
            f"{taken} seats are already taken; the capacity cannot be lower than that.",
            field="capacity",
        )


# --- publishing and archiving -------------------------------------------------------------


def publish_event(event_id: int, *, actor: Actor) -> Event:
    """Put the event on the public site; it needs an open tier to register in."""
    with write_transaction():
        event = lock_row(Event, event_id)
        if event.archived_at is not None:
            raise Conflict("This event is archived: restore it before publishing it.")
        if not any(tier.is_open for tier in event.tiers):
            raise Conflict("Add an open tier first: nobody could register for this event.")
        _set_published(event, True, actor)
    return event


def unpublish_event(event_id: int, *, actor: Actor) -> Event:
    """Take the event off the public site; registrations, tickets and links keep working."""
    with write_transaction():
        event = lock_row(Event, event_id)
        _set_published(event, False, actor)
    return event


def archive_event(event_id: int, *, actor: Actor) -> Event:
    """Off every list and off the public site; its people, scans and certificates stay."""
    with write_transaction():
        event = lock_row(Event, event_id)
        if event.archived_at is None:
            _set_published(event, False, actor)
            event.archived_at = utcnow()
            audit.record("event.archive", event, actor=actor, event_id=event.id)
    return event


def restore_event(event_id: int, *, actor: Actor) -> Event:
    """Back on the staff lists, still unpublished."""
    with write_transaction():
        event = lock_row(Event, event_id)
        if event.archived_at is not None:
            event.archived_at = None
            audit.record("event.restore", event, actor=actor, event_id=event.id)
    return event


def _set_published(event: Event, published: bool, actor: Actor) -> None:
    if event.is_published == published:
        return
    event.is_published = published
    audit.record(
        "event.publish" if published else "event.unpublish",
        event,
        before={"is_published": not published},
        after={"is_published": published},
        actor=actor,
        event_id=event.id,
    )


def snapshot(event: Event) -> dict[str, Any]:
    """The editable settings as JSON values, for the audit log's before and after."""
    values: dict[str, Any] = {}
    for name in (*EventDetails.__dataclass_fields__, "is_published"):
        if name == "required_minutes":
            continue
        value = getattr(event, name)
        values[name] = value.isoformat() if isinstance(value, date | datetime) else value
    return values
