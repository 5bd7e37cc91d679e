"""The attendee portal: signed links, own data only, details, cancel, offers, the PDF ticket."""

from __future__ import annotations

import io
import re
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from itsdangerous import TimestampSigner
from pypdf import PdfReader
from sqlalchemy import select

from summit.auth.attendees import SESSION_KEY
from summit.auth.links import portal_token
from summit.extensions import db
from summit.mail.outbox import build_message
from summit.models import AuditLog, Person, Registration, utcnow
from tests.helpers import enter_portal, outbox, text


@pytest.fixture
def make_event(make_upcoming_event):
    """The portal before the event: details and cancelling close once it starts."""
    return make_upcoming_event


def pacific_today() -> date:
    """The event's calendar day: from 00:00 to 08:00 UTC it is still yesterday in Yakima."""
    return datetime.now(ZoneInfo("America/Los_Angeles")).date()


def old_token(person: Person, monkeypatch, age_seconds: int) -> str:
    """A genuine token signed ``age_seconds`` ago (itsdangerous reads the clock here)."""
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - age_seconds)
        return portal_token(person)


# --- the way in -----------------------------------------------------------------------


def test_link_signs_in_and_leaves_the_address_bar(client, make_registration):
    registration = make_registration()
    response = enter_portal(client, registration.person)
    assert response.status_code == 302
    assert response.headers["Location"] == "/my/"
    with client.session_transaction() as session:
        assert session[SESSION_KEY] == registration.person.id
    home = client.get("/my/")
    assert home.status_code == 200
    assert registration.event.name in text(home)
    assert home.headers["Cache-Control"] == "no-store"


def test_expired_link_offers_a_fresh_one(client, make_person, monkeypatch):
    person = make_person()
    token = old_token(person, monkeypatch, 31 * 24 * 3600)
    response = client.get(f"/my/enter/{token}")
    assert response.status_code == 410
    assert "This link has expired" in text(response)
    assert "Email me a link" in text(response)
    assert client.get("/my/").status_code == 302


def test_link_age_limit_is_configurable(client, app, make_person, monkeypatch):
    person = make_person()
    token = old_token(person, monkeypatch, 3 * 3600)
    assert client.get(f"/my/enter/{token}").status_code == 302
    app.config["PORTAL_LINK_MAX_AGE"] = 3600
    assert client.get(f"/my/enter/{token}").status_code == 410


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "x" + token,
        lambda token: "not-a-token",
        lambda token: token.split(".", 1)[1],
    ],
    ids=["signature", "payload", "garbage", "truncated"],
)
def test_tampered_link_offers_a_fresh_one(client, make_person, mangle):
    token = mangle(portal_token(make_person()))
    response = client.get(f"/my/enter/{token}")
    assert response.status_code == 400
    assert "This link is not valid" in text(response)
    assert 'name="email"' in text(response)
    assert client.get("/my/").status_code == 302


def test_link_stops_working_when_the_email_changes(client, make_person):
    person = make_person()
    token = portal_token(person)
    person.email = "new.address@yakimapd.example"
    db.session.commit()
    assert client.get(f"/my/enter/{token}").status_code == 400


def test_open_session_ends_when_the_email_changes(client, make_person):
    person = make_person()
    enter_portal(client, person)
    person.email = "moved@yakimapd.example"
    db.session.commit()
    assert client.get("/my/").headers["Location"] == "/my/sign-in"


def test_a_bad_link_does_not_end_an_open_session(client, make_person):
    person = make_person()
    enter_portal(client, person)
    response = client.get(f"/my/enter/{portal_token(person)}x")
    assert response.status_code == 400
    assert "You are still signed in" in text(response)
    assert client.get("/my/").status_code == 200


def test_link_of_a_deleted_person_is_not_valid(client, make_person):
    person = make_person()
    token = portal_token(person)
    db.session.delete(person)
    db.session.commit()
    assert client.get(f"/my/enter/{token}").status_code == 400


@pytest.mark.parametrize(
    "path", ["/my/", "/my/details", "/my/registrations/1", "/my/registrations/1/ticket.pdf"]
)
def test_pages_need_a_portal_session(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/my/sign-in"


def test_sign_out_ends_the_session(client, make_person):
    enter_portal(client, make_person())
    assert client.post("/my/sign-out").status_code == 302
    assert client.get("/my/").status_code == 302


def test_staff_sign_in_is_not_a_portal_session(client, auth):
    auth.as_role("admin")
    assert client.get("/my/").headers["Location"] == "/my/sign-in"


# --- asking for a link ----------------------------------------------------------------


def test_sign_in_answer_is_the_same_for_known_and_unknown_emails(client, make_person):
    person = make_person()
    known = client.post("/my/sign-in", data={"email": person.email.upper()})
    unknown = client.post("/my/sign-in", data={"email": "nobody@nowhere.example"})
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"] == "/my/sign-in/sent"
    page = client.get("/my/sign-in/sent")
    assert "If that email has a registration, a link is on its way" in text(page)

    messages = outbox("portal_link")
    assert [message.recipient for message in messages] == [person.email]


def test_the_emailed_link_opens_the_portal(client, app, make_person):
    person = make_person()
    client.post("/my/sign-in", data={"email": person.email})
    body = build_message(outbox("portal_link")[0]).body  # signed as it is sent
    link = re.search(re.escape(app.config["PUBLIC_URL"]) + r"(/my/enter/\S+)", body)
    assert link, body
    assert client.get(link.group(1)).headers["Location"] == "/my/"
    assert person.first_name in text(client.get("/my/"))


def test_a_link_for_someone_else_asks_before_switching(client, make_person):
    alex, blake = make_person(first_name="Alex"), make_person(first_name="Blake")
    enter_portal(client, alex)
    page = client.get(f"/my/enter/{portal_token(blake)}")
    assert page.status_code == 200
    assert "Switch to another person's registrations?" in text(page)
    with client.session_transaction() as session:
        assert session[SESSION_KEY] == alex.id, "a GET alone never swaps the account"
    assert client.post(f"/my/enter/{portal_token(blake)}").headers["Location"] == "/my/"
    with client.session_transaction() as session:
        assert session[SESSION_KEY] == blake.id


def test_the_same_persons_link_again_just_opens_the_portal(client, make_person):
    alex = make_person()
    enter_portal(client, alex)
    assert client.get(f"/my/enter/{portal_token(alex)}").headers["Location"] == "/my/"


def test_sign_in_page_has_a_labelled_email_field(client):
    page = text(client.get("/my/sign-in"))
    assert '<label class="form-label" for="email">Email</label>' in page
    assert "Email me a link" in page


def test_empty_email_is_asked_again(client):
    response = client.post("/my/sign-in", data={"email": ""})
    assert response.status_code == 400
    assert "Enter the email address you registered with." in text(response)
    assert outbox("portal_link") == []


def test_repeated_requests_send_one_link_per_window(client, make_person):
    person = make_person()
    for _ in range(3):
        client.post("/my/sign-in", data={"email": person.email})
    assert len(outbox("portal_link")) == 1


def test_sign_in_is_throttled(rate_limited_app):
    client = rate_limited_app.test_client()
    person = Person(email="throttle@yakimapd.example", first_name="T", last_name="Hrottle")
    db.session.add(person)
    db.session.commit()
    for _ in range(5):
        assert client.post("/my/sign-in", data={"email": person.email}).status_code == 303
    blocked = client.post("/my/sign-in", data={"email": person.email})
    assert blocked.status_code == 429
    assert "Too many attempts" in text(blocked)


# --- what the attendee sees -----------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "words"),
    [
        ("confirmed", "Confirmed"),
        ("awaiting_payment", "Awaiting payment"),
        ("waitlisted", "On the waitlist"),
        ("offered", "A seat is offered to you until"),
        ("pending_approval", "Waiting for approval"),
        ("cancelled", "Cancelled"),
    ],
)
def test_home_words_each_state(client, make_registration, state, words):
    extra = {"offer_expires_at": utcnow() + timedelta(hours=48)} if state == "offered" else {}
    registration = make_registration(state=state, **extra)
    enter_portal(client, registration.person)
    page = text(client.get("/my/"))
    assert words in page
    assert f"/my/registrations/{registration.id}" in page
    assert "Certificates" in page and "Training record" in page


def test_home_lists_every_event_with_the_amount_due(client, make_event, make_registration):
    first = make_registration()
    second_event = make_event()
    make_registration(
        event=second_event,
        person=first.person,
        tier=second_event.tiers[1],
        state="awaiting_payment",
    )
    enter_portal(client, first.person)
    page = text(client.get("/my/"))
    assert first.event.name in page and second_event.name in page
    assert "$50" in page


def test_confirmed_registration_shows_the_qr_and_the_code_in_groups(client, make_registration):
    registration = make_registration()
    enter_portal(client, registration.person)
    page = text(client.get(f"/my/registrations/{registration.id}"))
    code = registration.ticket_code
    assert 'src="data:image/svg+xml' in page
    assert " ".join(code[i : i + 4] for i in range(0, len(code), 4)) in page
    assert "Download PDF ticket" in page


def test_the_venue_is_labelled_as_the_venue_not_an_address_of_the_attendee(
    client, make_event, make_registration
):
    event = make_event(venue_address="10 N 8th St, Yakima, WA 98901")
    registration = make_registration(event=event)
    enter_portal(client, registration.person)
    page = text(client.get(f"/my/registrations/{registration.id}"))
    venue = re.search(r"<dt[^>]*>Venue</dt><dd[^>]*>(.*?)</dd>", page)
    assert venue and venue.group(1) == "Yakima Convention Center<br>10 N 8th St, Yakima, WA 98901"
    assert ">Address</dt>" not in page


def test_the_registration_type_has_one_pair_of_brackets(client, make_event, make_registration):
    event = make_event()
    event.tiers[0].name = "School resource officers (free)"
    db.session.commit()
    registration = make_registration(event=event)
    enter_portal(client, registration.person)
    page = text(client.get(f"/my/registrations/{registration.id}"))
    assert "School resource officers (free)</dd>" in page
    assert "(Free)" not in page


@pytest.mark.parametrize("state", ["waitlisted", "awaiting_payment", "pending_approval"])
def test_no_qr_until_confirmed(client, make_registration, state):
    registration = make_registration(state=state)
    enter_portal(client, registration.person)
    page = text(client.get(f"/my/registrations/{registration.id}"))
    assert "data:image/svg+xml" not in page
    assert registration.ticket_code[:8] not in page
    assert "There is no ticket yet" in page
    pdf = client.get(f"/my/registrations/{registration.id}/ticket.pdf")
    assert pdf.status_code == 302


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("get", "/ticket.pdf"),
        ("get", "/cancel"),
        ("post", "/cancel"),
        ("post", "/accept"),
    ],
)
def test_another_persons_registration_is_not_found(
    client, make_registration, make_person, method, suffix
):
    theirs = make_registration()
    enter_portal(client, make_person())
    response = getattr(client, method)(f"/my/registrations/{theirs.id}{suffix}")
    assert response.status_code == 404
    assert theirs.person.last_name not in text(response)
    db.session.refresh(theirs)
    assert theirs.state == "confirmed"


def test_unknown_registration_is_not_found(client, make_person):
    enter_portal(client, make_person())
    assert client.get("/my/registrations/999999").status_code == 404


def test_pages_escape_what_people_typed(client, make_registration, make_person):
    person = make_person(first_name="<script>alert(1)</script>")
    enter_portal(client, make_registration(person=person).person)
    page = text(client.get("/my/"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


# --- the PDF ticket -------------------------------------------------------------------


def test_pdf_ticket(client, make_registration, make_person):
    person = make_person(first_name="Jordan", last_name="Whitefeather", agency="Wapato PD")
    registration = make_registration(person=person)
    enter_portal(client, person)
    response = client.get(f"/my/registrations/{registration.id}/ticket.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    content = reader.pages[0].extract_text()
    assert "Jordan Whitefeather" in content
    assert "Wapato PD" in content
    assert registration.event.name in content
    assert registration.ticket_code in content.replace(" ", "")
    assert reader.metadata.title == f"{registration.event.name} ticket: Jordan Whitefeather"


# --- editing details ------------------------------------------------------------------

VALID_DETAILS = {
    "first_name": "Sam",
    "last_name": "Rivera",
    "phone": "(509) 555-0142",
    "agency": "Kittitas County Sheriff",
    "job_title": "School Resource Officer",
}


def test_details_form_is_prefilled_and_labelled(client, make_registration):
    registration = make_registration()
    enter_portal(client, registration.person)
    page = text(client.get("/my/details"))
    for label in ("First name", "Last name", "Phone", "Agency or employer", "Job title"):
        assert f">{label}</label>" in page
    assert f'value="{registration.person.last_name}"' in page
    assert 'name="email"' not in page


def test_details_are_saved_and_audited(client, make_registration):
    registration = make_registration()
    person = registration.person
    enter_portal(client, person)
    response = client.post("/my/details", data=VALID_DETAILS)
    assert response.status_code == 302
    db.session.refresh(person)
    assert (person.first_name, person.agency) == ("Sam", "Kittitas County Sheriff")
    assert person.phone == "+1 509-555-0142"
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "person.update"))
    assert entry.actor == f"attendee:{person.id}"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "", "Enter your first name."),
        ("last_name", "  ", "Enter your last name."),
        ("phone", "12", "Enter it as (509) 555-0105"),
        ("phone", "call me", "Enter a phone number such as"),
        ("agency", "", "Enter your agency or employer."),
        ("job_title", "x" * 201, "Field cannot be longer than 200 characters."),
        ("first_name", "Sam <script>", "web addresses and the characters"),
    ],
)
def test_each_invalid_field_gets_its_own_message(client, make_registration, field, value, message):
    registration = make_registration()
    enter_portal(client, registration.person)
    before = registration.person.first_name
    response = client.post("/my/details", data={**VALID_DETAILS, field: value})
    assert response.status_code == 400
    page = text(response)
    error_block = page.split(f'id="{field}-error">', 1)[1].split("</div>", 1)[0]
    assert message in error_block
    for other, typed in VALID_DETAILS.items():
        if other != field:
            assert f'value="{typed}"' in page
    db.session.refresh(registration.person)
    assert registration.person.first_name == before


def test_two_invalid_fields_each_get_a_message(client, make_registration):
    registration = make_registration()
    enter_portal(client, registration.person)
    page = text(client.post("/my/details", data={**VALID_DETAILS, "first_name": "", "phone": "1"}))
    assert 'id="first_name-error"' in page and 'id="phone-error"' in page
    assert 'id="agency-error"' not in page


def test_an_invalid_field_points_at_its_hint_and_its_message(client, make_registration):
    registration = make_registration()
    enter_portal(client, registration.person)
    page = text(client.post("/my/details", data={**VALID_DETAILS, "phone": "1"}))
    phone = re.search(r"<input[^>]*id=\"phone\"[^>]*>", page).group(0)
    assert 'aria-describedby="phone-hint phone-error"' in phone
    assert 'aria-invalid="true"' in phone and "required" in phone
    assert 'id="phone-hint">For example (509) 555-0105.</div>' in page
    first_name = re.search(r"<input[^>]*id=\"first_name\"[^>]*>", page).group(0)
    assert "aria-invalid" not in first_name and "aria-describedby" not in first_name


def test_details_are_locked_once_the_event_has_started(client, make_registration, make_event):
    event = make_event(starts_on=pacific_today() - timedelta(days=1))
    registration = make_registration(event=event)
    enter_portal(client, registration.person)
    page = text(client.get("/my/details"))
    assert "can no longer be changed here" in page
    client.post("/my/details", data=VALID_DETAILS)
    db.session.refresh(registration.person)
    assert registration.person.first_name == "Alex"


def test_every_form_needs_its_csrf_token(client, app, make_registration):
    registration = make_registration()
    enter_portal(client, registration.person)
    app.config["WTF_CSRF_ENABLED"] = True
    for path in (
        f"/my/registrations/{registration.id}/cancel",
        f"/my/registrations/{registration.id}/accept",
        "/my/details",
        "/my/sign-in",
        "/my/sign-out",
    ):
        assert client.post(path, data=VALID_DETAILS).status_code == 400, path
    db.session.refresh(registration)
    assert registration.state == "confirmed"
    assert registration.person.first_name != VALID_DETAILS["first_name"]
    assert 'name="csrf_token"' in text(client.get(f"/my/registrations/{registration.id}/cancel"))


# --- cancelling and offers ------------------------------------------------------------


def test_cancel_asks_first_and_get_changes_nothing(client, make_registration):
    registration = make_registration()
    enter_portal(client, registration.person)
    page = client.get(f"/my/registrations/{registration.id}/cancel")
    assert page.status_code == 200
    assert "Yes, cancel my registration" in text(page)
    db.session.refresh(registration)
    assert registration.state == "confirmed"


def test_cancel_then_cancel_again(client, make_registration):
    registration = make_registration()
    enter_portal(client, registration.person)
    url = f"/my/registrations/{registration.id}/cancel"
    response = client.post(url)
    assert response.headers["Location"] == f"/my/registrations/{registration.id}"
    db.session.refresh(registration)
    assert registration.state == "cancelled"
    assert "is cancelled" in text(client.get(response.headers["Location"]))

    again = client.post(url, follow_redirects=True)
    assert "already cancelled" in text(again)
    assert "Cancel my registration" not in text(again)
    cancellations = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "registration.state")
    ).all()
    assert len(cancellations) == 1
    assert cancellations[0].actor == f"attendee:{registration.person.id}"


def test_cancel_is_refused_once_the_event_has_started(client, make_registration, make_event):
    event = make_event(starts_on=pacific_today())
    registration = make_registration(event=event)
    enter_portal(client, registration.person)
    page = text(client.get(f"/my/registrations/{registration.id}"))
    assert "Cancel my registration" not in page
    response = client.post(f"/my/registrations/{registration.id}/cancel", follow_redirects=True)
    assert "can no longer be cancelled" in text(response)
    db.session.refresh(registration)
    assert registration.state == "confirmed"


def test_cancelling_offers_the_seat_to_the_waitlist(client, make_event, make_registration):
    event = make_event(capacity=1)
    seated = make_registration(event=event)
    waiting = make_registration(event=event, state="waitlisted")
    enter_portal(client, seated.person)
    client.post(f"/my/registrations/{seated.id}/cancel")
    db.session.refresh(waiting)
    assert waiting.state == "offered"


def test_accept_the_offered_seat(client, make_registration):
    registration = make_registration(
        state="offered", offer_expires_at=utcnow() + timedelta(hours=4)
    )
    enter_portal(client, registration.person)
    page = text(client.get(f"/my/registrations/{registration.id}"))
    assert "Accept the offered seat" in page
    client.post(f"/my/registrations/{registration.id}/accept")
    db.session.refresh(registration)
    assert registration.state == "confirmed"


def test_an_expired_offer_cannot_be_accepted(client, make_registration):
    registration = make_registration(
        state="offered", offer_expires_at=utcnow() - timedelta(hours=1)
    )
    enter_portal(client, registration.person)
    response = client.post(f"/my/registrations/{registration.id}/accept", follow_redirects=True)
    assert "This offer has expired" in text(response)
    assert db.session.get(Registration, registration.id).state == "cancelled"


def test_the_attendee_sees_their_own_topic_credit(client, make_registration, make_staff):
    from summit.checkin.services import check_in

    registration = make_registration()
    first = registration.event.sessions[0]
    check_in(
        registration.event_id,
        registration.ticket_code,
        staff=make_staff("checkin"),
        source="scanner",
        session_id=first.id,
        now=first.starts_at,
    )
    enter_portal(client, registration.person)
    page = text(client.get(f"/my/registrations/{registration.id}"))
    topics = len(registration.event.curriculum.items)
    assert "Your training credit" in page
    assert f"1 of {topics} topics complete" in page
