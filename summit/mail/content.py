"""What an email says: the template context, the QR ticket and the calendar file.

The words are rendered at queue time, so the outbox row holds the finished message
and delivery never needs the database state that caused it. Two things are left
for the send: the QR ticket and calendar file (costly to draw) and the signed
portal link (a credential, not to be kept in the database).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import segno
from flask import current_app
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from summit.auth.links import portal_url_placeholder
from summit.mail import texts
from summit.models import EmailText, Event, Person, Registration, utcnow
from summit.urls import absolute_url

QR_CID = "ticket-qr"
# Kinds that carry the QR ticket and the calendar file.
TICKET_KINDS = frozenset({"confirmed", "reminder"})


@dataclass(frozen=True)
class Attachment:
    """A file carried by an email; ``inline_cid`` makes it an image the HTML shows.

    Stored base64 in the outbox row's JSON so the message is complete at queue time.
    """

    filename: str
    content_type: str
    data: bytes
    inline_cid: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "data": base64.b64encode(self.data).decode("ascii"),
            "inline_cid": self.inline_cid,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Attachment:
        return cls(
            filename=value["filename"],
            content_type=value["content_type"],
            data=base64.b64decode(value["data"]),
            inline_cid=value.get("inline_cid"),
        )


def mail_domain() -> str:
    """The domain that names this install in Message-IDs and calendar UIDs."""
    _, address = parseaddr(str(current_app.config.get("MAIL_DEFAULT_SENDER") or ""))
    if "@" in address:
        return address.rsplit("@", 1)[1].lower()
    host = urlsplit(current_app.config.get("PUBLIC_URL") or "").hostname
    return host or "summit.localhost"


def money(cents: int) -> str:
    """``$50`` or ``$50.25``: how the event pages show prices."""
    dollars, rest = divmod(cents, 100)
    return f"${dollars:,}" + (f".{rest:02d}" if rest else "")


def local_datetime(value: datetime | None, timezone: str) -> str:
    """A UTC timestamp as people in the event's time zone read it."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(timezone))
    return local.strftime("%A, %B %-d, %Y at %-I:%M %p %Z")


def organisation_context() -> dict[str, str]:
    config = current_app.config
    return {
        "org_name": config["ORGANISATION_NAME"],
        "org_unit": config["ORGANISATION_UNIT"],
        "org_address": config["ORGANISATION_ADDRESS"],
        "org_email": config["ORGANISATION_EMAIL"],
        "org_phone": config["ORGANISATION_PHONE"],
    }


def person_context(person: Person) -> dict[str, Any]:
    """Who the email is for; ``portal_link`` is signed for them when it is sent."""
    return {
        "person": person,
        "portal_link": portal_url_placeholder(person),
        **organisation_context(),
    }


def registration_context(registration: Registration) -> dict[str, Any]:
    """What every registration email may show: who, which event, which tier, the links."""
    event = registration.event
    return {
        **person_context(registration.person),
        "registration": registration,
        "event": event,
        "tier": registration.tier,
        "event_link": absolute_url("public.event", slug=event.slug),
        "amount_due": money(registration.amount_due_cents),
        "amount_paid": money(sum(p.amount_cents for p in registration.payments)),
        "offer_expires": local_datetime(registration.offer_expires_at, event.timezone),
        "qr_cid": QR_CID,
    }


def render(kind: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, text and HTML of the ``kind`` email: the event's own text for it when
    the event has one (:func:`render_edited`), else ``mail/<kind>.txt`` and ``.html``.

    One template pair per kind keeps the words editable without touching code;
    the text template sets ``subject``, beside the body it summarises.
    """
    edited = event_text(context.get("event"), kind)
    if edited is not None:
        return render_edited(kind, edited.subject, edited.body, context)
    env = current_app.jinja_env
    full = dict(context)
    current_app.update_template_context(full)
    text_module = env.get_template(f"mail/{kind}.txt").make_module(full)
    subject = " ".join(str(getattr(text_module, "subject", "")).split())
    if not subject:
        raise LookupError(f"mail/{kind}.txt sets no subject")
    text = _tidy_text(str(text_module))
    html = env.get_template(f"mail/{kind}.html").render({**full, "subject": subject})
    return subject, text, html


def event_text(event: Event | None, kind: str) -> EmailText | None:
    """The event's own text for ``kind``, if staff wrote one.

    Read through the event's ``email_texts`` (loaded once per event), so issuing a
    hundred certificates costs one query, not one per email.
    """
    if event is None or kind not in texts.EMAILS:
        return None
    return next((text for text in event.email_texts if text.kind == kind), None)


def render_edited(
    kind: str, subject: str, body: str, context: dict[str, Any]
) -> tuple[str, str, str]:
    """Staff's subject and body with the placeholders filled, in the standard frame.

    The HTML part is made from the same text (escaped, paragraphs, links), so the two
    parts say the same thing. ``mail/_edited.*`` adds what staff cannot leave out.
    """
    values = texts.placeholder_values(context)
    subject = " ".join(texts.fill(subject, values).split())
    body = texts.fill(body, values).strip()
    full = dict(context)
    current_app.update_template_context(full)
    full.update(
        subject=subject,
        body_text=body,
        body_html=texts.html_paragraphs(body),
        shows_ticket=carries_ticket(kind, context["registration"]),
        shows_details=texts.EMAILS[kind].details,
    )
    env = current_app.jinja_env
    text = _tidy_text(env.get_template("mail/_edited.txt").render(full))
    return subject, text, env.get_template("mail/_edited.html").render(full)


def carries_ticket(kind: str, registration: Registration) -> bool:
    """The ticket travels with every email that confirms a seat, payment included."""
    if kind == "payment_received":
        return registration.state.has_ticket
    return kind in TICKET_KINDS


def _tidy_text(text: str) -> str:
    """Collapse the blank lines Jinja tags leave behind, so the text reads cleanly."""
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def qr_ticket(ticket_code: str) -> Attachment:
    """The ticket as a QR PNG holding the ticket code alone: short codes scan best.

    ``make_qr`` (never a Micro QR, which phone cameras cannot read) with medium
    error correction survives a cracked phone screen or a creased printout.
    """
    qr = segno.make_qr(ticket_code, error="m", boost_error=False)
    buffer = BytesIO()
    qr.save(buffer, kind="png", scale=8, border=4)
    return Attachment("ticket.png", "image/png", buffer.getvalue(), inline_cid=QR_CID)


def calendar_file(registration: Registration, *, now: datetime | None = None) -> Attachment:
    """An .ics with one VEVENT from the first session's start to the last one's end.

    Times are in the event's time zone (``TZID`` with its ``VTIMEZONE``), so a
    calendar shows 8:00 in Yakima whatever zone the reader is in. An event with
    no agenda yet falls back to all-day dates over its days. The UID is stable per
    registration so a second invitation (the reminder) updates the same entry.
    """
    event = registration.event
    calendar = Calendar()
    calendar.add("prodid", f"-//{current_app.config['ORGANISATION_NAME']}//S5 Summit//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-timezone", event.timezone)
    entry = CalendarEvent()
    entry.add("uid", f"registration-{registration.id}@{mail_domain()}")
    entry.add("dtstamp", now or utcnow())
    entry.add("summary", event.name)
    if event.sessions:
        entry.add("dtstart", min(s.starts_at for s in event.sessions).astimezone(event.tz))
        entry.add("dtend", max(s.ends_at for s in event.sessions).astimezone(event.tz))
    else:
        entry.add("dtstart", event.starts_on)
        entry.add("dtend", event.ends_on + timedelta(days=1))
    entry.add("location", _location(event))
    entry.add("url", absolute_url("public.event", slug=event.slug))
    entry.add("description", f"Your ticket code: {registration.ticket_code}")
    calendar.add_component(entry)
    calendar.add_missing_timezones()
    return Attachment("s5-summit.ics", "text/calendar", calendar.to_ical())


def _location(event: Event) -> str:
    return ", ".join(part for part in (event.venue_name, event.venue_address) if part)
