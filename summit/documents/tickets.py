"""The one-page PDF ticket: what a person prints or shows at the door."""

from __future__ import annotations

import re

from flask import current_app

from summit.documents.pdf import render_pdf
from summit.models import Registration
from summit.qr import qr_svg_data_uri


def grouped_code(code: str, size: int = 4) -> str:
    """``ABCD EFGH …``: a long code is read aloud and typed in groups."""
    return " ".join(code[i : i + size] for i in range(0, len(code), size))


def ticket_filename(registration: Registration) -> str:
    """``s5-summit-2027-ticket-lee.pdf``: safe on every file system, says whose it is."""
    raw = f"{registration.event.slug}-ticket-{registration.person.last_name}"
    return re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-") + ".pdf"


def render_ticket_pdf(registration: Registration) -> bytes:
    """A US-letter ticket with the QR of the ticket code, for a confirmed registration."""
    event, person = registration.event, registration.person
    config = current_app.config
    context = {
        "registration": registration,
        "event": event,
        "person": person,
        "tier": registration.tier,
        "qr_uri": qr_svg_data_uri(registration.ticket_code),
        "ticket_code": grouped_code(registration.ticket_code),
        "org_name": config["ORGANISATION_NAME"],
        "org_unit": config["ORGANISATION_UNIT"],
    }
    return render_pdf(
        "documents/ticket.html",
        context,
        title=f"{event.name} ticket: {person.full_name}",
        subject=f"Admission ticket for {person.full_name} to {event.name}",
    )
