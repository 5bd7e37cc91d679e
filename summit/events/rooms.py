"""An event's rooms and their seats: add, change the seats, delete.

Sessions name their room as text, so a room is only a name with a capacity: the
agenda editor offers the names (fewer typos, so overlaps are found) and warns
about a session in a room that is not on the list. Deleting a room changes no
session. Every change locks the event row, as the other set-up changes do, and is
audited (``room.create``, ``room.update``, ``room.delete``).
"""

from __future__ import annotations

from summit import audit
from summit.events.errors import Conflict, EventSetupError
from summit.events.services import Actor
from summit.extensions import db
from summit.models import Event, Room
from summit.transactions import lock_row, write_transaction


def room_key(name: str) -> str:
    """How rooms are compared: case and extra spaces ignored (``Ballroom A`` = ``ballroom  a``)."""
    return " ".join(name.split()).casefold()


def add_room(event_id: int, name: str, capacity: int | None, *, actor: Actor) -> Room:
    """A new room; its name is unique within the event (case and spaces ignored)."""
    _check(name, capacity)
    with write_transaction():
        event = lock_row(Event, event_id)
        if any(room_key(room.name) == room_key(name) for room in event.rooms):
            raise Conflict(f"This event already has a room “{name}”.", field="name")
        room = Room(event=event, name=" ".join(name.split()), capacity=capacity)
        db.session.add(room)
        db.session.flush()
        audit.record("room.create", room, after=_values(room), actor=actor)
    return room


def set_capacity(room_id: int, capacity: int | None, *, actor: Actor) -> Room:
    """Change a room's seats (empty: not known)."""
    _check("-", capacity)
    with write_transaction():
        room = _room(room_id)
        lock_row(Event, room.event_id)
        before = _values(room)
        room.capacity = capacity
        if _values(room) != before:
            audit.record("room.update", room, before=before, after=_values(room), actor=actor)
    return room


def delete_room(room_id: int, *, actor: Actor) -> str:
    """Take a room off the list; sessions keep the name they have."""
    with write_transaction():
        room = _room(room_id)
        lock_row(Event, room.event_id)
        name = room.name
        audit.record("room.delete", room, before=_values(room), actor=actor)
        db.session.delete(room)
    return name


def _check(name: str, capacity: int | None) -> None:
    if not name.strip():
        raise EventSetupError("Give the room a name.", field="name")
    if capacity is not None and capacity < 0:
        raise EventSetupError("A capacity cannot be negative.", field="capacity")


def _room(room_id: int) -> Room:
    room = db.session.get(Room, room_id)
    if room is None:
        raise Conflict("This room was deleted meanwhile.")
    return room


def _values(room: Room) -> dict[str, object]:
    return {"name": room.name, "capacity": room.capacity}
