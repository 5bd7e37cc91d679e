"""What a certificate may claim: the statute's subjects, the sessions and their days,
completion only for every subject of RCW 28A.310.515(2), never before the sessions end,
and a layout that fits its frame for any number of subjects."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from summit.certificates.document import lay_out_certificate
from summit.certificates.eligibility import certificate_for, certificates_open_at
from summit.certificates.errors import NotEligible
from summit.certificates.services import certificate_pdf, issue_certificate
from summit.checkin.credit import credit_minutes
from summit.checkin.services import check_in
from summit.curricula import SEED_PAGE_CODE
from summit.documents.pdf import lay_out_html
from summit.extensions import db
from summit.models import SessionTopic
from tests.helpers import attend, pdf_text, require_font_family, squash


def next_years(make_event):
    """An event whose sessions are still to come."""
    event = make_event(starts_on=date.today() + timedelta(days=200))
    for session in event.sessions:
        session.starts_at += timedelta(days=201)
        session.ends_at += timedelta(days=201)
    db.session.commit()
    return event


def covering(make_event, make_registration, subjects: int):
    """A registration that attended the first ``subjects`` sessions of yesterday's event."""
    registration = make_registration(event=make_event())
    attend(registration, subjects)
    return registration


@pytest.mark.parametrize(
    ("subjects", "kind"),
    [(0, "attendance"), (6, "attendance"), (12, "attendance"), (13, "completion")],
)
def test_a_certificate_says_which_subjects_it_covers(make_event, make_registration, subjects, kind):
    certificate = issue_certificate(covering(make_event, make_registration, subjects)).certificate
    assert certificate.kind == kind
    rows = certificate.details["topics"]
    assert [row["letter"] for row in rows] == list("abcdefghijklm")
    assert sum(row["complete"] for row in rows) == subjects
    text = squash(pdf_text(certificate_pdf(certificate)))
    assert squash("it is not training series documentation under RCW 28A.400.345") in text
    assert squash("ESD 105 counts a subject done after 60 minutes") in text
    assert squash("the statute sets no hours") in text
    assert "todo" not in text.lower()
    if kind == "completion":
        assert squash("completed classroom training there on every subject of RCW") in text
        assert "Notcoveredbythiscertificate" not in text
    elif subjects:
        assert squash(f"on {subjects} of the 13 subjects of RCW 28A.310.515(2)") in text
        assert "Notcoveredbythiscertificate" in text
    else:
        assert squash("No subject of RCW 28A.310.515(2) was completed") in text
        assert "Totalhourscredited" not in text  # no table without a subject
    # The statute's words, never a paraphrase, for each covered subject.
    for row in rows[:subjects]:
        assert squash(row["statute_text"]) in text


def test_the_twelve_unit_list_never_earns_a_completion(make_event, make_registration, curricula):
    event = make_event(curriculum=curricula[SEED_PAGE_CODE])
    registration = make_registration(event=event)
    attend(registration)
    assert credit_minutes(registration).is_complete  # every unit of its own list
    certificate = issue_certificate(registration).certificate
    assert certificate.kind == "attendance"
    (m,) = [row for row in certificate.details["topics"] if not row["complete"]]
    assert (m["letter"], m["taught"]) == ("m", False)
    text = squash(pdf_text(certificate_pdf(certificate)))
    assert squash("ESD 105 S5 units, 12-unit list, which does not cover subject (m)") in text
    assert squash("Not taught at this event") in text


def test_no_certificate_before_the_last_session_has_ended(make_event, make_registration):
    registration = make_registration(event=make_event())
    attend(registration)
    last_end = certificates_open_at(registration.event)
    with time_machine.travel(last_end - timedelta(minutes=5), tick=False):
        eligibility = certificate_for(registration)
        assert not eligibility.eligible
        assert "last session has ended" in eligibility.message
        with pytest.raises(NotEligible, match="last session has ended"):
            issue_certificate(registration)
    with time_machine.travel(last_end + timedelta(minutes=1), tick=False):
        assert issue_certificate(registration).certificate.kind == "completion"


def test_the_cli_says_why_it_issues_nothing_before_the_event(make_event, make_registration, runner):
    event = next_years(make_event)
    result = runner.invoke(
        args=["issue-certificates", event.slug, "--without-signature", "--no-email"]
    )
    assert result.exit_code != 0
    assert "last session has ended" in result.output


def test_a_subject_is_dated_by_the_session_that_completed_it(make_event, make_registration):
    """Two days: subject (a) taught 30 + 30 minutes, completed by the second day's session."""
    event = make_event()
    first, second = event.sessions[0], event.sessions[1]
    second.starts_at = first.starts_at + timedelta(days=1)
    second.ends_at = first.ends_at + timedelta(days=1)
    first.topics[0].minutes = 30
    second.topics.clear()
    db.session.flush()
    second.topics.append(SessionTopic(topic=first.topics[0].topic, minutes=30))
    db.session.commit()
    registration = make_registration(event=event)
    for session in (first, second):
        code = registration.ticket_code
        check_in(event.id, code, staff=None, source="desk", session_id=session.id)
    with time_machine.travel(second.ends_at + timedelta(hours=1), tick=False):
        certificate = issue_certificate(registration).certificate
    row = certificate.details["topics"][0]
    second_day = second.starts_at.astimezone(event.tz).date()
    assert row["complete"] and row["completed_on"] == second_day.isoformat()
    assert [s["date"] for s in row["sessions"]] == [
        first.starts_at.astimezone(event.tz).date().isoformat(),
        second_day.isoformat(),
    ]


def test_a_scan_long_before_its_session_earns_nothing_but_a_paper_roster_does(
    make_event, make_registration
):
    event = make_event()
    session = event.sessions[0]
    early, roster = make_registration(event=event), make_registration(event=event)
    too_early = session.starts_at - timedelta(minutes=event.checkin_grace_minutes + 5)
    check_in(
        event.id, early.ticket_code, staff=None, source="desk", session_id=session.id, now=too_early
    )
    check_in(event.id, roster.ticket_code, staff=None, source="roster", session_id=session.id)
    assert credit_minutes(early).topics[0].minutes == 0
    credited = credit_minutes(roster).topics[0]
    assert credited.minutes == 60 and credited.sessions[0].from_roster
    certificate = issue_certificate(roster).certificate
    assert "(paper roster)" in pdf_text(certificate_pdf(certificate))


@pytest.mark.parametrize("subjects", [0, 1, 12, 13])
@pytest.mark.parametrize("long_names", [False, True])
def test_every_certificate_fits_its_frame(make_event, make_registration, subjects, long_names):
    require_font_family("Noto Sans")  # the type the certificate is designed in
    registration = covering(make_event, make_registration, subjects)
    if long_names:
        registration.person.first_name = "Maximiliana Alexandra Josephine"
        registration.person.last_name = "Featherstonehaugh-Montgomery-Wolfeschlegel"
        registration.person.agency = (
            "Yakima County Sheriff's Office, School Resource Officer Program serving the "
            "Yakima, Union Gap, Wapato, Toppenish and Granger School Districts"
        )
        db.session.commit()
    certificate = issue_certificate(registration).certificate
    laid_out = lay_out_certificate(certificate)
    assert laid_out.page_count == (1 if subjects == 13 else 2)
    assert laid_out.layout_problems() == []


def test_the_layout_check_sees_an_overlap_and_a_line_past_the_frame(app):
    """The check itself, on a page made broken on purpose."""
    html = (
        '<div class="frame" style="position:relative;height:1in;width:3in">'
        "<p>Words in the flow</p>"
        '<p style="position:absolute;top:0;left:0">Words on top</p>'
        '<p style="position:absolute;top:2in">Words below the frame</p></div>'
    )
    with app.test_request_context():
        problems = lay_out_html(html, title="t", author="a").layout_problems()
    assert any("overlaps" in problem and "Words on top" in problem for problem in problems)
    assert any("leaves the frame" in problem and "below" in problem for problem in problems)


def test_staff_see_on_the_certificates_page_why_nothing_can_be_issued_yet(make_event, client, auth):
    auth.as_role("admin")
    for event, warned in ((next_years(make_event), True), (make_event(), False)):
        page = client.get(f"/staff/events/{event.slug}/certificates").get_data(as_text=True)
        assert ("last session has ended" in page) is warned


def test_verification_names_the_curriculum_its_version_and_each_sessions_day(
    make_event, make_registration, client
):
    certificate = issue_certificate(covering(make_event, make_registration, 13)).certificate
    answer = client.get(f"/verify/{certificate.verification_code}.json").get_json()
    assert answer["curriculum"] == {
        "name": "Subjects of RCW 28A.310.515(2)",
        "version": "as amended by ESHB 1214 (2021)",
    }
    first = answer["topics"][0]
    assert first["letter"] == "a" and first["sessions"][0]["date"] == first["completed_on"]
    page = client.get(f"/verify/{certificate.verification_code}").get_data(as_text=True)
    assert "as amended by ESHB 1214 (2021)" in page
    assert "governing search and interrogation" in page


def test_an_admin_sets_the_events_credit_policy_and_it_is_named_as_policy(make_event, client, auth):
    event = make_event()
    auth.as_role("admin")
    page = client.get(f"/staff/events/{event.slug}/certificates").get_data(as_text=True)
    assert "ESD 105 counts a subject done after 60 minutes" in page
    response = client.post(
        f"/staff/events/{event.slug}/credit-policy",
        data={"policy-required_minutes": "90", "policy-grace_minutes": "15"},
    )
    assert response.status_code == 303
    db.session.refresh(event)
    assert (event.default_required_minutes, event.checkin_grace_minutes) == (90, 15)
    page = client.get(f"/staff/events/{event.slug}/certificates").get_data(as_text=True)
    assert "ESD 105 counts a subject done after 90 minutes" in page


@pytest.mark.parametrize("minutes", ["-5", "0", "abc", "", "100000"])
def test_a_bad_credit_policy_is_refused_and_nothing_changes(make_event, client, auth, minutes):
    event = make_event()
    auth.as_role("admin")
    response = client.post(
        f"/staff/events/{event.slug}/credit-policy",
        data={"policy-required_minutes": minutes, "policy-grace_minutes": "15"},
    )
    assert response.status_code == 400
    assert "is-invalid" in response.get_data(as_text=True)
    db.session.refresh(event)
    assert (event.default_required_minutes, event.checkin_grace_minutes) == (60, 30)


def test_check_in_staff_cannot_change_the_credit_policy(make_event, client, auth):
    event = make_event()
    auth.as_role("checkin")
    response = client.post(
        f"/staff/events/{event.slug}/credit-policy",
        data={"policy-required_minutes": "5", "policy-grace_minutes": "15"},
    )
    assert response.status_code == 403
    db.session.refresh(event)
    assert event.default_required_minutes == 60
