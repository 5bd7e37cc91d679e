"""Public pages: the list of open events and each event's page."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from summit.clock import today_local
from summit.errors import RETRY_AFTER_SECONDS, end_failed_transaction, is_outage
from summit.extensions import db
from summit.models import utcnow
from summit.public import services

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
