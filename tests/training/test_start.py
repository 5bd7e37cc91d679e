"""Starting a training record without a registration: a signed link by email, then the log."""

from __future__ import annotations

import re
import time

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from summit.auth.attendees import SESSION_KEY
from summit.auth.links import portal_token, start_token
from summit.extensions import db
from summit.mail.outbox import build_message
from summit.models import AuditLog, OutboxMessage, Person, SelfTrainingEntry
from tests.helpers import outbox, text

NEWCOMER = "new.officer@wapatopd.example"


def people() -> int:
    return db.session.scalar(select(func.count(Person.id)))


def emailed_link(app, message: OutboxMessage) -> str:
    body = build_message(message).body  # signed as it is sent
    link = re.search(re.escape(app.config["PUBLIC_URL"]) + r"(/training/start/\S+)", body)
    assert link, body
    return link.group(1)


DETAILS = {
    "first_name": "Rosa",
    "last_name": "Núñez",
    "agency": "Wapato Police Department",
    "job_title": "Officer",
    "role_type": "sro",
}


# --- asking for a link -------------------------------------------------------------------


def test_the_start_page_has_a_labelled_email_field(client):
    response = client.get("/training/start")
    page = text(response)
    assert response.status_code == 200
    assert '<label class="form-label" for="email">Email</label>' in page
    assert "Email me a link" in page
    assert "whether or not you registered" in page


def test_the_answer_is_the_same_for_known_and_unknown_addresses(client, make_person):
    person = make_person()
    known = client.post("/training/start", data={"email": person.email.upper()})
    unknown = client.post("/training/start", data={"email": NEWCOMER})
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"] == "/training/start/sent"
    assert "A link to your training record is on its way" in text(client.get(known.location))
    # both get a link; nobody is created by typing an address
    assert sorted(message.recipient for message in outbox("training_start")) == sorted(
        [person.email, NEWCOMER]
    )
    assert people() == 1


def test_a_malformed_address_is_asked_again(client):
    response = client.post("/training/start", data={"email": "not-an-address"})
    assert response.status_code == 400
    assert "Enter a valid email address." in text(response)
    assert outbox("training_start") == []


def test_repeated_requests_send_one_link_per_window(client):
    for _ in range(3):
        client.post("/training/start", data={"email": NEWCOMER})
    assert len(outbox("training_start")) == 1


def test_the_start_form_shares_the_sign_in_throttle(rate_limited_app):
    rate_limited_app.config["PORTAL_SIGN_IN_RATE_LIMIT"] = "3 per minute"
    client = rate_limited_app.test_client()
    assert client.post("/my/sign-in", data={"email": "a@example.org"}).status_code == 303
    assert client.post("/training/start", data={"email": "b@example.org"}).status_code == 303
    assert client.post("/training/start", data={"email": "c@example.org"}).status_code == 303
    assert client.post("/training/start", data={"email": "d@example.org"}).status_code == 429
    assert client.post("/my/sign-in", data={"email": "e@example.org"}).status_code == 429
    assert client.get("/training/start").status_code == 200  # only posts count


def test_no_working_link_is_stored_in_the_outbox(client):
    client.post("/training/start", data={"email": NEWCOMER})
    stored = outbox("training_start")[0]
    assert start_token(NEWCOMER)[:20] not in stored.text_body
    assert "/training/start/" in stored.text_body


# --- following the link ------------------------------------------------------------------


def test_a_newcomer_starts_a_record_and_logs_a_training(app, client, statute):
    client.post("/training/start", data={"email": NEWCOMER})
    link = emailed_link(app, outbox("training_start")[0])

    form = client.get(link)
    assert form.status_code == 200
    assert "Start your training record" in text(form)
    assert NEWCOMER in text(form)
    assert form.headers["Referrer-Policy"] == "no-referrer"
    assert people() == 0, "a GET creates nobody"

    started = client.post(link, data=DETAILS)
    assert started.status_code == 303
    assert started.headers["Location"] == "/my/training/entries/new"
    person = db.session.scalar(select(Person).where(Person.email == NEWCOMER))
    assert (person.first_name, person.last_name, person.agency) == (
        "Rosa",
        "Núñez",
        DETAILS["agency"],
    )
    assert person.role_type == "sro"
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "person.create"))
    assert audit.object_id == person.id and audit.actor == f"attendee:{person.id}"

    log_page = client.get("/my/training/entries/new")
    assert log_page.status_code == 200
    assert "Your training record is started" in text(log_page)
    topic = statute.items[0].topic
    entry = {
        "kind": "topic",
        "topic_id": str(topic.id),
        "completed_on": "2024-05-02",
        "title": "Module one",
        "url": "https://ospi.k12.wa.us/x",
        "minutes": "60",
    }
    logged = client.post("/my/training/entries/new", data=entry)
    assert logged.status_code == 303
    assert db.session.scalar(select(SelfTrainingEntry.person_id)) == person.id


def test_names_are_required_before_anything_is_created(client):
    link = f"/training/start/{start_token(NEWCOMER)}"
    response = client.post(link, data={**DETAILS, "first_name": "", "agency": ""})
    page = text(response)
    assert response.status_code == 400
    assert "Please correct 2 fields" in page
    assert page.index('href="#first_name"') < page.index('href="#agency"')
    assert people() == 0


def test_a_known_person_continues_without_changing_their_details(client, make_person, statute):
    person = make_person(first_name="Dana", last_name="Reyes", agency="Selah PD")
    link = f"/training/start/{start_token(person.email)}"
    page = client.get(link)
    assert "Continue to my training record" in text(page)
    assert 'name="first_name"' not in text(page)
    response = client.post(link, data={**DETAILS})
    assert response.headers["Location"] == "/my/training/entries/new"
    db.session.refresh(person)
    assert (person.first_name, person.agency) == ("Dana", "Selah PD")
    assert people() == 1
    with client.session_transaction() as session:
        assert session[SESSION_KEY] == person.id


def test_the_link_of_the_person_already_signed_in_goes_straight_on(client, make_person):
    person = make_person()
    client.get(f"/my/enter/{portal_token(person)}")
    response = client.get(f"/training/start/{start_token(person.email)}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/my/training/entries/new"


def test_someone_else_signed_in_is_told_before_switching(client, make_person):
    alex = make_person(first_name="Alex")
    client.get(f"/my/enter/{portal_token(alex)}")
    page = client.get(f"/training/start/{start_token(NEWCOMER)}")
    assert "Continuing signs you in as new.officer@wapatopd.example instead" in text(page)
    with client.session_transaction() as session:
        assert session[SESSION_KEY] == alex.id


def test_two_submissions_of_one_link_make_one_person(client):
    link = f"/training/start/{start_token(NEWCOMER)}"
    client.post(link, data=DETAILS)
    client.post(link, data={**DETAILS, "first_name": "Other"})
    assert people() == 1
    assert db.session.scalar(select(Person.first_name)) == "Rosa"


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + "xx", lambda t: "garbage"])
def test_a_tampered_link_offers_a_fresh_one(client, mangle):
    response = client.get(f"/training/start/{mangle(start_token(NEWCOMER))}")
    assert response.status_code == 400
    assert "This link is not valid" in text(response)
    assert 'name="email"' in text(response)
    posted = client.post(f"/training/start/{mangle(start_token(NEWCOMER))}", data=DETAILS)
    assert posted.status_code == 400
    assert people() == 0


def test_an_expired_link_offers_a_fresh_one(client, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 31 * 86400)
        token = start_token(NEWCOMER)
    response = client.get(f"/training/start/{token}")
    assert response.status_code == 410
    assert "This link has expired" in text(response)


def test_start_links_and_portal_links_do_not_open_each_others_doors(client, make_person):
    person = make_person()
    assert client.get(f"/my/enter/{start_token(person.email)}").status_code == 400
    assert client.get(f"/training/start/{portal_token(person)}").status_code == 400


def test_training_pages_send_visitors_to_the_start(client, statute):
    response = client.get("/my/training/")
    assert response.headers["Location"] == "/training/start"
    # the portal sign-in points newcomers there too
    assert 'href="/training/start"' in text(client.get("/my/sign-in"))
