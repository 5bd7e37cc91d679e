"""Staff review of self-training: the queue, accept / return with a comment, the emails."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from summit.extensions import db
from summit.models import (
    AuditLog,
    SelfTrainingEntry,
    Topic,
    TrainingResource,
)
from summit.training.record import training_record
from tests.helpers import log, outbox, text


def test_the_queue_needs_staff(client, statute):
    response = client.get("/staff/training/")
    assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]


def test_checkin_staff_see_the_queue_but_cannot_review(client, auth, make_person, trauma):
    entry = log(make_person(), trauma.id, title="NASRO webinar on trauma")
    auth.as_role("checkin")
    page = client.get("/staff/training/")
    assert page.status_code == 200 and "NASRO webinar on trauma" in text(page)
    assert "Accept" not in text(page)
    response = client.post(
        f"/staff/training/entries/{entry.id}/review", data={"decision": "accept"}
    )
    assert response.status_code == 403
    db.session.refresh(entry)
    assert entry.status == "submitted" and outbox("training_accepted") == []


def test_an_admin_accepts_and_the_topic_is_done_and_the_person_emailed(
    client, auth, make_person, trauma
):
    person = make_person()
    entry = log(person, trauma.id, minutes=60, title="NASRO webinar on trauma")
    admin = auth.as_role("admin")
    assert "NASRO webinar on trauma" in text(client.get("/staff/training/"))
    response = client.post(
        f"/staff/training/entries/{entry.id}/review", data={"decision": "accept", "comment": ""}
    )
    assert response.status_code == 303
    db.session.refresh(entry)
    assert (entry.status, entry.reviewed_by_id) == ("accepted", admin.id)
    assert entry.reviewed_at is not None
    (message,) = outbox("training_accepted")
    assert message.recipient == person.email
    assert "NASRO webinar on trauma" in message.subject and "accepted" in message.text_body
    assert "/my/enter/" in message.text_body
    assert training_record(person).for_topic(trauma.id).status == "done"
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "self_training.accept"))
    assert "Nothing is waiting for review" in text(client.get("/staff/training/"))


def test_returning_needs_a_comment_which_the_person_reads(client, auth, make_person, trauma):
    person = make_person()
    entry = log(person, trauma.id)
    auth.as_role("admin")
    refused = client.post(
        f"/staff/training/entries/{entry.id}/review",
        data={"decision": "return", "comment": "  "},
        follow_redirects=True,
    )
    assert "Say why the entry is returned" in text(refused)
    db.session.refresh(entry)
    assert entry.status == "submitted" and outbox("training_returned") == []

    client.post(
        f"/staff/training/entries/{entry.id}/review",
        data={"decision": "return", "comment": "Please attach the certificate."},
    )
    db.session.refresh(entry)
    assert (entry.status, entry.review_comment) == ("returned", "Please attach the certificate.")
    (message,) = outbox("training_returned")
    assert "Please attach the certificate." in message.text_body
    assert "Please attach the certificate." in message.html_body
    assert training_record(person).for_topic(trauma.id).status == "missing"


def test_an_entry_is_reviewed_once(client, auth, make_person, trauma):
    entry = log(make_person(), trauma.id)
    auth.as_role("admin")
    client.post(f"/staff/training/entries/{entry.id}/review", data={"decision": "accept"})
    again = client.post(
        f"/staff/training/entries/{entry.id}/review",
        data={"decision": "return", "comment": "no"},
        follow_redirects=True,
    )
    assert "already been reviewed" in text(again)
    db.session.refresh(entry)
    assert entry.status == "accepted" and len(outbox("training_accepted")) == 1
    assert outbox("training_returned") == []


def test_an_unknown_decision_changes_nothing(client, auth, make_person, trauma):
    entry = log(make_person(), trauma.id)
    auth.as_role("admin")
    client.post(f"/staff/training/entries/{entry.id}/review", data={"decision": "maybe"})
    assert db.session.get(SelfTrainingEntry, entry.id).status == "submitted"


def test_staff_find_a_person_and_see_their_entries(client, auth, make_person, trauma):
    person = make_person(agency="Selah Police Department")
    log(person, trauma.id, title="Module waiting")
    auth.as_role("checkin")
    found = text(client.get("/staff/training/?q=selah"))
    assert person.full_name in found
    page = client.get(f"/staff/training/people/{person.id}")
    assert page.status_code == 200 and "Module waiting" in text(page)


def test_staff_edit_resources_with_url_checks(client, auth, statute, trauma):
    auth.as_role("admin")
    bad = client.post(
        "/staff/training/resources/new",
        data={
            "title": "Trauma course",
            "url": "javascript:alert(1)",
            "format": "online course",
            "topic_id": str(trauma.id),
        },
    )
    assert bad.status_code == 400 and "full web address" in text(bad)
    assert db.session.scalar(select(TrainingResource)) is None
    good = client.post(
        "/staff/training/resources/new",
        data={
            "title": "Trauma course",
            "url": "https://example.org/trauma",
            "provider": "OSPI",
            "format": "online course",
            "approx_minutes": "45",
            "topic_id": str(trauma.id),
            "is_active": "y",
        },
    )
    assert good.status_code == 303
    resource = db.session.scalar(select(TrainingResource))
    assert (resource.topic_id, resource.approx_minutes, resource.last_checked_at) == (
        trauma.id,
        45,
        None,
    )
    client.post(f"/staff/training/resources/{resource.id}/checked")
    db.session.refresh(resource)
    assert resource.last_checked_at is not None
    page = text(client.get("/training"))
    assert "Trauma course" in page and "about 45 minutes" in page
    assert "link checked by ESD staff on" in page
    assert client.get("/staff/training/resources").status_code == 200


def test_checkin_staff_cannot_edit_resources(client, auth, statute):
    auth.as_role("checkin")
    assert client.get("/staff/training/resources").status_code == 200
    assert client.get("/staff/training/resources/new").status_code == 403


# --- impossible values and posts that leave fields out --------------------------------------


RESOURCE = {
    "title": "Trauma course",
    "url": "https://example.org/trauma",
    "provider": "OSPI",
    "format": "online course",
    "approx_minutes": "45",
    "topic_id": "",
    "position": "0",
    "is_active": "y",
}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"position": str(2**31)}, "Enter a whole number from -1,000,000 to 1,000,000."),
        ({"position": str(2**63)}, "Enter a whole number from -1,000,000 to 1,000,000."),
        ({"position": str(-(2**63) - 1)}, "Enter a whole number from -1,000,000 to 1,000,000."),
        ({"topic_id": str(2**31)}, "Choose a topic from the list."),
        ({"topic_id": str(2**63)}, "Choose a topic from the list."),
        ({"topic_id": "abc"}, "Choose a topic from the list."),
        ({"url": "https://[::1"}, "full web address"),
    ],
)
def test_a_resource_with_an_impossible_value_is_refused_with_a_message(
    client, auth, statute, overrides, message
):
    auth.as_role("admin")
    response = client.post("/staff/training/resources/new", data={**RESOURCE, **overrides})
    assert response.status_code == 400 and message in text(response)
    assert db.session.scalar(select(TrainingResource)) is None


def test_resource_positions_within_the_range_are_saved(client, auth, statute):
    auth.as_role("admin")
    for position in ("-1000000", "1000000"):
        response = client.post(
            "/staff/training/resources/new", data={**RESOURCE, "position": position}
        )
        assert response.status_code == 303
    positions = db.session.scalars(select(TrainingResource.position)).all()
    assert sorted(positions) == [-1_000_000, 1_000_000]


def test_a_resource_edit_with_a_huge_position_keeps_the_saved_resource(client, auth, statute):
    auth.as_role("admin")
    client.post("/staff/training/resources/new", data=RESOURCE)
    resource = db.session.scalar(select(TrainingResource))
    response = client.post(
        f"/staff/training/resources/{resource.id}/edit",
        data={**RESOURCE, "title": "Changed", "position": str(2**40)},
    )
    assert response.status_code == 400
    db.session.expire_all()
    kept = db.session.get(TrainingResource, resource.id)
    assert (kept.title, kept.position) == ("Trauma course", 0)


def summary_of(topic: Topic) -> str:
    db.session.expire_all()
    return db.session.get(Topic, topic.id).summary


def test_a_topic_description_post_without_the_field_changes_nothing(client, auth, trauma):
    auth.as_role("admin")
    field = f"topic{trauma.id}-summary"
    saved = client.post(f"/staff/training/topics/{trauma.id}/summary", data={field: "Kept."})
    assert saved.status_code == 303 and summary_of(trauma) == "Kept."

    response = client.post(f"/staff/training/topics/{trauma.id}/summary", data={"x": "y"})
    assert response.status_code == 400
    assert "The description was not sent, so nothing was changed." in text(response)
    assert "Kept." in text(response)  # the page still shows the saved description
    assert summary_of(trauma) == "Kept."


def test_a_topic_description_can_still_be_cleared_on_purpose(client, auth, trauma):
    auth.as_role("admin")
    field = f"topic{trauma.id}-summary"
    client.post(f"/staff/training/topics/{trauma.id}/summary", data={field: "Old words."})
    response = client.post(f"/staff/training/topics/{trauma.id}/summary", data={field: ""})
    assert response.status_code == 303 and summary_of(trauma) == ""


def test_a_too_long_topic_description_is_refused_and_keeps_the_saved_one(client, auth, trauma):
    auth.as_role("admin")
    field = f"topic{trauma.id}-summary"
    client.post(f"/staff/training/topics/{trauma.id}/summary", data={field: "Kept."})
    response = client.post(f"/staff/training/topics/{trauma.id}/summary", data={field: "x" * 1001})
    assert response.status_code == 400 and "1000 characters" in text(response)
    assert summary_of(trauma) == "Kept."
