"""States are types: stored as the same strings, read as members, worded in one place."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from summit.extensions import db
from summit.mail.content import registration_context, render
from summit.models import (
    CHECKIN_STATUSES,
    REGISTRATION_STATES,
    CertificateStatus,
    Checkin,
    CheckinResult,
    Registration,
    RegistrationState,
    TrainingEntryStatus,
)


def test_the_stored_strings_do_not_change():
    """Rows written before, and API clients, keep reading the same values."""
    assert REGISTRATION_STATES == (
        "pending_approval",
        "awaiting_payment",
        "confirmed",
        "waitlisted",
        "offered",
        "cancelled",
    )
    assert CHECKIN_STATUSES == (
        "ok",
        "already_checked_in",
        "unknown_code",
        "cancelled",
        "not_confirmed",
        "wrong_event",
        "session_closed",
    )
    assert TrainingEntryStatus.values() == ("submitted", "accepted", "returned")
    assert CertificateStatus.values() == ("pending", "issued", "revoked", "superseded")
    assert RegistrationState.CONFIRMED == "confirmed"
    assert f"{RegistrationState.OFFERED}" == "offered"


def test_a_state_reads_back_as_a_member_whether_assigned_or_loaded(make_registration):
    registration = make_registration(state="waitlisted")
    assert registration.state is RegistrationState.WAITLISTED
    registration.state = "offered"
    assert registration.state is RegistrationState.OFFERED
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.get(Registration, registration.id)
    assert loaded.state is RegistrationState.OFFERED
    assert loaded.state.label == "Offered a seat"


def test_only_seat_holding_states_count_against_capacity():
    holding = {state for state in RegistrationState if state.holds_seat}
    assert holding == set(RegistrationState) - {
        RegistrationState.WAITLISTED,
        RegistrationState.CANCELLED,
    }
    assert [state for state in RegistrationState if state.has_ticket] == ["confirmed"]
    assert [state for state in RegistrationState if not state.is_active] == ["cancelled"]


@pytest.mark.parametrize("state", list(RegistrationState))
def test_staff_read_the_same_label_and_badge_on_every_page(
    client, auth, make_event, make_registration, make_person, state
):
    """The list, the registration page, the check-in desk and the certificate desk."""
    auth.as_role("admin")
    event = make_event()
    registration = make_registration(
        event=event, person=make_person(first_name="Dana", last_name="Reyes"), state=state
    )
    badge = f'<span class="badge {state.badge}">{html.escape(state.label)}</span>'
    listing = client.get(f"/staff/events/{event.slug}/registrations").get_data(as_text=True)
    assert badge in listing
    assert f">{html.escape(state.label)} (1)</option>" in listing
    detail = client.get(f"/staff/registrations/{registration.id}").get_data(as_text=True)
    assert badge in detail
    search = client.get(f"/staff/events/{event.slug}/checkin/search?q=reyes").get_json()
    assert search["items"][0]["state_label"] == state.label
    desk = client.get(f"/staff/events/{event.slug}/checkin?q=reyes").get_data(as_text=True)
    assert f'<span class="badge {state.door_badge}">{html.escape(state.label)}</span>' in desk
    certificates = client.get(f"/staff/events/{event.slug}/certificates").get_data(as_text=True)
    if state.has_ticket or not state.is_active:
        assert badge not in certificates  # confirmed needs no badge; cancelled is not listed
    else:
        assert badge in certificates


def test_the_door_shows_green_only_for_a_ticket_that_lets_the_person_in():
    assert RegistrationState.CONFIRMED.door_badge == "text-bg-success"
    assert {state.door_badge for state in RegistrationState if not state.has_ticket} == {
        "text-bg-secondary"
    }


@pytest.mark.parametrize(
    ("state", "words"),
    [
        ("pending_approval", "Your registration is waiting for staff approval."),
        ("waitlisted", "Your registration is on the waitlist."),
        ("offered", "Your registration is offered a seat."),
    ],
)
def test_an_email_words_the_state_from_the_enum(make_registration, state, words):
    registration = make_registration(state=state)
    _, text, _ = render("already_registered", registration_context(registration))
    assert words in text


def test_a_refused_scan_says_why_in_the_states_words(make_event, make_registration):
    from summit.checkin.display import scan_message
    from summit.checkin.services import check_in

    event = make_event()
    offered = make_registration(event=event, state="offered")
    result = check_in(event.id, offered.ticket_code, staff=None, source="desk")
    assert result.status is CheckinResult.NOT_CONFIRMED
    assert scan_message(result, event.timezone) == "Not confirmed: waitlist offer not accepted yet"
    stored = db.session.scalar(select(Checkin).where(Checkin.id == result.checkin.id))
    assert stored.status is CheckinResult.NOT_CONFIRMED
    unknown = check_in(event.id, "NOPE", staff=None, source="desk")
    assert scan_message(unknown, event.timezone) == "Unknown code"
    assert unknown.status.tone == "danger"
