"""Share links: a district sees a read-only record; expiry, revocation, hashing, throttling."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from summit.curricula import ensure_curricula
from summit.extensions import db
from summit.models import Person, RecordShare, utcnow
from summit.training.evidence import Evidence
from summit.training.proof import issue_documentation
from summit.training.services import record_prior_experience
from summit.training.shares import create_share, open_share, token_hash
from tests.helpers import PDF_BYTES, accepted, enter_portal, log, text, topic, words


@pytest.fixture
def person(make_person, statute):
    return make_person(
        first_name="Jordan",
        last_name="Sampson",
        email="jordan.sampson@wapato.example",
        phone="+1 509 555 0142",
        agency="Wapato Police Department",
    )


def share_link(client) -> str:
    response = client.post("/my/training/shares", data={"label": "Wapato SD", "days": "30"})
    assert response.status_code == 200, text(response)
    match = re.search(r'value="(https?://[^"]+/records/[^"]+)"', text(response))
    assert match, "the new link is shown once"
    return match.group(1)


def test_the_person_creates_a_link_and_the_district_sees_the_record_without_contact_data(
    app, client, person, make_staff
):
    admin = make_staff("admin")
    accepted(person, topic("trauma").id, admin, title="OSPI trauma module")
    log(person, topic("ferpa").id, title="Still waiting FERPA")
    enter_portal(client, person)
    link = share_link(client)
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 32  # 24 random bytes, base64url

    share = db.session.scalar(select(RecordShare))
    assert share.token_hash == token_hash(token) and token not in share.token_hash
    assert share.label == "Wapato SD"
    assert timedelta(days=29, hours=23) < share.expires_at - share.created_at <= timedelta(days=30)

    district = app.test_client()
    response = district.get(f"/records/{token}")
    assert response.status_code == 200
    page = text(response)
    assert "Jordan Sampson" in page and "Wapato Police Department" in page
    assert "OSPI trauma module" in page and "accepted by ESD staff" in page
    assert "Still waiting FERPA" not in page  # unreviewed entries are not shown
    assert person.email not in page and "555" not in page and "wapato.example" not in page
    assert "<form" not in page.split('id="main"', 1)[1]  # read-only: no forms in the page body
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    db.session.rollback()  # the view is counted beside the request: read what is committed
    assert share.view_count == 1 and share.last_viewed_at is not None


def test_the_share_page_shows_valid_training_series_documentation_and_its_basis(
    app, person, make_staff, statute
):
    admin = make_staff("admin")
    record_prior_experience(
        person,
        reviewed="Academy transcript",
        reason="12 years as an SRO",
        files=[Evidence(PDF_BYTES, "pdf", "application/pdf", "t.pdf")],
        staff=admin,
    )
    documentation = issue_documentation(person, staff=admin)
    _, token = create_share(person)
    page = words(app.test_client().get(f"/records/{token}"))
    assert f"Training series documentation {documentation.serial}" in page
    assert "significant prior training and experience, RCW 28A.400.345(3): valid" in page
    assert f"0 of {len(statute.items)} classroom subjects done" in page
    assert "Academy transcript" not in page  # what staff reviewed stays with staff


def test_an_expired_link_says_so(app, person):
    _share, token = create_share(person, days=30, now=utcnow() - timedelta(days=31))
    response = app.test_client().get(f"/records/{token}")
    assert response.status_code == 410
    assert "This link has expired" in text(response)
    assert "Jordan" not in text(response)
    assert response.headers["X-Robots-Tag"].startswith("noindex")


def test_a_link_works_until_it_expires(app, person, statute):
    _share, token = create_share(person, days=1, now=utcnow() - timedelta(hours=23))
    assert app.test_client().get(f"/records/{token}").status_code == 200


def test_a_revoked_link_says_so(app, client, person, statute):
    enter_portal(client, person)
    token = share_link(client).rsplit("/", 1)[1]
    share = db.session.scalar(select(RecordShare))
    page = text(client.get("/my/training/shares"))
    assert "Wapato SD" in page and "Active" in page and token not in page
    assert client.post(f"/my/training/shares/{share.id}/revoke").status_code == 303
    response = app.test_client().get(f"/records/{token}")
    assert response.status_code == 410
    assert "withdrawn" in text(response) and "Jordan" not in text(response)
    assert "Withdrawn" in text(client.get("/my/training/shares"))


def test_an_unknown_link_is_not_found(app, statute):
    response = app.test_client().get("/records/not-a-real-token-at-all-000000000")
    assert response.status_code == 404 and "not valid" in text(response)


def test_someone_else_cannot_revoke_a_link(app, client, person, make_person):
    share, token = create_share(person)
    enter_portal(client, make_person())
    assert client.post(f"/my/training/shares/{share.id}/revoke").status_code == 404
    db.session.refresh(share)
    assert share.revoked_at is None
    assert open_share(token).id == share.id


@pytest.mark.parametrize("days", ["0", "366", "-1", "soon"])
def test_share_duration_must_be_sensible(client, person, days):
    enter_portal(client, person)
    response = client.post("/my/training/shares", data={"days": days})
    assert response.status_code == 400
    assert db.session.scalar(select(RecordShare)) is None


def test_share_pages_are_throttled_per_ip(rate_limited_app):
    ensure_curricula()
    rate_limited_app.config["RECORD_SHARE_RATE_LIMIT"] = "3 per minute"
    person = Person(email="throttle@wapato.example", first_name="T", last_name="Hrottle")
    db.session.add(person)
    db.session.commit()
    _, token = create_share(person)
    client = rate_limited_app.test_client()
    statuses = [client.get(f"/records/{token}").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
