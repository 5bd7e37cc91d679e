"""The check-in desk in real Chromium on a phone: a typed scan, search, undo, offline queue."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from summit.auth.services import create_staff
from summit.extensions import db
from summit.models import Checkin
from tests.conftest import STAFF_PASSWORD


def sign_in(page, base_url):
    create_staff("door@esd105.example", "checkin", STAFF_PASSWORD, name="Kim")
    page.goto(f"{base_url}/staff/sign-in")
    page.get_by_label("Email").fill("door@esd105.example")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_desk_scan_search_and_undo(live_server, phone_page, make_registration, make_person):
    dana = make_registration(person=make_person(first_name="Dana", last_name="Reyes",
                                                agency="Wapato SD"))  # fmt: skip
    event = dana.event
    lee = make_registration(event=event, person=make_person(first_name="Lee", last_name="Park"))
    page = phone_page
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/staff/events/{event.slug}/checkin")
    answer = page.locator("#answer")
    expect(answer).to_contain_text("Ready to scan")

    # A handheld scanner types the code (here with dashes and lower case) and presses Enter.
    code_field = page.get_by_label("Ticket code")
    expect(code_field).to_be_focused()
    code_field.fill("-".join(dana.ticket_code[i : i + 4] for i in range(0, 32, 4)).lower())
    code_field.press("Enter")
    expect(answer).to_contain_text("Checked in")
    expect(answer).to_contain_text("Dana Reyes · Wapato SD")
    expect(answer).to_have_class("answer answer-success")
    expect(page.locator("[data-live=checked_in]")).to_have_text("1")
    expect(code_field).to_have_value("")

    code_field.fill(dana.ticket_code)
    code_field.press("Enter")
    expect(answer).to_contain_text("Already checked in at")
    expect(answer).to_contain_text("by Kim")
    expect(answer).to_have_class("answer answer-warning")

    code_field.fill("NOT-A-TICKET")
    code_field.press("Enter")
    expect(answer).to_contain_text("Unknown code")
    expect(answer).to_have_class("answer answer-danger")

    # Search as you type, then check in from the result.
    page.get_by_role("searchbox", name="Name, email or agency").fill("park")
    result = page.locator("#search-results li").filter(has_text="Lee Park")
    expect(result).to_be_visible()
    result.get_by_role("button", name="Check in").click()
    expect(answer).to_contain_text("Checked in")
    expect(answer).to_contain_text("Lee Park")

    # Undo the last check-in.
    page.get_by_role("button", name="Undo this check-in").click()
    expect(answer).to_contain_text("Check-in of Lee Park undone.")
    expect(page.locator("[data-live=checked_in]")).to_have_text("1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    db.session.rollback()  # end the test's snapshot: the server wrote in its own session
    rows = db.session.scalars(select(Checkin).where(Checkin.registration_id == lee.id)).all()
    assert len(rows) == 1 and rows[0].annulled_at is not None and rows[0].source == "search"


def test_scans_made_offline_are_queued_and_replayed_once(live_server, page, make_registration):
    registration = make_registration()
    event = registration.event
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/staff/events/{event.slug}/checkin")
    answer = page.locator("#answer")
    network = page.locator("#network-status")

    page.context.set_offline(True)
    expect(network).to_contain_text("Offline")
    code_field = page.get_by_label("Ticket code")
    code_field.fill(registration.ticket_code)
    code_field.press("Enter")
    expect(answer).to_contain_text("Queued: no network")
    expect(network).to_contain_text("1 scan queued on this device")
    assert page.evaluate("JSON.parse(localStorage.getItem('summit.checkin.queue')).length") == 1

    db.session.rollback()
    assert db.session.scalars(select(Checkin)).all() == []  # nothing reached the server

    page.context.set_offline(False)
    expect(page.locator("#scan-log")).to_contain_text("Sent after reconnecting: Checked in")
    expect(network).to_be_hidden()
    assert page.evaluate("JSON.parse(localStorage.getItem('summit.checkin.queue')).length") == 0

    # A reload replays nothing twice: the queue is empty and the nonce was answered once.
    page.reload()
    code_field = page.get_by_label("Ticket code")
    code_field.fill(registration.ticket_code)
    code_field.press("Enter")
    expect(answer).to_contain_text("Already checked in at")

    db.session.rollback()
    rows = db.session.scalars(select(Checkin).order_by(Checkin.id)).all()
    assert [row.status for row in rows] == ["ok", "already_checked_in"]
    assert rows[0].nonce.startswith("d-")


def test_room_mode_scan_roster_tick_and_check_out(
    live_server, phone_page, make_registration, make_person
):
    dana = make_registration(person=make_person(first_name="Dana", last_name="Reyes"))
    event = dana.event
    make_registration(event=event, person=make_person(first_name="Lee", last_name="Park"))
    session = event.sessions[0]
    page = phone_page
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/staff/events/{event.slug}/sessions/{session.id}/checkin")
    answer = page.locator("#answer")
    in_session = page.locator(f"[data-live-session='{session.id}']").first

    code_field = page.get_by_label("Ticket code")
    code_field.fill(dana.ticket_code)
    code_field.press("Enter")
    expect(answer).to_contain_text("Checked in")
    expect(in_session).to_have_text("1")

    page.locator("[data-roster-code]").filter(has_text="Park").get_by_role("button").click()
    expect(answer).to_contain_text("Lee Park")
    expect(page.locator(".roster-present")).to_have_count(2)
    expect(in_session).to_have_text("2")
    expect(page.locator("[data-live=checked_in]")).to_have_text("2")  # entry recorded too

    page.get_by_text("Check out", exact=True).click()
    expect(page.get_by_role("button", name="Check out")).to_be_visible()
    code_field.fill(dana.ticket_code)
    code_field.press("Enter")
    expect(answer).to_contain_text("Checked out")
