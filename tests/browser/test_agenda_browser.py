"""The agenda editor in real Chromium on a tablet, from the keyboard: move a session."""

from __future__ import annotations

from datetime import UTC, datetime, time

from playwright.sync_api import expect

from summit.extensions import db
from summit.models import AgendaSession
from tests.conftest import PACIFIC, STAFF_PASSWORD
from tests.helpers import sign_in_in_browser

TABLET = {"viewport": {"width": 820, "height": 1180}, "is_mobile": True, "has_touch": True}


def test_an_admin_moves_a_session_from_the_keyboard(live_server, browser, make_event, make_staff):
    event = make_event()
    moved = event.sessions[1]  # 9:00-10:00 in Ballroom A
    admin = make_staff("admin")
    context = browser.new_context(**TABLET)
    page = context.new_page()
    sign_in_in_browser(page, live_server.url, admin.email, STAFF_PASSWORD)
    page.goto(f"{live_server.url}/staff/events/{event.slug}/agenda")
    expect(page.get_by_role("heading", name=f"Agenda of {event.name}")).to_be_visible()

    link = page.get_by_role("link", name=moved.title)
    link.focus()
    link.press("Enter")
    day = event.starts_on
    page.get_by_label("Starts").fill(f"{day}T08:30")
    ends = page.get_by_label("Ends")
    ends.fill(f"{day}T09:30")
    ends.press("Enter")  # submits the form, as a keyboard user would

    expect(page.locator(".alert-success")).to_contain_text("Session saved.")
    # the first session is 8:00-9:00 in the same room: saved, with a warning
    expect(page.locator(".alert-warning").first).to_contain_text("overlap in Ballroom A")
    expect(page.locator(f"#session-{moved.id}")).to_contain_text("8:30 AM–9:30 AM")
    db.session.rollback()  # end the test's read transaction: see what the server committed
    start = datetime.combine(day, time(8, 30), PACIFIC).astimezone(UTC)
    assert db.session.get(AgendaSession, moved.id).starts_at == start
    context.close()
