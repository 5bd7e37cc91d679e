"""Public verification: valid, revoked, unknown; the JSON twin; privacy; throttling."""

from __future__ import annotations

import pytest

from summit.certificates.services import issue_certificate, revoke_certificate
from summit.clock import local_date
from summit.extensions import db
from summit.models import CertificateStatus, TrainingSeriesDocumentation
from summit.verification import grouped_verification_code, new_verification_code
from tests.helpers import attend


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
        "status",
        "serial",
        "version",
        "kind",
        "title",
        "name",
        "agency",
        "event",
        "statute_reference",
        "curriculum",
        "statute",
        "topics",
        "total_minutes",
        "total_hours",
        "issued_on",
        "revoked_on",
        "superseded",
    }


def test_revoked_certificate_says_so_with_the_date_but_not_the_reason(client, issued, make_staff):
    certificate = issued()
    revoke_certificate(certificate, actor=make_staff("admin"), reason="Private: HR matter 42")
    page = client.get(f"/verify/{certificate.verification_code}").get_data(as_text=True)
    assert 'data-status="revoked"' in page
    assert f"revoked on {local_date(certificate.revoked_at):%B %-d, %Y}" in page
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
    assert "Type the verification code or the serial number" in empty.get_data(as_text=True)


def test_a_pending_reservation_is_unknown(client, issued):
    certificate = issued()
    certificate.status = CertificateStatus.PENDING  # what an unfinished issue looks like
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


def test_dates_read_as_people_write_them(client, issued):
    certificate = issued()
    issued_on = local_date(certificate.issued_at)
    page = client.get(f"/verify/{certificate.verification_code}").get_data(as_text=True)
    assert f"on {issued_on:%B %-d, %Y}, and it has not been revoked" in page
    assert issued_on.isoformat() not in page
    # machines keep ISO dates
    json = client.get(f"/verify/{certificate.verification_code}.json").get_json()
    assert json["issued_on"] == issued_on.isoformat()


# --- by serial number ------------------------------------------------------------------


def by_serial(client, serial, name=None):
    query = {"code": serial} if name is None else {"code": serial, "name": name}
    return client.get("/verify", query_string=query)


def test_a_serial_alone_asks_for_the_name(client, issued):
    certificate = issued()
    response = by_serial(client, certificate.serial)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "type the name printed on the certificate too" in page
    assert 'aria-invalid="true"' in page
    assert 'data-status="valid"' not in page
    assert "Dana Reyes" not in page
    # the serial stays in the box, so only the name is left to type
    assert f'value="{certificate.serial}"' in page


@pytest.mark.parametrize(
    "typed_name", ["Dana Reyes", "dana reyes", "  DANA   REYES ", "Dána Réyes", "danareyes"]
)
def test_a_serial_with_the_printed_name_answers(client, issued, typed_name):
    certificate = issued()
    response = by_serial(client, certificate.serial, typed_name)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-status="valid"' in page
    for text in ("Dana Reyes", "Selah PD", certificate.event.name, certificate.serial):
        assert text in page
    # the page never hands out the verification code, which would outlive the name check
    assert certificate.verification_code not in page
    assert grouped_verification_code(certificate.verification_code) not in page


@pytest.mark.parametrize("typed", ["s5 2027 1", "S5–2027–000001", " S5 - 2027 - 000001 "])
def test_a_serial_is_read_forgivingly(client, make_event, make_registration, make_person, typed):
    person = make_person(first_name="Dana", last_name="Reyes")
    registration = make_registration(event=make_event(), person=person)
    attend(registration)
    certificate = issue_certificate(registration).certificate
    certificate.serial = "S5-2027-000001"  # the event's year in the test varies
    db.session.commit()
    response = by_serial(client, typed, "Dana Reyes")
    assert response.status_code == 200
    assert 'data-status="valid"' in response.get_data(as_text=True)


def test_a_serial_with_a_wrong_name_is_not_found(client, issued):
    certificate = issued()
    wrong = by_serial(client, certificate.serial, "Dan Reyes")
    unknown = by_serial(client, certificate.serial[:-1] + "9", "Dana Reyes")
    for response in (wrong, unknown):
        page = response.get_data(as_text=True)
        assert response.status_code == 404
        assert 'data-status="unknown"' in page
        assert "Selah PD" not in page
    # the same words either way: the answer does not tell which serials exist
    wrong_page = wrong.get_data(as_text=True).replace(certificate.serial, "SERIAL")
    unknown_page = unknown.get_data(as_text=True).replace(certificate.serial[:-1] + "9", "SERIAL")
    assert wrong_page == unknown_page


def test_a_reissued_certificate_answers_with_its_latest_valid_version(client, issued):
    certificate = issued()
    first_code = certificate.verification_code
    second = issue_certificate(certificate.registration, force=True).certificate
    assert second.serial == certificate.serial and second.version == 2
    page = by_serial(client, certificate.serial, "Dana Reyes").get_data(as_text=True)
    assert 'data-status="valid"' in page
    assert "(version 2)" in page
    assert first_code not in page


def test_a_serial_whose_every_version_is_revoked_says_revoked(client, issued, make_staff):
    certificate = issued()
    revoke_certificate(certificate, actor=make_staff("admin"), reason="HR")
    response = by_serial(client, certificate.serial, "Dana Reyes")
    assert response.status_code == 200
    assert 'data-status="revoked"' in response.get_data(as_text=True)


def test_a_training_series_documentation_serial_with_the_name(client, make_person, curricula):
    person = make_person(first_name="José", last_name="de la Cruz", agency="Wapato SD")
    proof = TrainingSeriesDocumentation(
        person=person,
        curriculum_id=next(iter(curricula.values())).id,
        serial="S5-POC-2027-000007",
        verification_code=new_verification_code(),
        details={"name": "José de la Cruz", "agency": "Wapato SD", "topics": []},
        file_path="proofs/S5-POC-2027-000007.pdf",
    )
    db.session.add(proof)
    db.session.commit()
    assert by_serial(client, "S5-POC-2027-000007").status_code == 400
    found = by_serial(client, "s5-poc-2027-7", "JOSE DE LA CRUZ")
    assert found.status_code == 200
    page = found.get_data(as_text=True)
    assert 'data-status="valid"' in page
    assert "Valid training series documentation" in page
    assert "Wapato SD" in page
    assert by_serial(client, "S5-POC-2027-000007", "José Cruz").status_code == 404


def test_a_serial_in_the_address_asks_for_the_name(client, issued):
    certificate = issued()
    response = client.get(f"/verify/{certificate.serial}")
    assert response.status_code == 303
    assert client.get(response.headers["Location"]).status_code == 400
    # the JSON endpoint answers only to codes, as before
    assert client.get(f"/verify/{certificate.serial}.json").status_code == 404


def test_verifying_by_serial_is_rate_limited(rate_limited_app):
    rate_limited_app.config["VERIFY_RATE_LIMIT"] = "2 per minute"
    client = rate_limited_app.test_client()
    assert by_serial(client, "S5-2027-000001", "A B").status_code == 404
    assert by_serial(client, "S5-2027-000002", "A B").status_code == 404
    assert by_serial(client, "S5-2027-000003", "A B").status_code == 429
