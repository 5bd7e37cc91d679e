"""Admins edit an event's agenda: sessions, rooms, speakers, subjects and minutes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from summit.events import agenda
from summit.events.errors import EventSetupError
from summit.extensions import db
from summit.models import (
    AgendaSession,
    AuditLog,
    Checkin,
    CheckinResult,
    SessionTopic,
    Topic,
)
from tests.conftest import PACIFIC
from tests.helpers import reload, words


@pytest.fixture
def admin(auth):
    return auth.as_role("admin")


def local(event, hour: int, minute: int = 0, day: int = 0) -> str:
    """A datetime-local value on the event's ``day``-th day."""
    return f"{event.starts_on + timedelta(days=day)}T{hour:02d}:{minute:02d}"


def subject_ids(event) -> list[int]:
    return [item.topic_id for item in event.curriculum.items]


def session_form(event, **changes) -> dict[str, str]:
    first = subject_ids(event)[0]
    data = {
        "title": "Threat assessment in practice",
        "room": "Room 101",
        "speakers": "Dana Reyes, Sam Ortiz",
        "starts_at": local(event, 15),
        "ends_at": local(event, 16, 30),
        "subjects-0-topic_id": str(first),
        "subjects-0-minutes": "60",
        "subjects-1-topic_id": "",
        "subjects-1-minutes": "",
    }
    data.update({key: str(value) for key, value in changes.items()})
    return {key: value for key, value in data.items() if value != "<unset>"}


def sessions_of(event) -> list[AgendaSession]:
    return list(
        db.session.scalars(
            select(AgendaSession)
            .where(AgendaSession.event_id == event.id)
            .order_by(AgendaSession.starts_at)
        )
    )


def test_the_agenda_lists_sessions_by_day_with_room_subjects_and_minutes(client, admin, make_event):
    event = make_event()
    first = event.sessions[0]
    page = words(client.get(f"/staff/events/{event.slug}/agenda"))
    assert event.starts_on.strftime("%A, %B %-d, %Y") in page
    assert first.title in page and "Ballroom A" in page
    assert f"{first.topics[0].topic.title} (60)" in page
    assert "8:00 AM–9:00 AM" in page


def test_an_admin_adds_a_session_in_the_events_time_zone(client, admin, make_event):
    event = make_event()
    count = len(event.sessions)
    response = client.post(f"/staff/events/{event.slug}/agenda", data=session_form(event))
    assert response.status_code == 303
    added = db.session.scalar(
        select(AgendaSession).where(AgendaSession.title == "Threat assessment in practice")
    )
    assert response.headers["Location"].endswith(f"#session-{added.id}")
    start = datetime.combine(event.starts_on, time(15), PACIFIC)
    assert added.starts_at == start.astimezone(UTC)
    assert added.minutes == 90
    assert added.speakers == "Dana Reyes, Sam Ortiz" and added.room == "Room 101"
    assert [(t.topic_id, t.minutes) for t in added.topics] == [(subject_ids(event)[0], 60)]
    assert len(sessions_of(event)) == count + 1
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "session.create"))
    assert audit.event_id == event.id and audit.after["speakers"] == "Dana Reyes, Sam Ortiz"
    page = words(client.get(response.headers["Location"]))
    assert "Session “Threat assessment in practice” added." in page
    assert "Dana Reyes, Sam Ortiz" in page


def test_an_admin_edits_a_session_and_its_subjects(client, admin, make_event):
    event = make_event()
    session = event.sessions[0]
    ids = subject_ids(event)
    page = words(client.get(f"/staff/events/{event.slug}/agenda/{session.id}"))
    assert session.title in page
    form = session_form(
        event,
        title="Opening, moved",
        starts_at=local(event, 8, 15),
        ends_at=local(event, 9, 15),
        **{"subjects-0-topic_id": ids[1], "subjects-0-minutes": 30},
        **{"subjects-1-topic_id": ids[0], "subjects-1-minutes": 20},
    )
    response = client.post(f"/staff/events/{event.slug}/agenda/{session.id}", data=form)
    assert response.status_code == 303
    session = reload(session)
    assert session.title == "Opening, moved"
    assert sorted((t.topic_id, t.minutes) for t in session.topics) == sorted(
        [(ids[1], 30), (ids[0], 20)]
    )
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "session.update"))
    assert audit.before["title"] != audit.after["title"] == "Opening, moved"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ends_at": ""}, "ends_at", "Give the time the session ends."),
        ({"ends_at": "<unset>"}, "ends_at", "Give the time the session ends."),
        ({"starts_at": ""}, "starts_at", "Give the time the session starts."),
        ({"ends_at": "T14:00"}, "ends_at", "Not a valid datetime value."),
        ({"subjects-0-minutes": "-30"}, "subjects", "Minutes cannot be negative."),
        ({"subjects-0-minutes": "0"}, "subjects", "Give at least 1 minute"),
        ({"subjects-0-minutes": "lots"}, "subjects", "Give minutes as a whole number"),
        ({"subjects-0-topic_id": "999999"}, "subjects", "Choose subjects of this event"),
        ({"subjects-0-topic_id": "abc"}, "subjects", "Choose subjects of this event"),
        ({"subjects-0-topic_id": ""}, "subjects", "Choose the subject these minutes teach."),
        ({"subjects-0-minutes": ""}, "subjects", "Give the minutes of each subject chosen."),
        ({"title": ""}, "title", "Give the session a title."),
        ({"starts_at": "20288-01-01T10:00"}, "starts_at", "Not a valid datetime"),
    ],
)
def test_bad_input_shows_the_form_again_with_the_message_by_the_field(
    client, admin, make_event, changes, field, message
):
    event = make_event()
    before = len(event.sessions)
    form = session_form(event, **changes)
    response = client.post(f"/staff/events/{event.slug}/agenda", data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = page.split(f'id="{field}-error"', 1)[1].split("</div>", 1)[0]
    assert message in error
    assert len(sessions_of(event)) == before
    assert db.session.scalar(select(AuditLog).where(AuditLog.action.like("session.%"))) is None


def test_an_end_before_the_start_is_refused(client, admin, make_event):
    event = make_event()
    session = event.sessions[0]
    before = (session.starts_at, session.ends_at)
    form = session_form(event, starts_at=local(event, 10), ends_at=local(event, 9, 30))
    response = client.post(f"/staff/events/{event.slug}/agenda/{session.id}", data=form)
    assert response.status_code == 400
    assert "The session must end after it starts." in words(response)
    # what was typed is shown again, nothing is lost
    assert local(event, 9, 30) in response.get_data(as_text=True)
    session = reload(session)
    assert (session.starts_at, session.ends_at) == before


def test_a_subject_listed_twice_is_refused(client, admin, make_event):
    event = make_event()
    first = subject_ids(event)[0]
    form = session_form(event, **{"subjects-1-topic_id": first, "subjects-1-minutes": "10"})
    response = client.post(f"/staff/events/{event.slug}/agenda", data=form)
    assert response.status_code == 400
    assert "List each subject once per session." in words(response)


def test_a_subject_of_another_curriculum_is_refused_by_the_service(make_event, curricula):
    event = make_event()
    topic = Topic(code="not-on-the-list", title="Not on this event's list")
    db.session.add(topic)
    db.session.commit()
    foreign = topic.id
    details = agenda.SessionDetails(
        "Off topic",
        "",
        "",
        event.sessions[0].starts_at,
        event.sessions[0].ends_at,
        ((foreign, 30),),
    )
    with pytest.raises(EventSetupError, match="Choose subjects of this event"):
        agenda.create_session(event.id, details, actor="test")
    assert db.session.scalar(select(func.count()).select_from(SessionTopic)) == len(event.sessions)


def test_warnings_are_shown_but_the_session_is_saved(client, admin, make_event):
    event = make_event()
    first = event.sessions[0]  # 8:00-9:00 in Ballroom A, 60 minutes of one subject
    form = session_form(
        event,
        title="Crowded",
        room=" ballroom a ",
        starts_at=local(event, 8, 30),
        ends_at=local(event, 9),
        **{"subjects-0-minutes": "45"},
    )
    response = client.post(f"/staff/events/{event.slug}/agenda", data=form, follow_redirects=True)
    assert response.status_code == 200
    page = words(response)
    assert "Session “Crowded” added." in page
    assert f"“{first.title}” and “Crowded” overlap in Ballroom A" in page
    assert "“Crowded” teaches 45 minutes of subjects in 30 minutes." in page
    assert db.session.scalar(select(AgendaSession).where(AgendaSession.title == "Crowded"))


def test_a_session_outside_the_dates_is_saved_with_a_warning(client, admin, make_event):
    event = make_event()
    form = session_form(event, title="Day after", starts_at=local(event, 9, day=5))
    form["ends_at"] = local(event, 10, day=5)
    response = client.post(f"/staff/events/{event.slug}/agenda", data=form, follow_redirects=True)
    assert response.status_code == 200
    assert "“Day after” is on" in words(response) and "outside the event's dates" in words(response)


def test_the_agenda_names_a_subject_no_session_teaches(client, admin, make_event):
    event = make_event()
    untaught = event.sessions[-1]
    title = event.curriculum.items[-1].title
    page = words(client.get(f"/staff/events/{event.slug}/agenda"))
    assert f"No session teaches “{title}”" not in page
    response = client.post(f"/staff/events/{event.slug}/agenda/{untaught.id}/delete")
    assert response.status_code == 303
    page = words(client.get(f"/staff/events/{event.slug}/agenda"))
    assert f"No session teaches “{title}” of the curriculum." in page
    assert "Worth a second look (1)" in page


def test_a_session_without_scans_is_deleted_and_logged(client, admin, make_event):
    event = make_event()
    session = event.sessions[0]
    page = words(client.get(f"/staff/events/{event.slug}/agenda"))
    assert f"Delete {session.title}" in page
    response = client.post(f"/staff/events/{event.slug}/agenda/{session.id}/delete")
    assert response.status_code == 303
    assert db.session.get(AgendaSession, session.id) is None
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "session.delete"))


def test_a_session_with_scans_is_kept_with_the_reason(client, admin, make_event):
    event = make_event()
    session = event.sessions[0]
    db.session.add(
        Checkin(
            event_id=event.id,
            session_id=session.id,
            status=CheckinResult.UNKNOWN_CODE,
            source="desk",
        )
    )
    db.session.commit()
    page = words(client.get(f"/staff/events/{event.slug}/agenda"))
    assert f"Delete {session.title}" not in page and "1 scan: kept" in page
    response = client.post(f"/staff/events/{event.slug}/agenda/{session.id}/delete")
    assert response.status_code == 409
    assert f"“{session.title}” has 1 scan: attendance" in words(response)
    assert db.session.get(AgendaSession, session.id) is not None
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "session.delete")) is None


def test_a_session_of_another_event_is_not_found(client, admin, make_event):
    event, other = make_event(), make_event()
    url = f"/staff/events/{event.slug}/agenda/{other.sessions[0].id}"
    assert client.get(url).status_code == 404
    assert client.post(url + "/delete").status_code == 404


def _statements(client, url: str) -> int:
    count = 0

    def counter(_conn, _cursor, statement: str, *_args):
        nonlocal count
        assert not statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            count += 1  # transaction control depends on the pool, not on the page

    db.session.expire_all()  # as a new request finds it: nothing loaded yet
    engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", counter)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa_event.remove(engine, "before_cursor_execute", counter)
    return count


def test_the_agenda_page_reads_a_constant_number_of_statements(client, admin, make_event):
    event = make_event(with_agenda=False)
    url = f"/staff/events/{event.slug}/agenda"
    ids = subject_ids(event)
    start = datetime.combine(event.starts_on, time(8), PACIFIC).astimezone(UTC)

    def add(n: int) -> None:
        for i in range(n):
            session = AgendaSession(
                event_id=event.id,
                title=f"Breakout {i}",
                room=f"Room {i % 4}",
                starts_at=start + timedelta(minutes=30 * i),
                ends_at=start + timedelta(minutes=30 * i + 25),
            )
            session.topics = [SessionTopic(topic_id=ids[i % len(ids)], minutes=20)]
            db.session.add(session)
        db.session.commit()

    add(10)
    few = _statements(client, url)
    add(50)
    assert len(sessions_of(event)) == 60
    assert _statements(client, url) == few


def test_the_events_list_and_every_set_up_page_link_to_the_agenda(client, admin, make_event):
    event = make_event()
    link = f'href="/staff/events/{event.slug}/agenda"'
    assert link in client.get("/staff/events/").get_data(as_text=True)
    assert link in client.get(f"/staff/events/{event.slug}/tiers").get_data(as_text=True)
