"""Public pages: the list of open events and each event's page."""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from summit.clock import today_local
from summit.documents.agenda import agenda_filename, render_agenda_pdf
from summit.errors import RETRY_AFTER_SECONDS, end_failed_transaction, is_outage
from summit.extensions import db
from summit.models import utcnow
from summit.public import services
from summit.public.calendar import agenda_calendar

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    events = services.open_events(today_local())
    return render_template("public/home.html", events=events, now=utcnow())


@bp.get("/events/<slug>")
def event(slug: str):
    page = services.event_page(slug)
    return render_template(
        "public/event.html",
        event=page.event,
        status=page.event.registration_status(utcnow()),
        seats_left=page.seats_left,
        tier_seats=page.tier_seats,
    )


@bp.get("/events/<slug>/agenda.pdf")
def agenda_pdf(slug: str):
    """The printable one-page agenda of a published event."""
    event = services.event_page(slug).event
    return _download(render_agenda_pdf(event), "application/pdf", agenda_filename(event, ".pdf"))


@bp.get("/events/<slug>/agenda.ics")
def agenda_ics(slug: str):
    """Every session of a published event, for a calendar app."""
    event = services.event_page(slug).event
    data = agenda_calendar(event, now=utcnow())
    return _download(data, "text/calendar; charset=utf-8", agenda_filename(event, ".ics"))


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/healthz")
def healthz():
    """For load balancers and monitors: 200 when the database answers, else 503 saying so."""
    try:
        db.session.execute(select(1))
    except DBAPIError as error:
        if not is_outage(error):
            raise
        end_failed_transaction()
        body = {"status": "unavailable", "database": "down"}
        return body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return {"status": "ok", "database": "ok"}
