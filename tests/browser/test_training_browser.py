"""Self-training in real Chromium: an officer logs a topic on a phone, staff accept it,
the record shows it done."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect
from sqlalchemy import select

from summit.auth.links import portal_token
from summit.auth.services import create_staff
from summit.curricula import ensure_curricula
from summit.extensions import db
from summit.models import SelfTrainingEntry, Topic
from tests.browser.conftest import PHONE
from tests.browser.test_accessibility import AXE
from tests.conftest import STAFF_PASSWORD

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_officer_logs_a_topic_staff_accept_it_and_the_record_shows_it_done(
    live_server, browser, phone_page, make_person
):
    ensure_curricula()
    topic = db.session.scalar(select(Topic).where(Topic.code == "de-escalation"))
    officer = make_person(first_name="Dana", last_name="Reyes")
    page = phone_page
    page.goto(f"{live_server.url}/my/enter/{portal_token(officer)}")
    page.get_by_role("link", name="Log a self-training").click()

    expect(page.get_by_role("heading", name="Log a training")).to_be_visible()
    page.get_by_label("Topic", exact=True).select_option(label=topic.title)
    page.get_by_label("Date completed").fill(date(2025, 3, 14).isoformat())
    page.get_by_label("Title of the training").fill("De-escalation with youth, OSPI module")
    page.get_by_label("Link to the training").fill("https://ospi.k12.wa.us/deescalation")
    page.get_by_label("Minutes of training").fill("60")
    page.get_by_label("Evidence (certificate or screenshot)").set_input_files(
        files=[{"name": "certificate.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Log this training").click()

    expect(page.get_by_text("Your training is logged")).to_be_visible()
    expect(page.get_by_text("Waiting for review").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    db.session.rollback()  # end the test's read snapshot to see the server's write
    entry = db.session.scalar(select(SelfTrainingEntry))
    assert entry.evidence_content_type == "application/pdf"

    create_staff("reviewer@esd105.example", "admin", STAFF_PASSWORD, name="Pat")
    staff_context = browser.new_context()
    staff = staff_context.new_page()
    staff.set_default_timeout(10_000)
    staff.goto(f"{live_server.url}/staff/sign-in")
    staff.get_by_label("Email").fill("reviewer@esd105.example")
    staff.get_by_label("Password").fill(STAFF_PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    staff.goto(f"{live_server.url}/staff/training/")
    card = staff.locator("article", has_text="De-escalation with youth, OSPI module")
    expect(card).to_contain_text("Dana Reyes")
    card.get_by_role("button", name="Accept").click()
    expect(staff.get_by_text("is accepted; they are emailed")).to_be_visible()
    expect(staff.get_by_text("Nothing is waiting for review")).to_be_visible()
    staff_context.close()

    page.goto(f"{live_server.url}/my/training/")
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=topic.title))
    expect(row).to_contain_text("Done")
    expect(row).to_contain_text("De-escalation with youth, OSPI module")
    expect(page.get_by_text("Accepted", exact=True)).to_be_visible()


def test_admin_records_prior_experience_and_issues_documentation_on_a_phone(
    live_server, browser, tmp_path, make_person
):
    """The person page on a phone: labels for every field, the refusal says what is
    missing, prior training and experience with a file, then the documentation."""
    ensure_curricula()
    officer = make_person(first_name="Ruth", last_name="Kline", role_type="security")
    create_staff("issuer@esd105.example", "admin", STAFF_PASSWORD, name="Lee")
    context = browser.new_context(bypass_csp=True, **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/staff/sign-in")
    page.get_by_label("Email").fill("issuer@esd105.example")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url("**/staff/")
    page.goto(f"{live_server.url}/staff/training/people/{officer.id}")

    page.get_by_role("button", name="Issue training series documentation").click()
    expect(page.get_by_text("no training series documentation was issued")).to_be_visible()
    expect(
        page.get_by_text("Check-in trainings (RCW 28A.400.345(2)(d)): 0 of 6").first
    ).to_be_visible()

    evidence = tmp_path / "transcript.pdf"
    evidence.write_bytes(PDF)
    page.get_by_label("What you reviewed").fill("Academy transcript and district letter")
    page.get_by_label("Files you reviewed (PDF, PNG or JPEG)").set_input_files(str(evidence))
    page.get_by_label("Why the prior training and experience is significant").fill(
        "Twelve years on school campuses"
    )
    page.get_by_role("button", name="Record significant prior training and experience").click()
    expect(
        page.get_by_text("Significant prior training and experience is recorded.")
    ).to_be_visible()
    page.get_by_role("button", name="Issue training series documentation").click()
    expect(page.get_by_text("is issued")).to_be_visible()
    expect(page.get_by_text("Basis: significant prior training and experience")).to_be_visible()

    page.add_script_tag(path=str(AXE))
    serious = page.evaluate(
        "async () => (await axe.run()).violations.filter(v => ['serious', 'critical']"
        ".includes(v.impact)).map(v => v.id)"
    )
    assert serious == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
