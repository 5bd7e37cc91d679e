"""Staff sessions end on the server, codes work once, accounts lock, passwords resist
guessing lists (issue 14, item 12)."""

from datetime import timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from summit.auth.services import StaffError, create_staff
from summit.extensions import db
from summit.models import AuditLog, StaffUser, utcnow
from tests.conftest import STAFF_PASSWORD


def copy_of_cookie(app, client):
    """A second browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_copied_cookie_stops_working_after_sign_out(app, client, auth):
    auth.as_role("admin")
    thief = copy_of_cookie(app, client)
    assert thief.get("/staff/").status_code == 200

    auth.sign_out()
    response = thief.get("/staff/")
    assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]


def test_a_copied_cookie_stops_working_after_a_password_reset(app, client, auth):
    staff = auth.as_role("checkin")
    thief = copy_of_cookie(app, client)
    create_staff(staff.email, "checkin", "a brand new passphrase")
    assert thief.get("/staff/").status_code == 302
    assert client.get("/staff/").status_code == 302, "every session of the account ends"
    assert auth.sign_in(staff.email, "a brand new passphrase").status_code == 302


def test_a_deactivated_accounts_cookie_opens_nothing(app, client, auth):
    staff = auth.as_role("admin")
    thief = copy_of_cookie(app, client)
    staff.is_active = False
    db.session.commit()
    assert thief.get("/staff/").status_code == 302


def enrol(client, auth):
    staff = auth.as_role("admin")
    page = client.get("/staff/account/two-step").get_data(as_text=True)
    secret = page.split('<code class="user-select-all">')[1].split("<")[0]
    response = client.post("/staff/account/two-step", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200, "the page with the recovery codes"
    auth.sign_out()
    return staff, secret


def test_a_code_is_accepted_once_in_its_window(client, auth):
    staff, secret = enrol(client, auth)
    with time_machine.travel(utcnow() + timedelta(minutes=1), tick=False):
        code = pyotp.TOTP(secret).now()
        auth.sign_in(staff.email)
        assert client.post("/staff/sign-in/code", data={"code": code}).status_code == 302
        auth.sign_out()

        auth.sign_in(staff.email)
        again = client.post("/staff/sign-in/code", data={"code": code})
        assert again.status_code == 401 and "already used" in again.get_data(as_text=True)
        assert client.get("/staff/").status_code == 302


def fail(auth, email: str, times: int):
    for _ in range(times):
        assert auth.sign_in(email, "not the password at all").status_code == 401


def test_ten_wrong_passwords_lock_the_account_for_fifteen_minutes(client, auth, make_staff):
    staff = make_staff("admin")
    fail(auth, staff.email, 9)
    locked = auth.sign_in(staff.email, "still not the password")
    assert locked.status_code == 429
    assert "locked for 15 minutes" in locked.get_data(as_text=True)
    right = auth.sign_in(staff.email)
    assert right.status_code == 429, "the right password does not open a locked account"
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "staff.sign_in_locked"))

    with time_machine.travel(utcnow() + timedelta(minutes=16), tick=False):
        assert auth.sign_in(staff.email).status_code == 302


def test_a_password_reset_lifts_the_lock(client, auth, make_staff):
    staff = make_staff("checkin")
    fail(auth, staff.email, 9)
    assert auth.sign_in(staff.email, "the tenth wrong one").status_code == 429
    create_staff(staff.email, "checkin", "a brand new passphrase")
    assert auth.sign_in(staff.email, "a brand new passphrase").status_code == 302


def test_a_lock_says_nothing_about_whether_an_account_exists(client, auth, make_staff):
    staff = make_staff("admin")
    fail(auth, staff.email, 9)
    fail(auth, "nobody@esd105.example", 9)
    known = auth.sign_in(staff.email, "wrong again, tenth")
    unknown = auth.sign_in("nobody@esd105.example", "wrong again, tenth")
    assert known.status_code == unknown.status_code == 429
    known_page = known.get_data(as_text=True).replace(staff.email, "EMAIL")
    assert known_page == unknown.get_data(as_text=True).replace("nobody@esd105.example", "EMAIL")


def test_a_success_forgets_earlier_failures(client, auth, make_staff):
    staff = make_staff("admin")
    fail(auth, staff.email, 9)
    assert auth.sign_in(staff.email).status_code == 302
    auth.sign_out()
    fail(auth, staff.email, 9)
    assert auth.sign_in(staff.email).status_code == 302


def test_ten_wrong_codes_lock_the_account(client, auth):
    staff, _secret = enrol(client, auth)
    auth.sign_in(staff.email)
    for _ in range(9):
        assert client.post("/staff/sign-in/code", data={"code": "000000"}).status_code == 401
    locked = client.post("/staff/sign-in/code", data={"code": "000000"}, follow_redirects=True)
    assert "locked for 15 minutes" in locked.get_data(as_text=True)
    assert auth.sign_in(staff.email).status_code == 429
    assert client.post("/staff/sign-in/code", data={"code": "000000"}).status_code == 302


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short pass", "at least 12 characters"),
        ("aaaaaaaaaaaa", "repeats"),
        ("abababababab", "repeats"),
        ("password1234", "common passwords"),
        ("Password1234!", "common passwords"),
        ("qwerty123456", "common passwords"),
        ("123456789012", "only digits"),
        ("abcdefghijklm", "run of letters"),
        ("kim.lee.esd105.2027", "email address"),
    ],
)
def test_weak_passwords_are_refused(app, password, problem):
    with pytest.raises(StaffError, match=problem):
        create_staff("kim.lee@esd105.example", "admin", password)
    assert db.session.scalar(select(StaffUser)) is None


@pytest.mark.parametrize("password", [STAFF_PASSWORD, "Yakima-SRO-2027-desk", "tG7#qL2vX9pW"])
def test_good_passwords_are_accepted(app, password):
    assert create_staff("kim.lee@esd105.example", "admin", password).role == "admin"


def test_create_staff_command_applies_the_policy(runner):
    result = runner.invoke(
        args=["create-staff", "boss@esd105.example", "--role", "admin", "--password-stdin"],
        input="password1234\n",
    )
    assert result.exit_code != 0 and "common passwords" in result.output
    assert db.session.scalar(select(StaffUser)) is None
