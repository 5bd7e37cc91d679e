"""An event's agenda for admins: sessions by day and time, add, edit, delete.

The page and a save show the agenda's warnings (overlaps in a room, untaught
subjects, overfull sessions, sessions outside the dates); refusals come back as
the form with the reason beside the field. The page reads everything in a fixed
number of queries, however many sessions there are (``benchmarks/agenda.py``).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from sqlalchemy.orm import selectinload

from summit.errors import render_error
from summit.events import agenda
from summit.events.blueprint import ADMIN, acting_staff, bp, show_refusal
from summit.events.errors import EventSetupError
from summit.events.forms import RoomForm, SessionForm
from summit.forms import ActionForm
from summit.loaders import event_or_404, get_or_404
from summit.models import AgendaSession, Curriculum, Event, SessionTopic
from summit.security import staff_required


def load_event(slug: str) -> Event:
    """The event with its curriculum and sessions (subjects and their topics) loaded."""
    return event_or_404(
        slug,
        options=(
            selectinload(Event.curriculum).selectinload(Curriculum.items),
            selectinload(Event.rooms),
            selectinload(Event.sessions)
            .selectinload(AgendaSession.topics)
            .selectinload(SessionTopic.topic),
        ),
    )


def _topics(event: Event) -> list[tuple[int, str]]:
    return [(item.topic_id, item.title) for item in event.curriculum.items]


def _form(event: Event, **kwargs) -> SessionForm:
    return SessionForm(topics=_topics(event), **kwargs)


@bp.get("/<slug>/agenda")
@staff_required(ADMIN)
def agenda_page(slug: str):
    return agenda_page_response(load_event(slug))


def agenda_page_response(
    event: Event,
    form: SessionForm | None = None,
    status: int = 200,
    room_form: RoomForm | None = None,
):
    sessions = list(event.sessions)
    return render_template(
        "events/agenda.html",
        event=event,
        sessions=sessions,
        scans=agenda.scan_counts([s.id for s in sessions]),
        warnings=agenda.agenda_warnings(event, sessions),
        form=form or _form(event, formdata=None),
        room_form=room_form or RoomForm(formdata=None),
        action_form=ActionForm(formdata=None),
    ), status


@bp.post("/<slug>/agenda")
@staff_required(ADMIN)
def create_session(slug: str):
    event = load_event(slug)
    form = _form(event)
    if not form.validate():
        return agenda_page_response(event, form, 400)
    try:
        session = agenda.create_session(event.id, form.details(event.tz), actor=acting_staff())
    except EventSetupError as error:
        show_refusal(form, error)
        return agenda_page_response(load_event(slug), form, error.status_code)
    _flash_saved(slug, session.id, f"Session “{session.title}” added.")
    return redirect(url_for("events.agenda_page", slug=slug, _anchor=f"session-{session.id}"), 303)


@bp.route("/<slug>/agenda/<int:session_id>", methods=["GET", "POST"])
@staff_required(ADMIN)
def edit_session(slug: str, session_id: int):
    event = load_event(slug)
    session = get_or_404(AgendaSession, session_id, event=event)
    form = _form(event, data=SessionForm.stored(session, event.tz))
    if not form.is_submitted():
        return _session_page(event, session, form)
    if not form.validate():
        return _session_page(event, session, form, 400)
    try:
        agenda.update_session(session_id, form.details(event.tz), actor=acting_staff())
    except EventSetupError as error:
        show_refusal(form, error)
        event = load_event(slug)
        return _session_page(event, get_or_404(AgendaSession, session_id, event=event), form, 400)
    _flash_saved(slug, session_id, "Session saved.")
    return redirect(url_for("events.agenda_page", slug=slug, _anchor=f"session-{session_id}"), 303)


def _session_page(event: Event, session: AgendaSession, form: SessionForm, status: int = 200):
    scans = agenda.scan_counts([session.id]).get(session.id, 0)
    return render_template(
        "events/session.html",
        event=event,
        agenda_session=session,  # not ``session``: templates read Flask's session
        form=form,
        scans=scans,
        warnings=agenda.warnings_about(event, list(event.sessions), session.id),
        action_form=ActionForm(formdata=None),
    ), status


def _flash_saved(slug: str, session_id: int, message: str) -> None:
    """Say it was saved, then each warning about it, read after the commit."""
    flash(message, "success")
    event = load_event(slug)
    for warning in agenda.warnings_about(event, list(event.sessions), session_id):
        flash(f"Check: {warning}", "warning")


@bp.post("/<slug>/agenda/<int:session_id>/delete")
@staff_required(ADMIN)
def delete_session(slug: str, session_id: int):
    """Delete a session nobody was scanned into; otherwise the page says why."""
    event = load_event(slug)
    get_or_404(AgendaSession, session_id, event=event)
    if not ActionForm().validate_on_submit():
        return render_error(400, "This form has expired; reload the page and try again.")
    try:
        title = agenda.delete_session(session_id, actor=acting_staff())
    except EventSetupError as error:
        flash(error.message, "danger")
        return agenda_page_response(load_event(slug), status=error.status_code)
    flash(f"Session “{title}” deleted.", "success")
    return redirect(url_for("events.agenda_page", slug=slug), code=303)
