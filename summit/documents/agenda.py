"""The printable one-page agenda attendees download from the event's public page."""

from __future__ import annotations

import re
from itertools import groupby

from flask import current_app

from summit.documents.pdf import render_pdf
from summit.models import Event


def agenda_filename(event: Event, extension: str) -> str:
    """``s5-summit-2027-agenda.pdf``: safe on every file system, says which event."""
    return re.sub(r"[^a-z0-9]+", "-", f"{event.slug}-agenda".lower()).strip("-") + extension


def render_agenda_pdf(event: Event) -> bytes:
    """A US-letter agenda: each day's sessions with times, rooms, speakers and subjects.

    Small type and one table per day keep a two-day summit on one page; the
    event's sessions (with their subjects' topics) should be loaded by the caller.
    """
    config = current_app.config
    days = [
        (day, list(sessions))
        for day, sessions in groupby(event.sessions, key=lambda s: s.local_day)
    ]
    context = {
        "event": event,
        "days": days,
        "org_name": config["ORGANISATION_NAME"],
        "org_unit": config["ORGANISATION_UNIT"],
    }
    return render_pdf(
        "documents/agenda.html",
        context,
        title=f"{event.name} agenda",
        subject=f"The agenda of {event.name}",
    )
