"""Two-step sign-in required of admins (SUMMIT_REQUIRE_ADMIN_TOTP) and recovery codes
(issue 15, item 5)."""

import re
from datetime import timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from summit import create_app
from summit.auth.services import create_staff
from summit.extensions import db
from summit.models import AuditLog, RecoveryCode, StaffUser, utcnow
from tests.conftest import STAFF_PASSWORD, base_config


@pytest.fixture
def strict_app(make_app):
    app = make_app(REQUIRE_ADMIN_TOTP=True)
    with app.app_context():
        yield app


def sign_in(client, email, password=STAFF_PASSWORD):
    return client.post("/staff/sign-in", data={"email": email, "password": password})


def enrol(client) -> tuple[str, list[str]]:
    """Turn two-step sign-in on; the secret and the recovery codes shown once."""
    page = client.get("/staff/account/two-step").get_data(as_text=True)
    secret = page.split('<code class="user-select-all">')[1].split("<")[0]
    response = client.post("/staff/account/two-step", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    codes = re.findall(r'<li class="user-select-all">([a-z0-9-]+)</li>', response.text)
    return secret, codes


def later():
    return time_machine.travel(utcnow() + timedelta(seconds=31), tick=False)


def test_the_setting_is_on_outside_tests_and_off_under_them(tmp_path, database_url):
    config = base_config(database_url, tmp_path)
    assert create_app({**config, "TESTING": False}).config["REQUIRE_ADMIN_TOTP"] is True
    assert create_app(config).config["REQUIRE_ADMIN_TOTP"] is False
    off = {**config, "TESTING": False, "REQUIRE_ADMIN_TOTP": False}
    assert create_app(off).config["REQUIRE_ADMIN_TOTP"] is False


@pytest.mark.parametrize("path", ["/staff/", "/staff/accounts", "/staff/events/", "/staff/audit"])
def test_an_admin_without_two_step_opens_nothing_but_its_set_up(strict_app, path):
    client = strict_app.test_client()
    create_staff("boss@esd105.example", "admin", STAFF_PASSWORD)
    response = sign_in(client, "boss@esd105.example")
    assert client.get(response.headers["Location"]).headers["Location"] == "/staff/account/two-step"
    blocked = client.get(path)
    assert blocked.status_code == 302
    assert blocked.headers["Location"] == "/staff/account/two-step"
    assert client.get("/staff/account/two-step").status_code == 200

    enrol(client)
    assert client.get(path).status_code in (200, 308)


def test_an_admin_may_always_sign_out_meanwhile(strict_app):
    client = strict_app.test_client()
    create_staff("boss@esd105.example", "admin", STAFF_PASSWORD)
    sign_in(client, "boss@esd105.example")
    assert client.post("/staff/sign-out").status_code == 302
    assert client.get("/staff/").headers["Location"].startswith("/staff/sign-in")


def test_check_in_staff_are_not_forced(strict_app):
    client = strict_app.test_client()
    create_staff("door@esd105.example", "checkin", STAFF_PASSWORD)
    sign_in(client, "door@esd105.example")
    assert client.get("/staff/").status_code == 200


def test_a_required_admin_cannot_turn_two_step_off(strict_app):
    client = strict_app.test_client()
    staff = create_staff("boss@esd105.example", "admin", STAFF_PASSWORD)
    sign_in(client, staff.email)
    secret, _codes = enrol(client)
    assert "cannot be turned off" in client.get("/staff/account/two-step").text
    with later():
        response = client.post("/staff/account/two-step", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 400 and "must keep two-step" in response.text
    assert db.session.get(StaffUser, staff.id).totp_secret == secret


def test_with_it_off_a_cli_admin_signs_in_with_the_password_alone(app, client, runner):
    result = runner.invoke(
        args=["create-staff", "script@esd105.example", "--role", "admin", "--password-stdin"],
        input=STAFF_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert sign_in(client, "script@esd105.example").headers["Location"] == "/staff/"
    assert client.get("/staff/accounts").status_code == 200


def test_ten_recovery_codes_are_shown_once_and_stored_hashed(client, auth):
    staff = auth.as_role("admin")
    _secret, codes = enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    hashes = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(hashes) == 10
    assert not any(code in h or code.replace("-", "") in h for code in codes for h in hashes)
    page = client.get("/staff/account/two-step").text
    assert not any(code in page for code in codes), "never shown again"
    assert staff.id


def test_a_recovery_code_replaces_the_authenticator_code_once(client, auth):
    staff = auth.as_role("admin")
    _secret, codes = enrol(client)
    auth.sign_out()

    auth.sign_in(staff.email)
    response = client.post("/staff/sign-in/code", data={"code": codes[0].upper()})
    assert response.headers["Location"] == "/staff/"
    assert "9 left" in client.get("/staff/").text
    auth.sign_out()

    auth.sign_in(staff.email)
    again = client.post("/staff/sign-in/code", data={"code": codes[0]})
    assert again.status_code == 401 and "already used" in again.text
    assert client.get("/staff/").status_code == 302
    used = db.session.scalars(select(AuditLog).where(AuditLog.action == "staff.recovery_code_used"))
    assert [entry.after["codes_left"] for entry in used] == [9]


def test_turning_two_step_off_deletes_the_codes_and_on_again_makes_new_ones(client, auth):
    auth.as_role("admin")
    secret, first = enrol(client)
    with later() as clock:  # a cookie signed "in the future" must not outlive the travel
        client.post("/staff/account/two-step", data={"code": pyotp.TOTP(secret).now()})
        assert db.session.scalars(select(RecoveryCode)).all() == []
        clock.shift(31)  # the next code window: each code works once
        _secret, second = enrol(client)
    assert not set(first) & set(second) and len(second) == 10


def test_an_admin_reset_clears_two_step_so_a_lost_phone_can_be_replaced(app, client, auth):
    admin = auth.as_role("admin")
    other = create_staff("other@esd105.example", "admin", STAFF_PASSWORD)
    other_browser = app.test_client()
    sign_in(other_browser, other.email)
    enrol(other_browser)
    assert client.post(f"/staff/accounts/{other.id}/reset").status_code == 302
    other = db.session.get(StaffUser, other.id)
    assert other.totp_secret is None
    assert db.session.scalars(select(RecoveryCode)).all() == []
    assert admin.id


def test_the_demo_turns_it_off_and_says_so(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    app.config["REQUIRE_ADMIN_TOTP"] = True
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "Two-step sign-in for admins is off" in result.output
    assert app.config["REQUIRE_ADMIN_TOTP"] is False


def test_the_recovery_codes_page_is_never_stored(client, auth):
    auth.as_role("admin")
    page = client.get("/staff/account/two-step").text
    secret = page.split('<code class="user-select-all">')[1].split("<")[0]
    response = client.post("/staff/account/two-step", data={"code": pyotp.TOTP(secret).now()})
    assert response.headers["Cache-Control"] == "no-store"


def test_the_reason_is_said_once_however_many_pages_were_tried(strict_app):
    client = strict_app.test_client()
    create_staff("boss@esd105.example", "admin", STAFF_PASSWORD)
    sign_in(client, "boss@esd105.example")
    for path in ("/staff/", "/staff/accounts", "/staff/audit"):
        client.get(path)
    page = client.get("/staff/account/two-step").text
    assert page.count("Admins must use two-step sign-in here") == 1
