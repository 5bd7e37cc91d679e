"""The outbox and every email: what a recipient reads, sees and scans.

Delivery here uses Flask-Mail's suppressed mode (recorded, not sent); the real
SMTP round trip is in ``test_mail_smtp.py``.
"""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from icalendar import Calendar
from itsdangerous import URLSafeTimedSerializer
from PIL import Image
from sqlalchemy import func, select

from summit.auth.links import PLACEHOLDER_PREFIX, read_portal_token
from summit.extensions import db, mail
from summit.mail import (
    REGISTRATION_KINDS,
    Attachment,
    RegistrationEmail,
    deliver_due,
    init_mail,
    queue_person_email,
    queue_registration_email,
    queue_registration_emails,
)
from summit.mail.outbox import build_message, claim_due
from summit.models import AgendaSession, OutboxMessage, Payment, utcnow
from tests.helpers import add_send_link_route

PORTAL_PREFIX = "https://summit.example/my/enter/"


def with_mail(app):
    """Bind the outbox to ``app`` unless ``create_app`` already did."""
    if "send-mail" not in app.cli.commands:
        init_mail(app)
    return app


@pytest.fixture
def mail_app(app):
    return with_mail(app)


def mime(row: OutboxMessage) -> EmailMessage:
    """The message exactly as it would go over SMTP, parsed back."""
    raw = build_message(row).as_bytes()
    return email.message_from_bytes(raw, policy=default_policy)  # type: ignore[return-value]


def part_with(message: EmailMessage, content_type: str) -> EmailMessage:
    parts = [part for part in message.walk() if part.get_content_type() == content_type]
    assert len(parts) == 1, f"expected one {content_type} part, found {len(parts)}"
    return parts[0]


def sent_bodies(row: OutboxMessage) -> tuple[str, str]:
    """The text and HTML the recipient reads (portal links are signed when sent)."""
    message = mime(row)
    return (
        part_with(message, "text/plain").get_content(),
        part_with(message, "text/html").get_content(),
    )


def assert_portal_link(body: str, person) -> None:
    """The link is there and really signs this person in."""
    match = re.search(re.escape(PORTAL_PREFIX) + r"([A-Za-z0-9_.\-]+)", body)
    assert match, "no portal link"
    assert read_portal_token(match.group(1)) == (person.id, person.email)


def assert_no_sign_in_link_stored(row: OutboxMessage, person) -> None:
    """The row holds a placeholder where the sent message has a signed link."""
    placeholder = f"{PLACEHOLDER_PREFIX}{person.id}"
    for body in (row.text_body, row.html_body):
        assert PORTAL_PREFIX + placeholder in body
        assert not re.search(re.escape(PORTAL_PREFIX) + f"(?!{placeholder})", body)


def queued(registration, kind, **kwargs) -> OutboxMessage:
    row = queue_registration_email(registration, kind, **kwargs)
    db.session.commit()
    return row


def scene(make_registration, kind: str):
    """A registration in the state the ``kind`` email is about."""
    state = {
        "pending_approval": "pending_approval",
        "awaiting_payment": "awaiting_payment",
        "waitlisted": "waitlisted",
        "offered": "offered",
        "cancelled": "cancelled",
        "rejected": "cancelled",
        "invoice": "awaiting_payment",
    }.get(kind, "confirmed")
    overrides = {"state": state}
    if kind == "offered":
        overrides["offer_expires_at"] = utcnow() + timedelta(hours=48)
    registration = make_registration(**overrides)
    if kind in {"awaiting_payment", "invoice", "payment_received"}:
        registration.tier = registration.event.tiers[1]  # the $50 tier
        db.session.commit()
    return registration


@pytest.mark.parametrize("kind", REGISTRATION_KINDS)
def test_every_registration_email_names_person_event_and_portal_link(
    mail_app, make_registration, kind
):
    registration = scene(make_registration, kind)
    person, event = registration.person, registration.event

    row = queued(registration, kind)

    assert row.recipient == person.email
    assert row.registration_id == registration.id
    assert event.name in row.subject
    assert "\n" not in row.subject
    for body in sent_bodies(row):
        assert person.first_name in body
        assert event.name in body
        assert_portal_link(body, person)
    assert_no_sign_in_link_stored(row, person)
    assert "Manage your registration" in row.text_body
    assert "Manage your registration" in row.html_body
    assert "{{" not in row.text_body + row.html_body
    assert "\n\n\n" not in row.text_body
    assert "https://" not in re.sub(r'(href="|>)https://summit\.example', "", row.html_body)


def test_html_escapes_what_people_typed_and_text_keeps_it(mail_app, make_person, make_registration):
    person = make_person(first_name='<b>Al & "Bo"</b>')
    registration = make_registration(person=person, event=None)

    row = queued(registration, "confirmed")

    assert "&lt;b&gt;Al &amp; &#34;Bo&#34;&lt;/b&gt;" in row.html_body
    assert "<b>Al" not in row.html_body
    assert 'Hello <b>Al & "Bo"</b>,' in row.text_body


def test_confirmation_carries_a_scannable_qr_ticket(mail_app, make_registration):
    registration = make_registration()

    message = mime(queued(registration, "confirmed"))

    assert registration.ticket_code in part_with(message, "text/plain").get_content()
    html = part_with(message, "text/html").get_content()
    assert 'src="cid:ticket-qr"' in html
    image = part_with(message, "image/png")
    assert image["Content-ID"] == "<ticket-qr>"
    assert image.get_content_disposition() == "inline"
    # The image sits with the HTML that shows it, not as a loose attachment.
    related = part_with(message, "multipart/related")
    assert image in related.iter_parts()
    decoded = zxingcpp.read_barcodes(Image.open(BytesIO(image.get_content())))
    assert [code.text for code in decoded] == [registration.ticket_code]
    assert decoded[0].format == zxingcpp.BarcodeFormat.QRCode


def test_confirmation_calendar_file_runs_from_the_first_session_to_the_last(
    mail_app, make_event, make_registration
):
    event = make_event(venue_address="10 N 8th St, Yakima, WA 98901", with_agenda=False)
    pacific = ZoneInfo("America/Los_Angeles")
    day_one, day_two = event.starts_on, event.ends_on
    for title, day, start, end in [
        ("Welcome", day_one, time(8, 0), time(9, 0)),
        ("De-escalation", day_one, time(9, 0), time(10, 30)),
        ("Closing", day_two, time(15, 0), time(16, 30)),
    ]:
        event.sessions.append(
            AgendaSession(
                title=title,
                starts_at=datetime.combine(day, start, pacific),
                ends_at=datetime.combine(day, end, pacific),
            )
        )
    db.session.commit()
    registration = make_registration(event=event)

    message = mime(queued(registration, "confirmed"))

    attachment = part_with(message, "text/calendar")
    assert attachment.get_filename() == "s5-summit.ics"
    assert attachment.get_content_disposition() == "attachment"
    ics = attachment.get_content()
    calendar = Calendar.from_ical(ics)
    entries = calendar.walk("VEVENT")
    assert len(entries) == 1
    entry = entries[0]
    # local times with the event's zone, not an all-day block
    assert entry["DTSTART"].dt == datetime.combine(day_one, time(8, 0), pacific)
    assert entry["DTEND"].dt == datetime.combine(day_two, time(16, 30), pacific)
    assert entry["DTSTART"].params["TZID"] == "America/Los_Angeles"
    assert "DTSTART;TZID=America/Los_Angeles:" in ics
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/Los_Angeles"]
    assert entry["SUMMARY"] == event.name
    assert entry["LOCATION"] == "Yakima Convention Center, 10 N 8th St, Yakima, WA 98901"
    assert entry["URL"] == f"https://summit.example/events/{event.slug}"


def test_an_event_without_an_agenda_is_in_the_calendar_all_day(
    mail_app, make_event, make_registration
):
    event = make_event(with_agenda=False)
    registration = make_registration(event=event)

    message = mime(queued(registration, "confirmed"))

    entry = Calendar.from_ical(part_with(message, "text/calendar").get_content()).walk("VEVENT")[0]
    assert entry["DTSTART"].dt == event.starts_on
    assert entry["DTEND"].dt == event.ends_on + timedelta(days=1)  # all-day end is exclusive


def test_reminder_updates_the_same_calendar_entry(mail_app, make_registration):
    registration = make_registration()

    confirmation = mime(queued(registration, "confirmed"))
    reminder = mime(queued(registration, "reminder"))

    uids = [
        Calendar.from_ical(part_with(m, "text/calendar").get_content()).walk("VEVENT")[0]["UID"]
        for m in (confirmation, reminder)
    ]
    assert uids[0] == uids[1]
    assert str(registration.id) in uids[0]
    assert part_with(reminder, "image/png")["Content-ID"] == "<ticket-qr>"


def test_offer_says_until_when_in_pacific_time(mail_app, make_registration):
    registration = make_registration(
        state="offered", offer_expires_at=datetime(2027, 6, 1, 19, 0, tzinfo=UTC)
    )

    row = queued(registration, "offered")

    for body in (row.text_body, row.html_body):
        assert "Tuesday, June 1, 2027 at 12:00 PM PDT" in body
        assert "Accept the offered seat" in body


def test_payment_received_shows_what_was_paid(mail_app, make_registration):
    registration = make_registration()
    registration.tier = registration.event.tiers[1]
    db.session.add(Payment(registration=registration, amount_cents=5000, method="card"))
    db.session.commit()

    row = queued(registration, "payment_received")

    assert "Paid so far: $50" in row.text_body
    assert "Still due" not in row.text_body


def test_invoice_carries_the_pdf_it_is_given(mail_app, make_registration):
    registration = scene(make_registration, "invoice")
    pdf = b"%PDF-1.7\n% invoice body\n%%EOF\n"

    row = queued(
        registration,
        "invoice",
        attachments=[Attachment("invoice-S5-0001.pdf", "application/pdf", pdf)],
    )

    assert "$50" in row.subject
    assert row.attachments[0]["filename"] == "invoice-S5-0001.pdf"
    attachment = part_with(mime(row), "application/pdf")
    assert attachment.get_filename() == "invoice-S5-0001.pdf"
    assert attachment.get_content() == pdf
    assert not [p for p in mime(row).walk() if p.get_content_type() == "image/png"]


def test_the_portal_link_is_signed_when_sent_not_when_queued(mail_app, make_registration):
    registration = make_registration()
    row = queued(registration, "confirmed")
    token = re.search(re.escape(PORTAL_PREFIX) + r"(\S+)", sent_bodies(row)[0]).group(1)
    assert PLACEHOLDER_PREFIX not in token
    signed_at = URLSafeTimedSerializer(
        mail_app.config["SECRET_KEY"], salt="summit.portal.v1"
    ).loads(token, return_timestamp=True)[1]
    assert abs((signed_at - datetime.now(UTC)).total_seconds()) < 60


def test_a_link_for_a_changed_address_becomes_the_sign_in_page(mail_app, make_registration):
    registration = make_registration()
    row = queued(registration, "confirmed")
    registration.person.email = "new.address@yakimapd.example"
    db.session.commit()
    for body in sent_bodies(row):
        assert "/my/enter/" not in body
        assert "https://summit.example/my/sign-in" in body


def test_a_person_email_whose_address_moved_to_someone_else_signs_nobody_in(mail_app, make_person):
    alex = make_person(first_name="Alex")
    row = queue_person_email(alex, "portal_link")
    address = alex.email
    alex.email = "alex.new@yakimapd.example"
    db.session.commit()
    make_person(email=address, first_name="Blake")  # took over Alex's old address
    for body in sent_bodies(row):
        assert "/my/enter/" not in body
        assert "https://summit.example/my/sign-in" in body


def test_a_link_queued_in_a_request_is_signed_outside_one(mail_app, make_registration):
    """No public URL: the stored link names the request's host; sending has no request."""
    mail_app.config["PUBLIC_URL"] = None
    registration = make_registration()
    with mail_app.test_request_context("/", base_url="http://10.0.0.7:8000"):
        row = queued(registration, "confirmed")
    text_body, html_body = sent_bodies(row)
    registration.person.email = "moved@yakimapd.example"
    db.session.commit()
    moved_text, _ = sent_bodies(row)
    assert "http://10.0.0.7:8000/my/enter/" in text_body and PLACEHOLDER_PREFIX not in html_body
    assert PLACEHOLDER_PREFIX not in moved_text and "/my/enter/" not in moved_text
    assert "/my/sign-in" in moved_text


def test_portal_link_email(mail_app, make_person):
    person = make_person()

    row = queue_person_email(person, "portal_link")
    db.session.commit()

    assert row.recipient == person.email
    assert row.registration_id is None
    assert "sign-in link" in row.subject
    for body in sent_bodies(row):
        assert person.first_name in body
        assert_portal_link(body, person)
        assert "30 days" in body
    assert_no_sign_in_link_stored(row, person)
    assert "Manage your registration" not in row.text_body


def test_unknown_kinds_are_refused(mail_app, make_registration, make_person):
    with pytest.raises(ValueError, match="unknown"):
        queue_registration_email(make_registration(), "portal_link")
    with pytest.raises(ValueError, match="unknown"):
        queue_person_email(make_person(), "confirmed")


def test_queueing_joins_the_callers_transaction(mail_app, make_registration):
    registration = make_registration()

    queue_registration_email(registration, "confirmed")
    db.session.rollback()

    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_dedupe_key_queues_a_message_once(mail_app, make_registration):
    registration = make_registration()

    first = queued(registration, "confirmed", dedupe_key=f"confirmed:{registration.id}")
    second = queued(registration, "confirmed", dedupe_key=f"confirmed:{registration.id}")
    queue_registration_email(registration, "confirmed", dedupe_key="other")
    queue_registration_email(registration, "confirmed", dedupe_key="other")
    db.session.commit()

    assert second.id == first.id
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2


def test_queueing_many_skips_keys_already_used_and_keys_given_twice(mail_app, make_registration):
    first, second = make_registration(), make_registration()
    queued(first, "certificate_ready", dedupe_key="ready:1")

    queue_registration_emails(
        [
            RegistrationEmail(first, "certificate_ready", dedupe_key="ready:1"),
            RegistrationEmail(second, "certificate_ready", dedupe_key="ready:2"),
            RegistrationEmail(second, "certificate_ready", dedupe_key="ready:2"),
            RegistrationEmail(second, "reminder"),
        ]
    )
    db.session.commit()

    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(row.kind, row.recipient, row.dedupe_key) for row in rows] == [
        ("certificate_ready", first.person.email, "ready:1"),
        ("certificate_ready", second.person.email, "ready:2"),
        ("reminder", second.person.email, None),
    ]
    with pytest.raises(ValueError, match="unknown registration email kind"):
        RegistrationEmail(first, "newsletter")


def test_delivery_sends_each_message_once(mail_app, make_registration):
    rows = [queued(make_registration(), "confirmed") for _ in range(2)]

    with mail.record_messages() as outbox:
        first = deliver_due()
        again = deliver_due(now=utcnow() + timedelta(days=1))

    assert (first.sent, first.retrying, first.failed) == (2, 0, 0)
    assert again.attempted == 0
    assert sorted(m.recipients[0] for m in outbox) == sorted(r.recipient for r in rows)
    for row in rows:
        db.session.refresh(row)
        assert row.status == "sent"
        assert row.sent_at is not None
        assert row.attempts == 1
    sent = email.message_from_bytes(outbox[0].as_bytes(), policy=default_policy)
    assert sent["From"] == "S5 Summit <s5@esd105.org>"
    assert re.fullmatch(r"<summit\.\d+\.\d+@esd105\.org>", sent["Message-ID"])


def test_a_message_claimed_by_a_crashed_worker_is_sent_after_ten_minutes(
    mail_app, make_registration
):
    row = queued(make_registration(), "confirmed")
    claimed_at = utcnow()
    assert claim_due(10, claimed_at) == [row.id]  # ...and then the worker dies

    with mail.record_messages() as outbox:
        meanwhile = deliver_due(now=claimed_at + timedelta(minutes=5))
        later = deliver_due(now=claimed_at + timedelta(minutes=11))

    assert meanwhile.attempted == 0
    assert later.sent == 1
    assert len(outbox) == 1
    db.session.refresh(row)
    assert (row.status, row.attempts) == ("sent", 2)


def test_send_reminders_queues_once_per_confirmed_registration(
    mail_app, runner, make_event, make_registration
):
    today = datetime.now(UTC).date()
    soon = make_event(starts_on=today + timedelta(days=3))
    later = make_event(starts_on=today + timedelta(days=30))
    confirmed = make_registration(event=soon)
    make_registration(event=soon, state="waitlisted")
    make_registration(event=soon, state="cancelled")
    far = make_registration(event=later)

    first = runner.invoke(args=["send-reminders"])
    second = runner.invoke(args=["send-reminders"])

    assert first.exit_code == 0, first.output
    assert "Queued 1 reminder." in first.output
    assert "Queued 0 reminders." in second.output
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder")).all()
    assert [(r.registration_id, r.dedupe_key) for r in rows] == [
        (confirmed.id, f"reminder:{confirmed.id}")
    ]
    db.session.refresh(confirmed)
    assert confirmed.reminder_sent_at is not None

    wider = runner.invoke(args=["send-reminders", "--days-before", "40"])
    assert "Queued 1 reminder." in wider.output
    db.session.refresh(far)
    assert far.reminder_sent_at is not None


def test_send_mail_command_prints_what_it_did(mail_app, runner, make_registration):
    queued(make_registration(), "confirmed")

    result = runner.invoke(args=["send-mail"])

    assert result.exit_code == 0, result.output
    assert "Mail: sent 1, will retry 0, gave up 0." in result.output


@pytest.mark.parametrize("command", ["send-mail", "send-reminders"])
def test_mail_commands_explain_themselves(mail_app, runner, command):
    result = runner.invoke(args=[command, "--help"])

    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_mail_queued_by_a_request_goes_out_after_the_response(make_app, make_person):
    person = make_person()
    app = with_mail(make_app(MAIL_DELIVER_AFTER_REQUEST=True))
    add_send_link_route(app, person)

    with app.app_context(), mail.record_messages() as outbox:
        response = app.test_client().post("/test-only/send-link", buffered=True)
        assert response.status_code == 200
        assert [m.recipients for m in outbox] == [[person.email]]
        row = db.session.scalar(select(OutboxMessage))
        assert row.status == "sent"


def test_delivery_after_requests_is_off_in_tests_by_default(mail_app, make_person):
    assert mail_app.config["MAIL_DELIVER_AFTER_REQUEST"] is False


def test_payment_that_confirms_the_seat_carries_the_ticket(app, make_event):
    from summit.models import Payment
    from summit.registration.services import payment_recorded, register_attendee

    event = make_event()
    registration = register_attendee(
        event.id,
        tier_slug="security",
        email="guard@wvsd.example",
        first_name="Lee",
        last_name="Guard",
        agency="West Valley SD",
    ).registration
    db.session.add(Payment(registration=registration, amount_cents=5000, method="check"))
    payment_recorded(registration, actor="test")
    db.session.commit()
    message = db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.kind == "payment_received")
    ).one()
    sent = mime(message)
    assert part_with(sent, "image/png") is not None
    assert part_with(sent, "text/calendar") is not None
    assert registration.ticket_code in message.text_body


@pytest.mark.parametrize(
    ("address", "phone"), [("", ""), ("33 South 2nd Avenue, Yakima, WA 98902", "509-575-2885")]
)
def test_the_signature_prints_only_the_contact_details_that_are_set(
    mail_app, make_registration, address, phone
):
    mail_app.config.update(ORGANISATION_ADDRESS=address, ORGANISATION_PHONE=phone)
    row = queued(scene(make_registration, "rejected"), "rejected")
    text, html = sent_bodies(row)
    text = text.replace("\r\n", "\n")

    signature = text.rsplit("\n--\n", 1)[1].strip().splitlines()
    assert all(line.strip() for line in signature)  # no empty line for the address
    assert len(signature) == (3 if address else 2)
    assert not re.search(r"· *$|or call *\.", text, re.MULTILINE)
    assert "or call ." not in html and "</a> · \n" not in html
    for value in (address, phone):
        if value:
            assert value in text and value in html
