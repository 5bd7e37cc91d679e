"""An ESD admin sets up next year's summit in real Chromium, and an officer registers for it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from summit.auth.services import create_staff
from summit.demo import seed_demo
from summit.extensions import db
from summit.models import Event, Registration, utcnow
from tests.browser import test_accessibility
from tests.conftest import PACIFIC, STAFF_PASSWORD

AXE = test_accessibility.AXE
axe_audit = test_accessibility.audit  # the ``audit`` fixture: one axe run per page


def sign_in_as_admin(page, base_url: str) -> None:
    create_staff("director@esd105.example", "admin", STAFF_PASSWORD, name="Pat")
    page.goto(f"{base_url}/staff/sign-in")
    page.get_by_label("Email").fill("director@esd105.example")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url("**/staff/")


def move_the_first_session_to_the_evening(page, base_url: str, slug: str) -> None:
    """In the clone's agenda editor, move its first session to 5-6 PM the same day."""
    db.session.rollback()  # see what the server committed
    clone = db.session.scalar(select(Event).where(Event.slug == slug))
    first = min(clone.sessions, key=lambda item: item.starts_at)
    day = first.starts_at.astimezone(PACIFIC).date()
    page.goto(f"{base_url}/staff/events/{slug}/agenda")
    page.locator(f"#session-{first.id}").get_by_role("link", name=first.title).click()
    page.get_by_label("Starts").fill(f"{day}T17:00")
    page.get_by_label("Ends").fill(f"{day}T18:00")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_contain_text("Session saved.")
    expect(page.locator(f"#session-{first.id}")).to_contain_text("5:00 PM–6:00 PM")


def test_admin_clones_the_demo_summit_and_an_officer_registers(live_server, page, browser):
    demo = seed_demo()
    this_year, next_year = demo.starts_on.year, demo.starts_on.year + 1
    sign_in_as_admin(page, live_server.url)

    page.get_by_role("link", name="Events: set up, clone for next year").click()
    page.get_by_role("link", name=re.compile(f"Clone for next year.*S5 Summit {this_year}")).click()
    expect(page.get_by_label("Web address of the new event")).to_have_value(f"s5-{next_year}")
    expect(page.get_by_label("Title of the new event")).to_have_value(f"S5 Summit {next_year}")
    page.get_by_role("button", name="Create the new event").click()

    expect(page.get_by_role("heading", name=f"S5 Summit {next_year}")).to_be_visible()
    expect(page.get_by_text("Not published").first).to_be_visible()
    # The window moved on a year too; open it now so the officer can register today.
    opens = (utcnow() - timedelta(hours=1)).astimezone(PACIFIC)
    page.get_by_label("Registration opens").fill(opens.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Event saved.")).to_be_visible()
    move_the_first_session_to_the_evening(page, live_server.url, f"s5-{next_year}")
    page.goto(f"{live_server.url}/staff/events/s5-{next_year}/edit")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published: the event is on the public site.")).to_be_visible()

    officer = browser.new_context().new_page()  # anonymous: no staff cookie
    officer.goto(live_server.url)
    officer.get_by_role("link", name=f"S5 Summit {next_year}").click()
    officer.get_by_role(
        "link", name="Register as SRO (commissioned law enforcement officer)"
    ).click()
    officer.get_by_label("First name").fill("Dana")
    officer.get_by_label("Last name").fill("Reyes")
    officer.get_by_label("Email").fill("dana.reyes@yakimapd.example")
    officer.get_by_label("Phone").fill("509 555 0105")
    officer.get_by_label("Agency or employer").fill("Yakima Police Department")
    officer.get_by_label("Job title").fill("School Resource Officer")
    officer.get_by_label("School district(s) served").fill("Yakima SD")
    officer.get_by_role("button", name="Register").click()
    expect(officer.get_by_role("heading", name="Thank you: check your email")).to_be_visible()
    officer.context.close()

    db.session.rollback()  # end the test's read snapshot to see the server's writes
    clone = db.session.scalar(select(Event).where(Event.slug == f"s5-{next_year}"))
    assert clone.is_published and len(clone.sessions) == len(demo.sessions)
    registration = db.session.scalar(select(Registration))
    assert (registration.event_id, registration.state) == (clone.id, "confirmed")


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm ci)")
def test_the_set_up_pages_have_no_serious_accessibility_problems(
    live_server, axe_audit, make_event
):
    event = make_event()
    page = axe_audit.page
    create_staff("director@esd105.example", "admin", STAFF_PASSWORD, name="Pat")
    page.goto(f"{live_server.url}/staff/sign-in")
    page.get_by_label("Email").fill("director@esd105.example")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url("**/staff/")
    base = f"{live_server.url}/staff/events"
    for path in (
        "/",
        "/new",
        f"/{event.slug}/edit",
        f"/{event.slug}/tiers",
        f"/{event.slug}/tiers/{event.tiers[0].id}",
        f"/{event.slug}/clone",
    ):
        assert axe_audit(base + path) == [], path
