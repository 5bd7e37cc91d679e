"""The check-in desk in real Chromium on a phone: a typed scan, search, undo, offline queue."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from summit.auth.services import create_staff
from summit.checkin.services import check_in
from summit.extensions import db
from summit.models import Checkin
from summit.qr import qr_png_data_uri
from tests.conftest import STAFF_PASSWORD


def sign_in(page, base_url):
    create_staff("door@esd105.example", "checkin", STAFF_PASSWORD, name="Kim")
    page.goto(f"{base_url}/staff/sign-in")
    page.get_by_label("Email").fill("door@esd105.example")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_desk_scan_search_and_undo(live_server, phone_page, make_registration, make_person):
    dana = make_registration(
        person=make_person(first_name="Dana", last_name="Reyes", agency="Wapato SD")
    )
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

    expect(code_field).to_be_focused()  # the next scan lands in the code field

    # Undo the last check-in, with a tap: the field takes focus without the on-screen keyboard.
    page.get_by_role("button", name="Undo this check-in").tap()
    expect(answer).to_contain_text("Check-in of Lee Park undone.")
    expect(code_field).to_be_focused()
    expect(code_field).to_have_attribute("inputmode", "none")
    expect(page.locator("[data-live=checked_in]")).to_have_text("1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    db.session.rollback()  # end the test's snapshot: the server wrote in its own session
    rows = db.session.scalars(select(Checkin).where(Checkin.registration_id == lee.id)).all()
    assert len(rows) == 1 and rows[0].annulled_at is not None and rows[0].source == "search"


# The focused element's name as a screen reader would start it: its label or its text.
FOCUSED_NAME = """() => { const e = document.activeElement;
  const label = e.getAttribute("aria-label") || e.labels?.[0]?.textContent;
  return (label || e.textContent || "").trim(); }"""


def tab_to(page, name: str, *, backwards: bool = False, limit: int = 12) -> None:
    """Press Tab (or Shift+Tab) until the focused element's accessible text starts with ``name``."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        focused = page.evaluate(FOCUSED_NAME)
        if focused.startswith(name):
            return
    raise AssertionError(f"{name!r} is not reachable with the keyboard")


def test_keyboard_only_desk_never_loses_the_next_scan(
    live_server, page, make_registration, make_person
):
    """A handheld scanner types into whatever has focus: after undo or a check-in from the
    search results, the next scan must still land in the code field."""
    dana = make_registration(person=make_person(first_name="Dana", last_name="Reyes"))
    event = dana.event
    lee = make_registration(event=event, person=make_person(first_name="Lee", last_name="Park"))
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/staff/events/{event.slug}/checkin")
    answer = page.locator("#answer")
    code_field = page.get_by_label("Ticket code")
    expect(code_field).to_be_focused()

    page.keyboard.type(dana.ticket_code)
    page.keyboard.press("Enter")
    expect(answer).to_contain_text("Checked in")
    tab_to(page, "Undo this check-in", backwards=True)
    page.keyboard.press("Enter")
    expect(answer).to_contain_text("Check-in of Dana Reyes undone.")
    expect(code_field).to_be_focused()
    page.keyboard.type(dana.ticket_code)  # the next scan, typed wherever focus is
    page.keyboard.press("Enter")
    expect(answer).to_contain_text("Checked in")
    expect(answer).to_have_class("answer answer-success")

    tab_to(page, "Name, email or agency")
    page.keyboard.type("park")
    expect(page.locator("#search-results li").filter(has_text="Lee Park")).to_be_visible()
    tab_to(page, "Check in")
    page.keyboard.press("Enter")
    expect(answer).to_contain_text("Lee Park")
    expect(code_field).to_be_focused()
    page.keyboard.type(lee.ticket_code)
    page.keyboard.press("Enter")
    expect(answer).to_contain_text("Already checked in at")

    db.session.rollback()
    rows = db.session.scalars(select(Checkin).order_by(Checkin.id)).all()
    seen = [(r.registration_id, r.source, r.status, r.annulled_at is not None) for r in rows]
    assert seen == [
        (dana.id, "scanner", "ok", True),  # undone
        (dana.id, "scanner", "ok", False),  # the scan after the undo was not lost
        (lee.id, "search", "ok", False),
        (lee.id, "scanner", "already_checked_in", False),  # nor the one after the search
    ]


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


# A camera the test holds tickets in front of: getUserMedia answers with a canvas's
# stream, so the page's own camera code (video, decoder, repeat guard, scan) reads it.
FAKE_CAMERA = """(() => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 480;
  const context = canvas.getContext("2d");
  let ticket = null;
  setInterval(() => {
    context.fillStyle = "#fff";
    context.fillRect(0, 0, 480, 480);
    if (ticket) context.drawImage(ticket, 40, 40, 400, 400);
  }, 50);
  window.fakeCamera = {
    show: (src) => new Promise((resolve) => {
      const image = new Image();
      image.onload = () => { ticket = image; resolve(); };
      image.src = src;
    }),
    hide: () => { ticket = null; },
  };
  const stream = async () => canvas.captureStream(15);
  if (navigator.mediaDevices) navigator.mediaDevices.getUserMedia = stream;
})()"""


def test_camera_reads_a_ticket_held_still_once_and_sits_near_the_top_on_a_phone(
    live_server, phone_page, make_registration, make_person
):
    dana = make_registration(person=make_person(first_name="Dana", last_name="Reyes"))
    event = dana.event
    session = event.sessions[0]
    page = phone_page
    page.add_init_script(FAKE_CAMERA)
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/staff/events/{event.slug}/sessions/{session.id}/checkin")
    ignore_ms = page.evaluate("async () => (await import('/static/js/camera.js')).REPEAT_IGNORE_MS")
    answer = page.locator("#answer")
    log = page.locator("#scan-log li")

    page.get_by_role("button", name="Scan with the camera").click()
    expect(page.locator("#camera-status")).to_contain_text("Point the camera")
    video, shown = page.locator("#camera-video").bounding_box(), answer.bounding_box()
    assert video["y"] < 844 / 3, "the preview starts in the top third of the phone screen"
    assert shown["y"] + shown["height"] <= 844, "the answer is on the same screen as the preview"

    page.evaluate("(src) => fakeCamera.show(src)", qr_png_data_uri(dana.ticket_code))
    expect(answer).to_contain_text("Checked in")
    expect(answer).to_have_class("answer answer-success")
    page.wait_for_timeout(ignore_ms + 1500)  # the ticket stays in front of the lens
    expect(answer).to_have_class("answer answer-success")
    expect(log).to_have_count(1)

    page.evaluate("fakeCamera.hide()")  # taken away, then shown again on purpose
    page.wait_for_timeout(ignore_ms + 500)
    page.evaluate("(src) => fakeCamera.show(src)", qr_png_data_uri(dana.ticket_code))
    expect(answer).to_contain_text("Already checked in at")
    expect(log).to_have_count(2)

    db.session.rollback()
    rows = db.session.scalars(
        select(Checkin).where(Checkin.session_id == session.id).order_by(Checkin.id)
    ).all()
    assert [(row.source, row.status) for row in rows] == [
        ("camera", "ok"),
        ("camera", "already_checked_in"),
    ]


def rgb(page, selector: str) -> tuple[int, ...]:
    """The background colour a cell is painted with, as (red, green, blue)."""
    colour = page.locator(selector).first.evaluate(
        "(cell) => getComputedStyle(cell).backgroundColor"
    )
    return tuple(int(part) for part in colour[colour.index("(") + 1 : -1].split(",")[:3])


def test_attendance_matrix_paints_complete_cells_green_and_partial_cells_amber(
    live_server, page, make_registration
):
    registration = make_registration()
    event = registration.event
    event.sessions[1].topics[0].minutes = 30  # half of the 60 minutes required
    db.session.commit()
    for session in event.sessions[:2]:
        check_in(
            event.id, registration.ticket_code, staff=None, source="desk", session_id=session.id
        )
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/staff/events/{event.slug}/attendance")
    expect(page.locator("td.credit-done")).to_have_count(1)
    expect(page.locator("td.credit-part")).to_have_count(1)

    done, part, untouched = (
        rgb(page, "td.credit-done"),
        rgb(page, "td.credit-part"),
        rgb(page, "tbody td:not(.credit-done):not(.credit-part)"),
    )
    assert untouched == (255, 255, 255)
    red, green, blue = done
    assert green > red and green > blue, f"a complete topic is green, not {done}"
    red, green, blue = part
    assert red > blue + 40 and green > blue + 40, f"a partial topic is amber, not {part}"
    assert done != part
    swatches = page.locator(".legend-swatch")
    assert rgb(page, ".legend-swatch.credit-done") == done  # the legend shows what it says
    assert rgb(page, ".legend-swatch.credit-part") == part
    expect(swatches).to_have_count(2)
