"""An officer registers on a phone, in real Chromium, with the keyboard where it matters."""

import re

from playwright.sync_api import expect

from summit.extensions import db
from summit.models import Registration


def test_officer_registers_on_a_phone(live_server, phone_page, make_event):
    event = make_event(name="S5 Summit 2027")
    page = phone_page
    page.goto(f"{live_server.url}/events/{event.slug}")
    page.get_by_role("link", name="Register", exact=True).first.click()
    expect(page.get_by_role("heading", name="Register for S5 Summit 2027")).to_be_visible()

    page.get_by_label("SRO (commissioned law enforcement officer) — Free").check()
    page.get_by_label("First name").fill("Dana")
    page.get_by_label("Last name").fill("Reyes")
    page.get_by_label("Email").fill("dana.reyes@yakimapd.example")
    page.get_by_label("Phone").fill("509 555 0105")
    page.get_by_label("Agency or employer").fill("Yakima Police Department")
    page.get_by_label("Job title").fill("School Resource Officer")
    page.get_by_label("School district(s) served").fill("Yakima SD")
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("heading", name="Thank you: check your email")).to_be_visible()
    expect(page.get_by_text("dana.reyes@yakimapd.example").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    db.session.rollback()  # end the test's read snapshot to see the server's write
    assert db.session.query(Registration).one().state == "confirmed"


def test_mistakes_are_explained_next_to_the_field(live_server, phone_page, make_event):
    event = make_event()
    page = phone_page
    page.goto(f"{live_server.url}/events/{event.slug}/register?tier=sro&agency=Wapato+PD")
    page.get_by_label("First name").fill("Dana")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct")
    email = page.get_by_label("Email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_value("not-an-email")
    expect(page.get_by_label("Agency or employer")).to_have_value("Wapato PD")
    expect(page.locator("#email-error")).to_contain_text("valid email")
    expect(page.locator("#last_name-error")).to_have_text(re.compile("last name"))
