"""The one ``checkin`` blueprint and what its page modules share.

The pages are split by who uses them (:mod:`~summit.checkin.desk` for the door,
:mod:`~summit.checkin.reports` for attendance and paper,
:mod:`~summit.checkin.tokens` for admins); they all register on this blueprint so
endpoint names stay ``checkin.*``. :mod:`summit.checkin.views` imports them all.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response

from summit.loaders import event_or_404, get_or_404
from summit.models import AgendaSession, Event
from summit.security import no_store

bp = Blueprint("checkin", __name__, url_prefix="/staff")
DOOR_ROLES = ("admin", "checkin")

bp.after_request(no_store)  # check-in pages name people


def event_page(slug: str) -> Event:
    return event_or_404(slug)


def agenda_session(event: Event, session_id: int) -> AgendaSession:
    """The session of this event, or 404: never another event's session."""
    return get_or_404(AgendaSession, session_id, event=event)


def safe_filename(name: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", name.lower()).strip("-")


def pdf_response(pdf: bytes, filename: str) -> Response:
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{safe_filename(filename)}"'},
    )
