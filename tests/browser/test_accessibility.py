"""Automated accessibility checks (axe-core, installed by npm ci) of the pages people use.

axe finds what machines can find: missing labels, contrast, landmarks, ARIA misuse.
Serious and critical findings fail the test; keyboard use is covered by the journey
tests that fill forms with the keyboard.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from summit.certificates.services import issue_certificate
from summit.extensions import db
from summit.models import EmailText, Room
from tests.browser.conftest import PHONE
from tests.conftest import STAFF_PASSWORD
from tests.helpers import attend, sign_in_in_browser

AXE = Path(__file__).resolve().parents[2] / "node_modules/axe-core/axe.min.js"
pytestmark = pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm ci)")


@pytest.fixture
def audit(browser):
    """Open a page (CSP bypassed only to inject axe) and return its serious violations."""
    context = browser.new_context(bypass_csp=True, **PHONE)
    page = context.new_page()

    def run(url: str | None = None) -> list[str]:
        """``url`` None audits the page as it is (e.g. a form showing its errors)."""
        if url is not None:
            page.goto(url)
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
        return [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in violations
            if v["impact"] in ("serious", "critical")
        ]

    run.page = page
    yield run
    context.close()


def test_public_pages_have_no_serious_accessibility_problems(live_server, audit, make_event):
    event = make_event()
    for path in (
        "/",
        f"/events/{event.slug}",
        f"/events/{event.slug}/register",
        "/my/sign-in",
        "/staff/sign-in",
        "/verify",
        "/training",
    ):
        assert audit(live_server.url + path) == [], path


def test_registration_errors_are_accessible(live_server, audit, make_event):
    event = make_event()
    audit(f"{live_server.url}/events/{event.slug}/register")
    audit.page.get_by_role("button", name="Register").click()
    audit.page.add_script_tag(path=str(AXE))
    violations = audit.page.evaluate(
        "async () => (await axe.run()).violations.filter(v => ['serious', 'critical']"
        ".includes(v.impact)).map(v => v.id)"
    )
    assert violations == []


def test_check_in_desk_has_no_serious_accessibility_problems(
    live_server, audit, make_event, make_staff
):
    event = make_event()
    staff = make_staff("checkin")
    sign_in_in_browser(audit.page, live_server.url, staff.email, STAFF_PASSWORD)
    assert audit(live_server.url + "/staff/") == []
    assert audit(f"{live_server.url}/staff/events/{event.slug}/checkin") == []


def test_room_mode_and_attendance_have_no_serious_accessibility_problems(
    live_server, audit, make_registration, make_staff
):
    registration = make_registration()
    attend(registration, sessions=2)
    event = registration.event
    staff = make_staff("checkin")
    sign_in_in_browser(audit.page, live_server.url, staff.email, STAFF_PASSWORD)
    room = f"{live_server.url}/staff/events/{event.slug}/sessions/{event.sessions[0].id}/checkin"
    assert audit(room) == []
    assert audit(f"{live_server.url}/staff/events/{event.slug}/attendance") == []


def test_verification_result_has_no_serious_accessibility_problems(
    live_server, audit, make_registration
):
    registration = make_registration()
    attend(registration)
    certificate = issue_certificate(registration).certificate
    assert audit(f"{live_server.url}/verify/{certificate.verification_code}") == []


def test_attendee_portal_has_no_serious_accessibility_problems(
    live_server, audit, make_registration
):
    from summit.auth.links import portal_token

    registration = make_registration()
    attend(registration)  # the credit and training record tables have rows
    audit.page.goto(f"{live_server.url}/my/enter/{portal_token(registration.person)}")
    assert audit(live_server.url + "/my/") == []
    assert audit(f"{live_server.url}/my/registrations/{registration.id}") == []
    assert audit(live_server.url + "/my/details") == []
    assert audit(live_server.url + "/my/training/") == []
    other = make_registration().person  # a link for someone else asks first
    assert audit(f"{live_server.url}/my/enter/{portal_token(other)}") == []
    assert audit.page.get_by_role("button", name=f"Switch to {other.first_name}").is_visible()
    assert audit.page.evaluate("document.documentElement.scrollWidth") <= 390


def test_agenda_editor_has_no_serious_accessibility_problems(
    live_server, audit, make_event, make_staff
):
    """On a phone: the agenda with its rooms and tables, the session form, its errors."""
    event = make_event()
    event.rooms.append(Room(name="Ballroom A", capacity=250))
    db.session.commit()
    admin = make_staff("admin")
    sign_in_in_browser(audit.page, live_server.url, admin.email, STAFF_PASSWORD)
    assert audit(f"{live_server.url}/staff/events/{event.slug}/agenda") == []
    session_url = f"{live_server.url}/staff/events/{event.slug}/agenda/{event.sessions[0].id}"
    assert audit(session_url) == []
    page = audit.page
    page.fill("#ends_at", "")
    page.get_by_role("button", name="Save", exact=True).click()
    assert page.locator("#ends_at-error").inner_text() == "Give the time the session ends."
    assert audit() == []


def test_training_policy_page_has_no_serious_accessibility_problems(live_server, audit, make_staff):
    """The policy form and its error on a phone, for an admin."""
    admin = make_staff("admin")
    sign_in_in_browser(audit.page, live_server.url, admin.email, STAFF_PASSWORD)
    assert audit(f"{live_server.url}/staff/training/policy") == []
    page = audit.page
    page.get_by_label("Minutes of self-training that complete a subject").fill("0")
    page.get_by_role("button", name="Save").click()
    assert (
        "Number must be between 1 and 600." in page.locator("#required_minutes-error").inner_text()
    )
    assert audit() == []


def test_merging_two_people_is_accessible_from_search_to_history(
    live_server, audit, make_registration, make_person, make_staff
):
    """On a phone, from the keyboard: find the other record, compare, keep the other, merge."""
    registration = make_registration(
        person=make_person(first_name="Pat", last_name="Smith", email="pat@yakimapd.example")
    )
    other = make_person(first_name="Pat", last_name="Smith", email="pat@home.example")
    make_registration(person=other)
    admin = make_staff("admin")
    page = audit.page
    sign_in_in_browser(page, live_server.url, admin.email, STAFF_PASSWORD)
    page.goto(f"{live_server.url}/staff/registrations/{registration.id}")
    page.get_by_role("link", name="Merge with another person…").click()
    search = page.get_by_label("Name, email or agency")
    search.fill("pat@home")
    search.press("Enter")
    page.get_by_role("link", name="Compare with Pat Smith").click()
    assert audit(page.url) == []  # the compare page, both people side by side
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_label("Keep Pat Smith <pat@home.example>").check()
    page.get_by_role("button", name="Merge the two people").press("Enter")
    page.wait_for_url(f"**/staff/registrations/{registration.id}")
    assert "Merged Pat Smith <pat@yakimapd.example> into Pat Smith's record" in page.inner_text(
        "main"
    )
    assert "Merged with: Pat Smith <pat@yakimapd.example>" in page.inner_text("main")
    assert audit(f"{live_server.url}/staff/registrations/{registration.id}/merge?q=x") == []


def test_email_texts_pages_have_no_serious_accessibility_problems(
    live_server, audit, make_registration, make_staff
):
    """On a phone: the list, the editor with its preview, a refusal, the reset question."""
    event = make_registration().event
    own = EmailText(kind="reminder", subject="Soon: {{ event_name }}", body="Hi.")
    event.email_texts.append(own)
    db.session.commit()
    admin = make_staff("admin")
    sign_in_in_browser(audit.page, live_server.url, admin.email, STAFF_PASSWORD)
    base = f"{live_server.url}/staff/events/{event.slug}/emails"
    assert audit(base) == []
    assert audit(f"{base}/confirmed") == []
    assert audit(f"{base}/reminder/reset") == []
    assert audit(f"{base}/reminder") == []
    page = audit.page
    page.fill("#body", "Hi {{ badge_number }}")
    page.get_by_role("button", name="Preview").click()
    assert "is not a placeholder" in page.locator("#body-error").inner_text()
    assert audit() == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_registration_page_has_no_serious_accessibility_problems(
    live_server, audit, make_registration, make_staff
):
    """On a phone, for an admin: the page with its edit and move forms open, then with an error
    beside a field."""
    registration = make_registration()
    admin = make_staff("admin")
    sign_in_in_browser(audit.page, live_server.url, admin.email, STAFF_PASSWORD)
    url = f"{live_server.url}/staff/registrations/{registration.id}"
    assert audit(url) == []
    page = audit.page
    page.get_by_text("Edit details", exact=True).click()
    page.get_by_text("Move to another tier", exact=True).click()
    page.get_by_label("Email").fill("not an address")
    page.get_by_role("button", name="Save details").click()
    expect(page.locator("#details-email-error")).to_contain_text("Enter a valid email address")
    assert audit() == []
