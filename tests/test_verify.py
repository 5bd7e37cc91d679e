"""Public verification: valid, revoked, unknown; the JSON twin; privacy; throttling."""

from __future__ import annotations

import pytest

from summit.certificates.services import (
    grouped_verification_code,
    issue_certificate,
    revoke_certificate,
)
from summit.clock import local_date
from summit.extensions import db
from tests.test_certificates import attend


@pytest.fixture
def issued(make_event, make_registration, make_person):
    def factory(sessions=None):
        person = make_person(
            first_name="Dana", last_name="Reyes", phone="509-555-0199", agency="Selah PD"
        )
        registration = make_registration(event=make_event(), person=person)
        attend(registration, sessions)
        return issue_certificate(registration).certificate

    return factory


def test_valid_certificate_page_shows_the_certified_facts(client, issued):
    certificate = issued()
    response = client.get(f"/verify/{certificate.verification_code}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-status="valid"' in page
    assert "Valid certificate" in page
    for text in ("Dana Reyes", "Selah PD", certificate.event.name, certificate.serial):
        assert text in page
    for topic in certificate.details["topics"]:
        assert topic["title"].replace("&", "&amp;") in page
    assert response.headers["Cache-Control"] == "no-store"


def test_nothing_private_is_shown(client, issued):
    certificate = issued()
    person = certificate.registration.person
    for url in (
        f"/verify/{certificate.verification_code}",
        f"/verify/{certificate.verification_code}.json",
    ):
        body = client.get(url).get_data(as_text=True)
        assert person.email not in body
        assert person.phone not in body
        assert certificate.registration.ticket_code not in body


def test_json_gives_the_same_answer(client, issued):
    certificate = issued(sessions=2)
    response = client.get(f"/verify/{certificate.verification_code}.json")
    data = response.get_json()
    assert response.status_code == 200
    assert data["status"] == "valid"
    assert data["kind"] == "attendance"
    assert data["serial"] == certificate.serial
    assert data["name"] == "Dana Reyes"
    assert data["agency"] == "Selah PD"
    assert data["event"]["name"] == certificate.event.name
    assert data["event"]["starts_on"] == certificate.event.starts_on.isoformat()
    assert [t["title"] for t in data["topics"]] == [
        item.title for item in certificate.event.curriculum.items
    ]
    assert [t["complete"] for t in data["topics"]][:3] == [True, True, False]
    assert data["total_minutes"] == 120
    assert data["total_hours"] == "2"
    assert data["revoked_on"] is None
    assert set(data) == {
        "status", "serial", "version", "kind", "title", "name", "agency", "event",
        "statute_reference", "topics", "total_minutes", "total_hours", "issued_on",
        "revoked_on", "superseded",
    }  # fmt: skip


def test_revoked_certificate_says_so_with_the_date_but_not_the_reason(client, issued, make_staff):
    certificate = issued()
    revoke_certificate(certificate, actor=make_staff("admin"), reason="Private: HR matter 42")
    page = client.get(f"/verify/{certificate.verification_code}").get_data(as_text=True)
    assert 'data-status="revoked"' in page
    assert f"revoked on {local_date(certificate.revoked_at).isoformat()}" in page
    assert "HR matter" not in page
    data = client.get(f"/verify/{certificate.verification_code}.json").get_json()
    assert data["status"] == "revoked"
    assert data["revoked_on"] == local_date(certificate.revoked_at).isoformat()
    assert data["superseded"] is False


def test_a_superseded_version_points_to_the_newer_one(client, issued):
    certificate = issued()
    old_code = certificate.verification_code
    issue_certificate(certificate.registration, force=True)
    page = client.get(f"/verify/{old_code}").get_data(as_text=True)
    assert 'data-status="revoked"' in page
    assert "A newer version" in page
    assert client.get(f"/verify/{old_code}.json").get_json()["superseded"] is True


@pytest.mark.parametrize(
    "code", ["A" * 32, "NOTACODE", "x" * 300, "%3Cscript%3E", "ABCD-EFGH", "0" * 32]
)
def test_unknown_codes_answer_404(client, issued, code):
    issued()
    response = client.get(f"/verify/{code}")
    assert response.status_code == 404
    assert 'data-status="unknown"' in response.get_data(as_text=True)
    assert "<script>" not in response.get_data(as_text=True)
    json_response = client.get(f"/verify/{code}.json")
    assert json_response.status_code == 404
    assert json_response.get_json() == {"status": "unknown"}


def test_typed_code_with_dashes_spaces_and_lower_case_finds_it(client, issued):
    certificate = issued()
    typed = grouped_verification_code(certificate.verification_code).lower().replace("-", " ")
    response = client.get("/verify", query_string={"code": typed})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/verify/{certificate.verification_code}")
    assert client.get(response.headers["Location"]).status_code == 200
    dashed = grouped_verification_code(certificate.verification_code)
    assert client.get(f"/verify/{dashed}").status_code == 200


def test_the_form_page_and_an_empty_code(client):
    page = client.get("/verify")
    assert page.status_code == 200
    assert 'name="code"' in page.get_data(as_text=True)
    empty = client.get("/verify", query_string={"code": "  "})
    assert empty.status_code == 400
    assert "Type the code" in empty.get_data(as_text=True)


def test_a_pending_reservation_is_unknown(client, issued):
    certificate = issued()
    certificate.file_path = ""  # what an unfinished issue looks like
    db.session.commit()
    assert client.get(f"/verify/{certificate.verification_code}").status_code == 404


def test_verification_is_rate_limited_per_ip(rate_limited_app):
    rate_limited_app.config["VERIFY_RATE_LIMIT"] = "3 per minute"
    client = rate_limited_app.test_client()
    codes = ["A" * 32, "B" * 32, "C" * 32]
    for code in codes:
        assert client.get(f"/verify/{code}.json").status_code == 404
    assert client.get(f"/verify/{'D' * 32}").status_code == 429
    assert client.get("/verify", query_string={"code": "x"}).status_code == 429
    other_ip = client.get(f"/verify/{'D' * 32}", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other_ip.status_code == 404


def test_default_rate_limit_is_30_a_minute(rate_limited_app):
    client = rate_limited_app.test_client()
    statuses = [client.get(f"/verify/{'A' * 32}.json").status_code for _ in range(31)]
    assert statuses[:30] == [404] * 30
    assert statuses[30] == 429
