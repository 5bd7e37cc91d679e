"""Every answer a scan can give, through the one service that records scans."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from summit.checkin.errors import (
    InvalidScan,
    NonceConflict,
    NotAnnullable,
    UnknownCheckin,
    UnknownSession,
)
from summit.checkin.services import (
    annul_checkin,
    check_in,
    close_session,
    live_counts,
    normalise_code,
    reopen_session,
    search_registrations,
    walk_in,
)
from summit.extensions import db
from summit.models import AuditLog, Checkin, Registration, utcnow
from tests.helpers import scan


def rows(**where):
    statement = select(Checkin).order_by(Checkin.id)
    for name, value in where.items():
        statement = statement.where(getattr(Checkin, name) == value)
    return list(db.session.scalars(statement))


def test_a_confirmed_ticket_checks_in_once_then_answers_already(make_registration, desk):
    registration = make_registration()
    event_id = registration.event_id

    first = check_in(event_id, registration.ticket_code, staff=desk, source="desk")
    again = check_in(event_id, registration.ticket_code, staff=desk, source="scanner")

    assert first.status == "ok" and first.registration.id == registration.id
    assert first.checkin.staff_user_id == desk.id and first.checkin.source == "desk"
    assert again.status == "already_checked_in"
    assert again.first.id == first.checkin.id
    assert again.checked_in_at == first.checkin.scanned_at
    statuses = [row.status for row in rows(registration_id=registration.id)]
    assert statuses == ["ok", "already_checked_in"]


@pytest.mark.parametrize(
    ("state", "status", "reason"),
    [
        ("cancelled", "cancelled", "registration cancelled"),
        ("awaiting_payment", "not_confirmed", "awaiting payment"),
        ("pending_approval", "not_confirmed", "waiting for staff approval"),
        ("waitlisted", "not_confirmed", "on the waitlist"),
        ("offered", "not_confirmed", "waitlist offer not accepted yet"),
    ],
)
def test_a_registration_that_is_not_confirmed_is_refused_with_the_reason(
    make_registration, desk, state, status, reason
):
    registration = make_registration(state=state)
    result = check_in(registration.event_id, registration.ticket_code, staff=desk, source="desk")
    assert (result.status, result.reason) == (status, reason)
    assert result.registration.id == registration.id
    stored = rows(registration_id=registration.id)
    assert [row.status for row in stored] == [status]


@pytest.mark.parametrize(
    "code",
    ["", "   ", "NOSUCHCODE", "<script>alert(1)</script>", "1; DROP TABLE checkin", "Z" * 5000],
)
def test_unknown_malformed_and_oversized_codes_are_refused_and_kept(make_event, desk, code):
    event = make_event()
    result = check_in(event.id, code, staff=desk, source="scanner")
    assert result.status == "unknown_code" and result.registration is None
    stored = rows(event_id=event.id)
    assert len(stored) == 1 and stored[0].status == "unknown_code"
    assert len(stored[0].scanned_code) <= 80


def test_an_internal_id_is_never_taken_for_a_ticket(make_registration, desk):
    registration = make_registration()
    result = check_in(registration.event_id, str(registration.id), staff=desk, source="desk")
    assert result.status == "unknown_code"


def test_scanned_codes_are_normalised(make_registration, desk):
    registration = make_registration()
    code = registration.ticket_code
    typed = " " + "-".join(code[i : i + 4] for i in range(0, len(code), 4)).lower() + "\n"
    assert normalise_code(typed) == code
    assert check_in(registration.event_id, typed, staff=desk, source="desk").status == "ok"


def test_a_ticket_of_another_event_says_wrong_event_and_nothing_about_its_holder(
    make_event, make_registration, desk
):
    other = make_registration()
    event = make_event()
    result = check_in(event.id, other.ticket_code, staff=desk, source="desk")
    assert result.status == "wrong_event" and result.registration is None
    stored = rows(event_id=event.id)
    assert stored[0].registration_id is None
    assert rows(event_id=other.event_id) == []


def test_a_session_scan_records_entry_once_and_counts_once(make_registration, desk):
    registration = make_registration()
    event = registration.event
    first_session, second_session = event.sessions[0], event.sessions[1]
    code = registration.ticket_code

    assert (
        check_in(event.id, code, staff=desk, source="scanner", session_id=first_session.id).status
        == "ok"
    )
    again = check_in(event.id, code, staff=desk, source="scanner", session_id=first_session.id)
    other = check_in(event.id, code, staff=desk, source="scanner", session_id=second_session.id)
    door = check_in(event.id, code, staff=desk, source="desk")

    assert again.status == "already_checked_in"
    assert other.status == "ok"
    assert door.status == "already_checked_in"  # the session scan recorded entry
    entry = [
        row for row in rows(registration_id=registration.id, status="ok") if row.session_id is None
    ]
    assert len(entry) == 1


def test_a_session_of_another_event_is_refused(make_event, make_registration, desk):
    registration = make_registration()
    foreign = make_event().sessions[0]
    with pytest.raises(UnknownSession):
        scan(registration, foreign, desk)
    assert rows() == []


@pytest.mark.parametrize("change", [close_session, reopen_session])
def test_a_session_of_another_event_cannot_be_closed_or_reopened(make_event, desk, change):
    mine, other = make_event(), make_event()
    foreign = other.sessions[0]
    for session_id in (foreign.id, 999_999):
        with pytest.raises(UnknownSession):
            change(mine.id, session_id, staff=desk)
    db.session.refresh(foreign)
    assert foreign.closed_at is None
    assert not db.session.scalars(select(AuditLog).where(AuditLog.action.like("session.%"))).all()


def test_a_closed_session_refuses_live_scans_but_keeps_earlier_offline_ones(
    make_registration, desk, make_person
):
    registration = make_registration()
    late = make_registration(event=registration.event, person=make_person())
    event = registration.event
    session = event.sessions[0]
    close_session(event.id, session.id, staff=desk)

    closed = scan(registration, session, desk)
    assert closed.status == "session_closed"

    before_close = session.closed_at - timedelta(minutes=5)
    replay = scan(late, session, desk, source="camera", scanned_at=before_close)
    assert replay.status == "ok" and replay.checkin.is_replay
    assert replay.checkin.source == "offline" and replay.checkin.scanned_at == before_close

    reopen_session(event.id, session.id, staff=desk)
    reopened = scan(registration, session, desk)
    assert reopened.status == "ok"
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert "session.close" in actions and "session.reopen" in actions


def test_the_clock_alone_never_refuses_a_scan(make_registration, desk):
    registration = make_registration()
    session = registration.event.sessions[0]  # 60 days in the future
    result = scan(registration, session, desk)
    assert result.status == "ok"


def test_a_nonce_replay_returns_the_first_answer_and_writes_nothing(make_registration, desk):
    registration = make_registration()
    args = (registration.event_id, registration.ticket_code)

    first = check_in(*args, staff=desk, source="desk", nonce="phone-1-0001")
    replay = check_in(*args, staff=desk, source="desk", nonce="phone-1-0001")

    assert first.status == replay.status == "ok"
    assert replay.replayed and replay.checkin.id == first.checkin.id
    assert len(rows(registration_id=registration.id)) == 1


def test_a_nonce_of_another_event_is_a_conflict(make_registration, desk):
    one, two = make_registration(), make_registration()
    check_in(one.event_id, one.ticket_code, staff=desk, source="desk", nonce="n-1")
    with pytest.raises(NonceConflict):
        check_in(two.event_id, two.ticket_code, staff=desk, source="desk", nonce="n-1")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"source": "fax"}, "source"),
        ({"direction": "sideways"}, "direction"),
        ({"direction": "out"}, "per session"),
        ({"nonce": "x" * 65}, "nonce"),
        ({"nonce": "has space"}, "nonce"),
        ({"nonce": "abc:entry"}, "nonce"),
    ],
)
def test_malformed_requests_are_refused_before_anything_is_written(
    make_registration, desk, kwargs, message
):
    registration = make_registration()
    fields = {"staff": desk, "source": "desk", **kwargs}
    with pytest.raises(InvalidScan, match=message):
        check_in(registration.event_id, registration.ticket_code, **fields)
    assert rows() == []


def test_an_offline_scan_replayed_later_is_a_flagged_historical_fact(make_registration, desk):
    registration = make_registration()
    scanned_at = utcnow().replace(microsecond=0) - timedelta(minutes=20)
    result = scan(registration, staff=desk, source="desk", scanned_at=scanned_at)
    row = result.checkin
    assert result.status == "ok"
    assert row.is_replay and row.source == "offline"
    assert row.scanned_at == scanned_at and row.recorded_at > scanned_at


def test_a_clock_running_ahead_cannot_record_the_future(make_registration, desk):
    registration = make_registration()
    result = scan(registration, staff=desk, source="api", scanned_at=utcnow() + timedelta(hours=3))
    assert result.checkin.scanned_at <= utcnow() and not result.checkin.is_replay


def test_undo_annuls_the_scan_and_the_entry_it_created(make_registration, desk):
    registration = make_registration()
    event = registration.event
    session = event.sessions[0]
    code = registration.ticket_code
    scan = check_in(
        event.id, code, staff=desk, source="scanner", session_id=session.id, nonce="undo-me"
    )

    annul_checkin(event.id, "undo-me", staff=desk)
    annul_checkin(event.id, "undo-me", staff=desk)  # twice changes nothing

    stored = rows(registration_id=registration.id)
    assert len(stored) == 2 and all(row.annulled_by_id == desk.id for row in stored)
    assert check_in(event.id, code, staff=desk, source="desk").status == "ok"
    assert (
        check_in(event.id, code, staff=desk, source="scanner", session_id=session.id).status == "ok"
    )
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "checkin.annul")
        )
        == 1
    )
    assert scan.checkin.id in [row.id for row in stored]


def test_only_a_successful_check_in_of_this_event_can_be_undone(make_event, desk):
    event = make_event()
    failed = check_in(event.id, "NOPE", staff=desk, source="desk", nonce="failed-1")
    with pytest.raises(NotAnnullable):
        annul_checkin(event.id, failed.checkin.nonce, staff=desk)
    with pytest.raises(UnknownCheckin):
        annul_checkin(make_event().id, "failed-1", staff=desk)
    with pytest.raises(UnknownCheckin):
        annul_checkin(event.id, "never-seen", staff=desk)


def test_check_out_is_recorded_per_session(make_registration, desk):
    registration = make_registration()
    session = registration.event.sessions[0]
    args = (registration.event_id, registration.ticket_code)
    check_in(*args, staff=desk, source="scanner", session_id=session.id)
    out = check_in(*args, staff=desk, source="scanner", session_id=session.id, direction="out")
    again = check_in(*args, staff=desk, source="scanner", session_id=session.id, direction="out")
    assert out.status == "ok" and out.checkin.direction == "out"
    assert again.status == "already_checked_in"


def trooper_walks_in(event, desk, **fields):
    """Jo, a state trooper (the free SRO tier), registers at the desk and checks in."""
    fields = {"first_name": "Jo", "agency": "Washington State Patrol", **fields}
    return walk_in(event.id, tier_slug="sro", staff=desk, **fields)


def test_walk_in_registers_with_the_normal_rules_and_checks_in(make_event, desk):
    event = make_event()
    result = trooper_walks_in(event, desk, email="Walk.In@WSP.example", last_name="Walker")
    assert result.status == "ok" and result.checkin.source == "walk_in"
    assert result.registration.person.email == "walk.in@wsp.example"
    assert result.registration.state == "confirmed"

    paying = walk_in(
        event.id,
        tier_slug="security",
        email="guard@district.example",
        first_name="Pat",
        last_name="Guard",
        staff=desk,
    )
    assert paying.status == "not_confirmed" and paying.reason == "awaiting payment"

    again = trooper_walks_in(
        event, desk, email="walk.in@wsp.example", last_name="Walker", agency=""
    )
    assert again.status == "already_checked_in"
    count = db.session.scalar(
        select(func.count()).select_from(Registration).where(Registration.event_id == event.id)
    )
    assert count == 2


def test_walk_in_works_on_the_day_after_online_registration_closed(make_event, desk):
    from summit.models import utcnow

    event = make_event(registration_closes_at=utcnow() - timedelta(days=7))
    result = trooper_walks_in(event, desk, email="late@wsp.example", last_name="Late")
    assert result.status == "ok" and result.registration.state == "confirmed"


def test_search_finds_people_by_any_part_of_name_email_or_agency(
    make_event, make_registration, make_person
):
    event = make_event()
    dana = make_registration(
        event=event,
        person=make_person(
            first_name="Dana", last_name="Reyes", agency="Wapato SD", email="dreyes@wapato.example"
        ),
    )
    make_registration(event=event, person=make_person(first_name="Lee", last_name="Park"))
    make_registration(person=make_person(first_name="Dana", last_name="Elsewhere"))

    assert [r.id for r in search_registrations(event.id, "dana")] == [dana.id]
    assert [r.id for r in search_registrations(event.id, "WAPATO")] == [dana.id]
    assert [r.id for r in search_registrations(event.id, "reyes dana")] == [dana.id]
    assert search_registrations(event.id, "100%") == []
    assert search_registrations(event.id, "   ") == []


def test_live_counts_follow_check_ins_and_undo(make_registration, make_person, desk):
    registration = make_registration()
    event = registration.event
    make_registration(event=event, person=make_person())
    session = event.sessions[0]
    check_in(
        event.id,
        registration.ticket_code,
        staff=desk,
        source="scanner",
        session_id=session.id,
        nonce="live-1",
    )

    counts = live_counts(event.id)
    assert (counts["checked_in"], counts["confirmed"]) == (1, 2)
    assert counts["sessions"][0] == {
        "id": session.id,
        "title": session.title,
        "room": session.room,
        "count": 1,
        "closed": False,
    }
    annul_checkin(event.id, "live-1", staff=desk)
    assert live_counts(event.id)["checked_in"] == 0
