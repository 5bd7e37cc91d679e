"""Public pages: the list of open events and each event's page."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from summit.clock import today_local
from summit.extensions import db
from summit.loaders import event_or_404
from summit.models import AgendaSession, Event, SessionTopic, utcnow
from summit.registration.services import seats_left

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    today = today_local()
    events = db.session.scalars(
        select(Event)
        .where(Event.is_published.is_(True), Event.ends_on >= today)
        .order_by(Event.starts_on)
    ).all()
    return render_template("public/home.html", events=events, now=utcnow())


@bp.get("/events/<slug>")
def event(slug: str):
    event = event_or_404(
        slug,
        published=True,
        options=(
            selectinload(Event.tiers),
            selectinload(Event.curriculum),
            selectinload(Event.sessions)
            .selectinload(AgendaSession.topics)
            .selectinload(SessionTopic.topic),
        ),
    )
    return render_template(
        "public/event.html",
        event=event,
        status=event.registration_status(utcnow()),
        seats_left=seats_left(event),
        tier_seats={tier.id: seats_left(event, tier) for tier in event.tiers},
    )


@bp.get("/healthz")
def healthz():
    db.session.execute(select(1))
    return {"status": "ok"}
