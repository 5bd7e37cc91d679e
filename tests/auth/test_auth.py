import re

import pytest

from summit.auth.services import create_staff
from summit.models import AuditLog
from tests.conftest import STAFF_PASSWORD


def test_sign_in_page_has_labelled_fields(client):
    html = client.get("/staff/sign-in").get_data(as_text=True)
    assert re.search(r'<label[^>]*for="email"[^>]*>Email</label>', html)
    assert re.search(r'<label[^>]*for="password"[^>]*>Password</label>', html)
    assert 'value="Sign in"' in html


def test_staff_signs_in_and_reaches_staff_home(client, make_staff):
    staff = make_staff("checkin")
    response = client.post(
        "/staff/sign-in", data={"email": staff.email, "password": STAFF_PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"
    page = client.get("/staff/").get_data(as_text=True)
    assert f"Signed in as {staff.email} (checkin)" in page


def test_sign_in_ignores_email_case(client, make_staff):
    staff = make_staff("admin")
    response = client.post(
        "/staff/sign-in", data={"email": staff.email.upper(), "password": STAFF_PASSWORD}
    )
    assert response.status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_answer(client, make_staff):
    staff = make_staff("admin")
    wrong = client.post("/staff/sign-in", data={"email": staff.email, "password": "nope-nope-nope"})
    unknown = client.post(
        "/staff/sign-in", data={"email": "nobody@esd105.example", "password": "nope-nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    message = "That email and password do not match a staff account."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_sign_in_is_throttled_after_five_tries_a_minute(rate_limited_app):
    client = rate_limited_app.test_client()
    staff = create_staff("throttle@esd105.example", "admin", STAFF_PASSWORD)
    for _ in range(5):
        response = client.post("/staff/sign-in", data={"email": staff.email, "password": "bad"})
        assert response.status_code in (200, 401)
    blocked = client.post("/staff/sign-in", data={"email": staff.email, "password": STAFF_PASSWORD})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/staff/audit")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/sign-in?next=/staff/audit")


def test_sign_in_follows_a_local_next_but_never_an_external_one(client, make_staff):
    staff = make_staff("admin")
    data = {"email": staff.email, "password": STAFF_PASSWORD}
    assert client.post("/staff/sign-in?next=/staff/audit", data=data).headers["Location"] == (
        "/staff/audit"
    )
    client.post("/staff/sign-out")
    for evil in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        response = client.post(f"/staff/sign-in?next={evil}", data=data)
        assert response.headers["Location"] == "/staff/"
        client.post("/staff/sign-out")


def test_roles_are_enforced(client, auth):
    auth.as_role("checkin")
    assert client.get("/staff/").status_code == 200
    forbidden = client.get("/staff/audit")
    assert forbidden.status_code == 403
    assert "does not have access" in forbidden.get_data(as_text=True)


def test_admin_sees_the_audit_log(client, auth):
    auth.as_role("admin")
    page = client.get("/staff/audit").get_data(as_text=True)
    assert "Staff account created" in page


def test_sign_out_needs_a_post(client, auth):
    auth.as_role("admin")
    assert client.get("/staff/sign-out").status_code == 405
    assert client.post("/staff/sign-out").status_code == 302
    assert client.get("/staff/").status_code == 302


def test_session_cookie_is_httponly_lax_and_secure_over_https(make_app):
    app = make_app(PUBLIC_URL=None)
    client = app.test_client()
    with app.app_context():
        create_staff("cookie@esd105.example", "admin", STAFF_PASSWORD)
    data = {"email": "cookie@esd105.example", "password": STAFF_PASSWORD}
    plain = client.post("/staff/sign-in", data=data, base_url="http://localhost")
    cookie = _session_cookie(plain)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    client.post("/staff/sign-out")
    secure = client.post("/staff/sign-in", data=data, base_url="https://localhost")
    assert "Secure" in _session_cookie(secure)


def _session_cookie(response) -> str:
    return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))


def test_sign_in_form_requires_csrf(make_app, make_staff):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        email = make_staff("admin").email
    response = app.test_client().post(
        "/staff/sign-in", data={"email": email, "password": STAFF_PASSWORD}
    )
    assert response.status_code == 400
    assert "form has expired" in response.get_data(as_text=True)


def test_creating_staff_is_audited(make_staff):
    staff = make_staff("checkin")
    entry = AuditLog.query.filter_by(object_type="staffuser", object_id=staff.id).one()
    assert entry.action == "staff.create" and entry.after["role"] == "checkin"


@pytest.mark.parametrize("password", ["", "short"])
def test_empty_or_short_password_cannot_sign_in(client, make_staff, password):
    staff = make_staff("admin")
    response = client.post("/staff/sign-in", data={"email": staff.email, "password": password})
    assert response.status_code in (200, 401)
    assert client.get("/staff/").status_code == 302


def test_another_browser_is_not_signed_in_by_someone_elses_session(app, client, auth):
    """Test clients share the test's app context; each request still starts afresh."""
    auth.as_role("admin")
    assert client.get("/staff/").status_code == 200
    stranger = app.test_client()
    assert stranger.get("/staff/").status_code == 302
    assert stranger.get("/staff/api-tokens").status_code == 302
