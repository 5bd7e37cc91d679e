"""Odd requests get a clear 4xx, never a 500, and nothing saved is lost.

Found by an input audit: ids no database holds, JSON posted to HTML forms, NUL
bytes in addresses, header-splitting redirects, damaged uploads, values that grow
past their column once normalised, and posts that leave a field out.
"""

from __future__ import annotations

import io

import pytest

from summit import audit
from summit.auth.api_tokens import create_api_token
from summit.extensions import db
from summit.models import AuditLog, Event
from summit.registration.fields import normalise_phone
from tests.conftest import STAFF_PASSWORD
from tests.helpers import png_bytes, post_branding


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
def test_an_id_no_database_holds_is_not_found(client, auth, number):
    auth.as_role("admin")
    response = client.get(f"/staff/registrations/{number}")
    assert response.status_code == 404
    assert "could not find that page" in response.get_data(as_text=True)


def test_an_id_a_database_holds_still_routes(client, auth, make_registration):
    registration = make_registration()
    auth.as_role("admin")
    assert client.get(f"/staff/registrations/{registration.id}").status_code == 200
    assert client.get(f"/staff/registrations/{2**31 - 1}").status_code == 404


@pytest.mark.parametrize("body", ["[1]", "7", '"text"', '{"email": {"a": 1}}'])
def test_json_posted_to_a_form_page_is_refused_plainly(client, make_event, body):
    event = make_event()
    for path in (f"/events/{event.slug}/register", "/my/sign-in", "/staff/sign-in"):
        response = client.post(path, data=body, content_type="application/json")
        assert response.status_code == 415, path
        assert "takes a form, not JSON" in response.get_data(as_text=True)


def test_the_api_and_the_scanner_still_take_json(client, make_staff, make_event):
    event = make_event()
    _row, token = create_api_token(make_staff("checkin"), name="door", actor="test")
    response = client.post(
        f"/api/v1/events/{event.slug}/checkins",
        json={"checkins": []},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code != 415


@pytest.mark.parametrize(
    "path", ["/events/%00", "/events/a%00b/register", "/verify/%00", "/api/v1/events/%00/sessions"]
)
def test_a_nul_byte_in_the_address_is_not_found(client, path):
    assert client.get(path).status_code == 404


def test_a_sign_in_redirect_with_a_newline_goes_to_the_staff_home(client, make_staff):
    staff = make_staff("admin")
    response = client.post(
        "/staff/sign-in?next=/staff/%0d%0aSet-Cookie:x=1",
        data={"email": staff.email, "password": STAFF_PASSWORD},
    )
    assert response.status_code in (302, 303)
    assert "Set-Cookie:x" not in response.headers["Location"]
    assert "x=1" not in response.headers.get("Set-Cookie", "")


def test_a_registrations_page_far_past_the_end_is_empty(client, auth, make_event):
    event = make_event()
    auth.as_role("admin")
    response = client.get(f"/staff/events/{event.slug}/registrations?page={2**62}")
    assert response.status_code == 200


def test_an_api_paging_value_of_thousands_of_digits_is_a_422(client, make_staff, make_event):
    event = make_event()
    _row, token = create_api_token(make_staff("checkin"), name="door", actor="test")
    response = client.get(
        f"/api/v1/events/{event.slug}/registrations?after={'9' * 5000}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422  # as for any other paging value out of range
    assert "whole number" in response.get_data(as_text=True)


def _damaged_png(chunk_type_first_byte: bytes) -> bytes:
    png = png_bytes()
    return png[:37] + chunk_type_first_byte + png[38:]  # the IDAT chunk's type, damaged


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (_damaged_png(b"\xa3"), "signature.png", "damaged or not a real PNG"),
        (_damaged_png(b"x"), "signature.png", "damaged or not a real PNG"),
        (b'<?xml version="1.0" encoding="x-unknown"?><svg xmlns="http://www.w3.org/2000/svg"/>',
         "signature.svg", "SVG images are not accepted"),
    ],
)  # fmt: skip
def test_a_damaged_signature_image_is_refused_with_a_reason(
    client, auth, make_event, content, name, message
):
    event = make_event()
    auth.as_role("admin")
    page = post_branding(client, event, {"branding-signature": (io.BytesIO(content), name)})
    assert page.status_code == 200
    assert message in page.get_data(as_text=True)
    assert db.session.get(Event, event.id).signature_path == ""


def test_a_branding_post_without_the_signer_fields_keeps_them(client, auth, make_event):
    event = make_event()
    auth.as_role("admin")
    post_branding(
        client,
        event,
        {"branding-signer_name": "Dr. Jane Example", "branding-signer_title": "Director"},
    )
    post_branding(client, event, {"branding-logo": (io.BytesIO(png_bytes()), "logo.png")})
    stored = db.session.get(Event, event.id)
    db.session.refresh(stored)
    assert (stored.certificate_signer_name, stored.certificate_signer_title) == (
        "Dr. Jane Example",
        "Director",
    )
    assert stored.logo_path
    post_branding(client, event, {"branding-signer_title": ""})  # cleared on purpose
    db.session.refresh(stored)
    assert stored.certificate_signer_title == ""
    assert stored.certificate_signer_name == "Dr. Jane Example"


def test_a_phone_that_grows_past_its_column_once_formatted_is_refused():
    typed = "5095550105 ext. 12345678901234567890"
    assert len(typed) <= 40
    with pytest.raises(ValueError, match="too long"):
        normalise_phone(typed)
    assert normalise_phone("509 555 0105 ext. 12") == "+1 509-555-0105 ext. 12"


def test_an_actor_longer_than_its_column_is_shortened(app, make_registration):
    registration = make_registration()
    audit.record("test.long_actor", registration, actor="person:" + "a" * 300 + "@x.example")
    db.session.commit()
    entry = db.session.query(AuditLog).filter_by(action="test.long_actor").one()
    assert len(entry.actor) == 254 and entry.actor.startswith("person:aaa")
