"""The staff check-in pages through the client: desk, room mode, search, undo, paper."""

import csv
import io
import re
import subprocess
from datetime import UTC, date, datetime, timedelta
from html import escape, unescape

import pytest
import segno
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import func, select

from summit.checkin.display import session_when
from summit.checkin.services import check_in
from summit.extensions import db
from summit.models import (
    AgendaSession,
    ApiToken,
    Checkin,
    OutboxMessage,
    Person,
    Registration,
    utcnow,
)
from tests.helpers import decode_qr_codes, page_image, poppler, squash


@pytest.fixture
def door(auth):
    return auth.as_role("checkin")


def scan(client, event, code, **extra):
    return client.post(
        f"/staff/events/{event.slug}/checkin/scan",
        json={"code": code, "source": "scanner", **extra},
        headers={"Accept": "application/json"},
    )


def test_the_desk_needs_a_checkin_or_admin_account(client, auth, make_event):
    event = make_event()
    url = f"/staff/events/{event.slug}/checkin"
    assert client.get(url).status_code == 302  # to the sign-in page
    auth.as_role("checkin")
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'role="status"' in html and "Ticket code" in html and "Walk-in registration" in html
    assert "<script>" not in html and "onclick" not in html  # strict CSP: no inline script
    assert client.get("/staff/events/nope/checkin").status_code == 404


def test_a_scan_from_the_desk_answers_green_then_amber_with_time_and_staff(
    client, door, make_registration
):
    registration = make_registration()
    event = registration.event
    first = scan(client, event, registration.ticket_code).get_json()
    again = scan(client, event, registration.ticket_code).get_json()
    assert (first["tone"], first["message"]) == ("success", "Checked in")
    assert first["name"] == registration.person.full_name and first["undoable"]
    assert first["counts"]["checked_in"] == 1
    assert again["tone"] == "warning" and again["message"].startswith("Already checked in at ")
    assert again["message"].endswith("by Checkin")
    row = db.session.scalar(select(Checkin).order_by(Checkin.id))
    assert row.staff_user_id == door.id and row.source == "scanner"


def test_a_refused_scan_is_red_with_the_reason(client, door, make_registration):
    registration = make_registration(state="awaiting_payment")
    answer = scan(client, registration.event, registration.ticket_code).get_json()
    assert (answer["tone"], answer["message"]) == ("danger", "Not confirmed: awaiting payment")
    unknown = scan(client, registration.event, "garbage").get_json()
    assert (unknown["tone"], unknown["message"]) == ("danger", "Unknown code")


def test_without_javascript_the_scan_form_posts_and_the_page_shows_the_answer(
    client, door, make_registration
):
    registration = make_registration()
    event = registration.event
    form = {"code": registration.ticket_code, "source": "scanner"}
    response = client.post(f"/staff/events/{event.slug}/checkin/scan", data=form)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Checked in" in page and registration.person.full_name in page
    assert "Undo this check-in" in page
    nonce = db.session.scalar(select(Checkin.nonce))
    undone = client.post(
        f"/staff/events/{event.slug}/checkin/undo", data={"nonce": nonce}, follow_redirects=True
    )
    assert f"Check-in of {registration.person.full_name} undone." in undone.get_data(as_text=True)
    assert db.session.scalar(select(Checkin.annulled_at)) is not None


def test_undo_over_json_annuls_the_last_check_in(client, door, make_registration):
    registration = make_registration()
    event = registration.event
    answer = scan(client, event, registration.ticket_code).get_json()
    response = client.post(
        f"/staff/events/{event.slug}/checkin/undo", json={"nonce": answer["nonce"]}
    )
    assert response.status_code == 200 and response.get_json()["counts"]["checked_in"] == 0
    assert scan(client, event, registration.ticket_code).get_json()["status"] == "ok"


def test_search_as_you_type_returns_people_of_this_event_only(
    client, door, make_event, make_registration, make_person
):
    event = make_event()
    make_registration(event=event, person=make_person(first_name="Dana", last_name="Reyes"))
    make_registration(person=make_person(first_name="Dana", last_name="Elsewhere"))
    items = client.get(f"/staff/events/{event.slug}/checkin/search?q=dana").get_json()["items"]
    assert [item["name"] for item in items] == ["Dana Reyes"]
    assert items[0]["state_label"] == "Confirmed" and items[0]["checked_in_at"] is None
    page = client.get(f"/staff/events/{event.slug}/checkin?q=reyes").get_data(as_text=True)
    assert "Dana Reyes" in page and "Elsewhere" not in page


def test_live_numbers_are_json(client, door, make_registration):
    registration = make_registration()
    event = registration.event
    scan(client, event, registration.ticket_code, session_id=event.sessions[0].id)
    live = client.get(f"/staff/events/{event.slug}/checkin/live.json").get_json()
    assert (live["checked_in"], live["confirmed"]) == (1, 1)
    assert live["sessions"][0]["count"] == 1 and live["sessions"][1]["count"] == 0


def walk_in_details(**changes):
    return {
        "walkin-tier": "sro",
        "walkin-first_name": "Jo",
        "walkin-last_name": "Walker",
        "walkin-email": "jo.walker@wsp.example",
        **changes,
    }


def post_walk_in(client, event, details):
    """Send the desk's walk-in form and follow it to the page the desk sees next."""
    return client.post(
        f"/staff/events/{event.slug}/checkin/walk-in", data=details, follow_redirects=True
    )


def test_walk_in_from_the_desk_registers_and_checks_in(client, door, make_event):
    event = make_event()
    details = walk_in_details(**{"walkin-agency": "WSP", "nonce": "walkin-1"})
    response = post_walk_in(client, event, details)
    page = response.get_data(as_text=True)
    assert "Checked in" in page and "Jo Walker" in page
    registration = db.session.scalar(select(Registration))
    assert registration.state == "confirmed"
    assert db.session.scalar(select(Checkin.source)) == "walk_in"


def test_a_walk_in_with_a_bad_email_is_explained(client, door, make_event):
    event = make_event()
    details = walk_in_details(**{"walkin-last_name": "W", "walkin-email": "not-an-email"})
    response = post_walk_in(client, event, details)
    assert "Walk-in not registered" in response.get_data(as_text=True)
    assert db.session.scalar(select(Registration)) is None


def test_room_mode_scans_ticks_and_closes_a_session(client, door, make_registration, make_person):
    registration = make_registration()
    event = registration.event
    other = make_registration(event=event, person=make_person(last_name="Zimmer"))
    session = event.sessions[0]
    url = f"/staff/events/{event.slug}/sessions/{session.id}/checkin"
    page = client.get(url).get_data(as_text=True)
    assert escape(session.title) in page and "Mark present" in page and "Close the session" in page

    tick = client.post(
        f"/staff/events/{event.slug}/checkin/scan",
        data={"code": other.ticket_code, "source": "roster", "session_id": session.id},
    )
    assert tick.headers["Location"].endswith(url)
    assert "Present since" in client.get(url).get_data(as_text=True)

    client.post(f"/staff/events/{event.slug}/sessions/{session.id}/close")
    closed = scan(client, event, registration.ticket_code, session_id=session.id).get_json()
    assert closed["status"] == "session_closed" and closed["message"] == "Session closed"
    client.post(f"/staff/events/{event.slug}/sessions/{session.id}/reopen")
    assert (
        scan(client, event, registration.ticket_code, session_id=session.id).get_json()["status"]
        == "ok"
    )


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A June 2027 moment in UTC (Yakima is seven hours behind in June)."""
    return datetime(2027, 6, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "expected"),
    [
        (at(15, 14, 30), at(15, 15, 30), "Tue, Jun 15 · 7:30–8:30 AM"),
        (at(16, 18, 30), at(16, 20), "Wed, Jun 16 · 11:30 AM–1:00 PM"),
        (at(17, 5), at(17, 8), "Wed, Jun 16 · 10:00 PM – Thu, Jun 17 1:00 AM"),
    ],
)
def test_a_session_reads_with_its_day_and_time_in_the_event_time_zone(starts_at, ends_at, expected):
    assert session_when(starts_at, ends_at, "America/Los_Angeles") == expected


def test_sessions_with_the_same_title_are_told_apart_by_day_and_time(client, door, make_event):
    event = make_event(with_agenda=False)
    for day in (15, 16):
        noon = at(day, 19)
        event.sessions.append(
            AgendaSession(
                title="Lunch", room="Hall B", starts_at=noon, ends_at=noon + timedelta(hours=1)
            )
        )
    db.session.commit()
    desk = client.get(f"/staff/events/{event.slug}/checkin").get_data(as_text=True)
    assert 'Lunch<br><span class="small">Tue, Jun 15 · 12:00–1:00 PM</span>' in desk
    assert 'Lunch<br><span class="small">Wed, Jun 16 · 12:00–1:00 PM</span>' in desk
    second = event.sessions[1]
    room = client.get(f"/staff/events/{event.slug}/sessions/{second.id}/checkin")
    assert "Wed, Jun 16 · 12:00–1:00 PM · Hall B" in room.get_data(as_text=True)


def test_a_session_of_another_event_is_not_found(client, door, make_event, make_registration):
    registration = make_registration()
    foreign = make_event().sessions[0]
    event = registration.event
    assert (
        client.get(f"/staff/events/{event.slug}/sessions/{foreign.id}/checkin").status_code == 404
    )
    response = scan(client, event, registration.ticket_code, session_id=foreign.id)
    assert response.status_code == 404


def test_the_attendance_matrix_shows_people_by_topics(client, door, make_registration):
    registration = make_registration()
    event = registration.event
    for session in event.sessions[:2]:
        check_in(
            event.id, registration.ticket_code, staff=door, source="scanner", session_id=session.id
        )
    page = client.get(f"/staff/events/{event.slug}/attendance").get_data(as_text=True)
    topics = len(event.curriculum.items)
    assert registration.person.last_name in page
    assert f"2 / {topics}" in page and "credit-done" in page

    exported = client.get(f"/staff/events/{event.slug}/attendance?format=csv")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:2] == ["last_name", "first_name"] and len(rows) == 2
    assert rows[1][-3:] == ["2", str(topics), "120"]


def test_roster_csv_and_sign_in_sheet(client, door, make_registration, make_person):
    registration = make_registration()
    event = registration.event
    make_registration(event=event, person=make_person(last_name='=HYPERLINK("x")'))
    session = event.sessions[0]
    check_in(
        event.id, registration.ticket_code, staff=door, source="scanner", session_id=session.id
    )
    base = f"/staff/events/{event.slug}/sessions/{session.id}"

    exported = client.get(f"{base}/roster.csv")
    assert exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name[registration.person.last_name][5]  # checked in at
    assert '\'=HYPERLINK("x")' in by_name  # a formula is defused

    sheet = client.get(f"{base}/roster.pdf")
    assert sheet.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(sheet.data)).pages[0].extract_text()
    assert "Sign-in sheet" in text or "SIGN-IN SHEET" in text
    assert registration.person.last_name in text and session.title[:20] in text


def test_badges_for_the_event_and_for_one_person(
    client, door, make_event, make_registration, make_person
):
    event = make_event()
    people = [
        make_registration(event=event, person=make_person(first_name=f"Badge{n}")) for n in range(7)
    ]
    make_registration(event=event, person=make_person(first_name="Cancelled"), state="cancelled")
    everyone = client.get(f"/staff/events/{event.slug}/badges.pdf")
    reader = PdfReader(io.BytesIO(everyone.data))
    assert len(reader.pages) == 2  # six per sheet
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Badge0" in text and "Badge6" in text and "Cancelled" not in text

    one = client.get(f"/staff/events/{event.slug}/badges.pdf?code={people[3].ticket_code}")
    text = PdfReader(io.BytesIO(one.data)).pages[0].extract_text()
    assert "Badge3" in text and "Badge0" not in text
    other_event = make_registration()
    assert (
        client.get(
            f"/staff/events/{event.slug}/badges.pdf?code={other_event.ticket_code}"
        ).status_code
        == 404
    )


def test_admins_create_and_revoke_api_tokens(client, auth, make_staff):
    auth.as_role("admin")
    member = make_staff("checkin")
    page = client.post("/staff/api-tokens", data={"staff": member.id, "name": "door 1"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Copy this token now" in html
    token = db.session.scalar(select(ApiToken))
    assert token.prefix in html and token.staff_user_id == member.id
    client.post(f"/staff/api-tokens/{token.id}/revoke")
    db.session.refresh(token)
    assert token.revoked_at is not None


def test_checkin_staff_cannot_manage_tokens(client, door):
    assert client.get("/staff/api-tokens").status_code == 403


def test_the_camera_fallback_is_served_from_node_modules(client, door):
    response = client.get("/staff/vendor/jsQR.js")
    if response.status_code == 404:
        pytest.skip("node_modules/jsqr is not installed (npm ci)")
    assert response.mimetype == "text/javascript" and b"jsQR" in response.data


def test_an_offline_scan_posted_later_is_flagged(client, door, make_registration):
    registration = make_registration()
    when = utcnow() - timedelta(minutes=30)
    offline = {"nonce": "offline-1", "scanned_at": when.isoformat()}
    answer = scan(client, registration.event, registration.ticket_code, **offline).get_json()
    assert answer["status"] == "ok" and answer["is_replay"]
    again = scan(client, registration.event, registration.ticket_code, **offline).get_json()
    assert again["status"] == "ok" and again["replayed"]
    assert len(db.session.scalars(select(Checkin)).all()) == 1


def test_a_green_answer_links_to_the_badge_but_the_cookie_never_holds_the_code(
    client, door, make_registration
):
    registration = make_registration()
    event = registration.event
    answer = scan(client, event, registration.ticket_code).get_json()
    assert answer["badge_url"].endswith(f"badges.pdf?code={registration.ticket_code}")
    form = {"code": registration.ticket_code, "source": "desk"}
    client.post(f"/staff/events/{event.slug}/checkin/scan", data=form)
    with client.session_transaction() as cookie:
        assert registration.ticket_code not in str(dict(cookie))


# ---------------------------------------------------------------- damaged input


def checkins() -> int:
    return db.session.scalar(select(func.count()).select_from(Checkin))


@pytest.mark.parametrize("action", ["close", "reopen"])
def test_closing_or_reopening_a_session_of_another_event_is_not_found(
    client, door, make_event, action
):
    mine, other = make_event(), make_event()
    foreign = other.sessions[0]
    for session_id in (foreign.id, 999_999):
        response = client.post(f"/staff/events/{mine.slug}/sessions/{session_id}/{action}")
        assert response.status_code == 404
    db.session.refresh(foreign)
    assert foreign.closed_at is None


@pytest.mark.parametrize(
    "session_id", ["1e400", "Infinity", "NaN", "true", "1.5", "[1]", '"²"', "99999999999999999999"]
)
def test_a_scan_naming_no_real_session_is_refused_and_records_nothing(
    client, door, make_registration, session_id
):
    registration = make_registration()
    body = f'{{"code": "{registration.ticket_code}", "session_id": {session_id}}}'
    response = client.post(
        f"/staff/events/{registration.event.slug}/checkin/scan",
        data=body,
        content_type="application/json",
    )
    # 422, not 400: the desk's script drops a refused scan but retries a 400 forever
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == "Choose a session from the list."
    assert checkins() == 0


@pytest.mark.parametrize("session_id", ["²", "9" * 5000, "٣", "-1", "0"])
def test_a_form_scan_with_a_damaged_session_goes_back_to_the_desk_with_the_reason(
    client, door, make_registration, session_id
):
    registration = make_registration()
    event = registration.event
    response = client.post(
        f"/staff/events/{event.slug}/checkin/scan",
        data={"code": registration.ticket_code, "session_id": session_id},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/staff/events/{event.slug}/checkin")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Choose a session from the list." in page
    assert checkins() == 0


@pytest.mark.parametrize("body", ["[1]", '"abc"', "7", "true", "null", "{bad json"])
def test_undo_without_a_json_object_is_refused_and_the_check_in_stands(
    client, door, make_registration, body
):
    registration = make_registration()
    event = registration.event
    scan(client, event, registration.ticket_code)
    response = client.post(
        f"/staff/events/{event.slug}/checkin/undo", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "Send a JSON object."
    live = client.get(f"/staff/events/{event.slug}/checkin/live.json").get_json()
    assert live["checked_in"] == 1


@pytest.mark.parametrize("session_id", ["²", "9" * 5000, "abc"])
def test_undo_from_a_damaged_form_still_undoes_and_returns_to_the_desk(
    client, door, make_registration, session_id
):
    registration = make_registration()
    event = registration.event
    nonce = scan(client, event, registration.ticket_code).get_json()["nonce"]
    response = client.post(
        f"/staff/events/{event.slug}/checkin/undo", data={"nonce": nonce, "session_id": session_id}
    )
    assert response.headers["Location"].endswith(f"/staff/events/{event.slug}/checkin")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Check-in of {registration.person.full_name} undone." in page
    refused = client.post(
        f"/staff/events/{event.slug}/checkin/undo",
        data={"nonce": "no-such-scan", "session_id": session_id},
        follow_redirects=True,
    )
    assert "There is no such check-in in this event." in refused.get_data(as_text=True)


@pytest.mark.parametrize("session_id", ["99999999999999999999", str(2**63), "²", "abc", "-1"])
def test_search_ignores_a_session_filter_that_is_not_an_id(
    client, door, make_registration, session_id
):
    registration = make_registration()
    event = registration.event
    scan(client, event, registration.ticket_code)
    response = client.get(
        f"/staff/events/{event.slug}/checkin/search",
        query_string={"q": registration.person.last_name, "session_id": session_id},
    )
    assert response.status_code == 200
    [item] = response.get_json()["items"]
    assert item["name"] == registration.person.full_name
    assert item["checked_in_at"] is not None  # event entry, as without a filter


def test_search_in_a_room_of_another_event_is_not_found(
    client, door, make_event, make_registration
):
    registration = make_registration()
    foreign = make_event().sessions[0]
    response = client.get(
        f"/staff/events/{registration.event.slug}/checkin/search",
        query_string={"q": "Alex", "session_id": foreign.id},
    )
    assert response.status_code == 404


@pytest.mark.parametrize("nonce", ["bad nonce!", "n" * 65, "<script>"])
def test_a_walk_in_with_a_damaged_form_registers_nobody_and_sends_nothing(
    client, door, make_event, nonce
):
    event = make_event()
    response = post_walk_in(client, event, {**walk_in_details(), "nonce": nonce})
    page = response.get_data(as_text=True)
    assert "Walk-in not registered: the form was damaged." in page
    assert db.session.scalar(select(Registration)) is None
    assert db.session.scalar(select(OutboxMessage)) is None


def test_a_walk_in_whose_check_in_fails_says_they_are_registered(
    client, door, make_registration, make_event
):
    elsewhere = make_registration()
    check_in(elsewhere.event_id, elsewhere.ticket_code, staff=door, source="desk", nonce="used-1")
    event = make_event()
    response = post_walk_in(client, event, {**walk_in_details(), "nonce": "used-1"})
    page = response.get_data(as_text=True)
    assert "Jo Walker is registered but not checked in" in page
    assert "Find them with the search to check them in." in page
    assert db.session.scalar(select(Registration).where(Registration.event_id == event.id))


def test_a_walk_in_phone_too_long_once_formatted_is_explained(client, door, make_event):
    """40 characters typed become 41 stored: '+1 509-555-0105 ext. 12345678901234567890'."""
    event = make_event()
    typed = "5095550105 ext. 12345678901234567890"
    response = post_walk_in(client, event, walk_in_details(**{"walkin-phone": typed}))
    page = response.get_data(as_text=True)
    assert "Walk-in not registered" in page and "phone number is too long" in page
    assert db.session.scalar(select(Person)) is None


# A 79-character name and a 146-character agency: the badges that overlapped their QR.
LONG_FIRST, LONG_LAST = (
    "Marian Guadalupe Esperanza Asunción",
    "Fitzgerald-Villanueva de la Cruz-Montgomery",
)
LONG_AGENCY = (
    "Yakima County Sheriff's Office School Resource Officer Program, in partnership with "
    "the Educational Service District 105 Safety Operations Section"
)
UNBROKEN = "Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaft"
WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)


def word_boxes(pdf: bytes, page: int = 1) -> list[tuple[str, float, float, float, float]]:
    """Every word poppler finds on a page, with its box in points (x0, y0, x1, y1; y down)."""
    with poppler("pdftotext", pdf) as (pdftotext, source):
        xhtml = subprocess.run(
            [pdftotext, "-f", str(page), "-l", str(page), "-bbox", str(source), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return [
        (unescape(text), float(x0), float(y0), float(x1), float(y1))
        for x0, y0, x1, y1, text in WORD.findall(xhtml)
    ]


def qr_zones(pdf: bytes, dpi: int = 200) -> dict[str, tuple[float, float, float, float]]:
    """Each QR code on the first page: its text and its box with the quiet zone, in points.

    The quiet zone is the four modules of blank margin a reader needs around a symbol.
    """
    zones = {}
    for found in zxingcpp.read_barcodes(page_image(pdf, 1, dpi)):
        corners = [
            found.position.top_left,
            found.position.top_right,
            found.position.bottom_left,
            found.position.bottom_right,
        ]
        xs, ys = [c.x * 72 / dpi for c in corners], [c.y * 72 / dpi for c in corners]
        modules = segno.make(found.text, error="m", micro=False).symbol_size(border=0)[0]
        quiet = 4 * (max(xs) - min(xs)) / modules
        zones[found.text] = (min(xs) - quiet, min(ys) - quiet, max(xs) + quiet, max(ys) + quiet)
    return zones


def within_a_badge(x0: float, y0: float, x1: float, y1: float) -> bool:
    """Whether a box lies inside one of the six 4 × 3 in badges (1 in top, ¼ in side margins)."""
    column, row = int((x0 - 18) // (4 * 72)), int((y0 - 72) // (3 * 72))
    left, top = 18 + column * 4 * 72, 72 + row * 3 * 72
    return 0 <= column < 2 and 0 <= row < 3 and x1 <= left + 4 * 72 and y1 <= top + 3 * 72


def colliding(words) -> list[tuple[str, str]]:
    """Pairs of words printed over each other (more than half the height of the smaller)."""
    pairs = []
    for i, (word, x0, y0, x1, y1) in enumerate(words):
        for other, ox0, oy0, ox1, oy1 in words[i + 1 :]:
            shared = min(y1, oy1) - max(y0, oy0)
            if min(x1, ox1) > max(x0, ox0) and shared > min(y1 - y0, oy1 - oy0) / 2:
                pairs.append((word, other))
    return pairs


def test_badges_with_long_names_keep_every_qr_readable_and_clear_of_text(
    client, door, make_event, make_registration, make_person
):
    assert len(f"{LONG_FIRST} {LONG_LAST}") == 79 and len(LONG_AGENCY) == 146
    event = make_event()
    people = [
        make_person(first_name=LONG_FIRST, last_name=LONG_LAST, agency=LONG_AGENCY),
        make_person(first_name="Jo", last_name="Ng", agency=LONG_AGENCY),
        make_person(first_name=UNBROKEN, last_name=UNBROKEN, agency=UNBROKEN),
        make_person(first_name="Dana", last_name="Reyes", agency="Wapato SD"),
        make_person(first_name=LONG_FIRST, last_name="Park", agency=""),
        make_person(first_name="Lee", last_name=LONG_LAST, agency="Yakima PD"),
    ]
    codes = {make_registration(event=event, person=person).ticket_code for person in people}
    pdf = client.get(f"/staff/events/{event.slug}/badges.pdf").data

    assert sorted(decode_qr_codes(pdf)) == sorted(codes)  # all six decode
    zones = qr_zones(pdf)
    assert set(zones) == codes
    words = word_boxes(pdf)
    overlapping = [
        (word, code[-6:])
        for word, x0, y0, x1, y1 in words
        for code, (qx0, qy0, qx1, qy1) in zones.items()
        if x0 < qx1 and qx0 < x1 and y0 < qy1 and qy0 < y1
    ]
    assert overlapping == []
    assert [word for word, *box in words if not within_a_badge(*box)] == []  # nothing cut off
    assert colliding(words) == []  # and no line printed over another
    text = squash(" ".join(word for word, *_box in words))
    for person in people:  # names shrink or wrap, never cut off
        for part in (person.first_name, person.last_name, person.agency):
            assert squash(part) in text


def test_the_desk_warns_when_the_event_is_not_on_today(client, door, make_event):
    """Scans still count (offline replays arrive late); the desk only warns."""
    today = date.today()  # the event's own day may be a day behind in Pacific time
    past = make_event(starts_on=today - timedelta(days=10))
    current = make_event(starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1))
    future = make_event(starts_on=today + timedelta(days=90))
    pages = {
        event: client.get(f"/staff/events/{event.slug}/checkin").get_data(as_text=True)
        for event in (past, current, future)
    }
    assert "is over" in pages[past] and "right event" in pages[past]
    assert "has not started" in pages[future]
    assert "data-not-today" not in pages[current]
