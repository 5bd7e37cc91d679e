"""The door's pages: the event list, the desk, room mode, closing and reopening a room.

The pages work without JavaScript; ``static/js/checkin.js`` adds scanning
without reloads, the camera (with the jsQR fallback served here), search as you
type, live numbers and the offline queue. The actions they post to are in
:mod:`summit.checkin.scan`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import abort, flash, render_template, request, send_file, session
from flask_login import current_user
from sqlalchemy import select

from summit.checkin.attendance import confirmed_registrations
from summit.checkin.blueprint import DOOR_ROLES, agenda_session, bp, event_page
from summit.checkin.display import session_when
from summit.checkin.forms import WalkInForm
from summit.checkin.scan import ANSWER_KEY, back
from summit.checkin.services import (
    close_session,
    entries,
    live_counts,
    new_nonce,
    printable,
    reopen_session,
    search_registrations,
)
from summit.extensions import db
from summit.models import AgendaSession, Event
from summit.security import staff_required
from summit.templating import date_range

JSQR = Path(__file__).resolve().parent.parent.parent / "node_modules/jsqr/dist/jsQR.js"


@bp.get("/checkin")
@staff_required(*DOOR_ROLES)
def index():
    """Events to work on, each with its desk, sessions and attendance."""
    events = db.session.scalars(select(Event).order_by(Event.starts_on.desc())).all()
    return render_template("checkin/index.html", events=events)


@bp.get("/events/<slug>/checkin")
@staff_required(*DOOR_ROLES)
def desk(slug: str):
    event = event_page(slug)
    return _scan_page(event, None)


@bp.get("/events/<slug>/sessions/<int:session_id>/checkin")
@staff_required(*DOOR_ROLES)
def room(slug: str, session_id: int):
    event = event_page(slug)
    return _scan_page(event, agenda_session(event, session_id))


def _scan_page(event: Event, agenda: AgendaSession | None):
    query = printable(request.args.get("q", "")).strip()[:100]
    results = search_registrations(event.id, query) if query else []
    roster, present = [], {}
    if agenda is not None:
        roster = confirmed_registrations(event.id)
        present = entries(event.id, [r.id for r in roster], agenda.id)
    checked = entries(event.id, [r.id for r in results], agenda.id if agenda else None)
    walk_in_form = WalkInForm(event, prefix="walkin")
    return render_template(
        "checkin/desk.html",
        event=event,
        agenda=agenda,
        counts=live_counts(event.id),
        answer=session.pop(ANSWER_KEY, None),
        query=query,
        results=results,
        checked=checked,
        roster=roster,
        present=present,
        walk_in_form=walk_in_form,
        walk_in_nonce=new_nonce(),
        session_times={
            item.id: session_when(item.starts_at, item.ends_at, event.timezone)
            for item in event.sessions
        },
        camera_fallback=JSQR.is_file(),
        not_today=not_running_today(event),
    )


def not_running_today(event: Event) -> str:
    """A warning for the desk when the event is not on today (event time zone): scans
    still count (offline replays arrive late), but a wrong event is easy to pick."""
    today = datetime.now(event.tz).date()
    if event.starts_on <= today <= event.ends_on:
        return ""
    when = "is over" if today > event.ends_on else "has not started"
    return (
        f"{event.name} {when}: it runs {date_range(event.starts_on, event.ends_on)}, "
        f"and today is {today:%B} {today.day}. Check that this is the right event."
    )


@bp.post("/events/<slug>/sessions/<int:session_id>/close")
@staff_required(*DOOR_ROLES)
def close(slug: str, session_id: int):
    return _switch_room(
        slug, session_id, close_session, "is closed: further scans answer “session closed”."
    )


@bp.post("/events/<slug>/sessions/<int:session_id>/reopen")
@staff_required(*DOOR_ROLES)
def reopen(slug: str, session_id: int):
    return _switch_room(slug, session_id, reopen_session, "takes scans again.")


def _switch_room(slug: str, session_id: int, change, outcome: str):
    """Close or reopen a room (``change``), then say so under its title back in the room."""
    event = event_page(slug)
    agenda_session(event, session_id)
    agenda = change(event.id, session_id, staff=current_user._get_current_object())
    flash(f"{agenda.title} {outcome}", "info")
    return back(event, session_id)


@bp.get("/vendor/jsQR.js")
@staff_required(*DOOR_ROLES)
def jsqr():
    """The npm package's build, served by the app (no CDN); 404 when npm ci was not run."""
    if not JSQR.is_file():
        abort(404)
    return send_file(JSQR, mimetype="text/javascript", max_age=86400)
