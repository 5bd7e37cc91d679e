"""What the staff home (the control room) reads: events with their counts, the next
things to do, and what changed since the staff member's previous visit.

Reads only. The counts come from a few grouped queries whatever the number of events;
certificates ready to issue are planned only for events whose certificates are open
and which ended recently, since planning reads every registration's credit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select

from summit.admin.history import HistoryRow, described_log
from summit.admin.listing import confirmed_with_payment_due
from summit.certificates import bulk
from summit.certificates.eligibility import certificates_open_at
from summit.clock import today_local
from summit.extensions import db
from summit.models import (
    AuditLog,
    Event,
    Registration,
    RegistrationState,
    SelfTrainingEntry,
    StaffUser,
    TrainingEntryStatus,
    utcnow,
)
from summit.registration.services import registration_counts

AUDIT_PAGE_SIZE = 200
# Events still worth a to-do list: upcoming ones and those that ended this recently.
RECENT_EVENT_DAYS = 90
CHANGES_SHOWN = 10


@dataclass(frozen=True)
class EventToDo:
    """One event's open work: what staff must decide or do, with counts."""

    event: Event
    to_approve: int = 0
    awaiting_payment: int = 0
    payment_due_on_po: int = 0  # confirmed on a purchase order, not paid yet
    certificates_ready: int | None = None  # None: not open yet, or not looked at

    @property
    def anything(self) -> bool:
        return bool(
            self.to_approve
            or self.awaiting_payment
            or self.payment_due_on_po
            or self.certificates_ready
        )


@dataclass(frozen=True)
class ControlRoom:
    events: list[Event]
    counts: dict[int, int]
    to_do: list[EventToDo]
    training_to_review: int
    since: datetime | None
    changes: list[HistoryRow] = field(default_factory=list)
    changes_count: int = 0


def events_with_counts() -> tuple[list[Event], dict[int, int]]:
    """Every event not archived, newest first, and how many registrations each holds (cancelled not
    counted), in two queries whatever the number of events."""
    counts = registration_counts()
    events = list(
        db.session.scalars(
            select(Event).where(Event.archived_at.is_(None)).order_by(Event.starts_on.desc())
        )
    )  # archived events are done with: admins find them on the events page
    return events, counts


def control_room(staff: StaffUser, *, now: datetime | None = None) -> ControlRoom:
    """Everything the staff home shows for ``staff``: admins also get certificates to
    issue and the changes others made since their previous sign-in."""
    now = now or utcnow()
    events, counts = events_with_counts()
    recent = [e for e in events if e.ends_on >= today_local() - timedelta(days=RECENT_EVENT_DAYS)]
    room = ControlRoom(
        events=events,
        counts=counts,
        to_do=event_to_dos(recent, with_certificates=staff.is_admin, now=now),
        training_to_review=training_waiting(),
        since=staff.previous_sign_in_at,
    )
    if staff.is_admin and staff.previous_sign_in_at is not None:
        changes, total = changes_since(staff.previous_sign_in_at, staff)
        room = replace(room, changes=changes, changes_count=total)
    return room


def event_to_dos(events: list[Event], *, with_certificates: bool, now: datetime) -> list[EventToDo]:
    """Per event, soonest first: registrations to approve, payments due, certificates."""
    waiting = _state_counts(
        [e.id for e in events],
        (RegistrationState.PENDING_APPROVAL, RegistrationState.AWAITING_PAYMENT),
    )
    on_po = _confirmed_owing([e.id for e in events])
    to_do = []
    for event in sorted(events, key=lambda e: e.starts_on):
        ready = None
        if with_certificates and certificates_open_at(event) <= now:
            ready = len(bulk.plan(event))
        to_do.append(
            EventToDo(
                event=event,
                to_approve=waiting.get((event.id, RegistrationState.PENDING_APPROVAL), 0),
                awaiting_payment=waiting.get((event.id, RegistrationState.AWAITING_PAYMENT), 0),
                payment_due_on_po=on_po.get(event.id, 0),
                certificates_ready=ready,
            )
        )
    return to_do


def _state_counts(event_ids: list[int], states: tuple[RegistrationState, ...]) -> dict:
    if not event_ids:
        return {}
    rows = db.session.execute(
        select(Registration.event_id, Registration.state, func.count())
        .where(Registration.event_id.in_(event_ids), Registration.state.in_(states))
        .group_by(Registration.event_id, Registration.state)
    )
    return {(event_id, RegistrationState(state)): n for event_id, state, n in rows}


def _confirmed_owing(event_ids: list[int]) -> dict[int, int]:
    """Per event, seats confirmed on a purchase order whose fee is not paid yet."""
    if not event_ids:
        return {}
    rows = db.session.execute(
        select(Registration.event_id, func.count())
        .join(Registration.tier)
        .where(Registration.event_id.in_(event_ids), confirmed_with_payment_due())
        .group_by(Registration.event_id)
    )
    return {event_id: count for event_id, count in rows}


def training_waiting() -> int:
    """Self-training entries waiting for staff review, across all people."""
    return (
        db.session.scalar(
            select(func.count()).where(SelfTrainingEntry.status == TrainingEntryStatus.SUBMITTED)
        )
        or 0
    )


def changes_since(since: datetime, staff: StaffUser) -> tuple[list[HistoryRow], int]:
    """The latest changes others made after ``since`` (newest first, in words), and how many."""
    others = (AuditLog.at > since) & (
        (AuditLog.staff_user_id.is_(None)) | (AuditLog.staff_user_id != staff.id)
    )
    total = db.session.scalar(select(func.count()).select_from(AuditLog).where(others)) or 0
    latest = db.session.scalars(
        select(AuditLog).where(others).order_by(AuditLog.id.desc()).limit(CHANGES_SHOWN)
    )
    return described_log(list(latest)), total


def latest_changes(limit: int = AUDIT_PAGE_SIZE) -> list[HistoryRow]:
    """The latest audit entries, newest first, in words: who did what to which record."""
    rows = db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(limit))
    return described_log(list(rows))
