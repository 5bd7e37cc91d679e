"""Staff accounts in the browser: invite, set role, disable, enable, reset, own password
(issue 15, item 5)."""

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select
from werkzeug.security import check_password_hash

from summit.auth.api_tokens import create_api_token
from summit.auth.links import sign_portal_links
from summit.auth.services import create_staff
from summit.auth.staff_links import PasswordLinkProblem
from summit.extensions import db
from summit.models import ApiToken, AuditLog, StaffUser, utcnow
from summit.staff.accounts import AccountError, disable_staff, set_password, set_role
from tests.conftest import STAFF_PASSWORD
from tests.helpers import outbox, reload, text

NEW_PASSWORD = "lantern orchard pebble dusk"


def copy_of_cookie(app, client):
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def actions(action: str) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))


def emailed_link(kind: str, recipient: str) -> str:
    """The set-password link as the recipient reads it (signed when the outbox sends it)."""
    [message] = [row for row in outbox(kind) if row.recipient == recipient]
    assert "staff-password-link-for-staff-" in message.text_body, "no credential is stored"
    body = sign_portal_links(message.text_body, message.recipient)
    return re.search(r"https://summit\.example(/staff/set-password/\S+)", body).group(1)


def invite(client, email="door@esd105.example", role="checkin", name="Door Person"):
    return client.post("/staff/accounts", data={"email": email, "role": role, "name": name})


def test_an_admin_invites_and_the_invited_person_sets_a_password_and_signs_in(client, auth, app):
    auth.as_role("admin")
    response = invite(client)
    assert response.status_code == 302
    page = text(client.get("/staff/accounts"))
    assert "door@esd105.example" in page and "invited, no password yet" in page
    link = emailed_link("staff_invitation", "door@esd105.example")
    auth.sign_out()

    assert auth.sign_in("door@esd105.example", "").status_code != 302, "no usable password yet"
    assert "door@esd105.example" in text(client.get(link))
    done = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and "/staff/sign-in" in done.headers["Location"]
    assert auth.sign_in("door@esd105.example", NEW_PASSWORD).status_code == 302
    assert client.get("/staff/").status_code == 200
    assert client.get("/staff/accounts").status_code == 403, "check-in staff"
    assert actions("staff.invite") and actions("staff.password_set")


def test_a_set_password_link_works_once(client, auth):
    auth.as_role("admin")
    invite(client)
    link = emailed_link("staff_invitation", "door@esd105.example")
    auth.sign_out()
    client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    again = client.post(
        link, data={"password": "another fine passphrase", "confirm": "another fine passphrase"}
    )
    assert again.status_code == 400 and "already used" in text(again)
    assert auth.sign_in("door@esd105.example", NEW_PASSWORD).status_code == 302


def test_a_set_password_link_expires(client, auth):
    auth.as_role("admin")
    invite(client)
    link = emailed_link("staff_invitation", "door@esd105.example")
    with time_machine.travel(utcnow() + timedelta(days=4)):
        response = client.get(link)
    assert response.status_code == 400 and "expired" in text(response)


def test_a_tampered_link_is_refused(client):
    response = client.get("/staff/set-password/not-a-real-token")
    assert response.status_code == 400 and "not valid" in text(response)


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("short", "short", "at least 12 characters"),
        ("password1234", "password1234", "common passwords"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "not the same"),
    ],
)
def test_the_password_policy_applies_to_the_link(client, auth, password, confirm, message):
    auth.as_role("admin")
    invite(client)
    link = emailed_link("staff_invitation", "door@esd105.example")
    response = client.post(link, data={"password": password, "confirm": confirm})
    assert response.status_code == 400
    assert message in text(response) and "is-invalid" in text(response)
    assert client.get(link).status_code == 200, "a refused password does not spend the link"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not an address", "role": "checkin"}, "email address"),
        ({"email": "", "role": "checkin"}, "Enter the person"),
        ({"email": "x@esd105.example", "role": "owner"}, "Not a valid choice"),
        ({"email": "ADMIN@esd105.example", "role": "checkin"}, "already has a staff account"),
    ],
)
def test_a_bad_invitation_shows_the_form_again(client, auth, data, message):
    auth.as_role("admin")
    response = client.post("/staff/accounts", data=data)
    assert response.status_code == 400 and message in text(response)
    assert db.session.scalar(select(StaffUser).where(StaffUser.email == "x@esd105.example")) is None
    assert not outbox("staff_invitation")


def test_disabling_ends_sessions_and_api_tokens_at_once(app, client, auth):
    admin = auth.as_role("admin")
    door = create_staff("door@esd105.example", "checkin", STAFF_PASSWORD)
    door_browser = app.test_client()
    door_browser.post("/staff/sign-in", data={"email": door.email, "password": STAFF_PASSWORD})
    thief = copy_of_cookie(app, door_browser)
    _row, token = create_api_token(door, actor=admin)
    headers = {"Authorization": f"Bearer {token}"}
    assert thief.get("/staff/").status_code == 200
    assert client.get("/api/v1/events", headers=headers).status_code == 200

    response = client.post(f"/staff/accounts/{door.id}/disable")
    assert response.status_code == 302
    assert thief.get("/staff/").status_code == 302
    assert door_browser.get("/staff/").status_code == 302
    assert client.get("/api/v1/events", headers=headers).status_code == 401
    assert db.session.scalar(select(ApiToken.revoked_at)) is not None
    assert (
        door_browser.post(
            "/staff/sign-in", data={"email": door.email, "password": STAFF_PASSWORD}
        ).status_code
        == 401
    )
    [entry] = actions("staff.disable")
    assert entry.after["tokens_revoked"] == 1 and entry.staff_user_id == admin.id

    assert client.post(f"/staff/accounts/{door.id}/enable").status_code == 302
    assert auth_sign_in(app, door.email, STAFF_PASSWORD) == 302
    assert client.get("/api/v1/events", headers=headers).status_code == 401, "tokens stay revoked"


def auth_sign_in(app, email, password) -> int:
    return (
        app.test_client()
        .post("/staff/sign-in", data={"email": email, "password": password})
        .status_code
    )


def test_setting_the_role(client, auth, app):
    auth.as_role("admin")
    door = create_staff("door@esd105.example", "checkin", STAFF_PASSWORD)
    assert client.post(f"/staff/accounts/{door.id}/role", data={"role": "admin"}).status_code == 302
    assert reload(door).role == "admin"
    bad = client.post(f"/staff/accounts/{door.id}/role", data={"role": "owner"})
    assert bad.status_code == 400 and "Not a valid choice" in text(bad)
    assert reload(door).role == "admin"
    [entry] = actions("staff.role")
    assert entry.before == {"role": "checkin"} and entry.after == {"role": "admin"}


@pytest.mark.parametrize("change", ["disable", "reset", "role"])
def test_an_admin_cannot_lock_themselves_out(client, auth, change):
    admin = auth.as_role("admin")
    response = client.post(f"/staff/accounts/{admin.id}/{change}", data={"role": "checkin"})
    assert response.status_code == 400 and "your own account" in text(response)
    admin = reload(admin)
    assert admin.is_active and admin.role == "admin"
    assert client.get("/staff/accounts").status_code == 200


def test_reset_ends_the_old_password_and_sessions_and_sends_a_new_link(app, client, auth):
    auth.as_role("admin")
    door = create_staff("door@esd105.example", "checkin", STAFF_PASSWORD)
    door_browser = app.test_client()
    door_browser.post("/staff/sign-in", data={"email": door.email, "password": STAFF_PASSWORD})
    assert client.post(f"/staff/accounts/{door.id}/reset").status_code == 302
    assert door_browser.get("/staff/").status_code == 302
    assert auth_sign_in(app, door.email, STAFF_PASSWORD) == 401
    link = emailed_link("staff_password_reset", door.email)
    response = app.test_client().post(
        link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert auth_sign_in(app, door.email, NEW_PASSWORD) == 302
    assert actions("staff.reset")


def test_an_older_link_dies_when_the_account_is_reset(client, auth):
    auth.as_role("admin")
    invite(client)
    first = emailed_link("staff_invitation", "door@esd105.example")
    door = db.session.scalar(select(StaffUser).where(StaffUser.email == "door@esd105.example"))
    client.post(f"/staff/accounts/{door.id}/reset")
    assert client.get(first).status_code == 400


def test_a_link_for_a_disabled_account_opens_nothing(client, auth):
    auth.as_role("admin")
    invite(client)
    link = emailed_link("staff_invitation", "door@esd105.example")
    door = db.session.scalar(select(StaffUser).where(StaffUser.email == "door@esd105.example"))
    client.post(f"/staff/accounts/{door.id}/disable")
    assert client.get(link).status_code == 400


def test_an_unknown_account_is_404(client, auth):
    auth.as_role("admin")
    assert client.post("/staff/accounts/9999/disable").status_code == 404


ADMIN_ROUTES = [
    ("get", "/staff/accounts"),
    ("post", "/staff/accounts"),
    ("post", "/staff/accounts/1/role"),
    ("post", "/staff/accounts/1/disable"),
    ("post", "/staff/accounts/1/enable"),
    ("post", "/staff/accounts/1/reset"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_admin_pages_refuse_others(client, auth, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]
    auth.as_role("checkin")
    assert getattr(client, method)(path).status_code == 403


def test_own_password_page_needs_sign_in(client):
    response = client.get("/staff/account/password")
    assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/staff/accounts", {"email": "x@esd105.example", "role": "checkin"}),
        ("/staff/accounts/1/disable", {}),
        (
            "/staff/account/password",
            {"current": STAFF_PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        ),
    ],
)
def test_forms_need_the_csrf_token(make_app, path, data):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        create_staff("admin@esd105.example", "admin", STAFF_PASSWORD)
        other = create_staff("other@esd105.example", "checkin", STAFF_PASSWORD)
        client = app.test_client()
        page = client.get("/staff/sign-in").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post(
            "/staff/sign-in",
            data={"email": "admin@esd105.example", "password": STAFF_PASSWORD, "csrf_token": csrf},
        )
        response = client.post(path.replace("/1/", f"/{other.id}/"), data=data)
        assert response.status_code == 400
        assert db.session.get(StaffUser, other.id).is_active
        assert (
            db.session.scalar(select(StaffUser).where(StaffUser.email == "x@esd105.example"))
            is None
        )


def test_staff_change_their_own_password_and_stay_signed_in(app, client, auth):
    staff = auth.as_role("checkin")
    other_device = app.test_client()
    other_device.post("/staff/sign-in", data={"email": staff.email, "password": STAFF_PASSWORD})
    response = client.post(
        "/staff/account/password",
        data={"current": STAFF_PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 200, "this session stays signed in"
    assert other_device.get("/staff/").status_code == 302, "other sessions end"
    assert auth_sign_in(app, staff.email, STAFF_PASSWORD) == 401
    assert auth_sign_in(app, staff.email, NEW_PASSWORD) == 302
    assert actions("staff.password_change")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"current": "wrong password!!", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            "current",
            "not your current password",
        ),
        (
            {"current": STAFF_PASSWORD, "password": "tiny", "confirm": "tiny"},
            "password",
            "at least 12",
        ),
        (
            {"current": STAFF_PASSWORD, "password": NEW_PASSWORD, "confirm": "different one here"},
            "confirm",
            "not the same",
        ),
        (
            {"current": STAFF_PASSWORD, "password": STAFF_PASSWORD, "confirm": STAFF_PASSWORD},
            "password",
            "different from the current",
        ),
        (
            {"current": "", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            "current",
            "Enter your current password",
        ),
    ],
)
def test_a_refused_password_change_says_why_beside_the_field(
    app, client, auth, data, field, message
):
    staff = auth.as_role("checkin")
    response = client.post("/staff/account/password", data=data)
    page = text(response)
    assert response.status_code == 400 and message in page
    assert f'id="{field}-error"' in page
    assert auth_sign_in(app, staff.email, STAFF_PASSWORD) == 302, "the old password still works"


def test_two_uses_of_one_link_cannot_both_set_a_password(client, auth):
    """The link is checked again under the row lock, not only when the page opened."""
    auth.as_role("admin")
    invite(client)
    token = emailed_link("staff_invitation", "door@esd105.example").rsplit("/", 1)[1]
    set_password(token, NEW_PASSWORD, NEW_PASSWORD)
    with pytest.raises(PasswordLinkProblem):
        set_password(token, "another fine passphrase", "another fine passphrase")
    door = db.session.scalar(select(StaffUser).where(StaffUser.email == "door@esd105.example"))
    assert check_password_hash(door.password_hash, NEW_PASSWORD)


def test_a_demoted_admin_loses_admin_pages_at_once(app, client, auth):
    auth.as_role("admin")
    other = create_staff("other-admin@esd105.example", "admin", STAFF_PASSWORD)
    other_browser = app.test_client()
    other_browser.post("/staff/sign-in", data={"email": other.email, "password": STAFF_PASSWORD})
    assert other_browser.get("/staff/accounts").status_code == 200
    client.post(f"/staff/accounts/{other.id}/role", data={"role": "checkin"})
    assert other_browser.get("/staff/accounts").status_code == 403
    assert other_browser.get("/staff/").status_code == 200


def test_a_name_with_a_line_break_is_kept_on_one_line(client, auth):
    auth.as_role("admin")
    invite(client, name="Door\nPerson\u202e")
    door = db.session.scalar(select(StaffUser).where(StaffUser.email == "door@esd105.example"))
    assert door.name == "Door Person"


@pytest.mark.parametrize("path", ["/staff/accounts", "/staff/account/password"])
def test_account_pages_are_never_stored(client, auth, path):
    auth.as_role("admin")
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_the_set_password_page_is_never_stored(client, auth):
    auth.as_role("admin")
    invite(client)
    link = emailed_link("staff_invitation", "door@esd105.example")
    auth.sign_out()
    assert client.get(link).headers["Cache-Control"] == "no-store"


def test_two_admins_demoting_each_other_at_once_leave_one_admin(app):
    """The second change finds its actor already demoted (the actor's row is locked too)."""
    first = create_staff("first@esd105.example", "admin", STAFF_PASSWORD)
    second = create_staff("second@esd105.example", "admin", STAFF_PASSWORD)
    set_role(second.id, "checkin", actor=first)
    with pytest.raises(AccountError, match="no longer an active admin"):
        set_role(first.id, "checkin", actor=second)
    with pytest.raises(AccountError, match="no longer an active admin"):
        disable_staff(first.id, actor=second)
    assert reload(first).role == "admin" and reload(first).is_active
