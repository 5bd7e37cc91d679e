"""The record in the portal and as a PDF; the assignment date and role; proofs of completion."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from summit.clock import today_local
from summit.curricula import STATUTE_CODE
from summit.extensions import db
from summit.models import AuditLog, Person, ProofOfCompletion, Topic
from summit.training.errors import NotEligible, TrainingError
from summit.training.proof import issue_proof, revoke_proof, verify_proof
from summit.training.services import grant_waiver
from tests.test_training_support import accepted, attend, enter_portal, log, text


@pytest.fixture
def statute(curricula):
    return curricula[STATUTE_CODE]


@pytest.fixture
def admin(make_staff):
    return make_staff("admin")


def topic(code: str) -> Topic:
    return db.session.scalar(select(Topic).where(Topic.code == code))


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def squash(value: str) -> str:
    return " ".join(value.split())


def complete(person: Person, statute, admin) -> None:
    """Every topic of the statute list done by accepted self-training."""
    for item in statute.items:
        accepted(person, item.topic_id, admin, minutes=60, title=f"Course on {item.topic.code}")


# --- the record pages -----------------------------------------------------------------------


def test_portal_home_and_record_page_show_the_record(
    client, make_registration, make_person, statute, make_staff
):
    person = make_person()
    registration = make_registration(person=person)
    attend(registration, {topic("civil-rights").id}, make_staff("checkin"))
    log(person, topic("ferpa").id, title="FERPA for SROs")
    enter_portal(client, person)

    home = text(client.get("/my/"))
    assert f"1 of {len(statute.items)} required topics done" in home
    assert "1 self-training entry waiting for review" in home

    page = text(client.get("/my/training/"))
    for item in statute.items:
        assert item.title in page
    assert registration.event.name in page
    assert "Waiting for review: FERPA for SROs" in page
    assert client.get("/my/training/").headers["Cache-Control"] == "no-store"


def test_the_record_pdf_reads_back_with_summit_and_self_training(
    client, make_registration, make_person, statute, make_staff, admin
):
    person = make_person(first_name="Dana", last_name="Whitefeather", assignment_started_on=None)
    registration = make_registration(person=person)
    attend(registration, {topic("de-escalation").id}, make_staff("checkin"))
    accepted(person, topic("trauma").id, admin, title="OSPI trauma module")
    enter_portal(client, person)

    response = client.get("/my/training/record.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "Dana-Whitefeather" in response.headers["Content-Disposition"]
    content = squash(pdf_text(response.data))
    assert "Training record" in content and "Dana Whitefeather" in content
    assert registration.event.name in content
    assert "OSPI trauma module" in content
    assert f"2 of {len(statute.items)} topics done" in content
    assert "Restorative justice" in content and "Missing" in content
    assert "Deadlines (RCW 28A.400.345)" in content


def test_staff_download_a_persons_record_pdf(client, auth, make_person, statute):
    person = make_person(first_name="Robin", last_name="Okafor")
    auth.as_role("checkin")
    response = client.get(f"/staff/training/people/{person.id}/record.pdf")
    assert response.status_code == 200
    assert "Robin Okafor" in squash(pdf_text(response.data))


# --- assignment date and role ----------------------------------------------------------------


def test_the_person_gives_start_date_and_role_and_sees_deadlines(client, make_person, statute):
    person = make_person(role_type="sro")
    enter_portal(client, person)
    start = today_local() - timedelta(days=400)
    response = client.post(
        "/my/training/assignment", data={"started_on": start.isoformat(), "role_type": "security"}
    )
    assert response.status_code == 303
    db.session.refresh(person)
    assert (person.assignment_started_on, person.role_type) == (start, "security")
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "person.assignment"))
    page = text(client.get("/my/training/"))
    assert "Overdue" in page and "Check-in trainings" in page
    assert "Classroom training on every topic" in page


def test_a_future_start_date_is_refused(client, make_person, statute):
    person = make_person()
    enter_portal(client, person)
    tomorrow = (today_local() + timedelta(days=1)).isoformat()
    response = client.post(
        "/my/training/assignment", data={"started_on": tomorrow, "role_type": "sro"}
    )
    assert response.status_code == 400 and "cannot be in the future" in text(response)
    db.session.refresh(person)
    assert person.assignment_started_on is None


def test_a_post_without_the_start_date_keeps_it_and_saves_the_role(client, make_person, statute):
    person = make_person(role_type="sro", assignment_started_on=date(2024, 9, 1))
    enter_portal(client, person)
    response = client.post("/my/training/assignment", data={"role_type": "security"})
    assert response.status_code == 303
    db.session.refresh(person)
    assert (person.assignment_started_on, person.role_type) == (date(2024, 9, 1), "security")


def test_the_start_date_can_still_be_cleared_on_purpose(client, make_person, statute):
    person = make_person(role_type="sro", assignment_started_on=date(2024, 9, 1))
    enter_portal(client, person)
    page = text(client.get("/my/training/assignment"))
    assert 'value="2024-09-01"' in page
    response = client.post("/my/training/assignment", data={"started_on": "", "role_type": "sro"})
    assert response.status_code == 303
    db.session.refresh(person)
    assert person.assignment_started_on is None


# --- proof of completion ------------------------------------------------------------------


def test_proof_needs_every_topic(make_person, statute, admin):
    person = make_person()
    accepted(person, topic("trauma").id, admin)
    with pytest.raises(NotEligible, match="Missing"):
        issue_proof(person, staff=admin)
    assert db.session.scalar(select(ProofOfCompletion)) is None


def test_summit_and_self_training_together_earn_a_verifiable_proof(
    app, make_event, make_registration, make_person, curricula, statute, make_staff, admin
):
    person = make_person(first_name="Sam", last_name="Reyes", agency="Yakima County Sheriff")
    summit = make_event(starts_on=date(2025, 6, 17), curriculum=curricula["wa-sro-2019"])
    attend(make_registration(event=summit, person=person), None, make_staff("checkin"))
    accepted(person, topic("restorative-justice").id, admin, title="Restorative practices")

    proof = issue_proof(person, staff=admin)
    assert proof.serial.startswith(f"S5-POC-{today_local().year}-")
    assert proof.serial.endswith("000001")
    assert len(proof.verification_code) == 32 and proof.verification_code.isupper()
    assert proof.content_hash and proof.file_path
    stored = app.config["STORAGE_DIR"] + "/" + proof.file_path
    content = squash(pdf_text(open(stored, "rb").read()))  # noqa: SIM115
    assert "Proof of completion" in content and "Sam Reyes" in content
    assert proof.serial in content and proof.verification_code in content
    assert f"/verify/{proof.verification_code}" in content.replace(" ", "")

    answer = verify_proof(proof.verification_code.lower())
    assert answer["status"] == "valid" and answer["serial"] == proof.serial
    assert answer["name"] == "Sam Reyes" and answer["agency"] == "Yakima County Sheriff"
    assert len(answer["topics"]) == len(statute.items)
    assert answer["total_minutes"] == 60 * len(statute.items)
    assert all(topic["complete"] for topic in answer["topics"])
    assert answer["issued_on"] == today_local().isoformat()
    assert "email" not in answer and person.email not in str(answer)
    assert verify_proof("A" * 32) is None and verify_proof("") is None
    page = app.test_client().get(f"/verify/{proof.verification_code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Valid proof of completion" in html and "Sam Reyes" in html and proof.serial in html
    machine = app.test_client().get(f"/verify/{proof.verification_code}.json").get_json()
    assert machine["kind"] == "proof_of_completion" and machine["status"] == "valid"

    with pytest.raises(TrainingError, match="already valid"):
        issue_proof(person, staff=admin)
    revoke_proof(proof, staff=admin, reason="Issued to the wrong person")
    revoked = verify_proof(proof.verification_code)
    assert revoked["status"] == "revoked" and revoked["revoked_on"] is not None
    assert "Issued to the wrong person" not in str(revoked)  # the reason may be private
    second = issue_proof(person, staff=admin)
    assert second.serial.endswith("000002")


def test_a_waiver_for_everything_makes_a_proof_possible(make_person, statute, admin):
    person = make_person()
    grant_waiver(person, topic_id=None, reason="Prior certification", staff=admin)
    proof = issue_proof(person, staff=admin)
    assert all(t["status"] == "waived" for t in proof.details["topics"])


def test_admin_issues_the_proof_from_the_person_page_and_the_person_downloads_it(
    app, client, auth, make_person, statute, admin
):
    person = make_person()
    complete(person, statute, admin)
    auth.as_role("admin")
    page = text(client.get(f"/staff/training/people/{person.id}"))
    assert "Issue proof of completion" in page
    assert client.post(f"/staff/training/people/{person.id}/proof").status_code == 303
    proof = db.session.scalar(select(ProofOfCompletion))
    assert proof is not None and proof.person_id == person.id
    staff_pdf = client.get(f"/staff/training/proofs/{proof.id}.pdf")
    assert staff_pdf.status_code == 200 and proof.serial in squash(pdf_text(staff_pdf.data))

    attendee = app.test_client()
    enter_portal(attendee, person)
    assert proof.serial in text(attendee.get("/my/training/"))
    own = attendee.get(f"/my/training/proofs/{proof.id}.pdf")
    assert own.status_code == 200 and own.data == staff_pdf.data
    stranger = app.test_client()
    enter_portal(stranger, make_person())
    assert stranger.get(f"/my/training/proofs/{proof.id}.pdf").status_code == 404
    revoke_proof(proof, staff=admin, reason="Issued in error.")
    assert attendee.get(f"/my/training/proofs/{proof.id}.pdf").status_code == 404


def test_checkin_staff_cannot_issue_a_proof(client, auth, make_person, statute, admin):
    person = make_person()
    complete(person, statute, admin)
    auth.as_role("checkin")
    assert client.post(f"/staff/training/people/{person.id}/proof").status_code == 403
    assert db.session.scalar(select(ProofOfCompletion)) is None


def test_issuing_for_an_incomplete_record_from_the_page_is_refused(
    client, auth, make_person, statute
):
    person = make_person()
    auth.as_role("admin")
    response = client.post(f"/staff/training/people/{person.id}/proof", follow_redirects=True)
    assert "Not every topic is done yet" in text(response)
    assert db.session.scalar(select(ProofOfCompletion)) is None
