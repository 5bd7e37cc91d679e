"""An event's rooms, on its agenda page: add one, change its seats, delete it."""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from summit.errors import render_error
from summit.events import rooms
from summit.events.agenda_views import agenda_page_response, load_event
from summit.events.blueprint import ADMIN, acting_staff, bp, show_refusal
from summit.events.errors import EventSetupError
from summit.events.forms import RoomForm
from summit.forms import ActionForm
from summit.loaders import get_or_404
from summit.models import Room
from summit.security import staff_required


@bp.post("/<slug>/agenda/rooms")
@staff_required(ADMIN)
def add_room(slug: str):
    event = load_event(slug)
    form = RoomForm()
    if not form.validate():
        return agenda_page_response(event, status=400, room_form=form)
    try:
        room = rooms.add_room(event.id, form.name.data, form.capacity.data, actor=acting_staff())
    except EventSetupError as error:
        show_refusal(form, error)
        return agenda_page_response(load_event(slug), status=error.status_code, room_form=form)
    flash(f"Room “{room.name}” added.", "success")
    return redirect(url_for("events.agenda_page", slug=slug, _anchor="rooms-heading"), 303)


@bp.post("/<slug>/agenda/rooms/<int:room_id>")
@staff_required(ADMIN)
def set_room_capacity(slug: str, room_id: int):
    """The seats of one room, from its row's small form."""
    event = load_event(slug)
    room = get_or_404(Room, room_id, event=event)
    raw = request.form.get("capacity", "").strip()
    if not ActionForm().validate_on_submit():
        return render_error(400, "This form has expired; reload the page and try again.")
    if raw and not (raw.isdigit() and int(raw) <= 100_000):
        flash(f"Give {room.name}'s seats as a number from 0 to 100,000.", "danger")
        return agenda_page_response(event, status=400)
    rooms.set_capacity(room.id, int(raw) if raw else None, actor=acting_staff())
    flash(f"Seats of “{room.name}” saved.", "success")
    return redirect(url_for("events.agenda_page", slug=slug, _anchor="rooms-heading"), 303)


@bp.post("/<slug>/agenda/rooms/<int:room_id>/delete")
@staff_required(ADMIN)
def delete_room(slug: str, room_id: int):
    """Take a room off the list; its sessions keep their room's name."""
    event = load_event(slug)
    room = get_or_404(Room, room_id, event=event)
    if not ActionForm().validate_on_submit():
        return render_error(400, "This form has expired; reload the page and try again.")
    name = rooms.delete_room(room.id, actor=acting_staff())
    flash(f"Room “{name}” taken off the list; its sessions keep the name.", "success")
    return redirect(url_for("events.agenda_page", slug=slug, _anchor="rooms-heading"), 303)
