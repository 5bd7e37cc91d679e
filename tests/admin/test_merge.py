"""Merging two people who are the same person: what moves, what is refused, who may."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from summit.admin.history import describe as describe_history
from summit.admin.merge import MergeRefused, merge_people
from summit.auth.links import PLACEHOLDER_PREFIX, portal_token, sign_portal_links
from summit.certificates.services import issue_certificate
from summit.extensions import db
from summit.mail import queue_person_email
from summit.models import (
    AuditLog,
    Checkin,
    Person,
    PriorExperience,
    RecordShare,
    Registration,
    TrainingSeriesDocumentation,
)
from summit.training.evidence import Evidence
from summit.training.proof import issue_documentation
from summit.training.record import training_record
from summit.training.services import record_prior_experience
from summit.training.shares import create_share
from tests.helpers import PDF_BYTES, attend, log, outbox, reload, topic, words


@pytest.fixture
def twins(make_event, make_person, make_registration):
    """Jordan Lee registered this year under the agency address and last year under a
    personal one, with a certificate and self-training on the personal record."""
    this_year, last_year = make_event(), make_event()
    kept = make_person(
        first_name="Jordan",
        last_name="Lee",
        email="jordan.lee@yakimapd.example",
        phone="",
        agency="Yakima Police Department",
    )
    other = make_person(
        first_name="Jordan",
        last_name="Lee",
        email="jlee@home.example",
        phone="509-555-0142",
        agency="",
        job_title="School resource officer",
    )
    current = make_registration(event=this_year, person=kept)
    old = make_registration(event=last_year, person=other)
    attend(old)
    certificate = issue_certificate(old).certificate
    return kept, other, current, old, certificate


def merge_url(registration: Registration | int, person: Person | int) -> str:
    registration_id = getattr(registration, "id", registration)
    return f"/staff/registrations/{registration_id}/merge/{getattr(person, 'id', person)}"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- the service --------------------------------------------------------------------------


def test_everything_follows_the_survivor_and_the_other_person_is_gone(
    app, twins, make_staff, curricula
):
    kept, other, current, old, certificate = twins
    admin = make_staff("admin")
    entry = log(other, topic("civil-rights").id, title="OSPI civil rights module")
    record_prior_experience(
        other,
        reviewed="Academy transcript",
        reason="12 years as an SRO",
        files=[Evidence(PDF_BYTES, "pdf", "application/pdf", "t.pdf")],
        staff=admin,
    )
    documentation = issue_documentation(other, staff=admin)
    share, _token = create_share(other)
    scans = db.session.scalar(
        select(func.count(Checkin.id)).where(Checkin.registration_id == old.id)
    )
    other_id, code = other.id, certificate.verification_code

    result = merge_people(kept.id, other_id, actor=admin)

    assert result.merged_in == "Jordan Lee <jlee@home.example>"
    assert result.moved == (
        f"1 registration, {scans} check-ins, 1 certificate, 1 training entry, "
        "1 prior experience record, 1 training series document, 1 share link"
    )
    assert db.session.get(Person, other_id) is None
    assert {
        r.id
        for r in db.session.scalars(select(Registration).where(Registration.person_id == kept.id))
    } == {current.id, old.id}
    assert reload(entry).person_id == kept.id
    assert db.session.scalar(select(PriorExperience.person_id)) == kept.id
    assert reload(documentation).person_id == kept.id
    assert db.session.get(RecordShare, share.id).person_id == kept.id
    # Scans still belong to the moved registration, so the credit is the survivor's now.
    assert (
        db.session.scalar(select(func.count(Checkin.id)).where(Checkin.registration_id == old.id))
        == scans
    )
    record = training_record(reload(kept))
    assert record.for_topic(topic("trauma").id).is_done
    # The empty phone and job title were filled in; the kept email and agency stay.
    kept = reload(kept)
    assert (kept.email, kept.phone, kept.agency, kept.job_title) == (
        "jordan.lee@yakimapd.example",
        "509-555-0142",
        "Yakima Police Department",
        "School resource officer",
    )
    assert reload(certificate).verification_code == code


def test_the_certificate_stays_verifiable_with_the_name_it_printed(client, twins, make_staff):
    kept, other, _current, _old, certificate = twins
    kept.first_name = "Jordan A."
    db.session.commit()
    serial, code = certificate.serial, certificate.verification_code
    merge_people(kept.id, other.id, actor=make_staff("admin"))
    answer = client.get(f"/verify/{code}.json").get_json()
    assert answer["status"] == "valid"
    assert answer["serial"] == serial and answer["name"] == "Jordan Lee"


def test_each_registration_and_the_survivor_say_who_was_merged_in(app, twins, make_staff):
    kept, other, current, old, _certificate = twins
    merge_people(kept.id, other.id, actor=make_staff("admin"))
    for registration in (current, old):
        entry = db.session.scalar(
            select(AuditLog).where(
                AuditLog.action == "registration.merge",
                AuditLog.object_type == "registration",
                AuditLog.object_id == registration.id,
            )
        )
        described = describe_history(entry)
        assert described.title == "Merged with another person"
        assert "Merged with: Jordan Lee <jlee@home.example>" in described.changes
        assert any(line.startswith("Moved here: 1 registration,") for line in described.changes)
        assert "Details filled in: Phone: 509-555-0142, Job title: School resource officer" in (
            described.changes
        )
    person_row = db.session.scalar(select(AuditLog).where(AuditLog.action == "person.merge"))
    assert person_row.object_id == kept.id
    assert person_row.after["removed_person"]["email"] == "jlee@home.example"


def test_the_removed_email_no_longer_signs_in(client, twins, make_staff):
    kept, other, *_ = twins
    old_link = f"/my/enter/{portal_token(other)}"
    merge_people(kept.id, other.id, actor=make_staff("admin"))
    assert client.get(old_link).status_code == 400
    client.post("/my/sign-in", data={"email": "jlee@home.example"})
    assert outbox("portal_link") == []
    client.post("/my/sign-in", data={"email": "jordan.lee@yakimapd.example"})
    assert [m.recipient for m in outbox("portal_link")] == ["jordan.lee@yakimapd.example"]


def test_a_link_still_queued_for_the_removed_person_opens_the_sign_in_page(
    client, twins, make_staff
):
    kept, other, *_ = twins
    queue_person_email(other, "portal_link")
    db.session.commit()
    merge_people(kept.id, other.id, actor=make_staff("admin"))
    [message] = outbox("portal_link")
    assert f"{PLACEHOLDER_PREFIX}{other.id}" in message.text_body
    sent = sign_portal_links(message.text_body, message.recipient)
    assert "/my/enter/" not in sent and "/my/sign-in" in sent


def test_a_signed_in_removed_person_is_signed_out(client, twins, make_staff):
    kept, other, *_ = twins
    client.get(f"/my/enter/{portal_token(other)}")
    assert client.get("/my/").status_code == 200
    merge_people(kept.id, other.id, actor=make_staff("admin"))
    response = client.get("/my/")
    assert response.status_code == 302 and "/my/sign-in" in response.headers["Location"]


def test_two_live_registrations_for_one_event_are_refused(
    app, twins, make_registration, make_staff
):
    kept, other, current, *_ = twins
    make_registration(event=current.event, person=other, state="waitlisted")
    admin = make_staff("admin")
    before = count(Registration), count(AuditLog)
    with pytest.raises(MergeRefused, match=r"Both are registered for .*cancel one"):
        merge_people(kept.id, other.id, actor=admin)
    assert (count(Registration), count(AuditLog)) == before
    assert db.session.get(Person, other.id) is not None


def test_a_cancelled_registration_for_the_same_event_moves_as_history(
    app, twins, make_registration, make_staff
):
    kept, other, current, *_ = twins
    cancelled = make_registration(event=current.event, person=other, state="cancelled")
    merge_people(kept.id, other.id, actor=make_staff("admin"))
    assert reload(cancelled).person_id == kept.id
    assert reload(current).state == "confirmed"


def test_two_valid_training_series_documents_are_refused(app, make_person, make_staff, curricula):
    admin = make_staff("admin")
    people = [make_person(), make_person()]
    for person in people:
        record_prior_experience(
            person,
            reviewed="Transcript",
            reason="Long service",
            files=[Evidence(PDF_BYTES, "pdf", "application/pdf", "t.pdf")],
            staff=admin,
        )
        issue_documentation(person, staff=admin)
    with pytest.raises(MergeRefused, match="training series documentation"):
        merge_people(people[0].id, people[1].id, actor=admin)
    assert count(TrainingSeriesDocumentation) == 2 and count(Person) == 2


def test_a_person_is_never_merged_with_themselves(app, make_person, make_staff):
    person = make_person()
    with pytest.raises(MergeRefused, match="themselves"):
        merge_people(person.id, person.id, actor=make_staff("admin"))
    assert reload(person) is not None


# --- the pages ----------------------------------------------------------------------------


def test_search_compare_and_merge_through_the_pages(client, auth, twins):
    kept, other, current, old, _certificate = twins
    auth.as_role("admin")
    detail = words(client.get(f"/staff/registrations/{current.id}"))
    assert "Merge with another person…" in detail
    found = client.get(f"/staff/registrations/{current.id}/merge?q=JLEE@home")
    assert found.status_code == 200
    assert "Compare with Jordan Lee" in words(found) and "jlee@home.example" in words(found)
    assert "jordan.lee@yakimapd.example" not in words(found)  # not the registration's own person
    compare = words(client.get(merge_url(current, other)))
    assert "Merge Jordan Lee and Jordan Lee?" in compare
    assert old.event.name in compare and "509-555-0142" in compare
    assert "Keep Jordan Lee <jordan.lee@yakimapd.example>" in compare

    response = client.post(merge_url(current, other), data={"survivor": str(other.id)})

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/registrations/{current.id}")
    page = words(client.get(f"/staff/registrations/{current.id}"))
    assert "Merged Jordan Lee <jordan.lee@yakimapd.example> into Jordan Lee's record" in page
    assert "Merged with another person" in page
    assert "Merged with: Jordan Lee <jordan.lee@yakimapd.example>" in page
    assert "jlee@home.example" in page  # the survivor's email is the one kept
    assert db.session.get(Person, kept.id) is None


def test_search_wildcards_are_taken_literally(client, auth, twins):
    _kept, _other, current, *_ = twins
    auth.as_role("admin")
    assert "Nobody else matches" in words(
        client.get(f"/staff/registrations/{current.id}/merge?q=%25")
    )


def test_a_too_long_search_is_refused_beside_the_field(client, auth, twins):
    _kept, _other, current, *_ = twins
    auth.as_role("admin")
    response = client.get(f"/staff/registrations/{current.id}/merge?q={'x' * 201}")
    assert response.status_code == 400
    assert 'id="q-error"' in response.get_data(as_text=True)


def test_the_compare_page_shows_why_not_and_offers_no_button(
    client, auth, twins, make_registration
):
    kept, other, current, *_ = twins
    make_registration(event=current.event, person=other, state="pending_approval")
    auth.as_role("admin")
    response = client.get(merge_url(current, other))
    assert response.status_code == 409
    assert "cancel one of the two registrations first" in words(response)
    assert "Merge the two people" not in words(response)
    refused = client.post(merge_url(current, other), data={"survivor": str(kept.id)})
    assert refused.status_code == 409
    assert "cancel one of the two registrations first" in words(refused)
    assert db.session.get(Person, other.id) is not None


def test_self_merge_is_refused_on_the_page(client, auth, twins):
    kept, _other, current, *_ = twins
    auth.as_role("admin")
    assert client.get(merge_url(current, kept)).status_code == 409
    response = client.post(merge_url(current, kept), data={"survivor": str(kept.id)})
    assert response.status_code == 409 and "themselves" in words(response)
    assert reload(kept) is not None


@pytest.mark.parametrize("survivor", ["", "0", "abc", "99999"])
def test_a_bad_choice_is_shown_beside_the_field(client, auth, twins, survivor):
    _kept, other, current, *_ = twins
    auth.as_role("admin")
    before = count(AuditLog)
    response = client.post(merge_url(current, other), data={"survivor": survivor})
    assert response.status_code == 400
    assert "Choose who is kept: one of the two people." in words(response)
    assert 'id="survivor-error"' in response.get_data(as_text=True)
    assert count(Person) == 2 and count(AuditLog) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_ids_are_404(client, auth, twins, method):
    _kept, other, current, *_ = twins
    auth.as_role("admin")
    call = getattr(client, method)
    assert call(merge_url(current, 987654)).status_code == 404
    assert call(merge_url(987654, other)).status_code == 404
    assert client.get(merge_url(current, 2**70)).status_code == 404
    assert client.get("/staff/registrations/987654/merge").status_code == 404


def test_check_in_staff_may_not_merge(client, auth, twins):
    kept, other, current, *_ = twins
    auth.as_role("checkin")
    assert "Merge with another person" not in words(
        client.get(f"/staff/registrations/{current.id}")
    )
    assert client.get(f"/staff/registrations/{current.id}/merge?q=lee").status_code == 403
    assert client.get(merge_url(current, other)).status_code == 403
    response = client.post(merge_url(current, other), data={"survivor": str(kept.id)})
    assert response.status_code == 403
    assert count(Person) == 2


def test_anonymous_visitors_are_sent_to_sign_in(client, twins):
    kept, other, current, *_ = twins
    for response in (
        client.get(f"/staff/registrations/{current.id}/merge"),
        client.get(merge_url(current, other)),
        client.post(merge_url(current, other), data={"survivor": str(kept.id)}),
    ):
        assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]
    assert count(Person) == 2


def test_the_search_and_compare_pages_change_nothing(client, auth, twins):
    """GETs only read (the suite also fails any GET that flushes: GUARD_GET_WRITES)."""
    kept, other, current, *_ = twins
    auth.as_role("admin")
    before = count(Person), count(Registration), count(AuditLog)
    assert client.get(f"/staff/registrations/{current.id}/merge?q=lee").status_code == 200
    assert client.get(merge_url(current, other)).status_code == 200
    assert (count(Person), count(Registration), count(AuditLog)) == before
    assert reload(other).phone == "509-555-0142" and reload(kept).phone == ""


def test_a_person_merged_away_meanwhile_is_refused_not_an_error(app, twins, make_staff):
    kept, other, *_ = twins
    admin = make_staff("admin")
    merge_people(kept.id, other.id, actor=admin)
    with pytest.raises(MergeRefused, match="no longer exists"):
        merge_people(kept.id, other.id, actor=admin)  # a second admin on the same pair
