"""An event's own words for its automatic emails: the list, save, reset to default, preview.

Which emails, which placeholders and how a text is filled live in
``summit.mail.texts`` (the outbox renders with them at queue time); this module
holds the rules of changing them. Saving and resetting lock the event row, as
every event change does, and are audit-logged with the text before and after.
A preview renders for one registration of the event (or a made-up one) and writes
nothing: no row, no outbox message.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from flask import current_app
from sqlalchemy import case, select

from summit import audit
from summit.events.errors import EventSetupError
from summit.events.services import Actor
from summit.extensions import db
from summit.mail import texts
from summit.mail.content import (
    QR_CID,
    TICKET_KINDS,
    event_text,
    local_datetime,
    qr_ticket,
    registration_context,
    render,
    render_edited,
)
from summit.models import EmailText, Event, Registration, RegistrationState, utcnow
from summit.transactions import lock_row, write_transaction
from summit.urls import absolute_url

# The state a registration is in when it gets each email: the preview prefers one.
PREVIEW_STATES = {
    "pending_approval": RegistrationState.PENDING_APPROVAL,
    "awaiting_payment": RegistrationState.AWAITING_PAYMENT,
    "invoice": RegistrationState.AWAITING_PAYMENT,
    "waitlisted": RegistrationState.WAITLISTED,
    "offered": RegistrationState.OFFERED,
    "cancelled": RegistrationState.CANCELLED,
    "rejected": RegistrationState.CANCELLED,
}
SAMPLE_NAME = ("Pat", "Example")


@dataclass(frozen=True)
class ListedEmail:
    """One row of the emails page: the email, and the event's own text if it has one."""

    email: texts.EditableEmail
    text: EmailText | None

    @property
    def subject(self) -> str:
        return self.text.subject if self.text else self.email.subject

    @property
    def body(self) -> str:
        return self.text.body if self.text else self.email.body

    @property
    def carries_ticket(self) -> bool:
        """Whether the frame shows the ticket (a payment's email: once the seat is confirmed)."""
        return self.email.kind in TICKET_KINDS or self.email.kind == "payment_received"


@dataclass(frozen=True)
class Preview:
    """What one email would say to ``recipient``; ``is_sample``: a made-up attendee."""

    subject: str
    text: str
    html: str
    recipient: str
    is_sample: bool


def editable_email(kind: str) -> texts.EditableEmail:
    """The email ``kind`` names; ``LookupError`` for one that is not edited per event."""
    return texts.EMAILS[kind]


def listed_emails(event: Event) -> list[ListedEmail]:
    """Every email an attendee of ``event`` can get, in the order a registration meets them."""
    return [ListedEmail(email, event_text(event, kind)) for kind, email in texts.EMAILS.items()]


def listed_email(event: Event, kind: str) -> ListedEmail:
    return ListedEmail(editable_email(kind), event_text(event, kind))


def check_email_text(kind: str, subject: str, body: str) -> None:
    """Refuse a text that could not be sent as it stands, naming the field."""
    if not subject.strip():
        raise EventSetupError("Give the email a subject.", field="subject")
    if len(subject) > texts.SUBJECT_MAX or "\n" in subject:
        raise EventSetupError(
            f"A subject is one line of at most {texts.SUBJECT_MAX} characters.", field="subject"
        )
    if not body.strip():
        raise EventSetupError("Write the text of the email.", field="body")
    if len(body) > texts.BODY_MAX:
        raise EventSetupError(f"The text is at most {texts.BODY_MAX:,} characters.", field="body")
    for field, value in (("subject", subject), ("body", body)):
        problem = texts.problem_with(kind, value)
        if problem:
            raise EventSetupError(problem, field=field)


def save_email_text(
    event_id: int, kind: str, *, subject: str, body: str, actor: Actor
) -> EmailText | None:
    """The event's own subject and body for ``kind``, used from the next email queued.

    The starting text saved unchanged over the standard email stores nothing
    (``None``): the email keeps the standard template, and the list says so.
    """
    email = editable_email(kind)
    check_email_text(kind, subject, body)
    with write_transaction():
        lock_row(Event, event_id)
        text = _stored_text(event_id, kind)
        before = _values(text)
        if text is None and (subject, body) == (email.subject, email.body):
            return None
        if text is None:
            text = EmailText(event_id=event_id, kind=kind, subject=subject, body=body)
            db.session.add(text)
        else:
            text.subject, text.body = subject, body
        db.session.flush()
        if _values(text) != before:
            action = "email_text.update" if before else "email_text.create"
            audit.record(action, text, before=before, after=_values(text), actor=actor)
    return text


def reset_email_text(event_id: int, kind: str, *, actor: Actor) -> bool:
    """Back to the standard text: the event's own is deleted (kept in the audit log).

    ``False`` when there was nothing to reset (another admin reset it first).
    """
    editable_email(kind)
    with write_transaction():
        lock_row(Event, event_id)
        text = _stored_text(event_id, kind)
        if text is None:
            return False
        audit.record("email_text.reset", text, before=_values(text), actor=actor)
        db.session.delete(text)
    return True


def _stored_text(event_id: int, kind: str) -> EmailText | None:
    """The stored text, read under the event's lock rather than from a collection that
    may have been loaded before it: another admin's save is then always seen."""
    return db.session.scalar(
        select(EmailText).where(EmailText.event_id == event_id, EmailText.kind == kind)
    )


def _values(text: EmailText | None) -> dict[str, Any] | None:
    if text is None:
        return None
    return {"kind": text.kind, "subject": text.subject, "body": text.body}


# --- preview ---------------------------------------------------------------------------


def preview_email(
    event: Event, kind: str, *, subject: str | None = None, body: str | None = None
) -> Preview:
    """``kind`` as a registration of ``event`` would get it now, or with this unsaved
    ``subject`` and ``body`` (already checked). Nothing is written or queued."""
    with db.session.no_autoflush:
        registration = _real_registration(event, kind)
        sample = registration is None
        context = registration_context(registration or _sample_registration(event, kind))
        context = {**context, **_sample_extras(event, kind, context)}
        if subject is None or body is None:
            rendered = render(kind, context)
        else:
            rendered = render_edited(kind, subject, body, context)
    person = context["person"]
    return Preview(
        subject=rendered[0],
        text=rendered[1],
        html=_with_inline_qr(rendered[2], context["registration"].ticket_code),
        recipient=f"{person.first_name} {person.last_name}",
        is_sample=sample,
    )


def _real_registration(event: Event, kind: str) -> Registration | None:
    """A registration of the event, one in the state this email goes with if there is one."""
    preferred = PREVIEW_STATES.get(kind, RegistrationState.CONFIRMED)
    return db.session.scalar(
        select(Registration)
        .where(Registration.event_id == event.id)
        .order_by(case((Registration.state == preferred, 0), else_=1), Registration.id)
        .limit(1)
    )


def _sample_registration(event: Event, kind: str) -> Any:
    """A made-up attendee (Pat Example), never an ORM object: nothing can be flushed."""
    tier = event.tiers[0] if event.tiers else None
    tier = tier or SimpleNamespace(name="Sample tier", name_with_price="Sample tier (Free)")
    price = getattr(tier, "price_cents", 0)
    first, last = SAMPLE_NAME
    return SimpleNamespace(
        id=0,
        event=event,
        tier=tier,
        person=SimpleNamespace(id=0, first_name=first, last_name=last),
        state=PREVIEW_STATES.get(kind, RegistrationState.CONFIRMED),
        ticket_code="SAMPLE" + "X" * 26,
        payments=[],
        amount_due_cents=price,
        offer_expires_at=None,
    )


def _sample_extras(event: Event, kind: str, context: dict[str, Any]) -> dict[str, Any]:
    """What the caller adds for some emails (offer's end, certificate, invoice), made up."""
    hold = timedelta(hours=int(current_app.config["OFFER_HOLD_HOURS"]))
    prefix = current_app.config["CERTIFICATE_SERIAL_PREFIX"]
    return {
        "offer_expires": context["offer_expires"]
        or local_datetime(utcnow() + hold, event.timezone),
        "certificate": SimpleNamespace(
            kind="completion", version=1, serial=f"{prefix}-{event.starts_on.year}-000123"
        ),
        "certificate_kind": "completion",
        "verify_link": absolute_url("verify.form"),
        "invoice": SimpleNamespace(number="INV-0000"),
        "invoice_number": "INV-0000",
        "invoice_amount": context["amount_due"],
    }


def _with_inline_qr(html: str, ticket_code: str) -> str:
    """The QR ticket drawn into the page, where the sent email has it as a ``cid:`` part."""
    if f"cid:{QR_CID}" not in html:
        return html
    data = base64.b64encode(qr_ticket(ticket_code).data).decode("ascii")
    return html.replace(f"cid:{QR_CID}", f"data:image/png;base64,{data}")
