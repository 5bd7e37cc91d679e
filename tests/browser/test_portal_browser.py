"""The attendee portal on a phone, in real Chromium: link, ticket, PDF, cancel by keyboard."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from summit.extensions import db
from summit.portal.tokens import portal_token


def test_attendee_opens_the_link_sees_the_ticket_and_downloads_it(
    live_server, phone_page, make_registration
):
    registration = make_registration()
    page = phone_page
    page.goto(f"{live_server.url}/my/enter/{portal_token(registration.person)}")
    expect(page).to_have_url(f"{live_server.url}/my/")
    expect(page.get_by_role("heading", name=registration.event.name)).to_be_visible()
    expect(page.get_by_text("Confirmed", exact=True)).to_be_visible()

    page.get_by_role("link", name="See my ticket").click()
    qr = page.get_by_role("img", name="QR code of your ticket")
    expect(qr).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth > 0", qr.element_handle())
    code = registration.ticket_code
    expect(page.get_by_text(f"{code[:4]} {code[4:8]}")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF ticket").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    assert Path(download.path()).read_bytes().startswith(b"%PDF")


def test_attendee_cancels_with_the_keyboard(
    live_server, phone_page, make_registration, make_upcoming_event
):
    registration = make_registration(event=make_upcoming_event())
    page = phone_page
    page.goto(f"{live_server.url}/my/enter/{portal_token(registration.person)}")
    page.goto(f"{live_server.url}/my/registrations/{registration.id}")

    page.get_by_role("link", name="Cancel my registration").press("Enter")
    expect(page.get_by_role("heading", name="Cancel your registration?")).to_be_visible()
    page.get_by_role("button", name="Yes, cancel my registration").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("is cancelled")
    expect(page.get_by_text("Cancelled", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Cancel my registration")).to_have_count(0)
    db.session.rollback()  # end the test's snapshot: the server wrote in its own session
    assert registration.state == "cancelled"


def test_a_tampered_link_offers_a_fresh_one(live_server, phone_page, make_person):
    page = phone_page
    page.goto(f"{live_server.url}/my/enter/{portal_token(make_person())}x")
    expect(page.get_by_role("heading", name="This link is not valid")).to_be_visible()
    page.get_by_label("Email").fill("someone@example.org")
    page.get_by_label("Email").press("Enter")
    expect(
        page.get_by_text("If that email has a registration, a link is on its way")
    ).to_be_visible()
