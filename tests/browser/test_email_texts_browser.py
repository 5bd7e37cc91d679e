"""An admin rewrites the confirmation's subject in real Chromium: preview first, then save."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from summit.extensions import db
from summit.models import EmailText
from tests.conftest import STAFF_PASSWORD
from tests.helpers import sign_in_in_browser


def test_an_admin_edits_a_subject_previews_it_and_saves(
    live_server, page, make_registration, make_staff
):
    registration = make_registration()
    event = registration.event
    admin = make_staff("admin")
    sign_in_in_browser(page, live_server.url, admin.email, STAFF_PASSWORD)
    page.goto(f"{live_server.url}/staff/events/{event.slug}/edit")
    page.get_by_role("navigation", name=f"Set up {event.name}").get_by_role(
        "link", name="Emails"
    ).click()
    expect(page.get_by_role("heading", name=f"Emails of {event.name}")).to_be_visible()
    page.get_by_role("link", name="Registration confirmed").click()

    subject = page.get_by_label("Subject")
    expect(subject).to_have_value("You're registered: {{ event_name }}")
    subject.fill("See you soon, {{ first_name }}: {{ event_name }}")
    page.get_by_role("button", name="Preview").click()

    expected = f"See you soon, Alex: {event.name}"
    heading = page.get_by_role("heading", name="Preview of the text above (not saved)")
    expect(heading).to_be_visible()
    expect(page.locator("#preview-subject")).to_have_text(expected)
    frame = page.frame_locator("iframe.email-preview-frame")
    expect(frame.get_by_text("Hello Alex,")).to_be_visible()
    # The email's inline styles apply inside the frame (the page's policy allows them there).
    header = frame.get_by_text("S5 Summit", exact=True)
    expect(header).to_have_css("font-weight", "700")
    expect(frame.get_by_role("img", name="QR code of your ticket")).to_be_visible()
    db.session.rollback()
    assert db.session.scalar(select(EmailText)) is None  # a preview saves nothing

    page.get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_contain_text("Saved.")
    expect(page.get_by_text("Edited for this event")).to_be_visible()
    expect(page.get_by_label("Subject")).to_have_value(
        "See you soon, {{ first_name }}: {{ event_name }}"
    )
    db.session.rollback()  # see what the server committed
    saved = db.session.scalar(select(EmailText))
    assert (saved.event_id, saved.kind) == (event.id, "confirmed")
    assert saved.subject == "See you soon, {{ first_name }}: {{ event_name }}"
