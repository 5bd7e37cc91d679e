"""The ESD's self-training policy, set by an admin in the browser (no new setting, no developer)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from summit.extensions import db
from summit.models import AuditLog, TrainingPolicy
from summit.training.record import training_record
from tests.helpers import accepted, words

PAGE = "/staff/training/policy"


def trauma_status(person, trauma) -> str:
    db.session.expire_all()
    record = training_record(person)
    return next(t.status for t in record.topics if t.topic_id == trauma.id)


def test_an_admin_raises_the_minutes_and_every_record_follows(
    client, auth, make_person, trauma, admin
):
    person = make_person()
    accepted(person, trauma.id, admin, minutes=60)
    assert trauma_status(person, trauma) == "done"
    staff = auth.as_role("admin")
    form = client.get(PAGE)
    assert form.status_code == 200
    assert "after 60 minutes" in words(form) and "nobody has changed it here yet" in words(form)
    response = client.post(PAGE, data={"required_minutes": "90"})
    assert response.status_code == 303
    saved = words(client.get(PAGE))
    assert "The self-training policy is saved." in saved and "after 90 minutes" in saved
    assert f"by {staff.email}" in saved
    assert "after 90 minutes" in words(client.get("/training"))
    assert trauma_status(person, trauma) == "missing"  # 60 of 90 minutes now
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "training.policy"))
    assert entry.before == {"required_minutes": 60} and entry.after == {"required_minutes": 90}


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "between 1 and 600"), ("601", "between 1 and 600"), ("", "Give a number of minutes.")],
)
def test_bad_minutes_are_refused_beside_the_field(client, auth, value, message):
    auth.as_role("admin")
    client.post(PAGE, data={"required_minutes": "45"})
    response = client.post(PAGE, data={"required_minutes": value})
    assert response.status_code == 400
    assert message in words(response) and "Nothing was saved." in words(response)
    assert db.session.get(TrainingPolicy, 1).required_minutes == 45


def test_only_admins_open_or_change_the_policy(client, auth):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]
    auth.as_role("checkin")
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data={"required_minutes": "5"}).status_code == 403
    assert "Self-training policy" not in words(client.get("/staff/training/"))
    assert db.session.scalar(select(TrainingPolicy)) is None
