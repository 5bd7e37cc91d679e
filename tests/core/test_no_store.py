"""Pages that name people stay out of caches; a file served public on purpose keeps its caching."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "path",
    [
        "/staff/events/{slug}/registrations",
        "/staff/events/{slug}/registrations?format=csv",
        "/staff/events/{slug}/attendance",
        "/staff/events/{slug}/certificates",
        "/staff/api-tokens",
    ],
)
def test_staff_pages_are_never_stored(client, auth, make_event, path):
    event = make_event()
    auth.as_role("admin")
    response = client.get(path.format(slug=event.slug))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_the_vendored_scanner_script_keeps_its_own_caching(client, auth):
    auth.as_role("checkin")
    response = client.get("/staff/vendor/jsQR.js")
    if response.status_code == 404:
        pytest.skip("npm ci was not run")
    assert "public" in response.headers["Cache-Control"]
    assert "no-store" not in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("admin", "/staff/"),
        ("admin", "/staff/audit"),
        ("checkin", "/staff/"),
        ("checkin", "/staff/account/two-step"),  # shows the TOTP setup secret
        ("checkin", "/staff/checkin"),
        ("admin", "/staff/training/"),
    ],
)
def test_every_staff_page_is_never_stored(client, auth, role, path):
    auth.as_role(role)
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_the_sign_in_page_and_public_pages_seen_by_staff_are_never_stored(client, auth):
    assert client.get("/staff/sign-in").headers["Cache-Control"] == "no-store"
    auth.as_role("admin")
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_the_registration_receipt_is_never_stored(client, make_event):
    event = make_event()
    form = {
        "first_name": "Dana",
        "last_name": "Reyes",
        "email": "dana@yakimapd.example",
        "phone": "(509) 555-0105",
        "agency": "Yakima PD",
        "job_title": "SRO",
        "tier": "sro",
        "school_district": "Yakima SD",
    }
    response = client.post(f"/events/{event.slug}/register", data=form)
    assert response.status_code == 303
    receipt = client.get(response.headers["Location"])
    assert receipt.status_code == 200
    assert receipt.headers["Cache-Control"] == "no-store"


def test_https_responses_carry_strict_transport_security(client):
    response = client.get("/", base_url="https://summit.example")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert (
        "Strict-Transport-Security" not in client.get("/", base_url="http://summit.example").headers
    )


def test_strict_transport_security_follows_a_trusted_proxy_only(make_app):
    behind_proxy = make_app(TRUSTED_PROXIES=1).test_client()
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    response = behind_proxy.get("/", base_url="http://summit.example", headers=forwarded)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    direct = make_app().test_client()
    response = direct.get("/", base_url="http://summit.example", headers=forwarded)
    assert "Strict-Transport-Security" not in response.headers
