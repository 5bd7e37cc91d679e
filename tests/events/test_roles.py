"""Only admins set up events: check-in staff get 403, anonymous visitors the sign-in page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from summit.extensions import db
from summit.models import AgendaSession, AuditLog, EmailText, Event, Room, Tier
from tests.helpers import reload

ROUTES = [
    ("get", "/staff/events/"),
    ("get", "/staff/events/new"),
    ("post", "/staff/events/new"),
    ("get", "/staff/events/{slug}/edit"),
    ("post", "/staff/events/{slug}/edit"),
    ("post", "/staff/events/{slug}/publish"),
    ("post", "/staff/events/{slug}/unpublish"),
    ("post", "/staff/events/{slug}/archive"),
    ("post", "/staff/events/{slug}/restore"),
    ("get", "/staff/events/{slug}/tiers"),
    ("post", "/staff/events/{slug}/tiers"),
    ("get", "/staff/events/{slug}/tiers/{tier}"),
    ("post", "/staff/events/{slug}/tiers/{tier}"),
    ("post", "/staff/events/{slug}/tiers/{tier}/move"),
    ("post", "/staff/events/{slug}/tiers/{tier}/delete"),
    ("get", "/staff/events/{slug}/clone"),
    ("post", "/staff/events/{slug}/clone"),
    ("get", "/staff/events/{slug}/agenda"),
    ("post", "/staff/events/{slug}/agenda"),
    ("get", "/staff/events/{slug}/agenda/{session}"),
    ("post", "/staff/events/{slug}/agenda/{session}"),
    ("post", "/staff/events/{slug}/agenda/{session}/delete"),
    ("post", "/staff/events/{slug}/agenda/rooms"),
    ("post", "/staff/events/{slug}/agenda/rooms/{room}"),
    ("post", "/staff/events/{slug}/agenda/rooms/{room}/delete"),
    ("get", "/staff/events/{slug}/emails"),
    ("get", "/staff/events/{slug}/emails/confirmed"),
    ("post", "/staff/events/{slug}/emails/confirmed"),
    ("get", "/staff/events/{slug}/emails/reminder/reset"),
    ("post", "/staff/events/{slug}/emails/reminder/reset"),
]
FORM = {
    "name": "Changed",
    "slug": "changed",
    "price": "0",
    "direction": "up",
    "starts_on": "2030-01-01",
    "ends_on": "2030-01-02",
    "timezone": "America/Los_Angeles",
    "required_minutes": "60",
    "title": "Changed",
    "starts_at": "2030-01-01T09:00",
    "ends_at": "2030-01-01T10:00",
    "capacity": "5",
    "subject": "Changed {{ event_name }}",
    "body": "Changed.",
    "action": "save",
}


def _call(client, method: str, url: str, event: Event):
    url = url.format(
        slug=event.slug, tier=event.tiers[1].id, session=event.sessions[0].id, room=_room(event)
    )
    return client.get(url) if method == "get" else client.post(url, data=FORM)


def _unchanged(event: Event, before: tuple, before_agenda: list[tuple]) -> None:
    event = reload(event)
    assert (event.slug, event.name, event.is_published, event.archived_at) == before
    assert [tier.slug for tier in db.session.scalars(select(Tier).order_by(Tier.position))] == [
        "sro",
        "security",
    ]
    assert db.session.scalar(select(AuditLog).where(AuditLog.object_type != "staffuser")) is None
    assert len(db.session.scalars(select(Event)).all()) == 1
    assert _agenda() == before_agenda
    texts = db.session.scalars(select(EmailText)).all()
    assert [(t.kind, t.subject) for t in texts] == [("reminder", "Kept {{ event_name }}")]


def _room(event: Event) -> int:
    """The event's one room (added on first use), for the room routes; and its own
    reminder text, for the reset route."""
    if not event.rooms:
        event.rooms.append(Room(name="Ballroom A", capacity=250))
        event.email_texts.append(
            EmailText(kind="reminder", subject="Kept {{ event_name }}", body="Kept.")
        )
        db.session.commit()
    return event.rooms[0].id


def _agenda() -> list[tuple]:
    sessions = db.session.scalars(select(AgendaSession).order_by(AgendaSession.id))
    rooms = db.session.scalars(select(Room).order_by(Room.id))
    return [(s.title, s.room, s.starts_at, s.ends_at) for s in sessions] + [
        (room.name, room.capacity) for room in rooms
    ]


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_anonymous_visitors_are_sent_to_sign_in(client, make_event, method, url):
    event = make_event()
    before = (event.slug, event.name, event.is_published, event.archived_at)
    _room(event)
    before_agenda = _agenda()
    response = _call(client, method, url, event)
    assert response.status_code == 302
    assert "/staff/sign-in" in response.headers["Location"]
    _unchanged(event, before, before_agenda)


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_checkin_staff_are_refused(client, auth, make_event, method, url):
    event = make_event()
    auth.as_role("checkin")
    before = (event.slug, event.name, event.is_published, event.archived_at)
    _room(event)
    before_agenda = _agenda()
    response = _call(client, method, url, event)
    assert response.status_code == 403
    _unchanged(event, before, before_agenda)
