"""Public pages: the list of open events and each event's page."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from summit.clock import today_local
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
    db.session.execute(select(1))
    return {"status": "ok"}
