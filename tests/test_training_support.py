"""Shared helpers for the training tests (imported by the other test_training_* modules)."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, time, timedelta

from summit.auth.links import portal_token
from summit.checkin.services import check_in
from summit.clock import local_zone
from summit.extensions import db
from summit.models import Person, SelfTrainingEntry, StaffUser, utcnow
from summit.training.services import EntryData, add_entry, review_entry

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 64
EXE_BYTES = b"MZ\x90\x00" + b"\x00" * 64


def attend(registration, topic_ids=None, staff=None):
    """Check ``registration`` into the sessions teaching ``topic_ids`` (all when None)."""
    for session in registration.event.sessions:
        if topic_ids is None or any(t.topic_id in topic_ids for t in session.topics):
            result = check_in(
                registration.event_id,
                registration.ticket_code,
                staff=staff,
                source="scanner",
                session_id=session.id,
            )
            assert result.ok, result.reason


def log(
    person: Person,
    topic_id: int | None,
    minutes: int = 60,
    *,
    kind: str = "topic",
    completed_on: date | None = None,
    title: str = "OSPI module",
    url: str = "https://ospi.k12.wa.us/module",
    experienced_staff: str = "",
    school: str = "",
) -> SelfTrainingEntry:
    data = EntryData(
        kind=kind,
        topic_id=topic_id,
        completed_on=completed_on or date(2024, 3, 1),
        title=title,
        url=url,
        minutes=minutes,
        experienced_staff=experienced_staff,
        school=school,
    )
    return add_entry(person, data)


def accepted(
    person: Person, topic_id: int | None, staff: StaffUser, minutes: int = 60, **kwargs
) -> SelfTrainingEntry:
    entry = log(person, topic_id, minutes, **kwargs)
    return review_entry(entry, staff=staff, accept=True)


def on_the_job(
    person: Person,
    staff: StaffUser,
    day: date,
    *,
    trainer: str = "Officer Lena Ortiz",
    school: str = "Eisenhower High School",
) -> SelfTrainingEntry:
    """An accepted day of on-the-job training with an experienced staff member, at their school."""
    return accepted(person, None, staff, 480, kind="on_the_job", completed_on=day,
                    title="Day on campus", url="", experienced_staff=trainer,
                    school=school)  # fmt: skip


def check_in_training(
    person: Person, staff: StaffUser, day: date, *, trainer: str = "Sgt. Maria Chen"
) -> SelfTrainingEntry:
    """An accepted check-in training with an experienced staff member."""
    return accepted(person, None, staff, 30, kind="check_in_training", completed_on=day,
                    title="Check-in", url="", experienced_staff=trainer)  # fmt: skip


def hold_on(session, day: date, hour: int = 9, minutes: int = 60) -> None:
    """Move an agenda session to ``day`` at ``hour`` (event-local time)."""
    start = datetime.combine(day, time(hour), tzinfo=local_zone())
    session.starts_at = start
    session.ends_at = start + timedelta(minutes=minutes)


def hold_event_on(event, first_day: date) -> None:
    """Hold the event's sessions on its own two days (not yesterday): the first half of
    the agenda on ``first_day``, the rest on the next day."""
    half = (len(event.sessions) + 1) // 2
    for index, session in enumerate(event.sessions):
        hold_on(session, first_day + timedelta(days=index // half), hour=8 + index % half)
    db.session.commit()


def enter_portal(client, person: Person):
    response = client.get(f"/my/enter/{portal_token(person)}")
    assert response.status_code == 302
    return response


def text(response) -> str:
    return response.get_data(as_text=True)


def words(response) -> str:
    """The page's text as a reader sees it: tags dropped, white space squashed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text(response))).split())


def now():
    return utcnow()


def reload(obj):
    db.session.refresh(obj)
    return obj
