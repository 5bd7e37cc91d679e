"""An admin writes an event's own email texts: edit, preview, reset, and what attendees get."""

from __future__ import annotations

import email
import html
from email.policy import default as default_policy

import pytest
from sqlalchemy import func, select

from summit.events.email_texts import check_email_text, preview_email, save_email_text
from summit.extensions import db
from summit.mail import queue_registration_email
from summit.mail.outbox import build_message
from summit.mail.texts import EMAILS
from summit.models import AuditLog, EmailText, OutboxMessage
from summit.registration.services import register_attendee
from tests.helpers import now, outbox, text, words

SUBJECT = "Welcome, {{ first_name }}: {{ event_name }} is on"
BODY = (
    "Dear {{ first_name }} {{ last_name }},\n\n"
    "Your ticket code is {{ ticket_code }}. Parking: https://example.org/parking?lot=B&day=1.\n"
    "Bring <your badge> & a pen."
)


@pytest.fixture
def admin(auth):
    return auth.as_role("admin")


def edit_url(event, kind: str = "confirmed") -> str:
    return f"/staff/events/{event.slug}/emails/{kind}"


def save(client, event, kind: str = "confirmed", **fields):
    data = {"subject": SUBJECT, "body": BODY, "action": "save", **fields}
    return client.post(edit_url(event, kind), data=data)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def register(event, first_name: str = "Dana", last_name: str = "Reyes"):
    registration = register_attendee(
        event.id,
        tier_slug="sro",
        email=f"{first_name.lower()}@yakimapd.example",
        first_name=first_name,
        last_name=last_name,
        phone="+1 509-555-0105",
        agency="Yakima Police Department",
        job_title="School Resource Officer",
        school_district="Yakima SD",
    ).registration
    (row,) = [m for m in outbox("confirmed") if m.registration_id == registration.id]
    return registration, row


def sent(row: OutboxMessage):
    """The message as it would go over SMTP, parsed back."""
    return email.message_from_bytes(build_message(row).as_bytes(), policy=default_policy)


# --- the list ----------------------------------------------------------------------------


def test_the_emails_page_lists_every_attendee_email_with_when_and_subject(
    client, admin, make_event
):
    event = make_event()
    page = client.get(f"/staff/events/{event.slug}/emails")
    assert page.status_code == 200
    shown = words(page)
    for listed in EMAILS.values():
        assert listed.title in shown
        assert listed.when in shown
    assert "You're registered: {{ event_name }}" in shown
    assert shown.count("Standard") == len(EMAILS)
    assert "Edited" not in shown

    assert save(client, event).status_code == 303
    shown = words(client.get(f"/staff/events/{event.slug}/emails"))
    assert shown.count("Edited") == 1
    assert SUBJECT in shown


def test_the_emails_page_is_linked_from_the_event_and_the_events_list(client, admin, make_event):
    event = make_event()
    link = f'href="/staff/events/{event.slug}/emails"'
    assert link in text(client.get(f"/staff/events/{event.slug}/edit"))
    assert link in text(client.get("/staff/events/"))


def test_an_email_about_a_person_rather_than_an_event_has_no_page(client, admin, make_event):
    event = make_event()
    assert client.get(edit_url(event, "portal_link")).status_code == 404
    assert save(client, event, "training_accepted").status_code == 404
    assert count(EmailText) == 0


# --- saving, and what attendees then get -----------------------------------------------------


def test_an_edited_confirmation_reaches_the_next_registration(client, admin, make_event):
    event = make_event()
    response = save(client, event)
    assert response.status_code == 303
    assert "Saved." in words(client.get(response.headers["Location"]))

    registration, row = register(event)

    assert row.subject == f"Welcome, Dana: {event.name} is on"
    assert f"Dear Dana Reyes,\n\nYour ticket code is {registration.ticket_code}." in row.text_body
    assert "Bring <your badge> & a pen." in row.text_body
    assert "Hello Dana," in row.text_body  # the frame stays
    assert "When:" in row.text_body and "Manage your registration" in row.text_body
    # The HTML part is the same text, escaped, in paragraphs, with the link clickable.
    assert "Bring &lt;your badge&gt; &amp; a pen." in row.html_body
    assert '<a href="https://example.org/parking?lot=B&amp;day=1"' in row.html_body
    assert "day=1.</a>" not in row.html_body  # the full stop ends the sentence, not the link
    assert row.html_body.count('<p style="margin:0 0 16px;">Dear Dana Reyes,</p>') == 1
    # The ticket and its files still travel with it.
    message = sent(row)
    assert 'src="cid:ticket-qr"' in message.get_body(("html",)).get_content()
    names = [part.get_filename() for part in message.walk() if part.get_filename()]
    assert names == ["ticket.png", "s5-summit.ics"]


def test_another_event_keeps_the_standard_text(client, admin, make_event):
    edited, other = make_event(), make_event()
    save(client, edited)

    _, row = register(other)

    assert row.subject == f"You're registered: {other.name}"
    assert "Welcome" not in row.text_body and "Welcome" not in row.html_body


def test_a_payment_email_shows_the_ticket_only_once_the_seat_is_confirmed(
    client, admin, make_registration
):
    registration = make_registration(state="awaiting_payment")
    event = registration.event
    body = "Thanks for paying {{ amount_paid }}."
    assert save(client, event, "payment_received", body=body).status_code == 303

    waiting = queue_registration_email(registration, "payment_received")
    registration.state = "confirmed"
    confirmed = queue_registration_email(registration, "payment_received")
    db.session.commit()

    assert "Thanks for paying $0." in waiting.text_body
    assert registration.ticket_code not in waiting.text_body
    assert f"Your ticket code: {registration.ticket_code}" in confirmed.text_body
    assert 'src="cid:ticket-qr"' in confirmed.html_body


def test_saving_is_audited_with_the_text_before_and_after(client, admin, make_event):
    event = make_event()
    save(client, event)
    save(client, event, subject="Second {{ event_name }}")
    save(client, event, subject="Second {{ event_name }}")  # unchanged: no entry

    entries = db.session.scalars(
        select(AuditLog).where(AuditLog.object_type == "emailtext").order_by(AuditLog.id)
    ).all()
    assert [entry.action for entry in entries] == ["email_text.create", "email_text.update"]
    assert entries[0].before is None and entries[0].after["subject"] == SUBJECT
    assert entries[1].before["subject"] == SUBJECT
    assert entries[1].after == {
        "kind": "confirmed",
        "subject": "Second {{ event_name }}",
        "body": BODY,
    }
    assert entries[1].event_id == event.id
    assert entries[1].actor.startswith("staff:")


def test_saving_the_standard_words_unchanged_keeps_the_standard_email(client, admin, make_event):
    event = make_event()
    standard = EMAILS["waitlisted"]
    response = save(client, event, "waitlisted", subject=standard.subject, body=standard.body)
    assert "Nothing changed: this email keeps the standard text." in words(
        client.get(response.headers["Location"])
    )
    assert count(EmailText) == 0
    assert save(client, event, "waitlisted", subject=standard.subject + "!").status_code == 303
    assert count(EmailText) == 1


def test_line_breaks_typed_in_a_browser_are_kept_as_plain_newlines(client, admin, make_event):
    event = make_event()
    save(client, event, body="One.\r\n\r\nTwo,\r\nthree.")
    stored = db.session.scalar(select(EmailText))
    assert stored.body == "One.\n\nTwo,\nthree."


# --- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("subject", "", "Give the email a subject."),
        ("body", "   ", "Write the text of the email."),
        ("subject", "x" * 201, "At most 200 characters."),
        ("body", "x" * 5001, "At most 5,000 characters."),
        (
            "body",
            "Hi {{ badge_number }}",
            "{{ badge_number }} is not a placeholder this email knows",
        ),
        ("subject", "Serial {{ certificate_serial }}", "is not a placeholder this email knows"),
        ("body", "{{ first_name", "is template code"),
        ("body", "Hi {{ first_name|upper }}", "is not a placeholder"),
        ("body", "{% for x in range(9) %}x{% endfor %}", "is template code"),
        ("body", "{# note #}", "is template code"),
        ("body", "Hello {first_name}", "Write placeholders with double braces: {{ first_name }}"),
        ("body", "Bell \x07 here", "characters that are not allowed"),
    ],
)
def test_a_text_that_cannot_be_sent_is_refused_beside_its_field(
    client, admin, make_event, field, value, message
):
    event = make_event()
    for action in ("save", "preview"):
        response = save(client, event, action=action, **{field: value})
        assert response.status_code == 400
        page = text(response)
        error = page.split(f'id="{field}-error">', 1)[1].split("</div>", 1)[0]
        assert message in words_of(error)
        assert 'id="preview-heading"' not in page
    assert count(EmailText) == 0
    assert count(AuditLog) == 1  # the admin's sign-in only


def words_of(markup: str) -> str:
    return html.unescape(markup)


@pytest.mark.parametrize(
    "attempt",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ first_name.__class__ }}",
        "{{ config }}",
        "{{ self.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    ],
)
def test_template_code_that_reaches_for_python_is_refused(client, admin, make_event, attempt):
    event = make_event()
    response = save(client, event, body=f"Hi {attempt}")
    assert response.status_code == 400
    assert count(EmailText) == 0


def test_what_people_type_is_filled_in_as_text_never_read_as_placeholders(
    app, make_event, make_person, make_registration
):
    """A name that looks like a placeholder stays a name: values are filled in once."""
    event = make_event()
    db.session.add(
        EmailText(event=event, kind="confirmed", subject="Hi {{ first_name }}", body=BODY)
    )
    db.session.commit()
    person = make_person(first_name="{{ ticket_code }}")
    registration = make_registration(event=event, person=person)

    row = queue_registration_email(registration, "confirmed")

    assert row.subject == "Hi {{ ticket_code }}"
    assert "Dear {{ ticket_code }}" in row.text_body
    assert row.text_body.count(registration.ticket_code) == 2  # the text's and the frame's


def test_every_starting_text_is_a_valid_text_of_its_email():
    for kind, listed in EMAILS.items():
        check_email_text(kind, listed.subject, listed.body)


def test_every_starting_subject_says_what_the_standard_email_says(app, make_registration):
    """The editor starts from the standard words: filled in, its subject is the standard one."""
    registration = make_registration()
    for kind, listed in EMAILS.items():
        standard = preview_email(registration.event, kind)
        started = preview_email(registration.event, kind, subject=listed.subject, body=listed.body)
        assert started.subject == standard.subject, kind


# --- preview ----------------------------------------------------------------------------


def test_the_edit_page_previews_the_standard_email_for_a_real_registration(
    client, admin, make_registration
):
    registration = make_registration()
    event = registration.event
    page = client.get(edit_url(event))
    assert page.status_code == 200
    shown = words(page)
    assert "Preview of the standard email, as it is sent now" in shown
    assert f"For Alex {registration.person.last_name}, a registration of this event" in shown
    assert f"Subject: You're registered: {event.name}" in shown
    # The HTML part in a sandboxed frame, its QR code drawn in, its styles allowed.
    markup = text(page)
    assert '<iframe class="email-preview-frame" sandbox' in markup
    assert "data:image/png;base64," in markup and "cid:ticket-qr" not in markup
    assert "style-src-attr 'unsafe-inline'" in page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "no-store" in page.headers["Cache-Control"]


def test_preview_shows_the_unsaved_text_and_writes_nothing(client, admin, make_registration):
    registration = make_registration()
    event = registration.event
    rows_before = (count(EmailText), count(OutboxMessage), count(AuditLog))

    response = save(client, event, action="preview")

    assert response.status_code == 200
    shown = words(response)
    assert "Preview of the text above (not saved)" in shown
    assert f"Subject: Welcome, Alex: {event.name} is on" in shown
    assert f"Your ticket code is {registration.ticket_code}." in shown
    assert "Bring &lt;your badge&gt; &amp; a pen." in text(response)  # escaped in the page
    assert (count(EmailText), count(OutboxMessage), count(AuditLog)) == rows_before
    # The form keeps what was typed.
    assert "Welcome, {{ first_name }}" in text(response)


def test_preview_without_registrations_uses_a_made_up_attendee(client, admin, make_event):
    event = make_event()
    response = save(client, event, action="preview")
    shown = words(response)
    assert "For Pat Example, a made-up attendee: this event has no registrations yet" in shown
    assert f"Subject: Welcome, Pat: {event.name} is on" in shown
    assert (count(EmailText), count(OutboxMessage)) == (0, 0)
    assert client.get(edit_url(event, "offered")).status_code == 200
    assert client.get(edit_url(event, "certificate_ready")).status_code == 200


def test_the_preview_prefers_a_registration_in_the_emails_state(app, make_event, make_registration):
    event = make_event()
    make_registration(event=event)
    waiting = make_registration(event=event, state="waitlisted")
    preview = preview_email(event, "waitlisted")
    assert preview.recipient == f"Alex {waiting.person.last_name}"
    assert not preview.is_sample


# --- reset -------------------------------------------------------------------------------


def test_reset_to_default_asks_first_then_restores_the_standard_text(client, admin, make_event):
    event = make_event()
    save(client, event)
    reset = f"{edit_url(event)}/reset"

    question = client.get(reset)
    assert question.status_code == 200
    assert "Reset “Registration confirmed” to the standard text?" in words(question)
    assert SUBJECT in words(question)
    assert count(EmailText) == 1

    response = client.post(reset, data={})
    assert response.status_code == 303
    assert "is back to the standard text" in words(client.get(response.headers["Location"]))
    assert count(EmailText) == 0
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "email_text.reset"))
    assert entry.before["body"] == BODY and entry.event_id == event.id

    _, row = register(event)
    assert row.subject == f"You're registered: {event.name}"

    again = client.post(reset, data={})
    assert "already uses the standard text" in words(client.get(again.headers["Location"]))
    actions = db.session.scalars(
        select(AuditLog.action).where(AuditLog.object_type == "emailtext").order_by(AuditLog.id)
    ).all()
    assert actions == ["email_text.create", "email_text.reset"]


def test_an_event_deleted_takes_its_texts_with_it(app, make_event):
    event = make_event()
    db.session.add(EmailText(event=event, kind="reminder", subject="S", body="B"))
    db.session.commit()
    db.session.delete(event)
    db.session.commit()
    assert count(EmailText) == 0


def test_saving_over_a_text_another_admin_just_saved_updates_it(app, make_event, make_staff):
    """Their text was committed after this request loaded the event's texts: saving finds
    it under the event's lock and replaces it (audited as a change from their words),
    never a second row for the same email."""
    event, admin = make_event(), make_staff("admin")
    assert event.email_texts == []  # loaded now, before the other admin saves
    with db.engine.begin() as other_admin:
        other_admin.execute(
            EmailText.__table__.insert().values(
                event_id=event.id,
                kind="reminder",
                subject="Theirs",
                body="Theirs.",
                updated_at=now(),
            )
        )

    save_email_text(event.id, "reminder", subject="Mine", body="Mine.", actor=admin)

    rows = db.session.scalars(select(EmailText)).all()
    assert [(row.kind, row.subject) for row in rows] == [("reminder", "Mine")]
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "email_text.update"))
    assert entry.before["subject"] == "Theirs"
