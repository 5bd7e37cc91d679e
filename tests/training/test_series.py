"""Training series documentation (RCW 28A.400.345(3)): its two bases, what is missing,
"met late", versions, verification, and who may issue it."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from summit.clock import today_local
from summit.extensions import db
from summit.models import (
    AuditLog,
    Person,
    PriorExperience,
    PriorExperienceFile,
    StaffUser,
    TrainingSeriesDocumentation,
)
from summit.training.errors import NotEligible, TrainingError
from summit.training.evidence import Evidence
from summit.training.proof import (
    issue_documentation,
    reissue_documentation,
    revoke_documentation,
    verify_documentation,
)
from summit.training.record import training_record
from summit.training.services import record_prior_experience, withdraw_prior_experience
from tests.helpers import (
    EXE_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    accepted,
    attend,
    check_in_training,
    enter_portal,
    hold_event_on,
    on_the_job,
    pdf_text,
    single_spaced,
    text,
    words,
)

SERIES_WORDS = "has completed the training series described in RCW 28A.400.345(2)"
PRIOR_WORDS = "significant prior training and experience, RCW 28A.400.345(3)"


def stored_pdf(app, documentation: TrainingSeriesDocumentation) -> str:
    return single_spaced(
        pdf_text((Path(app.config["STORAGE_DIR"]) / documentation.file_path).read_bytes())
    )


def classroom(person: Person, statute, staff: StaffUser, day: date = date(2024, 3, 1)) -> None:
    """Every subject of the statute list done by accepted self-training on ``day``."""
    for item in statute.items:
        accepted(
            person,
            item.topic_id,
            staff,
            minutes=60,
            completed_on=day,
            title=f"Course on {item.topic.code}",
        )


def job_days(person: Person, staff: StaffUser, *days: date) -> None:
    for day in days or (date(2024, 4, 1), date(2024, 4, 2)):
        on_the_job(person, staff, day)


def check_ins(person: Person, staff: StaffUser, count: int = 6, month: int = 5) -> None:
    for n in range(count):
        check_in_training(person, staff, date(2024, month, 1 + n))


def prior(person: Person, staff: StaffUser, **overrides) -> PriorExperience:
    values = {
        "reviewed": "Basic law enforcement academy transcript; 12 years as a school SRO",
        "reason": "Covers every subject and years of school work",
        "files": [Evidence(PDF_BYTES, "pdf", "application/pdf", "transcript.pdf")],
    }
    values.update(overrides)
    return record_prior_experience(person, staff=staff, **values)


def documents() -> list[TrainingSeriesDocumentation]:
    return list(db.session.scalars(select(TrainingSeriesDocumentation)))


def stored_proofs(app) -> list[Path]:
    folder = Path(app.config["STORAGE_DIR"]) / "proofs"
    return sorted(folder.glob("*")) if folder.exists() else []


# --- the series basis -------------------------------------------------------------------------


def test_refused_until_on_the_job_days_and_check_ins_are_recorded(app, make_person, statute, admin):
    """Classroom subjects alone were enough for the old proof: they are one component of three."""
    person = make_person(role_type="security", assignment_started_on=date(2024, 1, 15))
    classroom(person, statute, admin)

    with pytest.raises(NotEligible) as refused:
        issue_documentation(person, staff=admin)
    message = refused.value.message
    assert "On-the-job training (RCW 28A.400.345(2)(c)): 0 of 2 days recorded, 2 more" in message
    assert (
        "Check-in trainings (RCW 28A.400.345(2)(d)): 0 of 6 check-in trainings recorded, 6 more"
        in message
    )
    assert "Classroom training" not in message  # that component is met
    assert documents() == [] and stored_proofs(app) == []

    job_days(person, admin)
    check_ins(person, admin, count=5)
    with pytest.raises(NotEligible) as refused:
        issue_documentation(person, staff=admin)
    assert "5 of 6 check-in trainings recorded, 1 more needed" in refused.value.message
    assert "On-the-job" not in refused.value.message
    assert documents() == []

    check_in_training(person, admin, date(2024, 6, 3), trainer="Officer Sam Park")
    documentation = issue_documentation(person, staff=admin)
    assert documentation.details["basis"] == "series"
    content = stored_pdf(app, documentation)
    assert "Training series documentation" in content and SERIES_WORDS in content
    assert "Proof of completion" not in content and "waiv" not in content.lower()
    assert "Apr 1, 2024: with Officer Lena Ortiz, at Eisenhower High School" in content
    assert "Jun 3, 2024: with Officer Sam Park" in content
    assert "met Jun 3, 2024" in content and "Met late" not in content
    assert (
        "ESD 105 counts a subject done after 60 minutes on it "
        "(ESD 105 policy; the statute sets no hours)" in content
    )
    action = db.session.scalar(
        select(AuditLog.action).where(AuditLog.action.like("training_series%"))
    )
    assert action == "training_series_documentation.issue"


def test_a_school_resource_officer_has_two_components(app, make_person, statute, admin):
    person = make_person(role_type="sro", assignment_started_on=date(2024, 1, 15))
    classroom(person, statute, admin)
    with pytest.raises(NotEligible, match="On-the-job training"):
        issue_documentation(person, staff=admin)
    job_days(person, admin)
    documentation = issue_documentation(person, staff=admin)
    assert [c["key"] for c in documentation.details["components"]] == ["classroom", "on_the_job"]
    assert "Check-in trainings" not in stored_pdf(app, documentation)


def test_missing_subjects_are_named_with_how_many(make_person, statute, admin):
    person = make_person(role_type="sro")
    job_days(person, admin)
    first = statute.items[0]
    accepted(person, first.topic_id, admin)
    with pytest.raises(NotEligible) as refused:
        issue_documentation(person, staff=admin)
    total = len(statute.items)
    assert f"1 of {total} subjects done, {total - 1} missing" in refused.value.message
    assert statute.items[1].title in refused.value.message
    assert first.title not in refused.value.message


def test_days_without_the_experienced_staff_or_school_do_not_count_and_say_why(
    make_person, statute, admin
):
    """Rows logged before the fields existed stay readable but prove nothing about who or where."""
    person = make_person(role_type="sro")
    classroom(person, statute, admin)
    for day in (date(2024, 4, 1), date(2024, 4, 2)):
        entry = on_the_job(person, admin, day)
        entry.experienced_staff = entry.school = ""  # as an older row
        db.session.commit()
    record = training_record(person)
    assert record.component("on_the_job").done == 0 and record.basis is None
    with pytest.raises(NotEligible) as refused:
        issue_documentation(person, staff=admin)
    assert "2 accepted without the experienced staff and their school do not count" in (
        refused.value.message
    )


def test_met_late_where_a_deadline_passed(app, make_person, statute, admin):
    """Classroom subjects done 7 months after the start: the series is complete, and late."""
    person = make_person(role_type="sro", assignment_started_on=date(2024, 1, 10))
    classroom(person, statute, admin, day=date(2024, 8, 20))
    job_days(person, admin, date(2024, 2, 1), date(2024, 2, 8))
    record = training_record(person)
    classroom_component = record.component("classroom")
    assert classroom_component.due_on == date(2024, 7, 10)
    assert classroom_component.met and classroom_component.late
    assert not record.component("on_the_job").late
    documentation = issue_documentation(person, staff=admin)
    content = stored_pdf(app, documentation)
    assert "met Aug 20, 2024 Jul 10, 2024 Met late" in content
    assert "2 of 2 days, met Feb 8, 2024" in content
    assert "Jan 10, 2025 Met Classroom subjects" in content
    answer = verify_documentation(documentation.verification_code)
    assert [(c["label"], c["late"]) for c in answer["components"]] == [
        ("Classroom training", True),
        ("On-the-job training", False),
    ]


def test_without_a_start_date_no_due_dates_apply(app, make_person, statute, admin):
    person = make_person(role_type="sro", assignment_started_on=None)
    classroom(person, statute, admin)
    job_days(person, admin)
    content = stored_pdf(app, issue_documentation(person, staff=admin))
    assert "No assignment start date was recorded, so no due dates apply." in content
    assert "Met late" not in content


# --- significant prior training and experience -----------------------------------------------


def test_prior_experience_with_evidence_is_a_basis_for_the_documentation(
    app, make_person, statute, admin
):
    person = make_person(role_type="security", first_name="Ruth", last_name="Kline")
    record = prior(person, admin)
    assert [f.filename for f in record.files] == ["transcript.pdf"]
    assert (Path(app.config["STORAGE_DIR"]) / record.files[0].path).read_bytes() == PDF_BYTES

    documentation = issue_documentation(person, staff=admin)
    assert documentation.details["basis"] == "prior_experience"
    content = stored_pdf(app, documentation)
    assert f"is issued this training series documentation on the basis of {PRIOR_WORDS}" in content
    assert "Basic law enforcement academy transcript" in content
    assert "Covers every subject and years of school work" in content
    assert "Not completed" in content  # the series itself is not claimed
    answer = verify_documentation(documentation.verification_code)
    assert answer["basis"] == "prior_experience" and answer["basis_text"] == PRIOR_WORDS
    assert "academy" not in str(answer)  # what staff reviewed is not public


def test_a_withdrawn_prior_experience_is_no_basis(make_person, statute, admin):
    person = make_person()
    record = prior(person, admin)
    withdraw_prior_experience(record, staff=admin)
    assert training_record(person).basis is None
    with pytest.raises(NotEligible):
        issue_documentation(person, staff=admin)
    with pytest.raises(TrainingError, match="already withdrawn"):
        withdraw_prior_experience(record, staff=admin)
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"prior_experience.record", "prior_experience.withdraw"} <= actions


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"reviewed": "  "}, "Say what you reviewed"),
        ({"reason": ""}, "Say why the prior training and experience is significant"),
        ({"files": []}, "Attach what you reviewed"),
    ],
)
def test_prior_experience_needs_what_was_reviewed_why_and_a_file(
    app, make_person, statute, admin, overrides, message
):
    with pytest.raises(TrainingError, match=message):
        prior(make_person(), admin, **overrides)
    assert db.session.scalar(select(func.count()).select_from(PriorExperience)) == 0
    assert not list((Path(app.config["STORAGE_DIR"])).glob("evidence/*/*"))


def test_admin_records_prior_experience_from_the_person_page(
    app, client, auth, make_person, statute
):
    person = make_person()
    auth.as_role("admin")
    page = words(client.get(f"/staff/training/people/{person.id}"))
    assert "Significant prior training and experience" in page and "aiver" not in page
    response = client.post(
        f"/staff/training/people/{person.id}/prior-experience",
        data={
            "reviewed": "CJTC certificate and district letter",
            "reason": "Ten years on school campuses",
            "files": [(io.BytesIO(PDF_BYTES), "cjtc.pdf"), (io.BytesIO(PNG_BYTES), "letter.png")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    record = db.session.scalar(select(PriorExperience))
    assert [f.content_type for f in record.files] == ["application/pdf", "image/png"]
    page = words(client.get(f"/staff/training/people/{person.id}"))
    assert "Reviewed: CJTC certificate and district letter" in page
    assert "Why: Ten years on school campuses" in page
    file_id = record.files[0].id

    auth.sign_out()
    auth.as_role("checkin")
    download = client.get(f"/staff/training/prior-experience/files/{file_id}")
    assert download.status_code == 200 and download.data == PDF_BYTES
    assert download.headers["Content-Disposition"].startswith("attachment")

    auth.sign_out()
    auth.as_role("admin")
    client.post(f"/staff/training/prior-experience/{record.id}/withdraw")
    db.session.refresh(record)
    assert record.withdrawn_at is not None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reviewed": "", "reason": "Ten years"}, "Say what you reviewed."),
        ({"reviewed": "Transcript", "reason": ""}, "Say why the prior training"),
        ({"reviewed": "Transcript", "reason": "Ten years", "files": None},
         "Attach what you reviewed"),
        ({"reviewed": "Transcript", "reason": "Ten years", "files": (EXE_BYTES, "cv.pdf")},
         "must be a PDF, PNG or JPEG"),
    ],
)  # fmt: skip
def test_a_refused_prior_experience_keeps_what_was_typed_and_stores_nothing(
    app, client, auth, make_person, statute, data, message
):
    person = make_person()
    auth.as_role("admin")
    upload = data.pop("files", (PDF_BYTES, "t.pdf"))
    if upload is not None:
        data["files"] = [(io.BytesIO(upload[0]), upload[1])]
    response = client.post(
        f"/staff/training/people/{person.id}/prior-experience",
        data=data,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = text(response)
    assert message in page
    for value in (data["reviewed"], data["reason"]):
        assert value in page
    assert db.session.scalar(select(PriorExperience)) is None
    assert db.session.scalar(select(PriorExperienceFile)) is None
    assert not list((Path(app.config["STORAGE_DIR"])).glob("evidence/*/*"))


def test_checkin_staff_cannot_record_or_withdraw_prior_experience(
    client, auth, make_person, statute, admin
):
    person = make_person()
    record = prior(person, admin)
    auth.as_role("checkin")
    page = words(client.get(f"/staff/training/people/{person.id}"))
    assert "Record significant prior training and experience" not in page
    response = client.post(
        f"/staff/training/people/{person.id}/prior-experience",
        data={"reviewed": "x", "reason": "y", "files": [(io.BytesIO(PDF_BYTES), "a.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert client.post(f"/staff/training/prior-experience/{record.id}/withdraw").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(PriorExperience)) == 1


# --- issuing from the staff pages -------------------------------------------------------------


def test_admin_issue_is_refused_with_what_is_missing(app, client, auth, make_person, statute):
    person = make_person(role_type="security")
    auth.as_role("admin")
    response = client.post(
        f"/staff/training/people/{person.id}/documentation", follow_redirects=True
    )
    page = words(response)
    assert "no training series documentation was issued" in page
    assert (
        f"Classroom training (RCW 28A.400.345(2)(b)): 0 of {len(statute.items)} subjects done"
        in page
    )
    assert "On-the-job training (RCW 28A.400.345(2)(c)): 0 of 2 days recorded" in page
    assert "Check-in trainings (RCW 28A.400.345(2)(d)): 0 of 6" in page
    assert documents() == [] and stored_proofs(app) == []


def test_admin_issues_and_the_person_downloads_checkin_staff_cannot_issue(
    app, client, auth, make_person, statute, admin
):
    person = make_person(role_type="sro")
    classroom(person, statute, admin)
    job_days(person, admin)

    auth.as_role("checkin")
    assert client.post(f"/staff/training/people/{person.id}/documentation").status_code == 403
    assert "Issue training series documentation" not in text(
        client.get(f"/staff/training/people/{person.id}")
    )
    assert documents() == []

    auth.sign_out()
    auth.as_role("admin")
    page = words(client.get(f"/staff/training/people/{person.id}"))
    assert "The training series is complete" in page
    assert client.post(f"/staff/training/people/{person.id}/documentation").status_code == 303
    (documentation,) = documents()
    staff_pdf = client.get(f"/staff/training/documentation/{documentation.id}.pdf")
    assert staff_pdf.status_code == 200
    assert f"{documentation.serial}-v1.pdf" in staff_pdf.headers["Content-Disposition"]

    attendee = app.test_client()
    enter_portal(attendee, person)
    assert documentation.serial in text(attendee.get("/my/training/"))
    own = attendee.get(f"/my/training/documentation/{documentation.id}.pdf")
    assert own.status_code == 200 and own.data == staff_pdf.data
    stranger = app.test_client()
    enter_portal(stranger, make_person())
    assert stranger.get(f"/my/training/documentation/{documentation.id}.pdf").status_code == 404

    auth.sign_out()
    auth.as_role("checkin")
    for action in ("reissue", "revoke"):
        url = f"/staff/training/documentation/{documentation.id}/{action}"
        assert client.post(url, data={"reason": "x"}).status_code == 403
    revoke_documentation(documentation, staff=admin, reason="Issued in error.")
    assert attendee.get(f"/my/training/documentation/{documentation.id}.pdf").status_code == 404


# --- versions, verification, old documents ---------------------------------------------------


def test_a_reissue_is_a_new_version_and_supersedes_the_old(
    app, client, make_person, statute, admin
):
    person = make_person(role_type="sro", first_name="Sam", last_name="Reyes")
    classroom(person, statute, admin)
    job_days(person, admin)
    first = issue_documentation(person, staff=admin)
    assert first.serial.startswith(f"S5-POC-{today_local().year}-") and first.version == 1
    with pytest.raises(TrainingError, match="already valid"):
        issue_documentation(person, staff=admin)

    second = reissue_documentation(first, staff=admin)
    assert (second.serial, second.version) == (first.serial, 2)
    assert second.verification_code != first.verification_code
    assert first.revoked_reason == "Superseded by version 2."
    assert first.file_path != second.file_path
    old = verify_documentation(first.verification_code)
    assert old["status"] == "revoked" and old["superseded"]
    new = verify_documentation(second.verification_code.lower())
    assert new["status"] == "valid" and new["version"] == 2
    assert new["kind"] == "training_series_documentation"
    assert new["title"] == "Training series documentation"
    assert new["basis_text"] == "completed the training series described in RCW 28A.400.345(2)"
    assert "email" not in new and person.email not in str(new)

    page = words(client.get(f"/verify/{second.verification_code}"))
    assert "Valid training series documentation" in page and "Sam Reyes" in page
    assert "Basis completed the training series described in RCW 28A.400.345(2)" in page
    assert "proof of completion" not in page.lower()
    # A document has no sessions of its own: it says where each subject was done.
    assert "Where it was done" in page and "self-training reviewed by ESD staff" in page
    assert "Sessions attended" not in page and "Not covered by this certificate" not in page
    old_page = words(client.get(f"/verify/{first.verification_code}"))
    assert "Revoked training series documentation" in old_page and "newer version" in old_page


def test_a_document_issued_under_the_old_rule_stays_as_printed_and_is_reissued_with_new_words(
    app, make_person, statute, admin
):
    person = make_person(role_type="sro")
    old = TrainingSeriesDocumentation(
        person=person,
        curriculum_id=statute.id,
        serial="S5-POC-2026-000007",
        verification_code="A" * 32,
        details={"name": person.full_name, "topics": [{"title": "FERPA", "status": "waived"}]},
        file_path="proofs/S5-POC-2026-000007.pdf",
        issued_by_id=admin.id,
    )
    db.session.add(old)
    db.session.commit()
    archived = Path(app.config["STORAGE_DIR"]) / old.file_path
    archived.parent.mkdir(parents=True, exist_ok=True)
    archived.write_bytes(b"%PDF-1.7 the archived print")

    answer = verify_documentation(old.verification_code)
    assert answer["status"] == "valid" and answer["basis"] is None
    assert answer["basis_text"].startswith("Issued for classroom subjects only")
    assert answer["topics"][0]["complete"] is False  # a waived topic was not completed

    with pytest.raises(NotEligible):  # the record has no basis today
        reissue_documentation(old, staff=admin)
    db.session.rollback()
    assert archived.read_bytes() == b"%PDF-1.7 the archived print"

    classroom(person, statute, admin)
    job_days(person, admin)
    new = reissue_documentation(db.session.get(TrainingSeriesDocumentation, old.id), staff=admin)
    assert (new.serial, new.version) == ("S5-POC-2026-000007", 2)
    assert SERIES_WORDS in stored_pdf(app, new)
    assert archived.read_bytes() == b"%PDF-1.7 the archived print"


def test_every_word_on_the_staff_and_portal_pages_says_training_series_documentation(
    app, client, auth, make_person, statute, admin
):
    person = make_person()
    prior(person, admin)
    issue_documentation(person, staff=admin)
    auth.as_role("admin")
    staff_page = words(client.get(f"/staff/training/people/{person.id}"))
    attendee = app.test_client()
    enter_portal(attendee, person)
    portal_page = words(attendee.get("/my/training/"))
    for page in (staff_page, portal_page):
        assert "Training series documentation" in page
        assert "roof of completion" not in page and "aiver" not in page and "aived" not in page


def test_subjects_done_at_the_summit_carry_the_day_of_their_session(
    app, make_event, make_registration, make_person, statute, admin, make_staff
):
    person = make_person(role_type="sro", assignment_started_on=date(2025, 1, 6))
    event = make_event(starts_on=date(2025, 6, 17))
    hold_event_on(event, event.starts_on)
    attend(make_registration(event=event, person=person), staff=make_staff("checkin"))
    job_days(person, admin)
    record = training_record(person)
    days = {topic.completed_on for topic in record.topics}
    assert days == {date(2025, 6, 17), date(2025, 6, 18)}  # each session's own day
    first = record.topics[0]
    documentation = issue_documentation(person, staff=admin)
    assert documentation.details["topics"][0]["completed_on"] == "2025-06-17"
    assert first.completed_on == date(2025, 6, 17) != event.ends_on
    content = stored_pdf(app, documentation)
    assert "met Jun 18, 2025" in content  # the classroom component: the last session's day


def test_the_portal_says_when_documentation_may_be_requested(client, make_person, statute, admin):
    person = make_person(role_type="sro")
    enter_portal(client, person)
    assert "You may request training series documentation" not in words(client.get("/my/training/"))
    classroom(person, statute, admin)
    job_days(person, admin)
    page = words(client.get("/my/training/"))
    assert "Every component of the training series (RCW 28A.400.345(2)) is met." in page
    assert "You may request training series documentation from ESD 105" in page
    issue_documentation(person, staff=admin)
    assert "You may request" not in words(client.get("/my/training/"))
