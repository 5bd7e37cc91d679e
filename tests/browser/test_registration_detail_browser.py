"""The registration page in real Chromium on a phone: an admin fixes a name and moves a tier."""

from __future__ import annotations

from playwright.sync_api import expect

from summit.extensions import db
from summit.models import Registration
from tests.conftest import STAFF_PASSWORD
from tests.helpers import sign_in_in_browser


def test_an_admin_fixes_a_name_and_moves_a_tier_on_a_phone(
    live_server, phone_page, make_registration, make_person, make_staff
):
    page = phone_page
    registration = make_registration(person=make_person(first_name="Jordna", last_name="Lee"))
    registration_id = registration.id
    admin = make_staff("admin")
    sign_in_in_browser(page, live_server.url, admin.email, STAFF_PASSWORD)
    page.goto(f"{live_server.url}/staff/registrations/{registration_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Jordna Lee")

    page.get_by_text("Edit details", exact=True).click()
    page.get_by_label("First name").fill("Jordan")
    page.get_by_role("button", name="Save details").click()
    expect(page.locator(".alert-success")).to_contain_text("Saved: first name.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Jordan Lee")

    page.get_by_text("Move to another tier", exact=True).click()
    page.get_by_label("New tier").select_option(
        label="Security and other school safety staff ($50)"
    )
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("Amount due: $0.00 → $50.00.")
    history = page.locator("section", has=page.get_by_role("heading", name="History"))
    expect(history).to_contain_text("First name: Jordna → Jordan")
    expect(history).to_contain_text(
        "Tier: SRO (commissioned law enforcement officer) → Security and other school safety staff"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing off-screen

    db.session.rollback()  # see what the server committed
    moved = db.session.get(Registration, registration_id)
    assert (moved.person.first_name, moved.tier.slug, moved.state) == (
        "Jordan",
        "security",
        "awaiting_payment",
    )
