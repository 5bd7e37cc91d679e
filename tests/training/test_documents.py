"""The record in the portal and as a PDF; the assignment date and role."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from summit.clock import today_local
from summit.extensions import db
from summit.models import AuditLog
from tests.helpers import (
    accepted,
    attend,
    enter_portal,
    log,
    pdf_text,
    single_spaced,
    text,
    topic,
    words,
)

# --- the record pages -----------------------------------------------------------------------


def test_portal_home_and_record_page_show_the_record(
    client, make_registration, make_person, statute, make_staff
):
    person = make_person()
    registration = make_registration(person=person)
    attend(registration, topics={topic("civil-rights").id}, staff=make_staff("checkin"))
    log(person, topic("ferpa").id, title="FERPA for SROs")
    enter_portal(client, person)

    home = text(client.get("/my/"))
    assert f"1 of {len(statute.items)} required topics done" in home
    assert "1 self-training entry waiting for review" in home

    page = words(client.get("/my/training/"))
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
    attend(registration, topics={topic("de-escalation").id}, staff=make_staff("checkin"))
    accepted(person, topic("trauma").id, admin, title="OSPI trauma module")
    enter_portal(client, person)

    response = client.get("/my/training/record.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "Dana-Whitefeather" in response.headers["Content-Disposition"]
    content = single_spaced(pdf_text(response.data))
    assert "Training record" in content and "Dana Whitefeather" in content
    assert registration.event.name in content
    assert "OSPI trauma module" in content
    assert f"2 of {len(statute.items)} classroom subjects done" in content
    restorative = next(i for i in statute.items if i.topic.code == "restorative-justice")
    assert single_spaced(restorative.title) in content and "Missing" in content
    assert "Training series (RCW 28A.400.345(2))" in content
    assert "On-the-job training (RCW 28A.400.345(2)(c)): 0 of 2 days recorded" in content
    assert "ESD 105 counts a subject done after 60 minutes" in content
    assert "(ESD 105 policy; the statute sets no hours)" in content
    assert "require" not in content  # minutes are ESD policy, never "the law requires"


def test_staff_download_a_persons_record_pdf(client, auth, make_person, statute):
    person = make_person(first_name="Robin", last_name="Okafor")
    auth.as_role("checkin")
    response = client.get(f"/staff/training/people/{person.id}/record.pdf")
    assert response.status_code == 200
    assert "Robin Okafor" in single_spaced(pdf_text(response.data))


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
    page = words(client.get("/my/training/"))
    assert "Overdue" in page and "Check-in trainings (RCW 28A.400.345(2)(c))" not in page
    assert "Check-in trainings (RCW 28A.400.345(2)(d)): 0 of 6 check-in trainings" in page
    assert f"Classroom training (RCW 28A.400.345(2)(b)): 0 of {len(statute.items)} subjects" in page


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
