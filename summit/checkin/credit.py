"""Topic credit: minutes per topic earned from the sessions a registration attended.

One rule (:func:`compute_credit`) serves the attendee's portal, the staff matrix
and the certificates, so they can never disagree. Only successful, not annulled
session check-ins count; a scan that answered "already in" earns nothing twice.

How a session earns minutes depends on ``Event.credit_mode``:

``full_session``
    checked in → every minute the session teaches on each of its topics.
``actual_minutes``
    the time between check-in and check-out, clipped to the session's scheduled
    window, as a share of the session's length; each topic earns that share of
    its minutes (rounded down). No check-out counts as staying to the end. A
    check-in recorded after the session ended (a paper list typed in later)
    has nothing to measure, so the whole session counts.

A scan made more than ``Event.checkin_grace_minutes`` before its session starts
earns nothing (a wrong session picked at the door); a staff entry from the
paper roster (source ``roster``) always counts and is marked as such, since it
is typed in after the fact. Each topic remembers the sessions that earned it,
with their own dates, so a certificate or a record dates a subject by the
session that completed it, not by the event's last day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from summit.extensions import db
from summit.models import AgendaSession, Checkin, CheckinResult, Event, Registration, SessionTopic


@dataclass(frozen=True)
class Attendance:
    """A registration's presence in one session: first check-in and first check-out."""

    checked_in_at: datetime
    checked_out_at: datetime | None = None
    from_roster: bool = False


@dataclass(frozen=True)
class SessionCredit:
    """Minutes one attended session earned on one topic, dated by the session's day."""

    session_id: int
    title: str
    day: date
    starts_at: datetime
    minutes: int
    from_roster: bool = False


@dataclass(frozen=True)
class TopicCredit:
    topic_id: int
    code: str
    title: str
    position: int
    minutes: int
    required: int
    sessions: tuple[SessionCredit, ...] = ()

    @property
    def complete(self) -> bool:
        return self.minutes >= self.required

    @property
    def completed_on(self) -> date | None:
        """The day of the session that brought the topic to its required minutes."""
        if not self.complete:
            return None
        total = 0
        for session in self.sessions:
            total += session.minutes
            if total >= self.required:
                return session.day
        return None

    @property
    def missing(self) -> int:
        return max(self.required - self.minutes, 0)


@dataclass(frozen=True)
class Credit:
    """Minutes per topic of the event's curriculum, in curriculum order."""

    topics: tuple[TopicCredit, ...]
    sessions_attended: int

    @property
    def total_minutes(self) -> int:
        return sum(topic.minutes for topic in self.topics)

    @property
    def required_minutes(self) -> int:
        return sum(topic.required for topic in self.topics)

    @property
    def complete_topics(self) -> int:
        return sum(1 for topic in self.topics if topic.complete)

    @property
    def is_complete(self) -> bool:
        return all(topic.complete for topic in self.topics)

    def for_topic(self, topic_id: int) -> TopicCredit | None:
        return next((topic for topic in self.topics if topic.topic_id == topic_id), None)


def compute_credit(
    event: Event,
    sessions: Mapping[int, AgendaSession],
    attendance: Mapping[int, Attendance],
) -> Credit:
    """The one rule: minutes per curriculum topic from ``attendance`` by session id."""
    earned: dict[int, list[SessionCredit]] = defaultdict(list)
    attended = [
        (sessions[session_id], presence)
        for session_id, presence in attendance.items()
        if session_id in sessions and _counts(event, sessions[session_id], presence)
    ]
    for session, presence in sorted(attended, key=lambda pair: (pair[0].starts_at, pair[0].id)):
        share = _share(event.credit_mode, session, presence)
        day = session.starts_at.astimezone(event.tz).date()
        for taught in session.topics:
            minutes = (taught.minutes * share[0]) // share[1]
            earned[taught.topic_id].append(
                SessionCredit(
                    session.id, session.title, day, session.starts_at, minutes, presence.from_roster
                )
            )
    topics = tuple(
        TopicCredit(
            topic_id=item.topic_id,
            code=item.topic.code,
            title=item.title,
            position=item.position,
            minutes=sum(s.minutes for s in earned.get(item.topic_id, ())),
            required=event.required_minutes(item.topic),
            sessions=tuple(earned.get(item.topic_id, ())),
        )
        for item in event.curriculum.items
    )
    return Credit(topics=topics, sessions_attended=len(attended))


def _counts(event: Event, session: AgendaSession, presence: Attendance) -> bool:
    """A paper-roster entry always counts; a scan long before the session does not."""
    if presence.from_roster:
        return True
    grace = timedelta(minutes=event.checkin_grace_minutes)
    return presence.checked_in_at >= session.starts_at - grace


def _share(mode: str, session: AgendaSession, presence: Attendance) -> tuple[int, int]:
    """The fraction of the session credited, as (numerator, denominator) seconds."""
    length = int((session.ends_at - session.starts_at).total_seconds())
    if mode != "actual_minutes" or length <= 0:
        return (1, 1)
    start = max(presence.checked_in_at, session.starts_at)
    if presence.checked_out_at is None:
        if presence.checked_in_at >= session.ends_at:
            return (1, 1)
        end = session.ends_at
    else:
        end = min(presence.checked_out_at, session.ends_at)
    attended = int((end - start).total_seconds())
    return (min(max(attended, 0), length), length)


def _attendance_rows(event_id: int, registration_id: int | None = None):
    statement = select(
        Checkin.registration_id,
        Checkin.session_id,
        Checkin.direction,
        Checkin.scanned_at,
        Checkin.source,
    ).where(
        Checkin.event_id == event_id,
        Checkin.status == CheckinResult.OK,
        Checkin.annulled_at.is_(None),
        Checkin.session_id.is_not(None),
        Checkin.registration_id.is_not(None),
    )
    if registration_id is not None:
        statement = statement.where(Checkin.registration_id == registration_id)
    return db.session.execute(statement.order_by(Checkin.scanned_at, Checkin.id)).all()


def _group(rows: Iterable) -> dict[int, dict[int, Attendance]]:
    """First check-in and first check-out per registration and session."""
    firsts: dict[tuple[int, int], dict[str, tuple[datetime, str]]] = defaultdict(dict)
    for registration_id, session_id, direction, scanned_at, source in rows:
        firsts[(registration_id, session_id)].setdefault(direction, (scanned_at, source))
    grouped: dict[int, dict[int, Attendance]] = defaultdict(dict)
    for (registration_id, session_id), times in firsts.items():
        if "in" in times:
            checked_in_at, source = times["in"]
            checked_out_at = times["out"][0] if "out" in times else None
            grouped[registration_id][session_id] = Attendance(
                checked_in_at, checked_out_at, from_roster=source == "roster"
            )
    return grouped


def _sessions(event_id: int) -> dict[int, AgendaSession]:
    sessions = db.session.scalars(
        select(AgendaSession)
        .where(AgendaSession.event_id == event_id)
        .options(selectinload(AgendaSession.topics).selectinload(SessionTopic.topic))
    ).all()
    return {session.id: session for session in sessions}


def credit_minutes(registration: Registration) -> Credit:
    """Minutes per topic that ``registration`` earned, and whether each topic is complete."""
    event = registration.event
    attendance = _group(_attendance_rows(event.id, registration.id)).get(registration.id, {})
    return compute_credit(event, _sessions(event.id), attendance)


def event_credit(event: Event, registrations: Iterable[Registration]) -> dict[int, Credit]:
    """Credit of many registrations of one event in three queries (the staff matrix)."""
    sessions = _sessions(event.id)
    grouped = _group(_attendance_rows(event.id))
    return {
        registration.id: compute_credit(event, sessions, grouped.get(registration.id, {}))
        for registration in registrations
        if registration.event_id == event.id
    }
