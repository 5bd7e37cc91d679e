"""Two-step sign-in for staff with an authenticator app."""

import json
from datetime import timedelta

import pyotp
import time_machine

from summit.extensions import db
from summit.models import AuditLog, StaffUser, utcnow
from tests.conftest import STAFF_PASSWORD


def enrol(client, auth):
    staff = auth.as_role("admin")
    page = client.get("/staff/account/two-step").get_data(as_text=True)
    assert "<svg" in page and "Authentication code" in page
    secret = page.split('<code class="user-select-all">')[1].split("<")[0]
    response = client.post("/staff/account/two-step", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200 and "save your recovery codes" in response.text
    return staff, secret


def next_code_window():
    """Half a minute on: a code is accepted once, so the next use needs the next code."""
    return time_machine.travel(utcnow() + timedelta(seconds=31), tick=False)


def test_enrolment_needs_a_correct_code(client, auth):
    auth.as_role("admin")
    client.get("/staff/account/two-step")
    response = client.post("/staff/account/two-step", data={"code": "000000"})
    assert "That code is not right" in response.get_data(as_text=True)
    assert db.session.scalars(db.select(StaffUser)).one().totp_secret is None


def test_the_setup_secret_never_travels_in_the_session_cookie(client, auth):
    auth.as_role("admin")
    page = client.get("/staff/account/two-step").get_data(as_text=True)
    secret = page.split('<code class="user-select-all">')[1].split("<")[0]
    with client.session_transaction() as session:
        stored = json.dumps(dict(session))
    assert secret not in stored and secret.lower() not in stored.lower()
    again = client.get("/staff/account/two-step").get_data(as_text=True)
    assert secret in again, "a reload shows the same secret, so a half-done setup still works"


def test_sign_in_asks_for_the_code_once_enabled(client, auth):
    staff, secret = enrol(client, auth)
    assert db.session.get(StaffUser, staff.id).totp_secret == secret
    assert AuditLog.query.filter_by(action="staff.totp_enable").count() == 1
    auth.sign_out()

    first = auth.sign_in(staff.email)
    assert first.headers["Location"] == "/staff/sign-in/code"
    assert client.get("/staff/").status_code == 302, "the password alone opens nothing"
    wrong = client.post("/staff/sign-in/code", data={"code": "123456"})
    assert wrong.status_code == 401 and "not right" in wrong.get_data(as_text=True)
    with next_code_window():
        right = client.post("/staff/sign-in/code", data={"code": pyotp.TOTP(secret).now()})
        assert right.headers["Location"] == "/staff/"
        assert client.get("/staff/").status_code == 200


def test_code_page_without_a_password_step_goes_back_to_sign_in(client):
    response = client.post("/staff/sign-in/code", data={"code": "123456"})
    assert response.headers["Location"] == "/staff/sign-in"


def test_turning_it_off_needs_a_code(client, auth):
    staff, secret = enrol(client, auth)
    refused = client.post("/staff/account/two-step", data={"code": "000000"})
    assert "not right" in refused.get_data(as_text=True)
    with next_code_window():
        client.post("/staff/account/two-step", data={"code": pyotp.TOTP(secret).now()})
    assert db.session.get(StaffUser, staff.id).totp_secret is None
    auth.sign_out()
    response = client.post(
        "/staff/sign-in", data={"email": staff.email, "password": STAFF_PASSWORD}
    )
    assert response.headers["Location"] == "/staff/"
