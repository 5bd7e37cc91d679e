"""The self-training log in the portal: add, edit, delete while unreviewed; evidence uploads."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from summit.clock import today_local
from summit.extensions import db
from summit.models import AuditLog, SelfTrainingEntry, Topic
from summit.training.services import review_entry
from tests.helpers import (
    EXE_BYTES,
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    enter_portal,
    log,
    text,
)


@pytest.fixture
def person(make_person, statute):
    return make_person()


def form(topic, **overrides):
    data = {
        "kind": "topic",
        "topic_id": str(topic.id),
        "completed_on": "2024-05-02",
        "title": "Trauma-informed policing module",
        "url": "https://ospi.k12.wa.us/trauma",
        "minutes": "60",
        "note": "Took it on a training day.",
    }
    data.update(overrides)
    return data


def post_entry(client, data, file: tuple[bytes, str] | None = None, url="/my/training/entries/new"):
    if file is not None:
        data = {**data, "evidence": (io.BytesIO(file[0]), file[1])}
    return client.post(url, data=data, content_type="multipart/form-data")


def entries():
    return db.session.scalars(select(SelfTrainingEntry)).all()


def stored_files(app) -> list[Path]:
    root = Path(app.config["STORAGE_DIR"]) / "evidence"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_log_needs_a_portal_session(client, statute):
    # the training start works for people who never registered, unlike the portal sign-in
    response = client.get("/my/training/entries/new")
    assert response.status_code == 302 and "/training/start" in response.headers["Location"]
    assert client.get("/my/training/").status_code == 302


def test_an_entry_with_pdf_evidence_is_stored_and_served_to_its_owner_only(
    app, client, person, trauma, make_person, auth
):
    enter_portal(client, person)
    response = post_entry(client, form(trauma), (PDF_BYTES, "My certificate.pdf"))
    assert response.status_code == 303, text(response)
    (entry,) = entries()
    assert (entry.status, entry.kind, entry.topic_id, entry.minutes) == (
        "submitted",
        "topic",
        trauma.id,
        60,
    )
    assert entry.completed_on == date(2024, 5, 2)
    assert entry.evidence_content_type == "application/pdf"
    assert entry.evidence_filename == "My certificate.pdf"
    assert entry.evidence_path.startswith(f"evidence/{person.id}/")
    assert entry.evidence_path.endswith(".pdf") and "certificate" not in entry.evidence_path
    path = Path(app.config["STORAGE_DIR"]) / entry.evidence_path
    assert path.read_bytes() == PDF_BYTES
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "self_training.create"))

    page = text(client.get("/my/training/"))
    assert "Trauma-informed policing module" in page and "Waiting for review" in page

    download = client.get(f"/my/training/entries/{entry.id}/evidence")
    assert download.status_code == 200 and download.data == PDF_BYTES
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")

    other = app.test_client()
    enter_portal(other, make_person())
    assert other.get(f"/my/training/entries/{entry.id}/evidence").status_code == 404
    assert other.get(f"/my/training/entries/{entry.id}/edit").status_code == 404

    staff = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(staff).as_role("checkin")
    served = staff.get(f"/staff/training/entries/{entry.id}/evidence")
    assert served.status_code == 200 and served.data == PDF_BYTES
    assert served.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(
    ("content", "name", "extension", "content_type"),
    [
        (PNG_BYTES, "screenshot.png", "png", "image/png"),
        (JPEG_BYTES, "photo.jpeg", "jpg", "image/jpeg"),
        (PNG_BYTES, "looks-like.pdf", "png", "image/png"),  # the content decides, not the name
    ],
)
def test_uploads_are_typed_by_content(
    client, person, trauma, content, name, extension, content_type
):
    enter_portal(client, person)
    assert post_entry(client, form(trauma), (content, name)).status_code == 303
    (entry,) = entries()
    assert entry.evidence_content_type == content_type
    assert entry.evidence_path.endswith(f".{extension}")
    assert entry.evidence_filename.endswith(f".{extension}")


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (EXE_BYTES, "certificate.pdf", "must be a PDF, PNG or JPEG"),
        (b"<html><script>alert(1)</script>", "certificate.png", "must be a PDF, PNG or JPEG"),
        (b"GIF89a" + b"\x00" * 20, "anim.gif", "must be a PDF, PNG or JPEG"),
        (b"", "empty.pdf", "is empty"),
        (b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024), "big.pdf", "too large"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(
    app, client, person, trauma, content, name, message
):
    enter_portal(client, person)
    response = post_entry(client, form(trauma), (content, name))
    assert response.status_code == 400
    assert message in text(response)
    assert entries() == [] and stored_files(app) == []


def test_the_size_limit_is_configurable(make_app, make_person, curricula):
    app = make_app(EVIDENCE_MAX_BYTES=100)
    with app.app_context():
        client = app.test_client()
        enter_portal(client, make_person())
        topic = db.session.scalar(select(Topic).where(Topic.code == "trauma"))
        response = post_entry(client, form(topic), (PDF_BYTES + b"x" * 100, "c.pdf"))
        assert response.status_code == 400 and "too large" in text(response)
        assert post_entry(client, form(topic), (PDF_BYTES, "c.pdf")).status_code == 303


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"url": "not a link"}, "full web address"),
        ({"url": "javascript:alert(1)"}, "full web address"),
        ({"url": "ftp://files.example.org/x"}, "full web address"),
        ({"url": ""}, "web address"),
        ({"completed_on": "2018-12-31"}, "before January 1, 2019"),
        ({"completed_on": "someday"}, "Not a valid date value"),
        ({"minutes": "0"}, "more than zero"),
        ({"minutes": "-5"}, "more than zero"),
        ({"title": ""}, "Enter the title"),
        ({"topic_id": ""}, "Choose the topic"),
        ({"topic_id": "999999"}, "Choose the topic"),
        ({"topic_id": str(2**31)}, "Choose the topic"),
        ({"topic_id": str(2**63)}, "Choose the topic"),
        ({"topic_id": "-1"}, "Choose the topic"),
        ({"topic_id": "abc"}, "Choose the topic"),
        ({"url": "https://[::1"}, "full web address"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_stored(
    app, client, person, trauma, overrides, message
):
    enter_portal(client, person)
    response = post_entry(client, form(trauma, **overrides), (PDF_BYTES, "c.pdf"))
    assert response.status_code == 400
    assert message in text(response)
    assert entries() == [] and stored_files(app) == []


def test_a_future_date_is_refused(app, client, person, trauma):
    enter_portal(client, person)
    tomorrow = (today_local() + timedelta(days=1)).isoformat()
    response = post_entry(client, form(trauma, completed_on=tomorrow), (PDF_BYTES, "c.pdf"))
    assert response.status_code == 400
    assert "cannot be in the future" in text(response)
    assert entries() == [] and stored_files(app) == []
    today = today_local().isoformat()
    assert post_entry(client, form(trauma, completed_on=today)).status_code == 303


def test_on_the_job_days_need_no_topic_or_link_but_the_experienced_staff_and_school(
    client, person, trauma
):
    """RCW 28A.400.345(2)(c): "with experienced safety and security staff, at the school
    of the experienced staff"; the entry says who and where, or it is refused."""
    enter_portal(client, person)
    data = form(
        trauma, kind="on_the_job", url="", title="Day with the campus safety team", minutes="420"
    )
    refused = post_entry(client, data)
    assert refused.status_code == 400
    assert "name of the experienced safety and security staff member" in text(refused)
    refused = post_entry(client, {**data, "experienced_staff": "Officer Lena Ortiz"})
    assert refused.status_code == 400 and "Enter the school" in text(refused)
    assert entries() == []
    data.update(experienced_staff=" Officer Lena Ortiz ", school="Eisenhower High School")
    assert post_entry(client, data).status_code == 303
    (entry,) = entries()
    assert (entry.kind, entry.topic_id, entry.url) == ("on_the_job", None, "")
    assert (entry.experienced_staff, entry.school) == (
        "Officer Lena Ortiz",
        "Eisenhower High School",
    )
    page = text(client.get("/my/training/"))
    assert "with Officer Lena Ortiz at Eisenhower High School" in page


def test_a_check_in_training_names_the_experienced_staff_and_needs_no_school(
    client, person, trauma
):
    enter_portal(client, person)
    data = form(
        trauma,
        kind="check_in_training",
        url="",
        title="Check-in",
        minutes="30",
        school="Ignored High",
    )
    refused = post_entry(client, data)
    assert refused.status_code == 400 and "experienced safety and security staff" in text(refused)
    assert post_entry(client, {**data, "experienced_staff": "Sgt. Maria Chen"}).status_code == 303
    (entry,) = entries()
    assert (entry.experienced_staff, entry.school) == ("Sgt. Maria Chen", "")


def test_a_classroom_subject_keeps_no_trainer_or_school(client, person, trauma):
    enter_portal(client, person)
    data = form(trauma, experienced_staff="Someone", school="Somewhere")
    assert post_entry(client, data).status_code == 303
    (entry,) = entries()
    assert (entry.experienced_staff, entry.school) == ("", "")


def test_an_unreviewed_entry_can_be_edited_and_its_evidence_replaced(app, client, person, trauma):
    enter_portal(client, person)
    post_entry(client, form(trauma), (PDF_BYTES, "first.pdf"))
    (entry,) = entries()
    first_file = Path(app.config["STORAGE_DIR"]) / entry.evidence_path
    assert client.get(f"/my/training/entries/{entry.id}/edit").status_code == 200
    response = post_entry(
        client,
        form(trauma, minutes="90", title="Module, long version"),
        (PNG_BYTES, "second.png"),
        url=f"/my/training/entries/{entry.id}/edit",
    )
    assert response.status_code == 303
    db.session.refresh(entry)
    assert (entry.minutes, entry.title, entry.evidence_content_type) == (
        90,
        "Module, long version",
        "image/png",
    )
    assert not first_file.exists()
    assert stored_files(app) == [Path(app.config["STORAGE_DIR"]) / entry.evidence_path]


def test_a_bad_edit_changes_nothing(client, person, trauma):
    enter_portal(client, person)
    post_entry(client, form(trauma))
    (entry,) = entries()
    response = post_entry(
        client, form(trauma, completed_on="2010-01-01"), url=f"/my/training/entries/{entry.id}/edit"
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(SelfTrainingEntry, entry.id).completed_on == date(2024, 5, 2)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"topic_id": str(2**63)}, "Choose the topic"),
        ({"topic_id": str(2**31)}, "Choose the topic"),
        ({"url": "https://[::1"}, "full web address"),
    ],
)
def test_an_edit_with_an_impossible_topic_or_link_is_refused_and_keeps_the_entry(
    client, person, trauma, overrides, message
):
    entry = log(person, trauma.id, title="Saved title")
    enter_portal(client, person)
    response = post_entry(
        client,
        form(trauma, title="Changed title", **overrides),
        url=f"/my/training/entries/{entry.id}/edit",
    )
    assert response.status_code == 400 and message in text(response)
    db.session.expire_all()
    kept = db.session.get(SelfTrainingEntry, entry.id)
    assert (kept.title, kept.topic_id) == ("Saved title", trauma.id)


def test_an_unreviewed_entry_can_be_deleted_with_its_file(app, client, person, trauma):
    enter_portal(client, person)
    post_entry(client, form(trauma), (PDF_BYTES, "c.pdf"))
    (entry,) = entries()
    response = client.post(f"/my/training/entries/{entry.id}/delete")
    assert response.status_code == 303
    assert entries() == [] and stored_files(app) == []
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "self_training.delete"))


@pytest.mark.parametrize("accept", [True, False])
def test_a_reviewed_entry_can_be_neither_edited_nor_deleted(
    client, person, trauma, make_staff, accept
):
    entry = log(person, trauma.id)
    review_entry(entry, staff=make_staff("admin"), accept=accept, comment="checked")
    enter_portal(client, person)

    response = client.post(f"/my/training/entries/{entry.id}/delete", follow_redirects=True)
    assert "can no longer be deleted" in text(response)
    edit = post_entry(
        client, form(trauma, minutes="999"), url=f"/my/training/entries/{entry.id}/edit"
    )
    assert edit.status_code == 302
    db.session.expire_all()
    kept = db.session.get(SelfTrainingEntry, entry.id)
    assert kept is not None and kept.minutes == 60
    assert db.session.scalar(select(func.count(SelfTrainingEntry.id))) == 1


def test_another_persons_entry_cannot_be_deleted(client, person, trauma, make_person):
    entry = log(make_person(), trauma.id)
    enter_portal(client, person)
    assert client.post(f"/my/training/entries/{entry.id}/delete").status_code == 404
    assert db.session.get(SelfTrainingEntry, entry.id) is not None


def test_the_form_is_accessible_and_prefills_the_topic(client, person, trauma):
    enter_portal(client, person)
    page = text(client.get(f"/my/training/entries/new?topic={trauma.id}"))
    for field_id in (
        "kind",
        "topic_id",
        "completed_on",
        "title",
        "url",
        "minutes",
        "note",
        "evidence",
    ):
        assert f'for="{field_id}"' in page and f'id="{field_id}"' in page
    assert 'enctype="multipart/form-data"' in page
    assert f'<option selected value="{trauma.id}">' in page
    assert 'min="2019-01-01"' in page


def test_the_evidence_input_is_labelled_and_shows_the_chosen_name(client, person):
    enter_portal(client, person)
    page = text(client.get("/my/training/entries/new"))
    assert (
        '<label class="form-label" for="evidence">Evidence (certificate or screenshot)</label>'
        in page
    )
    field = re.search(r'<input[^>]*type="file"[^>]*>', page).group(0)
    assert 'id="evidence"' in field
    assert "file-input" in field  # full width, whatever the column
    assert 'data-chosen="evidence-chosen"' in field
    assert 'id="evidence-chosen" aria-live="polite"' in page
    script = re.search(r'<script type="module" src="([^"]*file-inputs.js)"', page).group(1)
    served = client.get(script)
    assert served.status_code == 200
    assert b"Chosen: " in served.data
