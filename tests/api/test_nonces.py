"""Nonces are per scanner: reusing one never answers for another ticket (issue 14, item 7)."""

import pytest
from sqlalchemy import select

from summit.auth.api_tokens import create_api_token
from summit.checkin.services import check_in
from summit.extensions import db
from summit.models import Checkin, CheckinResult


def bearer(staff, **scope):
    _row, token = create_api_token(staff, actor="test", **scope)
    return {"Authorization": f"Bearer {token}"}


def post_scan(client, headers, slug, **body):
    return client.post(f"/api/v1/events/{slug}/checkins", json=body, headers=headers)


def checked_in(registration) -> bool:
    return (
        db.session.scalar(
            select(Checkin.id).where(
                Checkin.registration_id == registration.id,
                Checkin.status == CheckinResult.OK,
                Checkin.session_id.is_(None),
                Checkin.annulled_at.is_(None),
            )
        )
        is not None
    )


def test_a_second_scanner_reusing_a_nonce_gets_its_own_check_in(
    client, make_staff, make_event, make_registration
):
    event = make_event()
    first, second = make_registration(event), make_registration(event)
    scanner_1, scanner_2 = bearer(make_staff("checkin")), bearer(make_staff("checkin"))

    one = post_scan(client, scanner_1, event.slug, code=first.ticket_code, nonce="n-1")
    two = post_scan(client, scanner_2, event.slug, code=second.ticket_code, nonce="n-1")

    assert one.status_code == 201 and two.status_code == 201
    body = two.get_json()
    assert body["status"] == "ok" and body["replayed"] is False
    assert body["registration"]["ticket_code"] == second.ticket_code
    assert checked_in(first) and checked_in(second)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("code", "another ticket code"),
        ("session", "another session"),
        ("direction", "check-in scan"),
    ],
)
def test_one_scanner_reusing_a_nonce_for_another_scan_is_409_with_the_reason(
    client, make_staff, make_event, make_registration, change, reason
):
    event = make_event()
    first, second = make_registration(event), make_registration(event)
    session_id = event.sessions[0].id
    scanner = bearer(make_staff("checkin"))
    original = {"code": first.ticket_code, "session_id": session_id, "nonce": "reused"}
    assert post_scan(client, scanner, event.slug, **original).status_code == 201

    again = dict(original)
    if change == "code":
        again["code"] = second.ticket_code
    elif change == "session":
        again["session_id"] = event.sessions[1].id
    else:
        again["direction"] = "out"
    response = post_scan(client, scanner, event.slug, **again)

    assert response.status_code == 409
    assert reason in response.get_json()["error"]["message"]
    assert not checked_in(second)
    assert db.session.scalar(select(Checkin).where(Checkin.nonce == "reused")).scanned_code == (
        first.ticket_code
    )


def test_an_exact_replay_still_answers_the_first_result(client, make_staff, make_registration):
    registration = make_registration()
    scanner = bearer(make_staff("checkin"))
    scan = {"code": registration.ticket_code.lower(), "nonce": "same"}
    assert post_scan(client, scanner, registration.event.slug, **scan).status_code == 201
    again = post_scan(client, scanner, registration.event.slug, **scan)
    assert again.status_code == 200 and again.get_json()["replayed"] is True
    assert db.session.scalar(select(Checkin.id).where(Checkin.nonce == "same").offset(1)) is None


def test_each_scanner_annuls_its_own_scan_with_a_shared_nonce(
    client, make_staff, make_event, make_registration
):
    event = make_event()
    first, second = make_registration(event), make_registration(event)
    scanner_1, scanner_2 = bearer(make_staff("checkin")), bearer(make_staff("checkin"))
    post_scan(client, scanner_1, event.slug, code=first.ticket_code, nonce="both")
    post_scan(client, scanner_2, event.slug, code=second.ticket_code, nonce="both")

    assert client.delete("/api/v1/checkins/both", headers=scanner_2).status_code == 200
    assert checked_in(first) and not checked_in(second)


def test_desk_staff_each_own_their_nonces(make_staff, make_event, make_registration):
    event = make_event()
    first, second = make_registration(event), make_registration(event)
    kim, lee = make_staff("checkin"), make_staff("checkin")
    one = check_in(event.id, first.ticket_code, staff=kim, source="desk", nonce="d-1")
    two = check_in(event.id, second.ticket_code, staff=lee, source="desk", nonce="d-1")
    assert one.ok and two.ok and not two.replayed
    assert two.registration.id == second.id


def test_the_openapi_document_describes_the_nonce_conflict(client):
    document = client.get("/api/v1/openapi.json").get_json()
    conflict = document["paths"]["/events/{slug}/checkins"]["post"]["responses"]["409"]
    assert "nonce" in conflict["description"]
