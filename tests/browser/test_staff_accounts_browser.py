"""Staff accounts in a real browser: an admin invites the door staff with the keyboard,
and the account pages have no serious accessibility problems (axe-core)."""

import pytest

from summit.auth.services import create_staff
from summit.extensions import db
from tests.browser import test_accessibility
from tests.conftest import STAFF_PASSWORD
from tests.helpers import outbox, sign_in_in_browser

AXE = test_accessibility.AXE
audit = test_accessibility.audit  # the axe fixture, shared
pytestmark = pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm ci)")


def test_an_admin_invites_door_staff_and_the_pages_are_accessible(live_server, audit, app):
    admin = create_staff("boss@esd105.example", "admin", STAFF_PASSWORD, name="Boss")
    create_staff("door@esd105.example", "checkin", STAFF_PASSWORD)
    page = audit.page
    sign_in_in_browser(page, live_server.url, admin.email, STAFF_PASSWORD)
    assert audit(live_server.url + "/staff/accounts") == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "only the table scrolls"

    page.get_by_label("Email").fill("new-door@esd105.example")
    page.get_by_label("Name").fill("New Door")
    page.get_by_label("Role", exact=True).select_option("checkin")
    page.get_by_role("button", name="Send invitation").press("Enter")
    page.get_by_text("Invitation sent to new-door@esd105.example").wait_for()
    db.session.rollback()  # end the test's snapshot: the server wrote in its own session
    assert [row.recipient for row in outbox("staff_invitation")] == ["new-door@esd105.example"]

    page.get_by_role("button", name="Disable door@esd105.example").press("Enter")
    page.get_by_text("door@esd105.example is disabled").wait_for()
    assert audit(live_server.url + "/staff/accounts") == []
    assert audit(live_server.url + "/staff/account/password") == []
