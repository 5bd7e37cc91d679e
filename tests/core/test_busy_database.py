"""A busy database never turns a reader into a 500: sign-ins wait for the lock, token use
is stamped on the side, and a GET never writes in its request's transaction."""

import logging
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from summit.auth.api_tokens import create_api_token
from summit.extensions import db
from summit.models import ApiToken, StaffUser, utcnow
from summit.transactions import WriteOnGet
from tests.conftest import STAFF_PASSWORD
from tests.helpers import write_lock_held


def _last_used(row_id: int):
    db.session.rollback()  # what is committed, not what this session remembers
    return db.session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == row_id))


@pytest.fixture
def scanner(make_staff):
    row, token = create_api_token(make_staff("checkin"), name="door 1", actor="test")
    return row.id, {"Authorization": f"Bearer {token}"}


def test_a_staff_sign_in_waits_for_a_writer_instead_of_failing(client, make_staff):
    staff = make_staff("admin")
    with write_lock_held("staff_user", 0.5):  # a registration is being written
        response = client.post(
            "/staff/sign-in", data={"email": staff.email, "password": STAFF_PASSWORD}
        )
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(StaffUser, staff.id).last_sign_in_at is not None


def test_scanner_reads_and_scans_answer_while_another_writer_holds_the_lock(
    client, make_registration, scanner, caplog
):
    token_id, headers = scanner
    registration = make_registration()
    slug, code = registration.event.slug, registration.ticket_code
    caplog.set_level(logging.WARNING, logger="summit.auth.api_tokens")
    with write_lock_held("api_token", 1.0):
        listed = client.get(f"/api/v1/events/{slug}/registrations", headers=headers)
        scanned = client.post(
            f"/api/v1/events/{slug}/checkins", json={"code": code}, headers=headers
        )
    assert listed.status_code == 200
    assert [item["ticket_code"] for item in listed.get_json()["items"]] == [code]
    assert scanned.status_code == 201 and scanned.get_json()["status"] == "ok"
    assert _last_used(token_id) is None  # the stamp gave way; the answers did not
    assert "last use not stamped" in caplog.text


def test_token_use_is_stamped_at_most_once_a_minute(client, make_event, scanner):
    token_id, headers = scanner
    slug = make_event().slug
    start = utcnow()
    with time_machine.travel(start, tick=False):
        assert client.get(f"/api/v1/events/{slug}/sessions", headers=headers).status_code == 200
    assert _last_used(token_id) == start
    with time_machine.travel(start + timedelta(seconds=50), tick=False):
        client.get(f"/api/v1/events/{slug}/sessions", headers=headers)
    assert _last_used(token_id) == start
    later = start + timedelta(seconds=61)
    with time_machine.travel(later, tick=False):
        client.get(f"/api/v1/events/{slug}/sessions", headers=headers)
    assert _last_used(token_id) == later


def test_the_suite_fails_a_get_that_writes_in_its_transaction(make_app):
    app = make_app()

    @app.get("/test-writes")
    def writes():
        db.session.add(StaffUser(email="get@esd105.example", role="admin", password_hash=""))
        db.session.flush()
        return "written"

    with app.app_context(), pytest.raises(WriteOnGet, match="GET /test-writes"):
        app.test_client().get("/test-writes")
