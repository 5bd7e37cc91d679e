"""An event's own words for its automatic emails: which emails, which placeholders.

Staff write plain text. ``{{ first_name }}`` and the other names of
:data:`PLACEHOLDERS` are replaced by plain strings, and that is all: nothing staff
type runs as a template (no Jinja, no attribute lookups, no loops, no filters), so a
text can neither reach Python objects nor run for long. :func:`problem_with` refuses
an unknown name or any other brace syntax before a text is saved.

What every email must carry stays outside the editable text, in ``mail/_edited.*``
(the same layouts as the standard emails): the greeting, the ticket (QR code and
ticket code) where the email carries it, the event details (when, where, tier), the
"Manage your registration" link, the sign-off, and the attachments (QR ticket,
calendar file, invoice PDF, certificate PDF), which the outbox adds as before.

Only emails about a registration are edited per event. The sign-in link and the
self-training reviews are about a person, not an event, and keep the standard text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from summit.templating import date_range, long_date

SUBJECT_MAX = 200
BODY_MAX = 5000


@dataclass(frozen=True)
class EditableEmail:
    """One automatic email as the emails page lists it, with its starting text.

    ``subject`` and ``body`` are the standard words in placeholder form, offered in
    the editor; the email goes on using ``mail/<kind>.txt`` / ``.html`` until an
    event saves text of its own. ``details``: the frame adds the event details block
    (as the standard email shows it). ``extras``: placeholders only this email has.
    """

    kind: str
    title: str
    when: str
    subject: str
    body: str
    details: bool = True
    extras: tuple[str, ...] = ()


PLACEHOLDERS: dict[str, str] = {
    "first_name": "the attendee's first name",
    "last_name": "the attendee's last name",
    "event_name": "the event's title",
    "event_dates": "the event's dates, such as June 15–16, 2027",
    "event_start": "the first day, such as Tuesday, June 15, 2027",
    "venue": "the venue's name and address",
    "event_link": "the event's public page",
    "tier_name": "the tier the attendee chose, such as SRO",
    "status": "the registration's status in words, such as confirmed or on the waitlist",
    "ticket_code": "the ticket code (what the QR code holds)",
    "amount_due": "what the attendee still owes, such as $50",
    "amount_paid": "what the attendee has paid so far",
    "portal_link": "the attendee's own link to manage the registration (signed when sent)",
    "contact_email": "the event's contact email (the organisation's when the event has none)",
    "org_name": "the organisation's name",
    # Only in the emails that list them in ``extras``:
    "offer_expires": "when the held seat goes to the next person if not accepted",
    "certificate_name": "“certificate of completion” or “certificate of attendance”",
    "certificate_serial": "the certificate's serial number",
    "verify_link": "the page where anyone can check the certificate",
    "invoice_number": "the invoice's number",
    "invoice_amount": "the invoice's amount",
}
EXTRA_PLACEHOLDERS = frozenset(
    {
        "offer_expires",
        "certificate_name",
        "certificate_serial",
        "verify_link",
        "invoice_number",
        "invoice_amount",
    }
)

EMAILS: dict[str, EditableEmail] = {
    email.kind: email
    for email in (
        EditableEmail(
            "confirmed",
            "Registration confirmed",
            "A seat is confirmed: at once in a free tier, or when staff approve, a payment "
            "completes or a waitlist offer is accepted. Carries the QR ticket and a calendar file.",
            "You're registered: {{ event_name }}",
            "You're registered for {{ event_name }}, {{ event_dates }}.\n\n"
            "Event page: {{ event_link }}",
        ),
        EditableEmail(
            "pending_approval",
            "Waiting for approval",
            "Someone registers in a tier that staff approve first.",
            "We received your registration for {{ event_name }}",
            "We received your registration for {{ event_name }}.\n\n"
            "The {{ tier_name }} registration is checked by our staff before it is "
            "confirmed. We will email you as soon as it is reviewed.",
        ),
        EditableEmail(
            "awaiting_payment",
            "Payment due",
            "Someone registers in a tier with a fee: the seat is held until it is paid.",
            "Complete your registration for {{ event_name }}: {{ amount_due }} due",
            "Your seat at {{ event_name }} is reserved. To confirm it, please pay the "
            "registration fee of {{ amount_due }}.\n\n"
            "Pay by card, or ask for an invoice to pay by purchase order or check, from "
            "“Manage your registration” below.",
        ),
        EditableEmail(
            "waitlisted",
            "On the waitlist",
            "Someone registers while the event or the tier is full.",
            "You're on the waitlist for {{ event_name }}",
            "{{ event_name }} is full, so you are on the waitlist.\n\n"
            "If a seat opens, we will email you and hold it for you for a limited time. "
            "You do not need to do anything until then.",
        ),
        EditableEmail(
            "offered",
            "A seat is offered",
            "A seat frees up and is held for the first person on the waitlist for a limited "
            "time (48 hours unless configured otherwise).",
            "A seat is open for you at {{ event_name }}",
            "Good news: a seat at {{ event_name }} is open for you.\n\n"
            "We are holding it until {{ offer_expires }}. To accept it, open “Manage your "
            "registration” below and choose “Accept the offered seat”. If you do not accept "
            "by then, the seat goes to the next person on the waitlist.",
            extras=("offer_expires",),
        ),
        EditableEmail(
            "payment_received",
            "Payment received",
            "A payment is recorded: by card, at the door, or staff marking an invoice paid. "
            "Carries the QR ticket once the seat is confirmed.",
            "Payment received for {{ event_name }}",
            "Thank you: we received your payment for {{ event_name }}.\n\n"
            "Paid so far: {{ amount_paid }}\nStill due: {{ amount_due }}\n"
            "Status: {{ status }}",
        ),
        EditableEmail(
            "cancelled",
            "Registration cancelled",
            "A registration is cancelled, by the attendee in the portal or by staff, or a "
            "held seat was not accepted in time.",
            "Your registration for {{ event_name }} is cancelled",
            "Your registration for {{ event_name }} is cancelled, and your seat has been "
            "released.\n\n"
            "If this is a mistake, or you want to attend after all, register again from the "
            "event page while registration is open: {{ event_link }}\n"
            "Questions: {{ contact_email }}",
            details=False,
        ),
        EditableEmail(
            "rejected",
            "Registration not approved",
            "Staff do not approve a registration in a tier that needs approval.",
            "Your registration for {{ event_name }} was not approved",
            "We're sorry: your {{ tier_name }} registration for {{ event_name }} was not "
            "approved.\n\n"
            "If you think this is a mistake, or to ask about another way to attend, write to "
            "{{ contact_email }}.",
            details=False,
        ),
        EditableEmail(
            "reminder",
            "Reminder before the event",
            "Once, a few days before the event (7 unless configured otherwise), to everyone "
            "confirmed. Carries the QR ticket and calendar file again.",
            "Reminder: {{ event_name }} starts {{ event_start }}",
            "{{ event_name }} starts on {{ event_start }}. We look forward to seeing you.\n\n"
            "Bring the QR code of your ticket on your phone or on paper for a fast check-in.\n\n"
            "Agenda and event page: {{ event_link }}",
        ),
        EditableEmail(
            "already_registered",
            "Already registered",
            "Someone registers again with an address that already has a registration "
            "(at most once an hour). Nothing changes.",
            "You're already registered for {{ event_name }}",
            "Someone, probably you, just tried to register for {{ event_name }} with this "
            "email address. You already have a registration, so nothing was changed.\n\n"
            "Your registration is {{ status }}.\n\n"
            "If it wasn't you, you can ignore this email.",
            details=False,
        ),
        EditableEmail(
            "invoice",
            "Invoice",
            "An invoice is issued for a purchase order or a check. The invoice PDF is attached.",
            "Invoice {{ invoice_number }} for {{ event_name }}: {{ invoice_amount }}",
            "Your invoice for {{ event_name }} is attached (invoice {{ invoice_number }}).\n\n"
            "Amount due: {{ invoice_amount }}\n\n"
            "Please pay by purchase order or check as the invoice explains. Your seat is held "
            "meanwhile; we will email you when the payment arrives.",
            extras=("invoice_number", "invoice_amount"),
        ),
        EditableEmail(
            "certificate_ready",
            "Certificate ready",
            "A certificate is issued (or reissued) after the event; the PDF may be attached.",
            "Your certificate for {{ event_name }} is ready",
            "Your {{ certificate_name }} for {{ event_name }} is ready.\n\n"
            "Serial: {{ certificate_serial }}\n\n"
            "Download it from your registration pages (no password needed):\n"
            "{{ portal_link }}\n\n"
            "Anyone, such as a school district, can check it at:\n{{ verify_link }}",
            details=False,
            extras=("certificate_name", "certificate_serial", "verify_link"),
        ),
    )
}
CERTIFICATE_NAMES = {
    "completion": "certificate of completion",
    "attendance": "certificate of attendance",
}

# A placeholder: a name between double braces, spaces around it allowed.
_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_NAME = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*")
# What template code looks like once the placeholders are taken out.
_TEMPLATE_CODE = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
# ``{first_name}``: a placeholder written with single braces.
_SINGLE_BRACES = re.compile(r"(?<!\{)\{\s*([A-Za-z_]+)\s*\}(?!\})")
_LINK = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def placeholders_for(kind: str) -> dict[str, str]:
    """The names ``kind``'s text may use, with what each becomes, in the list's order."""
    extras = EMAILS[kind].extras
    return {
        name: meaning
        for name, meaning in PLACEHOLDERS.items()
        if name not in EXTRA_PLACEHOLDERS or name in extras
    }


def problem_with(kind: str, text: str) -> str | None:
    """Why ``text`` cannot be ``kind``'s subject or body, or ``None`` when it can."""
    allowed = placeholders_for(kind)
    for match in _PLACEHOLDER.finditer(text):
        name = _NAME.fullmatch(match.group(1))
        if name is None:
            return (
                f"“{_shorten(match.group(0))}” is not a placeholder: between double braces "
                "goes one name from the list, such as {{ first_name }}."
            )
        if name.group(1) not in allowed:
            return (
                f"{{{{ {name.group(1)} }}}} is not a placeholder this email knows. "
                "Use a name from the list of placeholders."
            )
    code = _TEMPLATE_CODE.search(_PLACEHOLDER.sub("", text))
    if code is not None:
        return (
            f"“{code.group(0)}” is template code, which this text cannot hold: write plain "
            "text with placeholders such as {{ first_name }}."
        )
    single = _SINGLE_BRACES.search(text)
    if single is not None and single.group(1) in allowed:
        return f"Write placeholders with double braces: {{{{ {single.group(1)} }}}}."
    return None


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with each placeholder replaced by its value, once (values are not read
    again, so a name that holds ``{{ … }}`` stays as typed)."""
    return _PLACEHOLDER.sub(lambda match: values[match.group(1).strip()], text)


def html_paragraphs(text: str) -> Markup:
    """Plain text as HTML: escaped, blank lines make paragraphs, web addresses are links."""
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", text.strip()) if part.strip()]
    return Markup("\n").join(
        Markup('<p style="margin:0 0 16px;">{}</p>').format(_linked(paragraph))
        for paragraph in paragraphs
    )


def _linked(paragraph: str) -> Markup:
    """One paragraph: each piece escaped, line breaks kept, web addresses as links."""
    pieces, position = [], 0
    for match in _LINK.finditer(paragraph):
        pieces.append(_lines(paragraph[position : match.start()]))
        pieces.append(_LINK_HTML.format(match.group(0)))
        position = match.end()
    pieces.append(_lines(paragraph[position:]))
    return Markup("").join(pieces)


_LINK_HTML = Markup('<a href="{0}" style="color:#005ea2;word-break:break-all;">{0}</a>')


def _lines(text: str) -> Markup:
    return Markup("<br>\n").join(text.split("\n"))


def placeholder_values(context: dict[str, Any]) -> dict[str, str]:
    """Every placeholder's value for one registration email, from its template context."""
    event, registration = context["event"], context["registration"]
    return {
        "first_name": context["person"].first_name,
        "last_name": context["person"].last_name,
        "event_name": event.name,
        "event_dates": date_range(event.starts_on, event.ends_on),
        "event_start": long_date(event.starts_on),
        "venue": ", ".join(part for part in (event.venue_name, event.venue_address) if part),
        "event_link": context["event_link"],
        "tier_name": context["tier"].name,
        "status": registration.state.phrase,
        "ticket_code": registration.ticket_code,
        "amount_due": context["amount_due"],
        "amount_paid": context["amount_paid"],
        "portal_link": context["portal_link"],
        "contact_email": event.contact_email or context["org_email"],
        "org_name": context["org_name"],
        "offer_expires": context["offer_expires"],
        **_certificate_values(context),
        "invoice_number": str(context.get("invoice_number", "")),
        "invoice_amount": str(context.get("invoice_amount", context["amount_due"])),
    }


def _certificate_values(context: dict[str, Any]) -> dict[str, str]:
    certificate = context.get("certificate")
    kind = context.get("certificate_kind") or getattr(certificate, "kind", "")
    return {
        "certificate_name": CERTIFICATE_NAMES.get(kind, "certificate"),
        "certificate_serial": certificate.serial if certificate is not None else "",
        "verify_link": str(context.get("verify_link", "")),
    }
