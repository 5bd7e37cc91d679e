"""An event's agenda: add, change and delete sessions, and what deserves a second look.

Refusals (nothing saved): a session with no end or one that ends before it starts,
negative minutes, a subject outside the event's curriculum. Warnings (saved, then
shown): two sessions at once in one room, a subject of the curriculum that no
session teaches, more subject minutes than the session lasts, a session outside
the event's dates. An admin may mean any of those (a room shared on purpose, a
subject taught by self-training), so they never block a save.

Each change runs in one ``write_transaction`` with the event row locked (as every
event set-up change does) and is audited: ``session.create``, ``session.update``,
``session.delete``. A session with scans is never deleted: its check-ins and the
credit people earned in it point to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from summit import audit
from summit.events.errors import Conflict, EventSetupError
from summit.events.rooms import room_key
from summit.events.services import FIRST_YEAR, LAST_YEAR, YEAR_RULE, Actor
from summit.extensions import db
from summit.models import AgendaSession, Checkin, Event, SessionTopic
from summit.transactions import lock_row, write_transaction


@dataclass(frozen=True)
class SessionDetails:
    """Everything the session form sets; times aware (UTC); ``subjects`` as
    (topic id, minutes) pairs."""

    title: str
    room: str
    speakers: str
    starts_at: datetime | None
    ends_at: datetime | None
    subjects: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Warning:
    """Something an admin should look at; ``session_ids`` are the sessions it concerns."""

    message: str
    session_ids: tuple[int, ...] = ()


def create_session(event_id: int, details: SessionDetails, *, actor: Actor) -> AgendaSession:
    """A new session on the event's agenda."""
    _check(details)
    with write_transaction():
        event = lock_row(Event, event_id)
        _refuse_unknown_subjects(event, details)
        session = AgendaSession(event=event)
        _apply(session, details)
        db.session.add(session)
        db.session.flush()
        audit.record("session.create", session, after=snapshot(session), actor=actor)
    return session


def update_session(session_id: int, details: SessionDetails, *, actor: Actor) -> AgendaSession:
    """Change a session: its fields and the subjects it teaches, replaced as a whole."""
    _check(details)
    with write_transaction():
        session = db.session.get(AgendaSession, session_id)
        if session is None:
            raise Conflict("This session was deleted meanwhile.")
        event = lock_row(Event, session.event_id)
        _refuse_unknown_subjects(event, details)
        before = snapshot(session)
        _apply(session, details)
        db.session.flush()
        after = snapshot(session)
        if after != before:
            audit.record("session.update", session, before=before, after=after, actor=actor)
    return session


def delete_session(session_id: int, *, actor: Actor) -> str:
    """Delete a session nobody was scanned into; returns its title for the message."""
    with write_transaction():
        session = db.session.get(AgendaSession, session_id)
        if session is None:
            raise Conflict("This session was deleted meanwhile.")
        lock_row(Event, session.event_id)
        scans = scan_counts([session.id]).get(session.id, 0)
        if scans:
            raise Conflict(
                f"“{session.title}” has {scans} scan{'s' if scans != 1 else ''}: attendance "
                "and the credit people earned point to it, so it stays on the agenda. "
                "Change its title or times instead."
            )
        title = session.title
        audit.record("session.delete", session, before=snapshot(session), actor=actor)
        db.session.delete(session)
    return title


def scan_counts(session_ids: list[int]) -> dict[int, int]:
    """Per session: how many check-in rows (any result) name it, in one query."""
    if not session_ids:
        return {}
    rows = db.session.execute(
        select(Checkin.session_id, func.count())
        .where(Checkin.session_id.in_(session_ids))
        .group_by(Checkin.session_id)
    ).all()
    return {session_id: count for session_id, count in rows}


def snapshot(session: AgendaSession) -> dict[str, Any]:
    """The editable values as JSON, for the audit log's before and after."""
    return {
        "title": session.title,
        "room": session.room,
        "speakers": session.speakers,
        "starts_at": session.starts_at.isoformat(),
        "ends_at": session.ends_at.isoformat(),
        "subjects": {str(t.topic_id): t.minutes for t in session.topics},
    }


def _apply(session: AgendaSession, details: SessionDetails) -> None:
    session.title = details.title
    session.room = details.room
    session.speakers = details.speakers
    session.starts_at = details.starts_at  # type: ignore[assignment]
    session.ends_at = details.ends_at  # type: ignore[assignment]
    wanted = dict(details.subjects)
    kept = [t for t in session.topics if t.topic_id in wanted]
    for taught in kept:
        taught.minutes = wanted.pop(taught.topic_id)
    added = [SessionTopic(topic_id=topic_id, minutes=m) for topic_id, m in wanted.items()]
    session.topics = kept + added


def _check(details: SessionDetails) -> None:
    """Rules that need nothing stored: an end after the start, sensible minutes."""
    if not details.title.strip():
        raise EventSetupError("Give the session a title.", field="title")
    if details.starts_at is None:
        raise EventSetupError("Give the time the session starts.", field="starts_at")
    if details.ends_at is None:
        raise EventSetupError("Give the time the session ends.", field="ends_at")
    for name in ("starts_at", "ends_at"):
        if not FIRST_YEAR <= getattr(details, name).year <= LAST_YEAR:
            raise EventSetupError(YEAR_RULE, field=name)
    if details.ends_at <= details.starts_at:
        raise EventSetupError("The session must end after it starts.", field="ends_at")
    seen: set[int] = set()
    for topic_id, minutes in details.subjects:
        if minutes < 0:
            raise EventSetupError("Minutes cannot be negative.", field="subjects")
        if minutes == 0:
            raise EventSetupError(
                "Give at least 1 minute for each subject taught, or leave it out.",
                field="subjects",
            )
        if topic_id in seen:
            raise EventSetupError("List each subject once per session.", field="subjects")
        seen.add(topic_id)


def _refuse_unknown_subjects(event: Event, details: SessionDetails) -> None:
    known = {item.topic_id for item in event.curriculum.items}
    if any(topic_id not in known for topic_id, _ in details.subjects):
        raise EventSetupError(
            f"Choose subjects of this event's curriculum ({event.curriculum.name}).",
            field="subjects",
        )


def agenda_warnings(event: Event, sessions: list[AgendaSession]) -> list[Warning]:
    """What the agenda page and a save point out; computed from loaded rows, no query."""
    return [
        *_overlaps(event, sessions),
        *_untaught(event, sessions),
        *_overfull(sessions),
        *_outside_dates(event, sessions),
        *_unlisted_rooms(event, sessions),
    ]


def warnings_about(event: Event, sessions: list[AgendaSession], session_id: int) -> list[str]:
    """The warnings that concern one session (after saving it), plus untaught subjects."""
    return [
        warning.message
        for warning in agenda_warnings(event, sessions)
        if session_id in warning.session_ids or not warning.session_ids
    ]


def _overlaps(event: Event, sessions: list[AgendaSession]) -> list[Warning]:
    """Two sessions at once in one room (sessions without a room are not compared)."""
    found = []
    by_room: dict[str, list[AgendaSession]] = {}
    for session in sessions:
        if room_key(session.room):
            by_room.setdefault(room_key(session.room), []).append(session)
    for in_room in by_room.values():
        in_room.sort(key=lambda s: (s.starts_at, s.id))
        for index, first in enumerate(in_room):
            for second in in_room[index + 1 :]:
                if second.starts_at >= first.ends_at:
                    break
                when = second.starts_at.astimezone(event.tz).strftime("%a %-I:%M %p")
                found.append(
                    Warning(
                        f"“{first.title}” and “{second.title}” overlap in {first.room} ({when}).",
                        (first.id, second.id),
                    )
                )
    return found


def _untaught(event: Event, sessions: list[AgendaSession]) -> list[Warning]:
    taught = {t.topic_id for session in sessions for t in session.topics}
    return [
        Warning(f"No session teaches “{item.title}” of the curriculum.")
        for item in event.curriculum.items
        if item.topic_id not in taught
    ]


def _overfull(sessions: list[AgendaSession]) -> list[Warning]:
    found = []
    for session in sessions:
        taught = sum(t.minutes for t in session.topics)
        if taught > session.minutes:
            found.append(
                Warning(
                    f"“{session.title}” teaches {taught} minutes of subjects in "
                    f"{session.minutes} minutes.",
                    (session.id,),
                )
            )
    return found


def _outside_dates(event: Event, sessions: list[AgendaSession]) -> list[Warning]:
    found = []
    for session in sessions:
        first = session.starts_at.astimezone(event.tz).date()
        last = session.ends_at.astimezone(event.tz).date()
        if first < event.starts_on or last > event.ends_on:
            found.append(
                Warning(
                    f"“{session.title}” is on {first:%B %-d, %Y}, outside the event's "
                    f"dates ({event.starts_on:%B %-d} to {event.ends_on:%B %-d, %Y}).",
                    (session.id,),
                )
            )
    return found


def _unlisted_rooms(event: Event, sessions: list[AgendaSession]) -> list[Warning]:
    """A session in a room not on the event's list (often a typo); none while the list is empty."""
    listed = {room_key(room.name) for room in event.rooms}
    if not listed:
        return []
    return [
        Warning(
            f"“{session.title}” is in “{session.room}”, which is not one of the rooms.",
            (session.id,),
        )
        for session in sessions
        if room_key(session.room) and room_key(session.room) not in listed
    ]
